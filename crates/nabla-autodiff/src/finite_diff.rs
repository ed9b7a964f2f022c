//! Finite differences with Richardson extrapolation and error estimates: derivative, gradient,
//! Jacobian and Hessian of plain `f64` functions (the jobs of `scipy.differentiate` and
//! numdifftools).
//!
//! # Method
//!
//! A base difference `D(h)` (the central first difference, the central second difference, or
//! the four-point mixed difference) has an error expansion in even powers of `h`. It is taken at
//! the geometric steps `h_k = h0 / r^k`, `k = 0, 1, …`, and a Richardson table eliminates the
//! `h², h⁴, …` terms over a sliding window of `order / 2` levels, which is the same as a central
//! stencil of that order on the points `x ± h_k`. Each new level costs two evaluations for a
//! first derivative and refines the estimate; the estimate kept is the one with the smallest
//! error estimate without its safety factor (below), and the levels stop once that has passed
//! its minimum (rounding noise, which grows like `1/h`, has taken over from truncation error,
//! which falls like `h^order`). The differences divide by the offsets `x ± h` actually reach in
//! floating point, so that a rounded `x ± h` shifts the centre of the difference by at most
//! half an ulp of `x` instead of scaling it.
//!
//! Where truncation is negligible already at the coarse levels (a function that is a polynomial
//! of low degree along the step), a less extrapolated estimate from larger steps is kept instead
//! when its column stays flat within rounding over the next levels: it carries less rounding
//! noise than the full-order estimate, whose window reaches finer steps.
//!
//! Near the kept level the error of a smooth function is mostly the rounding of its values,
//! amplified by `1/h` and the Richardson weights. Where the budget of `max_levels` levels
//! leaves room, the window of levels the kept estimate combines (of either kind above) is taken
//! again at steps scaled by 31/32, and the mean of the two estimates replaces the kept one if
//! they agree within its error estimate: nearly the same truncation error, independent rounding.
//!
//! The first step is large (`max(1, |x|)`), so that the windows with the least rounding noise
//! come first; where it is too large for the function, the estimates of the first levels
//! disagree, their error estimates are large, and the levels go on.
//!
//! # Error estimate
//!
//! Conservative by construction, the error estimate of the estimate `E_k` at level `k` is the sum
//! of
//! - truncation: a safety factor (5 for first, 6 for second derivatives) times the largest of
//!   `|E_k − E_{k−1}|` (an estimate of the error of the *previous*, coarser estimate), the last
//!   Richardson correction `|E_k − E'_k|` (the error of the next-lower order at the same level),
//!   `|E_{k−1} − E_{k−2}| / r^order` (what the previous change predicts; guards against two
//!   estimates agreeing by luck) and, once the next level has been computed, `|E_{k+1} − E_k|`
//!   (the kept estimate must agree with both neighbours, not only with the coarser one, which
//!   in the rounding-dominated levels it can match by chance). In the asymptotic regime these
//!   exceed the true truncation error of `E_k` by about `r^order`;
//! - rounding: `rel_noise` times the Richardson combination of `Σ|wᵢ f(xᵢ)|`, a worst-case bound
//!   on how far relative evaluation errors of size `rel_noise` in `f` move the estimate, plus,
//!   at levels where `x ± h` rounds (with the default power-of-two steps, only where `x ± h`
//!   falls in a binade too coarse for the last bits of `x`), `rel_noise · |D| · |x| / h` for
//!   the shifted centre;
//! - representation: two ulps of the estimate.
//!
//! The mean with the offset window adds its distance from the kept estimate.
//!
//! With the defaults (order 10, `r = 2`, at most 15 levels, offset levels included) a first
//! derivative of a smooth function costs 24 to 30 evaluations and is typically accurate to 14
//! to 15 digits.

use crate::error::{Error, check_len};

/// Options of the finite-difference drivers.
#[derive(Clone, Debug, PartialEq)]
pub struct FdOptions {
    /// Order of the extrapolated central difference: an even number from 2 to 16 (default 10).
    /// Each estimate combines `order / 2` step levels.
    pub order: usize,
    /// Largest step. `None` (default) picks `max(1, |xᵢ|)` per coordinate for first and mixed
    /// second differences and `2 · max(1, |xᵢ|)` for pure second differences (Hessian
    /// diagonal), rounded to a power of two so that the steps are exact. The levels descend
    /// from there to the steps a function with a shorter scale (or a singularity closer than
    /// that to the point) needs; lowering it to that scale saves the evaluations on the way.
    pub initial_step: Option<f64>,
    /// Ratio between successive steps (default 2), greater than 1.
    pub step_ratio: f64,
    /// Maximum number of step levels, the offset window included (default 15, i.e. at most 30
    /// evaluations per first derivative, one fewer than numdifftools' default); at least
    /// `order / 2 + 1`, at most 30.
    pub max_levels: usize,
    /// Assumed relative error of an evaluation of `f` (default `1e-15`, about 4.5 ulps). Raise
    /// it for functions computed with cancellation; it only affects the error estimate and
    /// where the iteration stops.
    pub rel_noise: f64,
}

impl Default for FdOptions {
    fn default() -> Self {
        Self {
            order: 10,
            initial_step: None,
            step_ratio: 2.0,
            max_levels: 15,
            rel_noise: 1e-15,
        }
    }
}

impl FdOptions {
    fn validate(&self) -> Result<(), Error> {
        let invalid = |name, reason| Err(Error::InvalidOption { name, reason });
        if !(self.order.is_multiple_of(2) && (2..=MAX_ORDER).contains(&self.order)) {
            return invalid("order", "must be an even number from 2 to 16");
        }
        if !(self.step_ratio > 1.0 && self.step_ratio.is_finite()) {
            return invalid("step_ratio", "must be a finite number greater than 1");
        }
        if self.max_levels < self.order / 2 + 1 || self.max_levels > 30 {
            return invalid(
                "max_levels",
                "must be at least order / 2 + 1 and at most 30",
            );
        }
        if !(self.rel_noise >= 0.0 && self.rel_noise.is_finite()) {
            return invalid("rel_noise", "must be a finite number >= 0");
        }
        if let Some(h) = self.initial_step
            && !(h > 0.0 && h.is_finite())
        {
            return invalid("initial_step", "must be a finite number greater than 0");
        }
        Ok(())
    }

    /// The first step for coordinate value `x` of a difference of kind `kind`.
    fn first_step(&self, x: f64, kind: Difference) -> f64 {
        let h = self
            .initial_step
            .unwrap_or(kind.default_step_scale() * x.abs().max(1.0));
        // A power of two: x ± h and the later steps h / 2^k are then exact in most cases.
        if self.step_ratio == 2.0 {
            2f64.powi(h.log2().round() as i32)
        } else {
            h
        }
    }
}

/// The base differences, which differ in how fast rounding noise grows as the step shrinks.
#[derive(Clone, Copy)]
enum Difference {
    /// Central first difference and four-point mixed second difference.
    FirstOrMixed,
    /// Three-point second difference `(f(x+h) − 2f(x) + f(x−h)) / h²`.
    PureSecond,
}

impl Difference {
    /// Default first step relative to `max(1, |x|)`.
    ///
    /// An extrapolated estimate is only as good as the smallest step of its window (`h0 / 32`
    /// for the first estimate that gets an error bound with the default order 10), whose
    /// rounding noise sets the accuracy on smooth functions. A first step of the size of the
    /// scale of `x` lets the levels start where that noise is smallest, and where it is too
    /// large for the function it only costs the levels until the estimates agree. The pure
    /// second difference amplifies rounding noise by `1/h²` instead of `1/h`, so it starts twice
    /// as far out (mixed differences did not gain from that). Measured with
    /// `examples/fd_accuracy.rs` (docs/PERFORMANCE.md): with order 10, these steps, 4 times the
    /// previous `0.25` and `0.5`, gained 0.3 median digits over order 8; 2 times gained less, 8
    /// times as much but at more evaluations and with error estimates below the true error on
    /// random functions.
    fn default_step_scale(self) -> f64 {
        match self {
            Difference::FirstOrMixed => 1.0,
            Difference::PureSecond => 2.0,
        }
    }
}

/// A finite-difference result.
#[derive(Clone, Debug, PartialEq)]
pub struct FdEstimate<T> {
    /// The derivative estimate.
    pub estimate: T,
    /// A conservative bound on `|estimate − exact|` (entry by entry for vectors and matrices).
    pub error: T,
    /// Number of evaluations of the function.
    pub evaluations: usize,
}

/// `f'(x)`.
///
/// ```
/// use nabla_autodiff::finite_diff::{derivative, FdOptions};
///
/// let d = derivative(f64::exp, 1.0, &FdOptions::default()).unwrap();
/// let true_error = (d.estimate - 1.0_f64.exp()).abs();
/// assert!(true_error < 1e-13 * 1.0_f64.exp());
/// assert!(true_error <= d.error);
/// assert!(d.evaluations <= 30);
/// ```
pub fn derivative(
    f: impl Fn(f64) -> f64,
    x: f64,
    opts: &FdOptions,
) -> Result<FdEstimate<f64>, Error> {
    let g = gradient(|v: &[f64]| f(v[0]), &[x], opts)?;
    Ok(FdEstimate {
        estimate: g.estimate[0],
        error: g.error[0],
        evaluations: g.evaluations,
    })
}

/// `∇f(x)`, coordinate by coordinate.
///
/// ```
/// use nabla_autodiff::finite_diff::{gradient, FdOptions};
///
/// let g = gradient(|x: &[f64]| x[0].sin() * x[1], &[0.5, 2.0], &FdOptions::default()).unwrap();
/// assert!((g.estimate[0] - 2.0 * 0.5_f64.cos()).abs() <= g.error[0]);
/// assert!((g.estimate[1] - 0.5_f64.sin()).abs() <= g.error[1]);
/// ```
pub fn gradient(
    f: impl Fn(&[f64]) -> f64,
    x: &[f64],
    opts: &FdOptions,
) -> Result<FdEstimate<Vec<f64>>, Error> {
    let j = jacobian(|x| vec![f(x)], x, opts)?;
    Ok(FdEstimate {
        estimate: j.estimate.into_iter().next().unwrap_or_default(),
        error: j.error.into_iter().next().unwrap_or_default(),
        evaluations: j.evaluations,
    })
}

/// The Jacobian `J[i][j] = ∂fᵢ/∂xⱼ` of a vector function, column by column.
///
/// ```
/// use nabla_autodiff::finite_diff::{jacobian, FdOptions};
///
/// let f = |x: &[f64]| vec![x[0] * x[1], x[0].exp()];
/// let j = jacobian(f, &[1.0, 3.0], &FdOptions::default()).unwrap();
/// assert!((j.estimate[0][1] - 1.0).abs() <= j.error[0][1]);
/// assert!((j.estimate[1][0] - 1.0_f64.exp()).abs() <= j.error[1][0]);
/// ```
pub fn jacobian(
    f: impl Fn(&[f64]) -> Vec<f64>,
    x: &[f64],
    opts: &FdOptions,
) -> Result<FdEstimate<Vec<Vec<f64>>>, Error> {
    opts.validate()?;
    check_finite(x)?;
    let mut evaluations = 0;
    let mut m = None;
    let mut eval = |p: &[f64]| -> Result<Vec<f64>, Error> {
        evaluations += 1;
        let y = f(p);
        let expected = *m.get_or_insert(y.len());
        check_output_len(expected, y.len())?;
        Ok(y)
    };
    let mut columns = Vec::with_capacity(x.len());
    let mut p = x.to_vec();
    for (j, &xj) in x.iter().enumerate() {
        let h0 = opts.first_step(xj, Difference::FirstOrMixed);
        let column = extrapolate(SAFETY_FIRST, opts, |scale| {
            let h = h0 * scale;
            p[j] = xj + h;
            let fp = eval(&p)?;
            p[j] = xj - h;
            let fm = eval(&p)?;
            p[j] = xj;
            // `eval` has checked that `fp` and `fm` have the same length as every output.
            let steps = Steps::new(xj, h);
            Ok(fp
                .iter()
                .zip(&fm)
                .map(|(a, b)| {
                    let d = (a - b) / steps.spacing();
                    let noise = (a.abs() + b.abs()) / steps.spacing() + steps.asymmetry(d);
                    (d, noise)
                })
                .collect())
        })?;
        columns.push(column);
    }
    // With no coordinates, nothing was evaluated yet: one call gives the number of outputs.
    let m = m.unwrap_or_else(|| {
        evaluations += 1;
        f(x).len()
    });
    let rows = |pick: fn(&(f64, f64)) -> f64| -> Vec<Vec<f64>> {
        (0..m)
            .map(|i| columns.iter().map(|c| pick(&c[i])).collect())
            .collect()
    };
    Ok(FdEstimate {
        estimate: rows(|c| c.0),
        error: rows(|c| c.1),
        evaluations,
    })
}

/// The Hessian `H[i][j] = ∂²f/∂xᵢ∂xⱼ`: central second differences on the diagonal, four-point
/// mixed differences off it, each extrapolated and with its own error estimate. The matrix is
/// symmetric by construction (the upper triangle is computed and mirrored).
///
/// ```
/// use nabla_autodiff::finite_diff::{hessian, FdOptions};
///
/// let h = hessian(|x: &[f64]| x[0].exp() * x[1].sin(), &[0.3, 0.7], &FdOptions::default())
///     .unwrap();
/// let exact_01 = 0.3_f64.exp() * 0.7_f64.cos();
/// assert!((h.estimate[0][1] - exact_01).abs() <= h.error[0][1]);
/// assert!(h.error[0][1] < 1e-9);
/// ```
pub fn hessian(
    f: impl Fn(&[f64]) -> f64,
    x: &[f64],
    opts: &FdOptions,
) -> Result<FdEstimate<Vec<Vec<f64>>>, Error> {
    opts.validate()?;
    check_finite(x)?;
    let n = x.len();
    let mut evaluations = 1;
    let f0 = f(x);
    let mut estimate = vec![vec![0.0; n]; n];
    let mut error = vec![vec![0.0; n]; n];
    let mut p = x.to_vec();
    for i in 0..n {
        for j in i..n {
            let kind = if i == j {
                Difference::PureSecond
            } else {
                Difference::FirstOrMixed
            };
            let (hi0, hj0) = (opts.first_step(x[i], kind), opts.first_step(x[j], kind));
            let entry = extrapolate(SAFETY_SECOND, opts, |scale| {
                let (hi, hj) = (hi0 * scale, hj0 * scale);
                let mut at = |di: f64, dj: f64| {
                    p[i] += di;
                    p[j] += dj;
                    let y = f(&p);
                    p[i] = x[i];
                    p[j] = x[j];
                    y
                };
                let (si, sj) = (Steps::new(x[i], hi), Steps::new(x[j], hj));
                let (d, noise) = if i == j {
                    let (up, down) = (at(hi, 0.0), at(-hi, 0.0));
                    evaluations += 2;
                    // The three-point second difference on the offsets actually taken, which
                    // differ from ±h when x ± h rounds: with the uniform formula, that rounding
                    // would add an error f'·(b − a)/h², which grows like 1/h².
                    let (a, b) = (si.below, si.above);
                    let scale = 2.0 / (a * b * (a + b));
                    // Differences of neighbouring values first: they are exact where the values
                    // are within a factor 2 of each other (Sterbenz), so the sum rounds only at
                    // the size of the result, not at the size of f.
                    let d = (a * (up - f0) + b * (down - f0)) * scale;
                    let noise = (a * up.abs() + (a + b) * f0.abs() + b * down.abs()) * scale;
                    (d, noise + si.asymmetry(d))
                } else {
                    let v = [at(hi, hj), at(hi, -hj), at(-hi, hj), at(-hi, -hj)];
                    evaluations += 4;
                    let area = si.spacing() * sj.spacing();
                    // The difference of two first differences along j, each exact for close
                    // values; summed left to right, the partial sums would round at the size of
                    // f.
                    let d = ((v[0] - v[1]) - (v[2] - v[3])) / area;
                    let noise = v.iter().map(|v| v.abs()).sum::<f64>() / area;
                    (d, noise + si.asymmetry(d) + sj.asymmetry(d))
                };
                Ok(vec![(d, noise)])
            })?;
            let (e, err) = entry[0];
            (estimate[i][j], estimate[j][i]) = (e, e);
            (error[i][j], error[j][i]) = (err, err);
        }
    }
    Ok(FdEstimate {
        estimate,
        error,
        evaluations,
    })
}

/// The estimates and error estimates of the entries whose base differences (value, absolute
/// noise scale) `base` returns at the step scale it is given (the first step times that scale):
/// the levels `scale = 1 / r^k` until every entry has passed its minimum error, then, where the
/// evaluation budget of `max_levels` levels allows, the windows of the kept estimates (full
/// order or least rounded) again at steps offset by [`OFFSET_STEP`], for [`Pick::average`].
fn extrapolate(
    safety: f64,
    opts: &FdOptions,
    mut base: impl FnMut(f64) -> Result<Vec<(f64, f64)>, Error>,
) -> Result<Vec<(f64, f64)>, Error> {
    let level_scale = |factor: f64, k: usize| factor / opts.step_ratio.powi(k as i32);
    let mut ex = Extrapolator::new(safety);
    let mut levels = 0;
    while levels < opts.max_levels {
        ex.push(base(level_scale(1.0, levels))?, opts);
        levels += 1;
        if ex.converged() {
            break;
        }
    }
    let mut picks = ex.finish()?;
    let first = picks.iter().map(|p| p.window.first()).min();
    let last = picks.iter().map(|p| p.window.last).max();
    if let (Some(first), Some(last)) = (first, last)
        && levels + last + 1 - first <= opts.max_levels
    {
        let mut offset = Extrapolator::new(safety);
        for k in first..=last {
            offset.push(base(level_scale(OFFSET_STEP, k))?, opts);
        }
        for (pick, entry) in picks.iter_mut().zip(&offset.entries) {
            pick.average(entry, first);
        }
    }
    Ok(picks.iter().map(|p| (p.estimate, p.error)).collect())
}

/// The offsets `x + h` and `x − h` actually reach in floating point.
struct Steps {
    /// `(x + h) − x`.
    above: f64,
    /// `x − (x − h)`.
    below: f64,
    /// `h` itself, the nominal offset.
    nominal: f64,
    /// `|x|`.
    center: f64,
}

impl Steps {
    fn new(x: f64, h: f64) -> Self {
        Self {
            above: (x + h) - x,
            below: x - (x - h),
            nominal: h,
            center: x.abs(),
        }
    }

    /// The distance between the two points.
    fn spacing(&self) -> f64 {
        self.above + self.below
    }

    /// The noise scale (to be multiplied by the relative noise) of how far a difference `d`
    /// moves when `x ± h` rounds: the points are then no longer symmetric about `x`, so the
    /// difference is centred about a point up to half an ulp of `x` away. Zero when both
    /// offsets are exact, which the power-of-two steps make the common case.
    fn asymmetry(&self, d: f64) -> f64 {
        if self.above == self.nominal && self.below == self.nominal {
            0.0
        } else {
            d.abs() * self.center / self.nominal
        }
    }
}

fn check_finite(x: &[f64]) -> Result<(), Error> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinitePoint {
            index,
            value: x[index],
        }),
        None => Ok(()),
    }
}

fn check_output_len(expected: usize, found: usize) -> Result<(), Error> {
    check_len("output", expected, found).map_err(|_| Error::OutputLengthChanged { expected, found })
}

/// Safety factors on the truncation part of the error estimate, for first and for second
/// derivatives. A difference of successive estimates measures their error only up to luck: when
/// rounding noise dominates, two noisy estimates can agree by chance, and the level with the
/// smallest estimated error is biased towards such agreements. Second differences amplify noise
/// by `1/h²` instead of `1/h`, which makes this worse. Scans of 60 000 random smooth functions
/// (the `test_support` generator, 3 variables) showed true errors up to 2.5 times the unscaled
/// difference for gradients and up to 4.8 times for Hessian entries; with these factors, no
/// violation.
const SAFETY_FIRST: f64 = 5.0;
const SAFETY_SECOND: f64 = 6.0;

/// How many further levels must reproduce an estimate for [`Entry::least_rounded`] to take it
/// instead of the kept one, and within which fraction of their rounding bounds. A column flat
/// over a factor `r^8` (256 with the default ratio) in `h²` does not happen by chance the way a
/// match of two neighbours does. The fraction, because the bounds are worst cases, typically
/// tens of times the actual rounding, and the bound of the last of the levels is up to `r^8`
/// times the candidate's own. Measured on the table and the random functions of
/// docs/PERFORMANCE.md: 3 to 5 levels alike at order 10, 1 or 2 admit columns whose truncation
/// error is still far above rounding; fractions 1, 0.5, 0.25 and 0.1 at orders 4 to 12: 0.25
/// best or within 0.001 digits of the best at every order.
const FLAT_LEVELS: usize = 4;
const FLAT_TOLERANCE: f64 = 0.25;

/// Step factor of the offset table of [`extrapolate`]. Close to 1, so that the offset estimate
/// has nearly the truncation error of the kept one and the mean gains only on the rounding of
/// the function values, which is independent at the offset points. Measured on the random
/// functions of docs/PERFORMANCE.md (seed 7, mean gradient / Hessian digits 14.33 / 12.18
/// without): 0.5625 to 0.875 gained less on gradients and lost on Hessians (0.75: 14.40 /
/// 12.14), 31/32 to 255/256 gained most (14.45 / 12.23), 1.0625 to 1.25 less again; of those,
/// 31/32 left the fewest table entries behind numdifftools.
const OFFSET_STEP: f64 = 0.96875;

/// Largest supported `FdOptions::order`: the Richardson row holds `MAX_ORDER / 2` columns.
const MAX_ORDER: usize = 16;

/// The Richardson tables of several entries sharing their step levels.
struct Extrapolator {
    entries: Vec<Entry>,
    /// Safety factor on the truncation part of the error.
    safety: f64,
}

/// The sliding Richardson row of one entry and the best estimate seen so far.
#[derive(Clone, Default)]
struct Entry {
    /// Row of the table at the last level: `row[j]` eliminates `h², …, h^(2j)`.
    row: [f64; MAX_ORDER / 2],
    /// The same combination applied to the absolute noise scales.
    noise: [f64; MAX_ORDER / 2],
    /// Consecutive finite levels in the current row.
    filled: usize,
    previous: Option<f64>,
    /// Safety factor on the truncation part of the error.
    safety: f64,
    /// `|E_{k−1} − E_{k−2}|`, the change at the previous level.
    previous_change: Option<f64>,
    /// The kept level: the one with the smallest score.
    best: Option<Best>,
    /// The score at the last level exceeded the best one.
    past_minimum: bool,
    /// The rows of the table since the last restart.
    levels: Vec<Level>,
    /// Levels pushed, restarts included.
    pushed: usize,
}

/// One row of the Richardson table, kept for [`Entry::least_rounded`].
#[derive(Clone, Copy)]
struct Level {
    /// `row[j]` for `j < depth`: the estimate of order `2(j + 1)` ending at this level.
    row: [f64; MAX_ORDER / 2],
    /// The rounding part of the error estimate of each `row[j]`.
    rounding: [f64; MAX_ORDER / 2],
    depth: usize,
}

/// The kept level of an [`Entry`].
#[derive(Clone, Copy)]
struct Best {
    estimate: f64,
    error: f64,
    /// The error estimate without the safety factor, by which levels are compared.
    score: f64,
    /// The rounding and representation part of `error`.
    rest: f64,
    /// The kept level is the last one pushed, so the next change also measures its error.
    is_last: bool,
    /// Its place in the table: the last column (the full order) at the level it was found.
    window: Window,
}

/// The estimate an [`Entry`] returns.
struct Pick {
    estimate: f64,
    error: f64,
    /// Where in the table the estimate comes from, for the offset table.
    window: Window,
}

/// The levels an estimate of the Richardson table combines: `column + 1` consecutive ones
/// ending at level `last` (counted among all levels pushed).
#[derive(Clone, Copy)]
struct Window {
    last: usize,
    column: usize,
}

impl Window {
    fn first(self) -> usize {
        self.last - self.column
    }
}

impl Pick {
    /// Averages the pick with the estimate of the same window in `offset`, the table of the
    /// same levels at steps scaled by [`OFFSET_STEP`] (whose first level is level `first`),
    /// when the two agree within the pick's error estimate. Near the kept level the error is
    /// mostly the rounding of the function values, amplified by the Richardson weights, and the
    /// offset steps round independently: the mean carries up to √2 less of it. The error
    /// estimate becomes the distance to the pick plus the pick's, a bound whenever that one is.
    fn average(&mut self, offset: &Entry, first: usize) {
        let window = self.window;
        // A restart (a point outside the domain) shortens the offset table: no counterpart then.
        if offset.levels.len() != offset.pushed {
            return;
        }
        let Some(other) = offset
            .levels
            .get(window.last - first)
            .filter(|l| window.column < l.depth)
            .map(|l| l.row[window.column])
        else {
            return;
        };
        if (other - self.estimate).abs() <= self.error {
            let mean = 0.5 * (self.estimate + other);
            self.error += (mean - self.estimate).abs();
            self.estimate = mean;
        }
    }
}

impl Extrapolator {
    fn new(safety: f64) -> Self {
        Self {
            entries: Vec::new(),
            safety,
        }
    }

    /// Adds the base differences (value, absolute noise scale) of the next level, one per
    /// entry; the first level sets the number of entries.
    fn push(&mut self, level: Vec<(f64, f64)>, opts: &FdOptions) {
        if self.entries.is_empty() {
            let entry = Entry {
                safety: self.safety,
                ..Entry::default()
            };
            self.entries = vec![entry; level.len()];
        }
        for (e, (d, noise)) in self.entries.iter_mut().zip(level) {
            e.push(d, noise, opts);
        }
    }

    /// True when every entry has an estimate and has gone past its minimum error.
    fn converged(&self) -> bool {
        self.entries
            .iter()
            .all(|e| e.best.is_some() && e.past_minimum)
    }

    /// The picked estimate per entry.
    fn finish(self) -> Result<Vec<Pick>, Error> {
        self.entries
            .into_iter()
            .map(|e| {
                let best = e.best.ok_or(Error::NotFiniteNearPoint)?;
                Ok(e.least_rounded(best))
            })
            .collect()
    }
}

impl Entry {
    /// The kept estimate, or an estimate of the table with a smaller rounding bound whose
    /// truncation error is below rounding: one that the same column at the next
    /// [`FLAT_LEVELS`] levels reproduces within a fraction [`FLAT_TOLERANCE`] of their rounding
    /// bounds. Where truncation is negligible from the coarse levels on (a function polynomial
    /// of low degree along the step, or nearly so), the less extrapolated estimates at the
    /// larger steps carry less rounding than the full-order one kept by the score, whose window
    /// reaches finer steps. Its error estimate is its distance from the kept estimate plus the
    /// kept estimate's error estimate, a bound whenever that one is.
    fn least_rounded(&self, best: Best) -> Pick {
        let mut pick = Pick {
            estimate: best.estimate,
            error: best.error,
            window: best.window,
        };
        // Levels before the last restart are no longer in `self.levels`.
        let dropped = self.pushed - self.levels.len();
        let mut least = best.rest;
        for (k, level) in self.levels.iter().enumerate() {
            let Some(later) = self.levels.get(k + 1..=k + FLAT_LEVELS) else {
                break;
            };
            for j in 0..level.depth {
                let (v, rounding) = (level.row[j], level.rounding[j]);
                if rounding < least
                    && later
                        .iter()
                        .all(|l| (l.row[j] - v).abs() <= FLAT_TOLERANCE * l.rounding[j])
                {
                    least = rounding;
                    pick = Pick {
                        estimate: v,
                        error: (v - best.estimate).abs() + best.error,
                        window: Window {
                            last: dropped + k,
                            column: j,
                        },
                    };
                }
            }
        }
        pick
    }

    /// Adds the base difference `d` of the next (smaller) step, whose absolute noise scale is
    /// `scale` (rounding errors of relative size ε in the evaluations move `d` by ≤ ε·scale).
    fn push(&mut self, d: f64, scale: f64, opts: &FdOptions) {
        self.pushed += 1;
        if !(d.is_finite() && scale.is_finite()) {
            // A point left the domain of f: restart the table at the next, smaller step.
            (self.filled, self.previous, self.previous_change) = (0, None, None);
            self.levels.clear();
            return;
        }
        let m = opts.order / 2;
        let depth = (self.filled + 1).min(m);
        let (mut row, mut noise) = ([0.0; MAX_ORDER / 2], [0.0; MAX_ORDER / 2]);
        (row[0], noise[0]) = (d, scale);
        let r2 = opts.step_ratio * opts.step_ratio;
        let mut r2j = 1.0;
        for j in 1..depth {
            r2j *= r2;
            let c = 1.0 / (r2j - 1.0);
            row[j] = row[j - 1] + (row[j - 1] - self.row[j - 1]) * c;
            noise[j] = noise[j - 1] * (1.0 + c) + self.noise[j - 1] * c;
        }
        (self.row, self.noise) = (row, noise);
        self.filled += 1;
        let mut rounding = [0.0; MAX_ORDER / 2];
        for j in 0..depth {
            rounding[j] = opts.rel_noise * noise[j] + 2.0 * f64::EPSILON * row[j].abs();
        }
        self.levels.push(Level {
            row,
            rounding,
            depth,
        });
        if depth < m {
            return;
        }
        let estimate = row[m - 1];
        if let Some(previous) = self.previous {
            let change = (estimate - previous).abs();
            let lower_order = if m > 1 {
                (row[m - 1] - row[m - 2]).abs()
            } else {
                0.0
            };
            // In the asymptotic regime the change shrinks by r^order per level; a change much
            // smaller than that is a lucky coincidence of a not yet converged sequence, not
            // evidence of accuracy.
            let expected = self.previous_change.map_or(0.0, |c| c / r2j / r2);
            let truncation = change.max(lower_order).max(expected);
            let rest = rounding[m - 1];
            let error = self.safety * truncation + rest;
            // The level is chosen by its *likely* error, not by the bound: without the safety
            // factor, which would let the truncation part outweigh the (already worst-case)
            // rounding part, and crediting the level with part of the drop of truncation error
            // since the change, which measured the coarser estimate: `r^(order/2)`, the geometric
            // mean of no credit and the full `r^order` of the asymptotic regime, which the first
            // levels have not reached yet. Either way the choice drifts to smaller, noisier
            // steps than the most accurate ones.
            let credit = opts.step_ratio.powi(m as i32);
            let score = (change.max(expected) / credit).max(lower_order) + rest;
            self.previous_change = Some(change);
            match &mut self.best {
                Some(best) if score >= best.score => {
                    if best.is_last {
                        best.error = best.error.max(self.safety * change + best.rest);
                        best.is_last = false;
                    }
                    self.past_minimum = true;
                }
                _ => {
                    self.best = Some(Best {
                        estimate,
                        error,
                        score,
                        rest,
                        is_last: true,
                        window: Window {
                            last: self.pushed - 1,
                            column: m - 1,
                        },
                    });
                    self.past_minimum = false;
                }
            }
        }
        self.previous = Some(estimate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Smooth test functions with their exact derivatives, and points to test them at.
    type Case = (&'static str, fn(f64) -> f64, fn(f64) -> f64, &'static [f64]);

    const SMOOTH: &[Case] = &[
        ("exp", f64::exp, f64::exp, &[-1.0, 0.0, 0.7, 2.0]),
        ("sin", f64::sin, f64::cos, &[-2.0, 0.3, 1.2, 3.0]),
        ("ln", f64::ln, |x| 1.0 / x, &[1.5, 2.5, 10.0]),
        (
            "rational",
            |x| 1.0 / (1.0 + x * x),
            |x| -2.0 * x / (1.0 + x * x).powi(2),
            &[-0.5, 0.5, 1.5],
        ),
        (
            "product",
            |x| x * (-x).exp() * x.cos(),
            |x| (-x).exp() * ((1.0 - x) * x.cos() - x * x.sin()),
            &[0.4, 0.8, 2.2],
        ),
        (
            "cubic",
            |x| x * x * x - 2.0 * x,
            |x| 3.0 * x * x - 2.0,
            &[-1.0, 1.3],
        ),
        (
            "exp∘sin",
            |x| x.sin().exp(),
            |x| x.cos() * x.sin().exp(),
            &[-0.4, 1.0],
        ),
        (
            "sqrt·atan",
            |x| (1.0 + x * x).sqrt() * x.atan(),
            |x| x * x.atan() / (1.0 + x * x).sqrt() + 1.0 / (1.0 + x * x).sqrt(),
            &[0.5, 2.0],
        ),
    ];

    #[test]
    fn first_derivatives_have_13_digits_within_30_evaluations_and_honest_errors() {
        let opts = FdOptions::default();
        println!(
            "{:<10} {:>6} {:>7} {:>6} {:>10} {:>10}",
            "f", "x", "digits", "evals", "error", "est"
        );
        for &(name, f, df, points) in SMOOTH {
            for &x in points {
                let d = derivative(f, x, &opts).unwrap();
                let exact = df(x);
                let err = (d.estimate - exact).abs();
                let digits = -(err / exact.abs()).max(1e-17).log10();
                println!(
                    "{name:<10} {x:>6} {digits:>7.2} {:>6} {err:>10.2e} {:>10.2e}",
                    d.evaluations, d.error
                );
                assert!(digits >= 13.0, "{name} at {x}: {digits} digits");
                assert!(
                    d.evaluations <= 30,
                    "{name} at {x}: {} evaluations",
                    d.evaluations
                );
                assert!(
                    err <= d.error,
                    "{name} at {x}: error {err} > estimate {}",
                    d.error
                );
                assert!(
                    d.error <= 1e-10 * exact.abs().max(1.0),
                    "{name} at {x}: useless estimate"
                );
            }
        }
    }

    #[test]
    fn every_order_bounds_its_true_error_and_higher_orders_are_more_accurate() {
        let f = |x: f64| x.sin() * x.exp();
        let exact = |x: f64| (x.sin() + x.cos()) * x.exp();
        let mut previous = f64::INFINITY;
        for order in (2..=MAX_ORDER).step_by(2) {
            // A first step at which the low orders are limited by truncation error; from order 8
            // on, rounding noise is, and the order no longer decides the accuracy.
            let opts = FdOptions {
                order,
                max_levels: 10,
                initial_step: Some(0.25),
                ..FdOptions::default()
            };
            let d = derivative(f, 0.8, &opts).unwrap();
            let err = (d.estimate - exact(0.8)).abs();
            assert!(err <= d.error, "order {order}: {err} > {}", d.error);
            if order <= 8 {
                assert!(
                    err < previous,
                    "order {order} is not more accurate than the one below"
                );
            }
            previous = err;
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // index loops read best for matrix entries
    fn hessian_entries_are_accurate_with_honest_errors() {
        // f = exp(x) sin(y) + x² y³ at (0.4, -0.7).
        let f = |v: &[f64]| v[0].exp() * v[1].sin() + v[0] * v[0] * v[1].powi(3);
        let (x, y) = (0.4_f64, -0.7_f64);
        let exact = [
            [
                x.exp() * y.sin() + 2.0 * y.powi(3),
                x.exp() * y.cos() + 6.0 * x * y * y,
            ],
            [
                x.exp() * y.cos() + 6.0 * x * y * y,
                -x.exp() * y.sin() + 6.0 * x * x * y,
            ],
        ];
        let h = hessian(f, &[x, y], &FdOptions::default()).unwrap();
        for i in 0..2 {
            for j in 0..2 {
                let err = (h.estimate[i][j] - exact[i][j]).abs();
                assert!(err <= h.error[i][j], "H{i}{j}: {err} > {}", h.error[i][j]);
                assert!(
                    h.error[i][j] < 1e-8,
                    "H{i}{j}: error estimate {}",
                    h.error[i][j]
                );
                assert!(err < 1e-10, "H{i}{j}: {err}");
            }
        }
        assert_eq!(h.estimate[0][1], h.estimate[1][0]);
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // index loops read best for matrix entries
    fn polynomials_get_the_least_rounded_estimate() {
        // Rosenbrock is a quartic: every column of the table from the fourth order on is exact
        // but for rounding, and the full-order estimate, whose window reaches step 1/16, has
        // about 19 ulps of rounding in H00; the order-4 estimate at the coarse steps has 2.
        let f = |v: &[f64]| 100.0 * (v[1] - v[0] * v[0]).powi(2) + (1.0 - v[0]).powi(2);
        let (x, y) = (-1.2_f64, 1.0_f64);
        let g = gradient(f, &[x, y], &FdOptions::default()).unwrap();
        let exact_g = [
            -400.0 * x * (y - x * x) - 2.0 * (1.0 - x),
            200.0 * (y - x * x),
        ];
        let h = hessian(f, &[x, y], &FdOptions::default()).unwrap();
        let exact_h = [
            [1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x],
            [-400.0 * x, 200.0],
        ];
        let ulps =
            |estimate: f64, exact: f64| (estimate - exact).abs() / (exact.abs() * f64::EPSILON);
        for i in 0..2 {
            let err = (g.estimate[i] - exact_g[i]).abs();
            assert!(err <= g.error[i], "g{i}: {err} > {}", g.error[i]);
            assert!(
                ulps(g.estimate[i], exact_g[i]) <= 2.0,
                "g{i}: {}",
                g.estimate[i]
            );
            for j in 0..2 {
                let err = (h.estimate[i][j] - exact_h[i][j]).abs();
                assert!(err <= h.error[i][j], "H{i}{j}: {err} > {}", h.error[i][j]);
                let u = ulps(h.estimate[i][j], exact_h[i][j]);
                assert!(u <= 4.0, "H{i}{j}: {} ({u} ulps)", h.estimate[i][j]);
            }
        }
    }

    #[test]
    fn rounded_offsets_do_not_bias_second_differences() {
        // Just below 2, every step x + h lands in [2, 4), where x + h needs one bit more than
        // there is: it rounds, the two points are no longer symmetric about x, and the steep
        // linear part turns that ulp of asymmetry into an error f'·ulp/h² in a second
        // difference taken on the nominal ±h.
        let x = 2.0 - f64::EPSILON;
        let f = |v: &[f64]| 1e6 * (v[0] - x) + v[0].cos();
        let h = hessian(f, &[x], &FdOptions::default()).unwrap();
        let err = (h.estimate[0][0] + x.cos()).abs();
        println!("error {err:e}, estimate {:e}", h.error[0][0]);
        assert!(err <= h.error[0][0], "{err} > {}", h.error[0][0]);
        assert!(err < 1e-8, "{err}");
    }

    #[test]
    fn steps_leaving_the_domain_are_skipped() {
        // ln at 0.3: the first steps reach x - h < 0, where ln is NaN; the table restarts at
        // the smaller steps, and the levels go on until those are matched to the distance to
        // the singularity.
        let d = derivative(f64::ln, 0.3, &FdOptions::default()).unwrap();
        let err = (d.estimate - 1.0 / 0.3).abs();
        assert!(err <= d.error && d.error < 1e-10, "{err} {}", d.error);
        // A first step matched to that distance gets there in fewer levels (8 against 11), and
        // the levels saved pay for the offset window, which the default run has no room for.
        let opts = FdOptions {
            initial_step: Some(0.1),
            ..FdOptions::default()
        };
        let matched = derivative(f64::ln, 0.3, &opts).unwrap();
        let matched_err = (matched.estimate - 1.0 / 0.3).abs();
        assert!(
            matched_err <= matched.error && matched.error < 1e-10,
            "{matched_err} {}",
            matched.error
        );
        assert_eq!((d.evaluations, matched.evaluations), (22, 26));
        assert!(matched_err < err, "{matched_err} >= {err}");
    }

    #[test]
    fn short_scales_and_nearby_singularities_are_reached_by_more_levels() {
        // The default first step, max(1, |x|), is far too large for these functions: the first
        // estimates disagree, and the levels go on down to steps matched to the function.
        let cases: [Case; 4] = [
            (
                "sin(50x)",
                |x| (50.0 * x).sin(),
                |x| 50.0 * (50.0 * x).cos(),
                &[0.7],
            ),
            ("tan", f64::tan, |x| 1.0 / x.cos().powi(2), &[1.5]),
            (
                "1/(1+100x²)",
                |x| 1.0 / (1.0 + 100.0 * x * x),
                |x| -200.0 * x / (1.0 + 100.0 * x * x).powi(2),
                &[0.05],
            ),
            ("1/x", |x| 1.0 / x, |x| -1.0 / (x * x), &[0.2]),
        ];
        for (name, f, df, points) in cases {
            let x = points[0];
            let d = derivative(f, x, &FdOptions::default()).unwrap();
            let err = (d.estimate - df(x)).abs();
            assert!(err <= d.error, "{name}: error {err} > estimate {}", d.error);
            assert!(err < 1e-12 * df(x).abs(), "{name}: {err}");
            assert!(d.evaluations <= 30, "{name}: {} evaluations", d.evaluations);
        }
    }

    #[test]
    fn bad_input_is_reported() {
        let opts = FdOptions::default();
        let bad = |o: FdOptions| derivative(f64::sin, 1.0, &o).unwrap_err();
        assert!(matches!(
            bad(FdOptions {
                order: 3,
                ..opts.clone()
            }),
            Error::InvalidOption { name: "order", .. }
        ));
        assert!(matches!(
            bad(FdOptions {
                step_ratio: 1.0,
                ..opts.clone()
            }),
            Error::InvalidOption { .. }
        ));
        assert!(matches!(
            bad(FdOptions {
                max_levels: 2,
                ..opts.clone()
            }),
            Error::InvalidOption { .. }
        ));
        assert!(matches!(
            bad(FdOptions {
                rel_noise: f64::NAN,
                ..opts.clone()
            }),
            Error::InvalidOption { .. }
        ));
        assert!(matches!(
            bad(FdOptions {
                initial_step: Some(0.0),
                ..opts.clone()
            }),
            Error::InvalidOption { .. }
        ));
        assert!(matches!(
            gradient(|v| v[0], &[1.0, f64::NAN], &opts).unwrap_err(),
            Error::NonFinitePoint { index: 1, .. }
        ));
        assert_eq!(
            derivative(|_| f64::NAN, 1.0, &opts).unwrap_err(),
            Error::NotFiniteNearPoint
        );
        let changing = std::cell::Cell::new(0);
        let f = |_: &[f64]| {
            changing.set(changing.get() + 1);
            vec![0.0; changing.get()]
        };
        assert!(matches!(
            jacobian(f, &[1.0], &opts).unwrap_err(),
            Error::OutputLengthChanged { .. }
        ));
        let message = derivative(f64::sin, 1.0, &FdOptions { order: 18, ..opts }).unwrap_err();
        assert_eq!(
            message.to_string(),
            "option `order` must be an even number from 2 to 16"
        );
    }

    #[test]
    fn empty_points_have_empty_derivatives() {
        let opts = FdOptions::default();
        assert_eq!(
            gradient(|_| 1.0, &[], &opts).unwrap().estimate,
            Vec::<f64>::new()
        );
        assert_eq!(
            hessian(|_| 1.0, &[], &opts).unwrap().estimate,
            Vec::<Vec<f64>>::new()
        );
    }

    /// The evidence behind `SAFETY_FIRST` and `SAFETY_SECOND`.
    #[test]
    #[allow(clippy::needless_range_loop)] // index loops read best for matrix entries
    fn error_estimates_bound_true_errors_on_random_functions() {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::{Config, RngSeed, TestRunner};

        use crate::test_support::{expr, point};
        use crate::{gradient_forward, hessian_forward};

        let config = Config {
            rng_seed: RngSeed::Fixed(7),
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let cases = (expr(3), point(3));
        let opts = FdOptions::default();
        let (mut gradient_misses, mut hessian_misses) = (0, 0);
        // Accuracy and cost, printed for comparing methods (docs/PERFORMANCE.md): correct digits
        // of the entries whose exact value is not near 0, and evaluations per call.
        let (mut gradient_digits, mut hessian_digits) = (Vec::new(), Vec::new());
        let (mut gradient_evaluations, mut hessian_evaluations) = (0, 0);
        let record = |digits: &mut Vec<f64>, estimate: f64, exact: f64| {
            if exact.abs() > 1e-3 {
                digits.push(-((estimate - exact).abs() / exact.abs()).max(1e-17).log10());
            }
        };
        for _ in 0..20_000 {
            let (e, x) = cases.new_tree(&mut runner).unwrap().current();
            let (_, g) = gradient_forward(|x| e.eval(x), &x);
            let fd = gradient(|x| e.eval(x), &x, &opts).unwrap();
            gradient_misses += (0..3)
                .filter(|&i| (fd.estimate[i] - g[i]).abs() > fd.error[i])
                .count();
            gradient_evaluations += fd.evaluations;
            for (&estimate, &exact) in fd.estimate.iter().zip(&g) {
                record(&mut gradient_digits, estimate, exact);
            }
            let h = hessian_forward(|x| e.eval(x), &x).hessian;
            let fd = hessian(|x| e.eval(x), &x, &opts).unwrap();
            hessian_misses += (0..9)
                .filter(|&k| {
                    let (i, j) = (k / 3, k % 3);
                    (fd.estimate[i][j] - h[i][j]).abs() > fd.error[i][j]
                })
                .count();
            hessian_evaluations += fd.evaluations;
            for i in 0..3 {
                for j in i..3 {
                    record(&mut hessian_digits, fd.estimate[i][j], h[i][j]);
                }
            }
        }
        println!("misses: gradient {gradient_misses} of 60000, Hessian {hessian_misses} of 180000");
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        println!(
            "mean digits: gradient {:.3}, Hessian {:.3}",
            mean(&gradient_digits),
            mean(&hessian_digits)
        );
        println!(
            "median digits: gradient {:.2}, Hessian {:.2}; mean evaluations per call: gradient \
             {:.1}, Hessian {:.1}",
            median(gradient_digits),
            median(hessian_digits),
            gradient_evaluations as f64 / 20_000.0,
            hessian_evaluations as f64 / 20_000.0,
        );
        assert_eq!(gradient_misses, 0);
        assert_eq!(hessian_misses, 0);
    }
}
