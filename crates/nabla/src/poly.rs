//! Sparse multivariate polynomials with exact rational coefficients, just enough for
//! [`crate::simplify`] to cancel a factor of a denominator that divides the numerator exactly
//! (`(x^2 - 1)/(x - 1)` → `x + 1`).
//!
//! The "variables" are generators: any non-numeric factor base of the expanded expression (a
//! symbol, but also `sin(x)` or `sqrt(y)`), so the division is exact over those generators.

use rustc_hash::FxHashMap;

use crate::number::{Number, Rational};
use crate::store::{Id, Node, Store};

/// Exponents per generator (indexes into the generator list) → coefficient; no zero coefficients.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Poly {
    terms: FxHashMap<Vec<u32>, Rational>,
}

/// The generators seen so far, in order of first appearance.
#[derive(Default)]
pub(crate) struct Generators {
    ids: Vec<Id>,
}

impl Generators {
    fn index(&mut self, id: Id) -> usize {
        match self.ids.iter().position(|&g| g == id) {
            Some(i) => i,
            None => {
                self.ids.push(id);
                self.ids.len() - 1
            }
        }
    }
}

/// Most terms a division may produce before it is abandoned (keeps simplify cheap).
const MAX_TERMS: usize = 2_000;

impl Poly {
    /// The polynomial of an expanded expression, or `None` if it is not one (a float, a
    /// negative or fractional power of a generator, too many generators).
    pub(crate) fn from_expr(store: &Store, id: Id, gens: &mut Generators) -> Option<Poly> {
        let terms: Vec<Id> = match store.node(id) {
            Node::Add(t) => t.to_vec(),
            _ => vec![id],
        };
        let mut poly = Poly {
            terms: FxHashMap::default(),
        };
        for t in terms {
            let factors: Vec<Id> = match store.node(t) {
                Node::Mul(f) => f.to_vec(),
                _ => vec![t],
            };
            let mut coeff = Rational::ONE;
            let mut exps: Vec<u32> = Vec::new();
            for f in factors {
                let (base, e) = match store.node(f) {
                    Node::Number(Number::Exact(r)) => {
                        coeff = coeff * r.clone();
                        continue;
                    }
                    Node::Number(Number::Float(_)) => return None,
                    Node::Pow(b, e) => {
                        let n = store.as_number(*e)?.as_exact()?.to_i64()?;
                        (*b, u32::try_from(n).ok().filter(|&n| n > 0)?)
                    }
                    _ => (f, 1),
                };
                let i = gens.index(base);
                if i >= 64 {
                    return None;
                }
                if exps.len() <= i {
                    exps.resize(i + 1, 0);
                }
                exps[i] += e;
            }
            poly.add_term(exps, coeff);
        }
        Some(poly)
    }

    fn add_term(&mut self, mut exps: Vec<u32>, coeff: Rational) {
        while exps.last() == Some(&0) {
            exps.pop();
        }
        let sum = match self.terms.remove(&exps) {
            Some(c) => c + coeff,
            None => coeff,
        };
        if !sum.is_zero() {
            self.terms.insert(exps, sum);
        }
    }

    fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The polynomial 1.
    pub(crate) fn one() -> Poly {
        let mut p = Poly {
            terms: FxHashMap::default(),
        };
        p.add_term(Vec::new(), Rational::ONE);
        p
    }

    /// A number (no generator appears).
    pub(crate) fn is_constant(&self) -> bool {
        self.terms.keys().all(|e| e.is_empty())
    }

    /// The leading term in lexicographic order of the exponent vectors.
    fn leading(&self) -> Option<(&Vec<u32>, &Rational)> {
        self.terms.iter().max_by(|a, b| lex(a.0, b.0))
    }

    /// `self / d` when `d` divides `self` exactly.
    pub(crate) fn divide_exactly(&self, d: &Poly) -> Option<Poly> {
        let (d_exps, d_coeff) = d.leading()?;
        let (d_exps, d_coeff) = (d_exps.clone(), d_coeff.clone());
        let mut r = self.clone();
        let mut q = Poly {
            terms: FxHashMap::default(),
        };
        while !r.is_zero() {
            if q.terms.len() > MAX_TERMS || r.terms.len() > MAX_TERMS * 4 {
                return None;
            }
            let (r_exps, r_coeff) = r.leading().map(|(e, c)| (e.clone(), c.clone()))?;
            // Exact division in lex order: the remainder's leading term must be a multiple.
            if d_exps
                .iter()
                .enumerate()
                .any(|(i, &e)| r_exps.get(i).copied().unwrap_or(0) < e)
            {
                return None;
            }
            let mut t_exps = r_exps.clone();
            for (i, &e) in d_exps.iter().enumerate() {
                t_exps[i] -= e;
            }
            let t_coeff = r_coeff * d_coeff.recip()?;
            for (e, c) in &d.terms {
                let mut exps = t_exps.clone();
                if exps.len() < e.len() {
                    exps.resize(e.len(), 0);
                }
                for (i, &k) in e.iter().enumerate() {
                    exps[i] += k;
                }
                r.add_term(exps, -(t_coeff.clone() * c.clone()));
            }
            q.add_term(t_exps, t_coeff);
        }
        Some(q)
    }

    /// Back to a canonical expression.
    pub(crate) fn to_expr(&self, store: &mut Store, gens: &Generators) -> Id {
        let mut terms = Vec::with_capacity(self.terms.len());
        for (exps, c) in &self.terms {
            let mut factors = vec![store.number(Number::Exact(c.clone()))];
            for (i, &e) in exps.iter().enumerate() {
                if e > 0 {
                    let n = store.int(i64::from(e));
                    factors.push(store.pow(gens.ids[i], n));
                }
            }
            terms.push(store.mul(factors));
        }
        store.add(terms)
    }
}

fn lex(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).copied().unwrap_or(0))
        .cmp((0..n).map(|i| b.get(i).copied().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::to_text;
    use crate::{expand::expand, parse};

    fn quotient(n: &str, d: &str) -> Option<String> {
        let mut s = Store::new();
        let (ne, de) = (parse(&mut s, n).unwrap(), parse(&mut s, d).unwrap());
        let (ne, de) = (expand(&mut s, ne), expand(&mut s, de));
        let mut gens = Generators::default();
        let (np, dp) = (
            Poly::from_expr(&s, ne, &mut gens)?,
            Poly::from_expr(&s, de, &mut gens)?,
        );
        let q = np.divide_exactly(&dp)?;
        let e = q.to_expr(&mut s, &gens);
        Some(to_text(&s, e))
    }

    #[test]
    fn exact_division() {
        assert_eq!(quotient("x^2 - 1", "x - 1").as_deref(), Some("x + 1"));
        assert_eq!(
            quotient("x^3 - y^3", "x - y").as_deref(),
            Some("x**2 + x*y + y**2")
        );
        assert_eq!(
            quotient("sin(x)^2 - 1", "sin(x) + 1").as_deref(),
            Some("sin(x) - 1")
        );
        assert_eq!(quotient("x^2 + 1", "x - 1"), None);
        assert_eq!(quotient("x/2 + 1/2", "x + 1").as_deref(), Some("1/2"));
    }
}
