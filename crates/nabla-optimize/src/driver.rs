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
    pub evaluations: Evaluations,
    pub iteration: usize,
    pub x: Vec<f64>,
    pub value: f64,
    pub gradient: Vec<f64>,
}

pub(crate) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
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
    };
    let mut g = vec![0.0; n];
    let start = run.value_gradient(x0, &mut g);
    let outcome = match start {
        Ok(f) => {
            run.value = f;
            run.gradient = g;
            run.record();
            if norm(&run.gradient) <= options.gradient_tolerance {
                Ok(StopReason::GradientNorm)
            } else {
                body(&mut run)
            }
        }
        Err(h) => Err(h),
    };
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
        let reason = if norm(&self.gradient) <= o.gradient_tolerance {
            Some(StopReason::GradientNorm)
        } else if step <= o.step_tolerance * norm(x).max(1.0) {
            Some(StopReason::StepSize)
        } else if (previous - f).abs()
            <= o.relative_tolerance * previous.abs().max(f.abs()).max(1.0)
        {
            Some(StopReason::RelativeChange)
        } else if self.iteration >= o.max_iterations {
            Some(StopReason::MaxIterations)
        } else {
            None
        };
        Ok(reason)
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
