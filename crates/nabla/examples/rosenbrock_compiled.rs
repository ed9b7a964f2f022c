//! Times the chained Rosenbrock function compiled from its symbolic form: the value alone, and
//! the value with the whole gradient (symbolic reverse accumulation, compiled with shared
//! subexpressions), in the table format of `bench/jax_gradient.py`; then the same two programs
//! for a large random expression (the second case of the cheap-gradient ratio).
//!
//! Run: `cargo run --release -p nabla --example rosenbrock_compiled`

use std::hint::black_box;
use std::time::Instant;

use nabla::compile::Program;
use nabla::{Func, Id, Store, Symbol, parse};

/// Best time per call in seconds over 7 batches sized to take about 20 ms each.
fn best_time(mut f: impl FnMut()) -> f64 {
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

fn main() {
    println!("nabla (compiled symbolic gradient, Rust), chained Rosenbrock");
    println!(
        "{:>8} {:>14} {:>16} {:>10} {:>14}",
        "n", "value [us]", "value+grad [us]", "ratio", "compile [ms]"
    );
    for n in [10usize, 1_000, 100_000] {
        let text: Vec<String> = (1..n)
            .map(|i| format!("100*(x{} - x{i}^2)^2 + (1 - x{i})^2", i + 1))
            .collect();
        let start = Instant::now();
        let mut s = Store::new();
        let f = parse(&mut s, &text.join(" + ")).expect("the generated expression parses");
        let vars: Vec<_> = (1..=n).map(|i| s.symbol_id(&format!("x{i}"))).collect();
        let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
        let with_gradient =
            Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
        let compile_ms = start.elapsed().as_secs_f64() * 1e3;
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
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

    let (operations, inputs) = (10_000, 100);
    let mut s = Store::new();
    let vars: Vec<Symbol> = (0..inputs).map(|i| s.symbol_id(&format!("v{i}"))).collect();
    let f = random_expression(&mut s, &vars, operations);
    let value = Program::compile(&s, &[f], &vars).expect("every symbol is an input");
    let with_gradient =
        Program::value_and_gradient(&mut s, f, &vars).expect("every symbol is an input");
    let x: Vec<f64> = (0..inputs).map(|i| 0.3 + 0.01 * i as f64).collect();
    let (mut out1, mut out) = (vec![0.0; 1], vec![0.0; inputs + 1]);
    let mut ev1 = value.evaluator::<f64>();
    let mut ev = with_gradient.evaluator::<f64>();
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

/// A fixed pseudo-random straight-line program: each operation (`+ − ·`, `a/(1+b²)`, `sin`,
/// `tanh`, `atan`, `sqrt(1+a²)`) takes operands among the 64 latest values; f is the sum of the
/// last 100. The same mix as the tape's random-expression benchmark in nabla-autodiff.
fn random_expression(s: &mut Store, vars: &[Symbol], operations: usize) -> Id {
    let mut values: Vec<Id> = vars
        .iter()
        .map(|&v| {
            let name = s.symbol_name(v).to_string();
            s.symbol(&name)
        })
        .collect();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (one, two) = (s.int(1), s.int(2));
    for _ in 0..operations {
        let window = values.len().min(64) as u64;
        let a = values[values.len() - 1 - (next() % window) as usize];
        let b = values[values.len() - 1 - (next() % window) as usize];
        let v = match next() % 8 {
            0 => s.add(vec![a, b]),
            1 => s.sub(a, b),
            2 => s.mul(vec![a, b]),
            3 => {
                let b2 = s.pow(b, two);
                let denominator = s.add(vec![one, b2]);
                s.div(a, denominator)
            }
            4 => s.call(Func::Sin, vec![a]),
            5 => s.call(Func::Tanh, vec![a]),
            6 => s.call(Func::Atan, vec![a]),
            _ => {
                let a2 = s.pow(a, two);
                let radicand = s.add(vec![one, a2]);
                s.sqrt(radicand)
            }
        };
        values.push(v);
    }
    s.add(values[values.len() - 100..].to_vec())
}
