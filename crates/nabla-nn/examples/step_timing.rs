//! Times training steps of the benchmark MLP (784-256-128-10, relu, Adam) outside criterion:
//! a plain loop that `perf record` can profile and that builds of different variants (e.g. of
//! the matrix-product threading) can be compared with, run by run.
//!
//! Run: `cargo run --release -p nabla-nn --example step_timing -- BATCH STEPS`

use nabla_nn::{Activation, BatchTargets, Init, Mlp, MlpSpec, Tensor, step};
use nabla_optimize::update::Adam;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: step_timing BATCH STEPS";
    let batch: usize = args.next().ok_or(usage)?.parse()?;
    let steps: usize = args.next().ok_or(usage)?.parse()?;
    let mut rng = StdRng::seed_from_u64(0);
    let spec = MlpSpec {
        inputs: 784,
        hidden: vec![256, 128],
        outputs: 10,
        activation: Activation::Relu,
        dropout: 0.0,
        init: Init::default(),
    };
    let mlp = Mlp::new(&spec, &mut rng)?;
    let data = (0..batch * 784).map(|_| rng.random::<f32>()).collect();
    let mut x = Tensor::matrix(batch, 784, data)?;
    let classes: Vec<usize> = (0..batch).map(|i| i % 10).collect();
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
