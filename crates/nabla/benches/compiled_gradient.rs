//! The cheap-gradient ratio of compiled programs: time(value + gradient) / time(value), where the
//! gradient is nabla's symbolic reverse accumulation compiled with `nabla::compile`.
//!
//! Run: `cargo bench -p nabla --bench compiled_gradient`
//!
//! - `rosenbrock/<n>`: the chained Rosenbrock function for n = 10, 1 000, 100 000: `f64_loop` is
//!   the function written by hand in Rust, `value` and `value_grad` the compiled programs (the
//!   same points as `bench/jax_gradient.py`).
//! - `random_expr`: a fixed pseudo-random expression of 10 000 operations on 100 inputs.
//! - `many_points`: value and gradient of a two-variable expression at 100 000 points, through
//!   `Program::eval_many` (blocks of points shared among threads) and through one evaluator.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use nabla::Store;
use nabla::compile::Program;
use nabla_autodiff::test_functions::rosenbrock;

#[path = "../examples/support/workloads.rs"]
mod workloads;

/// Times `program` at `x` through one reused evaluator (which switches to machine code during
/// warm-up, as a long-running user's would).
fn bench_program(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    program: &Program,
    x: &[f64],
) {
    let mut evaluator = program.evaluator::<f64>();
    let mut out = vec![0.0; program.num_outputs()];
    group.bench_with_input(id, x, |b, x| {
        b.iter(|| evaluator.eval(black_box(x), &mut out))
    });
}

fn configured<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    group
}

fn bench_rosenbrock(c: &mut Criterion) {
    let mut group = configured(c, "rosenbrock");
    for n in [10, 1_000, 100_000] {
        let mut s = Store::new();
        let (f, vars) = workloads::rosenbrock(&mut s, n);
        let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
        let with_gradient =
            Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
        let x = workloads::rosenbrock_point(n);
        group.bench_with_input(BenchmarkId::new("f64_loop", n), &x, |b, x| {
            b.iter(|| rosenbrock::<f64>(black_box(x)))
        });
        bench_program(&mut group, BenchmarkId::new("value", n), &value, &x);
        bench_program(
            &mut group,
            BenchmarkId::new("value_grad", n),
            &with_gradient,
            &x,
        );
    }
    group.finish();
}

fn bench_random_expression(c: &mut Criterion) {
    let mut group = configured(c, "random_expr");
    let mut s = Store::new();
    let vars: Vec<_> = (0..100).map(|i| s.symbol_id(&format!("v{i}"))).collect();
    let f = workloads::random_expression(&mut s, &vars, 10_000);
    let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
    let with_gradient =
        Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
    let x = workloads::random_point(vars.len());
    bench_program(&mut group, BenchmarkId::from_parameter("value"), &value, &x);
    bench_program(
        &mut group,
        BenchmarkId::from_parameter("value_grad"),
        &with_gradient,
        &x,
    );
    group.finish();
}

fn bench_many_points(c: &mut Criterion) {
    let mut group = configured(c, "many_points");
    let mut s = Store::new();
    let f = nabla::parse(&mut s, "sin(x*y) + x^2*y - exp(-y) + (x - y)^3/(1 + x^2)")
        .expect("the expression parses");
    let vars = [s.symbol_id("x"), s.symbol_id("y")];
    let program = Program::value_and_gradient(&mut s, f, &vars).expect("x and y are the inputs");
    let rows = 100_000;
    let points: Vec<f64> = (0..2 * rows).map(|i| (i as f64 * 0.37).sin()).collect();
    let mut out = vec![0.0; 3 * rows];
    group.bench_function("eval_many", |b| {
        b.iter(|| program.eval_many(black_box(&points), &mut out))
    });
    let mut evaluator = program.evaluator::<f64>();
    group.bench_function("one_evaluator", |b| {
        b.iter(|| {
            for (x, y) in points.chunks_exact(2).zip(out.chunks_exact_mut(3)) {
                evaluator.eval(black_box(x), y);
            }
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_rosenbrock,
    bench_random_expression,
    bench_many_points
);
criterion_main!(benches);
