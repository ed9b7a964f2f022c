//! The cheap-gradient principle, measured: time(value + gradient) / time(value) for reverse mode.
//!
//! Run: `cargo bench -p nabla-autodiff --bench cheap_gradient`
//!
//! - `rosenbrock/<n>`: the chained Rosenbrock function for n = 10, 1 000, 100 000; `value` is
//!   plain `f64`, `grad_tape` replays one recording at the point (no re-recording), `grad_record`
//!   records afresh each time (`gradient_reverse`).
//! - `random_expr`: a fixed pseudo-random expression DAG of 10 000 operations on 100 variables
//!   (see [`Program`]), evaluated by a small interpreter, the way the symbolic crate evaluates
//!   parsed expressions over `Real`; `value` runs that interpreter on `f64`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use nabla_autodiff::test_functions::rosenbrock;
use nabla_autodiff::{Real, Recording, gradient_reverse};

fn bench_rosenbrock(c: &mut Criterion) {
    let mut group = c.benchmark_group("rosenbrock");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for n in [10, 1_000, 100_000] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
        group.bench_with_input(BenchmarkId::new("value", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        let mut tape = Recording::record_scalar(rosenbrock, &x);
        let mut grad = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("grad_tape", n), &x, |b, x| {
            b.iter(|| tape.gradient_into(black_box(x), &mut grad).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("grad_record", n), &x, |b, x| {
            b.iter(|| gradient_reverse(rosenbrock, black_box(x)))
        });
    }
    group.finish();
}

/// One instruction of the random program: its result is appended to the value list.
#[derive(Clone, Copy)]
enum Instr {
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    /// `a / (1 + b²)`.
    DivSafe(usize, usize),
    Sin(usize),
    Tanh(usize),
    Atan(usize),
    /// `sqrt(1 + a²)`.
    Hypot1(usize),
}

/// A straight-line program over `vars` inputs whose output is the sum of its last 16 values.
/// Operands are drawn from the 64 most recent values, so the DAG is deep (thousands of levels)
/// and has realistic reuse; the unary squashing functions keep the values bounded.
struct Program {
    vars: usize,
    instrs: Vec<Instr>,
}

impl Program {
    fn random(vars: usize, len: usize, mut seed: u64) -> Self {
        let mut next = move |m: usize| {
            // xorshift64*: deterministic, dependency-free.
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % m
        };
        let mut instrs = Vec::with_capacity(len);
        for k in 0..len {
            let avail = vars + k;
            let mut pick = || avail - 1 - next(avail.min(64));
            let (a, b) = (pick(), pick());
            instrs.push(match next(8) {
                0 => Instr::Add(a, b),
                1 => Instr::Sub(a, b),
                2 => Instr::Mul(a, b),
                3 => Instr::DivSafe(a, b),
                4 => Instr::Sin(a),
                5 => Instr::Tanh(a),
                6 => Instr::Atan(a),
                _ => Instr::Hypot1(a),
            });
        }
        Self { vars, instrs }
    }

    fn eval<T: Real>(&self, x: &[T]) -> T {
        let one = T::one();
        let mut v: Vec<T> = Vec::with_capacity(self.vars + self.instrs.len());
        v.extend_from_slice(&x[..self.vars]);
        for &ins in &self.instrs {
            let y = match ins {
                Instr::Add(a, b) => v[a] + v[b],
                Instr::Sub(a, b) => v[a] - v[b],
                Instr::Mul(a, b) => v[a] * v[b],
                Instr::DivSafe(a, b) => v[a] / (one + v[b] * v[b]),
                Instr::Sin(a) => v[a].sin(),
                Instr::Tanh(a) => v[a].tanh(),
                Instr::Atan(a) => v[a].atan(),
                Instr::Hypot1(a) => (one + v[a] * v[a]).sqrt(),
            };
            v.push(y);
        }
        v[v.len() - 16..].iter().fold(T::zero(), |s, &y| s + y)
    }
}

fn bench_random_expr(c: &mut Criterion) {
    let program = Program::random(100, 10_000, 0x9e37_79b9_7f4a_7c15);
    let x: Vec<f64> = (0..100)
        .map(|i| ((i * 37 % 101) as f64 / 50.0) - 1.0)
        .collect();
    assert!(program.eval(&x).is_finite());
    let f = |x: &[nabla_autodiff::Var]| program.eval(x);
    let mut group = c.benchmark_group("random_expr");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    group.bench_function("value", |b| b.iter(|| program.eval(black_box(&x))));
    let mut tape = Recording::record_scalar(f, &x);
    let mut grad = vec![0.0; x.len()];
    group.bench_function("grad_tape", |b| {
        b.iter(|| tape.gradient_into(black_box(&x), &mut grad).unwrap())
    });
    group.bench_function("grad_record", |b| {
        b.iter(|| gradient_reverse(f, black_box(&x)))
    });
    group.finish();
}

criterion_group!(benches, bench_rosenbrock, bench_random_expr);
criterion_main!(benches);
