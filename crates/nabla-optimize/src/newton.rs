//! Newton's method with the exact Hessian, made safe where the Hessian is indefinite, so the
//! direction always descends, and with a strong Wolfe line search, so every step lowers `f`. Two ways
//! to get the direction from `H p = −g`:
//! - [`NewtonSolver::TruncatedCg`] (default, Nocedal & Wright algorithm 7.1, as scipy's Newton-CG):
//!   conjugate gradients stopped at a relative residual `min(0.5, √‖g‖₁)` (in the 1-norm, as scipy)
//!   or at the first direction of non-positive curvature. Far from a minimum this leans towards
//!   steepest descent, close to it the step becomes the exact Newton step.
//! - [`NewtonSolver::ModifiedCholesky`] (Nocedal & Wright algorithm 3.3): `H` is shifted by `τ I`
//!   until its Cholesky factorisation succeeds, a Levenberg-style damping; the exact Newton step
//!   wherever `H` is positive definite.

use crate::driver::{Minimizer, Observer, dot, drive, mat_vec, norm};
use crate::error::{OptimizeError, require};
use crate::line_search::{StrongWolfe, along};
use crate::objective::Objective;
use crate::stop::{Options, Solution, StopReason};

/// Damped Newton's method; needs [`Objective::hessian`].
///
/// ```
/// use nabla_optimize::{FnObjective, Minimizer, Newton, Options};
/// // f = x⁴/4 - x²/2 + y²: the Hessian is indefinite at the start (0.1, 1).
/// let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
///     g[0] = x[0].powi(3) - x[0];
///     g[1] = 2.0 * x[1];
///     x[0].powi(4) / 4.0 - x[0] * x[0] / 2.0 + x[1] * x[1]
/// })
/// .with_hessian(|x: &[f64], h: &mut [f64]| {
///     h.copy_from_slice(&[3.0 * x[0] * x[0] - 1.0, 0.0, 0.0, 2.0]);
/// });
/// let s = Newton::default().minimize(&mut f, &[0.1, 1.0], &Options::default()).unwrap();
/// assert!((s.x[0] - 1.0).abs() < 1e-9 && s.x[1].abs() < 1e-9);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Newton {
    pub line_search: StrongWolfe,
    pub solver: NewtonSolver,
}

/// How [`Newton`] solves `H p = −g` safely.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NewtonSolver {
    /// Conjugate gradients, truncated at a relative residual `min(0.5, √‖g‖₁)` (1-norms) or at
    /// negative curvature.
    TruncatedCg,
    /// Cholesky of `H + τ I` with the smallest working `τ` in `0, β, 2β, 4β, …`, where `β` is
    /// `min_shift` times the largest diagonal magnitude (Nocedal & Wright use `1e-3`).
    ModifiedCholesky { min_shift: f64 },
}

impl Default for Newton {
    fn default() -> Self {
        Newton {
            line_search: StrongWolfe::default(),
            solver: NewtonSolver::TruncatedCg,
        }
    }
}

impl Newton {
    /// Newton with the modified Cholesky solver and `β = 1e-3`.
    pub fn modified_cholesky() -> Self {
        Newton {
            solver: NewtonSolver::ModifiedCholesky { min_shift: 1e-3 },
            ..Newton::default()
        }
    }
}

/// In-place Cholesky factorisation `A = L Lᵀ` of the row-major `n × n` matrix `a` (lower triangle
/// written, upper ignored). Returns `false` if `a` is not numerically positive definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if !(d > 0.0) || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    true
}

/// Solves `L Lᵀ x = b` in place given the factor from [`cholesky`].
fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * b[k]).sum();
        b[i] = (b[i] - s) / l[i * n + i];
    }
}

/// Scratch buffers for the direction solvers.
struct Work {
    factor: Vec<f64>,
    r: Vec<f64>,
    d: Vec<f64>,
    hd: Vec<f64>,
}

impl Work {
    fn new(n: usize) -> Self {
        Work {
            factor: vec![0.0; n * n],
            r: vec![0.0; n],
            d: vec![0.0; n],
            hd: vec![0.0; n],
        }
    }
}

fn norm1(v: &[f64]) -> f64 {
    v.iter().map(|x| x.abs()).sum()
}

/// Truncated conjugate gradients on `H p = −g` (Nocedal & Wright algorithm 7.1). The result is
/// always a descent direction: a multiple of `−g` if the very first direction has non-positive
/// curvature.
fn truncated_cg(h: &[f64], g: &[f64], w: &mut Work, p: &mut [f64]) {
    let n = g.len();
    // scipy's Newton-CG measures the residual in the 1-norm, which grows with n: on large problems
    // the solves stay loose (η = 0.5) for longer, fewer CG steps towards a Newton step that the
    // line search would cut anyway (100-D Rosenbrock: 252 evaluations against 327 with 2-norms,
    // but 135 against 97 on 10-D; see OPTIMIZATION.md).
    let gnorm = norm1(g);
    let tolerance = gnorm.sqrt().min(0.5) * gnorm;
    p.fill(0.0);
    w.r.copy_from_slice(g);
    w.d.iter_mut().zip(g).for_each(|(d, g)| *d = -g);
    let mut rr = dot(&w.r, &w.r);
    // In exact arithmetic CG ends within n steps; allow some more for rounding.
    for j in 0..2 * n + 2 {
        mat_vec(h, &w.d, &mut w.hd);
        let curvature = dot(&w.d, &w.hd);
        if !(curvature > 0.0 && curvature.is_finite()) {
            if j == 0 {
                // Steepest descent, scaled by the magnitude of the curvature along it (unscaled
                // where the function is flat along it or the product overflowed).
                let scale = if curvature < 0.0 && curvature.is_finite() {
                    rr / -curvature
                } else {
                    1.0
                };
                p.iter_mut().zip(&w.d).for_each(|(p, d)| *p = scale * d);
            }
            return;
        }
        let a = rr / curvature;
        p.iter_mut().zip(&w.d).for_each(|(p, d)| *p += a * d);
        w.r.iter_mut().zip(&w.hd).for_each(|(r, hd)| *r += a * hd);
        if norm1(&w.r) <= tolerance {
            return;
        }
        let rr_next = dot(&w.r, &w.r);
        let beta = rr_next / rr;
        rr = rr_next;
        w.d.iter_mut()
            .zip(&w.r)
            .for_each(|(d, r)| *d = -r + beta * *d);
    }
}

impl Newton {
    /// Writes the search direction for Hessian `h` and gradient `g` into `p`.
    fn direction(&self, h: &[f64], g: &[f64], w: &mut Work, p: &mut [f64]) {
        match self.solver {
            NewtonSolver::TruncatedCg => truncated_cg(h, g, w, p),
            NewtonSolver::ModifiedCholesky { min_shift } => {
                shifted_cholesky(h, g, min_shift, &mut w.factor, p)
            }
        }
    }
}

/// Writes `p = −(H + τ I)⁻¹ g` with the smallest `τ` of the sequence `0, β, 2β, 4β, …` (starting
/// above `−min Hᵢᵢ` when a diagonal entry is not positive) that makes `H + τ I` positive definite.
fn shifted_cholesky(h: &[f64], g: &[f64], min_shift: f64, factor: &mut [f64], p: &mut [f64]) {
    let n = g.len();
    let diag = || (0..n).map(|i| h[i * n + i]);
    let beta = min_shift * diag().fold(0.0_f64, |m, d| m.max(d.abs())).max(1e-8);
    let min_diag = diag().fold(f64::INFINITY, f64::min);
    let mut tau = if min_diag > 0.0 { 0.0 } else { beta - min_diag };
    for (p, g) in p.iter_mut().zip(g) {
        *p = -g;
    }
    // Doubling reaches any finite shift within about 2000 tries; past that the matrix has entries
    // near overflow and the steepest-descent direction `−g` is kept.
    for _ in 0..2100 {
        factor.copy_from_slice(h);
        (0..n).for_each(|i| factor[i * n + i] += tau);
        if cholesky(factor, n) {
            cholesky_solve(factor, n, p);
            return;
        }
        tau = (2.0 * tau).max(beta);
    }
}

impl Minimizer for Newton {
    fn name(&self) -> &'static str {
        match self.solver {
            NewtonSolver::TruncatedCg => "newton",
            NewtonSolver::ModifiedCholesky { .. } => "newton-cholesky",
        }
    }

    fn minimize_observed(
        &self,
        objective: &mut dyn Objective,
        x0: &[f64],
        options: &Options,
        observer: Option<Observer<'_>>,
    ) -> Result<Solution, OptimizeError> {
        self.line_search.validate()?;
        if let NewtonSolver::ModifiedCholesky { min_shift } = self.solver {
            require(
                min_shift > 0.0 && min_shift.is_finite(),
                "min_shift",
                min_shift,
                "must be positive",
            )?;
        }
        drive(objective, x0, options, observer, |run| {
            let n = run.dimension();
            let (mut xt, mut gt, mut p) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let (mut h, mut work) = (vec![0.0; n * n], Work::new(n));
            // The first trial step repeats the last decrease of f under a quadratic model (Nocedal
            // & Wright eq. 3.60, with scipy's factor 1.01), capped by the full Newton step; it
            // saves evaluations while truncated-CG steps are still poor, and is 1 near a minimum.
            // The first iteration has no decrease to repeat and tries the full step, as scipy's
            // Newton-CG does.
            let mut previous = f64::NAN;
            let mut steps = [f64::INFINITY; 2];
            loop {
                run.hessian(&mut h, self.name())?;
                self.direction(&h, &run.gradient, &mut work, &mut p);
                if run.negligible_predicted_step(&p, steps) {
                    return Ok(StopReason::PredictedStep);
                }
                let slope = dot(&run.gradient, &p);
                let alpha0 = if slope < 0.0 && previous.is_finite() {
                    (2.02 * (run.value - previous) / slope).clamp(1e-10, 1.0)
                } else {
                    1.0
                };
                previous = run.value;
                let step = match along(run, &p, &mut xt, &mut gt, &self.line_search, alpha0)? {
                    Ok(step) => step,
                    Err(reason) => return Ok(reason),
                };
                steps = [steps[1], step.alpha * norm(&p)];
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_spd_systems_and_rejects_indefinite_ones() {
        let a = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];
        let mut l = a;
        assert!(cholesky(&mut l, 3));
        let x = [1.0, -2.0, 0.5];
        let mut b: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * x[j]).sum())
            .collect();
        cholesky_solve(&l, 3, &mut b);
        assert!(b.iter().zip(x).all(|(u, v)| (u - v).abs() < 1e-12), "{b:?}");
        let mut indefinite = [1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut indefinite, 2));
    }

    #[test]
    fn directions_descend_on_indefinite_hessians_and_are_exact_on_definite_ones() {
        let g = [1.0, 1.0];
        let (mut work, mut p) = (Work::new(2), [0.0; 2]);
        for newton in [Newton::default(), Newton::modified_cholesky()] {
            for h in [
                [-2.0, 0.0, 0.0, 1.0],
                [1.0, 0.0, 0.0, -2.0],
                [1.0, 3.0, 3.0, 1.0],
            ] {
                newton.direction(&h, &g, &mut work, &mut p);
                assert!(
                    p[0] * g[0] + p[1] * g[1] < 0.0,
                    "{:?} {h:?}: {p:?}",
                    newton.solver
                );
            }
            // Positive definite and close to a minimum (CG's forcing term √‖g‖ is small): the
            // plain Newton step.
            let g = [1e-6, 1e-6];
            newton.direction(&[2.0, 0.0, 0.0, 4.0], &g, &mut work, &mut p);
            assert!(
                (p[0] + 0.5e-6).abs() < 1e-18 && (p[1] + 0.25e-6).abs() < 1e-18,
                "{p:?}"
            );
        }
    }
}

#[cfg(test)]
mod classic_tests {
    use super::*;
    use crate::problems::scipy::assert_classic;

    #[test]
    fn truncated_cg_newton_reaches_every_classic_minimum() {
        // scipy's own forcing term and first trial step: at most Newton-CG's evaluations everywhere
        // (equal on 2- and 10-D Rosenbrock, 252 against 255 on 100-D).
        assert_classic(&Newton::default(), |r| r.newton_cg, &[]);
    }

    #[test]
    fn modified_cholesky_newton_reaches_the_minima_of_the_small_problems() {
        // The exact Newton step goes from (-1.2, 1, ...) to the local minimum near (-1, 1, ..., 1)
        // of the 10- and 100-D Rosenbrock (as scipy's trust-exact does), so only the 2-D problems.
        let newton = Newton::modified_cholesky();
        for p in crate::problems::classic()
            .iter()
            .filter(|p| p.dimension() == 2)
        {
            let s = newton
                .minimize(&mut p.objective(), &p.start, &Options::default())
                .unwrap();
            assert!(
                p.distance(&s.x) < 1e-6,
                "{} from {:?}: {:?}",
                p.name,
                p.start,
                s.x
            );
            assert!(
                s.evaluations.function <= 30,
                "{}: {:?}",
                p.name,
                s.evaluations
            );
        }
    }

    #[test]
    fn overflowing_hessians_do_not_hang() {
        let mut f = crate::FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0];
            g[1] = 2.0 * x[1];
            x[0] * x[0] + x[1] * x[1]
        })
        .with_hessian(|_: &[f64], h: &mut [f64]| h.copy_from_slice(&[1.0, 1e308, 1e308, 1.0]));
        // A wrong Hessian whose products overflow: the solvers fall back to steepest descent where
        // they cannot use it, never hang, and the line search still only descends.
        for newton in [Newton::default(), Newton::modified_cholesky()] {
            let s = newton
                .minimize(&mut f, &[1.0, 0.5], &Options::default())
                .unwrap();
            assert!(s.value < 1.25, "{:?}: {}", newton.solver, s.value);
        }
        let s = Newton::modified_cholesky().minimize(&mut f, &[1.0, 0.5], &Options::default());
        assert!(s.unwrap().x.iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn newton_needs_a_hessian() {
        let mut f = crate::FnObjective::new(1, |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * x[0];
            x[0] * x[0]
        });
        let e = Newton::default()
            .minimize(&mut f, &[1.0], &Options::default())
            .unwrap_err();
        assert_eq!(e, OptimizeError::HessianUnavailable { method: "newton" });
    }
}
