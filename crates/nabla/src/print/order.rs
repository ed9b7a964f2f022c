//! The order in which printers list terms and factors, as a reader expects it: terms of a
//! polynomial by descending degree (lexicographic in the symbols' names), the constant last;
//! factors with numbers first, then symbols by name, then functions.
//!
//! Canonical forms order children by id, which depends on construction order; this order depends
//! only on structure (down to a fixed depth), so the same expression prints the same way however
//! it was built.

use std::cmp::Ordering;

use crate::number::Number;
use crate::store::{Id, Node, Store, Symbol};

/// How deep structural comparison looks before falling back to ids.
const COMPARE_DEPTH: u32 = 16;

fn rank(node: &Node) -> u8 {
    match node {
        Node::Number(_) => 0,
        Node::Constant(_) => 1,
        Node::Symbol(_) => 2,
        Node::Call(..) => 3,
        Node::Pow(..) => 4,
        Node::Mul(_) => 5,
        Node::Add(_) => 6,
    }
}

fn compare(store: &Store, a: Id, b: Id, depth: u32) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if depth == 0 {
        return a.cmp(&b);
    }
    let (na, nb) = (store.node(a), store.node(b));
    rank(na).cmp(&rank(nb)).then_with(|| match (na, nb) {
        (Node::Number(x), Node::Number(y)) => x.cmp_value(y),
        (Node::Symbol(x), Node::Symbol(y)) => store.symbol_name(*x).cmp(store.symbol_name(*y)),
        (Node::Constant(x), Node::Constant(y)) => x.name().cmp(y.name()),
        (Node::Call(f, xs), Node::Call(g, ys)) => f
            .name()
            .cmp(g.name())
            .then_with(|| compare_lists(store, xs, ys, depth)),
        (Node::Pow(b1, e1), Node::Pow(b2, e2)) => {
            compare(store, *b1, *b2, depth - 1).then_with(|| compare(store, *e1, *e2, depth - 1))
        }
        (Node::Mul(xs), Node::Mul(ys)) | (Node::Add(xs), Node::Add(ys)) => {
            compare_lists(store, xs, ys, depth)
        }
        _ => Ordering::Equal,
    })
}

fn compare_lists(store: &Store, xs: &[Id], ys: &[Id], depth: u32) -> Ordering {
    for (x, y) in xs.iter().zip(ys) {
        let c = compare(store, *x, *y, depth - 1);
        if c != Ordering::Equal {
            return c;
        }
    }
    xs.len().cmp(&ys.len())
}

fn base_and_exponent(store: &Store, id: Id) -> (Id, Option<Id>) {
    match store.node(id) {
        Node::Pow(b, e) => (*b, Some(*e)),
        _ => (id, None),
    }
}

fn compare_factors(store: &Store, a: Id, b: Id) -> Ordering {
    let (ba, ea) = base_and_exponent(store, a);
    let (bb, eb) = base_and_exponent(store, b);
    compare(store, ba, bb, COMPARE_DEPTH).then_with(|| match (ea, eb) {
        (Some(x), Some(y)) => compare(store, x, y, COMPARE_DEPTH),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    })
}

/// The factors of a product in print order (the numeric coefficient, if any, excluded).
pub fn sorted_factors(store: &Store, factors: &[Id]) -> Vec<Id> {
    let mut v: Vec<Id> = factors
        .iter()
        .copied()
        .filter(|&f| store.as_number(f).is_none())
        .collect();
    v.sort_by(|&a, &b| compare_factors(store, a, b));
    v
}

/// A term split for ordering: its degree in each symbol and its other factors.
struct TermKey {
    degrees: Vec<(Symbol, Number)>,
    others: Vec<Id>,
    is_number: bool,
}

fn term_key(store: &Store, term: Id) -> TermKey {
    let factors: &[Id] = match store.node(term) {
        Node::Mul(f) => f,
        Node::Number(_) => {
            return TermKey {
                degrees: Vec::new(),
                others: Vec::new(),
                is_number: true,
            };
        }
        _ => std::slice::from_ref(&term),
    };
    let mut degrees = Vec::new();
    let mut others = Vec::new();
    for &f in factors {
        match store.node(f) {
            Node::Number(_) => {}
            Node::Symbol(s) => degrees.push((*s, Number::ONE)),
            Node::Pow(b, e) => match (store.node(*b), store.as_number(*e)) {
                (Node::Symbol(s), Some(n)) => degrees.push((*s, n.clone())),
                _ => others.push(f),
            },
            _ => others.push(f),
        }
    }
    others.sort_by(|&a, &b| compare_factors(store, a, b));
    TermKey {
        degrees,
        others,
        is_number: false,
    }
}

fn degree(key: &TermKey, s: Symbol) -> Number {
    key.degrees
        .iter()
        .find(|d| d.0 == s)
        .map_or(Number::ZERO, |d| d.1.clone())
}

fn compare_keys(store: &Store, ka: &TermKey, kb: &TermKey) -> Ordering {
    ka.is_number.cmp(&kb.is_number).then_with(|| {
        let mut symbols: Vec<Symbol> = ka.degrees.iter().chain(&kb.degrees).map(|d| d.0).collect();
        symbols.sort_by(|x, y| store.symbol_name(*x).cmp(store.symbol_name(*y)));
        symbols.dedup();
        for s in symbols {
            let c = degree(kb, s).cmp_value(&degree(ka, s));
            if c != Ordering::Equal {
                return c;
            }
        }
        compare_lists(store, &ka.others, &kb.others, COMPARE_DEPTH)
    })
}

/// The terms of a sum in print order. As in SymPy, a positive constant leads when the first term
/// would otherwise be negative: `1 - x**2`, not `-x**2 + 1`.
pub fn sorted_terms(store: &Store, terms: &[Id]) -> Vec<Id> {
    let mut keyed: Vec<(TermKey, Id)> = terms.iter().map(|&t| (term_key(store, t), t)).collect();
    keyed.sort_by(|(ka, a), (kb, b)| {
        compare_keys(store, ka, kb).then_with(|| compare(store, *a, *b, COMPARE_DEPTH))
    });
    let mut sorted: Vec<Id> = keyed.into_iter().map(|(_, t)| t).collect();
    let last = sorted.last().copied();
    if let (Some(first), Some(last)) = (sorted.first().copied(), last) {
        let positive_constant = store.as_number(last).is_some_and(|n| !n.is_negative());
        if positive_constant && store.has_negative_coefficient(first) {
            sorted.rotate_right(1);
        }
    }
    sorted
}
