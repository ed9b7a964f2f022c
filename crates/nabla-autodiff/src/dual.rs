//! Forward-mode numbers: [`Dual`] (one tangent, nestable) and [`DualVec`] (`N` tangents, a
//! whole gradient block in one evaluation).

use crate::Real;
use crate::chain::{Chain, impl_real_via_chain, scale};
use crate::elementary::{Binary, Elementary};

/// A dual number `re + eps·ε` with `ε² = 0`: evaluating `f` at `x + v·ε` gives
/// `f(x) + (∇f·v)·ε`.
///
/// `T` may itself be a `Dual`, so `Dual<Dual<f64>>` carries second derivatives.
///
/// ```
/// use nabla_autodiff::{Dual, Real};
///
/// let x = Dual::variable(2.0);
/// let y = x * x.sin();
/// assert_eq!(y.re, 2.0 * 2.0_f64.sin());
/// assert_eq!(y.eps, 2.0_f64.sin() + 2.0 * 2.0_f64.cos());
///
/// // Nested: the second derivative of x³ at 2 is 12.
/// let x = Dual::new(Dual::variable(2.0), Dual::constant(1.0));
/// assert_eq!(x.powi(3).eps.eps, 12.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Dual<T = f64> {
    /// The primal value.
    pub re: T,
    /// The tangent (directional derivative).
    pub eps: T,
}

impl<T: Real> Dual<T> {
    /// `re + eps·ε`.
    pub fn new(re: T, eps: T) -> Self {
        Self { re, eps }
    }
    /// A constant: tangent 0.
    pub fn constant(re: T) -> Self {
        Self { re, eps: T::zero() }
    }
    /// The independent variable: tangent 1.
    pub fn variable(re: T) -> Self {
        Self { re, eps: T::one() }
    }
}

impl<T: Real> Chain for Dual<T> {
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
        self.re.is_zero() && self.eps.is_zero()
    }
    #[inline(always)]
    fn negate(self) -> Self {
        Self {
            re: -self.re,
            eps: -self.eps,
        }
    }
    #[inline(always)]
    fn unary(self, e: Elementary) -> Self {
        let re = e.eval(self.re);
        let d = e.d1(self.re, re);
        Self {
            re,
            eps: scale(d, self.eps),
        }
    }
    #[inline(always)]
    fn binary(self, op: Binary, rhs: Self) -> Self {
        let re = op.eval(self.re, rhs.re);
        let (da, db) = op.d1(self.re, rhs.re, re);
        Self {
            re,
            eps: scale(da, self.eps) + scale(db, rhs.eps),
        }
    }
}

impl_real_via_chain!([T: Real] Dual<T>);

/// A dual number with `N` independent tangents: seeding tangent `i` with the unit vector `e_i`
/// yields `N` partial derivatives from one evaluation.
///
/// `N` is a const generic rather than a run-time length because [`Real`] requires `Copy`: the
/// tangents live in a stack array, every operation is a fixed-length loop the compiler unrolls
/// and vectorises, and no operation allocates. Gradients of any length are taken in blocks of
/// `N` ([`gradient_forward_vec`](crate::gradient_forward_vec)).
///
/// ```
/// use nabla_autodiff::{DualVec, Real};
///
/// let x = DualVec::<f64, 2>::variable(3.0, 0);
/// let y = DualVec::<f64, 2>::variable(4.0, 1);
/// let r = (x * x + y * y).sqrt();
/// assert_eq!(r.re, 5.0);
/// assert!((r.eps[0] - 0.6).abs() < 1e-15 && (r.eps[1] - 0.8).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DualVec<T, const N: usize> {
    /// The primal value.
    pub re: T,
    /// The `N` tangents.
    pub eps: [T; N],
}

impl<T: Real, const N: usize> DualVec<T, N> {
    /// `re` with the given tangents.
    pub fn new(re: T, eps: [T; N]) -> Self {
        Self { re, eps }
    }
    /// A constant: all tangents 0.
    pub fn constant(re: T) -> Self {
        Self {
            re,
            eps: [T::zero(); N],
        }
    }
    /// The `i`-th independent variable: tangent `e_i` (all zero when `i >= N`).
    pub fn variable(re: T, i: usize) -> Self {
        let mut eps = [T::zero(); N];
        if let Some(t) = eps.get_mut(i) {
            *t = T::one();
        }
        Self { re, eps }
    }
}

impl<T: Real, const N: usize> Chain for DualVec<T, N> {
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
        self.re.is_zero() && self.eps.iter().all(Real::is_zero)
    }
    #[inline(always)]
    fn negate(self) -> Self {
        Self {
            re: -self.re,
            eps: self.eps.map(|t| -t),
        }
    }
    #[inline(always)]
    fn unary(self, e: Elementary) -> Self {
        let re = e.eval(self.re);
        let d = e.d1(self.re, re);
        Self {
            re,
            eps: self.eps.map(|t| scale(d, t)),
        }
    }
    #[inline(always)]
    fn binary(self, op: Binary, rhs: Self) -> Self {
        let re = op.eval(self.re, rhs.re);
        let (da, db) = op.d1(self.re, rhs.re, re);
        Self {
            re,
            eps: std::array::from_fn(|i| scale(da, self.eps[i]) + scale(db, rhs.eps[i])),
        }
    }
}

impl_real_via_chain!([T: Real, const N: usize] DualVec<T, N>);
