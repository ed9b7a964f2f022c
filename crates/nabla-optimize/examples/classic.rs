//! Runs nabla's Newton (truncated CG and modified Cholesky), BFGS and L-BFGS on the classic test
//! problems and prints one JSON object per run (read by `bench/optimize_vs_scipy.py`):
//!
//! ```text
//! cargo run --release -p nabla-optimize --example classic
//! ```

use std::time::Instant;

use nabla_optimize::{Method, Minimizer, Options, problems};
use serde_json::json;

fn main() {
    let options = Options::default();
    for problem in problems::classic() {
        for name in ["newton", "newton-cholesky", "bfgs", "lbfgs"] {
            let method: Method = name.parse().expect("a method name");
            let mut objective = problem.objective();
            // Repeat cheap runs so the timing is above the clock's resolution.
            let repeats = if problem.dimension() > 10 { 3 } else { 200 };
            let started = Instant::now();
            let mut result = None;
            for _ in 0..repeats {
                result = Some(method.minimize(&mut objective, &problem.start, &options));
            }
            let seconds = started.elapsed().as_secs_f64() / f64::from(repeats);
            let line = match result.expect("at least one repeat") {
                Ok(s) => json!({
                    "problem": problem.name,
                    "dimension": problem.dimension(),
                    "start": problem.start,
                    "minimum": problem.minimum,
                    "method": name,
                    "x": s.x,
                    "value": s.value,
                    "distance": problem.distance(&s.x),
                    "gradient_norm": s.gradient_norm,
                    "iterations": s.iterations,
                    "nfev": s.evaluations.function,
                    "njev": s.evaluations.gradient,
                    "nhev": s.evaluations.hessian,
                    "stopped_by": s.stopped_by,
                    "seconds": seconds,
                }),
                Err(e) => json!({
                    "problem": problem.name,
                    "start": problem.start,
                    "minimum": problem.minimum,
                    "method": name,
                    "error": e.to_string(),
                }),
            };
            println!("{line}");
        }
    }
}
