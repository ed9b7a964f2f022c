//! Stopping rules, run options and what a run returns: [`Options`], [`StopReason`], [`Solution`],
//! [`Iterate`] (one point of a trace) and [`Evaluations`] (the counters).

use crate::error::{OptimizeError, require};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Tolerances, limits and recording switches shared by every method.
///
/// Three convergence tests are checked after every iteration, in this order:
/// - **gradient norm**: `‖∇f(xₖ)‖₂ ≤ gradient_tolerance`;
/// - **step size**: `‖xₖ − xₖ₋₁‖₂ ≤ step_tolerance · max(1, ‖xₖ₋₁‖₂)`;
/// - **relative change**: `|f(xₖ₋₁) − f(xₖ)| ≤ relative_tolerance · max(|f(xₖ₋₁)|, |f(xₖ)|, 1)`
///   (the `1` makes it absolute near a zero minimum value, as in L-BFGS-B).
///
/// Newton and the quasi-Newton methods also check, before each line search, the **predicted
/// step**: the distance to the minimum estimated from the (quasi-)Newton step `p` they are about
/// to try and the contraction of the last steps and gradients, `‖p‖ / (1 − r) ≤
/// predicted_step_tolerance` with `r = max(‖p‖ / ‖sₖ‖, ‖sₖ‖ / ‖sₖ₋₁‖, ‖gₖ‖ / ‖gₖ₋₁‖,
/// ‖gₖ₋₁‖ / ‖gₖ₋₂‖) < 1` (`sₖ = xₖ − xₖ₋₁`, `gₖ = ∇f(xₖ)`). It saves the evaluation that
/// would only confirm convergence; set it to `0` to stop on the gradient instead.
///
/// A tolerance of `0` disables its test. The defaults locate minima to about `1e-7` or better.
///
/// ```
/// use nabla_optimize::Options;
/// let options = Options { gradient_tolerance: 1e-6, trace: true, ..Options::default() };
/// assert!(options.validate().is_ok());
/// let bad = Options { max_iterations: 0, ..Options::default() };
/// assert!(bad.validate().unwrap_err().to_string().contains("max_iterations"));
///
/// // From JSON (e.g. a configuration file); missing fields keep their defaults.
/// let parsed: Options = serde_json::from_str(r#"{"max_iterations": 50}"#).unwrap();
/// assert_eq!(parsed, Options { max_iterations: 50, ..Options::default() });
/// assert!(serde_json::from_str::<Options>(r#"{"max_iter": 50}"#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    /// Stop when `‖∇f‖₂` falls to this (default `1e-8`).
    pub gradient_tolerance: f64,
    /// Stop when a step is this short relative to `max(1, ‖x‖)` (default `1e-14`).
    pub step_tolerance: f64,
    /// Stop when `f` changes by this little relative to `max(|f|, 1)` (default `1e-15`).
    pub relative_tolerance: f64,
    /// Newton and quasi-Newton methods stop when the distance to the minimum estimated from the
    /// step they would try next is this short (default `1e-7`; see above).
    pub predicted_step_tolerance: f64,
    /// Stop after this many iterations (default `10_000`); must be at least 1.
    pub max_iterations: usize,
    /// Stop before the function would be evaluated more than this many times, the start point
    /// included (default `1_000_000`); must be at least 1.
    pub max_evaluations: usize,
    /// An accepted iterate with `|f| > divergence_bound` or some `|xᵢ| > divergence_bound` ends the run
    /// with [`OptimizeError::Diverged`] (default `1e100`).
    pub divergence_bound: f64,
    /// Keep every iterate in [`Solution::trace`] (default `false`).
    pub trace: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            gradient_tolerance: 1e-8,
            step_tolerance: 1e-14,
            relative_tolerance: 1e-15,
            predicted_step_tolerance: 1e-7,
            max_iterations: 10_000,
            max_evaluations: 1_000_000,
            divergence_bound: 1e100,
            trace: false,
        }
    }
}

impl Options {
    /// Checks every field, naming the first one that is out of range.
    pub fn validate(&self) -> Result<(), OptimizeError> {
        let tolerances = [
            ("gradient_tolerance", self.gradient_tolerance),
            ("step_tolerance", self.step_tolerance),
            ("relative_tolerance", self.relative_tolerance),
            ("predicted_step_tolerance", self.predicted_step_tolerance),
        ];
        for (name, value) in tolerances {
            require(
                value >= 0.0 && value.is_finite(),
                name,
                value,
                "must be finite and non-negative",
            )?;
        }
        require(
            self.max_iterations > 0,
            "max_iterations",
            self.max_iterations,
            "must be at least 1",
        )?;
        require(
            self.max_evaluations > 0,
            "max_evaluations",
            self.max_evaluations,
            "must be at least 1",
        )?;
        require(
            self.divergence_bound > 0.0,
            "divergence_bound",
            self.divergence_bound,
            "must be positive",
        )
    }
}

/// Why a run stopped. The first three mean convergence; see [`StopReason::converged`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The gradient norm fell below [`Options::gradient_tolerance`].
    GradientNorm,
    /// The step fell below [`Options::step_tolerance`].
    StepSize,
    /// The change in `f` fell below [`Options::relative_tolerance`].
    RelativeChange,
    /// The distance to the minimum estimated from the next (quasi-)Newton step fell below
    /// [`Options::predicted_step_tolerance`].
    PredictedStep,
    /// The line search found no acceptable step: `f` cannot be decreased along the search direction
    /// at the working precision (typically right at a minimum, with a gradient norm still above a
    /// very tight tolerance).
    LineSearchFailed,
    /// [`Options::max_iterations`] iterations were done.
    MaxIterations,
    /// [`Options::max_evaluations`] evaluations were spent.
    MaxEvaluations,
}

impl StopReason {
    /// The stable lower-case name used in JSON and on the command line.
    ///
    /// ```
    /// use nabla_optimize::StopReason;
    /// assert_eq!(StopReason::GradientNorm.as_str(), "gradient_norm");
    /// assert_eq!(serde_json::to_string(&StopReason::MaxEvaluations).unwrap(), "\"max_evaluations\"");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::GradientNorm => "gradient_norm",
            StopReason::StepSize => "step_size",
            StopReason::RelativeChange => "relative_change",
            StopReason::PredictedStep => "predicted_step",
            StopReason::LineSearchFailed => "line_search_failed",
            StopReason::MaxIterations => "max_iterations",
            StopReason::MaxEvaluations => "max_evaluations",
        }
    }

    /// Whether the run stopped because a convergence test passed (rather than a limit or a failure).
    pub fn converged(self) -> bool {
        matches!(
            self,
            StopReason::GradientNorm
                | StopReason::StepSize
                | StopReason::RelativeChange
                | StopReason::PredictedStep
        )
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many times the objective was asked for each quantity. A value-and-gradient call counts one
/// `function` and one `gradient` evaluation (scipy's `nfev`/`njev` convention).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Evaluations {
    pub function: usize,
    pub gradient: usize,
    pub hessian: usize,
}

/// One accepted point of a run, as given to observers and kept in traces.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Iterate {
    /// `0` for the start point.
    pub iteration: usize,
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient_norm: f64,
    /// Counters when this point was accepted.
    pub evaluations: Evaluations,
}

impl fmt::Display for Iterate {
    /// A one-line progress report, e.g. for a command line's live status line.
    ///
    /// ```
    /// use nabla_optimize::{Evaluations, Iterate};
    /// let it = Iterate {
    ///     iteration: 12,
    ///     x: vec![1.0, 2.0],
    ///     value: 0.00125,
    ///     gradient_norm: 0.5,
    ///     evaluations: Evaluations { function: 15, gradient: 15, hessian: 0 },
    /// };
    /// assert_eq!(it.to_string(), "iteration 12: f = 1.250000e-3, |grad f| = 5.000e-1, 15 evaluations");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "iteration {}: f = {:.6e}, |grad f| = {:.3e}, {} evaluations",
            self.iteration, self.value, self.gradient_norm, self.evaluations.function
        )
    }
}

/// The outcome of a run that did not fail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solution {
    /// The last accepted point.
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    /// `‖∇f(x)‖₂`.
    pub gradient_norm: f64,
    pub iterations: usize,
    pub evaluations: Evaluations,
    pub stopped_by: StopReason,
    /// Every accepted iterate, the start included, when [`Options::trace`] is set.
    pub trace: Option<Vec<Iterate>>,
}

impl Solution {
    /// The trace as CSV with header `iteration,f,gradient_norm,evaluations,x0,x1,…` (empty when no
    /// trace was recorded).
    ///
    /// ```
    /// use nabla_optimize::{Bfgs, FnObjective, Minimizer, Options};
    /// let mut f = FnObjective::new(1, |x: &[f64], g: &mut [f64]| {
    ///     g[0] = 2.0 * (x[0] - 1.0);
    ///     (x[0] - 1.0).powi(2)
    /// });
    /// let options = Options { trace: true, ..Options::default() };
    /// let solution = Bfgs::default().minimize(&mut f, &[3.0], &options).unwrap();
    /// let csv = solution.trace_csv();
    /// assert!(csv.starts_with("iteration,f,gradient_norm,evaluations,x0\n0,4,4,1,3\n"));
    /// ```
    pub fn trace_csv(&self) -> String {
        let Some(trace) = &self.trace else {
            return String::new();
        };
        let mut out = String::from("iteration,f,gradient_norm,evaluations");
        for i in 0..self.x.len() {
            out.push_str(&format!(",x{i}"));
        }
        out.push('\n');
        for it in trace {
            out.push_str(&format!(
                "{},{},{},{}",
                it.iteration, it.value, it.gradient_norm, it.evaluations.function
            ));
            for v in &it.x {
                out.push_str(&format!(",{v}"));
            }
            out.push('\n');
        }
        out
    }
}
