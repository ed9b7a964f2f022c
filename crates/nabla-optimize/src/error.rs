//! [`OptimizeError`]: why a run could not produce a [`crate::Solution`].

use std::fmt;

/// Which quantity of the objective was found non-finite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    Value,
    Gradient,
    Hessian,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantity::Value => "value",
            Quantity::Gradient => "gradient",
            Quantity::Hessian => "Hessian",
        })
    }
}

/// A run that failed, with what went wrong and where.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizeError {
    /// The start point's length differs from the objective's dimension.
    DimensionMismatch { expected: usize, found: usize },
    /// The objective returned NaN or ±∞ at `x`, met while computing iteration `iteration`
    /// (`0` = the start point). `index` is the offending component of the gradient or Hessian.
    /// Line searches first step back from such trial points; the update-rule methods cannot.
    NonFinite {
        quantity: Quantity,
        iteration: usize,
        index: Option<usize>,
        x: Vec<f64>,
    },
    /// An accepted iterate left [`crate::Options::divergence_bound`]: `f → ±∞` or `|x| → ∞`.
    Diverged {
        iteration: usize,
        value: f64,
        max_abs_x: f64,
    },
    /// A method or run option is out of range.
    InvalidOption {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    /// The method needs second derivatives and the objective has none.
    HessianUnavailable { method: &'static str },
}

/// `Ok` when `ok`, else the [`OptimizeError::InvalidOption`] naming the option: the one shape in
/// which every method, line search and [`crate::Options`] checks its parameters, so each check is a
/// single statement and the messages stay uniform.
pub(crate) fn require(
    ok: bool,
    name: &'static str,
    value: impl fmt::Display,
    reason: &'static str,
) -> Result<(), OptimizeError> {
    if ok {
        Ok(())
    } else {
        Err(OptimizeError::InvalidOption {
            name,
            value: value.to_string(),
            reason,
        })
    }
}

impl fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimizeError::DimensionMismatch { expected, found } => write!(
                f,
                "start point has {found} components but the objective has {expected} variables"
            ),
            OptimizeError::NonFinite {
                quantity,
                iteration,
                index,
                x,
            } => {
                write!(f, "non-finite {quantity}")?;
                if let Some(i) = index {
                    write!(f, " (component {i})")?;
                }
                write!(f, " at x = {x:?}, ")?;
                if *iteration == 0 {
                    write!(f, "the start point")
                } else {
                    write!(f, "while computing iteration {iteration}")
                }
            }
            OptimizeError::Diverged {
                iteration,
                value,
                max_abs_x,
            } => write!(
                f,
                "diverged at iteration {iteration}: f = {value:e}, max |x_i| = {max_abs_x:e}"
            ),
            OptimizeError::InvalidOption {
                name,
                value,
                reason,
            } => {
                write!(f, "invalid option {name} = {value}: {reason}")
            }
            OptimizeError::HessianUnavailable { method } => {
                write!(
                    f,
                    "{method} needs a Hessian and the objective provides none"
                )
            }
        }
    }
}

impl std::error::Error for OptimizeError {}
