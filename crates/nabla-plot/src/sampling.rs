//! Where functions are looked at: validated axis intervals, evenly spaced samples, rectangular
//! grids of f(x, y), and quantiles of the finite samples.

use std::ops::RangeInclusive;

use crate::error::PlotError;

/// A closed interval `[min, max]` with finite ends and `min < max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Interval {
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// Axis ends are kept within ±LIMIT so that spans (max − min) and padding stay finite.
pub(crate) const LIMIT: f64 = 1e307;

/// Whether min..max can be drawn as an axis: finite, inside ±LIMIT, and wide enough compared
/// with its ends that tick values can be told apart.
fn drawable(min: f64, max: f64) -> bool {
    min.is_finite()
        && max.is_finite()
        && min < max
        && -LIMIT <= min
        && max <= LIMIT
        && max - min > 1e-12 * min.abs().max(max.abs())
}

impl Interval {
    /// Checks `range`; `axis` names it in the error.
    pub(crate) fn new(axis: &'static str, range: &RangeInclusive<f64>) -> Result<Self, PlotError> {
        let (min, max) = (*range.start(), *range.end());
        if drawable(min, max) {
            Ok(Interval { min, max })
        } else {
            Err(PlotError::InvalidRange { axis, min, max })
        }
    }

    pub(crate) fn span(&self) -> f64 {
        self.max - self.min
    }

    /// The point a fraction `t` of the way from `min` to `max`.
    pub(crate) fn lerp(&self, t: f64) -> f64 {
        self.min + t * self.span()
    }

    /// `n ≥ 2` evenly spaced points from `min` to `max`, both included.
    pub(crate) fn linspace(&self, n: usize) -> impl Iterator<Item = f64> + '_ {
        let last = (n.max(2) - 1) as f64;
        (0..n.max(2)).map(move |k| self.lerp(k as f64 / last))
    }

    /// The smallest interval holding every finite value of `values`, or `None` if there is none.
    /// A single distinct value is widened so that the interval is never empty.
    pub(crate) fn enclosing(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let (min, max) = values
            .into_iter()
            .filter(|v| v.is_finite())
            .map(|v| v.clamp(-LIMIT, LIMIT))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if min > max {
            return None;
        }
        if drawable(min, max) {
            return Some(Interval { min, max });
        }
        let centre = min / 2.0 + max / 2.0;
        let pad = if centre == 0.0 {
            1.0
        } else {
            centre.abs() * 0.1
        };
        Some(Interval {
            min: centre - pad,
            max: centre + pad,
        })
    }

    /// This interval grown by `fraction` (at most 1) of its span on both sides.
    pub(crate) fn padded(&self, fraction: f64) -> Self {
        let pad = self.span() * fraction;
        Interval {
            min: self.min - pad,
            max: self.max + pad,
        }
    }
}

/// Samples of f on a rectangular lattice: `values[j * xs.len() + i] = f(xs[i], ys[j])`.
#[derive(Clone, Debug)]
pub(crate) struct Grid {
    pub(crate) xs: Vec<f64>,
    pub(crate) ys: Vec<f64>,
    pub(crate) values: Vec<f64>,
}

impl Grid {
    /// Evaluates `f` on `nx × ny` points spanning the two intervals (ends included).
    pub(crate) fn sample(
        f: impl Fn(f64, f64) -> f64,
        x: Interval,
        y: Interval,
        nx: usize,
        ny: usize,
    ) -> Self {
        let xs: Vec<f64> = x.linspace(nx).collect();
        let ys: Vec<f64> = y.linspace(ny).collect();
        let values = ys
            .iter()
            .flat_map(|&yv| xs.iter().map(move |&xv| (xv, yv)))
            .map(|(xv, yv)| f(xv, yv))
            .collect();
        Grid { xs, ys, values }
    }

    pub(crate) fn at(&self, i: usize, j: usize) -> f64 {
        self.values[j * self.xs.len() + i]
    }

    /// The finite values, sorted ascending (input to level choice).
    pub(crate) fn sorted_finite_values(&self) -> Vec<f64> {
        let mut finite: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        finite.sort_by(f64::total_cmp);
        finite
    }

    /// The cell along an axis of `n` samples holding fractional lattice position `u` (clamped
    /// to the grid), and the offset of `u` within it.
    pub(crate) fn cell(u: f64, n: usize) -> (usize, f64) {
        let u = u.clamp(0.0, (n - 1) as f64);
        let i = (u as usize).min(n - 2);
        (i, u - i as f64)
    }

    /// Bilinear interpolation inside cell (i, j) at offsets (s, t), both in [0, 1]; NaN when a
    /// corner is not finite, so that holes in the domain stay holes.
    pub(crate) fn bilinear(&self, (i, s): (usize, f64), (j, t): (usize, f64)) -> f64 {
        let bottom = self.at(i, j) * (1.0 - s) + self.at(i + 1, j) * s;
        let top = self.at(i, j + 1) * (1.0 - s) + self.at(i + 1, j + 1) * s;
        bottom * (1.0 - t) + top * t
    }
}

/// The `q`-quantile (0 ≤ q ≤ 1) of an ascending, non-empty slice, by the nearest-rank rule.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_reversed_and_infinite_ranges() {
        assert!(Interval::new("x", &(2.0..=2.0)).is_err());
        assert!(Interval::new("x", &(3.0..=2.0)).is_err());
        assert!(Interval::new("y", &(0.0..=f64::INFINITY)).is_err());
        assert!(Interval::new("y", &(f64::NAN..=1.0)).is_err());
        assert!(Interval::new("y", &(-1.7e308..=1.7e308)).is_err());
        assert!(Interval::new("y", &(1.0..=1.0 + 1e-15)).is_err());
        assert!(Interval::new("y", &(1e-300..=2e-300)).is_ok());
        let err = Interval::new("x", &(2.0..=2.0)).unwrap_err().to_string();
        assert!(err.contains("x range 2:2"), "{err}");
    }

    #[test]
    fn linspace_includes_both_ends() {
        let points: Vec<f64> = Interval {
            min: -1.0,
            max: 1.0,
        }
        .linspace(5)
        .collect();
        assert_eq!(points, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    }

    #[test]
    fn enclosing_skips_non_finite_and_widens_a_single_value() {
        let i = Interval::enclosing([f64::NAN, 3.0, f64::INFINITY, -1.0]).unwrap();
        assert_eq!((i.min, i.max), (-1.0, 3.0));
        assert!(Interval::enclosing([f64::NAN]).is_none());
        let single = Interval::enclosing([5.0, 5.0]).unwrap();
        assert!(single.min < 5.0 && single.max > 5.0);
        let huge = Interval::enclosing([-1.7e308, 1.7e308]).unwrap();
        assert!(huge.padded(0.05).span().is_finite());
        let nearly_single = Interval::enclosing([1.0, 1.0 + 1e-15]).unwrap();
        assert!(nearly_single.span() > 0.1);
    }

    #[test]
    fn grid_is_row_major_in_y() {
        let grid = Grid::sample(
            |x, y| x + 10.0 * y,
            Interval { min: 0.0, max: 2.0 },
            Interval { min: 0.0, max: 1.0 },
            3,
            2,
        );
        assert_eq!(grid.values, vec![0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
        assert_eq!(grid.at(2, 1), 12.0);
    }

    #[test]
    fn bilinear_interpolation_is_exact_for_bilinear_fields() {
        let unit = Interval { min: 0.0, max: 1.0 };
        let grid = Grid::sample(|x, y| 1.0 + 2.0 * x - y + 3.0 * x * y, unit, unit, 5, 5);
        // Lattice coordinates (u, v) = (4x, 4y).
        let (x, y) = (0.3, 0.85);
        let expected = 1.0 + 2.0 * x - y + 3.0 * x * y;
        let at = |u: f64, v: f64| grid.bilinear(Grid::cell(u, 5), Grid::cell(v, 5));
        assert!((at(4.0 * x, 4.0 * y) - expected).abs() < 1e-12);
        assert_eq!(
            at(9.0, -1.0),
            grid.at(4, 0),
            "positions are clamped to the grid"
        );
        let holey = Grid::sample(|x, _| if x > 0.5 { f64::NAN } else { x }, unit, unit, 3, 3);
        let holey_at = |u: f64, v: f64| holey.bilinear(Grid::cell(u, 3), Grid::cell(v, 3));
        assert!(holey_at(1.5, 0.5).is_nan());
        assert_eq!(holey_at(0.5, 0.5), 0.25);
    }

    #[test]
    fn quantile_by_nearest_rank() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&sorted, 0.0), 1.0);
        assert_eq!(quantile(&sorted, 0.5), 3.0);
        assert_eq!(quantile(&sorted, 1.0), 5.0);
    }
}
