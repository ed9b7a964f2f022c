//! Where contour-line labels go: on a straight-enough stretch of a long line, inside the plot,
//! clear of other lines, arrows and labels, and spread out (each new label as far as possible
//! from those already placed).

use std::collections::HashMap;

use crate::geometry::{Pixel, Rect, distance, length};

/// A labelled line: which line (index into the caller's list), where the label's centre is, and
/// the box cut out of the line around the text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Placement {
    pub(crate) line: usize,
    pub(crate) centre: Pixel,
    pub(crate) gap: Rect,
}

/// Distances of the placement rules in pixels of a 1000×750 picture; [`place`] scales them
/// with the picture (PNGs are laid out at three times their size).
const GAP: f64 = 3.0;
/// Extra room between a label's gap and anything else (other lines, arrows, paths), so that labels
/// do not sit tight against junctions such as the crossing at a saddle point.
const CLEARANCE: f64 = 8.0;
/// Distance between candidate positions along a line.
const STEP: f64 = 5.0;
/// Side of the buckets of the obstacle index.
const BUCKET: f64 = 16.0;

/// What labels keep clear of besides the contour lines themselves.
#[derive(Default)]
pub(crate) struct Avoid<'a> {
    /// Points to keep well away from: optimiser paths and their markers.
    pub(crate) far: &'a [Pixel],
    /// Points a label may come close to but not cover: gradient arrows, which fill the plot so
    /// densely that keeping a margin from them would leave no room for labels.
    pub(crate) near: &'a [Pixel],
    /// Boxes not to overlap: the legend.
    pub(crate) boxes: &'a [Rect],
}

/// Points that labels must not cover, bucketed so a box is checked against nearby points only.
struct Obstacles {
    bucket: f64,
    buckets: HashMap<(i64, i64), Vec<(Pixel, usize)>>,
}

impl Obstacles {
    fn key(&self, (x, y): Pixel) -> (i64, i64) {
        (
            (x / self.bucket).floor() as i64,
            (y / self.bucket).floor() as i64,
        )
    }

    /// Whether `rect` covers an obstacle point that does not belong to `owner`.
    fn blocks(&self, rect: &Rect, owner: usize) -> bool {
        let (lo, hi) = (self.key((rect.x0, rect.y0)), self.key((rect.x1, rect.y1)));
        (lo.0..=hi.0).any(|bx| {
            (lo.1..=hi.1).any(|by| {
                self.buckets.get(&(bx, by)).is_some_and(|points| {
                    points
                        .iter()
                        .any(|&(p, id)| id != owner && rect.contains(p))
                })
            })
        })
    }
}

/// Chooses at most one label position per line. `lines[k]` is a densely sampled polyline with a
/// label of size `sizes[k]`. `unit` is the number of pixels per pixel of a 1000×750 picture.
/// Lines shorter than four label widths stay unlabelled.
pub(crate) fn place(
    lines: &[Vec<Pixel>],
    sizes: &[(f64, f64)],
    avoid: &Avoid,
    area: Rect,
    unit: f64,
) -> Vec<Placement> {
    const NOBODY: usize = usize::MAX;
    let (gap_width, clearance, step) = (GAP * unit, CLEARANCE * unit, STEP * unit);
    let index = |points: &mut dyn Iterator<Item = (Pixel, usize)>| {
        let mut obstacles = Obstacles {
            bucket: BUCKET * unit,
            buckets: HashMap::new(),
        };
        for (p, id) in points {
            let key = obstacles.key(p);
            obstacles.buckets.entry(key).or_default().push((p, id));
        }
        obstacles
    };
    let owned = lines
        .iter()
        .enumerate()
        .flat_map(|(id, line)| line.iter().map(move |&p| (p, id)));
    let far = index(&mut owned.chain(avoid.far.iter().map(|&p| (p, NOBODY))));
    let near = index(&mut avoid.near.iter().map(|&p| (p, NOBODY)));
    let mut order: Vec<usize> = (0..lines.len()).collect();
    let lengths: Vec<f64> = lines.iter().map(|l| length(l)).collect();
    order.sort_by(|&a, &b| lengths[b].total_cmp(&lengths[a]));

    let mut placed: Vec<Placement> = Vec::new();
    for line in order {
        let size = sizes[line];
        if lengths[line] < 4.0 * size.0 {
            continue;
        }
        let min_separation = 3.0 * size.0.max(size.1);
        let best = candidates(&lines[line], size.0, step)
            .filter(|&centre| {
                let gap = Rect::centred(centre, size).grown(gap_width);
                area.grown(-gap_width).contains_rect(&gap)
                    && !far.blocks(&gap.grown(clearance), line)
                    && !near.blocks(&gap, line)
                    && avoid.boxes.iter().all(|c| !c.overlaps(&gap))
                    && placed.iter().all(|p| !p.gap.overlaps(&gap))
            })
            .map(|centre| {
                let nearest = placed
                    .iter()
                    .map(|p| distance(p.centre, centre))
                    .fold(f64::INFINITY, f64::min);
                (centre, nearest)
            })
            .filter(|&(_, nearest)| nearest >= min_separation)
            // Beyond four separations every spot is as good; the first such (most central) wins.
            .map(|(centre, nearest)| (centre, nearest.min(4.0 * min_separation)))
            .fold(None, |best: Option<(Pixel, f64)>, candidate| match best {
                Some(b) if b.1 >= candidate.1 => Some(b),
                _ => Some(candidate),
            });
        if let Some((centre, _)) = best {
            let gap = Rect::centred(centre, size).grown(gap_width);
            placed.push(Placement { line, centre, gap });
        }
    }
    placed.sort_by_key(|p| p.line);
    placed
}

/// Points every `step` pixels along `line`, middle of the line first, where the line is nearly
/// straight (its chord is at least 93% of its arc).
fn candidates(line: &[Pixel], width: f64, step: f64) -> impl Iterator<Item = Pixel> + '_ {
    let mut arc = Vec::with_capacity(line.len());
    let mut total = 0.0;
    arc.push(0.0);
    for w in line.windows(2) {
        total += distance(w[0], w[1]);
        arc.push(total);
    }
    let at = move |s: f64| -> Pixel {
        let k = arc.partition_point(|&a| a < s).clamp(1, line.len() - 1);
        let (a, b) = (line[k - 1], line[k]);
        let seg = arc[k] - arc[k - 1];
        let t = if seg > 0.0 {
            ((s - arc[k - 1]) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
    };
    let steps = (total / step) as i64;
    let middle = steps / 2;
    // Visit positions middle-out, so that ties in spacing favour labels mid-line.
    (0..=steps)
        .map(move |k| middle + if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 })
        .filter(move |&k| (0..=steps).contains(&k))
        .filter_map(move |k| {
            let s = k as f64 * step;
            // Line ends are plot borders, holes or junctions: keep labels well away from them.
            if s < 1.5 * width || s > total - 1.5 * width {
                return None;
            }
            // Judged over three times the label's width, so that labels keep away from corners
            // and saddle junctions, not merely from being folded around them.
            let (before, after) = (at(s - 1.5 * width), at(s + 1.5 * width));
            (distance(before, after) >= 0.93 * 3.0 * width).then(|| at(s))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn horizontal(y: f64) -> Vec<Pixel> {
        (0..=200).map(|k| (k as f64 * 2.0, y)).collect()
    }

    const AREA: Rect = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 400.0,
        y1: 400.0,
    };

    #[test]
    fn a_long_straight_line_is_labelled_in_its_middle_on_the_line() {
        let placed = place(
            &[horizontal(200.0)],
            &[(30.0, 12.0)],
            &Avoid::default(),
            AREA,
            1.0,
        );
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].centre.1, 200.0);
        assert!((placed[0].centre.0 - 200.0).abs() <= STEP);
    }

    #[test]
    fn labels_keep_clear_of_neighbouring_lines_and_each_other() {
        let lines = vec![horizontal(100.0), horizontal(108.0), horizontal(300.0)];
        let sizes = vec![(30.0, 12.0); 3];
        let placed = place(&lines, &sizes, &Avoid::default(), AREA, 1.0);
        // Lines 8 px apart leave no room for a 12 px high label; the far line gets one.
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].line, 2);
    }

    #[test]
    fn short_lines_and_lines_at_the_border_stay_unlabelled() {
        let short: Vec<Pixel> = (0..10).map(|k| (100.0 + k as f64, 100.0)).collect();
        assert!(place(&[short], &[(30.0, 12.0)], &Avoid::default(), AREA, 1.0).is_empty());
        assert!(
            place(
                &[horizontal(1.0)],
                &[(30.0, 12.0)],
                &Avoid::default(),
                AREA,
                1.0
            )
            .is_empty()
        );
    }

    #[test]
    fn obstacles_push_labels_away() {
        let obstacle: Vec<Pixel> = (150..250).map(|x| (x as f64, 200.0)).collect();
        let placed = place(
            &[horizontal(200.0)],
            &[(30.0, 12.0)],
            &Avoid {
                far: &obstacle,
                ..Avoid::default()
            },
            AREA,
            1.0,
        );
        assert_eq!(placed.len(), 1);
        let gap = placed[0].gap;
        assert!(obstacle.iter().all(|p| !gap.contains(*p)), "{gap:?}");
        let legend = Rect {
            x0: 100.0,
            y0: 150.0,
            x1: 300.0,
            y1: 250.0,
        };
        let placed = place(
            &[horizontal(200.0)],
            &[(30.0, 12.0)],
            &Avoid {
                boxes: &[legend],
                ..Avoid::default()
            },
            AREA,
            1.0,
        );
        assert!(!placed[0].gap.overlaps(&legend));
    }

    #[test]
    fn sharp_corners_are_avoided() {
        // A "V" with its corner in the middle: the label goes on a straight arm.
        let mut v: Vec<Pixel> = (0..=100)
            .map(|k| (100.0 + k as f64, 100.0 + k as f64))
            .collect();
        v.extend((1..=100).map(|k| (200.0 + k as f64, 200.0 - k as f64)));
        let placed = place(&[v], &[(30.0, 12.0)], &Avoid::default(), AREA, 1.0);
        assert_eq!(placed.len(), 1);
        assert!((placed[0].centre.0 - 200.0).abs() > 10.0);
    }
}
