//! nabla's pictures: filled contour plots of f(x, y) with labelled contour lines, gradient arrows
//! and optimiser paths; charts of f and f' on one axis; line charts of training curves.
//!
//! Every figure is a builder; bring [`Picture`] into scope to render it with
//! [`save`](Picture::save) (format from the extension: `.svg` or `.png`),
//! [`to_svg`](Picture::to_svg) or [`to_png`](Picture::to_png). Figures take closures and data
//! only, so they work with any source of functions. Text uses an embedded DejaVu Sans: no system
//! fonts or libraries are needed.
//!
//! ```
//! use nabla_plot::{ContourPlot, Picture};
//!
//! let rosenbrock = |x: f64, y: f64| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
//! let png = ContourPlot::new(rosenbrock, -2.0..=2.0, -1.0..=3.0).title("Rosenbrock").to_png()?;
//! assert!(png.starts_with(b"\x89PNG"));
//! # Ok::<(), nabla_plot::PlotError>(())
//! ```

mod bitmap;
mod colorbar;
mod colormap;
mod contour;
mod contour_labels;
mod error;
mod font;
mod function_chart;
mod geometry;
mod legend;
mod levels;
mod line_chart;
mod marching;
mod output;
mod quiver;
mod sampling;
mod theme;
mod ticks;

pub use contour::ContourPlot;
pub use error::PlotError;
pub use function_chart::FunctionChart;
pub use levels::Levels;
pub use line_chart::{LineChart, Panel};
pub use output::{ImageFormat, Picture};
pub use quiver::ArrowScale;
