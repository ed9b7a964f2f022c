//! Classic test functions written once over [`Real`], for examples, benchmarks and tests (like
//! `scipy.optimize.rosen`): every differentiation mode, and nabla's tracing, runs them as they
//! are.

use crate::Real;

/// The chained Rosenbrock function `Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²`, minimum 0 at (1, …, 1).
///
/// ```
/// use nabla_autodiff::{gradient_reverse, test_functions::rosenbrock};
/// assert_eq!(rosenbrock(&[1.0, 1.0, 1.0]), 0.0);
/// let (value, gradient) = gradient_reverse(rosenbrock, &[-1.2, 1.0]);
/// assert!((value - 24.2).abs() < 1e-12);
/// assert!((gradient[0] + 215.6).abs() < 1e-9 && (gradient[1] + 88.0).abs() < 1e-9);
/// ```
pub fn rosenbrock<T: Real>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from_f64(100.0));
    let mut sum = T::zero();
    for w in x.windows(2) {
        let (a, b) = (w[1] - w[0] * w[0], one - w[0]);
        sum += hundred * a * a + b * b;
    }
    sum
}
