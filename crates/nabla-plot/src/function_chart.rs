//! A function of one variable and its derivative on one chart: both sampled densely, with a
//! y range that ignores poles (1/x would otherwise flatten everything else to a line).

use std::ops::RangeInclusive;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PlotError;
use crate::line_chart::{LineChart, Panel};
use crate::output::Figure;
use crate::sampling::{Interval, LIMIT, quantile};

type RealFunction<'f> = Box<dyn Fn(f64) -> f64 + 'f>;

/// Points sampled per function: smooth at any picture width up to a few thousand pixels.
const SAMPLES: usize = 1201;

/// f and (optionally) f' over an interval, as two named lines with a legend.
///
/// ```
/// use nabla_plot::{FunctionChart, Picture};
///
/// let chart = FunctionChart::new(|x: f64| x.sin() * x, -6.0..=6.0)
///     .derivative(|x: f64| x.cos() * x + x.sin())
///     .names("f(x) = x sin x", "f'(x) = x cos x + sin x")
///     .title("x sin x and its derivative");
/// assert!(chart.to_svg()?.contains("x sin x and its derivative"));
/// # Ok::<(), nabla_plot::PlotError>(())
/// ```
pub struct FunctionChart<'f> {
    f: RealFunction<'f>,
    derivative: Option<RealFunction<'f>>,
    x: RangeInclusive<f64>,
    names: (String, String),
    title: String,
    x_label: String,
    size: (u32, u32),
}

impl<'f> FunctionChart<'f> {
    /// A chart of `f` over `x`, 1000×750 pixels.
    pub fn new(f: impl Fn(f64) -> f64 + 'f, x: RangeInclusive<f64>) -> Self {
        FunctionChart {
            f: Box::new(f),
            derivative: None,
            x,
            names: ("f(x)".into(), "f'(x)".into()),
            title: String::new(),
            x_label: "x".into(),
            size: (1000, 750),
        }
    }

    /// Also draws this derivative.
    pub fn derivative(mut self, derivative: impl Fn(f64) -> f64 + 'f) -> Self {
        self.derivative = Some(Box::new(derivative));
        self
    }

    /// Legend names of f and f' (default "f(x)" and "f'(x)").
    pub fn names(mut self, f: impl Into<String>, derivative: impl Into<String>) -> Self {
        self.names = (f.into(), derivative.into());
        self
    }

    /// The title above the chart.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Name of the x axis (default "x").
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Picture size in pixels (default 1000×750).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The sampled lines as a one-panel line chart.
    fn to_line_chart(&self) -> Result<LineChart, PlotError> {
        let x = Interval::new("x", &self.x)?;
        let sample = |g: &RealFunction<'f>| -> Vec<(f64, f64)> {
            x.linspace(SAMPLES).map(|t| (t, g(t))).collect()
        };
        let f_points = sample(&self.f);
        if !f_points.iter().any(|p| p.1.is_finite()) {
            return Err(PlotError::NoFiniteValues {
                what: self.names.0.clone(),
            });
        }
        let mut panel = Panel::new("y")
            .zero_line()
            .series(self.names.0.clone(), f_points);
        if let Some(derivative) = &self.derivative {
            panel = panel.series(self.names.1.clone(), sample(derivative));
        }
        let ys: Vec<f64> = panel_values(&panel);
        if let Some(range) = robust_range(ys) {
            panel = panel.y_range(range);
        }
        Ok(LineChart::new(self.title.clone())
            .x_label(self.x_label.clone())
            .panel(panel)
            .size(self.size.0, self.size.1))
    }
}

fn panel_values(panel: &Panel) -> Vec<f64> {
    panel.series_points().filter(|v| v.is_finite()).collect()
}

/// A y range that leaves out the far tails near poles: when the full range is more than ten
/// times wider than the central 96% of the values, show that central part (padded) instead.
/// `None` means the full range is fine.
fn robust_range(mut ys: Vec<f64>) -> Option<RangeInclusive<f64>> {
    if ys.len() < 10 {
        return None;
    }
    ys.sort_by(f64::total_cmp);
    let (low, high) = (quantile(&ys, 0.02), quantile(&ys, 0.98));
    let full = ys[ys.len() - 1] - ys[0];
    let central = high - low;
    (central > 0.0 && full > 10.0 * central).then(|| {
        let pad = 0.25 * central;
        (low - pad).max(-LIMIT)..=(high + pad).min(LIMIT)
    })
}

impl Figure for FunctionChart<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        self.to_line_chart()?.draw(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poles_are_cut_off_but_ordinary_ranges_are_kept() {
        let reciprocal: Vec<f64> = (1..=1000)
            .map(|k| 1.0 / ((k as f64 - 500.5) / 100.0))
            .collect();
        let range = robust_range(reciprocal).expect("1/x near 0 needs a cut");
        assert!(*range.end() < 100.0 && *range.start() > -100.0);
        let parabola: Vec<f64> = (0..1000)
            .map(|k| (k as f64 / 100.0 - 5.0).powi(2))
            .collect();
        assert_eq!(robust_range(parabola), None);
    }

    #[test]
    fn a_function_without_finite_values_is_an_error() {
        let chart = FunctionChart::new(|x: f64| (x - 10.0).ln(), 0.0..=1.0);
        assert!(matches!(
            chart.to_line_chart(),
            Err(PlotError::NoFiniteValues { .. })
        ));
        let empty = FunctionChart::new(|x| x, 2.0..=2.0);
        assert!(matches!(
            empty.to_line_chart(),
            Err(PlotError::InvalidRange { axis: "x", .. })
        ));
    }
}
