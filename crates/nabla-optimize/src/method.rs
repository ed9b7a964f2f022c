//! [`Method`]: every minimiser behind one enum, chosen by its stable lower-case name (for command
//! lines and configuration files).

use std::fmt;
use std::str::FromStr;

use crate::driver::{Minimizer, Observer};
use crate::error::OptimizeError;
use crate::first_order::GradientDescent;
use crate::newton::Newton;
use crate::objective::Objective;
use crate::quasi_newton::{Bfgs, Lbfgs};
use crate::stop::{Options, Solution};
use crate::update::{AdaGrad, Adam, Momentum, RmsProp, Sgd};

/// Any of the crate's minimisers, with its settings.
///
/// ```
/// use nabla_optimize::{FnObjective, Method, Minimizer, Options};
/// let mut f = FnObjective::new(1, |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * (x[0] - 2.0);
///     (x[0] - 2.0).powi(2)
/// })
/// .with_hessian(|_x: &[f64], h: &mut [f64]| h[0] = 2.0);
/// for name in Method::NAMES {
///     let method: Method = name.parse().unwrap();
///     assert_eq!(method.name(), *name);
///     let s = method.minimize(&mut f, &[0.0], &Options::default()).unwrap();
///     assert!((s.x[0] - 2.0).abs() < 1e-3, "{name}: {s:?}");
/// }
/// assert!("sgd2".parse::<Method>().unwrap_err().contains("bfgs"));
/// ```
#[derive(Clone, Debug)]
pub enum Method {
    /// Fixed-step gradient descent (`"gd"`).
    GradientDescent(Sgd<f64>),
    /// Gradient descent with Armijo backtracking (`"gd-armijo"`).
    Armijo(GradientDescent),
    /// Classical (`"momentum"`) or Nesterov (`"nesterov"`) momentum.
    Momentum(Momentum<f64>),
    AdaGrad(AdaGrad<f64>),
    RmsProp(RmsProp<f64>),
    Adam(Adam<f64>),
    Newton(Newton),
    Bfgs(Bfgs),
    Lbfgs(Lbfgs),
}

impl Method {
    /// The names [`Method::from_str`] accepts, which are also what [`Minimizer::name`] returns.
    pub const NAMES: &'static [&'static str] = &[
        "gd",
        "gd-armijo",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "newton",
        "newton-cholesky",
        "bfgs",
        "lbfgs",
    ];

    /// The method called `name` with a default learning rate for the first-order ones: `0.01`
    /// (`0.001` for the momentum methods, `0.1` for AdaGrad, `0.01` for RMSProp and Adam); use the
    /// variants directly to choose it.
    pub fn by_name(name: &str) -> Option<Method> {
        Some(match name {
            "gd" => Method::GradientDescent(Sgd::new(0.01)),
            "gd-armijo" => Method::Armijo(GradientDescent::default()),
            "momentum" => Method::Momentum(Momentum::new(0.001)),
            "nesterov" => Method::Momentum(Momentum::nesterov(0.001)),
            "adagrad" => Method::AdaGrad(AdaGrad::new(0.1)),
            "rmsprop" => Method::RmsProp(RmsProp::new(0.01)),
            "adam" => Method::Adam(Adam::new(0.01)),
            "newton" => Method::Newton(Newton::default()),
            "newton-cholesky" => Method::Newton(Newton::modified_cholesky()),
            "bfgs" => Method::Bfgs(Bfgs::default()),
            "lbfgs" => Method::Lbfgs(Lbfgs::default()),
            _ => return None,
        })
    }

    /// Sets the learning rate of a first-order update-rule method; returns `false` (changing nothing)
    /// for the methods that choose their own steps.
    pub fn set_learning_rate(&mut self, lr: f64) -> bool {
        use crate::update::UpdateRule;
        let rule: &mut dyn UpdateRule<f64> = match self {
            Method::GradientDescent(r) => r,
            Method::Momentum(r) => r,
            Method::AdaGrad(r) => r,
            Method::RmsProp(r) => r,
            Method::Adam(r) => r,
            Method::Armijo(_) | Method::Newton(_) | Method::Bfgs(_) | Method::Lbfgs(_) => {
                return false;
            }
        };
        rule.set_learning_rate(lr);
        true
    }

    fn minimizer(&self) -> &dyn Minimizer {
        match self {
            Method::GradientDescent(m) => m,
            Method::Armijo(m) => m,
            Method::Momentum(m) => m,
            Method::AdaGrad(m) => m,
            Method::RmsProp(m) => m,
            Method::Adam(m) => m,
            Method::Newton(m) => m,
            Method::Bfgs(m) => m,
            Method::Lbfgs(m) => m,
        }
    }
}

impl Minimizer for Method {
    fn name(&self) -> &'static str {
        self.minimizer().name()
    }
    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError> {
        self.minimizer()
            .minimize_observed(objective, x0, options, observer)
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Method::by_name(s).ok_or_else(|| {
            format!(
                "unknown method {s:?}; expected one of {}",
                Method::NAMES.join(", ")
            )
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
