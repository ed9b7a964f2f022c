//! Reverse mode: a tape records one evaluation, a backward sweep gives the whole gradient.
//!
//! [`Var`] operations append nodes to a thread-local tape; a [`Recording`] owns the finished
//! tape and can be replayed at new points. The drivers here cover the usual jobs: gradient,
//! vector-Jacobian product, Jacobian, and (recording with [`Dual`] as the tape scalar, i.e.
//! forward-over-reverse) Hessian-vector products and Hessians.
//!
//! # Why a thread-local tape
//!
//! `Var` arithmetic (`a + b`, `a.sin()`) has no argument through which to pass a tape, so either
//! every `Var` carries a reference to its tape or the tape is reached through a thread-local.
//! A reference brings a lifetime, `Var<'t>`, and a function written once as
//! `fn f<T: Real>(x: &[T]) -> T` can then not be passed by name to a driver that needs
//! `for<'t> Fn(&[Var<'t>]) -> Var<'t>` (a generic `fn` item is instantiated at one type, not at
//! every lifetime). With a thread-local, `Var` is a plain `Copy` value of 16 bytes (for `f64`)
//! and `gradient_reverse(f, &x)` just works. The cost is paid in checks instead of types: each
//! `Var` carries the id of the recording that made it, and an operation on a `Var` whose
//! recording is not the active one on this thread panics with a clear message instead of
//! silently indexing the wrong tape. Recordings nest: starting one stashes the active tape and
//! finishing it restores it.

mod recording;
mod tape;
mod var;

pub use recording::Recording;
pub use tape::{TapeScalar, free_recycled_buffers};
pub use var::Var;

use crate::error::{Error, check_len};
use crate::{Dual, SecondOrder};

/// `(f(x), ∇f(x))` by recording one evaluation and one reverse sweep.
///
/// ```
/// use nabla_autodiff::{gradient_reverse, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[1] + x[1].exp()
/// }
/// let (y, g) = gradient_reverse(f, &[2.0, 0.0]);
/// assert_eq!((y, g), (1.0, vec![0.0, 3.0]));
/// ```
pub fn gradient_reverse<F>(f: F, x: &[f64]) -> (f64, Vec<f64>)
where
    F: FnOnce(&[Var]) -> Var,
{
    let mut tape = Recording::record_scalar(f, x);
    let grad = tape.pullback(&[1.0]).unwrap_or_default();
    (tape.outputs()[0], grad)
}

/// `(f(x), wᵀJ(x))` of a vector function: one recording, one sweep.
///
/// ```
/// use nabla_autodiff::{vjp, Real};
///
/// fn f<T: Real>(x: &[T]) -> Vec<T> {
///     vec![x[0] * x[1], x[0].sin()]
/// }
/// let (y, wj) = vjp(f, &[0.0, 3.0], &[1.0, 2.0]).unwrap();
/// assert_eq!((y, wj), (vec![0.0, 0.0], vec![5.0, 0.0]));
/// ```
pub fn vjp<F>(f: F, x: &[f64], w: &[f64]) -> Result<(Vec<f64>, Vec<f64>), Error>
where
    F: FnOnce(&[Var]) -> Vec<Var>,
{
    let mut tape = Recording::record(f, x);
    let wj = tape.pullback(w)?;
    Ok((tape.outputs().to_vec(), wj))
}

/// `(f(x), J(x))` of a vector function: one recording, one sweep per output.
///
/// ```
/// use nabla_autodiff::{jacobian_reverse, Real};
///
/// fn polar<T: Real>(x: &[T]) -> Vec<T> {
///     vec![x[0] * x[1].cos(), x[0] * x[1].sin()]
/// }
/// let (_, j) = jacobian_reverse(polar, &[2.0, 0.0]);
/// assert_eq!(j, vec![vec![1.0, 0.0], vec![0.0, 2.0]]);
/// ```
pub fn jacobian_reverse<F>(f: F, x: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>)
where
    F: FnOnce(&[Var]) -> Vec<Var>,
{
    let mut tape = Recording::record(f, x);
    let jac = tape.jacobian_rows();
    (tape.outputs().to_vec(), jac)
}

/// Hessian-vector product by forward-over-reverse: the tape scalar is `Dual<f64>` seeded with
/// `v`, so one recording and one sweep give `f(x)`, `∇f(x)` and `∇²f(x)·v`.
///
/// ```
/// use nabla_autodiff::{hvp, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[0] * x[1]
/// }
/// let (y, g, hv) = hvp(f, &[3.0, 2.0], &[1.0, 0.0]).unwrap();
/// assert_eq!((y, g, hv), (18.0, vec![12.0, 9.0], vec![4.0, 6.0]));
/// ```
pub fn hvp<F>(f: F, x: &[f64], v: &[f64]) -> Result<(f64, Vec<f64>, Vec<f64>), Error>
where
    F: FnOnce(&[Var<Dual<f64>>]) -> Var<Dual<f64>>,
{
    check_len("v", x.len(), v.len())?;
    let xs: Vec<_> = x.iter().zip(v).map(|(&x, &v)| Dual::new(x, v)).collect();
    let mut tape = Recording::record_scalar(f, &xs);
    let adjoints = tape.pullback(&[Dual::constant(1.0)])?;
    let (gradient, hv) = adjoints.iter().map(|a| (a.re, a.eps)).unzip();
    Ok((tape.outputs()[0].re, gradient, hv))
}

/// Value, gradient and Hessian by forward-over-reverse: one recording with `Dual<f64>` tape
/// scalars, then per coordinate `j` one replay with tangent `e_j` and one sweep, whose tangent
/// adjoints are column `j` of the Hessian.
///
/// ```
/// use nabla_autodiff::{hessian_reverse, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[1].exp()
/// }
/// let h = hessian_reverse(f, &[2.0, 0.0]);
/// assert_eq!(h.gradient, vec![1.0, 2.0]);
/// assert_eq!(h.hessian, vec![vec![0.0, 1.0], vec![1.0, 2.0]]);
/// ```
pub fn hessian_reverse<F>(f: F, x: &[f64]) -> SecondOrder<f64>
where
    F: FnOnce(&[Var<Dual<f64>>]) -> Var<Dual<f64>>,
{
    let n = x.len();
    let mut xs: Vec<_> = x.iter().map(|&x| Dual::constant(x)).collect();
    let mut tape = Recording::record_scalar(f, &xs);
    let mut out = SecondOrder {
        value: tape.outputs()[0].re,
        gradient: vec![0.0; n],
        hessian: vec![vec![0.0; n]; n],
    };
    let mut column = vec![Dual::constant(0.0); n];
    for j in 0..n {
        xs[j].eps = 1.0;
        // Lengths match the recording by construction.
        let _ = tape.replay(&xs);
        let _ = tape.pullback_into(&[Dual::constant(1.0)], &mut column);
        xs[j].eps = 0.0;
        for (i, a) in column.iter().enumerate() {
            out.hessian[i][j] = a.eps;
            out.gradient[i] = a.re;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // index loops read best for matrix entries
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::finite_diff::{self, FdOptions};
    use crate::test_support::{Expr, close, expr, point};
    use crate::{Real, gradient_forward, gradient_forward_vec, hessian_forward, jvp};

    const N: usize = 3;

    fn vector_fn<T: Real>(e: &Expr, x: &[T]) -> Vec<T> {
        vec![e.eval(x), e.eval(x) * x[0], x[1].sin() + e.eval(x)]
    }

    proptest! {
        // A fixed seed: the finite-difference comparisons are statistical (their error estimates
        // hold for all but about 1 in 10⁴ random functions, see
        // `finite_diff::tests::error_estimates_bound_true_errors_on_random_functions`), and CI
        // must not flake.
        #![proptest_config(ProptestConfig {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_127),
            ..ProptestConfig::default()
        })]

        #[test]
        fn reverse_equals_forward_equals_finite_differences(e in expr(N), x in point(N)) {
            let (yf, gf) = gradient_forward(|x| e.eval(x), &x);
            let (yv, gv) = gradient_forward_vec::<f64, 2, _>(|x| e.eval(x), &x);
            let (yr, gr) = gradient_reverse(|x| e.eval(x), &x);
            let fd = finite_diff::gradient(|x| e.eval(x), &x, &FdOptions::default()).unwrap();
            prop_assert_eq!(yf, e.eval(&x));
            prop_assert_eq!(yv, yf);
            prop_assert_eq!(yr, yf);
            for i in 0..N {
                prop_assert!(close(gr[i], gf[i], 1e-13), "∂{}: reverse {} forward {}", i, gr[i], gf[i]);
                prop_assert!(close(gv[i], gf[i], 1e-13), "∂{}: DualVec {} Dual {}", i, gv[i], gf[i]);
                let fd_gap = (fd.estimate[i] - gr[i]).abs();
                prop_assert!(fd_gap <= fd.error[i] + 1e-14 * gr[i].abs(),
                    "∂{}: fd {} ± {} vs AD {}", i, fd.estimate[i], fd.error[i], gr[i]);
            }
        }

        #[test]
        fn hessians_agree_and_are_symmetric(e in expr(N), x in point(N)) {
            let hf = hessian_forward(|x| e.eval(x), &x);
            let hr = hessian_reverse(|x| e.eval(x), &x);
            let fd = finite_diff::hessian(|x| e.eval(x), &x, &FdOptions::default()).unwrap();
            prop_assert_eq!(hf.value, hr.value);
            for i in 0..N {
                prop_assert!(close(hf.gradient[i], hr.gradient[i], 1e-13));
                for j in 0..N {
                    let (f, r) = (hf.hessian[i][j], hr.hessian[i][j]);
                    prop_assert!(close(f, r, 1e-12), "H{}{}: hyper-dual {} vs forward-over-reverse {}", i, j, f, r);
                    // Schwarz: forward-over-reverse computes the two mixed partials by different
                    // sweeps, so their agreement is a real check.
                    prop_assert!(close(r, hr.hessian[j][i], 1e-12), "H{}{} = {} vs H{}{} = {}", i, j, r, j, i, hr.hessian[j][i]);
                    prop_assert!((fd.estimate[i][j] - f).abs() <= fd.error[i][j] + 1e-13 * f.abs(),
                        "H{}{}: fd {} ± {} vs AD {}", i, j, fd.estimate[i][j], fd.error[i][j], f);
                }
            }
        }

        #[test]
        fn replay_at_new_points_equals_recording_again(e in expr(N), x0 in point(N), x1 in point(N)) {
            let mut tape = Recording::record_scalar(|x| e.eval(x), &x0);
            let (y_replay, g_replay) = tape.gradient(&x1).unwrap();
            let (y_fresh, g_fresh) = gradient_reverse(|x| e.eval(x), &x1);
            prop_assert_eq!(y_replay, y_fresh);
            prop_assert_eq!(g_replay, g_fresh);
            // And back: the recording is not worn out by replays.
            let (y0, _) = tape.gradient(&x0).unwrap();
            prop_assert_eq!(y0, e.eval(&x0));
        }

        #[test]
        fn jacobian_rows_are_vjps_and_columns_are_jvps(e in expr(N), x in point(N)) {
            let (y, jac) = jacobian_reverse(|x| vector_fn(&e, x), &x);
            prop_assert_eq!(&y, &vector_fn(&e, &x));
            let w = [0.5, -2.0, 1.5];
            let (_, wj) = vjp(|x| vector_fn(&e, x), &x, &w).unwrap();
            for j in 0..N {
                let mut v = [0.0; N];
                v[j] = 1.0;
                let (_, col) = jvp(|x| vector_fn(&e, x), &x, &v).unwrap();
                let mut expected = 0.0;
                for i in 0..3 {
                    prop_assert!(close(jac[i][j], col[i], 1e-13));
                    expected += w[i] * jac[i][j];
                }
                prop_assert!(close(wj[j], expected, 1e-12));
            }
            let fd = finite_diff::jacobian(|x| vector_fn(&e, x), &x, &FdOptions::default()).unwrap();
            for i in 0..3 {
                for j in 0..N {
                    prop_assert!((fd.estimate[i][j] - jac[i][j]).abs() <= fd.error[i][j] + 1e-14 * jac[i][j].abs());
                }
            }
        }

        #[test]
        fn hvp_matches_hessian_times_vector(e in expr(N), x in point(N), v in point(N)) {
            let (y, g, hv) = hvp(|x| e.eval(x), &x, &v).unwrap();
            let h = hessian_forward(|x| e.eval(x), &x);
            prop_assert_eq!(y, h.value);
            for i in 0..N {
                let expected: f64 = (0..N).map(|j| h.hessian[i][j] * v[j]).sum();
                prop_assert!(close(hv[i], expected, 1e-12), "{} vs {}", hv[i], expected);
                prop_assert!(close(g[i], h.gradient[i], 1e-13));
            }
        }
    }

    #[test]
    fn replay_freezes_control_flow() {
        fn relu<T: Real>(x: &[T]) -> T {
            if x[0] > T::zero() { x[0] } else { T::zero() }
        }
        let mut tape = Recording::record_scalar(relu, &[1.0]);
        // Recorded on the positive branch: the replay keeps returning x.
        assert_eq!(tape.gradient(&[-2.0]).unwrap(), (-2.0, vec![1.0]));
        assert_eq!(gradient_reverse(relu, &[-2.0]), (0.0, vec![0.0]));
    }

    #[test]
    fn wrong_lengths_are_errors() {
        let mut tape = Recording::record_scalar(|x| x[0] * x[1], &[1.0, 2.0]);
        assert!(matches!(
            tape.gradient(&[1.0]),
            Err(crate::Error::LengthMismatch { .. })
        ));
        assert!(tape.pullback(&[1.0, 2.0]).is_err());
        assert!(hvp(|x| x[0], &[1.0], &[1.0, 2.0]).is_err());
        assert!(vjp(|x| vec![x[0]], &[1.0], &[]).is_err());
        let mut vector = Recording::record(|x| vec![x[0], x[0]], &[1.0]);
        assert!(vector.gradient(&[1.0]).is_err());
    }

    #[test]
    fn constant_outputs_and_inputs_as_outputs() {
        let (y, jac) = jacobian_reverse(|x| vec![Var::from_f64(4.0), x[1]], &[1.0, 2.0]);
        assert_eq!(y, vec![4.0, 2.0]);
        assert_eq!(jac, vec![vec![0.0, 0.0], vec![0.0, 1.0]]);
        assert_eq!(gradient_reverse(|_| Var::from_f64(1.0), &[]), (1.0, vec![]));
    }

    #[test]
    fn recordings_nest() {
        // The inner gradient runs its own recording while the outer one is active.
        let outer = gradient_reverse(
            |x| {
                let (_, g) = gradient_reverse(|y| y[0] * y[0], &[3.0]);
                x[0] * Var::from_f64(g[0])
            },
            &[2.0],
        );
        assert_eq!(outer, (12.0, vec![6.0]));
    }

    #[test]
    #[should_panic(expected = "outside the recording")]
    fn a_var_outliving_its_recording_is_caught() {
        let mut escaped = None;
        let _ = gradient_reverse(
            |x| {
                escaped = Some(x[0]);
                x[0]
            },
            &[1.0],
        );
        let _ = gradient_reverse(|x| x[0] + escaped.unwrap(), &[1.0]);
    }
}
