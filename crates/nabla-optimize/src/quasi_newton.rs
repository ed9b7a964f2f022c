//! Quasi-Newton methods: [`Bfgs`] (dense inverse-Hessian approximation) and [`Lbfgs`] (the last `m`
//! curvature pairs, two-loop recursion), both with the strong Wolfe line search, which keeps
//! `sᵀy > 0` and so the approximations positive definite.
//!
//! The first step tries unit length along the steepest-descent direction (`α₀ = 1/‖∇f‖`, as
//! L-BFGS-B does); later steps try `α₀ = 1` first, the quasi-Newton step, which the line search accepts
//! in the superlinear phase. Both scale their initial matrix from observed curvature, which usually
//! saves many evaluations over the identity: L-BFGS by `sᵀy / yᵀy` of the latest pair at every
//! iteration (Nocedal & Wright, eq. 7.20); BFGS by `‖s‖ / ‖y‖` of the first pair, and afterwards it
//! scales its whole matrix up whenever it underestimates the inverse curvature seen along the last
//! step (see [`Bfgs`]). Both also take the curvature from function values as well as gradients
//! (a modified secant equation), L-BFGS more cautiously (see [`Lbfgs`]).
//!
//! Near a minimum the next step `−H∇f` estimates the distance left; both stop without evaluating
//! it once that estimate is below [`Options::predicted_step_tolerance`] (the rule is spelled out
//! on [`Options`]).

use std::collections::VecDeque;

use crate::driver::{Minimizer, Observer, Run, dot, drive, mat_vec, norm};
use crate::error::{OptimizeError, require};
use crate::line_search::{StrongWolfe, along};
use crate::objective::Objective;
use crate::stop::{Options, Solution, StopReason};

/// A curvature pair is used only if `sᵀy > CURVATURE_EPS · ‖s‖ ‖y‖`: the Wolfe conditions guarantee a
/// positive `sᵀy`, but a search that stopped early (rounding) may not.
const CURVATURE_EPS: f64 = 1e-12;

/// The first trial step: unit length along `p` on a (re)start, the full quasi-Newton step afterwards.
fn first_trial(restart: bool, p: &[f64]) -> f64 {
    if restart { 1.0 / norm(p) } else { 1.0 }
}

/// Zhang, Deng and Chen's modified secant for a curvature pair (see [`curvature_pair`]).
#[derive(Clone, Copy)]
struct ModifiedSecant {
    /// The value at the old iterate.
    f_old: f64,
    /// If set, the correction is used only when `|θ| ≤ max_ratio · sᵀy`.
    max_ratio: Option<f64>,
}

/// A usable curvature pair, as [`curvature_pair`] leaves it in `s` and `y`.
struct Curvature {
    /// `sᵀy` of the pair (the modified one when the correction was made).
    sy: f64,
    /// `sᵀy / yᵀy` of the plain pair, before any correction.
    plain_scale: f64,
}

/// Sets `s = x₊ − x` and `y = g₊ − g` from the new iterate in `run` and the old one in `xt`/`gt`,
/// shifts `‖s‖` into the last two step lengths `steps`, and returns the pair's curvature when the
/// pair is usable.
///
/// With `secant`, `y` becomes Zhang, Deng and Chen's modified secant `y* = y + (θ / sᵀs) s`,
/// `θ = 6 (f − f₊) + 3 (g + g₊)ᵀs` (J. Optim. Theory Appl. 102, 1999), whenever `sᵀy* = sᵀy + θ`
/// stays positive. By Taylor expansion about `x₊`, `sᵀy = sᵀ∇²f(x₊) s + O(‖s‖³)` (the average
/// curvature along the step) while `sᵀy* = sᵀ∇²f(x₊) s + O(‖s‖⁴)`: the two function values, which
/// the line search has already computed, give the curvature at the point the next step starts
/// from, one order more accurately. `θ` is used only when it exceeds the rounding error of
/// `6 (f − f₊)` and, given `max_ratio`, `|θ| ≤ max_ratio · sᵀy`.
fn curvature_pair(
    run: &Run<'_>,
    xt: &[f64],
    gt: &[f64],
    s: &mut [f64],
    y: &mut [f64],
    steps: &mut [f64; 2],
    secant: Option<ModifiedSecant>,
) -> Option<Curvature> {
    for i in 0..s.len() {
        s[i] = run.x[i] - xt[i];
        y[i] = run.gradient[i] - gt[i];
    }
    let step = norm(s);
    *steps = [steps[1], step];
    let mut sy = dot(s, y);
    let plain_scale = sy / dot(y, y);
    if let Some(ModifiedSecant { f_old, max_ratio }) = secant {
        let theta = 6.0 * (f_old - run.value) + 3.0 * (dot(gt, s) + dot(&run.gradient, s));
        // Near a minimum with a large |f| the difference of the values drowns in their rounding:
        // then θ is noise and the plain pair is kept.
        let rounding = 6.0 * f64::EPSILON * (f_old.abs() + run.value.abs());
        if theta.is_finite()
            && theta.abs() > rounding
            && sy + theta > 0.0
            && max_ratio.is_none_or(|r| theta.abs() <= r * sy)
        {
            let c = theta / (step * step);
            y.iter_mut().zip(s.iter()).for_each(|(y, s)| *y += c * s);
            sy = dot(s, y);
        }
    }
    (sy > CURVATURE_EPS * step * norm(y)).then_some(Curvature { sy, plain_scale })
}

/// BFGS with a dense inverse-Hessian approximation (`O(n²)` memory and work per iteration).
///
/// Its curvature pairs use the modified secant `y*` of Zhang, Deng and Chen, which adds the two
/// function values at the ends of the step to the two gradients (see `curvature_pair`): on
/// Rosenbrock's function in 2 to 100 dimensions it saves 13 % of the evaluations.
///
/// Two scalings keep `H` from underestimating step lengths, which on curved valleys makes BFGS creep
/// with accepted but short unit steps:
/// - `H₀ = (‖s‖ / ‖y‖) I` from the first pair: the geometric mean of the two Barzilai–Borwein
///   scalings `sᵀy / yᵀy` (Nocedal & Wright's eq. 6.20, about the inverse of the largest curvature,
///   as the first, steepest-descent, step mostly crosses a valley) and `sᵀs / sᵀy`.
/// - Before each later update, `H` is multiplied by the Oren–Luenberger factor `τ = sᵀy / yᵀHy`
///   when `τ > 1`, that is when `H` predicts more curvature along `y` than the step found. It is
///   never scaled down: the update itself corrects an overestimate along `s`, and shrinking all of
///   `H` would shorten the steps along every other direction too.
///
/// Its line search may extend a step that still descends by up to twelve times its distance from
/// the best step per trial ([`StrongWolfe::extrapolation`]), not four as MINPACK's default (which
/// L-BFGS and Newton keep). Both scalings err towards short unit steps early on (on Rosenbrock's
/// valley the first, cross-valley pair makes `H` about a thousand times too small along the
/// valley), so the search must stretch them: reaching a step a hundred times the trial takes at
/// least three extensions with four, two with twelve, while an overlong trial is cut back by one
/// interpolation either way. On Rosenbrock's function from (−1.2, 1) this saves ten evaluations
/// (41, as scipy's BFGS), though over starts around it the effect is within noise (see
/// `OPTIMIZATION.md`).
///
/// ```
/// use nabla_optimize::{Bfgs, FnObjective, Minimizer, Options};
/// // Beale's function from (1, 1); minimum at (3, 0.5).
/// let mut f = FnObjective::new(2, |v: &[f64], g: &mut [f64]| {
///     let (x, y) = (v[0], v[1]);
///     let t = [1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y.powi(3)];
///     g[0] = 2.0 * (t[0] * (y - 1.0) + t[1] * (y * y - 1.0) + t[2] * (y.powi(3) - 1.0));
///     g[1] = 2.0 * (t[0] * x + t[1] * 2.0 * x * y + t[2] * 3.0 * x * y * y);
///     t.iter().map(|t| t * t).sum()
/// });
/// let s = Bfgs::default().minimize(&mut f, &[1.0, 1.0], &Options::default()).unwrap();
/// assert!((s.x[0] - 3.0).abs() < 1e-6 && (s.x[1] - 0.5).abs() < 1e-6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Bfgs {
    /// The strong Wolfe search, with [`StrongWolfe::extrapolation`] `12` by default (see above).
    pub line_search: StrongWolfe,
}

impl Default for Bfgs {
    fn default() -> Self {
        Bfgs {
            line_search: StrongWolfe {
                extrapolation: 12.0,
                ..StrongWolfe::default()
            },
        }
    }
}

impl Minimizer for Bfgs {
    fn name(&self) -> &'static str {
        "bfgs"
    }

    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError> {
        self.line_search.validate()?;
        drive(objective, x0, options, observer, |run| {
            let n = run.dimension();
            let (mut xt, mut gt, mut p) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let (mut s, mut y, mut hy) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            // Inverse Hessian approximation, row-major; `None` until the first usable pair scales it.
            let mut h: Option<Vec<f64>> = None;
            let mut steps = [f64::INFINITY; 2];
            loop {
                match &h {
                    Some(h) => {
                        for (p, row) in p.iter_mut().zip(h.chunks_exact(n)) {
                            *p = -dot(row, &run.gradient);
                        }
                    }
                    None => p.iter_mut().zip(&run.gradient).for_each(|(p, g)| *p = -g),
                }
                if dot(&p, &run.gradient) >= 0.0 {
                    // Rounding has made the approximation indefinite: restart from steepest descent.
                    h = None;
                    p.iter_mut().zip(&run.gradient).for_each(|(p, g)| *p = -g);
                }
                if h.is_some() && run.negligible_predicted_step(&p, steps) {
                    return Ok(StopReason::PredictedStep);
                }
                let alpha0 = first_trial(h.is_none(), &p);
                let secant = Some(ModifiedSecant {
                    f_old: run.value,
                    max_ratio: None,
                });
                if let Err(reason) = along(run, &p, &mut xt, &mut gt, &self.line_search, alpha0)? {
                    return Ok(reason);
                }
                let Some(Curvature { sy, .. }) =
                    curvature_pair(run, &xt, &gt, &mut s, &mut y, &mut steps, secant)
                else {
                    continue;
                };
                let h = h.get_or_insert_with(|| {
                    let gamma = norm(&s) / norm(&y);
                    let mut h = vec![0.0; n * n];
                    (0..n).for_each(|i| h[i * n + i] = gamma);
                    h
                });
                mat_vec(h, &y, &mut hy);
                // The Oren–Luenberger factor, applied only to scale up: H ← τ H, so H y ← τ H y.
                // (Not when yᵀHy has underflowed to zero: τ would be infinite.)
                let tau = sy / dot(&y, &hy);
                let tau = if tau.is_finite() { tau.max(1.0) } else { 1.0 };
                hy.iter_mut().for_each(|v| *v *= tau);
                let yhy = dot(&y, &hy);
                // H₊ = (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
                //    = H − ρ (H y sᵀ + s yᵀ H) + (ρ² yᵀ H y + ρ) s sᵀ   (H symmetric)
                let rho = 1.0 / sy;
                let c = rho * rho * yhy + rho;
                // Row i becomes τ times itself plus (c sᵢ − ρ hyᵢ) sᵀ − ρ sᵢ hyᵀ.
                for ((row, &si), &hyi) in h.chunks_exact_mut(n).zip(&s).zip(&hy) {
                    let (a, b) = (c * si - rho * hyi, rho * si);
                    for ((h, &sj), &hyj) in row.iter_mut().zip(&s).zip(&hy) {
                        *h = tau * *h + a * sj - b * hyj;
                    }
                }
            }
        })
    }
}

/// Limited-memory BFGS: keeps the last `memory` pairs `(s, y)` (`O(m n)` memory and work).
///
/// Its pairs use the modified secant `y*` of Zhang, Deng and Chen (as [`Bfgs`], see
/// `curvature_pair`), but more cautiously: not on the first two pairs of a run, and only when the
/// correction is small against the plain curvature, `|θ| ≤ 0.3 sᵀy` (the Taylor argument behind it
/// holds for short steps, where `θ / sᵀy = O(‖s‖)`). The initial matrix `γ I` takes
/// `γ = sᵀy / yᵀy` from the latest plain pair (Nocedal & Wright, eq. 7.20). Over Rosenbrock's
/// function in 2 to 100 dimensions this saves 3 % of the evaluations of the plain L-BFGS (which is
/// L-BFGS-B's algorithm on an unconstrained problem) and over the 2-D test functions from 49 starts
/// each 2 %; that it also brings 10- and 100-D Rosenbrock to L-BFGS-B's counts or below is luck of
/// the constants (see `OPTIMIZATION.md`).
///
/// ```
/// use nabla_optimize::{FnObjective, Lbfgs, Minimizer, Options};
/// // A 50-dimensional ill-conditioned quadratic Σ i xᵢ².
/// let mut f = FnObjective::new(50, |x: &[f64], g: &mut [f64]| {
///     let mut f = 0.0;
///     for i in 0..x.len() {
///         let w = (i + 1) as f64;
///         g[i] = 2.0 * w * x[i];
///         f += w * x[i] * x[i];
///     }
///     f
/// });
/// let s = Lbfgs::default().minimize(&mut f, &[1.0; 50], &Options::default()).unwrap();
/// assert!(s.x.iter().all(|v| v.abs() < 1e-6));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs {
    /// The number of curvature pairs kept (default `10`, as L-BFGS-B's `maxcor`).
    pub memory: usize,
    pub line_search: StrongWolfe,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            memory: 10,
            line_search: StrongWolfe::default(),
        }
    }
}

/// L-BFGS's first pairs stay plain: on short runs (Beale's and the three-hump camel function)
/// the modified secant of the first two pairs costs one to three evaluations.
const PLAIN_PAIRS: usize = 2;

/// L-BFGS trusts the modified secant only when `|θ| ≤ MAX_THETA_RATIO · sᵀy`.
const MAX_THETA_RATIO: f64 = 0.3;

/// A stored curvature pair with `ρ = 1 / sᵀy` and `γ`, the scaling of `H₀` it gives when latest.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
    gamma: f64,
}

/// The two-loop recursion: `p = −H g` with `H` the L-BFGS inverse Hessian built on `γ I`.
fn two_loop(pairs: &VecDeque<Pair>, g: &[f64], p: &mut [f64], alpha: &mut Vec<f64>) {
    for (p, g) in p.iter_mut().zip(g) {
        *p = -g;
    }
    alpha.clear();
    for pair in pairs.iter().rev() {
        let a = pair.rho * dot(&pair.s, p);
        p.iter_mut().zip(&pair.y).for_each(|(p, y)| *p -= a * y);
        alpha.push(a);
    }
    if let Some(last) = pairs.back() {
        p.iter_mut().for_each(|p| *p *= last.gamma);
    }
    for (pair, a) in pairs.iter().zip(alpha.iter().rev()) {
        let b = pair.rho * dot(&pair.y, p);
        p.iter_mut()
            .zip(&pair.s)
            .for_each(|(p, s)| *p += (a - b) * s);
    }
}

impl Minimizer for Lbfgs {
    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError> {
        self.line_search.validate()?;
        require(self.memory > 0, "memory", self.memory, "must be at least 1")?;
        drive(objective, x0, options, observer, |run| {
            let n = run.dimension();
            let (mut xt, mut gt, mut p) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let (mut s, mut y) = (vec![0.0; n], vec![0.0; n]);
            let mut pairs: VecDeque<Pair> = VecDeque::with_capacity(self.memory);
            let mut alpha = Vec::with_capacity(self.memory);
            let mut steps = [f64::INFINITY; 2];
            // Pairs stored in this run, including those dropped from memory or by a restart.
            let mut stored = 0;
            loop {
                two_loop(&pairs, &run.gradient, &mut p, &mut alpha);
                if dot(&p, &run.gradient) >= 0.0 {
                    pairs.clear();
                    two_loop(&pairs, &run.gradient, &mut p, &mut alpha);
                }
                if !pairs.is_empty() && run.negligible_predicted_step(&p, steps) {
                    return Ok(StopReason::PredictedStep);
                }
                let alpha0 = first_trial(pairs.is_empty(), &p);
                let secant = (stored >= PLAIN_PAIRS).then_some(ModifiedSecant {
                    f_old: run.value,
                    max_ratio: Some(MAX_THETA_RATIO),
                });
                if let Err(reason) = along(run, &p, &mut xt, &mut gt, &self.line_search, alpha0)? {
                    return Ok(reason);
                }
                if let Some(Curvature { sy, plain_scale }) =
                    curvature_pair(run, &xt, &gt, &mut s, &mut y, &mut steps, secant)
                {
                    stored += 1;
                    // Recycle the oldest pair's buffers once memory is full.
                    let recycled = if pairs.len() == self.memory {
                        pairs.pop_front()
                    } else {
                        None
                    };
                    let mut pair = recycled.unwrap_or_else(|| Pair {
                        s: vec![0.0; n],
                        y: vec![0.0; n],
                        rho: 0.0,
                        gamma: 0.0,
                    });
                    std::mem::swap(&mut pair.s, &mut s);
                    std::mem::swap(&mut pair.y, &mut y);
                    pair.rho = 1.0 / sy;
                    pair.gamma = plain_scale;
                    pairs.push_back(pair);
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::scipy::assert_classic;

    #[test]
    fn bfgs_reaches_every_classic_minimum_within_scipys_evaluations() {
        // scipy's BFGS stops at a local minimum of 10-D Rosenbrock; we reach the global one in 74.
        assert_classic(&Bfgs::default(), |r| r.bfgs, &[(1, 74)]);
    }

    #[test]
    fn lbfgs_reaches_every_classic_minimum_within_scipys_evaluations() {
        // L-BFGS-B stops 9e-6 from the 100-D Rosenbrock minimum after 607 evaluations; we reach it
        // within as many.
        assert_classic(&Lbfgs::default(), |r| r.lbfgsb, &[(2, 607)]);
    }

    #[test]
    fn lbfgs_with_one_pair_and_bfgs_agree_on_a_quadratic_minimum() {
        let p = crate::problems::booth();
        for method in [
            &Lbfgs {
                memory: 1,
                ..Lbfgs::default()
            } as &dyn Minimizer,
            &Bfgs::default(),
        ] {
            let s = method
                .minimize(&mut p.objective(), &p.start, &Options::default())
                .unwrap();
            assert!(p.distance(&s.x) < 1e-8, "{}: {:?}", method.name(), s.x);
        }
    }

    #[test]
    fn zero_memory_is_rejected() {
        let p = crate::problems::booth();
        let e = Lbfgs {
            memory: 0,
            ..Lbfgs::default()
        }
        .minimize(&mut p.objective(), &p.start, &Options::default())
        .unwrap_err();
        assert!(e.to_string().contains("memory"), "{e}");
    }

    use crate::{FnObjective, Newton};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// On ½xᵀAx − bᵀx with A = MᵀM + I, every second-order method finds A⁻¹b.
        #[test]
        fn quadratics_are_solved(
            m in proptest::collection::vec(-2.0..2.0f64, 9),
            b in proptest::collection::vec(-5.0..5.0f64, 3),
        ) {
            solves_quadratic(&m, &b)?;
        }
    }

    fn solves_quadratic(m: &[f64], b: &[f64]) -> Result<(), TestCaseError> {
        let mut a = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                a[i * 3 + j] = (0..3).map(|k| m[k * 3 + i] * m[k * 3 + j]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let vg = |x: &[f64], g: &mut [f64]| {
            let mut f = 0.0;
            for i in 0..3 {
                g[i] = dot(&a[i * 3..i * 3 + 3], x) - b[i];
                f += 0.5 * x[i] * (g[i] - b[i]);
            }
            f
        };
        let mut objective =
            FnObjective::new(3, vg).with_hessian(|_: &[f64], h: &mut [f64]| h.copy_from_slice(&a));
        let methods: [&dyn Minimizer; 3] =
            [&Bfgs::default(), &Lbfgs::default(), &Newton::default()];
        for method in methods {
            let s = method
                .minimize(&mut objective, &[0.0; 3], &Options::default())
                .unwrap();
            let mut residual = [0.0; 3];
            vg(&s.x, &mut residual);
            // A ≥ I, so |x − x*| ≤ |Ax − b|; the relative-change test may stop near 1e-7.
            prop_assert!(
                s.stopped_by.converged(),
                "{}: {}",
                method.name(),
                s.stopped_by
            );
            prop_assert!(
                norm(&residual) < 1e-6,
                "{}: residual {:?}",
                method.name(),
                residual
            );
        }
        Ok(())
    }

    #[test]
    fn quadratic_resolved_to_working_precision_counts_as_converged() {
        // Found by the property test: BFGS ends where f no longer changes in floating point.
        let m = [
            0.35770032005832514,
            0.1123138489357859,
            -1.3939126819903958,
            0.0,
            -0.2140978633447314,
            1.8883756764238804,
            -0.9653402078607938,
            0.0,
            0.9539840662332649,
        ];
        solves_quadratic(
            &m,
            &[-1.5728524407715152, 4.833614752416954, 4.188158958455326],
        )
        .unwrap();
    }
}
