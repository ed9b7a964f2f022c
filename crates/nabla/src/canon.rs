//! Canonical forms at construction (SymPy's "automatic simplification").
//!
//! Every constructor here returns the canonical id of its result: sums and products are flattened
//! and ordered, like terms and like factors are collected (`x*x` → `x^2`, `2*x + 3*x` → `5*x`),
//! numbers are folded exactly, `0` and `1` vanish, and elementary functions take their exact
//! special values (`sin(pi/6)` → `1/2`) and symmetries (`cos(-x)` → `cos(x)`). Because all of this
//! happens on the way in, two expressions that canonicalise alike share one id.
//!
//! Symbols are real, which licenses rules such as `log(exp(x))` → `x` and `exp(a)^b` → `exp(a*b)`.

use dashu_int::ops::UnsignedAbs;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

use crate::number::{Number, Rational};
use crate::store::{Constant, Func, Id, Node, Store};

/// The non-numeric part of a term: a lone factor, or the factors of a product from `start` on.
#[derive(Copy, Clone)]
enum Rest {
    Atom(Id),
    Factors(Id, usize),
}

impl Store {
    fn rest_slice<'a>(&'a self, rest: &'a Rest) -> &'a [Id] {
        match rest {
            Rest::Atom(id) => std::slice::from_ref(id),
            Rest::Factors(m, start) => match self.node(*m) {
                Node::Mul(f) => &f[*start..],
                _ => unreachable!("Rest::Factors always names a product"),
            },
        }
    }

    /// Splits a term into its coefficient and the rest, `3*x*y` → `(3, x*y)`.
    fn split_coefficient(&self, term: Id) -> (Number, Rest) {
        if let Node::Mul(f) = self.node(term) {
            if let Node::Number(c) = self.node(f[0]) {
                return (
                    c.clone(),
                    if f.len() == 2 {
                        Rest::Atom(f[1])
                    } else {
                        Rest::Factors(term, 1)
                    },
                );
            }
            return (Number::ONE, Rest::Factors(term, 0));
        }
        (Number::ONE, Rest::Atom(term))
    }

    fn constant_in(&self, ids: &[Id]) -> Option<Constant> {
        let mut found = None;
        for &id in ids {
            match self.node(id) {
                Node::Constant(Constant::NaN) => return Some(Constant::NaN),
                Node::Constant(Constant::ComplexInfinity) => {
                    if found == Some(Constant::ComplexInfinity) {
                        return Some(Constant::NaN);
                    }
                    found = Some(Constant::ComplexInfinity);
                }
                _ => {}
            }
        }
        found
    }

    /// The canonical sum of `terms`.
    ///
    /// ```
    /// use nabla::{Store, print::to_text};
    /// let mut s = Store::new();
    /// let (x, y, three) = (s.symbol("x"), s.symbol("y"), s.int(3));
    /// let three_x = s.mul(vec![three, x]);
    /// let sum = s.add(vec![x, y, three_x]);
    /// assert_eq!(to_text(&s, sum), "4*x + y");
    /// ```
    pub fn add(&mut self, terms: Vec<Id>) -> Id {
        if let Some(c) = self.constant_in(&terms) {
            return self.constant(c);
        }
        let mut constant = Number::ZERO;
        // Each group: coefficient, rest, its first term, and whether later terms merged into it
        // (an unmerged group reuses its first term's id instead of rebuilding the product).
        let mut groups: Vec<(Number, Rest, Id, bool)> = Vec::with_capacity(terms.len());
        let mut index: HashTable<usize> = HashTable::new();
        let mut flat = Vec::with_capacity(terms.len());
        for t in terms {
            match self.node(t) {
                Node::Add(inner) => flat.extend_from_slice(inner),
                _ => flat.push(t),
            }
        }
        for t in flat {
            if let Node::Number(n) = self.node(t) {
                constant = constant + n.clone();
                continue;
            }
            let (coeff, rest) = self.split_coefficient(t);
            let hash = FxBuildHasher.hash_one(self.rest_slice(&rest));
            let found = index.find(hash, |&g| {
                self.rest_slice(&groups[g].1) == self.rest_slice(&rest)
            });
            match found {
                Some(&g) => {
                    let group = &mut groups[g];
                    group.0 = std::mem::replace(&mut group.0, Number::ZERO) + coeff;
                    group.3 = true;
                }
                None => {
                    let g = groups.len();
                    groups.push((coeff, rest, t, false));
                    let store = &*self;
                    let groups_ref = &groups;
                    index.insert_unique(hash, g, |&g| {
                        FxBuildHasher.hash_one(store.rest_slice(&groups_ref[g].1))
                    });
                }
            }
        }
        let mut out: Vec<Id> = Vec::with_capacity(groups.len() + 1);
        for (coeff, rest, first, merged) in groups {
            if coeff.is_zero() {
                continue;
            }
            if !merged {
                out.push(first);
                continue;
            }
            let factors = self.rest_slice(&rest).to_vec();
            out.push(self.with_coefficient(coeff, &factors));
        }
        let constant_term = (!constant.is_zero()).then(|| self.number(constant.clone()));
        match (out.len(), constant_term) {
            (0, _) => self.number(constant),
            (1, None) => out[0],
            (_, c) => {
                out.sort_unstable();
                out.splice(0..0, c);
                self.intern(Node::Add(out.into_boxed_slice()))
            }
        }
    }

    /// `coeff * factors` for factors already canonical and sorted (the rest of a product).
    fn with_coefficient(&mut self, coeff: Number, factors: &[Id]) -> Id {
        let one = coeff.is_one();
        match (one, factors.len()) {
            (true, 1) => factors[0],
            (true, _) => self.intern(Node::Mul(factors.into())),
            (false, _) => {
                let c = self.number(coeff);
                let mut all = Vec::with_capacity(factors.len() + 1);
                all.push(c);
                all.extend_from_slice(factors);
                self.intern(Node::Mul(all.into_boxed_slice()))
            }
        }
    }

    /// The canonical product of `factors`.
    ///
    /// ```
    /// use nabla::{Store, print::to_text};
    /// let mut s = Store::new();
    /// let x = s.symbol("x");
    /// let p = s.mul(vec![x, x, x]);
    /// assert_eq!(to_text(&s, p), "x**3");
    /// ```
    pub fn mul(&mut self, factors: Vec<Id>) -> Id {
        let mut coeff = Number::ONE;
        let mut flat: Vec<Id> = Vec::with_capacity(factors.len());
        let mut special = None;
        for f in factors {
            match self.node(f) {
                Node::Number(n) => coeff = coeff * n.clone(),
                Node::Mul(inner) => {
                    for &g in inner.iter() {
                        match self.node(g) {
                            Node::Number(n) => coeff = coeff * n.clone(),
                            _ => flat.push(g),
                        }
                    }
                }
                Node::Constant(c @ (Constant::NaN | Constant::ComplexInfinity)) => {
                    special = Some(if special == Some(Constant::NaN) {
                        Constant::NaN
                    } else {
                        *c
                    });
                }
                _ => flat.push(f),
            }
        }
        if let Some(c) = special {
            let c = if coeff.is_zero() { Constant::NaN } else { c };
            return self.constant(c);
        }
        if coeff.is_zero() || flat.is_empty() {
            return self.number(coeff);
        }
        if flat.len() == 1 && coeff.is_one() {
            return flat[0];
        }
        // Collect like factors: group by base, add exponents.
        let one = self.int(1);
        let mut pairs: Vec<(Id, Id, Id)> = flat
            .iter()
            .map(|&f| match self.node(f) {
                Node::Pow(b, e) => (*b, *e, f),
                _ => (f, one, f),
            })
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        let mut result: Vec<Id> = Vec::with_capacity(pairs.len());
        let mut redo = false;
        let mut i = 0;
        while i < pairs.len() {
            let mut j = i + 1;
            while j < pairs.len() && pairs[j].0 == pairs[i].0 {
                j += 1;
            }
            if j == i + 1 {
                result.push(pairs[i].2);
            } else {
                let exps: Vec<Id> = pairs[i..j].iter().map(|p| p.1).collect();
                let e = self.add(exps);
                let p = self.pow(pairs[i].0, e);
                match self.node(p) {
                    Node::Number(n) => coeff = coeff * n.clone(),
                    Node::Mul(_) | Node::Constant(_) => {
                        redo = true;
                        result.push(p);
                    }
                    _ => result.push(p),
                }
            }
            i = j;
        }
        if redo {
            let c = self.number(coeff);
            result.push(c);
            return self.mul(result);
        }
        if coeff.is_zero() || result.is_empty() {
            return self.number(coeff);
        }
        if result.len() == 1 {
            if coeff.is_one() {
                return result[0];
            }
            // A number times a sum distributes, as in SymPy: 2*(x + 1) → 2*x + 2.
            if let Node::Add(terms) = self.node(result[0]) {
                let terms = terms.to_vec();
                let c = self.number(coeff);
                let scaled = terms.into_iter().map(|t| self.mul(vec![c, t])).collect();
                return self.add(scaled);
            }
        }
        result.sort_unstable();
        self.with_coefficient(coeff, &result)
    }

    /// The canonical power `base^exp`.
    ///
    /// ```
    /// use nabla::{Store, print::to_text};
    /// let mut s = Store::new();
    /// let eight = s.int(8);
    /// let third = s.rational(1, 3);
    /// let two = s.pow(eight, third);
    /// assert_eq!(to_text(&s, two), "2");
    /// ```
    pub fn pow(&mut self, base: Id, exp: Id) -> Id {
        if let Some(c) = self.constant_in(&[base, exp]) {
            let r = match (c, self.as_number(exp)) {
                (Constant::ComplexInfinity, Some(e)) if self.node(base) == &Node::Constant(c) => {
                    if e.is_negative() {
                        return self.int(0);
                    } else {
                        c
                    }
                }
                _ => Constant::NaN,
            };
            return self.constant(r);
        }
        if let Some(e) = self.as_number(exp) {
            if e.is_zero() {
                return self.int(1);
            }
            if e.is_one() {
                return base;
            }
        }
        let exp_int = self.as_number(exp).filter(|e| e.is_integer()).cloned();
        match self.node(base).clone() {
            Node::Number(b) => {
                if let Some(e) = self.as_number(exp).cloned() {
                    return self.numeric_pow(base, exp, b, e);
                }
                if b.is_one() {
                    return base;
                }
            }
            Node::Constant(Constant::E) => return self.call(Func::Exp, vec![exp]),
            Node::Pow(b0, e0) if exp_int.is_some() => {
                let e = self.mul(vec![e0, exp]);
                return self.pow(b0, e);
            }
            Node::Mul(factors) => {
                if exp_int.is_some() {
                    let powered = factors.iter().map(|&f| self.pow(f, exp)).collect();
                    return self.mul(powered);
                }
                // A positive coefficient comes out of a fractional power: sqrt(4*x) → 2*sqrt(x).
                let positive_coeff = self.as_number(factors[0]).is_some_and(|c| !c.is_negative());
                if positive_coeff && self.as_number(exp).is_some() {
                    let c = self.pow(factors[0], exp);
                    let rest = self.mul(factors[1..].to_vec());
                    let r = self.pow(rest, exp);
                    return self.mul(vec![c, r]);
                }
            }
            Node::Call(Func::Exp, a) => {
                let e = self.mul(vec![a[0], exp]);
                return self.call(Func::Exp, vec![e]);
            }
            Node::Call(Func::Abs, a)
                if exp_int
                    .as_ref()
                    .and_then(Number::as_exact)
                    .is_some_and(|e| e.to_i64().is_some_and(|e| e % 2 == 0)) =>
            {
                return self.pow(a[0], exp);
            }
            _ => {}
        }
        self.intern(Node::Pow(base, exp))
    }

    fn numeric_pow(&mut self, base: Id, exp: Id, b: Number, e: Number) -> Id {
        let unevaluated = |s: &mut Store| s.intern(Node::Pow(base, exp));
        let (b, e) = match (b, e) {
            (Number::Exact(b), Number::Exact(e)) => (b, e),
            (b, e) => {
                let x = b.to_f64().powf(e.to_f64());
                return if x.is_nan() {
                    unevaluated(self)
                } else {
                    self.number(Number::float(x))
                };
            }
        };
        if b.is_zero() {
            return if e.is_negative() {
                self.constant(Constant::ComplexInfinity)
            } else {
                self.int(0)
            };
        }
        if e.is_integer() {
            return match b.pow(&e) {
                Some(r) => self.number(Number::Exact(r)),
                None => unevaluated(self),
            };
        }
        if b.is_negative() {
            return unevaluated(self);
        }
        // b^(n + f) = b^n * num^f * den^(1-f) / den, with 0 < f < 1.
        let (n, f) = e.floor_and_fraction();
        let Some(whole) = b.pow(&n) else {
            return unevaluated(self);
        };
        let q = Rational::from_ibig(f.denominator().into());
        let p = Rational::from_ibig(f.numerator());
        let mut coeff = whole;
        let mut factors = Vec::new();
        let num = b.numerator().unsigned_abs();
        if num > dashu_int::UBig::ONE {
            let (outside, inside) = split_perfect_power(&num, &q);
            coeff = coeff
                * Rational::from_ibig(outside.into())
                    .pow(&p)
                    .expect("a factor of the base");
            if inside > dashu_int::UBig::ONE {
                let nb = self.number(Number::Exact(Rational::from_ibig(inside.into())));
                let fe = self.number(Number::Exact(f.clone()));
                factors.push(self.intern(Node::Pow(nb, fe)));
            }
        }
        // den^(-f) = den^(1-f) / den, and den^(1-f) splits like the numerator did.
        let den = b.denominator();
        if den > dashu_int::UBig::ONE {
            let den_r = Rational::from_ibig(den.clone().into());
            coeff = coeff * den_r.recip().expect("nonzero denominator");
            let rest = Rational::ONE - f;
            let (outside, inside) = split_perfect_power(&den, &q);
            let rest_num = Rational::from_ibig(rest.numerator());
            coeff = coeff
                * Rational::from_ibig(outside.into())
                    .pow(&rest_num)
                    .expect("a factor of the base");
            if inside > dashu_int::UBig::ONE {
                let db = self.number(Number::Exact(Rational::from_ibig(inside.into())));
                let fe = self.number(Number::Exact(rest));
                factors.push(self.intern(Node::Pow(db, fe)));
            }
        }
        let c = self.number(Number::Exact(coeff));
        factors.push(c);
        self.mul(factors)
    }

    /// `f(args)` in canonical form; the caller checks the arity.
    ///
    /// ```
    /// use nabla::{Store, Func, print::to_text};
    /// let mut s = Store::new();
    /// let x = s.symbol("x");
    /// let minus_x = s.neg(x);
    /// let c = s.call(Func::Cos, vec![minus_x]);
    /// assert_eq!(to_text(&s, c), "cos(x)");
    /// ```
    pub fn call(&mut self, f: Func, args: Vec<Id>) -> Id {
        debug_assert_eq!(args.len(), f.arity());
        // A function of an infinity or NaN has no value in the reals.
        if self.constant_in(&args).is_some() {
            return self.constant(Constant::NaN);
        }
        if let Some(id) = self.evaluate_call(f, &args) {
            return id;
        }
        self.intern(Node::Call(f, args.into_boxed_slice()))
    }

    /// Exact values, inverses and symmetries of `f(args)`, if any applies.
    fn evaluate_call(&mut self, f: Func, args: &[Id]) -> Option<Id> {
        use Func::*;
        let a = args[0];
        if f == Atan2 {
            return self.evaluate_atan2(args[0], args[1]);
        }
        if let Some(Number::Float(x)) = self.as_number(a) {
            let y = f.apply(*x);
            return y.is_finite().then(|| self.number(Number::float(y)));
        }
        let zero = self.is_zero(a);
        let odd = matches!(
            f,
            Sin | Tan | Cot | Csc | Asin | Atan | Sinh | Tanh | Asinh | Atanh | Sign
        );
        let even = matches!(f, Cos | Sec | Cosh | Abs);
        if (odd || even) && self.has_negative_coefficient(a) {
            let pos = self.neg(a);
            let inner = self.call(f, vec![pos]);
            return Some(if odd { self.neg(inner) } else { inner });
        }
        match f {
            Sin | Cos => {
                let c = self.pi_multiple(a)?;
                let shift = if f == Cos {
                    Rational::new(1, 2)
                } else {
                    Rational::ZERO
                };
                self.sin_of_pi_times(&(c + shift))
            }
            Tan | Cot | Sec | Csc => {
                if zero {
                    return match f {
                        Tan => Some(a),
                        Sec => Some(self.int(1)),
                        _ => None,
                    };
                }
                let c = self.pi_multiple(a)?;
                let sin = self.sin_of_pi_times(&c)?;
                let cos = self.sin_of_pi_times(&(c + Rational::new(1, 2)))?;
                let (num, den) = match f {
                    Tan => (sin, cos),
                    Cot => (cos, sin),
                    Sec => (self.int(1), cos),
                    _ => (self.int(1), sin),
                };
                if self.is_zero(den) {
                    None
                } else {
                    Some(self.div(num, den))
                }
            }
            Asin | Atan | Sinh | Tanh | Asinh | Atanh if zero => Some(a),
            Cosh if zero => Some(self.int(1)),
            Asin | Acos | Atan => self.inverse_trig_value(f, a),
            Acosh if self.is_one(a) => Some(self.int(0)),
            Exp => self.evaluate_exp(a),
            Log => self.evaluate_log(a),
            Abs => self.evaluate_abs(a),
            Sign => self.evaluate_sign(a),
            _ => {
                let inverse = match f {
                    Sin => Asin,
                    Cos => Acos,
                    Tan => Atan,
                    Sinh => Asinh,
                    Tanh => Atanh,
                    _ => return None,
                };
                match self.node(a) {
                    Node::Call(g, inner) if *g == inverse => Some(inner[0]),
                    _ => None,
                }
            }
        }
    }

    fn evaluate_atan2(&mut self, y: Id, x: Id) -> Option<Id> {
        match (self.as_number(y)?.clone(), self.as_number(x)?.clone()) {
            (Number::Exact(yv), Number::Exact(xv)) => {
                let pi = self.constant(Constant::Pi);
                let c = match (yv.signum(), xv.signum()) {
                    (0, 1) => return Some(self.int(0)),
                    (0, -1) => return Some(pi),
                    (1, 0) => Rational::new(1, 2),
                    (-1, 0) => Rational::new(-1, 2),
                    _ if yv == xv && yv.signum() > 0 => Rational::new(1, 4),
                    _ => return None,
                };
                let c = self.number(Number::Exact(c));
                Some(self.mul(vec![c, pi]))
            }
            (yv, xv) => Some(self.number(Number::float(yv.to_f64().atan2(xv.to_f64())))),
        }
    }

    fn inverse_trig_value(&mut self, f: Func, a: Id) -> Option<Id> {
        let v = self.as_number(a)?.as_exact()?.clone();
        let c = match (f, v.to_i64()?) {
            (Func::Asin, 1) => Rational::new(1, 2),
            (Func::Acos, 1) => Rational::ZERO,
            (Func::Acos, 0) => Rational::new(1, 2),
            (Func::Acos, -1) => Rational::ONE,
            (Func::Atan, 1) => Rational::new(1, 4),
            _ => return None,
        };
        let c = self.number(Number::Exact(c));
        let pi = self.constant(Constant::Pi);
        Some(self.mul(vec![c, pi]))
    }

    fn evaluate_exp(&mut self, a: Id) -> Option<Id> {
        if self.is_zero(a) {
            return Some(self.int(1));
        }
        if self.is_one(a) {
            return Some(self.constant(Constant::E));
        }
        match self.node(a).clone() {
            Node::Call(Func::Log, inner) => Some(inner[0]),
            // exp(c*log(u)) → u^c for a rational c.
            Node::Mul(f)
                if f.len() == 2 && self.as_number(f[0]).is_some_and(|c| c.as_exact().is_some()) =>
            {
                match self.node(f[1]).clone() {
                    Node::Call(Func::Log, inner) => Some(self.pow(inner[0], f[0])),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn evaluate_log(&mut self, a: Id) -> Option<Id> {
        if self.is_one(a) {
            return Some(self.int(0));
        }
        match self.node(a).clone() {
            Node::Constant(Constant::E) => Some(self.int(1)),
            Node::Call(Func::Exp, inner) => Some(inner[0]),
            // log(1/n) → -log(n)
            Node::Number(Number::Exact(r))
                if !r.is_negative() && !r.is_zero() && r.numerator() == dashu_int::IBig::ONE =>
            {
                let n = self.number(Number::Exact(r.recip().expect("nonzero")));
                let l = self.call(Func::Log, vec![n]);
                Some(self.neg(l))
            }
            _ => None,
        }
    }

    fn evaluate_abs(&mut self, a: Id) -> Option<Id> {
        match self.node(a).clone() {
            Node::Number(n) => Some(self.number(n.abs())),
            Node::Constant(Constant::Pi | Constant::E) => Some(a),
            Node::Call(Func::Abs | Func::Exp, _) => Some(a),
            Node::Pow(_, e)
                if self
                    .as_number(e)
                    .and_then(Number::as_exact)
                    .and_then(Rational::to_i64)
                    .is_some_and(|e| e % 2 == 0) =>
            {
                Some(a)
            }
            Node::Mul(f) if self.as_number(f[0]).is_some() => {
                let c = self.as_number(f[0]).expect("checked").abs();
                let c = self.number(c);
                let rest = self.mul(f[1..].to_vec());
                let r = self.call(Func::Abs, vec![rest]);
                Some(self.mul(vec![c, r]))
            }
            _ => None,
        }
    }

    fn evaluate_sign(&mut self, a: Id) -> Option<Id> {
        match self.node(a).clone() {
            Node::Number(n) => Some(self.int(if n.is_zero() {
                0
            } else if n.is_negative() {
                -1
            } else {
                1
            })),
            Node::Constant(Constant::Pi | Constant::E) | Node::Call(Func::Exp, _) => {
                Some(self.int(1))
            }
            Node::Call(Func::Sign, _) => Some(a),
            Node::Mul(f) if self.as_number(f[0]).is_some() => {
                let rest = self.mul(f[1..].to_vec());
                Some(self.call(Func::Sign, vec![rest]))
            }
            _ => None,
        }
    }

    /// Does this term print with a leading minus (a negative number or coefficient)?
    pub fn has_negative_coefficient(&self, id: Id) -> bool {
        match self.node(id) {
            Node::Number(n) => n.is_negative(),
            Node::Mul(f) => self.as_number(f[0]).is_some_and(Number::is_negative),
            _ => false,
        }
    }

    /// `c` when `id` is `c*pi` for a rational `c`.
    fn pi_multiple(&self, id: Id) -> Option<Rational> {
        match self.node(id) {
            Node::Constant(Constant::Pi) => Some(Rational::ONE),
            Node::Number(Number::Exact(r)) if r.is_zero() => Some(Rational::ZERO),
            Node::Mul(f) if f.len() == 2 && self.node(f[1]) == &Node::Constant(Constant::Pi) => {
                self.as_number(f[0])?.as_exact().cloned()
            }
            _ => None,
        }
    }

    /// `sin(c*pi)` for `c` a multiple of 1/4 or 1/6.
    fn sin_of_pi_times(&mut self, c: &Rational) -> Option<Id> {
        let two = Rational::from_int(2);
        let turns = (c.clone() * Rational::new(1, 2)).floor_and_fraction().0;
        let mut c = c.clone() - turns * two;
        let mut negative = false;
        if c >= Rational::ONE {
            negative = true;
            c = c - Rational::ONE;
        }
        if c > Rational::new(1, 2) {
            c = Rational::ONE - c;
        }
        let (sixth, quarter, third, half) = (
            Rational::new(1, 6),
            Rational::new(1, 4),
            Rational::new(1, 3),
            Rational::new(1, 2),
        );
        let value = if c.is_zero() {
            self.int(0)
        } else if c == sixth {
            self.rational(1, 2)
        } else if c == half {
            self.int(1)
        } else if c == quarter || c == third {
            let radicand = self.int(if c == quarter { 2 } else { 3 });
            let half = self.rational(1, 2);
            let root = self.pow(radicand, half);
            self.mul(vec![half, root])
        } else {
            return None;
        };
        Some(if negative { self.neg(value) } else { value })
    }

    /// Rewrites `root` bottom-up. Each node is offered to `rule` with its children already
    /// rewritten (in stored order; a power's are `[base, exponent]`); where `rule` declines, the
    /// node is rebuilt from those children by the canonical constructors. Substitution, expansion
    /// and simplification are all such rewrites.
    ///
    /// ```
    /// use nabla::{parse, print::to_text, Node, Store};
    /// let mut s = Store::new();
    /// let f = parse(&mut s, "sin(x) + x^2").unwrap();
    /// let y = s.symbol("y");
    /// // Replace every symbol by y.
    /// let g = s.rewrite(f, |s, id, _| matches!(s.node(id), Node::Symbol(_)).then_some(y));
    /// assert_eq!(to_text(&s, g), "y**2 + sin(y)");
    /// ```
    pub fn rewrite(
        &mut self,
        root: Id,
        mut rule: impl FnMut(&mut Store, Id, &[Id]) -> Option<Id>,
    ) -> Id {
        let mut new: rustc_hash::FxHashMap<Id, Id> = rustc_hash::FxHashMap::default();
        for id in self.postorder(root) {
            let children: Vec<Id> = self.children(id).iter().map(|c| new[c]).collect();
            let rewritten = match rule(self, id, &children) {
                Some(r) => r,
                None => self.rebuild(id, children),
            };
            new.insert(id, rewritten);
        }
        new[&root]
    }

    /// The node `id` built again, canonically, from `children` in place of its own.
    fn rebuild(&mut self, id: Id, children: Vec<Id>) -> Id {
        match self.node(id) {
            Node::Add(_) => self.add(children),
            Node::Mul(_) => self.mul(children),
            Node::Pow(..) => self.pow(children[0], children[1]),
            &Node::Call(f, _) => self.call(f, children),
            Node::Number(_) | Node::Symbol(_) | Node::Constant(_) => id,
        }
    }

    // Shorthands built on the canonical constructors.

    /// The exact rational `n/d`.
    pub fn rational(&mut self, n: i64, d: i64) -> Id {
        self.number(Number::Exact(Rational::new(n, d)))
    }

    pub fn float(&mut self, x: f64) -> Id {
        self.number(Number::float(x))
    }

    /// `-a`.
    pub fn neg(&mut self, a: Id) -> Id {
        let m = self.int(-1);
        self.mul(vec![m, a])
    }

    /// `a - b`.
    pub fn sub(&mut self, a: Id, b: Id) -> Id {
        let nb = self.neg(b);
        self.add(vec![a, nb])
    }

    /// `a / b`.
    pub fn div(&mut self, a: Id, b: Id) -> Id {
        let m = self.int(-1);
        let r = self.pow(b, m);
        self.mul(vec![a, r])
    }

    /// `1 / a`.
    pub fn recip(&mut self, a: Id) -> Id {
        let m = self.int(-1);
        self.pow(a, m)
    }

    /// `sqrt(a)`, that is `a^(1/2)`.
    pub fn sqrt(&mut self, a: Id) -> Id {
        let half = self.rational(1, 2);
        self.pow(a, half)
    }
}

/// Splits `n` into `outside^q * inside`, taking out the `q`-th powers of small primes (and all
/// of `n` when it is a perfect `q`-th power), so that `sqrt(8)` becomes `2*sqrt(2)`.
fn split_perfect_power(n: &dashu_int::UBig, q: &Rational) -> (dashu_int::UBig, dashu_int::UBig) {
    use dashu_int::UBig;
    if let Some(root) = Rational::exact_root(n, q) {
        return (root, UBig::ONE);
    }
    let Some(q) = q.to_i64().and_then(|q| usize::try_from(q).ok()) else {
        return (UBig::ONE, n.clone());
    };
    let (mut outside, mut inside) = (UBig::ONE, n.clone());
    for p in (2u32..1000).filter(|&p| (2..p).take_while(|d| d * d <= p).all(|d| p % d != 0)) {
        let prime = UBig::from(p);
        let power = prime.pow(q);
        if power > inside {
            break;
        }
        while (&inside % &power).is_zero() {
            inside /= &power;
            outside *= &prime;
        }
    }
    (outside, inside)
}
