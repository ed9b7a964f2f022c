//! Expressions as optimisation objectives: [`Compiled`] holds an expression compiled once with its
//! symbolic gradient (and, when asked, its exact Hessian); [`SymbolicObjective`] is the
//! [`Objective`] the optimisers drive over it, evaluating with registers kept between calls, so no
//! evaluation allocates.
//!
//! It lives here rather than in nabla-optimize, which stays independent of the symbolic engine.

use nabla::compile::{Evaluator, Program};
use nabla::eval::MissingBinding;
use nabla::{Id, Store, Symbol};
use nabla_optimize::Objective;

/// `f` with its derivatives, compiled over a fixed list of variables.
pub struct Compiled {
    /// `[f, ∇f]`.
    gradient: Program,
    /// `[f, ∇f, the upper triangle of ∇²f row by row]`, when second derivatives were asked for.
    hessian: Option<Program>,
}

impl Compiled {
    /// Differentiates `f` by `vars` (twice when `with_hessian`) and compiles the results; every
    /// free symbol of `f` must be one of `vars`.
    pub fn new(
        store: &mut Store,
        f: Id,
        vars: &[Symbol],
        with_hessian: bool,
    ) -> Result<Compiled, MissingBinding> {
        let gradient = Program::value_and_gradient(store, f, vars)?;
        let hessian = if with_hessian {
            Some(Program::value_gradient_hessian(store, f, vars)?)
        } else {
            None
        };
        Ok(Compiled { gradient, hessian })
    }

    /// A fresh objective over these programs (each holds its own registers).
    pub fn objective(&self) -> SymbolicObjective<'_> {
        SymbolicObjective {
            gradient: self.gradient.evaluator(),
            outputs: vec![0.0; self.gradient.num_outputs()],
            hessian: self.hessian.as_ref().map(|p| p.evaluator()),
            second: vec![0.0; self.hessian.as_ref().map_or(0, Program::num_outputs)],
        }
    }
}

/// The [`Objective`] of a [`Compiled`] expression.
pub struct SymbolicObjective<'p> {
    gradient: Evaluator<'p, f64>,
    /// `[f, ∇f]` at the last point.
    outputs: Vec<f64>,
    hessian: Option<Evaluator<'p, f64>>,
    /// The Hessian program's outputs at the last point.
    second: Vec<f64>,
}

impl Objective for SymbolicObjective<'_> {
    fn dimension(&self) -> usize {
        self.outputs.len() - 1
    }

    fn value_gradient(&mut self, x: &[f64], gradient: &mut [f64]) -> f64 {
        self.gradient.eval(x, &mut self.outputs);
        gradient.copy_from_slice(&self.outputs[1..]);
        self.outputs[0]
    }

    fn value(&mut self, x: &[f64]) -> f64 {
        self.gradient.eval(x, &mut self.outputs);
        self.outputs[0]
    }

    fn hessian(&mut self, x: &[f64], hessian: &mut [f64]) -> bool {
        let Some(program) = self.hessian.as_mut() else {
            return false;
        };
        program.eval(x, &mut self.second);
        let n = x.len();
        let mut upper = self.second[1 + n..].iter();
        for i in 0..n {
            for j in i..n {
                let h = *upper.next().expect("n(n+1)/2 Hessian entries");
                hessian[i * n + j] = h;
                hessian[j * n + i] = h;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabla_optimize::{Minimizer, Newton, Options};

    fn compiled(text: &str, with_hessian: bool) -> Compiled {
        let mut store = Store::new();
        let f = nabla::parse(&mut store, text).unwrap();
        let vars = store.free_symbols(f);
        Compiled::new(&mut store, f, &vars, with_hessian).unwrap()
    }

    #[test]
    fn value_gradient_and_hessian_of_the_reference_function() {
        let c = compiled("x^2 + 3*x*y - 2*y^2", true);
        let mut f = c.objective();
        assert_eq!(f.dimension(), 2);
        let mut g = [0.0; 2];
        assert_eq!(f.value_gradient(&[1.0, 2.0], &mut g), -1.0);
        assert_eq!(g, [8.0, -5.0]);
        assert_eq!(f.value(&[2.0, 1.0]), 8.0);
        let mut h = [0.0; 4];
        assert!(f.hessian(&[1.0, 2.0], &mut h));
        assert_eq!(h, [2.0, 3.0, 3.0, -4.0]);
    }

    #[test]
    fn hessian_is_mirrored_from_the_upper_triangle() {
        let c = compiled("x*y*z + x^3", true);
        let mut h = [0.0; 9];
        assert!(c.objective().hessian(&[1.0, 2.0, 3.0], &mut h));
        // Rows x, y, z: ∂²/∂x² = 6x, ∂²/∂x∂y = z, ∂²/∂x∂z = y, ∂²/∂y∂z = x.
        assert_eq!(h, [6.0, 3.0, 2.0, 3.0, 0.0, 1.0, 2.0, 1.0, 0.0]);
    }

    #[test]
    fn no_hessian_unless_asked() {
        let c = compiled("x^2", false);
        assert!(!c.objective().hessian(&[1.0], &mut [0.0]));
    }

    #[test]
    fn free_symbols_must_be_variables() {
        let mut store = Store::new();
        let f = nabla::parse(&mut store, "x*a").unwrap();
        let x = store.symbol_id("x");
        let e = Compiled::new(&mut store, f, &[x], false).err().unwrap();
        assert_eq!(e.to_string(), "no value given for `a`");
    }

    #[test]
    fn newton_on_the_exact_hessian_reaches_rosenbrocks_minimum() {
        let c = compiled("(1-x)^2 + 100*(y-x^2)^2", true);
        let s = Newton::default()
            .minimize(&mut c.objective(), &[-1.2, 1.0], &Options::default())
            .unwrap();
        assert!(s.stopped_by.converged(), "{s:?}");
        assert!((s.x[0] - 1.0).abs() < 1e-10 && (s.x[1] - 1.0).abs() < 1e-10);
        assert_eq!(s.evaluations.hessian, s.iterations);
    }
}
