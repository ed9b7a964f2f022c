//! Vectors and matrices of partial derivatives: gradient, Jacobian, Hessian.

use crate::store::{Id, Store, Symbol};

/// `[∂f/∂v for v in vars]`.
///
/// ```
/// use nabla::{calculus::gradient, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let g: Vec<String> = gradient(&mut s, f, &vars).into_iter().map(|d| to_text(&s, d)).collect();
/// assert_eq!(g, ["2*x + 3*y", "3*x - 4*y"]);
/// ```
pub fn gradient(store: &mut Store, f: Id, vars: &[Symbol]) -> Vec<Id> {
    vars.iter().map(|&v| store.diff(f, v)).collect()
}

/// Row `i` is the gradient of `fs[i]`.
pub fn jacobian(store: &mut Store, fs: &[Id], vars: &[Symbol]) -> Vec<Vec<Id>> {
    fs.iter().map(|&f| gradient(store, f, vars)).collect()
}

/// The symmetric matrix of second partials. Each distinct mixed partial is computed once
/// (`∂²f/∂xᵢ∂xⱼ` for `i ≤ j`) and mirrored, as Schwarz's theorem allows for smooth `f`.
///
/// ```
/// use nabla::{calculus::hessian, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let h = hessian(&mut s, f, &vars);
/// assert_eq!(to_text(&s, h[0][1]), "3");
/// assert_eq!(h[0][1], h[1][0]);
/// ```
pub fn hessian(store: &mut Store, f: Id, vars: &[Symbol]) -> Vec<Vec<Id>> {
    let grad = gradient(store, f, vars);
    let n = vars.len();
    let mut h = vec![vec![None; n]; n];
    for i in 0..n {
        for j in i..n {
            let d = store.diff(grad[i], vars[j]);
            h[i][j] = Some(d);
            h[j][i] = Some(d);
        }
    }
    h.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|d| d.expect("every entry is filled"))
                .collect()
        })
        .collect()
}

/// The gradient by symbolic reverse accumulation: one sweep from `f` down to its symbols,
/// collecting each node's adjoint, so all partials together cost time proportional to the size
/// of `f` (taking them one by one with [`Store::diff`] costs that per variable). The results equal
/// [`gradient`]'s in value, not always in form; [`crate::compile`] uses this one.
///
/// ```
/// use nabla::{calculus::adjoint_gradient, eval::evaluate, parse, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2*y + sin(x*y)").unwrap();
/// let (x, y) = (s.symbol_id("x"), s.symbol_id("y"));
/// let g = adjoint_gradient(&mut s, f, &[x, y]);
/// let at = [(x, 0.5), (y, 2.0)].into_iter().collect();
/// let dfdx = evaluate(&s, g[0], &at).unwrap();
/// assert!((dfdx - (2.0 * 0.5 * 2.0 + 2.0 * 1f64.cos())).abs() < 1e-12);
/// ```
pub fn adjoint_gradient(store: &mut Store, f: Id, vars: &[Symbol]) -> Vec<Id> {
    use crate::store::{Func, Node};
    use rustc_hash::FxHashMap;

    let mut contributions: FxHashMap<Id, Vec<Id>> = FxHashMap::default();
    contributions.insert(f, vec![store.int(1)]);
    let mut adjoint_of_symbol: FxHashMap<Symbol, Id> = FxHashMap::default();
    // Parents have larger ids than their children, so descending ids visit every parent first.
    for id in store.postorder(f).into_iter().rev() {
        let Some(parts) = contributions.remove(&id) else {
            continue;
        };
        let a = store.add(parts);
        if store.is_zero(a) {
            continue;
        }
        let give = |store: &mut Store,
                    child: Id,
                    amount: Id,
                    contributions: &mut FxHashMap<Id, Vec<Id>>| {
            if !store.is_zero(amount)
                && !matches!(store.node(child), Node::Number(_) | Node::Constant(_))
            {
                contributions.entry(child).or_default().push(amount);
            }
        };
        match store.node(id).clone() {
            Node::Symbol(s) => {
                adjoint_of_symbol.insert(s, a);
            }
            Node::Number(_) | Node::Constant(_) => {}
            Node::Add(terms) => {
                for t in terms.iter() {
                    give(store, *t, a, &mut contributions);
                }
            }
            Node::Mul(factors) => {
                for (i, &fi) in factors.iter().enumerate() {
                    if matches!(store.node(fi), Node::Number(_) | Node::Constant(_)) {
                        continue;
                    }
                    let mut rest: Vec<Id> = factors
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, &g)| g)
                        .collect();
                    rest.push(a);
                    let amount = store.mul(rest);
                    give(store, fi, amount, &mut contributions);
                }
            }
            Node::Pow(b, e) => {
                if !matches!(store.node(b), Node::Number(_) | Node::Constant(_)) {
                    let minus_one = store.int(-1);
                    let e1 = store.add(vec![e, minus_one]);
                    let p = store.pow(b, e1);
                    let amount = store.mul(vec![a, e, p]);
                    give(store, b, amount, &mut contributions);
                }
                if !matches!(store.node(e), Node::Number(_) | Node::Constant(_)) {
                    let l = store.call(Func::Log, vec![b]);
                    let amount = store.mul(vec![a, id, l]);
                    give(store, e, amount, &mut contributions);
                }
            }
            Node::Call(Func::Atan2, args) => {
                let (y, x) = (args[0], args[1]);
                let two = store.int(2);
                let (x2, y2) = (store.pow(x, two), store.pow(y, two));
                let r2 = store.add(vec![x2, y2]);
                let inv = store.recip(r2);
                // ∂atan2/∂y = x/(x²+y²), ∂atan2/∂x = -y/(x²+y²)
                let dy = store.mul(vec![a, x, inv]);
                let minus_y = store.neg(y);
                let dx = store.mul(vec![a, minus_y, inv]);
                give(store, y, dy, &mut contributions);
                give(store, x, dx, &mut contributions);
            }
            Node::Call(func, args) => {
                let outer = store.derivative_of_function(func, args[0], id);
                let amount = store.mul(vec![a, outer]);
                give(store, args[0], amount, &mut contributions);
            }
        }
    }
    vars.iter()
        .map(|v| {
            adjoint_of_symbol
                .get(v)
                .copied()
                .unwrap_or_else(|| store.int(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate;
    use crate::parse;
    use crate::testing::expression;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Reverse accumulation and one-by-one differentiation give equal gradients.
        #[test]
        fn adjoint_gradient_equals_gradient(e in expression(), px in 0.3f64..1.7, py in 0.3f64..1.7, pz in 0.3f64..1.7) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let vars = [s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z")];
            let at = vars.iter().copied().zip([px, py, pz]).collect();
            let one_by_one = gradient(&mut s, f, &vars);
            let adjoint = adjoint_gradient(&mut s, f, &vars);
            for (a, b) in one_by_one.into_iter().zip(adjoint) {
                let (va, vb) = (evaluate(&s, a, &at).unwrap(), evaluate(&s, b, &at).unwrap());
                prop_assume!(va.is_finite() && va.abs() < 1e10);
                prop_assert!((va - vb).abs() <= 1e-9 * (1.0 + va.abs()), "{}: {} vs {}", e, va, vb);
            }
        }
    }
}
