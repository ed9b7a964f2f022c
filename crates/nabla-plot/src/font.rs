//! The embedded typeface: DejaVu Sans, registered with plotters' ab_glyph text support (which the
//! SVG backend uses to measure text) and laid out here for PNG output, so that pictures need no
//! system fonts (no fontconfig, no freetype).

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use plotters::style::{FontStyle, register_font};

use crate::error::PlotError;

/// The family name every text style of this crate asks for; SVG viewers substitute their own
/// sans-serif face.
pub(crate) const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// plotters divides a text style's size by this to get the em size in pixels (it writes
/// `font-size = size / 1.24` into SVG); PNG text follows the same rule so both formats match.
const SIZE_PER_EM: f64 = 1.24;

/// The parsed face, after registering it with plotters once per process.
pub(crate) fn face() -> Result<&'static FontRef<'static>, PlotError> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| {
        let registered = register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok();
        FontRef::try_from_slice(DEJAVU_SANS)
            .ok()
            .filter(|_| registered)
    })
    .as_ref()
    .ok_or_else(|| PlotError::Render("the embedded DejaVu Sans font could not be parsed".into()))
}

/// A line of text laid out at the origin: glyphs on the baseline y = 0, starting at x = 0.
pub(crate) struct Line {
    pub(crate) glyphs: Vec<Glyph>,
    pub(crate) width: f32,
    /// Height of capital letters above the baseline (for centring digits and capitals).
    pub(crate) cap_height: f32,
    pub(crate) ascent: f32,
    /// Negative: how far descenders reach below the baseline.
    pub(crate) descent: f32,
}

/// Lays out `text` for a plotters text style of size `size`, with kerning.
pub(crate) fn layout(face: &FontRef<'static>, text: &str, size: f64) -> Line {
    let em = (size / SIZE_PER_EM) as f32;
    let scale = PxScale::from(em * face.height_unscaled() / face.units_per_em().unwrap_or(2048.0));
    let scaled = face.as_scaled(scale);
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = face.glyph_id(c);
        if let Some(previous) = previous {
            caret += scaled.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(scale, point(caret, 0.0)));
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
    let cap_height = face
        .outline_glyph(face.glyph_id('H').with_scale(scale))
        .map_or(0.7 * em, |o| -o.px_bounds().min.y);
    Line {
        glyphs,
        width: caret,
        cap_height,
        ascent: scaled.ascent(),
        descent: scaled.descent(),
    }
}
