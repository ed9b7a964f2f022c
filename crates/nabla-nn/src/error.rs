//! The one error type of the crate: every fallible public function returns [`NnError`].

use std::path::PathBuf;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// Two operands whose shapes do not fit the operation.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible ({detail})")]
    ShapeMismatch {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        detail: String,
    },
    /// An argument outside the operation's domain (an axis out of range, a class index too large, ...).
    #[error("{op}: {detail}")]
    InvalidArgument { op: &'static str, detail: String },
    /// A CSV file that cannot be read as a table of numbers.
    #[error("{}:{line}{}: {detail}", path.display(), column.as_ref().map(|c| format!(" column `{c}`")).unwrap_or_default())]
    Csv {
        path: PathBuf,
        /// 1-based line number in the file (the header is line 1).
        line: u64,
        column: Option<String>,
        detail: String,
    },
    /// A training configuration that cannot be run.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The training loss became NaN or infinite.
    #[error(
        "training diverged: loss is {loss} at epoch {epoch}, batch {batch} (try a smaller learning rate)"
    )]
    NonFiniteLoss {
        epoch: usize,
        batch: usize,
        loss: f32,
    },
    /// A saved model file that is not a model written by [`crate::save_model`].
    #[error("{}: not a valid nabla model: {detail}", path.display())]
    ModelFormat { path: PathBuf, detail: String },
    /// A file that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = NnError> = std::result::Result<T, E>;

impl NnError {
    pub(crate) fn shape(
        op: &'static str,
        lhs: &[usize],
        rhs: &[usize],
        detail: impl Into<String>,
    ) -> Self {
        NnError::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(op: &'static str, detail: impl Into<String>) -> Self {
        NnError::InvalidArgument {
            op,
            detail: detail.into(),
        }
    }
}
