//! Every item of the public corpus, differentiated four ways at random points in (0.2, 1.8): the
//! symbolic derivative (evaluated directly and through a compiled program), nested forward-mode
//! duals, and reverse mode (over forward mode for orders above one). All must agree to 1e-9.

use nabla::compile::Program;
use nabla::eval::evaluate;
use nabla::{Store, parse};
use nabla_autodiff::{Dual, Real, Var, gradient_reverse};

/// Each input lifted to a dual number whose tangent is the unit vector along `direction`.
fn seed<T: Real>(x: &[T], direction: usize) -> Vec<Dual<T>> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| Dual::new(v, if i == direction { T::one() } else { T::zero() }))
        .collect()
}

/// ∂ᵏf/∂w₀…∂wₖ₋₁ by k nested levels of forward mode.
fn forward(p: &Program, x: &[f64], w: &[usize]) -> f64 {
    match w {
        [a] => p.eval_first(&seed(x, *a)).eps,
        [a, b] => p.eval_first(&seed(&seed(x, *a), *b)).eps.eps,
        [a, b, c] => p.eval_first(&seed(&seed(&seed(x, *a), *b), *c)).eps.eps.eps,
        [a, b, c, d] => {
            p.eval_first(&seed(&seed(&seed(&seed(x, *a), *b), *c), *d))
                .eps
                .eps
                .eps
                .eps
        }
        _ => unreachable!("the corpus has orders 1 to 4"),
    }
}

/// The same by one reverse sweep over k - 1 levels of forward mode.
fn reverse(p: &Program, x: &[f64], w: &[usize]) -> f64 {
    let last = *w.last().expect("at least one variable");
    let (_, g) = gradient_reverse(
        |v: &[Var]| match &w[..w.len() - 1] {
            [] => p.eval_first(v),
            [a] => p.eval_first(&seed(v, *a)).eps,
            [a, b] => p.eval_first(&seed(&seed(v, *a), *b)).eps.eps,
            [a, b, c] => p.eval_first(&seed(&seed(&seed(v, *a), *b), *c)).eps.eps.eps,
            _ => unreachable!("the corpus has orders 1 to 4"),
        },
        x,
    );
    g[last]
}

#[test]
fn every_corpus_item_agrees_across_methods() {
    let corpus = include_str!("data/corpus.jsonl");
    let mut rng = fastrand::Rng::with_seed(7);
    let (mut items, mut compared) = (0, 0);
    for line in corpus.lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        let expr = item["expr"].as_str().unwrap();
        let wrt: Vec<&str> = item["wrt"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut s = Store::new();
        let f = parse(&mut s, expr).unwrap_or_else(|e| panic!("{expr}: {}", e.render(expr)));
        let wrt_syms: Vec<_> = wrt.iter().map(|v| s.symbol_id(v)).collect();
        let mut inputs = s.free_symbols(f);
        for &v in &wrt_syms {
            if !inputs.contains(&v) {
                inputs.push(v);
            }
        }
        let w: Vec<usize> = wrt_syms
            .iter()
            .map(|v| inputs.iter().position(|u| u == v).unwrap())
            .collect();
        let d = s.diff_many(f, &wrt_syms);
        let program = Program::compile(&s, &[f], &inputs).unwrap();
        let compiled_derivative = Program::compile(&s, &[d], &inputs).unwrap();
        items += 1;
        let mut found = 0;
        for _ in 0..50 {
            if found == 2 {
                break;
            }
            let x: Vec<f64> = inputs.iter().map(|_| 0.2 + 1.6 * rng.f64()).collect();
            let bindings = inputs.iter().copied().zip(x.iter().copied()).collect();
            let exact = evaluate(&s, d, &bindings).unwrap();
            let value = evaluate(&s, f, &bindings).unwrap();
            // Judge only where f and the derivative are finite and of moderate size.
            if !(exact.is_finite() && value.is_finite() && exact.abs() < 1e12) {
                continue;
            }
            found += 1;
            let tol = 1e-9 * (1.0 + exact.abs());
            for (method, got) in [
                ("compiled", compiled_derivative.eval_first(&x)),
                ("forward", forward(&program, &x, &w)),
                ("reverse", reverse(&program, &x, &w)),
            ] {
                assert!(
                    (got - exact).abs() <= tol,
                    "{} d/d{wrt:?} at {x:?}: {method} {got}, symbolic {exact}",
                    item["id"]
                );
            }
            compared += 1;
        }
    }
    assert_eq!(items, 613);
    assert!(
        compared >= 2 * 600,
        "only {compared} comparisons: too few points where the items are finite"
    );
}
