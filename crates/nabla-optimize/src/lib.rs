//! nabla's optimisers: minimise a smooth `f: ℝⁿ → ℝ` given its gradient (and, for Newton, its Hessian).
//!
//! # A tour
//!
//! - [`Objective`] is what gets minimised: dimension, value, value + gradient, optional dense Hessian.
//!   [`FnObjective`] adapts closures; nabla's compiled expressions and tapes implement it too.
//! - [`Minimizer`] is what minimises; every method implements it:
//!   - [`update`]'s first-order rules, generic over [`num_traits::Float`] and shared with the
//!     neural-network crate, are minimisers over `f64` when driven with one gradient per iteration:
//!     [`update::Sgd`] (fixed-step gradient descent), [`update::Momentum`] (classical or Nesterov),
//!     [`update::AdaGrad`], [`update::RmsProp`], [`update::Adam`];
//!   - [`GradientDescent`]: steepest descent with Armijo backtracking;
//!   - [`Newton`]: exact-Hessian Newton, damped to stay a descent method where the Hessian is
//!     indefinite;
//!   - [`Bfgs`] and [`Lbfgs`]: quasi-Newton methods with the Moré–Thuente strong Wolfe line search.
//!
//!   [`Method`] holds any of them and parses their names (`"bfgs"`, `"adam"`, …).
//! - [`problems`] holds the classic test functions (Rosenbrock, Beale, Himmelblau, …) with
//!   hand-written derivatives, used by the tests, the `classic` example and
//!   `bench/optimize_vs_scipy.py` (results in `OPTIMIZATION.md`).
//! - [`Options`] sets the stopping rules and limits; a run returns a [`Solution`] (point, value,
//!   counters, [`StopReason`], optional trace of [`Iterate`]s) or an [`OptimizeError`] (bad input,
//!   non-finite values, divergence). An observer callback sees every iterate as it is accepted.
//!
//! ```
//! use nabla_optimize::{FnObjective, Method, Minimizer, Options, StopReason};
//!
//! // Himmelblau's function; one of its four minima is (3, 2).
//! let mut f = FnObjective::new(2, |v: &[f64], g: &mut [f64]| {
//!     let (a, b) = (v[0] * v[0] + v[1] - 11.0, v[0] + v[1] * v[1] - 7.0);
//!     g[0] = 4.0 * a * v[0] + 2.0 * b;
//!     g[1] = 2.0 * a + 4.0 * b * v[1];
//!     a * a + b * b
//! });
//! let method: Method = "lbfgs".parse().unwrap();
//! let s = method.minimize(&mut f, &[4.0, 4.0], &Options::default()).unwrap();
//! assert!((s.x[0] - 3.0).abs() < 1e-7 && (s.x[1] - 2.0).abs() < 1e-7);
//! // It stopped when its next step, an estimate of the distance left, became negligible.
//! assert_eq!(s.stopped_by, StopReason::PredictedStep);
//! assert_eq!(s.stopped_by.as_str(), "predicted_step");
//! ```

// `!(a > b)` is how this crate says "not greater, or NaN": option checks must reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod driver;
mod error;
pub mod first_order;
pub mod line_search;
mod method;
pub mod newton;
mod objective;
pub mod problems;
pub mod quasi_newton;
mod stop;
pub mod update;

pub use driver::{Minimizer, Observer};
pub use error::{OptimizeError, Quantity};
pub use first_order::GradientDescent;
pub use method::Method;
pub use newton::{Newton, NewtonSolver};
pub use objective::{FnObjective, NoHessian, Objective};
pub use quasi_newton::{Bfgs, Lbfgs};
pub use stop::{Evaluations, Iterate, Options, Solution, StopReason};
