//! The validation sets behind the evaluation counts in `OPTIMIZATION.md`, so that a change to a
//! method is judged on more than the few rows of the scipy table:
//!
//! - the classic problems from their listed starts (the table's rows);
//! - chained Rosenbrock for n = 2, 4, …, 40, 50, 60, 80, 100 from `(−1.2, 1, …)`, in all;
//! - the same with 1e2 and 1e4 added to f (the stopping rules and any use of value differences
//!   meet the rounding of a large |f| near the minimum);
//! - `Σ cᵢ xᵢ² + xᵢ⁴` with `cᵢ` spread from 1 to 1000 (n = 50, from all ones);
//! - every 2-D classic function from a 7 × 7 grid of starts around its listed start (spacing 0.5,
//!   the listed start in the middle; Himmelblau once, around the origin), in all.
//!
//! For the grid, where the minimum reached is not known beforehand, each end point is polished with
//! modified-Cholesky Newton at tight tolerances. Runs whose end the polish moves by less than 1e-3
//! and keeps inside `[−5, 5]²` reached a minimum: their evaluations are summed and the largest
//! distance to the polished point reported (it must stay below 1e-6). The others converged
//! somewhere that is no minimum (from some starts Beale's function leads every method down its
//! valley towards x → −∞) and are only counted, as are runs that stop on a limit or fail.
//!
//! ```text
//! cargo run --release -p nabla-optimize --example sweep [METHOD ...]   # default: bfgs lbfgs newton
//! ```

use nabla_optimize::problems::{self, Problem};
use nabla_optimize::{FnObjective, Method, Minimizer, Newton, Objective, Options};

const METHODS: [&str; 3] = ["bfgs", "lbfgs", "newton"];

/// Rosenbrock sizes of the "in all" figure.
fn rosenbrock_sizes() -> Vec<usize> {
    (2..=40).step_by(2).chain([50, 60, 80, 100]).collect()
}

/// `Σ cᵢ xᵢ² + xᵢ⁴`, `cᵢ = 1000^(i / (n − 1))`: curvatures spread over three decades.
fn spread_quartic(n: usize) -> impl Objective {
    let c: Vec<f64> = (0..n)
        .map(|i| 1000f64.powf(i as f64 / (n - 1) as f64))
        .collect();
    FnObjective::new(n, move |x: &[f64], g: &mut [f64]| {
        let mut f = 0.0;
        for ((g, x), c) in g.iter_mut().zip(x).zip(&c) {
            *g = 2.0 * c * x + 4.0 * x.powi(3);
            f += c * x * x + x.powi(4);
        }
        f
    })
}

/// The 2-D classic functions, each once, with the centre of its grid.
fn grid_problems() -> Vec<(Problem, [f64; 2])> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for p in problems::classic() {
        if p.dimension() != 2 || seen.contains(&p.name) {
            continue;
        }
        seen.push(p.name);
        let centre = if p.name == "himmelblau" {
            [0.0, 0.0]
        } else {
            [p.start[0], p.start[1]]
        };
        out.push((p, centre));
    }
    out
}

/// Totals over a set of runs.
#[derive(Default)]
struct Tally {
    evaluations: usize,
    failures: usize,
    /// Grid runs that converged somewhere that is not a minimum (Beale's valley to x → −∞).
    elsewhere: usize,
    worst_distance: f64,
}

/// Polishes `x` with modified-Cholesky Newton to the working precision and returns how far it moved,
/// or `None` when the polish does not converge nearby or `x` is far out (every minimum of these
/// functions lies in `[−5, 5]²`; Beale's valley runs towards `x → −∞`).
fn distance_to_polished(p: &Problem, x: &[f64]) -> Option<f64> {
    let tight = Options {
        gradient_tolerance: 1e-12,
        predicted_step_tolerance: 0.0,
        ..Options::default()
    };
    let s = Newton::modified_cholesky()
        .minimize(&mut p.objective(), x, &tight)
        .ok()?;
    let moved =
        s.x.iter()
            .zip(x)
            .fold(0.0, |m: f64, (a, b)| m.max((a - b).abs()));
    let inside = s.x.iter().all(|v| v.abs() <= 5.0);
    (s.stopped_by.converged() && inside && moved < 1e-3).then_some(moved)
}

fn main() {
    let options = Options::default();
    let chosen: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = if chosen.is_empty() {
        METHODS.to_vec()
    } else {
        chosen.iter().map(String::as_str).collect()
    };
    for name in names {
        let method: Method = name.parse().expect("a method name");
        println!("{name}");

        let classic: Vec<String> = problems::classic()
            .iter()
            .map(
                |p| match method.minimize(&mut p.objective(), &p.start, &options) {
                    Ok(s) if p.distance(&s.x) < 1e-6 => s.evaluations.function.to_string(),
                    Ok(s) => format!("{}*", s.evaluations.function),
                    Err(e) => format!("error ({e})"),
                },
            )
            .collect();
        println!("  classic rows: {}", classic.join(" "));

        let mut rosenbrock = Tally::default();
        let mut per_size = Vec::new();
        for n in rosenbrock_sizes() {
            let p = problems::rosenbrock(n);
            match method.minimize(&mut p.objective(), &p.start, &options) {
                Ok(s) => {
                    rosenbrock.evaluations += s.evaluations.function;
                    rosenbrock.worst_distance = rosenbrock.worst_distance.max(p.distance(&s.x));
                    per_size.push(format!("{n}:{}", s.evaluations.function));
                    if !s.stopped_by.converged() || p.distance(&s.x) >= 1e-6 {
                        per_size.push(format!("(n = {n}: {:.1e} away)", p.distance(&s.x)));
                        rosenbrock.failures += 1;
                    }
                }
                Err(_) => rosenbrock.failures += 1,
            }
        }
        println!(
            "  rosenbrock sizes: {} evaluations, {} failures, worst distance {:.1e}",
            rosenbrock.evaluations, rosenbrock.failures, rosenbrock.worst_distance
        );
        println!("    {}", per_size.join(" "));

        // The same sizes with a constant added to f: the minima stay, but near them the value
        // differences drown in the rounding of a large |f|.
        for offset in [1e2, 1e4] {
            let mut shifted = Tally::default();
            for n in rosenbrock_sizes() {
                let p = problems::rosenbrock(n);
                let vg = p.value_gradient;
                let mut f = FnObjective::new(n, move |x: &[f64], g: &mut [f64]| vg(x, g) + offset)
                    .with_hessian(p.hessian);
                match method.minimize(&mut f, &p.start, &options) {
                    Ok(s) => {
                        shifted.evaluations += s.evaluations.function;
                        shifted.worst_distance = shifted.worst_distance.max(p.distance(&s.x));
                    }
                    Err(_) => shifted.failures += 1,
                }
            }
            println!(
                "  rosenbrock sizes + {offset:e}: {} evaluations, {} failures, worst distance {:.1e}",
                shifted.evaluations, shifted.failures, shifted.worst_distance
            );
        }

        if name != "newton" {
            let n = 50;
            let quartic = method.minimize(&mut spread_quartic(n), &vec![1.0; n], &options);
            match quartic {
                Ok(s) => println!(
                    "  spread quartic n = {n}: {} evaluations, max |x| {:.1e}",
                    s.evaluations.function,
                    s.x.iter().fold(0.0, |m: f64, v| m.max(v.abs()))
                ),
                Err(e) => println!("  spread quartic n = {n}: error ({e})"),
            }
        }

        let mut all = Tally::default();
        let mut per_problem = Vec::new();
        for (p, centre) in grid_problems() {
            let mut tally = Tally::default();
            for i in -3..=3 {
                for j in -3..=3 {
                    let x0 = [
                        centre[0] + 0.5 * f64::from(i),
                        centre[1] + 0.5 * f64::from(j),
                    ];
                    match method.minimize(&mut p.objective(), &x0, &options) {
                        Ok(s) if s.stopped_by.converged() => {
                            if let Some(d) = distance_to_polished(&p, &s.x) {
                                tally.evaluations += s.evaluations.function;
                                tally.worst_distance = tally.worst_distance.max(d);
                            } else {
                                tally.elsewhere += 1;
                            }
                        }
                        _ => tally.failures += 1,
                    }
                }
            }
            per_problem.push(if tally.elsewhere + tally.failures > 0 {
                format!(
                    "{}:{} ({} elsewhere, {} failed)",
                    p.name, tally.evaluations, tally.elsewhere, tally.failures
                )
            } else {
                format!("{}:{}", p.name, tally.evaluations)
            });
            all.evaluations += tally.evaluations;
            all.failures += tally.failures;
            all.elsewhere += tally.elsewhere;
            all.worst_distance = all.worst_distance.max(tally.worst_distance);
        }
        println!(
            "  2-D grids: {} evaluations to a minimum, worst distance {:.1e}; {} runs elsewhere, {} failures",
            all.evaluations, all.worst_distance, all.elsewhere, all.failures
        );
        println!("    {}", per_problem.join(" "));
    }
}
