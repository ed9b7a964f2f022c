//! Text layout: SymPy's `str()` conventions (`**`, `sqrt`, `1/x`, `-x` and `x - y`, minimal
//! parentheses), so the output is valid input for both nabla and SymPy's `parse_expr`.

use crate::number::{Number, Rational};
use crate::store::{Id, Node, Store};

use super::order::sorted_factors;
use super::{Layout, Piece};

pub(crate) struct Text;

impl Layout for Text {
    fn layout(&self, store: &Store, id: Id, negated: bool, out: &mut Vec<Piece>) {
        match store.node(id) {
            Node::Number(n) => {
                out.push(number(&if negated { -n.clone() } else { n.clone() }).into())
            }
            Node::Symbol(s) => out.push(store.symbol_name(*s).to_string().into()),
            Node::Constant(c) => out.push(c.name().into()),
            Node::Call(f, args) => {
                out.push(format!("{}(", f.name()).into());
                for (i, &a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(", ".into());
                    }
                    out.push(Piece::Node(a, false));
                }
                out.push(")".into());
            }
            Node::Add(terms) => super::sum(store, terms, out),
            Node::Pow(b, e) => match store.as_number(*e).and_then(Number::as_exact) {
                Some(r) if r.is_negative() => {
                    out.push("1/".into());
                    denominator_item(store, *b, &-r.clone(), out);
                }
                _ => power(store, *b, *e, out),
            },
            Node::Mul(factors) => product(store, factors, negated, out),
        }
    }
}

fn number(n: &Number) -> String {
    n.to_string()
}

/// `base**exp` with the parentheses it needs; `sqrt(base)` for exponent 1/2.
fn power(store: &Store, b: Id, e: Id, out: &mut Vec<Piece>) {
    if store.as_number(e).and_then(Number::as_exact) == Some(&Rational::new(1, 2)) {
        out.extend(["sqrt(".into(), Piece::Node(b, false), ")".into()]);
        return;
    }
    wrap(b, needs_parens_as_base(store, b), out);
    out.push("**".into());
    wrap(e, !is_bare_exponent(store, e), out);
}

fn wrap(id: Id, parens: bool, out: &mut Vec<Piece>) {
    if parens {
        out.extend(["(".into(), Piece::Node(id, false), ")".into()]);
    } else {
        out.push(Piece::Node(id, false));
    }
}

fn needs_parens_as_base(store: &Store, b: Id) -> bool {
    match store.node(b) {
        Node::Number(Number::Exact(r)) => r.is_negative() || !r.is_integer(),
        Node::Number(Number::Float(x)) => *x < 0.0,
        Node::Symbol(_) | Node::Constant(_) | Node::Call(..) => false,
        Node::Pow(_, e) => {
            store.as_number(*e).and_then(Number::as_exact) != Some(&Rational::new(1, 2))
        }
        Node::Add(_) | Node::Mul(_) => true,
    }
}

fn is_bare_exponent(store: &Store, e: Id) -> bool {
    match store.node(e) {
        Node::Number(Number::Exact(r)) => r.is_integer() && !r.is_negative(),
        Node::Number(Number::Float(x)) => *x >= 0.0,
        Node::Symbol(_) | Node::Constant(_) | Node::Call(..) => true,
        _ => false,
    }
}

/// One factor of a denominator, `base**exp` with `exp > 0`.
fn denominator_item(store: &Store, b: Id, e: &Rational, out: &mut Vec<Piece>) {
    if e.is_one() {
        let parens = matches!(store.node(b), Node::Add(_) | Node::Mul(_))
            || matches!(store.node(b), Node::Number(Number::Exact(r)) if !r.is_integer() || r.is_negative());
        wrap(b, parens, out);
    } else if *e == Rational::new(1, 2) {
        out.extend(["sqrt(".into(), Piece::Node(b, false), ")".into()]);
    } else {
        wrap(b, needs_parens_as_base(store, b), out);
        out.push("**".into());
        let text = e.to_string();
        out.push(
            if e.is_integer() {
                text
            } else {
                format!("({text})")
            }
            .into(),
        );
    }
}

/// A product: sign, numerator, and a denominator gathered from negative exact exponents.
fn product(store: &Store, factors: &[Id], negated: bool, out: &mut Vec<Piece>) {
    let mut coeff = store.as_number(factors[0]).cloned().unwrap_or(Number::ONE);
    if negated {
        coeff = -coeff;
    }
    if coeff.is_negative() {
        out.push("-".into());
        coeff = coeff.abs();
    }
    let mut numerator: Vec<Piece> = Vec::new();
    let mut denominator: Vec<(Id, Rational)> = Vec::new();
    let mut den_number = None;
    match &coeff {
        Number::Exact(r) => {
            let (n, d) = (
                Rational::from_ibig(r.numerator()),
                Rational::from_ibig(r.denominator().into()),
            );
            if !n.is_one() {
                numerator.push(n.to_string().into());
            }
            if !d.is_one() {
                den_number = Some(d.to_string());
            }
        }
        Number::Float(_) => numerator.push(number(&coeff).into()),
    }
    for f in sorted_factors(store, factors) {
        if let Node::Pow(b, e) = store.node(f)
            && let Some(r) = store
                .as_number(*e)
                .and_then(Number::as_exact)
                .filter(|r| r.is_negative())
        {
            denominator.push((*b, -r.clone()));
            continue;
        }
        if !numerator.is_empty() {
            numerator.push("*".into());
        }
        match store.node(f) {
            Node::Pow(b, e) => power(store, *b, *e, &mut numerator),
            Node::Add(_) => wrap(f, true, &mut numerator),
            _ => numerator.push(Piece::Node(f, false)),
        }
    }
    if numerator.is_empty() {
        numerator.push("1".into());
    }
    out.extend(numerator);
    let count = denominator.len() + usize::from(den_number.is_some());
    if count == 0 {
        return;
    }
    // `1/(2*(x + 1))` would read back as `1/(2*x + 2)` (a number times a sum distributes), so a
    // lone sum under a number is written `1/2/(x + 1)`, which reads back as this very product.
    if let (Some(d), [(b, e)]) = (&den_number, denominator.as_slice())
        && e.is_one()
        && matches!(store.node(*b), Node::Add(_))
    {
        out.extend([format!("/{d}/(").into(), Piece::Node(*b, false), ")".into()]);
        return;
    }
    out.push(if count == 1 { "/" } else { "/(" }.into());
    if let Some(d) = den_number {
        out.push(d.into());
        if !denominator.is_empty() {
            out.push("*".into());
        }
    }
    for (i, (b, e)) in denominator.iter().enumerate() {
        if i > 0 {
            out.push("*".into());
        }
        denominator_item(store, *b, e, out);
    }
    if count > 1 {
        out.push(")".into());
    }
}

#[cfg(test)]
mod tests {
    use crate::print::to_text;
    use crate::{Store, parse};

    #[test]
    fn reads_like_sympy() {
        let mut s = Store::new();
        for (input, want) in [
            ("x^2 + 3*x*y - 2*y^2", "x**2 + 3*x*y - 2*y**2"),
            ("-x", "-x"),
            ("x - 1", "x - 1"),
            ("1/x", "1/x"),
            ("x^-2", "1/x**2"),
            ("2/(3*x)", "2/(3*x)"),
            ("-3*x/2", "-3*x/2"),
            ("x/(y*z)", "x/(y*z)"),
            ("1/(x+1)^2", "1/(x + 1)**2"),
            ("sqrt(x)", "sqrt(x)"),
            ("1/sqrt(x)", "1/sqrt(x)"),
            ("x^(3/2)", "x**(3/2)"),
            ("x^(-3/2)", "1/x**(3/2)"),
            ("sqrt(8)", "2*sqrt(2)"),
            ("8^(2/3)", "4"),
            ("1/sqrt(2)", "sqrt(2)/2"),
            ("(x+1)*(x-1)", "(x - 1)*(x + 1)"),
            ("x^y^z", "x**(y**z)"),
            ("(x^y)^z", "(x**y)**z"),
            ("2^x", "2**x"),
            ("(1/2)^x", "(1/2)**x"),
            ("(-2)^x", "(-2)**x"),
            ("x^(-y)", "x**(-y)"),
            ("exp(-x)", "exp(-x)"),
            ("2.5*x", "2.5*x"),
            ("sin(x)^2 + cos(x)^2", "cos(x)**2 + sin(x)**2"),
            ("x*sin(x) + x^2", "x**2 + x*sin(x)"),
            ("pi*x", "pi*x"),
            ("-(x+y)/2", "-x/2 - y/2"),
            ("x*y/(2*z)", "x*y/(2*z)"),
            ("sqrt(x)^3", "x**(3/2)"),
            ("sqrt(x+1)*y", "y*sqrt(x + 1)"),
        ] {
            let e = parse(&mut s, input).unwrap();
            assert_eq!(to_text(&s, e), want, "{input}");
        }
    }
}
