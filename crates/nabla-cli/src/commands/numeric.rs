//! Derivatives as numbers at a point, by any of four methods: the symbolic derivative compiled,
//! forward-mode AD, reverse-mode AD, or error-controlled finite differences.

use nabla::compile::Program;
use nabla::{Id, Store, Symbol};
use nabla_autodiff::finite_diff::{self, FdEstimate, FdOptions};
use nabla_autodiff::{
    Real, gradient_forward, gradient_reverse, hessian_forward, hessian_reverse, jacobian_reverse,
    jvp,
};

use crate::failure::Failure;

#[derive(Copy, Clone, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Method {
    Symbolic,
    Forward,
    Reverse,
    Numeric,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Symbolic,
        Method::Forward,
        Method::Reverse,
        Method::Numeric,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Symbolic => "symbolic",
            Method::Forward => "forward",
            Method::Reverse => "reverse",
            Method::Numeric => "numeric",
        }
    }
}

/// Numbers with, for finite differences, an error estimate per entry.
pub struct Estimate<T> {
    pub values: T,
    pub errors: Option<T>,
}

impl<T> Estimate<T> {
    /// Numbers from an exact method, without error estimates.
    fn exact(values: T) -> Estimate<T> {
        Estimate {
            values,
            errors: None,
        }
    }
}

impl<T> From<FdEstimate<T>> for Estimate<T> {
    fn from(fd: FdEstimate<T>) -> Estimate<T> {
        Estimate {
            values: fd.estimate,
            errors: Some(fd.error),
        }
    }
}

/// The functions `fs` of `vars`, with every other symbol fixed at its value in `point`.
pub struct Problem {
    program: Program,
    x: Vec<f64>,
    fixed: Vec<f64>,
}

impl Problem {
    pub fn new(
        store: &Store,
        fs: &[Id],
        vars: &[Symbol],
        point: &[(Symbol, f64)],
    ) -> Result<Problem, Failure> {
        let value_of = |s: Symbol| point.iter().find(|p| p.0 == s).map(|p| p.1);
        let mut x = Vec::with_capacity(vars.len());
        for &v in vars {
            x.push(value_of(v).ok_or_else(|| {
                Failure::failed(format!(
                    "error: no value given for `{}`",
                    store.symbol_name(v)
                ))
            })?);
        }
        let others: Vec<(Symbol, f64)> = point
            .iter()
            .copied()
            .filter(|p| !vars.contains(&p.0))
            .collect();
        let inputs: Vec<Symbol> = vars
            .iter()
            .copied()
            .chain(others.iter().map(|p| p.0))
            .collect();
        let program = Program::compile(store, fs, &inputs)
            .map_err(|e| Failure::failed(format!("error: {e}")))?;
        Ok(Problem {
            program,
            x,
            fixed: others.iter().map(|p| p.1).collect(),
        })
    }

    pub fn point(&self) -> &[f64] {
        &self.x
    }

    fn inputs<T: Real>(&self, x: &[T]) -> Vec<T> {
        x.iter()
            .copied()
            .chain(self.fixed.iter().map(|&c| T::from_f64(c)))
            .collect()
    }

    fn first<T: Real>(&self, x: &[T]) -> T {
        self.program.eval_first(&self.inputs(x))
    }

    fn all<T: Real>(&self, x: &[T]) -> Vec<T> {
        self.program.eval_all(&self.inputs(x))
    }
}

fn fd_failure(e: nabla_autodiff::Error) -> Failure {
    Failure::failed(format!("error: finite differences failed: {e}"))
}

/// Vectors and matrices of estimates, seen as flat lists.
trait Entries {
    fn entries(&self) -> Vec<f64>;
}

impl Entries for Vec<f64> {
    fn entries(&self) -> Vec<f64> {
        self.clone()
    }
}

impl Entries for Vec<Vec<f64>> {
    fn entries(&self) -> Vec<f64> {
        self.concat()
    }
}

/// The largest error estimate relative to its estimate.
fn relative_error<T: Entries>(e: &FdEstimate<T>) -> f64 {
    let (v, err) = (e.estimate.entries(), e.error.entries());
    v.iter()
        .zip(&err)
        .map(|(v, e)| e / (1.0 + v.abs()))
        .fold(0.0, f64::max)
}

/// Runs a finite-difference estimate with the library's default steps and, when that leaves the
/// domain of `f` or is inaccurate (near a boundary or a singularity, where steps of order one are
/// too coarse), with first steps scaled to the smallest coordinate; keeps the most accurate.
fn with_shrinking_steps<T: Entries>(
    x: &[f64],
    run: impl Fn(&FdOptions) -> Result<FdEstimate<T>, nabla_autodiff::Error>,
) -> Result<FdEstimate<T>, Failure> {
    const GOOD_ENOUGH: f64 = 1e-10;
    let mut best = run(&FdOptions::default());
    let smallest = x
        .iter()
        .map(|v| v.abs())
        .fold(f64::INFINITY, f64::min)
        .clamp(1e-3, 1.0);
    for k in [3, 6, 9, 12] {
        if best
            .as_ref()
            .is_ok_and(|b| relative_error(b) <= GOOD_ENOUGH)
        {
            break;
        }
        let opts = FdOptions {
            initial_step: Some(smallest * 2f64.powi(-k)),
            ..FdOptions::default()
        };
        if let Ok(candidate) = run(&opts)
            && best
                .as_ref()
                .map_or(true, |b| relative_error(&candidate) < relative_error(b))
        {
            best = Ok(candidate);
        }
    }
    best.map_err(fd_failure)
}

/// Compiles the symbolic derivatives, flattened row by row. Called for [`Method::Symbolic`] only:
/// the other methods differentiate `f` itself, whose symbolic derivatives may be far larger (a
/// chain nested n deep has derivatives of n² operands).
pub type Symbolic<'a> = &'a mut dyn FnMut() -> Result<Problem, Failure>;

/// ∇f at the point, where `f` is the problem for `[f]` and `symbolic` compiles `[∂f/∂v…]`.
pub fn gradient(
    f: &Problem,
    method: Method,
    symbolic: Symbolic,
) -> Result<Estimate<Vec<f64>>, Failure> {
    let x = f.point();
    Ok(match method {
        Method::Symbolic => Estimate::exact(symbolic()?.all(x)),
        Method::Forward => Estimate::exact(gradient_forward(|v| f.first(v), x).1),
        Method::Reverse => Estimate::exact(gradient_reverse(|v| f.first(v), x).1),
        Method::Numeric => {
            with_shrinking_steps(x, |o| finite_diff::gradient(|v: &[f64]| f.first(v), x, o))?.into()
        }
    })
}

/// A row-major list as rows of `width`.
fn rows(flat: Vec<f64>, width: usize) -> Vec<Vec<f64>> {
    flat.chunks(width.max(1)).map(|r| r.to_vec()).collect()
}

/// ∇²f at the point; `symbolic` compiles the Hessian entries row by row.
pub fn hessian(
    f: &Problem,
    method: Method,
    symbolic: Symbolic,
) -> Result<Estimate<Vec<Vec<f64>>>, Failure> {
    let x = f.point();
    let n = x.len();
    Ok(match method {
        Method::Symbolic => Estimate::exact(rows(symbolic()?.all(x), n)),
        Method::Forward => Estimate::exact(hessian_forward(|v| f.first(v), x).hessian),
        Method::Reverse => Estimate::exact(hessian_reverse(|v| f.first(v), x).hessian),
        Method::Numeric => {
            with_shrinking_steps(x, |o| finite_diff::hessian(|v: &[f64]| f.first(v), x, o))?.into()
        }
    })
}

/// The Jacobian of several functions; `symbolic` compiles its entries row by row.
pub fn jacobian(
    fs: &Problem,
    method: Method,
    symbolic: Symbolic,
) -> Result<Estimate<Vec<Vec<f64>>>, Failure> {
    let x = fs.point();
    let n = x.len();
    Ok(match method {
        Method::Symbolic => Estimate::exact(rows(symbolic()?.all(x), n)),
        Method::Forward => {
            // One Jacobian-vector product per column.
            let m = fs.program.num_outputs();
            let mut rows = vec![vec![0.0; n]; m];
            for j in 0..n {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                let (_, column) = jvp(|v| fs.all(v), x, &e)
                    .map_err(|e| Failure::failed(format!("error: {e}")))?;
                for (row, c) in rows.iter_mut().zip(column) {
                    row[j] = c;
                }
            }
            Estimate::exact(rows)
        }
        Method::Reverse => Estimate::exact(jacobian_reverse(|v| fs.all(v), x).1),
        Method::Numeric => {
            with_shrinking_steps(x, |o| finite_diff::jacobian(|v: &[f64]| fs.all(v), x, o))?.into()
        }
    })
}
