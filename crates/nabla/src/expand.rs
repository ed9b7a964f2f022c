//! Expansion: products of sums multiplied out and integer powers of sums expanded, with like
//! terms collected by the canonical constructors on the way.

use crate::number::Number;
use crate::store::{Id, Node, Store};

/// Expansion stops (leaving a factor unexpanded) rather than build more terms than this.
const MAX_TERMS: usize = 1 << 20;

/// Multiplies out products and integer powers of sums, also in denominators.
///
/// ```
/// use nabla::{expand::expand, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let e = parse(&mut s, "(x + 1)^3 - x*(x + 2)").unwrap();
/// let x = expand(&mut s, e);
/// assert_eq!(to_text(&s, x), "x**3 + 2*x**2 + x + 1");
/// ```
pub fn expand(store: &mut Store, root: Id) -> Id {
    store.rewrite(root, |s, id, children| match s.node(id) {
        Node::Mul(_) => Some(distribute(s, children.to_vec())),
        Node::Pow(..) => Some(expand_power(s, children[0], children[1])),
        _ => None,
    })
}

fn terms_of(store: &Store, id: Id) -> Vec<Id> {
    match store.node(id) {
        Node::Add(t) => t.to_vec(),
        _ => vec![id],
    }
}

/// The product of `factors` with every sum multiplied out.
fn distribute(store: &mut Store, factors: Vec<Id>) -> Id {
    let mut terms = vec![store.int(1)];
    let mut kept = Vec::new();
    for f in factors {
        let parts = terms_of(store, f);
        if terms.len().saturating_mul(parts.len()) > MAX_TERMS {
            kept.push(f);
            continue;
        }
        let mut next = Vec::with_capacity(terms.len() * parts.len());
        for &t in &terms {
            for &p in &parts {
                next.push(store.mul(vec![t, p]));
            }
        }
        terms = store_terms(store, next);
    }
    let sum = store.add(terms);
    if kept.is_empty() {
        return sum;
    }
    kept.push(sum);
    store.mul(kept)
}

/// Collects like terms so that repeated multiplication does not grow needlessly.
fn store_terms(store: &mut Store, terms: Vec<Id>) -> Vec<Id> {
    let sum = store.add(terms);
    terms_of(store, sum)
}

fn expand_power(store: &mut Store, b: Id, e: Id) -> Id {
    let n = store
        .as_number(e)
        .and_then(Number::as_exact)
        .and_then(|r| r.to_i64());
    match (store.node(b), n) {
        (Node::Add(_), Some(n)) if n != 0 && n.unsigned_abs() <= 1000 => {
            let positive = distribute(store, vec![b; n.unsigned_abs() as usize]);
            if n > 0 {
                positive
            } else {
                store.recip(positive)
            }
        }
        _ => store.pow(b, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use crate::print::to_text;

    fn ex(input: &str) -> String {
        let mut s = Store::new();
        let e = parse(&mut s, input).unwrap();
        let r = expand(&mut s, e);
        to_text(&s, r)
    }

    #[test]
    fn expands_products_and_powers() {
        assert_eq!(ex("(x+y)^2"), "x**2 + 2*x*y + y**2");
        assert_eq!(ex("(x+1)*(x-1)"), "x**2 - 1");
        assert_eq!(ex("1/(x+1)^2"), "1/(x**2 + 2*x + 1)");
        assert_eq!(ex("sin((x+1)^2)"), "sin(x**2 + 2*x + 1)");
        assert_eq!(ex("2*(x+1)*y"), "2*x*y + 2*y");
    }

    #[test]
    fn multinomial_term_count() {
        let mut s = Store::new();
        let e = parse(&mut s, "(x+y+z+w+1)^12").unwrap();
        let r = expand(&mut s, e);
        match s.node(r) {
            Node::Add(t) => assert_eq!(t.len(), 1820),
            other => panic!("{other:?}"),
        }
    }
}
