//! The timing rule of the examples that `bench/jax_gradient.py` runs (the one JAX is timed by).

use std::time::Instant;

/// Best time per call in seconds over 7 batches sized to take about 20 ms each, after one call
/// that warms up and sizes the batches.
pub fn best_time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-9);
    let batch = ((0.02 / once) as usize).clamp(1, 1_000_000);
    (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                f();
            }
            start.elapsed().as_secs_f64() / batch as f64
        })
        .fold(f64::INFINITY, f64::min)
}
