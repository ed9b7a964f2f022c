//! Output formats and the rendering pipeline shared by every kind of figure: pick the format from
//! the file extension, draw into an in-memory SVG string or RGB buffer, then write the file.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PlotError, render_error};
use crate::{bitmap, font};

/// Picture formats, chosen from the output file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// Scalable vector graphics (`.svg`).
    Svg,
    /// Portable network graphics (`.png`).
    Png,
}

impl ImageFormat {
    /// The format named by `path`'s extension (case-insensitive).
    ///
    /// ```
    /// use nabla_plot::ImageFormat;
    /// assert_eq!(ImageFormat::from_path("out/f.SVG".as_ref()).unwrap(), ImageFormat::Svg);
    /// assert_eq!(ImageFormat::from_path("f.png".as_ref()).unwrap(), ImageFormat::Png);
    /// assert!(ImageFormat::from_path("f.jpg".as_ref()).is_err());
    /// ```
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(PlotError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Smallest picture that still has room for title, axes, colour bar and legend.
const MIN_SIZE: (u32, u32) = (320, 240);
/// Largest picture: beyond this the RGB buffer alone would take hundreds of megabytes.
const MAX_SIZE: (u32, u32) = (8000, 8000);

/// A picture that can draw itself on any plotters backend. Public only inside this private module,
/// so that [`Picture`] is sealed: the drawing method is generic over plotters' backends and is no
/// part of this crate's API.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole picture on `root`, which covers `size()` pixels.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

fn check_size((width, height): (u32, u32)) -> Result<(), PlotError> {
    let fits =
        (MIN_SIZE.0..=MAX_SIZE.0).contains(&width) && (MIN_SIZE.1..=MAX_SIZE.1).contains(&height);
    if fits {
        Ok(())
    } else {
        Err(PlotError::InvalidInput(format!(
            "picture size {width}x{height} is outside {}x{} ..= {}x{}",
            MIN_SIZE.0, MIN_SIZE.1, MAX_SIZE.0, MAX_SIZE.1
        )))
    }
}

/// Output of a figure: every figure type of this crate implements it, so `use nabla_plot::Picture`
/// to call these methods.
pub trait Picture: Figure {
    /// Renders the picture in the format named by `path`'s extension (`.svg` or `.png`) and
    /// writes it there.
    fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError>
    where
        Self: Sized,
    {
        save(self, path.as_ref())
    }

    /// Renders the picture as an SVG document.
    fn to_svg(&self) -> Result<String, PlotError>
    where
        Self: Sized,
    {
        to_svg(self)
    }

    /// Renders the picture as the contents of a PNG file.
    fn to_png(&self) -> Result<Vec<u8>, PlotError>
    where
        Self: Sized,
    {
        to_png(self)
    }
}

impl<T: Figure> Picture for T {}

/// Renders `figure` as an SVG document.
fn to_svg(figure: &impl Figure) -> Result<String, PlotError> {
    check_size(figure.size())?;
    font::face()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(render_error)?;
    }
    Ok(svg)
}

/// Renders `figure` as PNG file contents.
fn to_png(figure: &impl Figure) -> Result<Vec<u8>, PlotError> {
    let (width, height) = figure.size();
    check_size((width, height))?;
    let rgb = bitmap::render_rgb(figure)?;
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(render_error)?;
    writer.write_image_data(&rgb).map_err(render_error)?;
    writer.finish().map_err(render_error)?;
    Ok(png_bytes)
}

/// Renders `figure` in the format named by `path`'s extension and writes it there.
fn save(figure: &impl Figure, path: &Path) -> Result<(), PlotError> {
    let bytes = match ImageFormat::from_path(path)? {
        ImageFormat::Svg => to_svg(figure)?.into_bytes(),
        ImageFormat::Png => to_png(figure)?,
    };
    std::fs::write(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh directory for one test's files, removed when dropped.
    pub(crate) struct ScratchDir(PathBuf);

    impl ScratchDir {
        pub(crate) fn new(test: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("nabla-plot-{}-{test}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir is writable");
            ScratchDir(dir)
        }

        pub(crate) fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Width and height from a PNG's IHDR chunk, after checking the signature.
    pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    /// A figure of one filled rectangle, to test the pipeline without any chart logic.
    struct Swatch((u32, u32));

    impl Figure for Swatch {
        fn size(&self) -> (u32, u32) {
            self.0
        }

        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
            root.fill(&RGBColor(10, 200, 30)).map_err(render_error)
        }
    }

    #[test]
    fn format_comes_from_the_extension() {
        assert_eq!(
            ImageFormat::from_path(Path::new("a/b.Png")).unwrap(),
            ImageFormat::Png
        );
        for bad in ["plot", "plot.jpg", "plot.svg.gz", ".svg/"] {
            let err = ImageFormat::from_path(Path::new(bad)).unwrap_err();
            assert!(matches!(err, PlotError::UnsupportedFormat { .. }), "{bad}");
            assert!(err.to_string().contains(".svg or .png"));
        }
    }

    #[test]
    fn saving_writes_the_format_of_the_extension() {
        let dir = ScratchDir::new("formats");
        Swatch((400, 300)).save(dir.join("s.png")).unwrap();
        let png = std::fs::read(dir.join("s.png")).unwrap();
        assert_eq!(png_size(&png), (400, 300));
        Swatch((400, 300)).save(dir.join("s.svg")).unwrap();
        let svg = std::fs::read_to_string(dir.join("s.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("width=\"400\""));
        assert!(Swatch((400, 300)).save(dir.join("s.gif")).is_err());
        assert!(
            !dir.join("s.gif").exists(),
            "nothing is written for an unknown format"
        );
    }

    #[test]
    fn png_pixels_come_out_at_the_requested_size() {
        // Supersampled rendering must average back to exactly the fill colour.
        let rgb = bitmap::render_rgb(&Swatch((333, 241))).unwrap();
        assert_eq!(rgb.len(), 333 * 241 * 3);
        assert!(rgb.chunks(3).all(|px| px == [10, 200, 30]));
    }

    #[test]
    fn unwritable_paths_and_bad_sizes_are_errors() {
        let dir = ScratchDir::new("unwritable");
        let blocker = dir.join("file");
        std::fs::write(&blocker, b"not a directory").unwrap();
        let err = Swatch((400, 300))
            .save(blocker.join("plot.png"))
            .unwrap_err();
        assert!(matches!(err, PlotError::Io { .. }), "{err}");
        assert!(err.to_string().contains("plot.png"));
        assert!(matches!(
            Swatch((10, 10)).to_png(),
            Err(PlotError::InvalidInput(_))
        ));
        assert!(matches!(
            Swatch((100_000, 600)).to_svg(),
            Err(PlotError::InvalidInput(_))
        ));
    }
}
