//! Pixel geometry inside a plot area: the map between data and pixel coordinates, rectangles,
//! and cutting polylines (clipping to the plot, gaps for contour labels).

use crate::sampling::Interval;

/// A point in pixel coordinates of the plot area: x to the right, y downwards, origin top left.
pub(crate) type Pixel = (f64, f64);

/// Affine map from data coordinates to the pixels of a plot area of the given size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PixelMap {
    pub(crate) x: Interval,
    pub(crate) y: Interval,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

impl PixelMap {
    pub(crate) fn pixel_of(&self, (x, y): (f64, f64)) -> Pixel {
        (
            (x - self.x.min) / self.x.span() * self.width,
            (self.y.max - y) / self.y.span() * self.height,
        )
    }

    pub(crate) fn data_at(&self, (px, py): Pixel) -> (f64, f64) {
        (
            self.x.lerp(px / self.width),
            self.y.lerp(1.0 - py / self.height),
        )
    }

    /// Pixels per data unit along x and along y.
    pub(crate) fn scale(&self) -> (f64, f64) {
        (self.width / self.x.span(), self.height / self.y.span())
    }

    pub(crate) fn bounds(&self) -> Rect {
        Rect {
            x0: 0.0,
            y0: 0.0,
            x1: self.width,
            y1: self.height,
        }
    }
}

/// An axis-aligned rectangle in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub(crate) x0: f64,
    pub(crate) y0: f64,
    pub(crate) x1: f64,
    pub(crate) y1: f64,
}

impl Rect {
    pub(crate) fn centred((cx, cy): Pixel, (width, height): (f64, f64)) -> Self {
        Rect {
            x0: cx - width / 2.0,
            y0: cy - height / 2.0,
            x1: cx + width / 2.0,
            y1: cy + height / 2.0,
        }
    }

    pub(crate) fn grown(&self, by: f64) -> Self {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    pub(crate) fn contains(&self, (x, y): Pixel) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }

    pub(crate) fn contains_rect(&self, other: &Rect) -> bool {
        self.contains((other.x0, other.y0)) && self.contains((other.x1, other.y1))
    }

    pub(crate) fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// The part of segment `a`–`b` inside `rect` (Liang–Barsky), if any.
pub(crate) fn clip_segment(rect: &Rect, a: Pixel, b: Pixel) -> Option<(Pixel, Pixel)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - rect.x0),
        (dx, rect.x1 - a.0),
        (-dy, a.1 - rect.y0),
        (dy, rect.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    // Clamping guards against rounding when a far-away end (a diverged optimiser) makes dx huge.
    let at = |t: f64| {
        (
            (a.0 + t * dx).clamp(rect.x0, rect.x1),
            (a.1 + t * dy).clamp(rect.y0, rect.y1),
        )
    };
    (t0 <= t1).then(|| (at(t0), at(t1)))
}

/// The pieces of a polyline that lie inside `rect`; non-finite points break the line.
pub(crate) fn clip_polyline(rect: &Rect, points: &[Pixel]) -> Vec<Vec<Pixel>> {
    let mut pieces: Vec<Vec<Pixel>> = Vec::new();
    let mut current: Vec<Pixel> = Vec::new();
    for pair in points.windows(2) {
        let finite = pair.iter().all(|p| p.0.is_finite() && p.1.is_finite());
        match clip_segment(rect, pair[0], pair[1]).filter(|_| finite) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current = vec![a];
                }
                current.push(b);
            }
            None => {
                if current.len() > 1 {
                    pieces.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// The pieces of a densely sampled polyline left after removing the vertices inside any hole
/// (contour labels sit in such holes).
pub(crate) fn cut_holes(points: &[Pixel], holes: &[Rect]) -> Vec<Vec<Pixel>> {
    points
        .split(|p| holes.iter().any(|hole| hole.contains(*p)))
        .filter(|piece| piece.len() > 1)
        .map(<[Pixel]>::to_vec)
        .collect()
}

/// Points at most `step` pixels apart along a polyline (its vertices included), so that a
/// polyline can serve as a set of obstacle points.
pub(crate) fn densify(points: &[Pixel], step: f64) -> Vec<Pixel> {
    let mut dense = Vec::with_capacity(points.len());
    for w in points.windows(2) {
        let pieces = (distance(w[0], w[1]) / step).ceil().max(1.0) as usize;
        dense.extend((0..pieces).map(|k| {
            let t = k as f64 / pieces as f64;
            (
                w[0].0 + t * (w[1].0 - w[0].0),
                w[0].1 + t * (w[1].1 - w[0].1),
            )
        }));
    }
    dense.extend(points.last());
    dense
}

/// A polyline prepared for a stroke wider than a pixel: vertices closer than `min_step` to the
/// last kept one are dropped, and the line is broken at turns sharper than about 100°, where the
/// miter joins of plotters' wide lines would shoot out as long spikes.
pub(crate) fn stroke_pieces(points: &[Pixel], min_step: f64) -> Vec<Vec<Pixel>> {
    let mut kept: Vec<Pixel> = Vec::with_capacity(points.len());
    for (k, &p) in points.iter().enumerate() {
        let last = k + 1 == points.len();
        if kept
            .last()
            .is_none_or(|&q| distance(p, q) >= min_step || (last && p != q))
        {
            kept.push(p);
        }
    }
    let mut pieces = Vec::new();
    let mut current = kept.first().map(|&p| vec![p]).unwrap_or_default();
    for w in kept.windows(3) {
        let (a, b, c) = (w[0], w[1], w[2]);
        let (u, v) = ((b.0 - a.0, b.1 - a.1), (c.0 - b.0, c.1 - b.1));
        let cos = (u.0 * v.0 + u.1 * v.1) / (u.0.hypot(u.1) * v.0.hypot(v.1));
        current.push(b);
        if cos < -0.17 {
            pieces.push(std::mem::replace(&mut current, vec![b]));
        }
    }
    current.extend(kept.last().filter(|_| kept.len() > 1));
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// Length of a polyline.
pub(crate) fn length(points: &[Pixel]) -> f64 {
    points.windows(2).map(|w| distance(w[0], w[1])).sum()
}

pub(crate) fn distance(a: Pixel, b: Pixel) -> f64 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Rounds to the integer pixel grid plotters draws on.
pub(crate) fn to_backend((x, y): Pixel) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: Rect = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 10.0,
        y1: 10.0,
    };

    #[test]
    fn pixel_map_round_trips_and_flips_y() {
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
            height: 200.0,
        };
        assert_eq!(map.pixel_of((-2.0, 3.0)), (0.0, 0.0));
        assert_eq!(map.pixel_of((2.0, -1.0)), (400.0, 200.0));
        let back = map.data_at(map.pixel_of((0.5, 0.25)));
        assert!((back.0 - 0.5).abs() < 1e-12 && (back.1 - 0.25).abs() < 1e-12);
    }

    #[test]
    fn clipping_segments() {
        assert_eq!(
            clip_segment(&UNIT, (1.0, 1.0), (2.0, 2.0)),
            Some(((1.0, 1.0), (2.0, 2.0)))
        );
        assert_eq!(
            clip_segment(&UNIT, (-5.0, 5.0), (15.0, 5.0)),
            Some(((0.0, 5.0), (10.0, 5.0)))
        );
        assert_eq!(clip_segment(&UNIT, (-5.0, -5.0), (-1.0, 20.0)), None);
        let (a, b) = clip_segment(&UNIT, (5.0, 5.0), (3e300, 1e300)).unwrap();
        assert!(UNIT.contains(a) && UNIT.contains(b));
    }

    #[test]
    fn clipping_a_polyline_that_leaves_and_returns() {
        let pieces = clip_polyline(&UNIT, &[(5.0, 5.0), (5.0, 20.0), (6.0, 20.0), (6.0, 5.0)]);
        assert_eq!(
            pieces,
            vec![vec![(5.0, 5.0), (5.0, 10.0)], vec![(6.0, 10.0), (6.0, 5.0)]]
        );
        let broken = clip_polyline(
            &UNIT,
            &[
                (1.0, 1.0),
                (2.0, 2.0),
                (f64::NAN, 3.0),
                (3.0, 3.0),
                (4.0, 4.0),
            ],
        );
        assert_eq!(broken.len(), 2);
    }

    #[test]
    fn holes_split_polylines() {
        let line: Vec<Pixel> = (0..=10).map(|k| (k as f64, 0.0)).collect();
        let hole = Rect::centred((5.0, 0.0), (2.0, 2.0));
        let pieces = cut_holes(&line, &[hole]);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].last(), Some(&(3.0, 0.0)));
        assert_eq!(pieces[1].first(), Some(&(7.0, 0.0)));
        assert_eq!(length(&line), 10.0);
        let dense = densify(&[(0.0, 0.0), (10.0, 0.0)], 3.0);
        assert_eq!(
            dense,
            vec![(0.0, 0.0), (2.5, 0.0), (5.0, 0.0), (7.5, 0.0), (10.0, 0.0)]
        );
    }

    #[test]
    fn strokes_break_at_hairpins_and_drop_crowded_points() {
        // Right, then back left: a hairpin that must not be joined with a miter.
        let zigzag = [(0.0, 0.0), (10.0, 0.0), (10.2, 0.0), (0.0, 1.0)];
        let pieces = stroke_pieces(&zigzag, 0.5);
        assert_eq!(
            pieces,
            vec![vec![(0.0, 0.0), (10.0, 0.0)], vec![(10.0, 0.0), (0.0, 1.0)]]
        );
        // A gentle bend stays one piece.
        let bend = [(0.0, 0.0), (10.0, 0.0), (20.0, 5.0)];
        assert_eq!(stroke_pieces(&bend, 0.5), vec![bend.to_vec()]);
        assert!(stroke_pieces(&[(1.0, 1.0)], 0.5).is_empty());
    }
}
