//! Colours for values: viridis (perceptually uniform, colour-blind safe, prints in grey) for
//! filled contour bands, and the text colour that stays readable on top of a band.

use plotters::style::RGBColor;
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

/// The colour of band `band` out of `bands`, sampled at the band's middle so that the first and
/// last bands are not the extreme (hardest to tell apart) ends of the map.
pub(crate) fn band_colour(band: usize, bands: usize) -> RGBColor {
    let t = (band as f64 + 0.5) / bands.max(1) as f64;
    ViridisRGB.get_color(t.clamp(0.0, 1.0))
}

/// Relative luminance (ITU-R BT.709 weights on gamma-encoded values, which is enough to pick
/// between black and white text).
pub(crate) fn luminance(colour: RGBColor) -> f64 {
    (0.2126 * f64::from(colour.0) + 0.7152 * f64::from(colour.1) + 0.0722 * f64::from(colour.2))
        / 255.0
}

/// Black or white, whichever reads better on `background`.
pub(crate) fn text_colour_on(background: RGBColor) -> RGBColor {
    if luminance(background) > 0.45 {
        RGBColor(0x11, 0x11, 0x11)
    } else {
        RGBColor(0xff, 0xff, 0xff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_runs_from_dark_purple_to_bright_yellow() {
        let first = band_colour(0, 1000);
        let last = band_colour(999, 1000);
        assert!(first.2 > first.1 && first.0 > first.1, "purple: {first:?}");
        assert!(
            last.0 > 200 && last.1 > 200 && last.2 < 60,
            "yellow: {last:?}"
        );
    }

    #[test]
    fn band_colours_get_brighter_with_the_band() {
        for bands in [2, 5, 10, 17] {
            let lum: Vec<f64> = (0..bands)
                .map(|b| luminance(band_colour(b, bands)))
                .collect();
            assert!(
                lum.windows(2).all(|w| w[0] < w[1]),
                "{bands} bands: {lum:?}"
            );
        }
    }

    #[test]
    fn text_contrasts_with_its_background() {
        assert_eq!(
            text_colour_on(band_colour(0, 10)),
            RGBColor(0xff, 0xff, 0xff)
        );
        assert_eq!(
            text_colour_on(band_colour(9, 10)),
            RGBColor(0x11, 0x11, 0x11)
        );
    }
}
