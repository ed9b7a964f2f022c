//! Times the chained Rosenbrock function compiled from its symbolic form: the value alone, and
//! the value with the whole gradient (symbolic reverse accumulation, compiled with shared
//! subexpressions), in the table format of `bench/jax_gradient.py`; then the same two programs
//! for a large random expression (the second case of the cheap-gradient ratio).
//!
//! Run: `cargo run --release -p nabla --example rosenbrock_compiled`

use std::hint::black_box;
use std::time::Instant;

use nabla::compile::Program;
use nabla::{Store, Symbol};
use nabla_autodiff::test_functions::rosenbrock;

#[path = "support/workloads.rs"]
mod workloads;

#[path = "../../nabla-autodiff/examples/support/timing.rs"]
mod timing;
use timing::best_time;

fn main() {
    println!("nabla (compiled symbolic gradient, Rust), chained Rosenbrock");
    println!(
        "{:>8} {:>14} {:>16} {:>10} {:>14}",
        "n", "value [us]", "value+grad [us]", "ratio", "compile [ms]"
    );
    for n in [10usize, 1_000, 100_000] {
        let start = Instant::now();
        let mut s = Store::new();
        let (f, vars) = workloads::rosenbrock(&mut s, n);
        let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
        let with_gradient =
            Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
        let compile_ms = start.elapsed().as_secs_f64() * 1e3;
        let x = workloads::rosenbrock_point(n);
        let (mut out1, mut out) = (vec![0.0; 1], vec![0.0; n + 1]);
        let mut ev1 = value.evaluator::<f64>();
        let mut ev = with_gradient.evaluator::<f64>();
        let tv = best_time(|| ev1.eval(black_box(&x), &mut out1));
        let tg = best_time(|| ev.eval(black_box(&x), &mut out));
        println!(
            "{n:>8} {:>14.3} {:>16.3} {:>10.2} {:>14.1}",
            tv * 1e6,
            tg * 1e6,
            tg / tv,
            compile_ms
        );
    }

    // The same function written once in Rust over `Real`, traced: the very expression parsed
    // above, so the same program and the same timings.
    let n = 100_000;
    let mut s = Store::new();
    let (parsed, vars) = workloads::rosenbrock(&mut s, n);
    let start = Instant::now();
    let point = workloads::rosenbrock_point(n);
    let (traced, _) = nabla::trace::trace(&mut s, &vars, &point, rosenbrock);
    let trace_ms = start.elapsed().as_secs_f64() * 1e3;
    assert_eq!(traced, parsed, "tracing gives the parsed expression");
    println!();
    println!(
        "traced from `fn rosenbrock<T: Real>` at n = {n}: the same expression, {trace_ms:.1} ms"
    );

    let (operations, inputs) = (10_000, 100);
    let mut s = Store::new();
    let vars: Vec<Symbol> = (0..inputs).map(|i| s.symbol_id(&format!("v{i}"))).collect();
    let f = workloads::random_expression(&mut s, &vars, operations);
    let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
    let with_gradient =
        Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
    let x = workloads::random_point(inputs);
    let (mut out1, mut out) = (vec![0.0; 1], vec![0.0; inputs + 1]);
    let mut ev1 = value.evaluator::<f64>();
    let mut ev = with_gradient.evaluator::<f64>();
    // Warmed up as JAX's `jit` is: an evaluator compiles its program to machine code once it has
    // run it a thousand times (timing alone would stop short of that at this size).
    for _ in 0..=nabla::compile::NATIVE_AFTER_CALLS {
        ev1.eval(&x, &mut out1);
        ev.eval(&x, &mut out);
    }
    let tv = best_time(|| ev1.eval(black_box(&x), &mut out1));
    let tg = best_time(|| ev.eval(black_box(&x), &mut out));
    println!();
    println!(
        "random expression, {operations} operations on {inputs} inputs \
         ({} and {} instructions compiled)",
        value.len(),
        with_gradient.len()
    );
    println!(
        "{:>14} {:>16} {:>10}",
        "value [us]", "value+grad [us]", "ratio"
    );
    println!("{:>14.3} {:>16.3} {:>10.2}", tv * 1e6, tg * 1e6, tg / tv);
}
