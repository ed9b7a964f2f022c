//! The [`Objective`] trait every minimiser drives, and [`FnObjective`], its closure adaptor.
//!
//! An objective is a smooth `f: ℝⁿ → ℝ` that can give its value, its value and gradient together (one
//! evaluation, as scipy counts it), and optionally its dense Hessian. Counting evaluations is the
//! driver's job, not the objective's, so implementations stay plain. Methods take `&mut self` so that
//! implementations (reverse-mode tapes, compiled expressions) can reuse scratch buffers.

/// A function to minimise, `f: ℝⁿ → ℝ`, with its gradient and optionally its Hessian.
///
/// The trait is object safe: every minimiser takes `&mut dyn Objective`.
///
/// ```
/// use nabla_optimize::Objective;
///
/// /// f(x) = ½‖x‖², gradient x, Hessian I.
/// struct HalfSquaredNorm(usize);
///
/// impl Objective for HalfSquaredNorm {
///     fn dimension(&self) -> usize {
///         self.0
///     }
///     fn value_gradient(&mut self, x: &[f64], gradient: &mut [f64]) -> f64 {
///         gradient.copy_from_slice(x);
///         0.5 * x.iter().map(|v| v * v).sum::<f64>()
///     }
///     fn hessian(&mut self, _x: &[f64], hessian: &mut [f64]) -> bool {
///         let n = self.0;
///         hessian.fill(0.0);
///         (0..n).for_each(|i| hessian[i * n + i] = 1.0);
///         true
///     }
/// }
///
/// let mut f = HalfSquaredNorm(2);
/// assert_eq!(f.value(&[3.0, 4.0]), 12.5);
/// ```
pub trait Objective {
    /// The number of variables `n`.
    fn dimension(&self) -> usize;

    /// Writes `∇f(x)` into `gradient` (length `n`) and returns `f(x)`; `x` has length `n`.
    fn value_gradient(&mut self, x: &[f64], gradient: &mut [f64]) -> f64;

    /// `f(x)` alone. The default computes the gradient too and drops it; override it when the value
    /// is cheaper on its own.
    fn value(&mut self, x: &[f64]) -> f64 {
        let mut scratch = vec![0.0; x.len()];
        self.value_gradient(x, &mut scratch)
    }

    /// Writes the Hessian `∇²f(x)`, dense and row-major (`hessian[i * n + j] = ∂²f/∂xᵢ∂xⱼ`, length
    /// `n²`), and returns `true`; returns `false`, writing nothing, when the objective has no Hessian
    /// (the default).
    fn hessian(&mut self, _x: &[f64], _hessian: &mut [f64]) -> bool {
        false
    }
}

impl<O: Objective + ?Sized> Objective for &mut O {
    fn dimension(&self) -> usize {
        (**self).dimension()
    }
    fn value_gradient(&mut self, x: &[f64], gradient: &mut [f64]) -> f64 {
        (**self).value_gradient(x, gradient)
    }
    fn value(&mut self, x: &[f64]) -> f64 {
        (**self).value(x)
    }
    fn hessian(&mut self, x: &[f64], hessian: &mut [f64]) -> bool {
        (**self).hessian(x, hessian)
    }
}

/// The type of the Hessian slot of an [`FnObjective`] built without one.
pub type NoHessian = fn(&[f64], &mut [f64]);

/// An [`Objective`] from a closure `f(x, gradient) -> value`, plus optionally a closure writing the
/// row-major Hessian. The closures are `FnMut`, so they may own and reuse state between calls: a
/// reverse-mode tape, scratch buffers, a call counter.
///
/// ```
/// use nabla_optimize::{FnObjective, Objective};
///
/// // f(x, y) = x² + 3y², with its Hessian.
/// let mut f = FnObjective::new(2, |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * x[0];
///     g[1] = 6.0 * x[1];
///     x[0] * x[0] + 3.0 * x[1] * x[1]
/// })
/// .with_hessian(|_x: &[f64], h: &mut [f64]| h.copy_from_slice(&[2.0, 0.0, 0.0, 6.0]));
///
/// let mut g = [0.0; 2];
/// assert_eq!(f.value_gradient(&[1.0, 1.0], &mut g), 4.0);
/// assert_eq!(g, [2.0, 6.0]);
/// let mut h = [0.0; 4];
/// assert!(f.hessian(&[1.0, 1.0], &mut h));
/// assert_eq!(h, [2.0, 0.0, 0.0, 6.0]);
/// ```
///
/// A function written once against `nabla_autodiff::Real` gets its gradient by reverse mode: record
/// it once, then replay the tape at every point the minimiser asks for (no re-recording and no
/// allocation per evaluation; the tape freezes control flow, which Rosenbrock has none of).
///
/// ```
/// use nabla_autodiff::{Real, Recording};
/// use nabla_optimize::{FnObjective, Lbfgs, Minimizer, Options};
///
/// fn rosenbrock<T: Real>(x: &[T]) -> T {
///     let (one, hundred) = (T::one(), T::from_f64(100.0));
///     (one - x[0]).powi(2) + hundred * (x[1] - x[0] * x[0]).powi(2)
/// }
///
/// let start = [-1.2, 1.0];
/// let mut tape = Recording::record_scalar(rosenbrock, &start);
/// let mut f = FnObjective::new(2, move |x: &[f64], g: &mut [f64]| {
///     tape.gradient_into(x, g).expect("x and g have the tape's two inputs")
/// });
/// let s = Lbfgs::default().minimize(&mut f, &start, &Options::default()).unwrap();
/// assert!((s.x[0] - 1.0).abs() < 1e-8 && (s.x[1] - 1.0).abs() < 1e-8, "{s:?}");
/// ```
pub struct FnObjective<F, H = NoHessian> {
    dimension: usize,
    value_gradient: F,
    hessian: Option<H>,
    /// Gradient buffer for value-only calls, allocated once.
    scratch: Vec<f64>,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> FnObjective<F> {
    /// An objective of `dimension` variables without a Hessian.
    pub fn new(dimension: usize, value_gradient: F) -> Self {
        FnObjective {
            dimension,
            value_gradient,
            hessian: None,
            scratch: vec![0.0; dimension],
        }
    }
}

impl<F, H> FnObjective<F, H> {
    /// Adds a Hessian closure `hessian(x, h)` writing the row-major `n × n` Hessian into `h`.
    pub fn with_hessian<H2: FnMut(&[f64], &mut [f64])>(self, hessian: H2) -> FnObjective<F, H2> {
        FnObjective {
            dimension: self.dimension,
            value_gradient: self.value_gradient,
            hessian: Some(hessian),
            scratch: self.scratch,
        }
    }
}

impl<F, H> Objective for FnObjective<F, H>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
    H: FnMut(&[f64], &mut [f64]),
{
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn value_gradient(&mut self, x: &[f64], gradient: &mut [f64]) -> f64 {
        (self.value_gradient)(x, gradient)
    }
    fn value(&mut self, x: &[f64]) -> f64 {
        (self.value_gradient)(x, &mut self.scratch)
    }
    fn hessian(&mut self, x: &[f64], hessian: &mut [f64]) -> bool {
        match &mut self.hessian {
            Some(h) => {
                h(x, hessian);
                true
            }
            None => false,
        }
    }
}
