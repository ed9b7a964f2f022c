//! Evaluation to `f64` and substitution of symbols by values or expressions.
//!
//! Evaluation follows IEEE arithmetic: `log(-1)` is NaN and `1/0` is infinity, reported as such,
//! never as a crash. Both walks go children-first over the expression graph, without recursion.

use rustc_hash::FxHashMap;

use crate::store::{Func, Id, Node, Store, Symbol};

/// A symbol had no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingBinding(pub String);

impl std::fmt::Display for MissingBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no value given for `{}`", self.0)
    }
}

impl std::error::Error for MissingBinding {}

/// Evaluates `root` with the symbol values in `bindings`.
///
/// ```
/// use nabla::{eval::evaluate, parse, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "sin(x)*y").unwrap();
/// let (x, y) = (s.symbol_id("x"), s.symbol_id("y"));
/// let v = evaluate(&s, f, &[(x, 1.0), (y, 2.0)].into_iter().collect()).unwrap();
/// assert!((v - 2.0 * 1f64.sin()).abs() < 1e-15);
/// ```
pub fn evaluate(
    store: &Store,
    root: Id,
    bindings: &FxHashMap<Symbol, f64>,
) -> Result<f64, MissingBinding> {
    Ok(evaluate_many(store, &[root], bindings)?[0])
}

/// Evaluates several expressions at one point, sharing common subexpressions.
pub fn evaluate_many(
    store: &Store,
    roots: &[Id],
    bindings: &FxHashMap<Symbol, f64>,
) -> Result<Vec<f64>, MissingBinding> {
    let order = store.postorder_many(roots);
    let mut value: FxHashMap<Id, f64> = FxHashMap::default();
    value.reserve(order.len());
    for id in order {
        let v = match store.node(id) {
            Node::Number(n) => n.to_f64(),
            Node::Constant(c) => c.value(),
            Node::Symbol(s) => *bindings
                .get(s)
                .ok_or_else(|| MissingBinding(store.symbol_name(*s).to_string()))?,
            Node::Add(t) => t.iter().map(|c| value[c]).sum(),
            Node::Mul(f) => f.iter().map(|c| value[c]).product(),
            Node::Pow(b, e) => power(value[b], value[e]),
            Node::Call(Func::Atan2, a) => value[&a[0]].atan2(value[&a[1]]),
            Node::Call(f, a) => f.apply(value[&a[0]]),
        };
        value.insert(id, v);
    }
    Ok(roots.iter().map(|r| value[r]).collect())
}

/// `b^e` as IEEE `powf`, with exact fast paths for the common exponents.
pub fn power(b: f64, e: f64) -> f64 {
    if e == 2.0 {
        return b * b;
    }
    if e == 0.5 {
        return b.sqrt();
    }
    if e == -1.0 {
        return 1.0 / b;
    }
    b.powf(e)
}

/// Replaces symbols by expressions everywhere in `root`, re-canonicalising on the way up.
///
/// ```
/// use nabla::{eval::substitute, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + y").unwrap();
/// let two_t = parse(&mut s, "2*t").unwrap();
/// let x = s.symbol_id("x");
/// let g = substitute(&mut s, f, &[(x, two_t)].into_iter().collect());
/// assert_eq!(to_text(&s, g), "4*t**2 + y");
/// ```
pub fn substitute(store: &mut Store, root: Id, replacements: &FxHashMap<Symbol, Id>) -> Id {
    store.rewrite(root, |s, id, _| match s.node(id) {
        Node::Symbol(sym) => replacements.get(sym).copied(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn at(input: &str, point: &[(&str, f64)]) -> Result<f64, MissingBinding> {
        let mut s = Store::new();
        let f = parse(&mut s, input).unwrap();
        let b = point.iter().map(|(n, v)| (s.symbol_id(n), *v)).collect();
        evaluate(&s, f, &b)
    }

    #[test]
    fn values_and_ieee_domains() {
        assert_eq!(
            at("x^2 + 3*x*y - 2*y^2", &[("x", 1.0), ("y", 2.0)]),
            Ok(-1.0)
        );
        assert!(at("log(x)", &[("x", -1.0)]).unwrap().is_nan());
        assert_eq!(at("1/x", &[("x", 0.0)]), Ok(f64::INFINITY));
        assert_eq!(at("x + y", &[("x", 1.0)]), Err(MissingBinding("y".into())));
        assert!(
            (at("pi*E", &[]).unwrap() - std::f64::consts::PI * std::f64::consts::E).abs() < 1e-15
        );
    }
}
