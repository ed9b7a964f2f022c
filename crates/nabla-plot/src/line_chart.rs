//! Line charts of named (x, y) series, in one or more panels stacked over a shared x axis: the
//! shape of training curves (loss above, accuracy below) and of f with f'.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::contour::draw_title;
use crate::error::{PlotError, render_error};
use crate::geometry::{Pixel, Rect, clip_polyline, densify};
use crate::legend::{self, Entry, Legend, Swatch};
use crate::levels::format_significant;
use crate::output::Figure;
use crate::sampling::{Interval, LIMIT};
use crate::theme::{GRID, INK, SERIES_COLOURS, Theme};
use crate::ticks;

/// A named sequence of (x, y) points; non-finite points leave a gap in the line.
#[derive(Clone, Debug, PartialEq)]
struct Series {
    /// Shown in the legend; series of the same name share a colour across panels.
    name: String,
    /// The points, drawn in the given order.
    points: Vec<(f64, f64)>,
}

/// One chart area of a [`LineChart`]: its own y axis and series.
///
/// ```
/// use nabla_plot::Panel;
///
/// let loss = Panel::new("loss").log_y().series("train", vec![(1.0, 2.3), (2.0, 0.9), (3.0, 0.4)]);
/// let accuracy = Panel::new("accuracy").y_range(0.0..=1.0).series("train", vec![(1.0, 0.3), (2.0, 0.7)]);
/// # let _ = (loss, accuracy);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    y_label: String,
    series: Vec<Series>,
    log_y: bool,
    y_range: Option<RangeInclusive<f64>>,
    zero_line: bool,
}

impl Panel {
    /// An empty panel whose y axis is called `y_label`.
    pub fn new(y_label: impl Into<String>) -> Self {
        Panel {
            y_label: y_label.into(),
            series: Vec::new(),
            log_y: false,
            y_range: None,
            zero_line: false,
        }
    }

    /// Adds a series.
    pub fn series(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.into(),
            points,
        });
        self
    }

    /// A logarithmic y axis (losses); points with y ≤ 0 are left out.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// A fixed y range instead of one fitted to the data (e.g. `0.0..=1.0` for accuracy); lines
    /// leaving it are clipped.
    pub fn y_range(mut self, range: RangeInclusive<f64>) -> Self {
        self.y_range = Some(range);
        self
    }

    /// Draws the line y = 0 (useful to see where a derivative changes sign).
    pub fn zero_line(mut self) -> Self {
        self.zero_line = true;
        self
    }

    /// Every y value of every series.
    pub(crate) fn series_points(&self) -> impl Iterator<Item = f64> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
    }

    /// The y interval shown: the fixed range, or the finite data padded by 5% (in log space
    /// for log axes).
    fn y_interval(&self) -> Result<Interval, PlotError> {
        let interval = self.fitted_y_interval()?;
        if self.log_y
            && !(interval.min > 0.0 && (interval.max / interval.min).log10() <= MAX_DECADES)
        {
            return Err(PlotError::InvalidInput(format!(
                "panel \"{}\": a log axis needs positive values spanning at most {MAX_DECADES} decades, got {}..{}",
                self.y_label, interval.min, interval.max
            )));
        }
        Ok(interval)
    }

    fn fitted_y_interval(&self) -> Result<Interval, PlotError> {
        if let Some(range) = &self.y_range {
            return Interval::new("y", range);
        }
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0.is_finite())
            .map(|p| p.1);
        let no_values = || PlotError::NoFiniteValues {
            what: format!("panel \"{}\"", self.y_label),
        };
        if self.log_y {
            let logs = Interval::enclosing(ys.filter(|&y| y > 0.0).map(f64::log10))
                .ok_or_else(no_values)?
                .padded(0.05);
            // Padding in log space can step past what f64 holds (10³³⁰); keep the ends normal.
            Ok(Interval {
                min: 10f64.powf(logs.min).max(f64::MIN_POSITIVE),
                max: 10f64.powf(logs.max).min(LIMIT),
            })
        } else {
            Ok(Interval::enclosing(ys).ok_or_else(no_values)?.padded(0.05))
        }
    }
}

/// Log axes spanning more decades than this are refused: nothing real needs them, and plotters'
/// tick search does not finish on a few hundred decades.
const MAX_DECADES: f64 = 100.0;

/// A chart of line series in one or more panels stacked vertically over a shared x axis.
///
/// ```
/// use nabla_plot::{LineChart, Panel, Picture};
///
/// let loss: Vec<(f64, f64)> = (1..=20).map(|e| (e as f64, 2.0 / e as f64)).collect();
/// let accuracy: Vec<(f64, f64)> = (1..=20).map(|e| (e as f64, 1.0 - 0.5 / e as f64)).collect();
/// let chart = LineChart::new("Training")
///     .x_label("epoch")
///     .panel(Panel::new("loss").log_y().series("train", loss))
///     .panel(Panel::new("accuracy").y_range(0.0..=1.0).series("train", accuracy));
/// let svg = chart.to_svg()?;
/// assert!(svg.contains("accuracy"));
/// # Ok::<(), nabla_plot::PlotError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    title: String,
    x_label: String,
    panels: Vec<Panel>,
    size: (u32, u32),
}

impl LineChart {
    /// An empty chart, 1000×750 pixels.
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: "x".into(),
            panels: Vec::new(),
            size: (1000, 750),
        }
    }

    /// Name of the shared x axis (default "x").
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Adds a panel below the existing ones.
    pub fn panel(mut self, panel: Panel) -> Self {
        self.panels.push(panel);
        self
    }

    /// Picture size in pixels (default 1000×750).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    fn x_interval(&self) -> Result<Interval, PlotError> {
        let xs = self
            .panels
            .iter()
            .flat_map(|p| p.series.iter())
            .flat_map(|s| s.points.iter())
            .filter(|p| p.1.is_finite())
            .map(|p| p.0);
        Ok(Interval::enclosing(xs)
            .ok_or_else(|| PlotError::NoFiniteValues {
                what: "the chart's series".into(),
            })?
            .padded(0.02))
    }

    /// Series colours by name, in order of first appearance, so "train" is the same colour in
    /// the loss and the accuracy panel.
    fn colours(&self) -> Result<HashMap<&str, RGBColor>, PlotError> {
        let mut colours: HashMap<&str, RGBColor> = HashMap::new();
        for series in self.panels.iter().flat_map(|p| p.series.iter()) {
            let next = colours.len();
            if !colours.contains_key(series.name.as_str()) {
                let colour = SERIES_COLOURS.get(next).ok_or_else(|| {
                    PlotError::InvalidInput(format!(
                        "more than {} differently named series cannot be told apart by colour",
                        SERIES_COLOURS.len()
                    ))
                })?;
                colours.insert(&series.name, *colour);
            }
        }
        Ok(colours)
    }
}

impl Figure for LineChart {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        if self.panels.is_empty() || self.panels.iter().any(|p| p.series.is_empty()) {
            return Err(PlotError::InvalidInput(
                "a line chart needs at least one panel, and every panel at least one series".into(),
            ));
        }
        let x = self.x_interval()?;
        let y_intervals = self
            .panels
            .iter()
            .map(Panel::y_interval)
            .collect::<Result<Vec<_>, _>>()?;
        let colours = self.colours()?;
        let theme = Theme::for_size(root.dim_in_pixel());

        root.fill(&WHITE).map_err(render_error)?;
        let body = draw_title(root, &self.title, &theme)?;
        let areas = body.split_evenly((self.panels.len(), 1));
        for (k, ((panel, y), area)) in self.panels.iter().zip(y_intervals).zip(&areas).enumerate() {
            let job = PanelJob {
                panel,
                x,
                y,
                colours: &colours,
                x_label: (k + 1 == self.panels.len()).then_some(self.x_label.as_str()),
                theme: &theme,
            };
            if panel.log_y {
                job.draw(area, (y.min..y.max).log_scale())?;
            } else {
                job.draw(area, y.min..y.max)?;
            }
        }
        Ok(())
    }
}

/// Tick density and labels of a log axis over `y`. Over a few decades plotters is asked for
/// ticks at every 1…9 × 10ᵏ (drawn as grid lines, like log paper) and only 1, 2, 5 × 10ᵏ (or
/// only powers of ten, from two decades on) are labelled; wider ranges get powers of ten only.
fn log_ticks(y: Interval) -> (usize, impl Fn(&f64) -> String) {
    let decades = (y.max / y.min).log10();
    let whole = decades.floor().max(1.0) as usize;
    let dense = decades <= 3.0;
    let labelled: &'static [f64] = if decades < 2.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let count = if dense { 10 * whole + 1 } else { 8 };
    let format = move |v: &f64| {
        let mantissa = v / 10f64.powf(v.log10().floor());
        let shown = !dense || labelled.iter().any(|m| (mantissa - m).abs() < 1e-6 * m);
        if shown {
            format_significant(*v)
        } else {
            String::new()
        }
    };
    (count, format)
}

/// Breaks a line (with a NaN point) where it jumps from above the plot to below it or back in a
/// single step: across a pole such as 1/x at 0, where joining the two sides would draw a
/// vertical line the function does not have.
fn break_at_poles(points: &[Pixel], bounds: Rect) -> Vec<Pixel> {
    let mut out = Vec::with_capacity(points.len());
    for (k, &p) in points.iter().enumerate() {
        if let Some(&q) = k.checked_sub(1).map(|j| &points[j]) {
            let jumps =
                (q.1 < bounds.y0 && p.1 > bounds.y1) || (q.1 > bounds.y1 && p.1 < bounds.y0);
            if jumps {
                out.push((f64::NAN, f64::NAN));
            }
        }
        out.push(p);
    }
    out
}

/// Everything one panel needs to draw itself.
struct PanelJob<'a> {
    panel: &'a Panel,
    x: Interval,
    y: Interval,
    colours: &'a HashMap<&'a str, RGBColor>,
    /// The x axis title, on the bottom panel only.
    x_label: Option<&'a str>,
    theme: &'a Theme,
}

impl PanelJob<'_> {
    /// Draws the panel with the y coordinate `y_coord` (linear or logarithmic).
    fn draw<DB, Y>(&self, area: &DrawingArea<DB, Shift>, y_coord: Y) -> Result<(), PlotError>
    where
        DB: DrawingBackend,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let theme = self.theme;
        let mut chart = ChartBuilder::on(area)
            .margin_top(theme.px(8.0))
            .margin_right(theme.px(30.0))
            .margin_left(theme.px(10.0))
            .x_label_area_size(theme.px(if self.x_label.is_some() { 62.0 } else { 36.0 }))
            .y_label_area_size(theme.px(80.0))
            .build_cartesian_2d(self.x.min..self.x.max, y_coord)
            .map_err(render_error)?;
        let log = self.panel.log_y.then(|| log_ticks(self.y));
        let x_ticks = ticks::formatter(self.x, 10);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_label.unwrap_or(""))
            .y_desc(self.panel.y_label.as_str())
            .x_labels(10)
            .y_labels(log.as_ref().map_or(8, |(count, _)| *count))
            .max_light_lines(0)
            .bold_line_style(ShapeStyle::from(&GRID).stroke_width(theme.stroke(1.0)))
            .label_style(theme.tick_font())
            .axis_desc_style(theme.axis_label_font())
            .axis_style(ShapeStyle::from(&INK).stroke_width(theme.stroke(1.0)))
            .set_all_tick_mark_size(theme.px(6.0))
            .x_label_formatter(&x_ticks);
        let y_ticks;
        if let Some((_, log_labels)) = &log {
            mesh.y_label_formatter(log_labels);
        } else {
            y_ticks = ticks::formatter(self.y, 8);
            mesh.y_label_formatter(&y_ticks);
        }
        mesh.draw().map_err(render_error)?;

        let (px, py) = chart.plotting_area().get_pixel_range();
        let origin = (f64::from(px.start), f64::from(py.start));
        let to_pixel = |p: &(f64, f64)| -> Pixel {
            let (bx, by) = chart.backend_coord(p);
            (f64::from(bx) - origin.0, f64::from(by) - origin.1)
        };
        let plot = chart.plotting_area().strip_coord_spec();
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: f64::from(px.end - px.start),
            y1: f64::from(py.end - py.start),
        };
        if self.panel.zero_line && self.y.min < 0.0 && self.y.max > 0.0 {
            let line = [to_pixel(&(self.x.min, 0.0)), to_pixel(&(self.x.max, 0.0))];
            legend::draw_line(
                &plot,
                &line,
                RGBColor(0x88, 0x88, 0x88),
                theme.stroke(1.0),
                false,
            )?;
        }
        let drawable = |p: &&(f64, f64)| {
            p.0.is_finite() && p.1.is_finite() && (!self.panel.log_y || p.1 > 0.0)
        };
        let mut crowd: Vec<Pixel> = Vec::new();
        let mut entries = Vec::new();
        for series in &self.panel.series {
            let colour = self.colours[series.name.as_str()];
            let pixels: Vec<Pixel> = series
                .points
                .iter()
                .map(|p| {
                    if drawable(&p) {
                        to_pixel(p)
                    } else {
                        (f64::NAN, f64::NAN)
                    }
                })
                .collect();
            let pixels = break_at_poles(&pixels, bounds);
            for piece in clip_polyline(&bounds, &pixels) {
                legend::draw_line(&plot, &piece, colour, theme.stroke(2.2), false)?;
                crowd.extend(densify(&piece, 4.0));
            }
            // Few points are worth marking individually (one per epoch, say).
            let shown: Vec<Pixel> = pixels
                .iter()
                .copied()
                .filter(|&p| bounds.contains(p))
                .collect();
            if shown.len() <= 60 {
                for &p in &shown {
                    plot.draw(&Circle::new(
                        crate::geometry::to_backend(p),
                        theme.px(3.2),
                        colour.filled(),
                    ))
                    .map_err(render_error)?;
                }
            }
            entries.push(Entry {
                name: series.name.clone(),
                swatch: Swatch::Line {
                    colour,
                    halo: false,
                },
            });
        }
        if let Some(legend) = Legend::layout(&plot, entries, &crowd, theme)? {
            legend.draw(&plot, theme)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Picture;
    use crate::output::tests::{ScratchDir, png_size};

    fn training() -> LineChart {
        let epochs = 1..=30;
        let loss = |scale: f64| {
            epochs
                .clone()
                .map(|e| (f64::from(e), scale * 2.0 / f64::from(e)))
                .collect::<Vec<_>>()
        };
        let acc = |top: f64| {
            epochs
                .clone()
                .map(|e| (f64::from(e), top - 0.5 / f64::from(e)))
                .collect::<Vec<_>>()
        };
        LineChart::new("Training")
            .x_label("epoch")
            .panel(
                Panel::new("loss")
                    .log_y()
                    .series("train", loss(1.0))
                    .series("validation", loss(1.3)),
            )
            .panel(
                Panel::new("accuracy")
                    .y_range(0.0..=1.0)
                    .series("train", acc(0.99))
                    .series("validation", acc(0.95)),
            )
    }

    #[test]
    fn training_chart_has_titles_axes_and_legends() {
        let svg = training().to_svg().unwrap();
        for text in ["Training", "epoch", "loss", "accuracy"] {
            assert!(svg.contains(&format!("\n{text}\n")), "{text}");
        }
        // One legend per panel, each naming both series.
        assert_eq!(svg.matches("\ntrain\n").count(), 2);
        assert_eq!(svg.matches("\nvalidation\n").count(), 2);
        // Thirty epochs are marked point by point: 4 series × 30 circles.
        assert_eq!(svg.matches("<circle").count(), 120);
    }

    #[test]
    fn training_chart_png() {
        let dir = ScratchDir::new("training");
        let path = dir.join("training.png");
        training().size(800, 600).save(&path).unwrap();
        assert_eq!(png_size(&std::fs::read(&path).unwrap()), (800, 600));
    }

    #[test]
    fn non_finite_points_leave_gaps() {
        let points = vec![
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, f64::NAN),
            (3.0, 2.0),
            (4.0, 1.0),
        ];
        let one = LineChart::new("")
            .panel(Panel::new("y").series("s", points))
            .to_svg()
            .unwrap();
        let pieces = one.matches("<polyline").count();
        let whole = LineChart::new("")
            .panel(
                Panel::new("y").series("s", vec![(0.0, 1.0), (1.0, 2.0), (3.0, 2.0), (4.0, 1.0)]),
            )
            .to_svg()
            .unwrap();
        assert_eq!(pieces, whole.matches("<polyline").count() + 1);
    }

    #[test]
    fn log_axes_label_round_values_only() {
        let (count, format) = log_ticks(Interval {
            min: 0.03,
            max: 2.5,
        });
        assert!(count > 10);
        assert_eq!(format(&0.05), "0.05");
        assert_eq!(format(&0.1), "0.1");
        assert_eq!(format(&0.3), "");
        assert_eq!(format(&2.0), "2");
        let (_, wide) = log_ticks(Interval {
            min: 0.01,
            max: 3.0,
        });
        assert_eq!(wide(&0.01), "0.01");
        assert_eq!(wide(&0.02), "");
    }

    #[test]
    fn poles_break_lines() {
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 100.0,
            y1: 100.0,
        };
        let jump = break_at_poles(
            &[(10.0, 50.0), (20.0, -500.0), (30.0, 600.0), (40.0, 50.0)],
            bounds,
        );
        assert_eq!(jump.len(), 5);
        assert!(jump[2].0.is_nan());
        let smooth = break_at_poles(&[(10.0, 50.0), (20.0, 60.0)], bounds);
        assert_eq!(smooth.len(), 2);
    }

    #[test]
    fn bad_charts_are_errors() {
        assert!(matches!(
            LineChart::new("t").to_svg(),
            Err(PlotError::InvalidInput(_))
        ));
        assert!(matches!(
            LineChart::new("t").panel(Panel::new("y")).to_svg(),
            Err(PlotError::InvalidInput(_))
        ));
        let negative = LineChart::new("t").panel(
            Panel::new("loss")
                .log_y()
                .series("s", vec![(0.0, -1.0), (1.0, 0.0)]),
        );
        assert!(matches!(
            negative.to_svg(),
            Err(PlotError::NoFiniteValues { .. })
        ));
        let nan = LineChart::new("t").panel(Panel::new("y").series("s", vec![(f64::NAN, 1.0)]));
        assert!(matches!(
            nan.to_png(),
            Err(PlotError::NoFiniteValues { .. })
        ));
        let bad_range = LineChart::new("t").panel(
            Panel::new("y")
                .y_range(1.0..=1.0)
                .series("s", vec![(0.0, 1.0)]),
        );
        assert!(matches!(
            bad_range.to_svg(),
            Err(PlotError::InvalidRange { .. })
        ));
    }
}

#[cfg(test)]
mod extreme_tests {
    use super::*;
    use crate::function_chart::FunctionChart;
    use crate::output::Picture;

    #[test]
    fn extreme_values_do_not_panic() {
        let huge = LineChart::new("huge")
            .panel(Panel::new("y").series("s", vec![(0.0, 1.7e308), (1.0, -1.7e308), (2.0, 0.0)]));
        let tiny_x = LineChart::new("tiny").panel(
            Panel::new("y")
                .log_y()
                .series("s", vec![(0.0, 1e-30), (1e-300, 1e30)]),
        );
        for chart in [huge, tiny_x] {
            let svg = chart.to_svg().unwrap();
            assert!(!svg.contains("NaN"));
        }
        let too_many_decades = LineChart::new("t").panel(
            Panel::new("y")
                .log_y()
                .series("s", vec![(0.0, 1e-300), (1.0, 1e300)]),
        );
        assert!(matches!(
            too_many_decades.to_svg(),
            Err(PlotError::InvalidInput(_))
        ));
        let overflowing = FunctionChart::new(f64::exp, 0.0..=1000.0).derivative(f64::exp);
        assert!(overflowing.to_svg().is_ok());
    }
}
