//! Automatic differentiation and finite differences for nabla.
//!
//! Write a function once against [`Real`] and differentiate it every way:
//!
//! ```
//! use nabla_autodiff::*;
//!
//! fn rosenbrock<T: Real>(x: &[T]) -> T {
//!     let (one, hundred) = (T::one(), T::from_f64(100.0));
//!     (hundred * (x[1] - x[0] * x[0]).powi(2)) + (one - x[0]).powi(2)
//! }
//! let x = [1.5, 2.0];
//! let exact = [100.0 * 2.0 * (2.0 - 2.25) * (-3.0) - 2.0 * (1.0 - 1.5), 200.0 * (2.0 - 2.25)];
//!
//! // Forward mode: one dual pass per coordinate, or one DualVec pass for all of them.
//! let (_, g_fwd) = gradient_forward(rosenbrock, &x);
//! let (_, g_vec) = gradient_forward_vec::<f64, 2, _>(rosenbrock, &x);
//! // Reverse mode: one recording, one sweep.
//! let (_, g_rev) = gradient_reverse(rosenbrock, &x);
//! // Finite differences with an error estimate.
//! let g_fd = finite_diff::gradient(rosenbrock::<f64>, &x, &FdOptions::default()).unwrap();
//! for i in 0..2 {
//!     assert!((g_fwd[i] - exact[i]).abs() < 1e-12);
//!     assert!((g_vec[i] - exact[i]).abs() < 1e-12);
//!     assert!((g_rev[i] - exact[i]).abs() < 1e-12);
//!     assert!((g_fd.estimate[i] - exact[i]).abs() <= g_fd.error[i]);
//! }
//!
//! // Second order: hyper-duals (forward) or forward-over-reverse.
//! let h_fwd = hessian_forward(rosenbrock, &x);
//! let h_rev = hessian_reverse(rosenbrock, &x);
//! assert_eq!(h_fwd.hessian[0][1], -600.0);
//! assert_eq!(h_rev.hessian[0][1], -600.0);
//!
//! // A reusable tape: record once, then gradients at new points without re-recording.
//! let mut tape = Recording::record_scalar(rosenbrock, &x);
//! let (y, g) = tape.gradient(&[1.0, 1.0]).unwrap();
//! assert_eq!((y, g), (0.0, vec![0.0, 0.0]));
//! ```
//!
//! | mode | type / function | cost of a gradient in R^n |
//! |------|-----------------|---------------------------|
//! | forward | [`Dual`], [`gradient_forward`], [`jvp`] | n evaluations |
//! | forward, vector | [`DualVec`], [`gradient_forward_vec`] | n/N evaluations of N-wide numbers |
//! | second order | [`HyperDual`], [`hessian_forward`] | n(n+1)/2 evaluations for a Hessian |
//! | reverse | [`Var`], [`Recording`], [`gradient_reverse`], [`vjp`], [`jacobian_reverse`] | one evaluation + one sweep |
//! | forward-over-reverse | [`hvp`], [`hessian_reverse`] | one sweep per Hessian column |
//! | finite differences | [`finite_diff`] | 24 to 30 evaluations per partial, with error estimate |
//!
//! The same generic function also runs on the symbolic numbers of the `nabla` crate
//! (`nabla::trace::trace`), which turn it into an expression whose gradient nabla compiles to
//! machine code: the fastest of these routes when the function's branches do not depend on the
//! point.

mod chain;
mod dual;
mod elementary;
mod error;
pub mod finite_diff;
mod forward;
mod hyperdual;
mod real;
pub mod reverse;
pub mod test_functions;
#[cfg(test)]
mod test_support;

pub use dual::{Dual, DualVec};
pub use error::Error;
pub use finite_diff::{FdEstimate, FdOptions};
pub use forward::{
    SecondOrder, derivative, directional_derivative, gradient_forward, gradient_forward_vec,
    hessian_forward, jvp,
};
pub use hyperdual::HyperDual;
pub use real::Real;
pub use reverse::{
    Recording, TapeScalar, Var, gradient_reverse, hessian_reverse, hvp, jacobian_reverse, vjp,
};
