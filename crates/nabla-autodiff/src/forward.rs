//! Forward-mode drivers: derivatives, directional derivatives, gradients, Jacobian-vector
//! products and Hessians of a function written once against [`Real`].

use crate::error::{Error, check_len};
use crate::{Dual, DualVec, HyperDual, Real};

/// Value and second-order derivatives of a scalar function.
#[derive(Clone, Debug, PartialEq)]
pub struct SecondOrder<T> {
    /// f(x).
    pub value: T,
    /// ∇f(x).
    pub gradient: Vec<T>,
    /// ∇²f(x), row-major, `hessian[i][j] = ∂²f/∂xi∂xj`.
    pub hessian: Vec<Vec<T>>,
}

/// `(f(x), f'(x))` of a one-variable function, by one dual evaluation.
///
/// ```
/// use nabla_autodiff::{derivative, Real};
///
/// fn f<T: Real>(x: T) -> T {
///     x.sin() * x
/// }
/// let (y, dy) = derivative(f, 1.0);
/// assert_eq!(y, 1.0_f64.sin());
/// assert_eq!(dy, 1.0_f64.cos() + 1.0_f64.sin());
/// // Nest for higher derivatives: f''(1) = 2cos 1 - sin 1.
/// let (_, d2) = derivative(|x| derivative(f, x).1, 1.0);
/// assert!((d2 - (2.0 * 1.0_f64.cos() - 1.0_f64.sin())).abs() < 1e-15);
/// ```
pub fn derivative<T: Real, F>(f: F, x: T) -> (T, T)
where
    F: FnOnce(Dual<T>) -> Dual<T>,
{
    let y = f(Dual::variable(x));
    (y.re, y.eps)
}

/// `(f(x), ∇f(x)·v)` by one dual evaluation.
///
/// ```
/// use nabla_autodiff::{directional_derivative, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[1]
/// }
/// assert_eq!(directional_derivative(f, &[2.0, 3.0], &[1.0, 1.0]).unwrap(), (6.0, 5.0));
/// ```
pub fn directional_derivative<T: Real, F>(f: F, x: &[T], v: &[T]) -> Result<(T, T), Error>
where
    F: FnOnce(&[Dual<T>]) -> Dual<T>,
{
    check_len("v", x.len(), v.len())?;
    let xs: Vec<_> = x.iter().zip(v).map(|(&x, &v)| Dual::new(x, v)).collect();
    let y = f(&xs);
    Ok((y.re, y.eps))
}

/// `(f(x), ∇f(x))` by `n` dual evaluations, one per coordinate.
///
/// ```
/// use nabla_autodiff::{gradient_forward, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[0] + x[0] * x[1].exp()
/// }
/// let (y, g) = gradient_forward(f, &[2.0, 0.0]);
/// assert_eq!((y, g), (6.0, vec![5.0, 2.0]));
/// ```
pub fn gradient_forward<T: Real, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    F: Fn(&[Dual<T>]) -> Dual<T>,
{
    let mut xs: Vec<_> = x.iter().map(|&x| Dual::constant(x)).collect();
    if x.is_empty() {
        return (f(&xs).re, Vec::new());
    }
    let mut value = x[0];
    let mut gradient = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        xs[i].eps = T::one();
        let y = f(&xs);
        xs[i].eps = T::zero();
        value = y.re;
        gradient.push(y.eps);
    }
    (value, gradient)
}

/// `(f(x), ∇f(x))` by `⌈n / N⌉` evaluations with [`DualVec`]`<T, N>`, each giving `N` partials.
///
/// ```
/// use nabla_autodiff::{gradient_forward_vec, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x.iter().fold(T::zero(), |s, &xi| s + xi * xi)
/// }
/// let (y, g) = gradient_forward_vec::<f64, 4, _>(f, &[1.0, 2.0, 3.0, 4.0, 5.0]);
/// assert_eq!(y, 55.0);
/// assert_eq!(g, vec![2.0, 4.0, 6.0, 8.0, 10.0]);
/// ```
pub fn gradient_forward_vec<T: Real, const N: usize, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    F: Fn(&[DualVec<T, N>]) -> DualVec<T, N>,
{
    let mut xs: Vec<_> = x.iter().map(|&x| DualVec::constant(x)).collect();
    if x.is_empty() || N == 0 {
        return (f(&xs).re, vec![T::zero(); x.len()]);
    }
    let mut value = x[0];
    let mut gradient = Vec::with_capacity(x.len());
    for start in (0..x.len()).step_by(N) {
        let end = (start + N).min(x.len());
        for (k, xi) in xs[start..end].iter_mut().enumerate() {
            xi.eps[k] = T::one();
        }
        let y = f(&xs);
        for xi in &mut xs[start..end] {
            xi.eps = [T::zero(); N];
        }
        value = y.re;
        gradient.extend_from_slice(&y.eps[..end - start]);
    }
    (value, gradient)
}

/// `(f(x), J(x)·v)` of a vector function by one dual evaluation.
///
/// ```
/// use nabla_autodiff::{jvp, Real};
///
/// fn f<T: Real>(x: &[T]) -> Vec<T> {
///     vec![x[0] * x[1], x[0] + x[1]]
/// }
/// let (y, jv) = jvp(f, &[2.0, 3.0], &[1.0, 0.0]).unwrap();
/// assert_eq!((y, jv), (vec![6.0, 5.0], vec![3.0, 1.0]));
/// ```
pub fn jvp<T: Real, F>(f: F, x: &[T], v: &[T]) -> Result<(Vec<T>, Vec<T>), Error>
where
    F: FnOnce(&[Dual<T>]) -> Vec<Dual<T>>,
{
    check_len("v", x.len(), v.len())?;
    let xs: Vec<_> = x.iter().zip(v).map(|(&x, &v)| Dual::new(x, v)).collect();
    Ok(f(&xs).into_iter().map(|y| (y.re, y.eps)).unzip())
}

/// Value, gradient and Hessian by `n(n+1)/2` hyper-dual evaluations, one per entry of the upper
/// triangle; each entry is exact (no truncation, no cancellation).
///
/// ```
/// use nabla_autodiff::{hessian_forward, Real};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[0] * x[1]
/// }
/// let h = hessian_forward(f, &[3.0, 2.0]);
/// assert_eq!(h.value, 18.0);
/// assert_eq!(h.gradient, vec![12.0, 9.0]);
/// assert_eq!(h.hessian, vec![vec![4.0, 6.0], vec![6.0, 0.0]]);
/// ```
pub fn hessian_forward<T: Real, F>(f: F, x: &[T]) -> SecondOrder<T>
where
    F: Fn(&[HyperDual<T>]) -> HyperDual<T>,
{
    let n = x.len();
    let mut xs: Vec<_> = x.iter().map(|&x| HyperDual::constant(x)).collect();
    let mut out = SecondOrder {
        // The primal part does not depend on the seeds: any evaluation below gives the value,
        // and only an empty `x` needs one of its own.
        value: if n == 0 { f(&xs).re } else { T::zero() },
        gradient: vec![T::zero(); n],
        hessian: vec![vec![T::zero(); n]; n],
    };
    for i in 0..n {
        xs[i].e1 = T::one();
        for j in i..n {
            xs[j].e2 = T::one();
            let y = f(&xs);
            xs[j].e2 = T::zero();
            out.hessian[i][j] = y.e12;
            out.hessian[j][i] = y.e12;
            if i == j {
                out.value = y.re;
                out.gradient[i] = y.e1;
            }
        }
        xs[i].e1 = T::zero();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<T: Real>(x: &[T]) -> T {
        let mut s = T::zero();
        for (i, &xi) in x.iter().enumerate() {
            s += T::from_f64(i as f64 + 1.0) * xi.sin() * x[(i + 1) % x.len()];
        }
        s
    }

    #[test]
    fn vector_duals_of_any_width_give_the_same_gradient() {
        let x: Vec<f64> = (0..7).map(|i| 0.3 * i as f64 - 1.0).collect();
        let (y, g) = gradient_forward(f, &x);
        assert_eq!(gradient_forward_vec::<f64, 1, _>(f, &x), (y, g.clone()));
        assert_eq!(gradient_forward_vec::<f64, 3, _>(f, &x), (y, g.clone()));
        assert_eq!(gradient_forward_vec::<f64, 8, _>(f, &x), (y, g.clone()));
        assert_eq!(gradient_forward_vec::<f64, 0, _>(f, &x).1, vec![0.0; 7]);
    }

    #[test]
    fn directional_derivative_is_the_gradient_dotted_with_v() {
        let x = [0.4, -1.2, 2.0];
        let v = [1.5, 0.5, -2.0];
        let (_, g) = gradient_forward(f, &x);
        let (_, d) = directional_derivative(f, &x, &v).unwrap();
        let dot: f64 = g.iter().zip(&v).map(|(g, v)| g * v).sum();
        assert!((d - dot).abs() < 1e-14);
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let err = directional_derivative(f, &[1.0, 2.0], &[1.0]).unwrap_err();
        assert_eq!(
            err,
            Error::LengthMismatch {
                argument: "v",
                expected: 2,
                found: 1
            }
        );
        assert!(jvp(|x| vec![x[0]], &[1.0], &[]).is_err());
    }

    #[test]
    fn nested_duals_give_third_derivatives() {
        // d³/dx³ sin(x) = -cos(x).
        let d3 = derivative(|x| derivative(|x| derivative(Real::sin, x).1, x).1, 0.5).1;
        assert!((d3 + 0.5_f64.cos()).abs() < 1e-15);
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(
            gradient_forward(|_| Dual::constant(2.0), &[]),
            (2.0, vec![])
        );
        let h = hessian_forward(|_: &[HyperDual]| HyperDual::constant(3.0), &[]);
        assert_eq!((h.value, h.gradient.len(), h.hessian.len()), (3.0, 0, 0));
    }
}
