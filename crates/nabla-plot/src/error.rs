//! The one error type of the crate: everything that can stop a picture from being drawn.

use std::fmt;
use std::path::PathBuf;

/// Why a picture could not be drawn or written.
#[derive(Debug)]
pub enum PlotError {
    /// The output path has no extension or one that is neither `.svg` nor `.png`.
    UnsupportedFormat {
        /// The path that was asked for.
        path: PathBuf,
    },
    /// An axis range is empty, reversed, not finite or too narrow or wide to draw (for example
    /// `x` from 2 to 2).
    InvalidRange {
        /// Which axis: `"x"` or `"y"`.
        axis: &'static str,
        /// The lower end that was given.
        min: f64,
        /// The upper end that was given.
        max: f64,
    },
    /// The function (or data) gave no finite value anywhere in the plotted region.
    NoFiniteValues {
        /// What was being sampled, e.g. `"f(x, y)"` or `"series \"loss\""`.
        what: String,
    },
    /// A request that cannot be laid out, e.g. a 10-pixel-wide picture or a chart with no series.
    InvalidInput(String),
    /// Writing the output file failed.
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The drawing library or PNG encoder failed.
    Render(String),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::UnsupportedFormat { path } => write!(
                f,
                "cannot tell the picture format of `{}`: the file name must end in .svg or .png",
                path.display()
            ),
            PlotError::InvalidRange { axis, min, max } => write!(
                f,
                "the {axis} range {min}:{max} is empty or cannot be drawn: it needs finite ends \
                 with min < max, within ±1e307, and a width above 1e-12 of their size"
            ),
            PlotError::NoFiniteValues { what } => {
                write!(f, "{what} has no finite value in the plotted range")
            }
            PlotError::InvalidInput(message) => f.write_str(message),
            PlotError::Io { path, source } => {
                write!(f, "cannot write `{}`: {source}", path.display())
            }
            PlotError::Render(message) => write!(f, "drawing failed: {message}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Turns any error of the drawing library into [`PlotError::Render`]; plotters' errors are
/// generic over the backend, so their text is all that is worth keeping.
pub(crate) fn render_error(error: impl fmt::Display) -> PlotError {
    PlotError::Render(error.to_string())
}
