//! A cheap simplifier: tries a few rewrites (expansion, combining over a common denominator,
//! Pythagorean identities) and keeps the smallest equal form.

use crate::expand::expand;
use crate::number::Number;
use crate::poly::{Generators, Poly};
use crate::store::{Func, Id, Node, Store};

/// The smallest of a few equivalent forms of `root`.
///
/// ```
/// use nabla::{parse, print::to_text, simplify::simplify, Store};
/// let mut s = Store::new();
/// for (input, want) in [
///     ("(x + 1)^2 - x^2 - 2*x", "1"),
///     ("sin(x)^2 + cos(x)^2 + y", "y + 1"),
///     ("1/x - 1/(x + 1)", "1/(x*(x + 1))"),
///     ("(x^2 - 1)/(x - 1)", "x + 1"),
///     ("(x^2 - y^2)/(x + y)^2", "(x - y)/(x + y)"),
///     ("x/(x^2 + x)", "1/(x + 1)"),
/// ] {
///     let e = parse(&mut s, input).unwrap();
///     let r = simplify(&mut s, e);
///     assert_eq!(to_text(&s, r), want);
/// }
/// ```
pub fn simplify(store: &mut Store, root: Id) -> Id {
    let expanded = expand(store, root);
    let candidates = [
        root,
        expanded,
        pythagoras(store, root),
        pythagoras(store, expanded),
        together(store, root),
    ];
    let mut best = root;
    let mut best_size = store.tree_size(root);
    for c in candidates {
        let size = store.tree_size(c);
        if size < best_size {
            (best, best_size) = (c, size);
        }
    }
    best
}

/// Applies `c*sin(a)^2*R + c*cos(a)^2*R → c*R` (and `cosh^2 - sinh^2 = 1`) in every sum.
fn pythagoras(store: &mut Store, root: Id) -> Id {
    store.rewrite(root, |s, id, children| match s.node(id) {
        Node::Add(_) => Some(combine_squares(s, children.to_vec())),
        _ => None,
    })
}

/// If `term` is `rest * f(a)^2`, returns `(f, a, rest)`.
fn square_of(store: &mut Store, term: Id, wanted: &[Func]) -> Option<(Func, Id, Id)> {
    let factors: Vec<Id> = match store.node(term) {
        Node::Mul(f) => f.to_vec(),
        _ => vec![term],
    };
    for (i, &f) in factors.iter().enumerate() {
        if let Node::Pow(b, e) = store.node(f) {
            let is_two = store.as_number(*e).is_some_and(|n| *n == Number::int(2));
            if let (true, Node::Call(func, arg)) = (is_two, store.node(*b))
                && wanted.contains(func)
            {
                let (func, arg) = (*func, arg[0]);
                let rest: Vec<Id> = factors
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &g)| g)
                    .collect();
                let rest = store.mul(rest);
                return Some((func, arg, rest));
            }
        }
    }
    None
}

fn combine_squares(store: &mut Store, mut terms: Vec<Id>) -> Id {
    let mut i = 0;
    'outer: while i < terms.len() {
        if let Some((f, a, rest)) = square_of(store, terms[i], &[Func::Sin, Func::Cosh]) {
            let partner = if f == Func::Sin {
                Func::Cos
            } else {
                Func::Sinh
            };
            for j in 0..terms.len() {
                if j == i {
                    continue;
                }
                if let Some((g, b, rest2)) = square_of(store, terms[j], &[partner]) {
                    // sin²+cos² = 1 needs equal rests; cosh² - sinh² = 1 needs opposite ones.
                    let matches = if f == Func::Sin {
                        rest2 == rest
                    } else {
                        store.add(vec![rest, rest2]) == store.int(0)
                    };
                    if g == partner && a == b && matches {
                        let (hi, lo) = (i.max(j), i.min(j));
                        terms.remove(hi);
                        terms.remove(lo);
                        terms.push(rest);
                        i = 0;
                        continue 'outer;
                    }
                }
            }
        }
        i += 1;
    }
    store.add(terms)
}

/// A term as its numerator factors and its denominator's (base, power) pairs.
type Fraction = (Vec<Id>, Vec<(Id, i64)>);

/// Writes a sum of fractions over a common denominator, with the numerator expanded and every
/// denominator factor that divides it exactly cancelled.
fn together(store: &mut Store, root: Id) -> Id {
    let terms: Vec<Id> = match store.node(root) {
        Node::Add(t) => t.to_vec(),
        _ => vec![root],
    };
    // Denominator factor base -> highest power seen.
    let mut denominators: Vec<(Id, i64)> = Vec::new();
    let split: Vec<Fraction> = terms
        .iter()
        .map(|&t| {
            let factors: Vec<Id> = match store.node(t) {
                Node::Mul(f) => f.to_vec(),
                _ => vec![t],
            };
            let mut num = Vec::new();
            let mut den = Vec::new();
            for f in factors {
                let negative_power = match store.node(f) {
                    Node::Pow(b, e) => store
                        .as_number(*e)
                        .and_then(Number::as_exact)
                        .and_then(|r| r.to_i64())
                        .filter(|&n| n < 0)
                        .map(|n| (*b, -n)),
                    _ => None,
                };
                match negative_power {
                    Some(p) => den.push(p),
                    None => num.push(f),
                }
            }
            (num, den)
        })
        .collect();
    for (_, den) in &split {
        for &(b, n) in den {
            match denominators.iter_mut().find(|d| d.0 == b) {
                Some(d) => d.1 = d.1.max(n),
                None => denominators.push((b, n)),
            }
        }
    }
    if denominators.is_empty() {
        return root;
    }
    let mut numerator_terms = Vec::new();
    for (num, den) in split {
        let mut factors = num;
        for &(b, n) in &denominators {
            let have = den.iter().find(|d| d.0 == b).map_or(0, |d| d.1);
            if n > have {
                let e = store.int(n - have);
                factors.push(store.pow(b, e));
            }
        }
        numerator_terms.push(store.mul(factors));
    }
    let numerator = store.add(numerator_terms);
    let mut numerator = expand(store, numerator);
    // Cancel each denominator factor that divides the numerator exactly: (x^2 - 1)/(x - 1) → x + 1.
    let mut gens = Generators::default();
    if let Some(mut n) = Poly::from_expr(store, numerator, &mut gens) {
        for (b, power) in denominators.iter_mut() {
            let expanded = expand(store, *b);
            let Some(d) = Poly::from_expr(store, expanded, &mut gens) else {
                continue;
            };
            while *power > 0 {
                match n.divide_exactly(&d) {
                    Some(q) => {
                        n = q;
                        *power -= 1;
                    }
                    None => break,
                }
            }
        }
        // And the other way round, a numerator dividing a denominator factor: x/(x^2 + x) → 1/(x + 1).
        let mut reduced = None;
        for (b, power) in denominators.iter_mut() {
            let expanded = expand(store, *b);
            let Some(d) = Poly::from_expr(store, expanded, &mut gens) else {
                continue;
            };
            if *power > 0
                && !n.is_constant()
                && let Some(q) = d.divide_exactly(&n)
            {
                *power -= 1;
                reduced = Some(q.to_expr(store, &gens));
                n = Poly::one();
                break;
            }
        }
        denominators.extend(reduced.map(|q| (q, 1)));
        numerator = n.to_expr(store, &gens);
    }
    let den_factors: Vec<Id> = denominators
        .into_iter()
        .map(|(b, n)| {
            let e = store.int(n);
            store.pow(b, e)
        })
        .collect();
    let denominator = store.mul(den_factors);
    store.div(numerator, denominator)
}
