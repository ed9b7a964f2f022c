//! Shared look of all figures: font sizes and stroke widths scaled to the picture size, and the
//! colour palettes for data series and optimiser paths.

use plotters::prelude::*;
use plotters::style::{RGBColor, TextStyle};

use crate::font::FAMILY;

/// Ink for text, axes and frames: near-black reads softer than pure black.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Light grey for grid lines of line charts.
pub(crate) const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

/// matplotlib's "tab10" palette: distinct, colour-blind aware series colours on white.
pub(crate) const SERIES_COLOURS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Path colours that stand out against every colour of viridis (purple to yellow): warm reds
/// and oranges, cyan, white and pink, never greens or yellows.
pub(crate) const PATH_COLOURS: [RGBColor; 6] = [
    RGBColor(0xff, 0x30, 0x30),
    RGBColor(0xff, 0x8c, 0x00),
    RGBColor(0x00, 0xe5, 0xff),
    RGBColor(0xff, 0xff, 0xff),
    RGBColor(0xff, 0x5c, 0xe1),
    RGBColor(0xa0, 0x1a, 0x1a),
];

/// Sizes derived from the picture size, so that a 2000×1500 PNG looks like a scaled 1000×750 one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Theme {
    scale: f64,
}

impl Theme {
    pub(crate) fn for_size((width, height): (u32, u32)) -> Self {
        let (rw, rh) = (f64::from(width) / 1000.0, f64::from(height) / 750.0);
        // The geometric mean keeps text readable on wide or tall pictures; the cap keeps title
        // and axis labels from crowding out the plot along the short side.
        let scale = (rw * rh).sqrt().min(1.6 * rw.min(rh));
        Theme {
            scale: scale.max(0.4),
        }
    }

    /// `base` pixels at the reference size of 1000×750, scaled and at least one pixel.
    pub(crate) fn px(&self, base: f64) -> i32 {
        (base * self.scale).round().max(1.0) as i32
    }

    /// A stroke width of `base` pixels at the reference size.
    pub(crate) fn stroke(&self, base: f64) -> u32 {
        self.px(base) as u32
    }

    pub(crate) fn pxf(&self, base: f64) -> f64 {
        base * self.scale
    }

    fn font(&self, base: f64) -> TextStyle<'static> {
        (FAMILY, self.pxf(base)).into_font().color(&INK)
    }

    pub(crate) fn title_font(&self) -> TextStyle<'static> {
        self.font(28.0)
    }

    pub(crate) fn axis_label_font(&self) -> TextStyle<'static> {
        self.font(21.0)
    }

    pub(crate) fn tick_font(&self) -> TextStyle<'static> {
        self.font(17.5)
    }

    pub(crate) fn legend_font(&self) -> TextStyle<'static> {
        self.font(17.0)
    }

    pub(crate) fn contour_label_font(&self) -> TextStyle<'static> {
        self.font(15.0)
    }
}
