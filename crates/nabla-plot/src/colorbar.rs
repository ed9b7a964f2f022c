//! The colour bar beside a filled contour plot: one equal-height block per band, pointed ends
//! when values run past the outer levels, level values as ticks, and the quantity's name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::colormap::band_colour;
use crate::error::{PlotError, render_error};
use crate::geometry::{Rect, to_backend};
use crate::levels::LevelSet;
use crate::theme::{INK, Theme};

/// Draws the bar inside `bar` (pixels of `area`) and its labels to the right of it.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bar: Rect,
    levels: &LevelSet,
    label: &str,
    theme: &Theme,
) -> Result<(), PlotError> {
    let bands = levels.band_count();
    let width = bar.x1 - bar.x0;
    let point = width * 0.9;
    let top = if levels.extends_above {
        bar.y0 + point
    } else {
        bar.y0
    };
    let bottom = if levels.extends_below {
        bar.y1 - point
    } else {
        bar.y1
    };
    let band_height = (bottom - top) / bands as f64;
    let y_of = |boundary: usize| bottom - boundary as f64 * band_height;

    for band in 0..bands {
        let colour = band_colour(band, bands);
        let corners = [
            to_backend((bar.x0, y_of(band + 1))),
            to_backend((bar.x1, y_of(band))),
        ];
        area.draw(&Rectangle::new(corners, colour.filled()))
            .map_err(render_error)?;
    }
    let outline = ShapeStyle::from(&INK).stroke_width(theme.stroke(1.0));
    let mid = (bar.x0 + bar.x1) / 2.0;
    let mut frame = vec![(bar.x0, top), (bar.x0, bottom)];
    if levels.extends_below {
        let triangle = vec![
            to_backend((bar.x0, bottom)),
            to_backend((mid, bar.y1)),
            to_backend((bar.x1, bottom)),
        ];
        area.draw(&Polygon::new(triangle, band_colour(0, bands).filled()))
            .map_err(render_error)?;
        frame.push((mid, bar.y1));
    }
    frame.push((bar.x1, bottom));
    frame.push((bar.x1, top));
    if levels.extends_above {
        let triangle = vec![
            to_backend((bar.x0, top)),
            to_backend((mid, bar.y0)),
            to_backend((bar.x1, top)),
        ];
        area.draw(&Polygon::new(
            triangle,
            band_colour(bands - 1, bands).filled(),
        ))
        .map_err(render_error)?;
        frame.push((mid, bar.y0));
    }
    frame.push((bar.x0, top));
    area.draw(&PathElement::new(
        frame.into_iter().map(to_backend).collect::<Vec<_>>(),
        outline,
    ))
    .map_err(render_error)?;

    // Label every boundary if there is room, else every second, third, ...
    let font = theme.tick_font();
    let every = (1.6 * font.font.get_size() / band_height).ceil().max(1.0) as usize;
    let tick = theme.pxf(6.0);
    let mut widest = 0u32;
    for (k, &value) in levels
        .boundaries
        .iter()
        .enumerate()
        .filter(|(k, _)| k % every == 0)
    {
        let y = y_of(k);
        area.draw(&PathElement::new(
            vec![to_backend((bar.x1, y)), to_backend((bar.x1 + tick, y))],
            outline,
        ))
        .map_err(render_error)?;
        let text = levels.format(value);
        widest = widest.max(
            area.estimate_text_size(&text, &font)
                .map_err(render_error)?
                .0,
        );
        let anchor = font.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(
            text,
            to_backend((bar.x1 + tick + theme.pxf(4.0), y)),
            anchor,
        ))
        .map_err(render_error)?;
    }
    if !label.is_empty() {
        let x = bar.x1 + tick + theme.pxf(4.0) + f64::from(widest) + theme.pxf(14.0);
        let style = theme
            .axis_label_font()
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            label.to_string(),
            to_backend((x, (bar.y0 + bar.y1) / 2.0)),
            style,
        ))
        .map_err(render_error)?;
    }
    Ok(())
}
