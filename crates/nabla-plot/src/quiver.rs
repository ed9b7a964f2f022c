//! Gradient arrows: where they stand (a coarse lattice over the plot), which way they point and
//! how long they are drawn.

use crate::geometry::{Pixel, PixelMap, distance};

/// How gradient arrow lengths relate to the gradient's magnitude.
///
/// ```
/// use nabla_plot::{ArrowScale, ContourPlot, Picture};
///
/// // Only directions: every arrow equally long.
/// let plot = ContourPlot::new(|x, y| x * y, -1.0..=1.0, -1.0..=1.0)
///     .gradient(|x, y| (y, x))
///     .arrow_scale(ArrowScale::Normalised);
/// assert!(plot.to_svg()?.contains("<polygon"));
/// # Ok::<(), nabla_plot::PlotError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ArrowScale {
    /// Proportional when the largest magnitude is at most ten times the lower quartile,
    /// otherwise normalised (Rosenbrock's gradient spans four orders of magnitude, and
    /// proportional arrows would be invisible dots except in the corners).
    #[default]
    Auto,
    /// Length proportional to |∇f|, the longest arrow filling its lattice cell.
    Proportional,
    /// Every arrow equally long: only the direction is shown.
    Normalised,
}

/// An arrow in plot-area pixels, centred on its lattice point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Arrow {
    pub(crate) tail: Pixel,
    pub(crate) tip: Pixel,
}

/// Arrows shorter than this fraction of the longest would be drawn as specks; they are left
/// out (the empty spots then mark where the gradient nearly vanishes).
const MIN_FRACTION: f64 = 0.15;
/// The longest arrow as a fraction of the lattice spacing, so neighbours never touch.
const FILL: f64 = 0.8;

/// Arrows of `gradient` on a lattice with about `spacing` pixels between points.
///
/// A gradient (gx, gy) is drawn as the displacement it is in data space, so arrows are
/// perpendicular to contour lines whenever the axes have equal scales.
pub(crate) fn arrows(
    gradient: &dyn Fn(f64, f64) -> (f64, f64),
    map: &PixelMap,
    spacing: f64,
    scale: ArrowScale,
) -> Vec<Arrow> {
    let columns = (map.width / spacing).round().max(2.0) as usize;
    let rows = (map.height / spacing).round().max(2.0) as usize;
    let (sx, sy) = map.scale();
    let mut anchored: Vec<(Pixel, (f64, f64))> = Vec::with_capacity(columns * rows);
    for row in 0..rows {
        for column in 0..columns {
            let anchor = (
                (column as f64 + 0.5) * map.width / columns as f64,
                (row as f64 + 0.5) * map.height / rows as f64,
            );
            let (x, y) = map.data_at(anchor);
            let (gx, gy) = gradient(x, y);
            let direction = (gx * sx, -gy * sy);
            if direction.0.is_finite() && direction.1.is_finite() {
                anchored.push((anchor, direction));
            }
        }
    }
    let longest = FILL * (map.width / columns as f64).min(map.height / rows as f64);
    let mut magnitudes: Vec<f64> = anchored.iter().map(|(_, d)| d.0.hypot(d.1)).collect();
    magnitudes.sort_by(f64::total_cmp);
    let Some(&largest) = magnitudes.last().filter(|&&m| m > 0.0) else {
        return Vec::new();
    };
    let proportional = match scale {
        ArrowScale::Proportional => true,
        ArrowScale::Normalised => false,
        ArrowScale::Auto => largest <= 10.0 * magnitudes[magnitudes.len() / 4],
    };
    anchored
        .into_iter()
        .filter_map(|(anchor, (dx, dy))| {
            let magnitude = dx.hypot(dy);
            let length = if proportional {
                longest * magnitude / largest
            } else {
                longest
            };
            if length < MIN_FRACTION * longest || magnitude == 0.0 {
                return None;
            }
            let half = (dx / magnitude * length / 2.0, dy / magnitude * length / 2.0);
            Some(Arrow {
                tail: (anchor.0 - half.0, anchor.1 - half.1),
                tip: (anchor.0 + half.0, anchor.1 + half.1),
            })
        })
        .collect()
}

impl Arrow {
    pub(crate) fn length(&self) -> f64 {
        distance(self.tip, self.tail)
    }

    /// The head triangle (tip, then the two barbs), at most `max_head` pixels long and never
    /// more than 40% of the arrow.
    pub(crate) fn head(&self, max_head: f64) -> [Pixel; 3] {
        let length = self.length();
        let head = max_head.min(0.4 * length);
        let (ux, uy) = (
            (self.tip.0 - self.tail.0) / length,
            (self.tip.1 - self.tail.1) / length,
        );
        let base = (self.tip.0 - ux * head, self.tip.1 - uy * head);
        let half_width = 0.45 * head;
        [
            self.tip,
            (base.0 - uy * half_width, base.1 + ux * half_width),
            (base.0 + uy * half_width, base.1 - ux * half_width),
        ]
    }

    /// The shaft ends where the head begins, so that a thick shaft does not blunt the tip.
    pub(crate) fn shaft_end(&self, max_head: f64) -> Pixel {
        let [_, a, b] = self.head(max_head);
        ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Interval;

    fn square_map() -> PixelMap {
        let square = Interval {
            min: -2.0,
            max: 2.0,
        };
        PixelMap {
            x: square,
            y: square,
            width: 400.0,
            height: 400.0,
        }
    }

    fn bowl_gradient(x: f64, y: f64) -> (f64, f64) {
        (2.0 * x, 2.0 * y)
    }

    #[test]
    fn bowl_arrows_point_away_from_the_centre() {
        let map = square_map();
        let arrows = arrows(&bowl_gradient, &map, 50.0, ArrowScale::Proportional);
        // An 8 × 8 lattice, less the four arrows next to the minimum, which are too short.
        assert_eq!(arrows.len(), 60);
        for arrow in &arrows {
            let centre = (200.0, 200.0);
            let outward = (arrow.tip.0 - arrow.tail.0) * (arrow.tail.0 - centre.0)
                + (arrow.tip.1 - arrow.tail.1) * (arrow.tail.1 - centre.1);
            assert!(outward > 0.0, "{arrow:?}");
            assert!(arrow.length() <= 0.8 * 50.0 + 1e-9);
        }
    }

    #[test]
    fn proportional_lengths_grow_with_the_gradient_and_normalised_ones_do_not() {
        let map = square_map();
        let by_distance = |arrows: &[Arrow]| {
            let mut v: Vec<(f64, f64)> = arrows
                .iter()
                .map(|a| {
                    let mid = (
                        (a.tip.0 + a.tail.0) / 2.0 - 200.0,
                        (a.tip.1 + a.tail.1) / 2.0 - 200.0,
                    );
                    (mid.0.hypot(mid.1), a.length())
                })
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            v
        };
        let proportional = by_distance(&arrows(
            &bowl_gradient,
            &map,
            50.0,
            ArrowScale::Proportional,
        ));
        assert!(proportional.first().unwrap().1 < proportional.last().unwrap().1 / 3.0);
        let normalised = by_distance(&arrows(&bowl_gradient, &map, 50.0, ArrowScale::Normalised));
        assert!(
            normalised
                .iter()
                .all(|&(_, len)| (len - normalised[0].1).abs() < 1e-9)
        );
    }

    #[test]
    fn auto_normalises_rosenbrock_but_not_the_bowl() {
        let map = PixelMap {
            x: Interval {
                min: -2.0,
                max: 2.0,
            },
            y: Interval {
                min: -1.0,
                max: 3.0,
            },
            width: 400.0,
            height: 400.0,
        };
        let rosenbrock = |x: f64, y: f64| {
            (
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            )
        };
        let lengths: Vec<f64> = arrows(&rosenbrock, &map, 50.0, ArrowScale::Auto)
            .iter()
            .map(Arrow::length)
            .collect();
        assert!(lengths.iter().all(|&l| (l - lengths[0]).abs() < 1e-9));
        let bowl: Vec<f64> = arrows(&bowl_gradient, &square_map(), 50.0, ArrowScale::Auto)
            .iter()
            .map(Arrow::length)
            .collect();
        assert!(bowl.iter().any(|&l| (l - bowl[0]).abs() > 1.0));
    }

    #[test]
    fn y_points_up_on_screen() {
        let up = arrows(
            &|_, _| (0.0, 1.0),
            &square_map(),
            100.0,
            ArrowScale::Normalised,
        );
        assert!(up.iter().all(|a| a.tip.1 < a.tail.1));
    }

    #[test]
    fn zero_and_non_finite_gradients_draw_nothing() {
        assert!(arrows(&|_, _| (0.0, 0.0), &square_map(), 50.0, ArrowScale::Auto).is_empty());
        assert!(
            arrows(
                &|_, _| (f64::NAN, 1.0),
                &square_map(),
                50.0,
                ArrowScale::Auto
            )
            .is_empty()
        );
    }

    #[test]
    fn head_sits_on_the_tip() {
        let arrow = Arrow {
            tail: (0.0, 0.0),
            tip: (20.0, 0.0),
        };
        let [tip, a, b] = arrow.head(6.0);
        assert_eq!(tip, (20.0, 0.0));
        assert!((a.0 - 14.0).abs() < 1e-12 && (b.0 - 14.0).abs() < 1e-12);
        assert!((a.1 + b.1).abs() < 1e-12 && a.1.abs() > 1.0);
        assert!((arrow.shaft_end(6.0).0 - 14.0).abs() < 1e-12);
    }
}
