//! Hyper-dual numbers: exact second derivatives in one forward evaluation.

use crate::Real;
use crate::chain::{Chain, impl_real_via_chain, scale};
use crate::elementary::{Binary, Elementary};

/// A hyper-dual number `re + e1·ε1 + e2·ε2 + e12·ε1ε2` with `ε1² = ε2² = 0`, `ε1ε2 ≠ 0`.
///
/// Evaluating `f` at `x + u·ε1 + v·ε2` gives `e1 = ∇f·u`, `e2 = ∇f·v` and `e12 = uᵀ(∇²f)v`
/// exactly, with no subtractive cancellation (Fike & Alonso, 2011): seeding `u = e_i`,
/// `v = e_j` yields `∂²f/∂xi∂xj`.
///
/// ```
/// use nabla_autodiff::{HyperDual, Real};
///
/// let x = HyperDual::variable(0.5);
/// let y = x.sin() * x.exp();
/// let (s, c, e) = (0.5_f64.sin(), 0.5_f64.cos(), 0.5_f64.exp());
/// assert!((y.e1 - (c + s) * e).abs() < 1e-15);
/// assert!((y.e12 - 2.0 * c * e).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperDual<T = f64> {
    /// The primal value.
    pub re: T,
    /// The ε1 part: derivative along the first seed.
    pub e1: T,
    /// The ε2 part: derivative along the second seed.
    pub e2: T,
    /// The ε1ε2 part: the second derivative along both seeds.
    pub e12: T,
}

impl<T: Real> HyperDual<T> {
    /// A hyper-dual number from its four parts.
    pub fn new(re: T, e1: T, e2: T, e12: T) -> Self {
        Self { re, e1, e2, e12 }
    }
    /// A constant: all derivative parts 0.
    pub fn constant(re: T) -> Self {
        Self {
            re,
            e1: T::zero(),
            e2: T::zero(),
            e12: T::zero(),
        }
    }
    /// The independent variable of a one-dimensional function: `e1 = e2 = 1`, so `e12` is f''.
    pub fn variable(re: T) -> Self {
        Self {
            re,
            e1: T::one(),
            e2: T::one(),
            e12: T::zero(),
        }
    }
}

impl<T: Real> Chain for HyperDual<T> {
    #[inline(always)]
    fn constant(x: f64) -> Self {
        Self::constant(T::from_f64(x))
    }
    #[inline(always)]
    fn primal(&self) -> f64 {
        self.re.value()
    }
    #[inline(always)]
    fn all_zero(&self) -> bool {
        self.re.is_zero() && self.e1.is_zero() && self.e2.is_zero() && self.e12.is_zero()
    }
    #[inline(always)]
    fn negate(self) -> Self {
        Self {
            re: -self.re,
            e1: -self.e1,
            e2: -self.e2,
            e12: -self.e12,
        }
    }
    #[inline(always)]
    fn unary(self, e: Elementary) -> Self {
        let re = e.eval(self.re);
        let d1 = e.d1(self.re, re);
        let d2 = e.d2(self.re, re, d1);
        Self {
            re,
            e1: scale(d1, self.e1),
            e2: scale(d1, self.e2),
            e12: scale(d1, self.e12) + scale(d2, self.e1 * self.e2),
        }
    }
    #[inline(always)]
    fn binary(self, op: Binary, rhs: Self) -> Self {
        let (a, b) = (self, rhs);
        let re = op.eval(a.re, b.re);
        let (fa, fb) = op.d1(a.re, b.re, re);
        let (faa, fab, fbb) = op.d2(a.re, b.re, re);
        Self {
            re,
            e1: scale(fa, a.e1) + scale(fb, b.e1),
            e2: scale(fa, a.e2) + scale(fb, b.e2),
            e12: scale(fa, a.e12)
                + scale(fb, b.e12)
                + scale(faa, a.e1 * a.e2)
                + scale(fab, a.e1 * b.e2 + a.e2 * b.e1)
                + scale(fbb, b.e1 * b.e2),
        }
    }
}

impl_real_via_chain!([T: Real] HyperDual<T>);
