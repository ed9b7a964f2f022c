//! Times training steps of the benchmark MLP (784-256-128-10, relu, Adam) outside criterion:
//! a plain loop that `perf record` can profile and that builds of different variants (e.g. of
//! the matrix-product threading) can be compared with, run by run.
//!
//! Run: `cargo run --release -p nabla-nn --example step_timing -- BATCH STEPS`

use nabla_nn::{BatchTargets, step};
use nabla_optimize::update::Adam;

#[path = "support/benchmark_mlp.rs"]
mod benchmark_mlp;
use benchmark_mlp::BenchmarkMlp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: step_timing BATCH STEPS";
    let batch: usize = args.next().ok_or(usage)?.parse()?;
    let steps: usize = args.next().ok_or(usage)?.parse()?;
    let BenchmarkMlp {
        mlp,
        mut x,
        classes,
        mut rng,
    } = BenchmarkMlp::new(batch)?;
    let mut adam = Adam::new(1e-3);
    let start = std::time::Instant::now();
    for _ in 0..steps {
        x = step(
            &mlp,
            x,
            BatchTargets::Classes(&classes),
            &mut adam,
            &mut rng,
        )?
        .1;
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64;
    println!("{ms:.3} ms/step");
    Ok(())
}
