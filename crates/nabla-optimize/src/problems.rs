//! Classic test functions for minimisers, with hand-written gradients and Hessians: Rosenbrock
//! (chained, any dimension), Beale, Booth, Himmelblau, Matyas, three-hump camel, Styblinski–Tang and
//! Rastrigin. [`classic`] lists them with standard starts and the minimum reached from each; the tests,
//! the `classic` example and the scipy comparison script all use this list.

use std::f64::consts::PI;

use crate::objective::FnObjective;

/// `f(x, gradient) -> value`, the gradient written into the second argument.
pub type ValueGradient = fn(&[f64], &mut [f64]) -> f64;
/// `hessian(x, h)` writing the row-major `n × n` Hessian.
pub type Hessian = fn(&[f64], &mut [f64]);

/// A test function with a start point and the minimiser a descent method reaches from it.
#[derive(Clone, Debug)]
pub struct Problem {
    /// Stable name, e.g. `"rosenbrock"` or `"himmelblau"`.
    pub name: &'static str,
    pub start: Vec<f64>,
    /// The (local) minimiser reached from `start` by a descent method.
    pub minimum: Vec<f64>,
    pub value_gradient: ValueGradient,
    pub hessian: Hessian,
}

impl Problem {
    pub fn dimension(&self) -> usize {
        self.start.len()
    }

    /// The problem as an [`crate::Objective`] with its Hessian.
    ///
    /// ```
    /// use nabla_optimize::{Objective, problems};
    /// let p = problems::rosenbrock(2);
    /// let mut f = p.objective();
    /// assert_eq!(f.value(&p.minimum), 0.0);
    /// assert_eq!(f.value(&p.start), 24.199999999999996);
    /// ```
    pub fn objective(&self) -> FnObjective<ValueGradient, Hessian> {
        FnObjective::new(self.dimension(), self.value_gradient).with_hessian(self.hessian)
    }

    /// `‖x − minimum‖∞`.
    pub fn distance(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.minimum)
            .fold(0.0, |m, (a, b)| f64::max(m, (a - b).abs()))
    }
}

fn problem(
    name: &'static str,
    start: &[f64],
    minimum: &[f64],
    value_gradient: ValueGradient,
    hessian: Hessian,
) -> Problem {
    Problem {
        name,
        start: start.to_vec(),
        minimum: minimum.to_vec(),
        value_gradient,
        hessian,
    }
}

/// The classic set used by the tests and the scipy comparison: Rosenbrock in 2, 10 and 100
/// dimensions, Beale, Booth, Himmelblau from four starts (one per minimum), Matyas, three-hump camel,
/// Styblinski–Tang and Rastrigin (a local minimum).
pub fn classic() -> Vec<Problem> {
    let mut all = vec![
        rosenbrock(2),
        rosenbrock(10),
        rosenbrock(100),
        beale(),
        booth(),
    ];
    all.extend(himmelblau());
    all.extend([
        matyas(),
        three_hump_camel(),
        styblinski_tang(2),
        rastrigin_local(),
    ]);
    all
}

/// Chained Rosenbrock `Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` (scipy's `rosen`), from
/// `(−1.2, 1, −1.2, 1, …)`, minimum at all ones. For `n ≥ 4` there is also a local minimum near
/// `(−1, 1, …, 1)`, which scipy's BFGS finds in 10 dimensions; the global one is listed.
pub fn rosenbrock(n: usize) -> Problem {
    let start: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    problem(
        "rosenbrock",
        &start,
        &vec![1.0; n],
        rosenbrock_vg,
        rosenbrock_h,
    )
}

fn rosenbrock_vg(x: &[f64], g: &mut [f64]) -> f64 {
    g.fill(0.0);
    let mut f = 0.0;
    for i in 0..x.len().saturating_sub(1) {
        let (a, b) = (1.0 - x[i], x[i + 1] - x[i] * x[i]);
        f += a * a + 100.0 * b * b;
        g[i] += -2.0 * a - 400.0 * x[i] * b;
        g[i + 1] += 200.0 * b;
    }
    f
}

fn rosenbrock_h(x: &[f64], h: &mut [f64]) {
    let n = x.len();
    h.fill(0.0);
    for i in 0..n.saturating_sub(1) {
        h[i * n + i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i + 1) * n + i + 1] += 200.0;
        h[i * n + i + 1] = -400.0 * x[i];
        h[(i + 1) * n + i] = -400.0 * x[i];
    }
}

/// Beale's function from `(1, 1)`, minimum `(3, 0.5)`.
pub fn beale() -> Problem {
    problem("beale", &[1.0, 1.0], &[3.0, 0.5], beale_vg, beale_h)
}

/// Beale's three residuals and their gradients.
fn beale_terms(x: f64, y: f64) -> [(f64, [f64; 2]); 3] {
    [
        (1.5 - x + x * y, [y - 1.0, x]),
        (2.25 - x + x * y * y, [y * y - 1.0, 2.0 * x * y]),
        (
            2.625 - x + x * y.powi(3),
            [y.powi(3) - 1.0, 3.0 * x * y * y],
        ),
    ]
}

fn beale_vg(v: &[f64], g: &mut [f64]) -> f64 {
    let terms = beale_terms(v[0], v[1]);
    g[0] = terms.iter().map(|(t, d)| 2.0 * t * d[0]).sum();
    g[1] = terms.iter().map(|(t, d)| 2.0 * t * d[1]).sum();
    terms.iter().map(|(t, _)| t * t).sum()
}

fn beale_h(v: &[f64], h: &mut [f64]) {
    let (x, y) = (v[0], v[1]);
    let terms = beale_terms(x, y);
    // Hessians of the residuals: [[0, ∂²/∂x∂y], [∂²/∂x∂y, ∂²/∂y²]].
    let second = [(1.0, 0.0), (2.0 * y, 2.0 * x), (3.0 * y * y, 6.0 * x * y)];
    let mut m = [0.0; 4];
    for ((t, d), (xy, yy)) in terms.iter().zip(second) {
        m[0] += 2.0 * d[0] * d[0];
        m[1] += 2.0 * (d[0] * d[1] + t * xy);
        m[3] += 2.0 * (d[1] * d[1] + t * yy);
    }
    m[2] = m[1];
    h.copy_from_slice(&m);
}

/// Booth's function `(x + 2y − 7)² + (2x + y − 5)²` from `(0, 0)`, minimum `(1, 3)`.
pub fn booth() -> Problem {
    fn vg(v: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (v[0] + 2.0 * v[1] - 7.0, 2.0 * v[0] + v[1] - 5.0);
        g[0] = 2.0 * a + 4.0 * b;
        g[1] = 4.0 * a + 2.0 * b;
        a * a + b * b
    }
    fn h(_: &[f64], h: &mut [f64]) {
        h.copy_from_slice(&[10.0, 8.0, 8.0, 10.0]);
    }
    problem("booth", &[0.0, 0.0], &[1.0, 3.0], vg, h)
}

/// Himmelblau's function `(x² + y − 11)² + (x + y² − 7)²` from `(−4, −4)`, `(4, 4)`, `(−4, 4)` and
/// `(4, −4)`, each reaching a different one of its four minima.
pub fn himmelblau() -> [Problem; 4] {
    fn vg(v: &[f64], g: &mut [f64]) -> f64 {
        let (x, y) = (v[0], v[1]);
        let (a, b) = (x * x + y - 11.0, x + y * y - 7.0);
        g[0] = 4.0 * a * x + 2.0 * b;
        g[1] = 2.0 * a + 4.0 * b * y;
        a * a + b * b
    }
    fn h(v: &[f64], h: &mut [f64]) {
        let (x, y) = (v[0], v[1]);
        let off = 4.0 * x + 4.0 * y;
        h.copy_from_slice(&[
            12.0 * x * x + 4.0 * y - 42.0,
            off,
            off,
            4.0 * x + 12.0 * y * y - 26.0,
        ]);
    }
    [
        problem(
            "himmelblau",
            &[-4.0, -4.0],
            &[-3.779310253377747, -3.2831859912861696],
            vg,
            h,
        ),
        problem("himmelblau", &[4.0, 4.0], &[3.0, 2.0], vg, h),
        problem(
            "himmelblau",
            &[-4.0, 4.0],
            &[-2.805118086952745, 3.131312518250573],
            vg,
            h,
        ),
        problem(
            "himmelblau",
            &[4.0, -4.0],
            &[3.5844283403304917, -1.8481265269644034],
            vg,
            h,
        ),
    ]
}

/// Matyas' function `0.26 (x² + y²) − 0.48 x y` from `(1, 0.5)`, minimum `(0, 0)`.
pub fn matyas() -> Problem {
    fn vg(v: &[f64], g: &mut [f64]) -> f64 {
        let (x, y) = (v[0], v[1]);
        g[0] = 0.52 * x - 0.48 * y;
        g[1] = 0.52 * y - 0.48 * x;
        0.26 * (x * x + y * y) - 0.48 * x * y
    }
    fn h(_: &[f64], h: &mut [f64]) {
        h.copy_from_slice(&[0.52, -0.48, -0.48, 0.52]);
    }
    problem("matyas", &[1.0, 0.5], &[0.0, 0.0], vg, h)
}

/// The three-hump camel `2x² − 1.05x⁴ + x⁶/6 + xy + y²` from `(1, 1)`, global minimum `(0, 0)`.
pub fn three_hump_camel() -> Problem {
    fn vg(v: &[f64], g: &mut [f64]) -> f64 {
        let (x, y) = (v[0], v[1]);
        g[0] = 4.0 * x - 4.2 * x.powi(3) + x.powi(5) + y;
        g[1] = x + 2.0 * y;
        2.0 * x * x - 1.05 * x.powi(4) + x.powi(6) / 6.0 + x * y + y * y
    }
    fn h(v: &[f64], h: &mut [f64]) {
        let x = v[0];
        h.copy_from_slice(&[4.0 - 12.6 * x * x + 5.0 * x.powi(4), 1.0, 1.0, 2.0]);
    }
    problem("three-hump-camel", &[1.0, 1.0], &[0.0, 0.0], vg, h)
}

/// Styblinski–Tang `½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ)` from the origin, global minimum at
/// `xᵢ = −2.903534…` (the negative root of `2x³ − 16x + 2.5`).
pub fn styblinski_tang(n: usize) -> Problem {
    fn vg(x: &[f64], g: &mut [f64]) -> f64 {
        for (g, x) in g.iter_mut().zip(x) {
            *g = 2.0 * x.powi(3) - 16.0 * x + 2.5;
        }
        0.5 * x
            .iter()
            .map(|x| x.powi(4) - 16.0 * x * x + 5.0 * x)
            .sum::<f64>()
    }
    fn h(x: &[f64], h: &mut [f64]) {
        let n = x.len();
        h.fill(0.0);
        (0..n).for_each(|i| h[i * n + i] = 6.0 * x[i] * x[i] - 16.0);
    }
    problem(
        "styblinski-tang",
        &vec![0.0; n],
        &vec![-2.903534027771177; n],
        vg,
        h,
    )
}

/// Rastrigin `10n + Σ (xᵢ² − 10 cos 2πxᵢ)` in 2-D from `(1.2, −0.8)`, reaching the local minimum
/// `(0.99496, −0.99496)` (the root of `x + 10π sin 2πx` near 1), not the global one at the origin.
pub fn rastrigin_local() -> Problem {
    fn vg(x: &[f64], g: &mut [f64]) -> f64 {
        for (g, x) in g.iter_mut().zip(x) {
            *g = 2.0 * x + 20.0 * PI * (2.0 * PI * x).sin();
        }
        10.0 * x.len() as f64
            + x.iter()
                .map(|x| x * x - 10.0 * (2.0 * PI * x).cos())
                .sum::<f64>()
    }
    fn h(x: &[f64], h: &mut [f64]) {
        let n = x.len();
        h.fill(0.0);
        (0..n).for_each(|i| h[i * n + i] = 2.0 + 40.0 * PI * PI * (2.0 * PI * x[i]).cos());
    }
    let m = 0.9949586376523348;
    problem("rastrigin", &[1.2, -0.8], &[m, -m], vg, h)
}

/// Reference figures from scipy and the shared assertion of the method tests.
#[cfg(test)]
pub(crate) mod scipy {
    use super::classic;

    /// scipy's evaluation counts on [`classic`] (same order), for the tests: `minimize(..., tol=1e-10)`
    /// with exact derivatives, scipy 1.17.1, measured by `bench/optimize_vs_scipy.py`. `None` where
    /// scipy did not reach the listed minimum to 1e-6.
    pub(crate) struct ScipyEvaluations {
        pub bfgs: Option<usize>,
        pub lbfgsb: Option<usize>,
        pub newton_cg: Option<usize>,
    }

    pub(crate) const SCIPY: [ScipyEvaluations; 13] = {
        const fn s(
            bfgs: Option<usize>,
            lbfgsb: Option<usize>,
            newton_cg: usize,
        ) -> ScipyEvaluations {
            ScipyEvaluations {
                bfgs,
                lbfgsb,
                newton_cg: Some(newton_cg),
            }
        }
        [
            s(Some(41), Some(45), 107), // rosenbrock 2
            s(None, Some(89), 135),     // rosenbrock 10: scipy's BFGS stops at the local minimum
            s(Some(657), None, 255), // rosenbrock 100: L-BFGS-B stops 9e-6 away (607 evaluations)
            s(Some(19), Some(16), 15), // beale
            s(Some(9), Some(7), 5),  // booth
            s(Some(11), Some(8), 9), // himmelblau (-4, -4)
            s(Some(18), Some(11), 9), // himmelblau (4, 4)
            s(Some(16), Some(8), 8), // himmelblau (-4, 4)
            s(Some(18), Some(11), 8), // himmelblau (4, -4)
            s(Some(10), Some(6), 3), // matyas
            s(Some(13), Some(8), 7), // three-hump camel
            s(Some(10), Some(9), 9), // styblinski-tang
            s(Some(14), Some(8), 6), // rastrigin
        ]
    };

    /// Runs `method` with default options on every [`classic`] problem and asserts that it reaches the
    /// listed minimum to 1e-6 and spends no more function evaluations than scipy's counterpart
    /// (`scipy` picks its figure), or than the budget given in `exceptions` as `(problem index,
    /// budget)` where it is known to need more.
    pub(crate) fn assert_classic(
        method: &dyn crate::Minimizer,
        scipy: impl Fn(&ScipyEvaluations) -> Option<usize>,
        exceptions: &[(usize, usize)],
    ) {
        let options = crate::Options::default();
        for (i, (p, reference)) in classic().iter().zip(&SCIPY).enumerate() {
            let s = method
                .minimize(&mut p.objective(), &p.start, &options)
                .unwrap();
            let label = format!("{} #{i} {} from {:?}", method.name(), p.name, &p.start[..2]);
            assert!(
                s.stopped_by.converged(),
                "{label}: stopped by {}",
                s.stopped_by
            );
            assert!(
                p.distance(&s.x) < 1e-6,
                "{label}: {:?} is {:e} away",
                s.x,
                p.distance(&s.x)
            );
            let budget = exceptions.iter().find(|(j, _)| *j == i).map(|(_, b)| *b);
            if let Some(limit) = budget.or(scipy(reference)) {
                let n = s.evaluations.function;
                assert!(n <= limit, "{label}: {n} evaluations, more than {limit}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Objective;
    use proptest::prelude::*;

    /// Central-difference check of the gradient and the Hessian (as the derivative of the gradient).
    fn check_derivatives(p: &Problem, x: &[f64]) -> Result<(), TestCaseError> {
        let n = x.len();
        let mut f = p.objective();
        let mut g = vec![0.0; n];
        f.value_gradient(x, &mut g);
        let mut h = vec![0.0; n * n];
        prop_assert!(f.hessian(x, &mut h));
        let eps = 1e-6;
        let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
        for j in 0..n {
            let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
            xp[j] += eps;
            xm[j] -= eps;
            let fp = f.value_gradient(&xp, &mut gp);
            let fm = f.value_gradient(&xm, &mut gm);
            let scale = 1.0 + g[j].abs();
            prop_assert!(
                ((fp - fm) / (2.0 * eps) - g[j]).abs() < 1e-5 * scale,
                "{} ∂{j}",
                p.name
            );
            for i in 0..n {
                let fd = (gp[i] - gm[i]) / (2.0 * eps);
                let scale = 1.0 + h[i * n + j].abs();
                prop_assert!(
                    (fd - h[i * n + j]).abs() < 1e-5 * scale,
                    "{} H[{i}][{j}]",
                    p.name
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn hand_written_derivatives_match_finite_differences(
            v in proptest::collection::vec(-2.0..2.0f64, 4)
        ) {
            let mut ps = classic();
            ps.retain(|p| p.dimension() <= 2);
            ps.push(rosenbrock(4));
            ps.push(styblinski_tang(4));
            for p in &ps {
                check_derivatives(p, &v[..p.dimension()])?;
            }
        }
    }

    #[test]
    fn listed_minima_are_stationary_points() {
        for p in classic() {
            let mut g = vec![0.0; p.dimension()];
            p.objective().value_gradient(&p.minimum, &mut g);
            let gmax = g.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            assert!(
                gmax < 1e-9,
                "{}: gradient {gmax:e} at the listed minimum",
                p.name
            );
        }
    }
}
