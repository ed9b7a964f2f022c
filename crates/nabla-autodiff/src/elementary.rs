//! The tables of elementary functions (one and two arguments) with their first and second
//! partial derivatives.
//!
//! Every AD number differentiates by the chain rule from these tables, so a derivative formula
//! is written exactly once: [`Dual`](crate::Dual) and
//! [`DualVec`](crate::DualVec) use `d1`, [`HyperDual`](crate::HyperDual) uses `d1` and `d2`, the
//! reverse tape records `d1` as a local partial and recomputes it on replay.

use crate::Real;

/// A one-argument elementary function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elementary {
    Neg,
    Sin,
    Cos,
    Tan,
    Cot,
    Sec,
    Csc,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Exp,
    Ln,
    Sqrt,
    Abs,
    Signum,
    Powi(i32),
}

/// `x^(n - k)` without overflowing the `i32` exponent.
#[inline(always)]
fn powi_shifted<T: Real>(x: T, n: i32, k: i64) -> T {
    let e = n as i64 - k;
    match i32::try_from(e) {
        Ok(e) => x.powi(e),
        Err(_) => x.powf(T::from_f64(e as f64)),
    }
}

impl Elementary {
    /// f(x).
    #[inline(always)]
    pub(crate) fn eval<T: Real>(self, x: T) -> T {
        match self {
            Self::Neg => -x,
            Self::Sin => x.sin(),
            Self::Cos => x.cos(),
            Self::Tan => x.tan(),
            Self::Cot => x.cot(),
            Self::Sec => x.sec(),
            Self::Csc => x.csc(),
            Self::Asin => x.asin(),
            Self::Acos => x.acos(),
            Self::Atan => x.atan(),
            Self::Sinh => x.sinh(),
            Self::Cosh => x.cosh(),
            Self::Tanh => x.tanh(),
            Self::Asinh => x.asinh(),
            Self::Acosh => x.acosh(),
            Self::Atanh => x.atanh(),
            Self::Exp => x.exp(),
            Self::Ln => x.ln(),
            Self::Sqrt => x.sqrt(),
            Self::Abs => x.abs(),
            Self::Signum => x.signum(),
            Self::Powi(n) => x.powi(n),
        }
    }

    /// f'(x), given `fx = f(x)` so that functions whose derivative is expressed through their
    /// own value do not recompute it.
    #[inline(always)]
    pub(crate) fn d1<T: Real>(self, x: T, fx: T) -> T {
        let one = T::one();
        match self {
            Self::Neg => -one,
            Self::Sin => x.cos(),
            Self::Cos => -x.sin(),
            Self::Tan => one + fx * fx,
            Self::Cot => -(one + fx * fx),
            Self::Sec => fx * x.tan(),
            Self::Csc => -fx * x.cot(),
            Self::Asin => one / (one - x * x).sqrt(),
            Self::Acos => -one / (one - x * x).sqrt(),
            Self::Atan => one / (one + x * x),
            Self::Sinh => x.cosh(),
            Self::Cosh => x.sinh(),
            Self::Tanh => one - fx * fx,
            Self::Asinh => one / (x * x + one).sqrt(),
            Self::Acosh => one / (x * x - one).sqrt(),
            Self::Atanh => one / (one - x * x),
            Self::Exp => fx,
            Self::Ln => one / x,
            Self::Sqrt => T::from_f64(0.5) / fx,
            Self::Abs => x.signum(),
            Self::Signum => T::zero(),
            Self::Powi(0) => T::zero(),
            Self::Powi(n) => T::from_f64(n as f64) * powi_shifted(x, n, 1),
        }
    }

    /// f''(x), given `fx = f(x)` and `d1 = f'(x)`.
    #[inline(always)]
    pub(crate) fn d2<T: Real>(self, x: T, fx: T, d1: T) -> T {
        let two = T::from_f64(2.0);
        match self {
            Self::Sin | Self::Cos => -fx,
            Self::Tan => two * fx * d1,
            Self::Cot | Self::Tanh => -two * fx * d1,
            Self::Sec => {
                let t = x.tan();
                fx * (t * t + fx * fx)
            }
            Self::Csc => {
                let c = x.cot();
                fx * (c * c + fx * fx)
            }
            Self::Asin | Self::Acos => x * d1 * d1 * d1,
            Self::Atan => -two * x * d1 * d1,
            Self::Sinh | Self::Cosh | Self::Exp => fx,
            Self::Asinh | Self::Acosh => -x * d1 * d1 * d1,
            Self::Atanh => two * x * d1 * d1,
            Self::Ln => -d1 * d1,
            Self::Sqrt => -d1 / (two * x),
            Self::Neg | Self::Abs | Self::Signum => T::zero(),
            Self::Powi(n) if n == 0 || n == 1 => T::zero(),
            Self::Powi(n) => T::from_f64(n as f64 * (n as f64 - 1.0)) * powi_shifted(x, n, 2),
        }
    }
}

/// A two-argument operation `f(a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// `a^b`.
    Powf,
    /// `atan2(a, b)`, `a` being the y coordinate.
    Atan2,
}

impl Binary {
    /// f(a, b).
    #[inline(always)]
    pub(crate) fn eval<T: Real>(self, a: T, b: T) -> T {
        match self {
            Self::Add => a + b,
            Self::Sub => a - b,
            Self::Mul => a * b,
            Self::Div => a / b,
            Self::Powf => a.powf(b),
            Self::Atan2 => a.atan2(b),
        }
    }

    /// (∂f/∂a, ∂f/∂b), given `fx = f(a, b)`.
    #[inline(always)]
    pub(crate) fn d1<T: Real>(self, a: T, b: T, fx: T) -> (T, T) {
        let one = T::one();
        match self {
            Self::Add => (one, one),
            Self::Sub => (one, -one),
            Self::Mul => (b, a),
            Self::Div => {
                let r = one / b;
                (r, -fx * r)
            }
            Self::Powf => (b * a.powf(b - one), pow_log_partial(a, fx)),
            Self::Atan2 => {
                let r = a * a + b * b;
                (b / r, -a / r)
            }
        }
    }

    /// (∂²f/∂a², ∂²f/∂a∂b, ∂²f/∂b²), given `fx = f(a, b)`.
    #[inline(always)]
    pub(crate) fn d2<T: Real>(self, a: T, b: T, fx: T) -> (T, T, T) {
        let zero = T::zero();
        let one = T::one();
        let two = T::from_f64(2.0);
        match self {
            Self::Add | Self::Sub => (zero, zero, zero),
            Self::Mul => (zero, one, zero),
            Self::Div => {
                let r = one / b;
                (zero, -r * r, two * fx * r * r)
            }
            Self::Powf => {
                let faa = b * (b - one) * a.powf(b - two);
                let fbb = pow_log_partial(pow_log_partial(a, fx), a);
                // ∂/∂b of b a^(b-1) = a^(b-1) + (b a^(b-1)) ln a.
                let p = a.powf(b - one);
                let fab = p + pow_log_partial(a, b * p);
                (faa, fab, fbb)
            }
            Self::Atan2 => {
                let r = a * a + b * b;
                let r2 = r * r;
                (-two * a * b / r2, (a * a - b * b) / r2, two * a * b / r2)
            }
        }
    }
}

/// `g ln a`, the shape of ∂(a^b)/∂b = a^b ln a, taken as 0 where `g` is 0 (the limit for a → 0+
/// with a positive exponent) instead of `0 * -inf = NaN`.
#[inline(always)]
fn pow_log_partial<T: Real>(a: T, g: T) -> T {
    if g.is_zero() { g } else { g * a.ln() }
}
