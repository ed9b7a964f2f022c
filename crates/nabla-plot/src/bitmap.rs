//! PNG rendering: plotters' bitmap backend drawn at a multiple of the requested size and then
//! box-filtered down (plotters draws lines and polygons without anti-aliasing), with text set by
//! this crate from the embedded font (plotters' ab_glyph text ignores side bearings and places
//! the baseline too high).

use ab_glyph::{Font, FontRef};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use crate::error::{PlotError, render_error};
use crate::font;
use crate::output::Figure;

/// A drawing backend that forwards everything to `inner` except text.
pub(crate) struct TextSetter<'f, DB> {
    inner: DB,
    face: &'f FontRef<'static>,
}

impl<DB: DrawingBackend> DrawingBackend for TextSetter<'_, DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let line = font::layout(self.face, text, style.size());
        Ok((
            line.width.ceil() as u32,
            (line.ascent - line.descent).ceil() as u32,
        ))
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let line = font::layout(self.face, text, style.size());
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -line.width / 2.0,
            HPos::Right => -line.width,
        };
        // Where the baseline goes relative to the anchor point.
        let baseline = match style.anchor().v_pos {
            VPos::Top => line.ascent,
            VPos::Center => line.cap_height / 2.0,
            VPos::Bottom => line.descent,
        };
        let transform = style.transform();
        let mut coverage: Vec<(i32, i32, f32)> = Vec::new();
        for glyph in line.glyphs {
            if let Some(outline) = self.face.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|x, y, c| {
                    let local = (
                        (bounds.min.x + x as f32 + dx).round() as i32,
                        (bounds.min.y + y as f32 + baseline).round() as i32,
                    );
                    coverage.push((local.0, local.1, c));
                });
            }
        }
        for (x, y, c) in coverage {
            if c <= 0.0 {
                continue;
            }
            let (rx, ry) = match transform {
                FontTransform::None => (x, y),
                FontTransform::Rotate90 => (-y, x),
                FontTransform::Rotate180 => (-x, -y),
                FontTransform::Rotate270 => (y, -x),
            };
            let alpha = colour.alpha * f64::from(c.min(1.0));
            self.inner.draw_pixel(
                (pos.0 + rx, pos.1 + ry),
                BackendColor {
                    alpha,
                    rgb: colour.rgb,
                },
            )?;
        }
        Ok(())
    }
}

/// Drawing at this many times the requested size, then averaging each block of pixels, is what
/// anti-aliases lines and shapes. Large pictures get less, to bound memory.
fn supersampling((width, height): (u32, u32)) -> u32 {
    match u64::from(width) * u64::from(height) {
        0..=4_000_000 => 3,
        4_000_001..=16_000_000 => 2,
        _ => 1,
    }
}

/// Renders `figure` to an RGB buffer of exactly `figure.size()` pixels.
pub(crate) fn render_rgb(figure: &impl Figure) -> Result<Vec<u8>, PlotError> {
    let face = font::face()?;
    let (width, height) = figure.size();
    let factor = supersampling((width, height));
    let (big_w, big_h) = (width * factor, height * factor);
    let mut big = vec![0u8; big_w as usize * big_h as usize * 3];
    {
        let backend = TextSetter {
            inner: BitMapBackend::with_buffer(&mut big, (big_w, big_h)),
            face,
        };
        let root = backend.into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(render_error)?;
    }
    Ok(downsample(&big, (big_w, big_h), factor))
}

/// Averages each `factor × factor` block of an RGB image.
fn downsample(image: &[u8], (width, height): (u32, u32), factor: u32) -> Vec<u8> {
    if factor == 1 {
        return image.to_vec();
    }
    let (w, h, f) = (width as usize, height as usize, factor as usize);
    let (small_w, small_h) = (w / f, h / f);
    let mut out = Vec::with_capacity(small_w * small_h * 3);
    let area = (f * f) as u32;
    // Sum the block's rows channel by channel first, then fold each run of `f` pixels.
    let mut sums = vec![0u32; w * 3];
    for row in 0..small_h {
        sums.fill(0);
        for line in image[row * f * w * 3..(row + 1) * f * w * 3].chunks_exact(w * 3) {
            for (sum, &byte) in sums.iter_mut().zip(line) {
                *sum += u32::from(byte);
            }
        }
        for block in sums.chunks_exact(f * 3).take(small_w) {
            let mut total = [0u32; 3];
            for pixel in block.chunks_exact(3) {
                total[0] += pixel[0];
                total[1] += pixel[1];
                total[2] += pixel[2];
            }
            out.extend(total.map(|t| ((t + area / 2) / area) as u8));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_averages_blocks() {
        // A 2×2 image of black, white, white, white halves to one pixel of 3/4 white.
        let image = [0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255];
        assert_eq!(downsample(&image, (2, 2), 2), vec![191, 191, 191]);
        assert_eq!(downsample(&image, (2, 2), 1), image.to_vec());
    }

    #[test]
    fn big_pictures_are_supersampled_less() {
        assert_eq!(supersampling((1000, 750)), 3);
        assert_eq!(supersampling((3000, 3000)), 2);
        assert_eq!(supersampling((8000, 8000)), 1);
    }
}
