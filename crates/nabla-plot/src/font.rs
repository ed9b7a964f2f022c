//! The embedded typeface: DejaVu Sans, registered with plotters' ab_glyph text renderer so that
//! pictures need no system fonts (no fontconfig, no freetype).

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::error::PlotError;

/// The family name every text style of this crate asks for.
pub(crate) const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font once per process; every figure calls this before drawing text.
pub(crate) fn ensure_registered() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Render("the embedded DejaVu Sans font could not be parsed".into()))
    }
}
