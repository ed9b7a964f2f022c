//! Reverse mode: a tape records one evaluation, a backward sweep gives the whole gradient.
//!
//! [`Var`] operations append nodes to a thread-local tape ([`tape`] explains why); a
//! [`Recording`] owns the finished tape and can be replayed at new points. The drivers here
//! cover the usual jobs: gradient, vector-Jacobian product, Jacobian, and (recording with
//! [`Dual`] as the tape scalar, i.e. forward-over-reverse) Hessian-vector products and Hessians.

mod recording;
pub mod tape;
mod var;

pub use recording::Recording;
pub use tape::TapeScalar;
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
