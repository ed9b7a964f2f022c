//! The [`Real`] trait: the scalar interface every differentiable function is written against,
//! and its plain `f64` implementation.
//!
//! A function written once as `fn f<T: Real>(x: &[T]) -> T` can be evaluated with `f64`, with
//! the forward-mode numbers ([`Dual`](crate::Dual), [`DualVec`](crate::DualVec),
//! [`HyperDual`](crate::HyperDual)) and with the reverse-mode [`Var`](crate::Var). The trait has
//! no dependency on anything else in nabla so that the symbolic engine can evaluate expressions
//! over it.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real number type that supports arithmetic and the elementary functions.
///
/// Out-of-domain arguments follow IEEE semantics: `(-1.0).ln()` is NaN, `0.0.ln()` is `-inf`,
/// nothing panics. Comparisons (`PartialOrd`, `PartialEq`) look only at the primal
/// [`value`](Real::value), so control flow such as `if x < 0.0` behaves the same for every
/// implementation.
///
/// ```
/// use nabla_autodiff::Real;
///
/// fn softplus<T: Real>(x: T) -> T {
///     (T::one() + x.exp()).ln()
/// }
/// assert!((softplus(0.0_f64) - 2.0_f64.ln()).abs() < 1e-15);
/// ```
pub trait Real:
    Copy
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sized
    // Numbers own their data, so code generic over them can tell plain `f64`s apart by type id.
    + 'static
{
    /// A constant: every derivative part is zero.
    fn from_f64(x: f64) -> Self;
    /// The primal value, with all derivative information dropped.
    fn value(&self) -> f64;
    /// True when the number is exactly zero in every part (value and all derivative parts).
    ///
    /// The AD numbers use it to keep an identically-zero derivative zero when multiplied by an
    /// infinite partial (`0 * inf` would otherwise turn into NaN).
    fn is_zero(&self) -> bool;

    /// The constant 0.
    fn zero() -> Self {
        Self::from_f64(0.0)
    }
    /// The constant 1.
    fn one() -> Self {
        Self::from_f64(1.0)
    }

    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Cotangent, `1 / tan(x)`.
    fn cot(self) -> Self;
    /// Secant, `1 / cos(x)`.
    fn sec(self) -> Self;
    /// Cosecant, `1 / sin(x)`.
    fn csc(self) -> Self;
    /// Arcsine (NaN outside [-1, 1]).
    fn asin(self) -> Self;
    /// Arccosine (NaN outside [-1, 1]).
    fn acos(self) -> Self;
    /// Arctangent.
    fn atan(self) -> Self;
    /// Hyperbolic sine.
    fn sinh(self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Inverse hyperbolic sine.
    fn asinh(self) -> Self;
    /// Inverse hyperbolic cosine (NaN below 1).
    fn acosh(self) -> Self;
    /// Inverse hyperbolic tangent (NaN outside [-1, 1]).
    fn atanh(self) -> Self;
    /// Exponential.
    fn exp(self) -> Self;
    /// Natural logarithm (NaN below 0, `-inf` at 0).
    fn ln(self) -> Self;
    /// Square root (NaN below 0).
    fn sqrt(self) -> Self;
    /// Absolute value; its derivative is [`signum`](Real::signum) (0 at 0).
    fn abs(self) -> Self;
    /// The mathematical sign: -1, 0 (for ±0) or 1, NaN for NaN. Its derivative is 0.
    ///
    /// Unlike `f64::signum`, which returns 1 for +0.
    fn signum(self) -> Self;
    /// The general power `self^other`, differentiable in both base and exponent.
    fn powf(self, other: Self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Four-quadrant arctangent of `self / x` (`self` is the y coordinate).
    fn atan2(self, x: Self) -> Self;
}

impl Real for f64 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn value(&self) -> f64 {
        *self
    }
    #[inline(always)]
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
    #[inline(always)]
    fn sin(self) -> Self {
        f64::sin(self)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        f64::cos(self)
    }
    #[inline(always)]
    fn tan(self) -> Self {
        f64::tan(self)
    }
    #[inline(always)]
    fn cot(self) -> Self {
        1.0 / f64::tan(self)
    }
    #[inline(always)]
    fn sec(self) -> Self {
        1.0 / f64::cos(self)
    }
    #[inline(always)]
    fn csc(self) -> Self {
        1.0 / f64::sin(self)
    }
    #[inline(always)]
    fn asin(self) -> Self {
        f64::asin(self)
    }
    #[inline(always)]
    fn acos(self) -> Self {
        f64::acos(self)
    }
    #[inline(always)]
    fn atan(self) -> Self {
        f64::atan(self)
    }
    #[inline(always)]
    fn sinh(self) -> Self {
        f64::sinh(self)
    }
    #[inline(always)]
    fn cosh(self) -> Self {
        f64::cosh(self)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    #[inline(always)]
    fn asinh(self) -> Self {
        f64::asinh(self)
    }
    #[inline(always)]
    fn acosh(self) -> Self {
        f64::acosh(self)
    }
    #[inline(always)]
    fn atanh(self) -> Self {
        f64::atanh(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn signum(self) -> Self {
        if self > 0.0 {
            1.0
        } else if self < 0.0 {
            -1.0
        } else if self == 0.0 {
            0.0
        } else {
            f64::NAN
        }
    }
    #[inline(always)]
    fn powf(self, other: Self) -> Self {
        f64::powf(self, other)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        f64::powi(self, n)
    }
    #[inline(always)]
    fn atan2(self, x: Self) -> Self {
        f64::atan2(self, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signum_is_the_mathematical_sign() {
        assert_eq!(Real::signum(0.0_f64), 0.0);
        assert_eq!(Real::signum(-0.0_f64), 0.0);
        assert_eq!(Real::signum(-3.0_f64), -1.0);
        assert_eq!(Real::signum(2.0_f64), 1.0);
        assert!(Real::signum(f64::NAN).is_nan());
    }

    #[test]
    fn reciprocal_trig_functions_match_their_definitions() {
        let x = 0.7_f64;
        assert_eq!(Real::cot(x), 1.0 / x.tan());
        assert_eq!(Real::sec(x), 1.0 / x.cos());
        assert_eq!(Real::csc(x), 1.0 / x.sin());
    }

    #[test]
    fn out_of_domain_values_follow_ieee() {
        assert!(Real::ln(-1.0_f64).is_nan());
        assert_eq!(Real::ln(0.0_f64), f64::NEG_INFINITY);
        assert!(Real::asin(2.0_f64).is_nan());
        assert_eq!(Real::cot(0.0_f64), f64::INFINITY);
    }
}
