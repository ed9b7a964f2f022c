//! Criterion benchmarks: whole minimisations of Rosenbrock (2-D and 100-D) per method, and one
//! update-rule step over a million `f32` parameters (the neural-network use).
//!
//! `cargo bench -p nabla-optimize`

use criterion::{Criterion, criterion_group, criterion_main};
use nabla_optimize::update::{Adam, Momentum, Sgd, UpdateRule};
use nabla_optimize::{Bfgs, Lbfgs, Minimizer, Newton, Options, problems};
use std::hint::black_box;
use std::time::Duration;

fn minimizers(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    let options = Options::default();
    let methods: [&dyn Minimizer; 3] = [&Newton::default(), &Bfgs::default(), &Lbfgs::default()];
    for n in [2, 100] {
        let p = problems::rosenbrock(n);
        for m in methods {
            group.bench_function(format!("{}/{n}", m.name()), |b| {
                b.iter(|| {
                    m.minimize(&mut p.objective(), black_box(&p.start), &options)
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

fn update_rules(c: &mut Criterion) {
    let mut group = c.benchmark_group("update_step_1M_f32");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    let n = 1 << 20;
    let grads: Vec<f32> = (0..n).map(|i| ((i % 17) as f32 - 8.0) * 1e-3).collect();
    let mut rules: Vec<(&str, Box<dyn UpdateRule<f32>>)> = vec![
        ("sgd", Box::new(Sgd::new(1e-3))),
        ("momentum", Box::new(Momentum::new(1e-3))),
        ("adam", Box::new(Adam::new(1e-3))),
    ];
    for (name, rule) in &mut rules {
        let mut params = vec![0.5f32; n];
        group.bench_function(*name, |b| {
            b.iter(|| rule.step(&mut [&mut params[..]], &[black_box(&grads[..])]))
        });
    }
    group.finish();
}

criterion_group!(benches, minimizers, update_rules);
criterion_main!(benches);
