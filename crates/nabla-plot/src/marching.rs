//! Marching squares: the contour lines `f = level` of a sampled grid, as polylines in data
//! coordinates. Crossing points are linearly interpolated along cell edges, saddle cells are
//! resolved by the cell-centre average, and cells with a non-finite corner are skipped, so lines
//! stop at holes in the domain.

use std::collections::HashMap;

use crate::sampling::Grid;

/// A cell edge, named by its lower-left lattice point; both cells sharing the edge name it alike,
/// which is what lets segments be joined without comparing floating-point coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Edge {
    /// From lattice point (i, j) to (i + 1, j).
    Horizontal(usize, usize),
    /// From lattice point (i, j) to (i, j + 1).
    Vertical(usize, usize),
}

/// The contour lines of `grid` at `level`, each a polyline of data points. A closed line ends
/// with its first point repeated.
pub(crate) fn contour_lines(grid: &Grid, level: f64) -> Vec<Vec<(f64, f64)>> {
    let segments = cell_segments(grid, level);
    join(grid, level, &segments)
}

/// One or two segments per cell that the level crosses, as pairs of crossed edges.
fn cell_segments(grid: &Grid, level: f64) -> Vec<[Edge; 2]> {
    let (nx, ny) = (grid.xs.len(), grid.ys.len());
    let mut segments = Vec::new();
    for j in 0..ny.saturating_sub(1) {
        for i in 0..nx.saturating_sub(1) {
            let corners = [
                grid.at(i, j),
                grid.at(i + 1, j),
                grid.at(i + 1, j + 1),
                grid.at(i, j + 1),
            ];
            if corners.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let bottom = Edge::Horizontal(i, j);
            let right = Edge::Vertical(i + 1, j);
            let top = Edge::Horizontal(i, j + 1);
            let left = Edge::Vertical(i, j);
            // Bit k is set when corner k (counter-clockwise from the bottom left) is at or above.
            let case = corners
                .iter()
                .enumerate()
                .fold(0u8, |acc, (k, &v)| acc | (u8::from(v >= level) << k));
            let centre_above = corners.iter().sum::<f64>() / 4.0 >= level;
            match case {
                0 | 15 => {}
                1 | 14 => segments.push([left, bottom]),
                2 | 13 => segments.push([bottom, right]),
                3 | 12 => segments.push([left, right]),
                4 | 11 => segments.push([right, top]),
                6 | 9 => segments.push([bottom, top]),
                7 | 8 => segments.push([left, top]),
                // Saddles: corners 0 and 2 above (case 5) or 1 and 3 above (case 10). The centre
                // decides whether the above-corners are connected through the middle.
                5 if centre_above => segments.extend([[left, top], [bottom, right]]),
                5 => segments.extend([[left, bottom], [right, top]]),
                10 if centre_above => segments.extend([[left, bottom], [right, top]]),
                10 => segments.extend([[left, top], [bottom, right]]),
                _ => unreachable!("four corners give sixteen cases"),
            }
        }
    }
    segments
}

/// Where the level crosses `edge`, by linear interpolation between its two samples.
fn crossing(grid: &Grid, level: f64, edge: Edge) -> (f64, f64) {
    let ((i0, j0), (i1, j1)) = match edge {
        Edge::Horizontal(i, j) => ((i, j), (i + 1, j)),
        Edge::Vertical(i, j) => ((i, j), (i, j + 1)),
    };
    let (a, b) = (grid.at(i0, j0), grid.at(i1, j1));
    // The edge is only crossed when a and b lie on different sides, so a != b.
    let t = ((level - a) / (b - a)).clamp(0.0, 1.0);
    let lerp = |p: f64, q: f64| p + t * (q - p);
    (
        lerp(grid.xs[i0], grid.xs[i1]),
        lerp(grid.ys[j0], grid.ys[j1]),
    )
}

/// Chains segments that share an edge into polylines: open ones first (they start where a line
/// leaves the grid or meets a hole), then the closed loops that remain.
fn join(grid: &Grid, level: f64, segments: &[[Edge; 2]]) -> Vec<Vec<(f64, f64)>> {
    let mut at_edge: HashMap<Edge, Vec<usize>> = HashMap::with_capacity(segments.len() * 2);
    for (index, segment) in segments.iter().enumerate() {
        for edge in segment {
            at_edge.entry(*edge).or_default().push(index);
        }
    }
    let mut used = vec![false; segments.len()];
    let mut lines = Vec::new();
    let trace = |start: Edge, first: usize, used: &mut Vec<bool>| {
        let mut line = vec![crossing(grid, level, start)];
        let (mut edge, mut index) = (start, first);
        loop {
            used[index] = true;
            let [a, b] = segments[index];
            edge = if a == edge { b } else { a };
            line.push(crossing(grid, level, edge));
            match at_edge[&edge].iter().find(|&&next| !used[next]) {
                Some(&next) => index = next,
                None => break,
            }
        }
        line
    };
    let mut open_ends: Vec<(Edge, usize)> = at_edge
        .iter()
        .filter(|(_, indices)| indices.len() == 1)
        .map(|(edge, indices)| (*edge, indices[0]))
        .collect();
    // Hash order is random; tracing in segment order keeps pictures reproducible.
    open_ends.sort_by_key(|&(_, index)| index);
    for (edge, index) in open_ends {
        if !used[index] {
            lines.push(trace(edge, index, &mut used));
        }
    }
    for index in 0..segments.len() {
        if !used[index] {
            lines.push(trace(segments[index][0], index, &mut used));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::Interval;

    fn grid(f: impl Fn(f64, f64) -> f64, n: usize) -> Grid {
        let square = Interval {
            min: -1.0,
            max: 1.0,
        };
        Grid::sample(f, square, square, n, n)
    }

    #[test]
    fn circle_is_one_closed_loop_on_the_circle() {
        let g = grid(|x, y| x * x + y * y, 41);
        let lines = contour_lines(&g, 0.25);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(
            line.first(),
            line.last(),
            "closed loops repeat their first point"
        );
        assert!(line.len() > 40);
        for &(x, y) in line {
            let r = (x * x + y * y).sqrt();
            assert!((r - 0.5).abs() < 0.01, "point ({x}, {y}) at radius {r}");
        }
    }

    #[test]
    fn plane_gives_one_exact_straight_line_across_the_grid() {
        // x + y = 0.3 is linear, so interpolated crossings are exact.
        let g = grid(|x, y| x + y, 11);
        let lines = contour_lines(&g, 0.3);
        assert_eq!(lines.len(), 1);
        for &(x, y) in &lines[0] {
            assert!((x + y - 0.3).abs() < 1e-12);
        }
        let (start, end) = (lines[0][0], *lines[0].last().unwrap());
        assert_ne!(start, end, "the line leaves the grid: it is open");
        let on_border =
            |(x, y): (f64, f64)| (x.abs() - 1.0).abs() < 1e-12 || (y.abs() - 1.0).abs() < 1e-12;
        assert!(on_border(start) && on_border(end));
    }

    #[test]
    fn saddle_gives_two_branches_of_the_hyperbola() {
        // x² − y² = 0.2 has two branches, left and right, that must not be joined.
        let g = grid(|x, y| x * x - y * y, 40);
        let lines = contour_lines(&g, 0.2);
        assert_eq!(lines.len(), 2);
        let sides: Vec<bool> = lines.iter().map(|l| l.iter().all(|p| p.0 > 0.0)).collect();
        assert!(sides.contains(&true) && sides.contains(&false));
        for line in &lines {
            assert!(
                line.iter()
                    .all(|p| (p.0 * p.0 - p.1 * p.1 - 0.2).abs() < 0.02)
            );
        }
    }

    #[test]
    fn level_outside_the_range_gives_nothing() {
        let g = grid(|x, y| x * x + y * y, 20);
        assert!(contour_lines(&g, 5.0).is_empty());
        assert!(contour_lines(&g, -1.0).is_empty());
    }

    #[test]
    fn holes_cut_lines_instead_of_panicking() {
        // The circle r = 0.5 with the right half-plane undefined: an open arc on the left.
        let g = grid(|x, y| if x > 0.0 { f64::NAN } else { x * x + y * y }, 41);
        let lines = contour_lines(&g, 0.25);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_ne!(line.first(), line.last());
        assert!(line.iter().all(|p| p.0 <= 0.0));
        let all_nan = grid(|_, _| f64::NAN, 10);
        assert!(contour_lines(&all_nan, 0.0).is_empty());
    }

    proptest::proptest! {
        /// On a linear field interpolation is exact: every contour point lies on the level set,
        /// and the whole level set inside the square is one open line.
        #[test]
        fn linear_fields_are_contoured_exactly(
            a in -5.0f64..5.0, b in -5.0f64..5.0, level in -3.0f64..3.0,
        ) {
            proptest::prop_assume!(a.abs() + b.abs() > 0.1);
            let g = grid(|x, y| a * x + b * y, 17);
            let lines = contour_lines(&g, level);
            proptest::prop_assert!(lines.len() <= 1);
            for line in &lines {
                for &(x, y) in line {
                    proptest::prop_assert!((a * x + b * y - level).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn every_segment_is_used_once() {
        // Two separate bumps give two loops; their points together match the segment count.
        let g = grid(
            |x, y| {
                (-(((x - 0.5).powi(2) + y * y) * 20.0)).exp()
                    + (-(((x + 0.5).powi(2) + y * y) * 20.0)).exp()
            },
            61,
        );
        let segments = cell_segments(&g, 0.5);
        let lines = contour_lines(&g, 0.5);
        assert_eq!(lines.len(), 2);
        let joined: usize = lines.iter().map(|l| l.len() - 1).sum();
        assert_eq!(joined, segments.len());
    }
}
