//! First-order minimisers: every [`crate::update`] rule driven as a [`Minimizer`] (fixed-step gradient
//! descent is [`Sgd`], momentum and Nesterov are [`Momentum`], then [`AdaGrad`], [`RmsProp`],
//! [`Adam`]), and [`GradientDescent`], steepest descent with Armijo backtracking.
//!
//! The update-rule drivers use one gradient evaluation per iteration and no line search, so they can
//! climb: they stop on the same rules as every method, and on divergence with an error.
//!
//! ```
//! use nabla_optimize::update::Adam;
//! use nabla_optimize::{FnObjective, Minimizer, Options};
//!
//! let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
//!     g[0] = 2.0 * (x[0] - 1.0);
//!     g[1] = 20.0 * (x[1] + 2.0);
//!     (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2)
//! });
//! let s = Adam::new(0.05).minimize(&mut f, &[0.0, 0.0], &Options::default()).unwrap();
//! assert!((s.x[0] - 1.0).abs() < 1e-6 && (s.x[1] + 2.0).abs() < 1e-6);
//! ```

use crate::driver::{Minimizer, Observer, drive};
use crate::error::OptimizeError;
use crate::line_search::{Backtracking, along};
use crate::objective::Objective;
use crate::stop::{Options, Solution, StopReason};
use crate::update::{AdaGrad, Adam, Momentum, RmsProp, Sgd, UpdateRule};

fn positive(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(OptimizeError::invalid(
            name,
            v,
            "must be positive and finite",
        ))
    }
}

fn non_negative(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(OptimizeError::invalid(
            name,
            v,
            "must be non-negative and finite",
        ))
    }
}

/// A coefficient in `[0, 1)` (momentum, decay rates).
fn fraction(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(OptimizeError::invalid(name, v, "must be in [0, 1)"))
    }
}

/// An update rule usable as a minimiser: a name and a check of its hyper-parameters.
trait DrivenRule: UpdateRule<f64> + Clone {
    fn method_name(&self) -> &'static str;
    fn check(&self) -> Result<(), OptimizeError>;
}

impl DrivenRule for Sgd<f64> {
    fn method_name(&self) -> &'static str {
        "gd"
    }
    fn check(&self) -> Result<(), OptimizeError> {
        positive("learning_rate", self.lr)?;
        non_negative("weight_decay", self.weight_decay)
    }
}

impl DrivenRule for Momentum<f64> {
    fn method_name(&self) -> &'static str {
        if self.nesterov {
            "nesterov"
        } else {
            "momentum"
        }
    }
    fn check(&self) -> Result<(), OptimizeError> {
        positive("learning_rate", self.lr)?;
        fraction("momentum", self.momentum)?;
        fraction("dampening", self.dampening)?;
        non_negative("weight_decay", self.weight_decay)
    }
}

impl DrivenRule for AdaGrad<f64> {
    fn method_name(&self) -> &'static str {
        "adagrad"
    }
    fn check(&self) -> Result<(), OptimizeError> {
        positive("learning_rate", self.lr)?;
        non_negative("lr_decay", self.lr_decay)?;
        non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        positive("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }
}

impl DrivenRule for RmsProp<f64> {
    fn method_name(&self) -> &'static str {
        "rmsprop"
    }
    fn check(&self) -> Result<(), OptimizeError> {
        positive("learning_rate", self.lr)?;
        fraction("alpha", self.alpha)?;
        positive("eps", self.eps)?;
        fraction("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)
    }
}

impl DrivenRule for Adam<f64> {
    fn method_name(&self) -> &'static str {
        "adam"
    }
    fn check(&self) -> Result<(), OptimizeError> {
        positive("learning_rate", self.lr)?;
        fraction("beta1", self.beta1)?;
        fraction("beta2", self.beta2)?;
        positive("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)
    }
}

/// Runs a fresh copy of `rule`: step with the gradient at the current point, evaluate, accept.
fn drive_rule<R: DrivenRule>(
    rule: &R,
    objective: &mut dyn Objective,
    x0: &[f64],
    options: &Options,
    observer: Option<Observer<'_>>,
) -> Result<Solution, OptimizeError> {
    rule.check()?;
    let mut rule = rule.clone();
    rule.reset();
    drive(objective, x0, options, observer, |run| {
        let mut x = run.x.clone();
        let mut g = vec![0.0; run.dimension()];
        loop {
            x.copy_from_slice(&run.x);
            // One block whose length never changes, so the layout is always consistent.
            rule.step(&mut [&mut x[..]], &[&run.gradient[..]]);
            let f = run.value_gradient(&x, &mut g)?;
            if let Some(reason) = run.accept(&mut x, f, &mut g)? {
                return Ok(reason);
            }
        }
    })
}

macro_rules! rule_minimizer {
    ($($rule:ident),*) => {$(
        impl Minimizer for $rule<f64> {
            fn name(&self) -> &'static str {
                self.method_name()
            }
            fn minimize_observed(
                &self,
                objective: &mut dyn Objective,
                x0: &[f64],
                options: &Options,
                observer: Option<Observer<'_>>,
            ) -> Result<Solution, OptimizeError> {
                drive_rule(self, objective, x0, options, observer)
            }
        }
    )*};
}

rule_minimizer!(Sgd, Momentum, AdaGrad, RmsProp, Adam);

/// Steepest descent with Armijo backtracking: `p = −∇f`, first trial step `initial_step`, then twice
/// the previous accepted step, shrunk until `f` decreases enough. Never climbs.
///
/// ```
/// use nabla_optimize::{FnObjective, GradientDescent, Minimizer, Options};
/// let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * x[0];
///     g[1] = 8.0 * x[1];
///     x[0] * x[0] + 4.0 * x[1] * x[1]
/// });
/// let s = GradientDescent::default().minimize(&mut f, &[1.0, 1.0], &Options::default()).unwrap();
/// assert!(s.x.iter().all(|v| v.abs() < 1e-8));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradientDescent {
    /// The first trial step length multiplier (default `1`).
    pub initial_step: f64,
    pub line_search: Backtracking,
}

impl Default for GradientDescent {
    fn default() -> Self {
        GradientDescent {
            initial_step: 1.0,
            line_search: Backtracking::default(),
        }
    }
}

impl Minimizer for GradientDescent {
    fn name(&self) -> &'static str {
        "gd-armijo"
    }

    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError> {
        positive("initial_step", self.initial_step)?;
        self.line_search.validate()?;
        drive(objective, x0, options, observer, |run| {
            let n = run.dimension();
            let (mut xt, mut gt, mut p) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let mut alpha = self.initial_step;
            loop {
                for (p, g) in p.iter_mut().zip(&run.gradient) {
                    *p = -g;
                }
                let Some(step) = along(run, &p, &mut xt, &mut gt, &self.line_search, alpha)? else {
                    return Ok(StopReason::LineSearchFailed);
                };
                alpha = 2.0 * step.alpha;
                if let Some(reason) = run.accept(&mut xt, step.value, &mut gt)? {
                    return Ok(reason);
                }
            }
        })
    }
}
