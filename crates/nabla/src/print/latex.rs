//! LaTeX layout: `\frac`, `\sqrt{}`, `x^{2}`, `\sin\left(x\right)`, Greek names as letters.

use dashu_int::UBig;
use dashu_int::ops::UnsignedAbs;

use crate::number::{Number, Rational, format_float};
use crate::store::{Constant, Func, Id, Node, Store};

use super::order::sorted_factors;
use super::{Layout, Piece};

pub(crate) struct Latex;

const GREEK: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
];

impl Layout for Latex {
    fn layout(&self, store: &Store, id: Id, negated: bool, out: &mut Vec<Piece>) {
        match store.node(id) {
            Node::Number(n) => {
                out.push(number(&if negated { -n.clone() } else { n.clone() }).into())
            }
            Node::Symbol(s) => out.push(symbol(store.symbol_name(*s)).into()),
            Node::Constant(c) => out.push(
                match c {
                    Constant::Pi => r"\pi",
                    Constant::E => "e",
                    Constant::ComplexInfinity => r"\tilde{\infty}",
                    Constant::NaN => r"\text{NaN}",
                }
                .into(),
            ),
            Node::Call(f, args) => call(*f, args, None, out),
            Node::Add(terms) => super::sum(store, terms, out),
            Node::Pow(..) | Node::Mul(_) => product(store, id, negated, out),
        }
    }
}

fn number(n: &Number) -> String {
    match n {
        Number::Exact(r) if r.is_integer() => r.to_string(),
        Number::Exact(r) => {
            let sign = if r.is_negative() { "- " } else { "" };
            format!(
                r"{sign}\frac{{{}}}{{{}}}",
                r.numerator().unsigned_abs(),
                r.denominator()
            )
        }
        Number::Float(x) => {
            let s = format_float(*x);
            match s.split_once('e') {
                Some((m, e)) => format!(r"{m} \cdot 10^{{{e}}}"),
                None => s,
            }
        }
    }
}

fn symbol(name: &str) -> String {
    let split = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, digits) = name.split_at(split);
    let (stem, sub) = match stem.split_once('_') {
        Some((a, b)) if digits.is_empty() && !a.is_empty() && !b.is_empty() => (a, b),
        _ => (stem, digits),
    };
    let stem = if GREEK.contains(&stem) {
        format!("\\{stem}")
    } else {
        stem.to_string()
    };
    if sub.is_empty() {
        stem
    } else {
        format!("{stem}_{{{sub}}}")
    }
}

fn function_name(f: Func) -> &'static str {
    match f {
        Func::Sin => r"\sin",
        Func::Cos => r"\cos",
        Func::Tan => r"\tan",
        Func::Cot => r"\cot",
        Func::Sec => r"\sec",
        Func::Csc => r"\csc",
        Func::Asin => r"\operatorname{asin}",
        Func::Acos => r"\operatorname{acos}",
        Func::Atan => r"\operatorname{atan}",
        Func::Sinh => r"\sinh",
        Func::Cosh => r"\cosh",
        Func::Tanh => r"\tanh",
        Func::Asinh => r"\operatorname{asinh}",
        Func::Acosh => r"\operatorname{acosh}",
        Func::Atanh => r"\operatorname{atanh}",
        Func::Log => r"\log",
        Func::Sign => r"\operatorname{sign}",
        Func::Atan2 => r"\operatorname{atan_{2}}",
        Func::Exp | Func::Abs => unreachable!("printed specially"),
    }
}

/// `f(args)`, with `power` written as `\sin^{2}\left(x\right)` when given.
fn call(f: Func, args: &[Id], power: Option<Vec<Piece>>, out: &mut Vec<Piece>) {
    match f {
        Func::Exp => out.extend(["e^{".into(), Piece::Node(args[0], false), "}".into()]),
        Func::Abs => out.extend([
            r"\left|".into(),
            Piece::Node(args[0], false),
            r"\right|".into(),
        ]),
        _ => {
            out.push(function_name(f).into());
            if let Some(p) = power {
                out.push("^{".into());
                out.extend(p);
                out.push("}".into());
            }
            out.push(r"\left(".into());
            for (i, &a) in args.iter().enumerate() {
                if i > 0 {
                    out.push(", ".into());
                }
                out.push(Piece::Node(a, false));
            }
            out.push(r"\right)".into());
        }
    }
}

fn wrap(id: Id, parens: bool, out: &mut Vec<Piece>) {
    if parens {
        out.extend([r"\left(".into(), Piece::Node(id, false), r"\right)".into()]);
    } else {
        out.push(Piece::Node(id, false));
    }
}

fn exact_exponent(store: &Store, e: Id) -> Option<&Rational> {
    store.as_number(e).and_then(Number::as_exact)
}

/// `b^{e}` for a factor in a numerator or denominator (exponent already made positive).
fn power(store: &Store, b: Id, e: Exponent, out: &mut Vec<Piece>) {
    if let Exponent::Exact(r) = &e {
        if r.is_one() {
            return wrap(b, matches!(store.node(b), Node::Add(_) | Node::Mul(_)), out);
        }
        if r.numerator().unsigned_abs() == UBig::ONE && r.denominator() <= UBig::from(9u8) {
            let q = r.denominator();
            let index = if q == UBig::from(2u8) {
                String::new()
            } else {
                format!("[{q}]")
            };
            out.extend([
                format!(r"\sqrt{index}{{").into(),
                Piece::Node(b, false),
                "}".into(),
            ]);
            return;
        }
    }
    let exponent: Vec<Piece> = match e {
        Exponent::Exact(r) => vec![number(&Number::Exact(r)).into()],
        Exponent::Node(p) => vec![Piece::Node(p, false)],
    };
    if let Node::Call(f, args) = store.node(b)
        && !matches!(f, Func::Exp | Func::Abs)
    {
        return call(*f, args, Some(exponent), out);
    }
    let parens = match store.node(b) {
        Node::Number(Number::Exact(r)) => r.is_negative() || !r.is_integer(),
        Node::Number(Number::Float(x)) => *x < 0.0,
        Node::Symbol(_) | Node::Constant(_) => false,
        _ => true,
    };
    wrap(b, parens, out);
    out.push("^{".into());
    out.extend(exponent);
    out.push("}".into());
}

enum Exponent {
    Exact(Rational),
    Node(Id),
}

/// A product or a power: sign, then `\frac{numerator}{denominator}` when anything divides.
fn product(store: &Store, id: Id, negated: bool, out: &mut Vec<Piece>) {
    let factors: Vec<Id> = match store.node(id) {
        Node::Mul(f) => f.to_vec(),
        _ => vec![id],
    };
    let mut coeff = store.as_number(factors[0]).cloned().unwrap_or(Number::ONE);
    if negated {
        coeff = -coeff;
    }
    if coeff.is_negative() {
        out.push("- ".into());
        coeff = coeff.abs();
    }
    let mut numerator: Vec<Piece> = Vec::new();
    let mut denominator: Vec<Piece> = Vec::new();
    let separate = |pieces: &mut Vec<Piece>, numeric_next: bool| {
        if !pieces.is_empty() {
            pieces.push(if numeric_next { r" \cdot " } else { " " }.into());
        }
    };
    match &coeff {
        Number::Exact(r) => {
            let (n, d) = (r.numerator().unsigned_abs(), r.denominator());
            if n != UBig::ONE {
                numerator.push(n.to_string().into());
            }
            if d != UBig::ONE {
                denominator.push(d.to_string().into());
            }
        }
        Number::Float(_) => numerator.push(number(&coeff).into()),
    }
    for f in sorted_factors(store, &factors) {
        let (b, e) = match store.node(f) {
            Node::Pow(b, e) => (*b, *e),
            _ => {
                let numeric = store.as_number(f).is_some();
                separate(&mut numerator, numeric);
                wrap(f, matches!(store.node(f), Node::Add(_)), &mut numerator);
                continue;
            }
        };
        match exact_exponent(store, e) {
            Some(r) if r.is_negative() => {
                let numeric = store.as_number(b).is_some();
                separate(&mut denominator, numeric);
                power(store, b, Exponent::Exact(-r.clone()), &mut denominator);
            }
            other => {
                let numeric = store.as_number(b).is_some();
                separate(&mut numerator, numeric);
                let exp = match other {
                    Some(r) => Exponent::Exact(r.clone()),
                    None => Exponent::Node(e),
                };
                power(store, b, exp, &mut numerator);
            }
        }
    }
    if numerator.is_empty() {
        numerator.push("1".into());
    }
    if denominator.is_empty() {
        out.extend(numerator);
    } else {
        out.push(r"\frac{".into());
        out.extend(numerator);
        out.push("}{".into());
        out.extend(denominator);
        out.push("}".into());
    }
}

#[cfg(test)]
mod tests {
    use crate::print::to_latex;
    use crate::{Store, parse};

    #[test]
    fn latex_forms() {
        let mut s = Store::new();
        for (input, want) in [
            ("x^2 + 3*x*y - 2*y^2", r"x^{2} + 3 x y - 2 y^{2}"),
            ("sin(x)/y", r"\frac{\sin\left(x\right)}{y}"),
            ("sqrt(x+1)", r"\sqrt{x + 1}"),
            ("x^(1/3)", r"\sqrt[3]{x}"),
            ("-3*x/2", r"- \frac{3 x}{2}"),
            ("exp(2*x)", r"e^{2 x}"),
            ("abs(x)", r"\left|x\right|"),
            ("sin(x)^2", r"\sin^{2}\left(x\right)"),
            ("(x+1)^2", r"\left(x + 1\right)^{2}"),
            ("alpha*x1", r"\alpha x_{1}"),
            ("3/4", r"\frac{3}{4}"),
            ("pi/2", r"\frac{\pi}{2}"),
            ("1/x", r"\frac{1}{x}"),
            ("2*sqrt(2)", r"2 \cdot \sqrt{2}"),
        ] {
            let e = parse(&mut s, input).unwrap();
            assert_eq!(to_latex(&s, e), want, "{input}");
        }
    }
}
