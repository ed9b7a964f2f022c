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
    /// `x²`: what the tape records for `x * x`.
    Square,
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
    #[inline]
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
            Self::Square => x * x,
            Self::Powi(n) => x.powi(n),
        }
    }

    /// f'(x), given `fx = f(x)` so that functions whose derivative is expressed through their
    /// own value do not recompute it.
    #[inline]
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
            Self::Square => x + x,
            Self::Powi(0) => T::zero(),
            Self::Powi(n) => T::from_f64(n as f64) * powi_shifted(x, n, 1),
        }
    }

    /// f''(x), given `fx = f(x)` and `d1 = f'(x)`.
    #[inline]
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
            Self::Square => two,
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
    #[inline]
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
    #[inline]
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
    #[inline]
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
                let fbb = pow_log_partial(a, pow_log_partial(a, fx));
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

#[cfg(test)]
mod tests {
    //! Every elementary function's first and second derivative, through every AD type, against
    //! the textbook formula written independently of the table above.

    use super::*;
    use crate::test_support::close;
    use crate::{Dual, DualVec, HyperDual, gradient_reverse, hessian_reverse, hvp};

    type F = fn(f64) -> f64;

    const POINTS: &[f64] = &[
        -2.7, -1.3, -0.85, -0.4, -0.1, 0.05, 0.3, 0.62, 0.97, 1.4, 2.2, 3.1,
    ];

    /// (function, f', f'', domain).
    fn table() -> Vec<(Elementary, F, F, F)> {
        use Elementary::*;
        let all: F = |_| 1.0;
        let unit: F = |x| (x.abs() < 1.0) as u8 as f64;
        let positive: F = |x| (x > 0.0) as u8 as f64;
        let above_one: F = |x| (x > 1.0) as u8 as f64;
        let nonzero: F = |x| (x != 0.0) as u8 as f64;
        vec![
            (Neg, |_| -1.0, |_| 0.0, all),
            (Sin, f64::cos, |x| -x.sin(), all),
            (Cos, |x| -x.sin(), |x| -x.cos(), all),
            (
                Tan,
                |x| 1.0 / x.cos().powi(2),
                |x| 2.0 * x.sin() / x.cos().powi(3),
                all,
            ),
            (
                Cot,
                |x| -1.0 / x.sin().powi(2),
                |x| 2.0 * x.cos() / x.sin().powi(3),
                nonzero,
            ),
            (
                Sec,
                |x| x.sin() / x.cos().powi(2),
                |x| (1.0 + x.sin().powi(2)) / x.cos().powi(3),
                all,
            ),
            (
                Csc,
                |x| -x.cos() / x.sin().powi(2),
                |x| (1.0 + x.cos().powi(2)) / x.sin().powi(3),
                nonzero,
            ),
            (
                Asin,
                |x| 1.0 / (1.0 - x * x).sqrt(),
                |x| x / (1.0 - x * x).powf(1.5),
                unit,
            ),
            (
                Acos,
                |x| -1.0 / (1.0 - x * x).sqrt(),
                |x| -x / (1.0 - x * x).powf(1.5),
                unit,
            ),
            (
                Atan,
                |x| 1.0 / (1.0 + x * x),
                |x| -2.0 * x / (1.0 + x * x).powi(2),
                all,
            ),
            (Sinh, f64::cosh, f64::sinh, all),
            (Cosh, f64::sinh, f64::cosh, all),
            (
                Tanh,
                |x| 1.0 / x.cosh().powi(2),
                |x| -2.0 * x.sinh() / x.cosh().powi(3),
                all,
            ),
            (
                Asinh,
                |x| 1.0 / (x * x + 1.0).sqrt(),
                |x| -x / (x * x + 1.0).powf(1.5),
                all,
            ),
            (
                Acosh,
                |x| 1.0 / (x * x - 1.0).sqrt(),
                |x| -x / (x * x - 1.0).powf(1.5),
                above_one,
            ),
            (
                Atanh,
                |x| 1.0 / (1.0 - x * x),
                |x| 2.0 * x / (1.0 - x * x).powi(2),
                unit,
            ),
            (Exp, f64::exp, f64::exp, all),
            (Ln, |x| 1.0 / x, |x| -1.0 / (x * x), positive),
            (Sqrt, |x| 0.5 / x.sqrt(), |x| -0.25 / x.powf(1.5), positive),
            (Abs, |x| x.signum(), |_| 0.0, nonzero),
            (Signum, |_| 0.0, |_| 0.0, nonzero),
            (Square, |x| 2.0 * x, |_| 2.0, all),
            (Powi(0), |_| 0.0, |_| 0.0, all),
            (Powi(1), |_| 1.0, |_| 0.0, all),
            (Powi(3), |x| 3.0 * x * x, |x| 6.0 * x, all),
            (Powi(-2), |x| -2.0 / x.powi(3), |x| 6.0 / x.powi(4), nonzero),
        ]
    }

    fn points(domain: F) -> impl Iterator<Item = f64> {
        POINTS
            .iter()
            .flat_map(|&x| [x, 1.0 + x.abs()])
            .filter(move |&x| domain(x) == 1.0)
    }

    #[test]
    fn first_and_second_derivatives_match_the_formulas_in_every_mode() {
        let tol = 1e-12;
        for (e, d1, d2, domain) in table() {
            let mut tested = 0;
            for x in points(domain) {
                let (v, g1, g2) = (e.eval(x), d1(x), d2(x));
                let at = |what: &str, got: f64, want: f64| {
                    assert!(
                        close(got, want, tol),
                        "{e:?} at {x}, {what}: got {got}, want {want}"
                    )
                };
                let dual = e.eval(Dual::variable(x));
                at("Dual value", dual.re, v);
                at("Dual f'", dual.eps, g1);
                let dd = e.eval(Dual::new(Dual::variable(x), Dual::constant(1.0)));
                at("Dual<Dual> f''", dd.eps.eps, g2);
                let dv = e.eval(DualVec::<f64, 3>::new(x, [2.0, 0.0, -1.0]));
                at("DualVec f'", dv.eps[0], 2.0 * g1);
                at("DualVec f'", dv.eps[2], -g1);
                assert_eq!(dv.eps[1], 0.0);
                let hd = e.eval(HyperDual::variable(x));
                at("HyperDual f'", hd.e1, g1);
                at("HyperDual f''", hd.e12, g2);
                let (rv, rg) = gradient_reverse(|v| e.eval(v[0]), &[x]);
                at("reverse value", rv, v);
                at("reverse f'", rg[0], g1);
                let h = hessian_reverse(|v| e.eval(v[0]), &[x]);
                at("forward-over-reverse f'", h.gradient[0], g1);
                at("forward-over-reverse f''", h.hessian[0][0], g2);
                let (_, _, hv) = hvp(|v| e.eval(v[0]), &[x], &[3.0]).unwrap();
                at("hvp", hv[0], 3.0 * g2);
                tested += 1;
            }
            assert!(tested >= 6, "{e:?}: only {tested} points in the domain");
        }
    }

    /// (operation, ∂a, ∂b, ∂²aa, ∂²ab, ∂²bb) as functions of (a, b).
    type P = fn(f64, f64) -> f64;

    #[test]
    fn binary_partials_match_the_formulas_in_every_mode() {
        use Binary::*;
        let zero: P = |_, _| 0.0;
        let cases: Vec<(Binary, [P; 5])> = vec![
            (Add, [|_, _| 1.0, |_, _| 1.0, zero, zero, zero]),
            (Sub, [|_, _| 1.0, |_, _| -1.0, zero, zero, zero]),
            (Mul, [|_, b| b, |a, _| a, zero, |_, _| 1.0, zero]),
            (
                Div,
                [
                    |_, b| 1.0 / b,
                    |a, b| -a / (b * b),
                    zero,
                    |_, b| -1.0 / (b * b),
                    |a, b| 2.0 * a / b.powi(3),
                ],
            ),
            (
                Powf,
                [
                    |a, b| b * a.powf(b - 1.0),
                    |a, b| a.powf(b) * a.ln(),
                    |a, b| b * (b - 1.0) * a.powf(b - 2.0),
                    |a, b| a.powf(b - 1.0) * (1.0 + b * a.ln()),
                    |a, b| a.powf(b) * a.ln().powi(2),
                ],
            ),
            (
                Atan2,
                [
                    |a, b| b / (a * a + b * b),
                    |a, b| -a / (a * a + b * b),
                    |a, b| -2.0 * a * b / (a * a + b * b).powi(2),
                    |a, b| (a * a - b * b) / (a * a + b * b).powi(2),
                    |a, b| 2.0 * a * b / (a * a + b * b).powi(2),
                ],
            ),
        ];
        let pairs = [
            (0.7, 1.3),
            (2.1, -0.4),
            (0.35, 2.5),
            (1.9, 0.6),
            (3.0, -1.7),
        ];
        for (op, [fa, fb, faa, fab, fbb]) in cases {
            for (a, b) in pairs {
                let at = |what: &str, got: f64, want: f64| {
                    assert!(
                        close(got, want, 1e-12),
                        "{op:?}({a}, {b}) {what}: got {got}, want {want}"
                    )
                };
                let y = op.eval(Dual::new(a, 1.0), Dual::new(b, 0.0));
                at("Dual ∂a", y.eps, fa(a, b));
                let y = op.eval(Dual::new(a, 0.0), Dual::new(b, 1.0));
                at("Dual ∂b", y.eps, fb(a, b));
                let hd = |ea: [f64; 2], eb: [f64; 2]| {
                    op.eval(
                        HyperDual::new(a, ea[0], ea[1], 0.0),
                        HyperDual::new(b, eb[0], eb[1], 0.0),
                    )
                    .e12
                };
                at("HyperDual ∂²aa", hd([1.0, 1.0], [0.0, 0.0]), faa(a, b));
                at("HyperDual ∂²ab", hd([1.0, 0.0], [0.0, 1.0]), fab(a, b));
                at("HyperDual ∂²bb", hd([0.0, 0.0], [1.0, 1.0]), fbb(a, b));
                let f = |v: &[crate::Var]| op.eval(v[0], v[1]);
                let (_, g) = gradient_reverse(f, &[a, b]);
                at("reverse ∂a", g[0], fa(a, b));
                at("reverse ∂b", g[1], fb(a, b));
                let h = hessian_reverse(|v| op.eval(v[0], v[1]), &[a, b]);
                at("forward-over-reverse ∂²aa", h.hessian[0][0], faa(a, b));
                at("forward-over-reverse ∂²ab", h.hessian[0][1], fab(a, b));
                at("forward-over-reverse ∂²ba", h.hessian[1][0], fab(a, b));
                at("forward-over-reverse ∂²bb", h.hessian[1][1], fbb(a, b));
                // A constant on either side is recorded inline, not as a node.
                let (_, g) = gradient_reverse(|v| op.eval(v[0], crate::Real::from_f64(b)), &[a]);
                at("reverse ∂a, constant b", g[0], fa(a, b));
                let (_, g) = gradient_reverse(|v| op.eval(crate::Real::from_f64(a), v[0]), &[b]);
                at("reverse ∂b, constant a", g[0], fb(a, b));
            }
        }
    }

    #[test]
    fn constant_exponent_and_base_avoid_spurious_nans() {
        // x^2 at x = -1.5: the ln(x) of ∂/∂exponent must not leak into the derivative.
        let y = Dual::variable(-1.5).powf(Dual::constant(2.0));
        assert_eq!(y.eps, -3.0);
        let h = HyperDual::variable(-1.5).powf(HyperDual::constant(2.0));
        assert_eq!((h.e1, h.e12), (-3.0, 2.0));
        let (_, g) = gradient_reverse(|v| v[0].powf(crate::Real::from_f64(2.0)), &[-1.5]);
        assert_eq!(g[0], -3.0);
        // 0^b with b > 0 is 0 for all b near: ∂/∂b = 0.
        let y = Dual::new(0.0, 0.0).powf(Dual::variable(2.0));
        assert_eq!(y.eps, 0.0);
        // sqrt of a constant 0 does not poison an unrelated tangent.
        let x = Dual::variable(1.0);
        let y = x + crate::Real::sqrt(Dual::constant(0.0));
        assert_eq!(y.eps, 1.0);
    }

    #[test]
    fn out_of_domain_arguments_give_nan_or_inf_without_panicking() {
        let weird = [
            0.0,
            -0.0,
            -1.0,
            1.0,
            1e308,
            -1e308,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for (e, ..) in table() {
            for x in weird {
                let _ = e.eval(Dual::variable(x));
                let _ = e.eval(HyperDual::variable(x));
                let _ = gradient_reverse(|v| e.eval(v[0]), &[x]);
                let _ = hessian_reverse(|v| e.eval(v[0]), &[x]);
            }
        }
        assert!(Elementary::Ln.eval(Dual::variable(-1.0)).re.is_nan());
        assert_eq!(
            Elementary::Sqrt.eval(Dual::variable(0.0)).eps,
            f64::INFINITY
        );
        // The exponent n - 2 of the second derivative does not fit in an i32.
        let hd = Elementary::Powi(i32::MIN).eval(HyperDual::variable(2.0));
        assert_eq!((hd.re, hd.e1, hd.e12), (0.0, -0.0, 0.0));
    }
}
