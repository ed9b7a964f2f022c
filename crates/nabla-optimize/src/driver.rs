//! The machinery every method shares: the [`Minimizer`] trait, and [`Run`], which owns the current
//! iterate, counts and checks evaluations, applies the stopping rules, records the trace and calls the
//! observer. Methods only decide where to step next.

use crate::error::{OptimizeError, Quantity};
use crate::objective::Objective;
use crate::stop::{Evaluations, Iterate, Options, Solution, StopReason};

/// A callback shown every accepted iterate (the start point included), e.g. to print a progress line.
pub type Observer<'a> = &'a mut dyn FnMut(&Iterate);

/// A minimisation method.
///
/// ```
/// use nabla_optimize::{Bfgs, FnObjective, Minimizer, Options};
///
/// // Rosenbrock's banana from (-1.2, 1).
/// let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
///     let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
///     g[0] = -2.0 * a - 400.0 * x[0] * b;
///     g[1] = 200.0 * b;
///     a * a + 100.0 * b * b
/// });
/// let mut lines = 0;
/// let mut progress = |_: &nabla_optimize::Iterate| lines += 1;
/// let s = Bfgs::default()
///     .minimize_observed(&mut f, &[-1.2, 1.0], &Options::default(), Some(&mut progress))
///     .unwrap();
/// assert!((s.x[0] - 1.0).abs() < 1e-6 && (s.x[1] - 1.0).abs() < 1e-6);
/// assert!(s.stopped_by.converged());
/// assert_eq!(lines, s.iterations + 1);
/// ```
pub trait Minimizer {
    /// The method's stable lower-case name (`"bfgs"`, `"adam"`, …).
    fn name(&self) -> &'static str;

    /// Minimises `objective` from `x0`, calling `observer` on every accepted iterate.
    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError>;

    /// Minimises `objective` from `x0`.
    fn minimize(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
    ) -> Result<Solution, OptimizeError> {
        self.minimize_observed(objective, x0, options, None)
    }
}

/// Why a method's loop ended early: a stopping rule inside an evaluation (the evaluation budget), or an
/// error. Methods propagate it with `?`.
#[derive(Debug)]
pub(crate) enum Halt {
    Stop(StopReason),
    Fail(OptimizeError),
}

impl From<OptimizeError> for Halt {
    fn from(e: OptimizeError) -> Self {
        Halt::Fail(e)
    }
}

/// The state of one run. `x`, `value` and `gradient` are the last accepted iterate.
pub(crate) struct Run<'a> {
    objective: &'a mut dyn Objective,
    options: &'a Options,
    observer: Option<&'a mut dyn FnMut(&Iterate)>,
    trace: Option<Vec<Iterate>>,
    evaluations: Evaluations,
    iteration: usize,
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
    /// `‖∇f‖` at the last three accepted points, `[older, old, current]`.
    gradient_norms: [f64; 3],
}

pub(crate) fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four independent partial sums: a single running sum is bound by the latency of each addition,
    // which dominates the dense BFGS and Newton-CG products.
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0; 4];
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `out = H v` for the row-major `n × n` matrix `h`.
pub(crate) fn mat_vec(h: &[f64], v: &[f64], out: &mut [f64]) {
    for (o, row) in out.iter_mut().zip(h.chunks_exact(v.len())) {
        *o = dot(row, v);
    }
}

/// The distance to the minimum estimated from the length `next` of the step a method would take
/// next, the lengths of the two steps it took last (`[older, newer]`) and the gradient norms at the
/// last three iterates (`[older, old, current]`). For iterates that contract with ratio `r`,
/// `‖x − x*‖ ≤ next / (1 − r)`. `r` is the largest ratio observed lately: of the steps,
/// `next / newer` and `newer / older`, so that a single short step after a stall does not pass
/// for convergence; and of the gradient norms, `current / old` and `old / older`, which follow the
/// distance when the steps do not (an L-BFGS step that is short because its model misses the
/// direction of the remaining error leaves the gradient large). Without contraction (`r ≥ 1`)
/// there is no estimate (infinity). Infinite entries stand for steps or points not yet made.
pub(crate) fn estimated_distance(next: f64, steps: [f64; 2], gradient_norms: [f64; 3]) -> f64 {
    let [g0, g1, g2] = gradient_norms;
    // `f64::max` ignores the NaN of ∞/∞ (no history yet).
    let r = (next / steps[1])
        .max(steps[1] / steps[0])
        .max(g2 / g1)
        .max(g1 / g0);
    if r < 1.0 {
        next / (1.0 - r)
    } else {
        f64::INFINITY
    }
}

/// Runs `body` (a method's iteration loop) from `x0` and turns how it ended into a [`Solution`].
/// `body` returns the stop reason when a stopping rule fired in [`Run::accept`] or it gave up.
pub(crate) fn drive(
    objective: &mut dyn Objective,
    x0: &[f64],
    options: &Options,
    observer: Option<Observer<'_>>,
    body: impl FnOnce(&mut Run<'_>) -> Result<StopReason, Halt>,
) -> Result<Solution, OptimizeError> {
    options.validate()?;
    let n = objective.dimension();
    if x0.len() != n {
        return Err(OptimizeError::DimensionMismatch {
            expected: n,
            found: x0.len(),
        });
    }
    // Re-borrow to shorten the trait object's lifetime to the run's (no coercion inside `Option`).
    let observer: Option<&mut dyn FnMut(&Iterate)> = match observer {
        Some(o) => Some(o),
        None => None,
    };
    let mut run = Run {
        objective,
        options,
        observer,
        trace: options.trace.then(Vec::new),
        evaluations: Evaluations::default(),
        iteration: 0,
        x: x0.to_vec(),
        value: f64::NAN,
        gradient: vec![0.0; n],
        gradient_norms: [f64::INFINITY; 3],
    };
    let mut g = vec![0.0; n];
    let outcome = run.value_gradient(x0, &mut g).and_then(|f| {
        run.value = f;
        run.gradient = g;
        run.gradient_norms[2] = norm(&run.gradient);
        run.record();
        if run.gradient_norms[2] <= options.gradient_tolerance {
            Ok(StopReason::GradientNorm)
        } else {
            body(&mut run)
        }
    });
    match outcome {
        Ok(reason) | Err(Halt::Stop(reason)) => Ok(run.finish(reason)),
        Err(Halt::Fail(e)) => Err(e),
    }
}

impl Run<'_> {
    pub fn dimension(&self) -> usize {
        self.x.len()
    }

    fn spend(&mut self) -> Result<(), Halt> {
        if self.evaluations.function >= self.options.max_evaluations {
            return Err(Halt::Stop(StopReason::MaxEvaluations));
        }
        self.evaluations.function += 1;
        Ok(())
    }

    fn non_finite(&self, quantity: Quantity, index: Option<usize>, x: &[f64]) -> Halt {
        Halt::Fail(OptimizeError::NonFinite {
            quantity,
            iteration: self.iteration + usize::from(self.evaluations.function > 1),
            index,
            x: x.to_vec(),
        })
    }

    /// `f(x)` and `∇f(x)` into `g`, counted and checked.
    pub fn value_gradient(&mut self, x: &[f64], g: &mut [f64]) -> Result<f64, Halt> {
        self.spend()?;
        self.evaluations.gradient += 1;
        let f = self.objective.value_gradient(x, g);
        if !f.is_finite() {
            return Err(self.non_finite(Quantity::Value, None, x));
        }
        if let Some(i) = g.iter().position(|v| !v.is_finite()) {
            return Err(self.non_finite(Quantity::Gradient, Some(i), x));
        }
        Ok(f)
    }

    /// The Hessian at the current iterate into `h` (row-major `n × n`), counted and checked.
    pub fn hessian(&mut self, h: &mut [f64], method: &'static str) -> Result<(), Halt> {
        if !self.objective.hessian(&self.x, h) {
            return Err(Halt::Fail(OptimizeError::HessianUnavailable { method }));
        }
        self.evaluations.hessian += 1;
        if let Some(i) = h.iter().position(|v| !v.is_finite()) {
            return Err(self.non_finite(Quantity::Hessian, Some(i), &self.x));
        }
        Ok(())
    }

    /// Makes `(x, f, g)` the current iterate and applies the stopping rules. The buffers are swapped,
    /// not copied: afterwards `x` and `g` hold the previous iterate, which quasi-Newton updates need.
    pub fn accept(
        &mut self,
        x: &mut Vec<f64>,
        f: f64,
        g: &mut Vec<f64>,
    ) -> Result<Option<StopReason>, Halt> {
        std::mem::swap(&mut self.x, x);
        std::mem::swap(&mut self.gradient, g);
        let previous = std::mem::replace(&mut self.value, f);
        self.iteration += 1;
        self.record();

        let o = self.options;
        let max_abs_x = self.x.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        if f.abs() > o.divergence_bound || max_abs_x > o.divergence_bound {
            let iteration = self.iteration;
            return Err(Halt::Fail(OptimizeError::Diverged {
                iteration,
                value: f,
                max_abs_x,
            }));
        }
        let step = self
            .x
            .iter()
            .zip(x.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        let [_, older, old] = self.gradient_norms;
        self.gradient_norms = [older, old, norm(&self.gradient)];
        let reason = if self.gradient_norms[2] <= o.gradient_tolerance {
            Some(StopReason::GradientNorm)
        } else if step <= o.step_tolerance * norm(x).max(1.0) {
            Some(StopReason::StepSize)
        } else if self.negligible_change(previous, f) {
            Some(StopReason::RelativeChange)
        } else if self.iteration >= o.max_iterations {
            Some(StopReason::MaxIterations)
        } else {
            None
        };
        Ok(reason)
    }

    /// The predicted-step rule: [`estimated_distance`] from the step `p` a (quasi-)Newton method
    /// would try next (and the gradient norms of the run) is at most `predicted_step_tolerance`.
    pub fn negligible_predicted_step(&self, p: &[f64], steps: [f64; 2]) -> bool {
        estimated_distance(norm(p), steps, self.gradient_norms)
            <= self.options.predicted_step_tolerance
    }

    /// The relative-change rule: `|f_old − f_new| ≤ relative_tolerance · max(|f_old|, |f_new|, 1)`.
    pub fn negligible_change(&self, f_old: f64, f_new: f64) -> bool {
        let scale = f_old.abs().max(f_new.abs()).max(1.0);
        (f_old - f_new).abs() <= self.options.relative_tolerance * scale
    }

    fn iterate(&self) -> Iterate {
        Iterate {
            iteration: self.iteration,
            x: self.x.clone(),
            value: self.value,
            gradient_norm: norm(&self.gradient),
            evaluations: self.evaluations,
        }
    }

    fn record(&mut self) {
        if self.trace.is_none() && self.observer.is_none() {
            return;
        }
        let it = self.iterate();
        if let Some(observer) = self.observer.as_mut() {
            observer(&it);
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.push(it);
        }
    }

    fn finish(self, stopped_by: StopReason) -> Solution {
        Solution {
            gradient_norm: norm(&self.gradient),
            x: self.x,
            value: self.value,
            gradient: self.gradient,
            iterations: self.iteration,
            evaluations: self.evaluations,
            stopped_by,
            trace: self.trace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::{Adam, Sgd};
    use crate::{Bfgs, FnObjective, GradientDescent, Lbfgs, Method, problems};

    fn quadratic() -> impl Objective {
        FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0];
            g[1] = 4.0 * x[1];
            x[0] * x[0] + 2.0 * x[1] * x[1]
        })
    }

    #[test]
    fn wrong_start_length_is_an_error() {
        let e = Bfgs::default()
            .minimize(&mut quadratic(), &[1.0], &Options::default())
            .unwrap_err();
        assert_eq!(
            e,
            OptimizeError::DimensionMismatch {
                expected: 2,
                found: 1
            }
        );
        assert!(e.to_string().contains("1 components"));
    }

    #[test]
    fn non_finite_values_and_gradients_are_reported_with_where() {
        // f = -x, defined only up to x = 2.5: fixed steps of 1 reach x = 3 at iteration 3.
        let mut f = FnObjective::new(1, |x: &[f64], g: &mut [f64]| {
            g[0] = -1.0;
            if x[0] > 2.5 { f64::NAN } else { -x[0] }
        });
        let e = Sgd::new(1.0)
            .minimize(&mut f, &[0.0], &Options::default())
            .unwrap_err();
        let expected = OptimizeError::NonFinite {
            quantity: Quantity::Value,
            iteration: 3,
            index: None,
            x: vec![3.0],
        };
        assert_eq!(e, expected);
        assert_eq!(
            e.to_string(),
            "non-finite value at x = [3.0], while computing iteration 3"
        );

        let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
            g[0] = 1.0;
            g[1] = if x[0] == 0.0 { f64::INFINITY } else { 0.0 };
            x[0]
        });
        let e = Bfgs::default()
            .minimize(&mut f, &[0.0, 0.0], &Options::default())
            .unwrap_err();
        assert!(matches!(
            e,
            OptimizeError::NonFinite {
                quantity: Quantity::Gradient,
                iteration: 0,
                index: Some(1),
                ..
            }
        ));
        assert!(e.to_string().contains("component 1") && e.to_string().contains("start point"));
    }

    #[test]
    fn divergence_is_an_error_for_every_kind_of_method() {
        // Too large a fixed step on a quadratic: |x| doubles every iteration.
        let e = Sgd::new(1.5).minimize(&mut quadratic(), &[1.0, 1.0], &Options::default());
        assert!(matches!(e, Err(OptimizeError::Diverged { .. })), "{e:?}");
        // Unbounded below: f = x + y, every descent method runs to -∞.
        let mut plane = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
            g.fill(1.0);
            x[0] + x[1]
        });
        for method in ["gd-armijo", "bfgs", "lbfgs"] {
            let m: Method = method.parse().unwrap();
            let options = Options {
                divergence_bound: 1e12,
                ..Options::default()
            };
            let e = m.minimize(&mut plane, &[0.0, 0.0], &options).unwrap_err();
            assert!(
                matches!(e, OptimizeError::Diverged { .. }),
                "{method}: {e:?}"
            );
            assert!(e.to_string().starts_with("diverged at iteration"), "{e}");
        }
    }

    #[test]
    fn invalid_options_are_named() {
        let cases: [(Options, &str); 4] = [
            (
                Options {
                    gradient_tolerance: -1.0,
                    ..Options::default()
                },
                "gradient_tolerance",
            ),
            (
                Options {
                    relative_tolerance: f64::NAN,
                    ..Options::default()
                },
                "relative_tolerance",
            ),
            (
                Options {
                    max_evaluations: 0,
                    ..Options::default()
                },
                "max_evaluations",
            ),
            (
                Options {
                    divergence_bound: 0.0,
                    ..Options::default()
                },
                "divergence_bound",
            ),
        ];
        for (options, name) in cases {
            let e = Bfgs::default()
                .minimize(&mut quadratic(), &[1.0, 1.0], &options)
                .unwrap_err();
            assert!(
                matches!(e, OptimizeError::InvalidOption { name: n, .. } if n == name),
                "{e:?}"
            );
        }
        let e = Sgd::new(-0.1).minimize(&mut quadratic(), &[1.0, 1.0], &Options::default());
        assert!(e.unwrap_err().to_string().contains("learning_rate = -0.1"));
        let mut adam = Adam::new(0.1);
        adam.beta2 = 1.0;
        let e = adam.minimize(&mut quadratic(), &[1.0, 1.0], &Options::default());
        assert!(e.unwrap_err().to_string().contains("beta2"));
    }

    #[test]
    fn each_stopping_rule_reports_itself() {
        let start = [1.0, 1.0];
        let run = |m: &dyn Minimizer, o: Options| m.minimize(&mut quadratic(), &start, &o).unwrap();
        let off = Options {
            gradient_tolerance: 0.0,
            step_tolerance: 0.0,
            relative_tolerance: 0.0,
            predicted_step_tolerance: 0.0,
            ..Options::default()
        };

        // BFGS stops before the step that would land within 1e-7 of the minimum …
        let s = run(&Bfgs::default(), Options::default());
        assert_eq!(s.stopped_by, StopReason::PredictedStep);
        assert!(norm(&s.x) <= 1e-7, "{:?}", s.x);
        // … or, without that rule, takes it and finds a vanishing gradient.
        let s = run(
            &Bfgs::default(),
            Options {
                predicted_step_tolerance: 0.0,
                ..Options::default()
            },
        );
        assert_eq!(s.stopped_by, StopReason::GradientNorm);
        assert!(s.gradient_norm <= 1e-8);

        let s = run(
            &Sgd::new(0.1),
            Options {
                step_tolerance: 1e-6,
                ..off.clone()
            },
        );
        assert_eq!(s.stopped_by, StopReason::StepSize);

        let s = run(
            &Sgd::new(0.1),
            Options {
                relative_tolerance: 1e-9,
                ..off.clone()
            },
        );
        assert_eq!(s.stopped_by, StopReason::RelativeChange);

        let s = run(
            &Sgd::new(0.01),
            Options {
                max_iterations: 7,
                ..off.clone()
            },
        );
        assert_eq!((s.stopped_by, s.iterations), (StopReason::MaxIterations, 7));
        assert_eq!(s.evaluations.function, 8);

        let s = run(
            &GradientDescent::default(),
            Options {
                max_evaluations: 5,
                ..off.clone()
            },
        );
        assert_eq!(s.stopped_by, StopReason::MaxEvaluations);
        assert_eq!(s.evaluations.function, 5);
        // The reported point is the last accepted one, consistent with its value.
        let mut g = [0.0; 2];
        assert_eq!(quadratic().value_gradient(&s.x, &mut g), s.value);

        // With every tolerance off, BFGS runs into the limits of floating point.
        let s = run(&Bfgs::default(), off);
        assert_eq!(s.stopped_by, StopReason::LineSearchFailed, "{s:?}");
        assert!(!s.stopped_by.converged());
    }

    #[test]
    fn already_optimal_start_stops_at_once() {
        let s = Lbfgs::default()
            .minimize(&mut quadratic(), &[0.0, 0.0], &Options::default())
            .unwrap();
        assert_eq!(
            (s.iterations, s.evaluations.function, s.stopped_by),
            (0, 1, StopReason::GradientNorm)
        );
    }

    #[test]
    fn trace_and_observer_see_every_iterate() {
        let p = problems::rosenbrock(2);
        let mut seen = Vec::new();
        let mut observer = |it: &Iterate| seen.push((it.iteration, it.evaluations.function));
        let options = Options {
            trace: true,
            ..Options::default()
        };
        let s = Lbfgs::default()
            .minimize_observed(&mut p.objective(), &p.start, &options, Some(&mut observer))
            .unwrap();
        let trace = s.trace.as_ref().unwrap();
        assert_eq!(trace.len(), s.iterations + 1);
        assert_eq!(seen.len(), trace.len());
        for (k, (it, (iteration, evaluations))) in trace.iter().zip(&seen).enumerate() {
            assert_eq!((it.iteration, *iteration), (k, k));
            assert_eq!(it.evaluations.function, *evaluations);
        }
        assert!(
            trace.windows(2).all(|w| w[1].value < w[0].value),
            "line searches only descend"
        );
        assert_eq!(trace[0].x, p.start);
        assert_eq!(trace.last().unwrap().x, s.x);
        assert_eq!(s.trace_csv().lines().count(), trace.len() + 1);
    }

    #[test]
    fn distance_estimate_needs_sustained_contraction() {
        let no_gradients = [f64::INFINITY; 3];
        // L-BFGS on 100-D Rosenbrock: a short step after a stall, 1.3e-6 from the minimum.
        assert!(estimated_distance(6.58e-8, [3.10e-7, 2.97e-7], no_gradients) > 1e-6);
        // L-BFGS on 40-D Rosenbrock: a short step whose gradient norm had grown (1.19e-4 to
        // 2.03e-4) before it, 1.7e-6 from the minimum. The steps alone say 1e-7.
        let steps = [2.21e-6, 1.53e-7];
        assert!(estimated_distance(9e-9, steps, no_gradients) < 1e-8);
        let gradients = [1.19e-4, 2.03e-4, 3.12e-5];
        assert_eq!(estimated_distance(9e-9, steps, gradients), f64::INFINITY);
        // L-BFGS on Beale, superlinear: the next step is the distance left (6.1e-8).
        let d = estimated_distance(6.48e-8, [4.40e-4, 1.61e-5], no_gradients);
        assert!((6.48e-8..7e-8).contains(&d), "{d}");
        assert_eq!(
            estimated_distance(1.0, [1.0, 2.0], no_gradients),
            f64::INFINITY
        );
        assert_eq!(
            estimated_distance(1e-9, [f64::INFINITY; 2], no_gradients),
            1e-9
        );
    }

    proptest::proptest! {
        /// On a geometric sequence of steps and gradients the estimate is the exact remaining
        /// distance.
        #[test]
        fn distance_estimate_is_exact_for_geometric_steps(s in 1e-6..1e3f64, q in 0.01..0.99f64) {
            let exact = s * q * q / (1.0 - q);
            let d = estimated_distance(s * q * q, [s, s * q], [1.0, q, q * q]);
            proptest::prop_assert!((d - exact).abs() <= 1e-12 * exact, "{} vs {}", d, exact);
        }
    }

    #[test]
    fn stop_reasons_serialize_to_their_names() {
        use StopReason::*;
        for r in [
            GradientNorm,
            StepSize,
            RelativeChange,
            PredictedStep,
            LineSearchFailed,
            MaxIterations,
            MaxEvaluations,
        ] {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
            assert_eq!(r.to_string(), r.as_str());
        }
        let s = Bfgs::default()
            .minimize(&mut quadratic(), &[1.0, 1.0], &Options::default())
            .unwrap();
        let json: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(json["stopped_by"], "predicted_step");
        assert_eq!(json["evaluations"]["function"], s.evaluations.function);
    }
}
