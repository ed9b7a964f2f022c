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
use crate::error::{OptimizeError, require};
use crate::line_search::{Backtracking, along};
use crate::objective::Objective;
use crate::stop::{Options, Solution};
use crate::update::{AdaGrad, Adam, Momentum, RmsProp, Sgd, UpdateRule};

fn positive(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    require(
        v > 0.0 && v.is_finite(),
        name,
        v,
        "must be positive and finite",
    )
}

fn non_negative(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    require(
        v >= 0.0 && v.is_finite(),
        name,
        v,
        "must be non-negative and finite",
    )
}

/// A coefficient in `[0, 1)` (momentum, decay rates).
fn fraction(name: &'static str, v: f64) -> Result<(), OptimizeError> {
    require((0.0..1.0).contains(&v), name, v, "must be in [0, 1)")
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
                let step = match along(run, &p, &mut xt, &mut gt, &self.line_search, alpha)? {
                    Ok(step) => step,
                    Err(reason) => return Ok(reason),
                };
                alpha = 2.0 * step.alpha;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems;
    use crate::{FnObjective, Iterate};

    /// x² + 3xy + 5y² + x, minimum −5/11 at (−10/11, 3/11).
    fn tilted_bowl() -> impl Objective {
        FnObjective::new(2, |v: &[f64], g: &mut [f64]| {
            let (x, y) = (v[0], v[1]);
            g[0] = 2.0 * x + 3.0 * y + 1.0;
            g[1] = 3.0 * x + 10.0 * y;
            x * x + 3.0 * x * y + 5.0 * y * y + x
        })
    }
    const BOWL_MIN: [f64; 2] = [-10.0 / 11.0, 3.0 / 11.0];

    fn distance(x: &[f64]) -> f64 {
        x.iter()
            .zip(BOWL_MIN)
            .fold(0.0, |m, (a, b)| f64::max(m, (a - b).abs()))
    }

    #[test]
    fn adam_reaches_the_tilted_bowl_minimum() {
        let options = Options {
            max_iterations: 5000,
            ..Options::default()
        };
        let s = Adam::new(0.05)
            .minimize(&mut tilted_bowl(), &[3.0, 3.0], &options)
            .unwrap();
        assert!(distance(&s.x) < 1e-6, "{s:?}");
        assert!((s.value + 5.0 / 11.0).abs() < 1e-10);
        assert!(s.stopped_by.converged(), "{}", s.stopped_by);
    }

    #[test]
    fn fixed_step_and_momentum_methods_converge_on_the_bowl() {
        let options = Options {
            max_iterations: 5000,
            ..Options::default()
        };
        // The Hessian's eigenvalues are 1 and 11: with lr 0.08, plain steps contract the slow
        // direction by 0.92 per iteration, heavy ball with momentum 0.5 by about 0.77.
        let (mut heavy, mut nesterov) = (Momentum::new(0.08), Momentum::nesterov(0.08));
        heavy.momentum = 0.5;
        nesterov.momentum = 0.5;
        let methods: [&dyn Minimizer; 3] = [&Sgd::new(0.08), &heavy, &nesterov];
        let mut iterations = Vec::new();
        for m in methods {
            let s = m
                .minimize(&mut tilted_bowl(), &[3.0, 3.0], &options)
                .unwrap();
            let d = distance(&s.x);
            assert!(
                d < 1e-6 && s.stopped_by.converged(),
                "{}: {d:e} {}",
                m.name(),
                s.stopped_by
            );
            iterations.push(s.iterations);
        }
        assert!(
            iterations[1] < iterations[0] && iterations[2] < iterations[0],
            "{iterations:?}"
        );
    }

    #[test]
    fn adaptive_methods_make_progress() {
        // AdaGrad's and RMSProp's constant-lr steps do not settle exactly; ask for clear progress.
        let options = Options {
            max_iterations: 3000,
            ..Options::default()
        };
        let f0 = 3.0f64 * 3.0 + 27.0 + 45.0 + 3.0;
        for m in [&AdaGrad::new(0.5) as &dyn Minimizer, &RmsProp::new(0.01)] {
            let s = m
                .minimize(&mut tilted_bowl(), &[3.0, 3.0], &options)
                .unwrap();
            assert!(
                s.value + 5.0 / 11.0 < 1e-4 * (f0 + 5.0 / 11.0),
                "{}: {s:?}",
                m.name()
            );
            assert!(distance(&s.x) < 1e-2, "{}: {:?}", m.name(), s.x);
        }
    }

    #[test]
    fn armijo_descent_never_climbs_and_reaches_easy_minima() {
        let options = Options {
            trace: true,
            max_iterations: 20_000,
            ..Options::default()
        };
        // Beale's curved valley is slow for steepest descent: it stops on the relative change of f
        // a few 1e-6 away, so only progress is asked there.
        let cases = [
            (problems::booth(), 1e-6),
            (problems::matyas(), 1e-6),
            (problems::three_hump_camel(), 1e-6),
            (problems::beale(), 1e-4),
        ];
        for (p, accuracy) in cases {
            let s = GradientDescent::default().minimize(&mut p.objective(), &p.start, &options);
            let s = s.unwrap();
            let d = p.distance(&s.x);
            assert!(d < accuracy, "{}: {d:e} away, {}", p.name, s.stopped_by);
            let trace = s.trace.unwrap();
            assert!(
                trace.windows(2).all(|w| w[1].value <= w[0].value),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn line_searches_step_back_from_outside_the_domain() {
        // f = −ln x − ln(2 − x), minimum at 1, NaN outside (0, 2): the first trial step from 1.9
        // lands at −7.6.
        let mut barrier = FnObjective::new(1, |x: &[f64], g: &mut [f64]| {
            g[0] = -1.0 / x[0] + 1.0 / (2.0 - x[0]);
            -x[0].ln() - (2.0 - x[0]).ln()
        });
        let methods: [&dyn Minimizer; 3] = [
            &GradientDescent::default(),
            &crate::Bfgs::default(),
            &crate::Lbfgs::default(),
        ];
        for m in methods {
            let s = m
                .minimize(&mut barrier, &[1.9], &Options::default())
                .unwrap();
            assert!((s.x[0] - 1.0).abs() < 1e-8, "{}: {:?}", m.name(), s.x);
        }
        // Without a line search there is no stepping back: the error says where.
        let e = Sgd::new(1.0)
            .minimize(&mut barrier, &[1.9], &Options::default())
            .unwrap_err();
        assert!(
            e.to_string().starts_with("non-finite value at x = [-7.5"),
            "{e}"
        );
    }

    #[test]
    fn the_rule_state_starts_fresh_on_every_run() {
        let adam = Adam::new(0.05);
        let options = Options {
            max_iterations: 50,
            ..Options::default()
        };
        let mut first = Vec::new();
        let mut record = |it: &Iterate| first.push(it.value);
        adam.minimize_observed(&mut tilted_bowl(), &[3.0, 3.0], &options, Some(&mut record))
            .unwrap();
        let second = adam
            .minimize(&mut tilted_bowl(), &[3.0, 3.0], &options)
            .unwrap();
        assert_eq!(first.last().copied(), Some(second.value));
    }
}
