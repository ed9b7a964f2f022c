//! Vectors and matrices of partial derivatives: gradient, Jacobian, Hessian.

use crate::store::{Id, Store, Symbol};

/// `[∂f/∂v for v in vars]`.
///
/// ```
/// use nabla::{calculus::gradient, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let g: Vec<String> = gradient(&mut s, f, &vars).into_iter().map(|d| to_text(&s, d)).collect();
/// assert_eq!(g, ["2*x + 3*y", "3*x - 4*y"]);
/// ```
pub fn gradient(store: &mut Store, f: Id, vars: &[Symbol]) -> Vec<Id> {
    vars.iter().map(|&v| store.diff(f, v)).collect()
}

/// Row `i` is the gradient of `fs[i]`.
pub fn jacobian(store: &mut Store, fs: &[Id], vars: &[Symbol]) -> Vec<Vec<Id>> {
    fs.iter().map(|&f| gradient(store, f, vars)).collect()
}

/// The symmetric matrix of second partials. Each distinct mixed partial is computed once
/// (`∂²f/∂xᵢ∂xⱼ` for `i ≤ j`) and mirrored, as Schwarz's theorem allows for smooth `f`.
///
/// ```
/// use nabla::{calculus::hessian, parse, print::to_text, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let h = hessian(&mut s, f, &vars);
/// assert_eq!(to_text(&s, h[0][1]), "3");
/// assert_eq!(h[0][1], h[1][0]);
/// ```
pub fn hessian(store: &mut Store, f: Id, vars: &[Symbol]) -> Vec<Vec<Id>> {
    let grad = gradient(store, f, vars);
    let n = vars.len();
    let mut h = vec![vec![None; n]; n];
    for i in 0..n {
        for j in i..n {
            let d = store.diff(grad[i], vars[j]);
            h[i][j] = Some(d);
            h[j][i] = Some(d);
        }
    }
    h.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|d| d.expect("every entry is filled"))
                .collect()
        })
        .collect()
}
