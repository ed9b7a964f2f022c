//! Line searches along a descent direction `p` from `x`: the Moré–Thuente search for the strong Wolfe
//! conditions (a port of MINPACK-2's `dcsrch`/`dcstep`, the search scipy's BFGS and L-BFGS-B use) and
//! Armijo backtracking.
//!
//! Both work on `φ(α) = f(x + α p)`, and both step back from trial points where `f` or `∇f` is not
//! finite. The caller supplies `φ` as a closure returning `(φ(α), φ'(α))`
//! that evaluates the objective at `x + α p`; the searches guarantee that the last `α` they evaluate
//! is the one they return, so the caller's buffers then hold the accepted point and its gradient.

use crate::driver::{Halt, Run, dot};
use crate::error::{OptimizeError, require};
use crate::stop::StopReason;

/// A line search: finds a step along a descent direction, given `φ`, `φ(0)`, `φ'(0) < 0` and a
/// first trial step.
pub(crate) trait LineSearch {
    fn search(
        &self,
        phi: &mut dyn FnMut(f64) -> Result<(f64, f64), Halt>,
        f0: f64,
        g0: f64,
        alpha0: f64,
    ) -> Result<LineStep, Halt>;
}

/// The largest step the strong Wolfe search may take, in units of the search direction.
const ALPHA_MAX: f64 = 1e10;

/// Whether a trial evaluation failed because `f` or `∇f` was not finite there: the searches then
/// treat the step as too long and shorten it (an overflow or a domain boundary ahead) instead of
/// failing the run; only if every trial fails is the error returned.
fn overshot(halt: &Halt) -> bool {
    matches!(halt, Halt::Fail(OptimizeError::NonFinite { .. }))
}

/// Strong Wolfe line search parameters (Moré & Thuente 1994):
/// `φ(α) ≤ φ(0) + c1 α φ'(0)` and `|φ'(α)| ≤ c2 |φ'(0)|`.
#[derive(Clone, Debug, PartialEq)]
pub struct StrongWolfe {
    /// Sufficient decrease constant (default `1e-4`).
    pub c1: f64,
    /// Curvature constant (default `0.9`, the usual value for Newton and quasi-Newton directions).
    pub c2: f64,
    /// Relative width of the bracket below which the search gives up (default `1e-14`, as scipy).
    pub xtol: f64,
    /// Most evaluations per search (default `50`).
    pub max_evaluations: usize,
    /// How far a step may grow before a minimum is bracketed: from the best step `stx`, a trial
    /// `stp` that still descends is extended to at most `stp + extrapolation · (stp − stx)`
    /// (MINPACK-2's `xtrapu`; default `4`, as in scipy and L-BFGS-B). At least `1.1`, the least
    /// extension (`xtrapl`). [`Bfgs`](crate::Bfgs) uses `12`: it stretches too-short unit steps in
    /// fewer evaluations.
    pub extrapolation: f64,
}

impl Default for StrongWolfe {
    fn default() -> Self {
        StrongWolfe {
            c1: 1e-4,
            c2: 0.9,
            xtol: 1e-14,
            max_evaluations: 50,
            extrapolation: XTRAPU,
        }
    }
}

/// The point a search settled on: `α`, `φ(α)` and `φ'(α)`, and whether it meets the search's conditions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LineStep {
    pub alpha: f64,
    pub value: f64,
    pub slope: f64,
    /// `false` when the search stopped on rounding, the bracket width or its evaluation budget.
    pub converged: bool,
}

/// The state of `dcsrch` between two evaluations.
struct MoreThuente {
    c2: f64,
    xtrapu: f64,
    xtol: f64,
    stpmin: f64,
    stpmax: f64,
    bracketed: bool,
    stage_one: bool,
    finit: f64,
    ginit: f64,
    gtest: f64,
    width: f64,
    width1: f64,
    /// Best step so far and the other end of the interval, with their values and slopes.
    stx: f64,
    fx: f64,
    gx: f64,
    sty: f64,
    fy: f64,
    gy: f64,
    stmin: f64,
    stmax: f64,
}

/// What `dcsrch` says after an evaluation.
enum Next {
    Converged,
    /// Rounding errors or the interval width prevent progress, or a bound was hit.
    Stuck,
    Evaluate(f64),
}

/// MINPACK-2's extrapolation bounds: the least, and the default most (see
/// [`StrongWolfe::extrapolation`]).
const XTRAPL: f64 = 1.1;
const XTRAPU: f64 = 4.0;

impl MoreThuente {
    fn new(ls: &StrongWolfe, f0: f64, g0: f64, stp: f64, stpmax: f64) -> Self {
        let width = stpmax;
        MoreThuente {
            c2: ls.c2,
            xtrapu: ls.extrapolation,
            xtol: ls.xtol,
            stpmin: 0.0,
            stpmax,
            bracketed: false,
            stage_one: true,
            finit: f0,
            ginit: g0,
            gtest: ls.c1 * g0,
            width,
            width1: 2.0 * width,
            stx: 0.0,
            fx: f0,
            gx: g0,
            sty: 0.0,
            fy: f0,
            gy: g0,
            stmin: 0.0,
            stmax: stp + ls.extrapolation * stp,
        }
    }

    /// Takes `φ(stp) = f`, `φ'(stp) = g` and says what to do next.
    fn next(&mut self, stp: f64, f: f64, g: f64) -> Next {
        let ftest = self.finit + stp * self.gtest;
        if self.stage_one && f <= ftest && g >= 0.0 {
            self.stage_one = false;
        }
        if f <= ftest && g.abs() <= self.c2 * (-self.ginit) {
            return Next::Converged;
        }
        if (self.bracketed
            && (stp <= self.stmin
                || stp >= self.stmax
                || self.stmax - self.stmin <= self.xtol * self.stmax))
            || (stp == self.stpmax && f <= ftest && g <= self.gtest)
            || (stp == self.stpmin && (f > ftest || g >= self.gtest))
        {
            return Next::Stuck;
        }

        let mut stp = stp;
        // In the first stage, a modified function (with the sufficient-decrease line subtracted) is
        // used while it is positive-sloped, which lets the search find a step with sufficient decrease:
        // ψ(α) = φ(α) − α·gtest. Both stages run the same interval update, on ψ or on φ itself.
        let shift = (self.stage_one && f <= self.fx && f > ftest).then_some(self.gtest);
        let side = |st: f64, f: f64, g: f64| match shift {
            Some(gt) => Side {
                st,
                f: f - st * gt,
                g: g - gt,
            },
            None => Side { st, f, g },
        };
        let unshift = |s: Side| match shift {
            Some(gt) => (s.st, s.f + s.st * gt, s.g + gt),
            None => (s.st, s.f, s.g),
        };
        let mut x = side(self.stx, self.fx, self.gx);
        let mut y = side(self.sty, self.fy, self.gy);
        stp = dcstep(
            &mut x,
            &mut y,
            side(stp, f, g),
            &mut self.bracketed,
            self.stmin,
            self.stmax,
        );
        (self.stx, self.fx, self.gx) = unshift(x);
        (self.sty, self.fy, self.gy) = unshift(y);

        if self.bracketed {
            // Force a sufficient shrink of the interval, bisecting if needed.
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = stp + XTRAPL * (stp - self.stx);
            self.stmax = stp + self.xtrapu * (stp - self.stx);
        }
        stp = stp.clamp(self.stpmin, self.stpmax);
        if self.bracketed
            && (stp <= self.stmin
                || stp >= self.stmax
                || self.stmax - self.stmin <= self.xtol * self.stmax)
        {
            stp = self.stx;
        }
        Next::Evaluate(stp)
    }
}

/// One end of the interval: step, value, slope.
#[derive(Clone, Copy)]
struct Side {
    st: f64,
    f: f64,
    g: f64,
}

/// The minimiser of the cubic through `(a.st, a.f, a.g)` and `(b.st, b.f, b.g)`, relative form:
/// returns `r` such that the minimiser is `a.st + r (b.st − a.st)`, with the `sign` of `γ` chosen by the caller.
fn cubic_ratio(a: Side, b: Side, gamma_sign: f64) -> f64 {
    let theta = 3.0 * (a.f - b.f) / (b.st - a.st) + a.g + b.g;
    let s = theta.abs().max(a.g.abs()).max(b.g.abs());
    let gamma = gamma_sign
        * s
        * ((theta / s).powi(2) - (a.g / s) * (b.g / s))
            .max(0.0)
            .sqrt();
    let p = (gamma - a.g) + theta;
    let q = ((gamma - a.g) + gamma) + b.g;
    p / q
}

/// MINPACK-2's `dcstep`: updates the interval `[x, y]` with the trial `p` and returns the next trial.
fn dcstep(
    x: &mut Side,
    y: &mut Side,
    p: Side,
    bracketed: &mut bool,
    stpmin: f64,
    stpmax: f64,
) -> f64 {
    let sgnd = p.g * x.g.signum();
    let stpf;
    if p.f > x.f {
        // Case 1: higher value. The minimum is bracketed; take the cubic step if it is closer to x,
        // else the average of the cubic and quadratic steps.
        let sign = if p.st < x.st { -1.0 } else { 1.0 };
        let stpc = x.st + cubic_ratio(*x, p, sign) * (p.st - x.st);
        let stpq = x.st + ((x.g / ((x.f - p.f) / (p.st - x.st) + x.g)) / 2.0) * (p.st - x.st);
        stpf = if (stpc - x.st).abs() < (stpq - x.st).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) / 2.0
        };
        *bracketed = true;
    } else if sgnd < 0.0 {
        // Case 2: lower value, slopes of opposite sign: bracketed; take the step farther from p.
        let sign = if p.st > x.st { -1.0 } else { 1.0 };
        let stpc = p.st + cubic_ratio(p, *x, sign) * (x.st - p.st);
        let stpq = p.st + (p.g / (p.g - x.g)) * (x.st - p.st);
        stpf = if (stpc - p.st).abs() > (stpq - p.st).abs() {
            stpc
        } else {
            stpq
        };
        *bracketed = true;
    } else if p.g.abs() < x.g.abs() {
        // Case 3: lower value, same-sign slope, decreasing in magnitude. The cubic step is used only
        // if the cubic tends to infinity in the direction of the step or its minimum lies beyond p.
        let theta = 3.0 * (x.f - p.f) / (p.st - x.st) + x.g + p.g;
        let s = theta.abs().max(x.g.abs()).max(p.g.abs());
        let mut gamma = s
            * ((theta / s).powi(2) - (x.g / s) * (p.g / s))
                .max(0.0)
                .sqrt();
        if p.st > x.st {
            gamma = -gamma;
        }
        let pp = (gamma - p.g) + theta;
        let q = (gamma + (x.g - p.g)) + gamma;
        let r = pp / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            p.st + r * (x.st - p.st)
        } else if p.st > x.st {
            stpmax
        } else {
            stpmin
        };
        let stpq = p.st + (p.g / (p.g - x.g)) * (x.st - p.st);
        if *bracketed {
            let s = if (stpc - p.st).abs() < (stpq - p.st).abs() {
                stpc
            } else {
                stpq
            };
            let limit = p.st + 0.66 * (y.st - p.st);
            stpf = if p.st > x.st {
                s.min(limit)
            } else {
                s.max(limit)
            };
        } else {
            let s = if (stpc - p.st).abs() > (stpq - p.st).abs() {
                stpc
            } else {
                stpq
            };
            stpf = s.clamp(stpmin, stpmax);
        }
    } else {
        // Case 4: lower value, same-sign slope that does not decrease: cubic through p and y if
        // bracketed, else jump to the bound.
        stpf = if *bracketed {
            let sign = if p.st > y.st { -1.0 } else { 1.0 };
            p.st + cubic_ratio(p, *y, sign) * (y.st - p.st)
        } else if p.st > x.st {
            stpmax
        } else {
            stpmin
        };
    }

    if p.f > x.f {
        *y = p;
    } else {
        if sgnd < 0.0 {
            *y = *x;
        }
        *x = p;
    }
    stpf
}

impl StrongWolfe {
    pub(crate) fn validate(&self) -> Result<(), OptimizeError> {
        require(
            self.c1 > 0.0 && self.c1 < self.c2 && self.c2 < 1.0,
            "line_search.c1/c2",
            format_args!("{}/{}", self.c1, self.c2),
            "need 0 < c1 < c2 < 1",
        )?;
        require(
            self.xtol >= 0.0,
            "line_search.xtol",
            self.xtol,
            "must be >= 0",
        )?;
        require(
            self.extrapolation >= XTRAPL && self.extrapolation.is_finite(),
            "line_search.extrapolation",
            self.extrapolation,
            "must be finite and at least 1.1",
        )?;
        require_evaluations(self.max_evaluations)
    }
}

impl LineSearch for StrongWolfe {
    /// Searches `φ` from `φ(0) = f0`, `φ'(0) = g0 < 0`, first trying `alpha0`.
    fn search(
        &self,
        phi: &mut dyn FnMut(f64) -> Result<(f64, f64), Halt>,
        f0: f64,
        g0: f64,
        alpha0: f64,
    ) -> Result<LineStep, Halt> {
        let mut alpha = alpha0.min(ALPHA_MAX);
        let mut mt = MoreThuente::new(self, f0, g0, alpha, ALPHA_MAX);
        for evaluations in 1.. {
            let (f, g) = match phi(alpha) {
                Err(halt) if overshot(&halt) && evaluations < self.max_evaluations => {
                    // Too long a step: go halfway back to the best step and never beyond it again.
                    alpha = mt.stx + 0.5 * (alpha - mt.stx);
                    mt.stpmax = alpha;
                    continue;
                }
                result => result?,
            };
            let step = |converged| LineStep {
                alpha,
                value: f,
                slope: g,
                converged,
            };
            match mt.next(alpha, f, g) {
                Next::Converged => return Ok(step(true)),
                Next::Stuck => return Ok(step(false)),
                Next::Evaluate(_) if evaluations >= self.max_evaluations => return Ok(step(false)),
                Next::Evaluate(next) => alpha = next,
            }
        }
        unreachable!("the loop returns")
    }
}

/// Armijo backtracking: try `α`, then shrink by interpolation until `φ(α) ≤ φ(0) + c1 α φ'(0)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtracking {
    /// Sufficient decrease constant (default `1e-4`).
    pub c1: f64,
    /// Each failed trial shrinks `α` to at least `shrink_min · α` and at most `shrink_max · α`, using the
    /// minimiser of the quadratic through `φ(0)`, `φ'(0)` and `φ(α)` (defaults `0.1` and `0.5`).
    pub shrink_min: f64,
    pub shrink_max: f64,
    /// Most evaluations per search (default `60`).
    pub max_evaluations: usize,
}

impl Default for Backtracking {
    fn default() -> Self {
        Backtracking {
            c1: 1e-4,
            shrink_min: 0.1,
            shrink_max: 0.5,
            max_evaluations: 60,
        }
    }
}

impl Backtracking {
    pub(crate) fn validate(&self) -> Result<(), OptimizeError> {
        require(
            self.c1 > 0.0 && self.c1 < 1.0,
            "line_search.c1",
            self.c1,
            "need 0 < c1 < 1",
        )?;
        require(
            0.0 < self.shrink_min && self.shrink_min <= self.shrink_max && self.shrink_max < 1.0,
            "line_search.shrink_min/max",
            format_args!("{}/{}", self.shrink_min, self.shrink_max),
            "need 0 < shrink_min <= shrink_max < 1",
        )?;
        require_evaluations(self.max_evaluations)
    }
}

/// Both searches cap their evaluations the same way and must be allowed at least one.
fn require_evaluations(max_evaluations: usize) -> Result<(), OptimizeError> {
    require(
        max_evaluations > 0,
        "line_search.max_evaluations",
        max_evaluations,
        "must be >= 1",
    )
}

impl LineSearch for Backtracking {
    /// Backtracks from `alpha0`; `phi` returns `(φ(α), φ'(α))` (the slope is only passed through).
    fn search(
        &self,
        phi: &mut dyn FnMut(f64) -> Result<(f64, f64), Halt>,
        f0: f64,
        g0: f64,
        alpha0: f64,
    ) -> Result<LineStep, Halt> {
        let mut alpha = alpha0;
        for evaluations in 1.. {
            let (f, g) = match phi(alpha) {
                Err(halt) if overshot(&halt) && evaluations < self.max_evaluations => {
                    alpha *= self.shrink_max;
                    continue;
                }
                result => result?,
            };
            let converged = f <= f0 + self.c1 * alpha * g0;
            if converged || evaluations >= self.max_evaluations {
                return Ok(LineStep {
                    alpha,
                    value: f,
                    slope: g,
                    converged,
                });
            }
            // Minimiser of q(t) = f0 + g0 t + c t² with q(α) = f, safeguarded.
            let c = (f - f0 - g0 * alpha) / (alpha * alpha);
            let t = if c > 0.0 {
                -g0 / (2.0 * c)
            } else {
                self.shrink_min * alpha
            };
            alpha = t.clamp(self.shrink_min * alpha, self.shrink_max * alpha);
        }
        unreachable!("the loop returns")
    }
}

/// Searches along `p` from the current iterate of `run` with `search`, evaluating trial points into
/// `xt`/`gt`, and accepts the step when it lowers `f`: `run` then holds the new iterate and `xt`/`gt`
/// the previous one (see [`Run::accept`]). Returns the step, or else why the method must stop: a
/// stopping rule met by the new iterate, [`StopReason::RelativeChange`] when the trials changed `f`
/// by no more than the relative tolerance (a minimum resolved to working precision), and
/// [`StopReason::LineSearchFailed`] otherwise or when `p` does not descend.
pub(crate) fn along(
    run: &mut Run<'_>,
    p: &[f64],
    xt: &mut Vec<f64>,
    gt: &mut Vec<f64>,
    search: &dyn LineSearch,
    alpha0: f64,
) -> Result<Result<LineStep, StopReason>, Halt> {
    let (f0, g0) = (run.value, dot(&run.gradient, p));
    if !(g0 < 0.0) {
        return Ok(Err(StopReason::LineSearchFailed));
    }
    let mut phi = |alpha: f64| {
        for ((t, x), d) in xt.iter_mut().zip(&run.x).zip(p) {
            *t = x + alpha * d;
        }
        let f = run.value_gradient(xt, gt)?;
        Ok((f, dot(gt, p)))
    };
    let step = search.search(&mut phi, f0, g0, alpha0)?;
    if step.converged || step.value < f0 {
        return Ok(match run.accept(xt, step.value, gt)? {
            Some(reason) => Err(reason),
            None => Ok(step),
        });
    }
    Ok(Err(if run.negligible_change(f0, step.value) {
        StopReason::RelativeChange
    } else {
        StopReason::LineSearchFailed
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the strong Wolfe search `ls` on a scalar function given as `(φ, φ')`; the step and
    /// the evaluations it took.
    fn wolfe_on(
        ls: &StrongWolfe,
        phi: impl Fn(f64) -> (f64, f64),
        alpha0: f64,
    ) -> (LineStep, usize) {
        let (f0, g0) = phi(0.0);
        let mut count = 0;
        let mut eval = |a: f64| {
            count += 1;
            Ok(phi(a))
        };
        let step = ls.search(&mut eval, f0, g0, alpha0).unwrap();
        (step, count)
    }

    fn strong_wolfe_holds(phi: impl Fn(f64) -> (f64, f64), s: &LineStep, c1: f64, c2: f64) -> bool {
        let (f0, g0) = phi(0.0);
        s.value <= f0 + c1 * s.alpha * g0 && s.slope.abs() <= c2 * g0.abs()
    }

    #[test]
    fn more_thuente_paper_functions() {
        // Moré & Thuente's test functions 1 and 2 with β = 2 (their table 1 and 2), from several
        // starting steps; strong Wolfe with their (c1, c2) = (1e-3, 0.1).
        let f1 = |a: f64| (-a / (a * a + 2.0), (a * a - 2.0) / (a * a + 2.0).powi(2));
        let f2 = |a: f64| {
            ((a + 0.004).powi(5) - 2.0 * (a + 0.004).powi(4), {
                let b = a + 0.004;
                5.0 * b.powi(4) - 8.0 * b.powi(3)
            })
        };
        let ls = StrongWolfe {
            c1: 1e-3,
            c2: 0.1,
            ..StrongWolfe::default()
        };
        for alpha0 in [1e-3, 1e-1, 1e1, 1e3] {
            for (phi, c1, c2) in [
                (&f1 as &dyn Fn(f64) -> (f64, f64), 1e-3, 0.1),
                (&f2, 0.1, 0.1),
            ] {
                let ls = StrongWolfe {
                    c1,
                    c2,
                    ..ls.clone()
                };
                let (s, count) = wolfe_on(&ls, phi, alpha0);
                assert!(s.converged, "alpha0 {alpha0}: {s:?}");
                assert!(
                    strong_wolfe_holds(phi, &s, c1, c2),
                    "alpha0 {alpha0}: {s:?}"
                );
                // The paper needs at most 12 evaluations on these.
                assert!(count <= 12, "alpha0 {alpha0}: {count} evaluations");
            }
        }
    }

    #[test]
    fn quadratic_accepts_the_exact_step_at_once() {
        // φ(α) = (α - 1)²: the unit step is exact.
        let (s, count) = wolfe_on(
            &StrongWolfe::default(),
            |a| ((a - 1.0).powi(2), 2.0 * (a - 1.0)),
            1.0,
        );
        assert_eq!((s.alpha, count), (1.0, 1));
        // From a tiny step it extrapolates and still converges quickly.
        let (s, count) = wolfe_on(
            &StrongWolfe::default(),
            |a| ((a - 1.0).powi(2), 2.0 * (a - 1.0)),
            1e-4,
        );
        assert!(
            s.converged && (s.alpha - 1.0).abs() < 0.9 && count <= 8,
            "{s:?} {count}"
        );
    }

    #[test]
    fn last_evaluated_step_is_returned() {
        let phi = |a: f64| (a.powi(4) - 3.0 * a, 4.0 * a.powi(3) - 3.0);
        let mut last = f64::NAN;
        let (f0, g0) = phi(0.0);
        let s = StrongWolfe::default()
            .search(
                &mut |a| {
                    last = a;
                    Ok(phi(a))
                },
                f0,
                g0,
                100.0,
            )
            .unwrap();
        assert_eq!(s.alpha, last);
        assert!(strong_wolfe_holds(phi, &s, 1e-4, 0.9));
    }

    #[test]
    fn backtracking_meets_armijo() {
        let phi = |a: f64| ((a - 0.01).powi(2) - 1e-4, 2.0 * (a - 0.01));
        let (f0, g0) = phi(0.0);
        let bt = Backtracking::default();
        let s = bt.search(&mut |a| Ok(phi(a)), f0, g0, 1.0).unwrap();
        assert!(s.converged && s.value <= f0 + 1e-4 * s.alpha * g0 && s.alpha < 0.02);
    }

    #[test]
    fn searches_step_back_from_non_finite_trials() {
        // φ(α) = (α − 1)² defined only for α < 3: trials beyond are NaN.
        let phi = |a: f64| -> Result<(f64, f64), Halt> {
            if a >= 3.0 {
                let x = vec![a];
                let quantity = crate::Quantity::Value;
                return Err(Halt::Fail(OptimizeError::NonFinite {
                    quantity,
                    iteration: 1,
                    index: None,
                    x,
                }));
            }
            Ok(((a - 1.0).powi(2), 2.0 * (a - 1.0)))
        };
        let (f0, g0) = (1.0, -2.0);
        let s = StrongWolfe::default()
            .search(&mut |a| phi(a), f0, g0, 100.0)
            .unwrap();
        assert!(s.converged && s.alpha < 3.0, "{s:?}");
        let s = Backtracking::default()
            .search(&mut |a| phi(a), f0, g0, 100.0)
            .unwrap();
        assert!(s.converged && s.alpha < 3.0, "{s:?}");
        // Nothing finite anywhere: the error comes through.
        let nan = |a: f64| phi(a + 10.0);
        let e = StrongWolfe::default()
            .search(&mut |a| nan(a), f0, g0, 1.0)
            .unwrap_err();
        assert!(overshot(&e));
    }

    #[test]
    fn a_larger_extrapolation_stretches_a_short_trial_in_fewer_evaluations() {
        // φ(α) = (α − 100)² tried first at α = 1: the minimum lies a hundred trials out.
        let phi = |a: f64| ((a - 100.0).powi(2), 2.0 * (a - 100.0));
        let count = |extrapolation: f64| {
            let ls = StrongWolfe {
                extrapolation,
                ..StrongWolfe::default()
            };
            let (s, count) = wolfe_on(&ls, phi, 1.0);
            assert!(strong_wolfe_holds(phi, &s, ls.c1, ls.c2), "{s:?}");
            count
        };
        let (default, wide) = (count(4.0), count(12.0));
        assert!(
            wide < default,
            "{wide} evaluations with 12, {default} with 4"
        );
    }

    #[test]
    fn invalid_parameters_are_named() {
        let e = StrongWolfe {
            c1: 0.5,
            c2: 0.1,
            ..StrongWolfe::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("c1/c2"));
        let e = StrongWolfe {
            extrapolation: 1.0,
            ..StrongWolfe::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("extrapolation"), "{e}");
        let e = Backtracking {
            shrink_max: 1.5,
            ..Backtracking::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("shrink"));
    }

    use proptest::prelude::*;

    proptest! {
        /// On smooth functions bounded below, the search converges to a strong Wolfe step.
        #[test]
        fn strong_wolfe_steps_on_random_quartics(
            c in 0.01..100.0f64,
            k in 0.0..10.0f64,
            alpha0 in 1e-3..1e3f64,
        ) {
            // φ(α) = (α − c)² + k (α − c)⁴ has its minimum at c and φ'(0) < 0.
            let phi = |a: f64| {
                let d = a - c;
                (d * d + k * d.powi(4), 2.0 * d + 4.0 * k * d.powi(3))
            };
            let (s, count) = wolfe_on(&StrongWolfe::default(), phi, alpha0);
            prop_assert!(s.converged, "{:?}", s);
            prop_assert!(strong_wolfe_holds(phi, &s, 1e-4, 0.9), "{:?}", s);
            prop_assert!(count <= 20, "{} evaluations", count);
        }
    }
}
