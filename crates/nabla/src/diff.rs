//! Differentiation: the rules of calculus on canonical expressions.
//!
//! Derivatives are memoised per (expression, variable) in the store, so a shared subexpression is
//! differentiated once and its derivative stays shared; higher and mixed derivatives reuse earlier
//! work. The walk is iterative (children first, in id order), so an expression nested 100,000
//! deep differentiates without deep recursion.

use crate::number::Number;
use crate::store::{Func, Id, Node, Store, Symbol};

impl Store {
    /// `∂f/∂var`.
    ///
    /// ```
    /// use nabla::{parse, print::to_text, Store};
    /// let mut s = Store::new();
    /// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
    /// let x = s.find_symbol("x").unwrap();
    /// let dfdx = s.diff(f, x);
    /// assert_eq!(to_text(&s, dfdx), "2*x + 3*y");
    /// ```
    pub fn diff(&mut self, f: Id, var: Symbol) -> Id {
        if !self.may_contain(f, var) {
            return self.int(0);
        }
        if let Some(&d) = self.derivatives.get(&(f, var)) {
            return d;
        }
        for id in self.pending_derivatives(f, var) {
            let d = self.diff_node(id, var);
            self.derivatives.insert((id, var), d);
        }
        self.derivatives[&(f, var)]
    }

    /// `∂ⁿf/∂v₁…∂vₙ`, taken left to right as SymPy's `diff(f, v1, ..., vn)` does.
    pub fn diff_many(&mut self, f: Id, vars: &[Symbol]) -> Id {
        vars.iter().fold(f, |g, &v| self.diff(g, v))
    }

    /// The nodes under `root` whose derivative by `var` is not known yet, children first.
    fn pending_derivatives(&self, root: Id, var: Symbol) -> Vec<Id> {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut stack = vec![root];
        let mut order = Vec::new();
        while let Some(id) = stack.pop() {
            if !self.may_contain(id, var)
                || self.derivatives.contains_key(&(id, var))
                || !seen.insert(id)
            {
                continue;
            }
            order.push(id);
            self.push_children(id, &mut stack);
        }
        order.sort_unstable();
        order
    }

    fn known_derivative(&mut self, id: Id, var: Symbol) -> Id {
        if !self.may_contain(id, var) {
            return self.int(0);
        }
        self.derivatives[&(id, var)]
    }

    fn diff_node(&mut self, id: Id, var: Symbol) -> Id {
        match self.node(id).clone() {
            Node::Number(_) | Node::Constant(_) => self.int(0),
            Node::Symbol(s) => self.int(i64::from(s == var)),
            Node::Add(terms) => {
                let mut d = Vec::new();
                for &t in terms.iter() {
                    let dt = self.known_derivative(t, var);
                    if !self.is_zero(dt) {
                        d.push(dt);
                    }
                }
                self.add(d)
            }
            Node::Mul(factors) => {
                let mut terms = Vec::new();
                for (i, &f) in factors.iter().enumerate() {
                    let df = self.known_derivative(f, var);
                    if self.is_zero(df) {
                        continue;
                    }
                    let mut product: Vec<Id> = Vec::with_capacity(factors.len());
                    product.extend(
                        factors
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| j != i)
                            .map(|(_, &g)| g),
                    );
                    product.push(df);
                    terms.push(self.mul(product));
                }
                self.add(terms)
            }
            Node::Pow(b, e) => {
                let (db, de) = (self.known_derivative(b, var), self.known_derivative(e, var));
                match (self.is_zero(db), self.is_zero(de)) {
                    (true, true) => self.int(0),
                    // d(b^c) = c*b^(c-1)*b'
                    (false, true) => {
                        let minus_one = self.int(-1);
                        let e1 = self.add(vec![e, minus_one]);
                        let p = self.pow(b, e1);
                        self.mul(vec![e, p, db])
                    }
                    // d(c^e) = c^e*log(c)*e'
                    (true, false) => {
                        let l = self.call(Func::Log, vec![b]);
                        self.mul(vec![id, l, de])
                    }
                    // d(b^e) = b^e*(e'*log(b) + e*b'/b)
                    (false, false) => {
                        let l = self.call(Func::Log, vec![b]);
                        let t1 = self.mul(vec![de, l]);
                        let rb = self.recip(b);
                        let t2 = self.mul(vec![e, db, rb]);
                        let s = self.add(vec![t1, t2]);
                        self.mul(vec![id, s])
                    }
                }
            }
            Node::Call(Func::Atan2, args) => {
                let (y, x) = (args[0], args[1]);
                let (dy, dx) = (self.known_derivative(y, var), self.known_derivative(x, var));
                // d atan2(y, x) = (x*y' - y*x') / (x^2 + y^2)
                let a = self.mul(vec![x, dy]);
                let b = self.mul(vec![y, dx]);
                let num = self.sub(a, b);
                let two = self.int(2);
                let (x2, y2) = (self.pow(x, two), self.pow(y, two));
                let den = self.add(vec![x2, y2]);
                self.div(num, den)
            }
            Node::Call(f, args) => {
                let a = args[0];
                let da = self.known_derivative(a, var);
                if self.is_zero(da) {
                    return self.int(0);
                }
                let outer = self.derivative_of_function(f, a, id);
                self.mul(vec![outer, da])
            }
        }
    }

    /// `f'(a)` for a one-argument function, where `fa` is the node `f(a)`.
    pub(crate) fn derivative_of_function(&mut self, f: Func, a: Id, fa: Id) -> Id {
        let one = self.int(1);
        let two = self.int(2);
        let minus_half = self.number(Number::Exact(crate::number::Rational::new(-1, 2)));
        let square = |s: &mut Store, x: Id| s.pow(x, two);
        match f {
            Func::Sin => self.call(Func::Cos, vec![a]),
            Func::Cos => {
                let s = self.call(Func::Sin, vec![a]);
                self.neg(s)
            }
            Func::Tan => {
                let t2 = square(self, fa);
                self.add(vec![one, t2])
            }
            Func::Cot => {
                let c2 = square(self, fa);
                let s = self.add(vec![one, c2]);
                self.neg(s)
            }
            Func::Sec => {
                let t = self.call(Func::Tan, vec![a]);
                self.mul(vec![fa, t])
            }
            Func::Csc => {
                let c = self.call(Func::Cot, vec![a]);
                let p = self.mul(vec![fa, c]);
                self.neg(p)
            }
            Func::Asin | Func::Acos => {
                let a2 = square(self, a);
                let r = self.sub(one, a2);
                let p = self.pow(r, minus_half);
                if f == Func::Asin { p } else { self.neg(p) }
            }
            Func::Atan => {
                let a2 = square(self, a);
                let s = self.add(vec![a2, one]);
                self.recip(s)
            }
            Func::Sinh => self.call(Func::Cosh, vec![a]),
            Func::Cosh => self.call(Func::Sinh, vec![a]),
            Func::Tanh => {
                let t2 = square(self, fa);
                self.sub(one, t2)
            }
            Func::Asinh => {
                let a2 = square(self, a);
                let s = self.add(vec![a2, one]);
                self.pow(s, minus_half)
            }
            Func::Acosh => {
                let a2 = square(self, a);
                let s = self.sub(a2, one);
                self.pow(s, minus_half)
            }
            Func::Atanh => {
                let a2 = square(self, a);
                let s = self.sub(one, a2);
                self.recip(s)
            }
            Func::Exp => fa,
            Func::Log => self.recip(a),
            Func::Abs => self.call(Func::Sign, vec![a]),
            // The derivative of sign is zero wherever it exists (symbols are real).
            Func::Sign => self.int(0),
            Func::Atan2 => unreachable!("atan2 has its own rule"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::print::to_text;
    use crate::{Store, parse};

    fn d(input: &str, vars: &[&str]) -> String {
        let mut s = Store::new();
        let f = parse(&mut s, input).unwrap();
        let vars: Vec<_> = vars.iter().map(|v| s.symbol_id(v)).collect();
        let r = s.diff_many(f, &vars);
        to_text(&s, r)
    }

    #[test]
    fn reference_example() {
        let f = "x^2 + 3*x*y - 2*y^2";
        assert_eq!(d(f, &["x"]), "2*x + 3*y");
        assert_eq!(d(f, &["y"]), "3*x - 4*y");
        assert_eq!(d(f, &["x", "y"]), "3");
        assert_eq!(d(f, &["y", "x"]), "3");
    }

    #[test]
    fn textbook_table() {
        for (f, v, want) in [
            ("x^5", "x", "5*x**4"),
            ("x^n", "x", "n*x**(n - 1)"),
            ("1/x", "x", "-1/x**2"),
            ("sqrt(x)", "x", "1/(2*sqrt(x))"),
            ("sin(x)", "x", "cos(x)"),
            ("cos(x)", "x", "-sin(x)"),
            ("tan(x)", "x", "tan(x)**2 + 1"),
            ("cot(x)", "x", "-cot(x)**2 - 1"),
            ("sec(x)", "x", "sec(x)*tan(x)"),
            ("csc(x)", "x", "-cot(x)*csc(x)"),
            ("asin(x)", "x", "1/sqrt(1 - x**2)"),
            ("acos(x)", "x", "-1/sqrt(1 - x**2)"),
            ("atan(x)", "x", "1/(x**2 + 1)"),
            ("sinh(x)", "x", "cosh(x)"),
            ("cosh(x)", "x", "sinh(x)"),
            ("tanh(x)", "x", "1 - tanh(x)**2"),
            ("asinh(x)", "x", "1/sqrt(x**2 + 1)"),
            ("acosh(x)", "x", "1/sqrt(x**2 - 1)"),
            ("atanh(x)", "x", "1/(1 - x**2)"),
            ("exp(x)", "x", "exp(x)"),
            ("exp(2*x)", "x", "2*exp(2*x)"),
            ("log(x)", "x", "1/x"),
            ("log(x, 2)", "x", "1/(x*log(2))"),
            ("abs(x)", "x", "sign(x)"),
            ("sign(x)", "x", "0"),
            ("x^x", "x", "x**x*(log(x) + 1)"),
            ("2^x", "x", "2**x*log(2)"),
            ("x^y", "y", "x**y*log(x)"),
            ("atan2(y, x)", "x", "-y/(x**2 + y**2)"),
            ("sin(x)*cos(x)", "x", "cos(x)**2 - sin(x)**2"),
            ("x/(x+1)", "x", "-x/(x + 1)**2 + 1/(x + 1)"),
            ("sin(x^2)", "x", "2*x*cos(x**2)"),
            ("pi*x + E", "x", "pi"),
            ("3/2*x^2", "x", "3*x"),
            ("2.5*x^2", "x", "5.0*x"),
            ("y", "x", "0"),
        ] {
            assert_eq!(d(f, &[v]), want, "d/d{v} {f}");
        }
    }

    #[test]
    fn exact_high_order_coefficients() {
        let vars = vec!["x"; 30];
        // 40!/10!
        assert_eq!(
            d("x^40", &vars),
            "224844379201911853600532206127677440000000*x**10"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // d/dx sin(x + sin(x + ...)) = cos(..)*(1 + cos(..)*(1 + ...)): linear in the depth.
        // (A pure chain sin(sin(...)) has a product of `depth` factors as its derivative, which is
        // quadratic in size however it is stored flat, in SymPy as here.)
        let depth = 100_000;
        let input = format!("{}x{}", "sin(x + ".repeat(depth), ")".repeat(depth));
        let mut s = Store::new();
        let f = parse(&mut s, &input).unwrap();
        let x = s.symbol_id("x");
        let df = s.diff(f, x);
        let ddf = s.diff(df, x);
        assert!(s.len() < 40 * depth, "{} nodes", s.len());
        assert_ne!(ddf, s.int(0));
    }

    #[test]
    fn shared_subexpressions_are_differentiated_once() {
        let mut s = Store::new();
        let f = parse(&mut s, "sin(x*y)^2 + sin(x*y)*cos(x*y)").unwrap();
        let x = s.symbol_id("x");
        let before = s.derivatives.len();
        s.diff(f, x);
        let inner = parse(&mut s, "x*y").unwrap();
        assert!(s.derivatives.contains_key(&(inner, x)));
        assert!(s.derivatives.len() - before < 12);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use rustc_hash::FxHashMap;

    use crate::eval::evaluate;
    use crate::testing::expression;
    use crate::{Store, parse};

    fn value(s: &Store, f: crate::Id, at: &[(crate::Symbol, f64)]) -> f64 {
        let b: FxHashMap<_, _> = at.iter().copied().collect();
        evaluate(s, f, &b).unwrap()
    }

    /// Does `a` agree with `b` to a relative `tol` (both finite)?
    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// ∂²f/∂x∂y = ∂²f/∂y∂x (Schwarz) at random points.
        #[test]
        fn mixed_partials_agree(e in expression(), px in 0.3f64..1.7, py in 0.3f64..1.7, pz in 0.3f64..1.7) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let (x, y, z) = (s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z"));
            let at = [(x, px), (y, py), (z, pz)];
            let fxy = s.diff_many(f, &[x, y]);
            let fyx = s.diff_many(f, &[y, x]);
            let (a, b) = (value(&s, fxy, &at), value(&s, fyx, &at));
            prop_assume!(a.is_finite() && b.is_finite() && a.abs() < 1e8);
            prop_assert!(close(a, b, 1e-9), "{e}: {a} vs {b}");
        }

        /// The symbolic derivative matches a Richardson-extrapolated central difference.
        #[test]
        fn derivative_matches_finite_difference(e in expression(), px in 0.3f64..1.7, py in 0.3f64..1.7, pz in 0.3f64..1.7) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let (x, y, z) = (s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z"));
            let df = s.diff(f, x);
            let at = |t: f64| [(x, t), (y, py), (z, pz)];
            let exact = value(&s, df, &at(px));
            let h = 1e-3;
            let central = |h: f64| (value(&s, f, &at(px + h)) - value(&s, f, &at(px - h))) / (2.0 * h);
            let (d1, d2) = (central(h), central(h / 2.0));
            let richardson = (4.0 * d2 - d1) / 3.0;
            // Trust the difference only where it is self-consistent (smooth, well-conditioned).
            prop_assume!(exact.is_finite() && richardson.is_finite() && close(d1, d2, 1e-3));
            prop_assert!(close(exact, richardson, 1e-5), "{e}: exact {exact}, numeric {richardson}");
        }
    }
}
