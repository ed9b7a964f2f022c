//! One training step (forward, backward, Adam update) of an MLP 784-256-128-10 with relu on
//! synthetic data, at batch 64 and 512. The PyTorch counterpart is `bench/nn_vs_torch.py`.
//!
//! Run: `cargo bench -p nabla-nn --bench mlp_step`

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nabla_nn::{BatchTargets, step};
use nabla_optimize::update::Adam;

#[path = "../examples/support/benchmark_mlp.rs"]
mod benchmark_mlp;
use benchmark_mlp::BenchmarkMlp;

fn mlp_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("mlp_step_784_256_128_10");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    for batch in [64usize, 512] {
        let BenchmarkMlp {
            mlp,
            x,
            classes,
            mut rng,
        } = BenchmarkMlp::new(batch).unwrap();
        let mut x = Some(x);
        let y = BatchTargets::Classes(&classes);
        let mut adam = Adam::new(1e-3);
        group.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter(|| {
                let (loss, back) = step(&mlp, x.take().unwrap(), y, &mut adam, &mut rng).unwrap();
                x = Some(back);
                loss
            })
        });
    }
    group.finish();
}

criterion_group!(benches, mlp_step);
criterion_main!(benches);
