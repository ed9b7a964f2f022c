//! Times the chained Rosenbrock function and its gradient with nabla's reverse mode, in the
//! same table format as `bench/jax_gradient.py` prints for JAX.
//!
//! Run: `cargo run --release -p nabla-autodiff --example rosenbrock_timing`
//!
//! Each figure is the best of several repeats of a timed batch (wall clock, one thread), after
//! a warm-up; "tape" is the gradient by replaying one recording, "record" re-records each time.

use std::hint::black_box;

use nabla_autodiff::test_functions::rosenbrock;
use nabla_autodiff::{Recording, gradient_reverse};

#[path = "support/timing.rs"]
mod timing;
use timing::best_time;

fn main() {
    println!("nabla-autodiff (reverse mode, Rust), chained Rosenbrock");
    println!(
        "{:>8} {:>14} {:>14} {:>10} {:>16} {:>10}",
        "n", "value [us]", "grad tape [us]", "ratio", "grad record [us]", "ratio"
    );
    for n in [10, 1_000, 100_000] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
        let value = best_time(|| {
            black_box(rosenbrock(black_box(&x)));
        });
        let mut tape = Recording::record_scalar(rosenbrock, &x);
        let mut grad = vec![0.0; n];
        let tape_grad = best_time(|| {
            black_box(tape.gradient_into(black_box(&x), &mut grad).unwrap());
        });
        let recorded = best_time(|| {
            black_box(gradient_reverse(rosenbrock, black_box(&x)));
        });
        println!(
            "{n:>8} {:>14.3} {:>14.3} {:>10.2} {:>16.3} {:>10.2}",
            value * 1e6,
            tape_grad * 1e6,
            tape_grad / value,
            recorded * 1e6,
            recorded / value
        );
    }
}
