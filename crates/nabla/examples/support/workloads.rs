//! Workloads shared by the `rosenbrock_compiled` example and the `compiled_gradient` bench.

use nabla::{Func, Id, Store, Symbol, parse};

/// The chained Rosenbrock function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)² over `x1..xn`, parsed from
/// its text, and its inputs.
pub fn rosenbrock(s: &mut Store, n: usize) -> (Id, Vec<Symbol>) {
    let text: Vec<String> = (1..n)
        .map(|i| format!("100*(x{} - x{i}^2)^2 + (1 - x{i})^2", i + 1))
        .collect();
    let f = parse(s, &text.join(" + ")).expect("the generated expression parses");
    let vars = (1..=n).map(|i| s.symbol_id(&format!("x{i}"))).collect();
    (f, vars)
}

/// The point every Rosenbrock timing uses (the same as `bench/jax_gradient.py`).
pub fn rosenbrock_point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect()
}

/// The point for [`random_expression`].
pub fn random_point(inputs: usize) -> Vec<f64> {
    (0..inputs).map(|i| 0.3 + 0.01 * i as f64).collect()
}

/// A fixed pseudo-random straight-line program: each operation (`+ − ·`, `a/(1+b²)`, `sin`,
/// `tanh`, `atan`, `sqrt(1+a²)`) takes operands among the 64 latest values; f is the sum of the
/// last 100. The same mix as the tape's random-expression benchmark in nabla-autodiff.
pub fn random_expression(s: &mut Store, vars: &[Symbol], operations: usize) -> Id {
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
