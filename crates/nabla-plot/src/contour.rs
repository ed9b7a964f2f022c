//! Filled contour plots of f(x, y): colour bands between contour levels, labelled contour lines,
//! a colour bar, optional gradient arrows and optional optimiser paths with a legend.

use std::ops::RangeInclusive;

use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::colormap::{band_colour, text_colour_on};
use crate::contour_labels::{self, Avoid};
use crate::error::{PlotError, render_error};
use crate::geometry::{Pixel, PixelMap, Rect, clip_polyline, cut_holes, densify, to_backend};
use crate::legend::{self, Entry, Legend, Marker, Swatch};
use crate::levels::{LevelSet, Levels};
use crate::marching::contour_lines;
use crate::output::Figure;
use crate::quiver::{self, Arrow, ArrowScale};
use crate::sampling::{Grid, Interval};
use crate::theme::{INK, PATH_COLOURS, Theme};
use crate::{colorbar, ticks};

type ScalarField<'f> = Box<dyn Fn(f64, f64) -> f64 + 'f>;
type VectorField<'f> = Box<dyn Fn(f64, f64) -> (f64, f64) + 'f>;

/// A named sequence of points in the plane, e.g. the iterates of an optimiser.
#[derive(Clone, Debug, PartialEq)]
struct Trajectory {
    /// Shown in the legend.
    name: String,
    /// The points in order; non-finite points break the drawn line.
    points: Vec<(f64, f64)>,
}

/// A filled contour plot of `f(x, y)` over a rectangle.
///
/// The picture shows colour bands between contour levels (chosen by [`Levels`]), the contour
/// lines with their values written on them, a colour bar, and optionally gradient arrows and
/// optimiser paths. Points where `f` is NaN or infinite are left blank.
///
/// ```
/// use nabla_plot::{ContourPlot, Picture};
///
/// let plot = ContourPlot::new(|x, y| x * x + 3.0 * x * y - 2.0 * y * y, -2.0..=2.0, -2.0..=2.0)
///     .title("f(x, y) = x² + 3xy − 2y²")
///     .gradient(|x, y| (2.0 * x + 3.0 * y, 3.0 * x - 4.0 * y))
///     .trajectory("a path", vec![(1.5, 1.5), (0.5, 1.0), (0.0, 0.2)]);
/// let svg = plot.to_svg()?;
/// assert!(svg.contains("x² + 3xy − 2y²"));
/// # Ok::<(), nabla_plot::PlotError>(())
/// ```
pub struct ContourPlot<'f> {
    f: ScalarField<'f>,
    x: RangeInclusive<f64>,
    y: RangeInclusive<f64>,
    title: String,
    x_label: String,
    y_label: String,
    value_label: String,
    levels: Levels,
    label_lines: bool,
    gradient: Option<VectorField<'f>>,
    arrow_scale: ArrowScale,
    trajectories: Vec<Trajectory>,
    size: (u32, u32),
}

impl<'f> ContourPlot<'f> {
    /// A contour plot of `f` over `x` × `y`, 1000×750 pixels, with automatic levels and
    /// labelled contour lines.
    pub fn new(
        f: impl Fn(f64, f64) -> f64 + 'f,
        x: RangeInclusive<f64>,
        y: RangeInclusive<f64>,
    ) -> Self {
        ContourPlot {
            f: Box::new(f),
            x,
            y,
            title: String::new(),
            x_label: "x".into(),
            y_label: "y".into(),
            value_label: "f(x, y)".into(),
            levels: Levels::Auto,
            label_lines: true,
            gradient: None,
            arrow_scale: ArrowScale::Auto,
            trajectories: Vec::new(),
            size: (1000, 750),
        }
    }

    /// The title above the plot.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Names of the two axes (default "x" and "y").
    pub fn axis_labels(mut self, x: impl Into<String>, y: impl Into<String>) -> Self {
        self.x_label = x.into();
        self.y_label = y.into();
        self
    }

    /// Name of the plotted quantity, written beside the colour bar (default "f(x, y)").
    pub fn value_label(mut self, label: impl Into<String>) -> Self {
        self.value_label = label.into();
        self
    }

    /// How contour levels are chosen (default [`Levels::Auto`]).
    pub fn levels(mut self, levels: Levels) -> Self {
        self.levels = levels;
        self
    }

    /// Whether contour lines carry their values (default true).
    pub fn label_lines(mut self, on: bool) -> Self {
        self.label_lines = on;
        self
    }

    /// Draws arrows of this gradient field on a coarse lattice.
    pub fn gradient(mut self, gradient: impl Fn(f64, f64) -> (f64, f64) + 'f) -> Self {
        self.gradient = Some(Box::new(gradient));
        self
    }

    /// How arrow lengths follow the gradient's magnitude (default [`ArrowScale::Auto`]).
    pub fn arrow_scale(mut self, scale: ArrowScale) -> Self {
        self.arrow_scale = scale;
        self
    }

    /// Adds a path (e.g. optimiser iterates), drawn in its own colour with a circle at the start,
    /// a star at the end and an entry in the legend.
    pub fn trajectory(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.trajectories.push(Trajectory {
            name: name.into(),
            points,
        });
        self
    }

    /// Picture size in pixels (default 1000×750).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// One entry per trajectory, then what the start and end markers mean.
    fn legend_entries(&self) -> Vec<Entry> {
        if self.trajectories.is_empty() {
            return Vec::new();
        }
        let neutral = RGBColor(0xee, 0xee, 0xee);
        let paths = self
            .trajectories
            .iter()
            .zip(PATH_COLOURS)
            .map(|(t, colour)| Entry {
                name: t.name.clone(),
                swatch: Swatch::Line { colour, halo: true },
            });
        let markers = [
            Entry {
                name: "start".into(),
                swatch: Swatch::Marker {
                    shape: Marker::Circle,
                    fill: neutral,
                },
            },
            Entry {
                name: "end".into(),
                swatch: Swatch::Marker {
                    shape: Marker::Star,
                    fill: neutral,
                },
            },
        ];
        paths.chain(markers).collect()
    }

    fn check_trajectories(&self) -> Result<(), PlotError> {
        if self.trajectories.len() > PATH_COLOURS.len() {
            return Err(PlotError::InvalidInput(format!(
                "{} trajectories given, at most {} can be told apart by colour",
                self.trajectories.len(),
                PATH_COLOURS.len()
            )));
        }
        for t in &self.trajectories {
            if !t.points.iter().any(|p| p.0.is_finite() && p.1.is_finite()) {
                return Err(PlotError::NoFiniteValues {
                    what: format!("trajectory \"{}\"", t.name),
                });
            }
        }
        Ok(())
    }
}

/// Lattice points per axis: about one per 3 pixels of a 1000-pixel-wide picture, fine enough that
/// bilinear fill and contour lines look smooth, coarse enough to keep the sampling cheap.
fn resolution(size: (u32, u32)) -> (usize, usize) {
    let n = |pixels: u32| (pixels as usize / 3).clamp(60, 400);
    (n(size.0), n(size.1))
}

impl Figure for ContourPlot<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let x = Interval::new("x", &self.x)?;
        let y = Interval::new("y", &self.y)?;
        self.check_trajectories()?;
        let (nx, ny) = resolution(self.size);
        let grid = Grid::sample(&self.f, x, y, nx, ny);
        let sorted = grid.sorted_finite_values();
        if sorted.is_empty() {
            return Err(PlotError::NoFiniteValues {
                what: "f(x, y)".into(),
            });
        }
        let levels = LevelSet::choose(&self.levels, &sorted)?;
        let theme = Theme::for_size(root.dim_in_pixel());

        root.fill(&WHITE).map_err(render_error)?;
        let body = draw_title(root, &self.title, &theme)?;
        let (width, _) = body.dim_in_pixel();
        let (main, side) = body.split_horizontally(width as i32 - theme.px(150.0));
        let mut chart = ChartBuilder::on(&main)
            .margin_top(theme.px(10.0))
            .margin_right(theme.px(10.0))
            .margin_left(theme.px(10.0))
            .margin_bottom(theme.px(6.0))
            .x_label_area_size(theme.px(62.0))
            .y_label_area_size(theme.px(72.0))
            .build_cartesian_2d(x.min..x.max, y.min..y.max)
            .map_err(render_error)?;
        let (x_ticks, y_ticks) = (ticks::formatter(x, 9), ticks::formatter(y, 9));
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&x_ticks)
            .y_label_formatter(&y_ticks)
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(9)
            .y_labels(9)
            .label_style(theme.tick_font())
            .axis_desc_style(theme.axis_label_font())
            .axis_style(ShapeStyle::from(&INK).stroke_width(theme.stroke(1.0)))
            .set_all_tick_mark_size(theme.px(6.0))
            .draw()
            .map_err(render_error)?;

        let (px_range, py_range) = chart.plotting_area().get_pixel_range();
        let plot = chart.plotting_area().strip_coord_spec();
        let (pw, ph) = plot.dim_in_pixel();
        let map = PixelMap {
            x,
            y,
            width: f64::from(pw),
            height: f64::from(ph),
        };

        let raster = fill_bands(&grid, &levels, &map, (pw, ph));
        let image = BitMapElement::with_ref((0, 0), (pw, ph), &raster)
            .ok_or_else(|| PlotError::Render("raster buffer has the wrong size".into()))?;
        plot.draw(&image).map_err(render_error)?;

        let arrows = match &self.gradient {
            Some(gradient) => {
                quiver::arrows(gradient.as_ref(), &map, theme.pxf(46.0), self.arrow_scale)
            }
            None => Vec::new(),
        };
        let bounds = map.bounds();
        let pixels: Vec<Vec<Pixel>> = self
            .trajectories
            .iter()
            .map(|t| t.points.iter().map(|&p| map.pixel_of(p)).collect())
            .collect();
        let paths: Vec<Vec<Vec<Pixel>>> =
            pixels.iter().map(|p| clip_polyline(&bounds, p)).collect();
        // First and last point inside the plot of each path, where its markers go.
        let ends: Vec<Option<(Pixel, Pixel)>> = pixels
            .iter()
            .map(|p| {
                let mut inside = p.iter().copied().filter(|&p| bounds.contains(p));
                let start = inside.next()?;
                Some((start, inside.next_back().unwrap_or(start)))
            })
            .collect();
        let marker_points = ends
            .iter()
            .flatten()
            .flat_map(|&(a, b)| [a, b])
            .flat_map(|(x, y)| {
                let r = theme.pxf(9.0);
                densify(
                    &[
                        (x - r, y - r),
                        (x + r, y - r),
                        (x + r, y + r),
                        (x - r, y + r),
                        (x - r, y - r),
                    ],
                    3.0,
                )
            });
        let path_points: Vec<Pixel> = paths
            .iter()
            .flatten()
            .flat_map(|piece| densify(piece, 3.0))
            .chain(marker_points)
            .collect();
        let legend = Legend::layout(&plot, self.legend_entries(), &path_points, &theme)?;
        let arrow_points: Vec<Pixel> = arrows
            .iter()
            .flat_map(|a| densify(&[a.tail, a.tip], 3.0))
            .collect();
        let legend_box: Vec<Rect> = legend.iter().map(|l| l.frame).collect();
        let avoid = Avoid {
            far: &path_points,
            near: &arrow_points,
            boxes: &legend_box,
        };

        draw_contour_lines(
            &plot,
            &grid,
            &levels,
            &map,
            &raster,
            &avoid,
            self.label_lines,
            &theme,
        )?;
        for arrow in &arrows {
            draw_arrow(&plot, arrow, &theme)?;
        }
        for (pieces, colour) in paths.iter().zip(PATH_COLOURS) {
            for piece in pieces {
                legend::draw_line(&plot, piece, colour, theme.stroke(2.5), true)?;
            }
        }
        // Markers go on top of every path, so that no path hides another one's end.
        for (&(start, end), colour) in ends
            .iter()
            .zip(PATH_COLOURS)
            .filter_map(|(e, c)| Some((e.as_ref()?, c)))
        {
            legend::draw_marker(&plot, Marker::Circle, start, theme.pxf(6.0), colour, &theme)?;
            legend::draw_marker(&plot, Marker::Star, end, theme.pxf(7.0), colour, &theme)?;
        }
        if let Some(legend) = legend {
            legend.draw(&plot, &theme)?;
        }
        let frame = [(0, 0), (pw as i32 - 1, ph as i32 - 1)];
        plot.draw(&Rectangle::new(
            frame,
            ShapeStyle::from(&INK).stroke_width(theme.stroke(1.0)),
        ))
        .map_err(render_error)?;

        // The colour bar spans the plot's height, in the side column's own pixel coordinates.
        let (side_x, side_y) = side.get_pixel_range();
        let left = f64::from(px_range.end - side_x.start) + theme.pxf(14.0);
        let bar = Rect {
            x0: left.max(theme.pxf(4.0)),
            y0: f64::from(py_range.start - side_y.start),
            x1: left.max(theme.pxf(4.0)) + theme.pxf(22.0),
            y1: f64::from(py_range.end - side_y.start),
        };
        colorbar::draw(&side, bar, &levels, &self.value_label, &theme)
    }
}

/// Draws `title` centred at the top of `root` and returns the area below it (all of `root` when
/// there is no title).
pub(crate) fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    if title.is_empty() {
        return Ok(root.margin(theme.px(12.0), 0, 0, 0));
    }
    let (width, _) = root.dim_in_pixel();
    let height = theme.px(56.0);
    let (top, rest) = root.split_vertically(height);
    let style = theme.title_font().pos(Pos::new(HPos::Center, VPos::Center));
    top.draw(&Text::new(
        title.to_string(),
        (width as i32 / 2, height / 2 + theme.px(4.0)),
        style,
    ))
    .map_err(render_error)?;
    Ok(rest)
}

/// The filled bands as an RGB raster of the plot area: each pixel gets the band of the bilinear
/// interpolation of the grid at its centre; pixels touching a non-finite sample stay white.
fn fill_bands(
    grid: &Grid,
    levels: &LevelSet,
    map: &PixelMap,
    (width, height): (u32, u32),
) -> Vec<u8> {
    let bands = levels.band_count();
    let palette: Vec<RGBColor> = (0..bands).map(|b| band_colour(b, bands)).collect();
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
    // Pixel columns and rows map to lattice cells independently: look each up once.
    let columns: Vec<(usize, f64)> = (0..width)
        .map(|c| {
            let u = (f64::from(c) + 0.5) / map.width * (nx - 1) as f64;
            Grid::cell(u, nx)
        })
        .collect();
    let mut raster = Vec::with_capacity(width as usize * height as usize * 3);
    // Neighbouring pixels mostly share a band: try the last one before searching.
    let mut band = 0;
    for row in 0..height {
        let v = (1.0 - (f64::from(row) + 0.5) / map.height) * (ny - 1) as f64;
        let row_cell = Grid::cell(v, ny);
        for &column_cell in &columns {
            let value = grid.bilinear(column_cell, row_cell);
            let colour = if value.is_finite() {
                if !levels.in_band(value, band) {
                    band = levels.band_of(value);
                }
                palette[band]
            } else {
                WHITE
            };
            raster.extend([colour.0, colour.1, colour.2]);
        }
    }
    raster
}

fn draw_arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    arrow: &Arrow,
    theme: &Theme,
) -> Result<(), PlotError> {
    let colour = WHITE.mix(0.9);
    let head = theme.pxf(8.0);
    let shaft = [to_backend(arrow.tail), to_backend(arrow.shaft_end(head))];
    let dark = ShapeStyle::from(&BLACK.mix(0.45)).stroke_width(theme.px(3.6) as u32);
    area.draw(&PathElement::new(shaft.to_vec(), dark))
        .map_err(render_error)?;
    area.draw(&PathElement::new(
        shaft.to_vec(),
        ShapeStyle::from(&colour).stroke_width(theme.px(1.6) as u32),
    ))
    .map_err(render_error)?;
    let triangle: Vec<(i32, i32)> = arrow.head(head).iter().map(|&p| to_backend(p)).collect();
    area.draw(&Polygon::new(triangle.clone(), colour.filled()))
        .map_err(render_error)?;
    let mut outline = triangle;
    outline.push(outline[0]);
    area.draw(&PathElement::new(
        outline,
        ShapeStyle::from(&BLACK.mix(0.45)).stroke_width(theme.stroke(0.7)),
    ))
    .map_err(render_error)
}

/// Contour lines, with gaps where their values are written.
#[allow(clippy::too_many_arguments)]
fn draw_contour_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    grid: &Grid,
    levels: &LevelSet,
    map: &PixelMap,
    raster: &[u8],
    avoid: &Avoid,
    label_lines: bool,
    theme: &Theme,
) -> Result<(), PlotError> {
    let font = theme.contour_label_font();
    let mut lines: Vec<Vec<Pixel>> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for level in levels.line_levels() {
        for line in contour_lines(grid, level) {
            lines.push(line.into_iter().map(|p| map.pixel_of(p)).collect());
            texts.push(levels.format(level));
        }
    }
    let placements = if label_lines {
        let sizes = texts
            .iter()
            .map(|t| {
                area.estimate_text_size(t, &font)
                    .map(|(w, h)| (f64::from(w) + 2.0, f64::from(h)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(render_error)?;
        contour_labels::place(&lines, &sizes, avoid, map.bounds(), theme.pxf(1.0))
    } else {
        Vec::new()
    };
    let gaps: Vec<Rect> = placements.iter().map(|p| p.gap).collect();
    let style = ShapeStyle::from(&BLACK.mix(0.6)).stroke_width(theme.stroke(0.8));
    for line in &lines {
        for piece in cut_holes(line, &gaps) {
            area.draw(&PathElement::new(
                piece.into_iter().map(to_backend).collect::<Vec<_>>(),
                style,
            ))
            .map_err(render_error)?;
        }
    }
    for placement in &placements {
        let (cx, cy) = to_backend(placement.centre);
        let offset = (cy.clamp(0, map.height as i32 - 1) as usize * map.width as usize
            + cx.clamp(0, map.width as i32 - 1) as usize)
            * 3;
        let background = RGBColor(raster[offset], raster[offset + 1], raster[offset + 2]);
        let text_colour = text_colour_on(background);
        let style = font
            .color(&text_colour)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(texts[placement.line].clone(), (cx, cy), style))
            .map_err(render_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Picture;
    use crate::output::tests::{ScratchDir, png_size};

    fn saddle() -> ContourPlot<'static> {
        ContourPlot::new(
            |x, y| x * x + 3.0 * x * y - 2.0 * y * y,
            -2.0..=2.0,
            -2.0..=2.0,
        )
        .title("Saddle")
        .gradient(|x, y| (2.0 * x + 3.0 * y, 3.0 * x - 4.0 * y))
    }

    fn count(svg: &str, tag: &str) -> usize {
        svg.matches(tag).count()
    }

    /// The `points` of every `<polyline>` and `<polygon>` of an SVG document.
    fn svg_points(svg: &str) -> Vec<(f64, f64)> {
        svg.split("points=\"")
            .skip(1)
            .flat_map(|rest| {
                rest[..rest.find('"').unwrap()]
                    .split_whitespace()
                    .map(|pair| {
                        let (x, y) = pair.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn saddle_svg_has_its_parts() {
        let svg = saddle().to_svg().unwrap();
        assert!(
            svg.contains(">\nSaddle\n<") || svg.contains(">Saddle<"),
            "title"
        );
        assert_eq!(
            count(&svg, "<image"),
            1,
            "the filled bands are one embedded raster"
        );
        // Nine interior levels, two branches each at most: many line pieces, and arrows.
        assert!(
            count(&svg, "<polyline") > 100,
            "{}",
            count(&svg, "<polyline")
        );
        assert!(count(&svg, "<polygon") > 100, "arrow heads");
        assert!(svg.contains("f(x, y)"), "colour bar label");
        for tick in ["\u{2212}12.5", "0.0", "7.5", "10.0"] {
            assert!(
                svg.contains(&format!("\n{tick}\n")),
                "colour bar tick {tick}"
            );
        }
        assert!(!svg.contains("\nstart\n"), "no legend without trajectories");
    }

    #[test]
    fn saddle_png_is_a_png_of_the_requested_size() {
        let dir = ScratchDir::new("saddle-png");
        let path = dir.join("saddle.png");
        saddle().size(900, 700).save(&path).unwrap();
        assert_eq!(png_size(&std::fs::read(&path).unwrap()), (900, 700));
    }

    #[test]
    fn trajectories_get_a_legend_and_stay_inside_the_plot() {
        let plot = ContourPlot::new(
            |x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
            -2.0..=2.0,
            -1.0..=3.0,
        )
        .trajectory(
            "descent",
            vec![(-1.5, 2.5), (-1.0, 1.0), (0.0, 0.0), (1.0, 1.0)],
        )
        .trajectory(
            "diverged",
            vec![(0.5, 0.5), (3e300, -1e300), (f64::NAN, 1.0), (0.2, 0.1)],
        );
        let svg = plot.to_svg().unwrap();
        for name in ["descent", "diverged", "start", "end"] {
            assert!(svg.contains(&format!("\n{name}\n")), "legend entry {name}");
        }
        for (x, y) in svg_points(&svg) {
            assert!(
                (0.0..=1000.0).contains(&x) && (0.0..=750.0).contains(&y),
                "({x}, {y}) is off the picture"
            );
        }
    }

    #[test]
    fn holes_in_the_domain_are_left_blank() {
        // A hemisphere: undefined outside the unit disc.
        let dome = ContourPlot::new(|x, y| (1.0 - x * x - y * y).sqrt(), -1.5..=1.5, -1.5..=1.5);
        let png = dome.to_png().unwrap();
        assert_eq!(png_size(&png), (1000, 750));
        let grid = Grid::sample(
            |x, y| (1.0 - x * x - y * y).sqrt(),
            Interval {
                min: -1.5,
                max: 1.5,
            },
            Interval {
                min: -1.5,
                max: 1.5,
            },
            50,
            50,
        );
        let levels = LevelSet::choose(&Levels::Auto, &grid.sorted_finite_values()).unwrap();
        let map = PixelMap {
            x: Interval {
                min: -1.5,
                max: 1.5,
            },
            y: Interval {
                min: -1.5,
                max: 1.5,
            },
            width: 100.0,
            height: 100.0,
        };
        let raster = fill_bands(&grid, &levels, &map, (100, 100));
        let pixel = |column: usize, row: usize| {
            &raster[(row * 100 + column) * 3..(row * 100 + column) * 3 + 3]
        };
        assert_eq!(
            pixel(0, 0),
            [255, 255, 255],
            "corner outside the disc is blank"
        );
        assert_ne!(pixel(50, 50), [255, 255, 255], "centre is coloured");
        // The infinite values of ln at 0 and NaN for x < 0 must not break anything either.
        ContourPlot::new(|x, y| (x * y).ln(), -1.0..=1.0, -1.0..=1.0)
            .to_svg()
            .unwrap();
    }

    #[test]
    fn constant_functions_draw_one_band() {
        let svg = ContourPlot::new(|_, _| 3.0, -1.0..=1.0, -1.0..=1.0)
            .to_svg()
            .unwrap();
        assert_eq!(count(&svg, "<image"), 1);
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        let f = |x: f64, y: f64| x + y;
        let empty = ContourPlot::new(f, 2.0..=2.0, 0.0..=1.0)
            .to_svg()
            .unwrap_err();
        assert!(
            matches!(empty, PlotError::InvalidRange { axis: "x", .. }),
            "{empty}"
        );
        let reversed = ContourPlot::new(f, 0.0..=1.0, 1.0..=0.0)
            .to_svg()
            .unwrap_err();
        assert!(
            matches!(reversed, PlotError::InvalidRange { axis: "y", .. }),
            "{reversed}"
        );
        let nowhere = ContourPlot::new(|_, _| f64::NAN, 0.0..=1.0, 0.0..=1.0)
            .to_png()
            .unwrap_err();
        assert!(
            matches!(nowhere, PlotError::NoFiniteValues { .. }),
            "{nowhere}"
        );
        assert!(nowhere.to_string().contains("f(x, y)"));
        let lost = ContourPlot::new(f, 0.0..=1.0, 0.0..=1.0)
            .trajectory("lost", vec![(f64::NAN, 0.0)])
            .to_svg()
            .unwrap_err();
        assert!(lost.to_string().contains("lost"), "{lost}");
        let crowded = (0..7).fold(ContourPlot::new(f, 0.0..=1.0, 0.0..=1.0), |p, k| {
            p.trajectory(format!("p{k}"), vec![(0.5, 0.5)])
        });
        assert!(matches!(crowded.to_svg(), Err(PlotError::InvalidInput(_))));
        let bad_levels =
            ContourPlot::new(f, 0.0..=1.0, 0.0..=1.0).levels(Levels::Explicit(vec![2.0, 1.0]));
        assert!(matches!(
            bad_levels.to_svg(),
            Err(PlotError::InvalidInput(_))
        ));
    }
}
#[cfg(test)]
mod extreme_tests {
    use super::*;
    use crate::output::Picture;

    #[test]
    fn extreme_values_and_ranges_do_not_panic() {
        let cases: Vec<ContourPlot<'static>> = vec![
            ContourPlot::new(|x, _| x * 1.7e308, -1.0..=1.0, -1.0..=1.0),
            ContourPlot::new(|x, y| x + y, 1e-300..=2e-300, -1.0..=1.0),
            ContourPlot::new(|x, y| x * y, -1e300..=1e300, -1e300..=1e300),
            ContourPlot::new(|x, _| 1.0 + x * 1e-15, 0.0..=1.0, 0.0..=1.0),
            ContourPlot::new(
                |x, y| if x > 0.0 { f64::INFINITY } else { y },
                -1.0..=1.0,
                -1.0..=1.0,
            )
            .levels(Levels::Log),
        ];
        for (k, plot) in cases.into_iter().enumerate() {
            match plot.to_svg() {
                Ok(svg) => {
                    assert!(svg.contains("<image"), "case {k}");
                    assert!(!svg.contains("NaN") && !svg.contains("inf"), "case {k}");
                }
                Err(e) => assert!(!e.to_string().is_empty(), "case {k}"),
            }
        }
    }
}
