//! The crate's error type: what was wrong with the input, and where.

use std::fmt;

/// Why a differentiation request was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// Two inputs that must have the same length do not.
    LengthMismatch {
        /// The argument whose length is wrong.
        argument: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// A function returned a different number of outputs than at its first evaluation.
    OutputLengthChanged {
        /// Outputs at the first evaluation.
        expected: usize,
        /// Outputs now.
        found: usize,
    },
    /// A coordinate of the evaluation point is NaN or infinite.
    NonFinitePoint {
        /// The coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A finite-difference option is out of range.
    InvalidOption {
        /// The option.
        name: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// The function was not finite at any of the finite-difference points tried.
    NotFiniteNearPoint,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LengthMismatch {
                argument,
                expected,
                found,
            } => {
                write!(f, "`{argument}` has length {found}, expected {expected}")
            }
            Self::OutputLengthChanged { expected, found } => write!(
                f,
                "the function returned {found} outputs, but {expected} at its first evaluation"
            ),
            Self::NonFinitePoint { index, value } => {
                write!(
                    f,
                    "coordinate {index} of the point is {value}, expected a finite number"
                )
            }
            Self::InvalidOption { name, reason } => write!(f, "option `{name}` {reason}"),
            Self::NotFiniteNearPoint => write!(
                f,
                "the function is not finite at any finite-difference point near the given point"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// `Err(LengthMismatch)` unless `found == expected`.
pub(crate) fn check_len(
    argument: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            argument,
            expected,
            found,
        })
    }
}
