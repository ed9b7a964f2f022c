//! Test-only helpers: random smooth functions of several variables, generic over [`Real`], for
//! property tests that compare the differentiation modes with each other.

use proptest::prelude::*;

use crate::Real;

/// A random expression; every node is smooth (C∞) on all of R^n, so derivatives of all modes
/// must agree everywhere.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    X(usize),
    Const(f64),
    Sin(Box<Expr>),
    Cos(Box<Expr>),
    Atan(Box<Expr>),
    Tanh(Box<Expr>),
    /// `exp(sin(e))`: the exponential kept bounded.
    ExpSin(Box<Expr>),
    /// `sqrt(1 + e²)`.
    Hypot1(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    /// `a / (1 + b²)`.
    DivSafe(Box<Expr>, Box<Expr>),
    /// `(1 + a²)^atan(b)`: a general power with both base and exponent varying.
    Pow(Box<Expr>, Box<Expr>),
}

impl Expr {
    pub(crate) fn eval<T: Real>(&self, x: &[T]) -> T {
        let one = T::one();
        match self {
            Self::X(i) => x[*i],
            Self::Const(c) => T::from_f64(*c),
            Self::Sin(e) => e.eval(x).sin(),
            Self::Cos(e) => e.eval(x).cos(),
            Self::Atan(e) => e.eval(x).atan(),
            Self::Tanh(e) => e.eval(x).tanh(),
            Self::ExpSin(e) => e.eval(x).sin().exp(),
            Self::Hypot1(e) => (one + e.eval(x).powi(2)).sqrt(),
            Self::Add(a, b) => a.eval(x) + b.eval(x),
            Self::Sub(a, b) => a.eval(x) - b.eval(x),
            Self::Mul(a, b) => a.eval(x) * b.eval(x),
            Self::DivSafe(a, b) => {
                let b = b.eval(x);
                a.eval(x) / (one + b * b)
            }
            Self::Pow(a, b) => {
                let a = a.eval(x);
                (one + a * a).powf(b.eval(x).atan())
            }
        }
    }
}

/// Random expressions in `n` variables.
pub(crate) fn expr(n: usize) -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0..n).prop_map(Expr::X),
        (-2.0..2.0f64).prop_map(Expr::Const)
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            b().prop_map(Expr::Sin),
            b().prop_map(Expr::Cos),
            b().prop_map(Expr::Atan),
            b().prop_map(Expr::Tanh),
            b().prop_map(Expr::ExpSin),
            b().prop_map(Expr::Hypot1),
            (b(), b()).prop_map(|(a, b)| Expr::Add(a, b)),
            (b(), b()).prop_map(|(a, b)| Expr::Sub(a, b)),
            (b(), b()).prop_map(|(a, b)| Expr::Mul(a, b)),
            (b(), b()).prop_map(|(a, b)| Expr::DivSafe(a, b)),
            (b(), b()).prop_map(|(a, b)| Expr::Pow(a, b)),
        ]
    })
}

/// A point in [-2, 2]^n.
pub(crate) fn point(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-2.0..2.0f64, n)
}

/// `|a - b| <= tol · max(1, |a|, |b|)`.
pub(crate) fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}
