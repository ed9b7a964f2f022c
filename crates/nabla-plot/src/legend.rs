//! Legends and point markers: a boxed list of swatches with names, put in the plot corner that
//! hides the least data, and the start/end markers that optimiser paths share with it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{PlotError, render_error};
use crate::geometry::{Pixel, Rect, stroke_pieces, to_backend};
use crate::theme::{INK, Theme};

/// Marker shapes for points of interest on a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    /// Where a path starts.
    Circle,
    /// Where a path ends.
    Star,
}

/// What a legend entry shows next to its name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Swatch {
    /// A line in a colour; `halo` draws it with the dark outline used on contour plots.
    Line { colour: RGBColor, halo: bool },
    /// A marker, filled with a colour.
    Marker { shape: Marker, fill: RGBColor },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) swatch: Swatch,
}

/// Draws `shape` centred on `centre` with the given outer radius, outlined in ink.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    shape: Marker,
    centre: Pixel,
    radius: f64,
    fill: RGBColor,
    theme: &Theme,
) -> Result<(), PlotError> {
    let outline = ShapeStyle::from(&INK).stroke_width(theme.px(1.2) as u32);
    let filled = ShapeStyle::from(&fill).filled();
    match shape {
        Marker::Circle => {
            let r = radius.round() as i32;
            area.draw(&Circle::new(to_backend(centre), r, filled))
                .map_err(render_error)?;
            area.draw(&Circle::new(to_backend(centre), r, outline))
                .map_err(render_error)?;
        }
        Marker::Star => {
            let points: Vec<(i32, i32)> = (0..10)
                .map(|k| {
                    let r = if k % 2 == 0 {
                        radius * 1.25
                    } else {
                        radius * 0.55
                    };
                    let angle = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                    to_backend((centre.0 + r * angle.cos(), centre.1 + r * angle.sin()))
                })
                .collect();
            area.draw(&Polygon::new(points.clone(), filled))
                .map_err(render_error)?;
            let mut closed = points;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, outline))
                .map_err(render_error)?;
        }
    }
    Ok(())
}

/// Draws a line swatch or path from `points`; with `halo` a wider dark line goes underneath so
/// that bright lines stay visible on bright backgrounds.
pub(crate) fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Pixel],
    colour: RGBColor,
    width: u32,
    halo: bool,
) -> Result<(), PlotError> {
    let pieces: Vec<Vec<(i32, i32)>> = stroke_pieces(points, 0.75)
        .iter()
        .map(|piece| piece.iter().map(|&p| to_backend(p)).collect())
        .collect();
    if halo {
        // Wide enough to show as a rim of about a fifth of the line's width on each side.
        let dark = ShapeStyle::from(&BLACK.mix(0.55)).stroke_width(width * 7 / 5 + 1);
        for piece in &pieces {
            area.draw(&PathElement::new(piece.clone(), dark))
                .map_err(render_error)?;
        }
    }
    for piece in pieces {
        area.draw(&PathElement::new(
            piece,
            ShapeStyle::from(&colour).stroke_width(width),
        ))
        .map_err(render_error)?;
    }
    Ok(())
}

/// A legend with its frame fixed, so that other elements can keep clear of it before it is drawn.
pub(crate) struct Legend {
    entries: Vec<Entry>,
    pub(crate) frame: Rect,
}

impl Legend {
    /// Sizes the legend for `entries` and puts it in whichever corner of `area` covers the fewest
    /// `avoid` points. `None` when there is nothing to list.
    pub(crate) fn layout<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        entries: Vec<Entry>,
        avoid: &[Pixel],
        theme: &Theme,
    ) -> Result<Option<Self>, PlotError> {
        if entries.is_empty() {
            return Ok(None);
        }
        let font = theme.legend_font();
        let widest = entries
            .iter()
            .map(|e| area.estimate_text_size(&e.name, &font).map(|(w, _)| w))
            .try_fold(0u32, |acc, w| w.map(|w| acc.max(w)))
            .map_err(render_error)?;
        let size = (
            2.0 * theme.pxf(PAD) + theme.pxf(SWATCH + TEXT_GAP) + f64::from(widest),
            2.0 * theme.pxf(PAD) + theme.pxf(ROW) * entries.len() as f64 - theme.pxf(4.0),
        );
        let (width, height) = area.dim_in_pixel();
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: f64::from(width),
            y1: f64::from(height),
        };
        let frame = best_corner(bounds, size, theme.pxf(12.0), avoid);
        Ok(Some(Legend { entries, frame }))
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        theme: &Theme,
    ) -> Result<(), PlotError> {
        let frame = self.frame;
        let corners = [
            to_backend((frame.x0, frame.y0)),
            to_backend((frame.x1, frame.y1)),
        ];
        area.draw(&Rectangle::new(
            corners,
            ShapeStyle::from(&WHITE.mix(0.88)).filled(),
        ))
        .map_err(render_error)?;
        area.draw(&Rectangle::new(
            corners,
            ShapeStyle::from(&RGBColor(0xbb, 0xbb, 0xbb)).stroke_width(theme.stroke(1.0)),
        ))
        .map_err(render_error)?;
        let anchor = theme.legend_font().pos(Pos::new(HPos::Left, VPos::Center));
        for (k, entry) in self.entries.iter().enumerate() {
            let y = frame.y0 + theme.pxf(PAD) + theme.pxf(ROW) * (k as f64 + 0.5) - theme.pxf(2.0);
            let (x0, x1) = (
                frame.x0 + theme.pxf(PAD),
                frame.x0 + theme.pxf(PAD + SWATCH),
            );
            match entry.swatch {
                Swatch::Line { colour, halo } => draw_line(
                    area,
                    &[(x0, y), (x1, y)],
                    colour,
                    theme.px(2.5) as u32,
                    halo,
                )?,
                Swatch::Marker { shape, fill } => draw_marker(
                    area,
                    shape,
                    ((x0 + x1) / 2.0, y),
                    theme.pxf(5.5),
                    fill,
                    theme,
                )?,
            }
            area.draw(&Text::new(
                entry.name.clone(),
                to_backend((x1 + theme.pxf(TEXT_GAP), y)),
                anchor.clone(),
            ))
            .map_err(render_error)?;
        }
        Ok(())
    }
}

/// Legend metrics at the reference picture size: inner padding, swatch width, gap before the
/// text, row height.
const PAD: f64 = 10.0;
const SWATCH: f64 = 34.0;
const TEXT_GAP: f64 = 8.0;
const ROW: f64 = 24.0;

/// The corner box of `size` (inset by `margin`) that covers the fewest points of `avoid`;
/// ties go to the upper right, where readers look for legends first.
fn best_corner(bounds: Rect, size: (f64, f64), margin: f64, avoid: &[Pixel]) -> Rect {
    let (w, h) = size;
    let (left, right) = (bounds.x0 + margin, bounds.x1 - margin - w);
    let (top, bottom) = (bounds.y0 + margin, bounds.y1 - margin - h);
    [(right, top), (left, top), (right, bottom), (left, bottom)]
        .into_iter()
        .map(|(x, y)| Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        })
        .min_by_key(|frame| {
            avoid
                .iter()
                .filter(|p| frame.grown(4.0).contains(**p))
                .count()
        })
        .expect("four corners")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_moves_away_from_data() {
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 400.0,
            y1: 300.0,
        };
        // Data crowding the upper right pushes the legend to the upper left.
        let crowded: Vec<Pixel> = (0..50)
            .map(|k| (300.0 + k as f64, 20.0 + k as f64))
            .collect();
        let frame = best_corner(bounds, (100.0, 60.0), 10.0, &crowded);
        assert_eq!((frame.x0, frame.y0), (10.0, 10.0));
        let empty = best_corner(bounds, (100.0, 60.0), 10.0, &[]);
        assert_eq!((empty.x1, empty.y0), (390.0, 10.0));
    }
}
