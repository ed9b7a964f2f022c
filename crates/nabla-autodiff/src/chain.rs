//! The chain-rule core shared by every AD number, and the macro that derives their
//! operators and [`Real`] implementation from it.
//!
//! An AD number only says how to push one elementary function or one binary operation through
//! its derivative parts ([`Chain`]); `impl_real_via_chain!` writes the dozens of operator and
//! trait methods on top, so no number type repeats that boilerplate.

use crate::Real;
use crate::elementary::{Binary, Elementary};

/// How an AD number applies the chain rule.
pub(crate) trait Chain: Copy {
    fn constant(x: f64) -> Self;
    fn primal(&self) -> f64;
    fn all_zero(&self) -> bool;
    fn negate(self) -> Self;
    fn unary(self, e: Elementary) -> Self;
    fn binary(self, op: Binary, rhs: Self) -> Self;
}

/// `d * t`, except that an identically-zero derivative part `t` stays zero even when the partial
/// `d` is infinite or NaN: a variable that does not depend on the seed direction must not pick up
/// a NaN from a singular partial it is never multiplied by.
#[inline(always)]
pub(crate) fn scale<T: Real>(d: T, t: T) -> T {
    if t.is_zero() { t } else { d * t }
}

/// Implements the arithmetic operators, comparisons by primal value and [`Real`] for a type
/// implementing [`Chain`]. Usage: `impl_real_via_chain!([generics] Type);`.
macro_rules! impl_real_via_chain {
    ([$($gen:tt)*] $ty:ty) => {
        impl_real_via_chain!(@binop [$($gen)*] $ty, Add, add, AddAssign, add_assign, Add);
        impl_real_via_chain!(@binop [$($gen)*] $ty, Sub, sub, SubAssign, sub_assign, Sub);
        impl_real_via_chain!(@binop [$($gen)*] $ty, Mul, mul, MulAssign, mul_assign, Mul);
        impl_real_via_chain!(@binop [$($gen)*] $ty, Div, div, DivAssign, div_assign, Div);

        impl<$($gen)*> ::core::ops::Neg for $ty {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                $crate::chain::Chain::negate(self)
            }
        }

        impl<$($gen)*> ::core::cmp::PartialEq for $ty {
            #[inline(always)]
            fn eq(&self, other: &Self) -> bool {
                $crate::chain::Chain::primal(self) == $crate::chain::Chain::primal(other)
            }
        }

        impl<$($gen)*> ::core::cmp::PartialOrd for $ty {
            #[inline(always)]
            fn partial_cmp(&self, other: &Self) -> Option<::core::cmp::Ordering> {
                $crate::chain::Chain::primal(self).partial_cmp(&$crate::chain::Chain::primal(other))
            }
        }

        impl<$($gen)*> $crate::Real for $ty {
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                $crate::chain::Chain::constant(x)
            }
            #[inline(always)]
            fn value(&self) -> f64 {
                $crate::chain::Chain::primal(self)
            }
            #[inline(always)]
            fn is_zero(&self) -> bool {
                $crate::chain::Chain::all_zero(self)
            }
            impl_real_via_chain!(@unary sin Sin, cos Cos, tan Tan, cot Cot, sec Sec, csc Csc,
                asin Asin, acos Acos, atan Atan, sinh Sinh, cosh Cosh, tanh Tanh, asinh Asinh,
                acosh Acosh, atanh Atanh, exp Exp, ln Ln, sqrt Sqrt, abs Abs, signum Signum);
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                $crate::chain::Chain::unary(self, $crate::elementary::Elementary::Powi(n))
            }
            #[inline(always)]
            fn powf(self, other: Self) -> Self {
                $crate::chain::Chain::binary(self, $crate::elementary::Binary::Powf, other)
            }
            #[inline(always)]
            fn atan2(self, x: Self) -> Self {
                $crate::chain::Chain::binary(self, $crate::elementary::Binary::Atan2, x)
            }
        }
    };
    (@binop [$($gen:tt)*] $ty:ty, $tr:ident, $m:ident, $atr:ident, $am:ident, $op:ident) => {
        impl<$($gen)*> ::core::ops::$tr for $ty {
            type Output = Self;
            #[inline(always)]
            fn $m(self, rhs: Self) -> Self {
                $crate::chain::Chain::binary(self, $crate::elementary::Binary::$op, rhs)
            }
        }
        impl<$($gen)*> ::core::ops::$atr for $ty {
            #[inline(always)]
            fn $am(&mut self, rhs: Self) {
                *self = $crate::chain::Chain::binary(*self, $crate::elementary::Binary::$op, rhs);
            }
        }
    };
    (@unary $($m:ident $e:ident),*) => {
        $(
            #[inline(always)]
            fn $m(self) -> Self {
                $crate::chain::Chain::unary(self, $crate::elementary::Elementary::$e)
            }
        )*
    };
}

pub(crate) use impl_real_via_chain;
