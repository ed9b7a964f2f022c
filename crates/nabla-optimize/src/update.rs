//! First-order update rules (SGD, momentum, AdaGrad, RMSProp, Adam) over blocks of parameters.
//!
//! These rules own only the arithmetic of one step and the per-parameter state it needs (velocities,
//! moments). They know nothing about objectives or stopping: the drivers in [`crate::first_order`] use
//! them on `f64` vectors, and the neural-network crate uses them on `f32` weight tensors, so everything
//! here is generic over [`num_traits::Float`].
//!
//! Every rule follows PyTorch's update equations and defaults (`torch.optim`), including its
//! non-decoupled weight decay: `g ← g + weight_decay · p` before anything else.
//!
//! ```
//! use nabla_optimize::update::{Adam, UpdateRule};
//!
//! // Minimise (w - 3)² with Adam, one parameter block of length 1.
//! let mut w = [0.0_f32];
//! let mut adam = Adam::new(0.1);
//! for _ in 0..500 {
//!     let g = [2.0 * (w[0] - 3.0)];
//!     adam.step(&mut [&mut w[..]], &[&g[..]]);
//! }
//! assert!((w[0] - 3.0).abs() < 1e-2);
//! ```

use num_traits::Float;
use std::fmt;

/// A first-order update rule: turns gradients into parameter changes, keeping its own state.
pub trait UpdateRule<F: Float> {
    /// The current learning rate.
    fn learning_rate(&self) -> F;

    /// Changes the learning rate (for schedules); the accumulated state is kept.
    fn set_learning_rate(&mut self, lr: F);

    /// One iteration over all parameter blocks, or an error if the blocks do not match the gradients
    /// or the layout seen on the first call. Nothing is modified when an error is returned.
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError>;

    /// Forgets all accumulated state (velocities, moments, step count); the next step starts afresh
    /// and may use a new block layout.
    fn reset(&mut self);

    /// One iteration over all parameter blocks: `params[i]` and `grads[i]` have equal lengths; per-block state
    /// (velocities, moments) is created lazily on the first call and the block layout must not change afterwards.
    ///
    /// # Panics
    /// If the layout is inconsistent (see [`UpdateRule::try_step`] for the non-panicking form):
    /// like an out-of-bounds index, this is a bug in the caller, not a data error.
    fn step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) {
        if let Err(e) = self.try_step(params, grads) {
            panic!("UpdateRule::step: {e}");
        }
    }
}

/// Why a step was refused: the parameter and gradient blocks do not line up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Different numbers of parameter and gradient blocks.
    BlockCount { params: usize, grads: usize },
    /// Parameter block `block` and its gradient have different lengths.
    BlockLength {
        block: usize,
        params: usize,
        grads: usize,
    },
    /// The layout differs from the one the state was created for (call `reset` to start over).
    LayoutChanged {
        expected: Vec<usize>,
        found: Vec<usize>,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::BlockCount { params, grads } => {
                write!(f, "{params} parameter blocks but {grads} gradient blocks")
            }
            LayoutError::BlockLength {
                block,
                params,
                grads,
            } => write!(
                f,
                "block {block}: {params} parameters but {grads} gradient entries"
            ),
            LayoutError::LayoutChanged { expected, found } => write!(
                f,
                "block layout changed from {expected:?} to {found:?} (reset the rule first)"
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

/// Converts a literal to `F`; every `Float` type represents these small constants.
fn lit<F: Float>(x: f64) -> F {
    F::from(x).unwrap_or_else(F::nan)
}

/// Checks that every parameter block has a gradient block of the same length.
fn check_blocks<F>(params: &[&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
    if params.len() != grads.len() {
        return Err(LayoutError::BlockCount {
            params: params.len(),
            grads: grads.len(),
        });
    }
    for (block, (p, g)) in params.iter().zip(grads).enumerate() {
        if p.len() != g.len() {
            return Err(LayoutError::BlockLength {
                block,
                params: p.len(),
                grads: g.len(),
            });
        }
    }
    Ok(())
}

/// Per-block state shared by all rules: `buffers` per-parameter vectors for each block, plus the step
/// count (PyTorch's `state['step']`, identical for all blocks since they are stepped together).
#[derive(Clone, Debug, Default)]
struct BlockState<F> {
    layout: Vec<usize>,
    /// `blocks[b][k]` is buffer `k` of block `b`, of length `layout[b]`.
    blocks: Vec<Vec<Vec<F>>>,
    steps: u64,
}

impl<F: Float> BlockState<F> {
    fn new() -> Self {
        BlockState {
            layout: Vec::new(),
            blocks: Vec::new(),
            steps: 0,
        }
    }

    /// Checks the layout, creates `buffers` zero-filled buffers per block on the first call, and counts
    /// the step. Returns the 1-based number of this step.
    fn begin(
        &mut self,
        params: &[&mut [F]],
        grads: &[&[F]],
        buffers: usize,
    ) -> Result<u64, LayoutError> {
        check_blocks(params, grads)?;
        if self.steps == 0 {
            self.layout = params.iter().map(|p| p.len()).collect();
            self.blocks = self
                .layout
                .iter()
                .map(|&n| vec![vec![F::zero(); n]; buffers])
                .collect();
        } else if self.layout.len() != params.len()
            || self.layout.iter().zip(params).any(|(&n, p)| n != p.len())
        {
            return Err(LayoutError::LayoutChanged {
                expected: self.layout.clone(),
                found: params.iter().map(|p| p.len()).collect(),
            });
        }
        self.steps += 1;
        Ok(self.steps)
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

/// Plain gradient step: `p ← p − lr · (g + weight_decay · p)`.
///
/// ```
/// use nabla_optimize::update::{Sgd, UpdateRule};
/// let mut p = [1.0_f64, 2.0];
/// Sgd::new(0.5).step(&mut [&mut p[..]], &[&[2.0, -2.0][..]]);
/// assert_eq!(p, [0.0, 3.0]);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<F> {
    pub lr: F,
    pub weight_decay: F,
}

impl<F: Float> Sgd<F> {
    /// Plain SGD with PyTorch's default: no weight decay.
    pub fn new(lr: F) -> Self {
        Sgd {
            lr,
            weight_decay: F::zero(),
        }
    }
}

impl<F: Float> UpdateRule<F> for Sgd<F> {
    fn learning_rate(&self) -> F {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: F) {
        self.lr = lr;
    }
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
        check_blocks(params, grads)?;
        for (p, g) in params.iter_mut().zip(grads) {
            for (p, &g) in p.iter_mut().zip(g.iter()) {
                *p = *p - self.lr * (g + self.weight_decay * *p);
            }
        }
        Ok(())
    }
    fn reset(&mut self) {}
}

/// Heavy-ball momentum, classical or Nesterov, exactly as `torch.optim.SGD` with `momentum > 0`:
///
/// ```text
/// g ← g + weight_decay · p
/// b ← g                                   on the first step
/// b ← momentum · b + (1 − dampening) · g  afterwards
/// d ← g + momentum · b   (Nesterov)   or   d ← b   (classical)
/// p ← p − lr · d
/// ```
///
/// The Nesterov form needs only the gradient at the current point (Sutskever et al.'s reformulation).
///
/// ```
/// use nabla_optimize::update::{Momentum, UpdateRule};
/// let mut p = [0.0_f64];
/// let mut m = Momentum::new(0.1);
/// m.step(&mut [&mut p[..]], &[&[1.0][..]]); // b = 1, p = -0.1
/// m.step(&mut [&mut p[..]], &[&[1.0][..]]); // b = 0.9 + 1 = 1.9, p = -0.1 - 0.19
/// assert!((p[0] + 0.29).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Momentum<F> {
    pub lr: F,
    pub momentum: F,
    pub nesterov: bool,
    pub weight_decay: F,
    /// PyTorch's `dampening` (0 by default; Nesterov requires 0 in PyTorch, here it is simply applied).
    pub dampening: F,
    state: BlockState<F>,
}

impl<F: Float> Momentum<F> {
    /// Classical momentum 0.9 (PyTorch has no default other than 0, which would be plain SGD; 0.9 is
    /// the customary value), no dampening, no weight decay.
    pub fn new(lr: F) -> Self {
        Momentum {
            lr,
            momentum: lit(0.9),
            nesterov: false,
            weight_decay: F::zero(),
            dampening: F::zero(),
            state: BlockState::new(),
        }
    }

    /// Nesterov momentum 0.9, otherwise as [`Momentum::new`].
    pub fn nesterov(lr: F) -> Self {
        Momentum {
            nesterov: true,
            ..Self::new(lr)
        }
    }
}

impl<F: Float> UpdateRule<F> for Momentum<F> {
    fn learning_rate(&self) -> F {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: F) {
        self.lr = lr;
    }
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
        let first = self.state.begin(params, grads, 1)? == 1;
        let mu = self.momentum;
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.state.blocks) {
            for ((p, &g), b) in p.iter_mut().zip(g.iter()).zip(bufs[0].iter_mut()) {
                let g = g + self.weight_decay * *p;
                *b = if first {
                    g
                } else {
                    mu * *b + (F::one() - self.dampening) * g
                };
                let d = if self.nesterov { g + mu * *b } else { *b };
                *p = *p - self.lr * d;
            }
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.state.reset();
    }
}

/// AdaGrad as `torch.optim.Adagrad`: `s ← s + g²`, `p ← p − lr_t · g / (√s + eps)` with
/// `lr_t = lr / (1 + (t − 1) · lr_decay)`.
///
/// ```
/// use nabla_optimize::update::{AdaGrad, UpdateRule};
/// let mut p = [1.0_f64];
/// AdaGrad::new(0.5).step(&mut [&mut p[..]], &[&[4.0][..]]); // s = 16, p = 1 - 0.5·4/4
/// assert!((p[0] - 0.5).abs() < 1e-9);
/// ```
#[derive(Clone, Debug)]
pub struct AdaGrad<F> {
    pub lr: F,
    pub lr_decay: F,
    pub weight_decay: F,
    pub initial_accumulator_value: F,
    pub eps: F,
    state: BlockState<F>,
}

impl<F: Float> AdaGrad<F> {
    /// PyTorch's defaults: `lr_decay = 0`, `weight_decay = 0`, `initial_accumulator_value = 0`,
    /// `eps = 1e-10`.
    pub fn new(lr: F) -> Self {
        AdaGrad {
            lr,
            lr_decay: F::zero(),
            weight_decay: F::zero(),
            initial_accumulator_value: F::zero(),
            eps: lit(1e-10),
            state: BlockState::new(),
        }
    }
}

impl<F: Float> UpdateRule<F> for AdaGrad<F> {
    fn learning_rate(&self) -> F {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: F) {
        self.lr = lr;
    }
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
        let t = self.state.begin(params, grads, 1)?;
        let t_f: F = F::from(t - 1).unwrap_or_else(F::infinity);
        let clr = self.lr / (F::one() + t_f * self.lr_decay);
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.state.blocks) {
            for ((p, &g), s) in p.iter_mut().zip(g.iter()).zip(bufs[0].iter_mut()) {
                if t == 1 {
                    *s = self.initial_accumulator_value;
                }
                let g = g + self.weight_decay * *p;
                *s = *s + g * g;
                *p = *p - clr * g / (s.sqrt() + self.eps);
            }
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.state.reset();
    }
}

/// RMSProp as `torch.optim.RMSprop`:
///
/// ```text
/// v ← α v + (1 − α) g²
/// m ← α m + (1 − α) g,  d = √(v − m²) + eps        (centered)
///                       d = √v + eps               (otherwise)
/// b ← μ b + g / d,  p ← p − lr · b                 (μ = momentum > 0)
/// p ← p − lr · g / d                               (μ = 0)
/// ```
///
/// ```
/// use nabla_optimize::update::{RmsProp, UpdateRule};
/// let mut p = [0.0_f64];
/// RmsProp::new(0.01).step(&mut [&mut p[..]], &[&[2.0][..]]); // v = 0.01·4, d = 0.2
/// assert!((p[0] + 0.01 * 2.0 / (0.2 + 1e-8)).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct RmsProp<F> {
    pub lr: F,
    /// Smoothing constant α.
    pub alpha: F,
    pub eps: F,
    pub weight_decay: F,
    pub momentum: F,
    pub centered: bool,
    state: BlockState<F>,
}

impl<F: Float> RmsProp<F> {
    /// PyTorch's defaults: `alpha = 0.99`, `eps = 1e-8`, no weight decay, no momentum, not centered.
    pub fn new(lr: F) -> Self {
        RmsProp {
            lr,
            alpha: lit(0.99),
            eps: lit(1e-8),
            weight_decay: F::zero(),
            momentum: F::zero(),
            centered: false,
            state: BlockState::new(),
        }
    }
}

impl<F: Float> UpdateRule<F> for RmsProp<F> {
    fn learning_rate(&self) -> F {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: F) {
        self.lr = lr;
    }
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
        // Buffers: 0 = square average, 1 = gradient average (centered), 2 = momentum buffer; the
        // optional ones are created when an option first needs them.
        self.state.begin(params, grads, 1)?;
        let (a, one, eps, wd) = (self.alpha, F::one(), self.eps, self.weight_decay);
        let buffers = if self.momentum > F::zero() {
            3
        } else if self.centered {
            2
        } else {
            1
        };
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.state.blocks) {
            while bufs.len() < buffers {
                bufs.push(vec![F::zero(); p.len()]);
            }
            for (j, (p, &g)) in p.iter_mut().zip(g.iter()).enumerate() {
                let g = g + wd * *p;
                let sq = &mut bufs[0][j];
                *sq = a * *sq + (one - a) * g * g;
                let mut var = *sq;
                if self.centered {
                    let avg = &mut bufs[1][j];
                    *avg = a * *avg + (one - a) * g;
                    var = var - *avg * *avg;
                }
                let denom = var.sqrt() + eps;
                if self.momentum > F::zero() {
                    let b = &mut bufs[2][j];
                    *b = self.momentum * *b + g / denom;
                    *p = *p - self.lr * *b;
                } else {
                    *p = *p - self.lr * g / denom;
                }
            }
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.state.reset();
    }
}

/// Adam as `torch.optim.Adam` (with optional AMSGrad):
///
/// ```text
/// m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²   (v̂ ← max(v̂, v) with AMSGrad)
/// p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
/// ```
///
/// ```
/// use nabla_optimize::update::{Adam, UpdateRule};
/// // The first Adam step moves every coordinate by about lr, whatever the gradient's scale.
/// let mut p = [0.0_f64, 0.0];
/// Adam::new(0.01).step(&mut [&mut p[..]], &[&[1e3, -1e-3][..]]);
/// assert!((p[0] + 0.01).abs() < 1e-9 && (p[1] - 0.01).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Adam<F> {
    pub lr: F,
    pub beta1: F,
    pub beta2: F,
    pub eps: F,
    pub weight_decay: F,
    pub amsgrad: bool,
    state: BlockState<F>,
}

impl<F: Float> Adam<F> {
    /// PyTorch's defaults: `betas = (0.9, 0.999)`, `eps = 1e-8`, no weight decay, no AMSGrad.
    pub fn new(lr: F) -> Self {
        Adam {
            lr,
            beta1: lit(0.9),
            beta2: lit(0.999),
            eps: lit(1e-8),
            weight_decay: F::zero(),
            amsgrad: false,
            state: BlockState::new(),
        }
    }
}

impl<F: Float> UpdateRule<F> for Adam<F> {
    fn learning_rate(&self) -> F {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: F) {
        self.lr = lr;
    }
    fn try_step(&mut self, params: &mut [&mut [F]], grads: &[&[F]]) -> Result<(), LayoutError> {
        // Buffers: 0 = first moment, 1 = second moment, and with AMSGrad 2 = running max of the
        // second, created when first needed (from the current second moment).
        let t = self.state.begin(params, grads, 2)?;
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        let one = F::one();
        let (b1, b2, eps, wd) = (self.beta1, self.beta2, self.eps, self.weight_decay);
        let step_size = self.lr / (one - b1.powi(t));
        let inv_bc2_sqrt = one / (one - b2.powi(t)).sqrt();
        for ((p, g), bufs) in params.iter_mut().zip(grads).zip(&mut self.state.blocks) {
            if self.amsgrad && bufs.len() == 2 {
                bufs.push(bufs[1].clone());
            }
            // Separate loops so that the common case vectorises without a per-element branch.
            match &mut bufs[..] {
                [m, v] | [m, v, _] if !self.amsgrad => {
                    let moments = m.iter_mut().zip(v.iter_mut());
                    for ((p, &g), (m, v)) in p.iter_mut().zip(g.iter()).zip(moments) {
                        let g = g + wd * *p;
                        *m = b1 * *m + (one - b1) * g;
                        *v = b2 * *v + (one - b2) * g * g;
                        *p = *p - step_size * *m / (v.sqrt() * inv_bc2_sqrt + eps);
                    }
                }
                [m, v, vmax] => {
                    let moments = m.iter_mut().zip(v.iter_mut()).zip(vmax.iter_mut());
                    for ((p, &g), ((m, v), vmax)) in p.iter_mut().zip(g.iter()).zip(moments) {
                        let g = g + wd * *p;
                        *m = b1 * *m + (one - b1) * g;
                        *v = b2 * *v + (one - b2) * g * g;
                        *vmax = vmax.max(*v);
                        *p = *p - step_size * *m / (vmax.sqrt() * inv_bc2_sqrt + eps);
                    }
                }
                _ => unreachable!("two or three buffers per block"),
            }
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.state.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `steps` steps of `rule` on a single block, with gradients from `grad(p)`.
    fn run<R: UpdateRule<f64>>(
        rule: &mut R,
        p: &mut [f64],
        steps: usize,
        grad: impl Fn(&[f64]) -> Vec<f64>,
    ) {
        for _ in 0..steps {
            let g = grad(p);
            rule.step(&mut [&mut p[..]], &[&g[..]]);
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn sgd_with_weight_decay() {
        let mut s = Sgd::new(0.1);
        s.weight_decay = 0.5;
        let mut p = [2.0];
        // g = 1 + 0.5·2 = 2, p = 2 - 0.2
        s.step(&mut [&mut p[..]], &[&[1.0][..]]);
        assert!(close(p[0], 1.8));
    }

    #[test]
    fn momentum_classical_two_steps_with_decay_and_dampening() {
        let mut m = Momentum::new(0.1);
        m.weight_decay = 0.1;
        m.dampening = 0.5;
        let mut p = [1.0];
        // step 1: g = 2 + 0.1 = 2.1, b = 2.1 (no dampening on the first step), p = 1 - 0.21 = 0.79
        // step 2: g = 2 + 0.079 = 2.079, b = 0.9·2.1 + 0.5·2.079 = 2.9295, p = 0.79 - 0.29295
        run(&mut m, &mut p, 2, |_| vec![2.0]);
        assert!(close(p[0], 0.79 - 0.29295), "{}", p[0]);
    }

    #[test]
    fn momentum_nesterov_two_steps() {
        let mut m = Momentum::nesterov(0.1);
        // gradient of p²/2 is p; start at p = 1
        let mut p = [1.0];
        // step 1: g = 1, b = 1, d = 1 + 0.9 = 1.9, p = 1 - 0.19 = 0.81
        // step 2: g = 0.81, b = 0.9 + 0.81 = 1.71, d = 0.81 + 0.9·1.71 = 2.349, p = 0.81 - 0.2349
        run(&mut m, &mut p, 2, |p| vec![p[0]]);
        assert!(close(p[0], 0.81 - 0.2349), "{}", p[0]);
    }

    #[test]
    fn adagrad_two_steps_with_lr_decay() {
        let mut a = AdaGrad::new(1.0);
        a.lr_decay = 0.5;
        a.initial_accumulator_value = 1.0;
        let mut p = [0.0];
        // step 1: s = 1 + 9 = 10, p = -3/√10 (clr = 1)
        // step 2: s = 10 + 16 = 26, clr = 1/1.5, p -= (2/3)·4/√26
        for g in [3.0, 4.0] {
            a.step(&mut [&mut p[..]], &[&[g][..]]);
        }
        let want = -3.0 / (10f64.sqrt() + 1e-10) - (2.0 / 3.0) * 4.0 / (26f64.sqrt() + 1e-10);
        assert!(close(p[0], want), "{} vs {want}", p[0]);
    }

    #[test]
    fn rmsprop_plain_centered_and_momentum() {
        let gs = [2.0, -1.0];
        // plain: v1 = 0.04, p1 = -0.01·2/(0.2+eps); v2 = 0.99·0.04 + 0.01 = 0.0496
        let mut r = RmsProp::new(0.01);
        let mut p = [0.0];
        for g in gs {
            r.step(&mut [&mut p[..]], &[&[g][..]]);
        }
        let eps = 1e-8;
        let want = -0.02 / (0.2 + eps) + 0.01 / (0.0496f64.sqrt() + eps);
        assert!(close(p[0], want));

        // centered with momentum 0.5: m1 = 0.02, d1 = √(0.04 - 0.0004) + eps, b1 = 2/d1
        // m2 = 0.99·0.02 - 0.01 = 0.0098, d2 = √(0.0496 - 0.0098²) + eps, b2 = 0.5 b1 - 1/d2
        let mut r = RmsProp::new(0.01);
        r.centered = true;
        r.momentum = 0.5;
        let mut p = [0.0];
        for g in gs {
            r.step(&mut [&mut p[..]], &[&[g][..]]);
        }
        let d1 = (0.04f64 - 0.0004).sqrt() + eps;
        let d2 = (0.0496f64 - 0.0098 * 0.0098).sqrt() + eps;
        let b1 = 2.0 / d1;
        let b2 = 0.5 * b1 - 1.0 / d2;
        assert!(close(p[0], -0.01 * b1 - 0.01 * b2), "{}", p[0]);
    }

    #[test]
    fn adam_two_steps_and_amsgrad() {
        let gs = [1.0, -3.0];
        let (b1, b2, eps, lr) = (0.9f64, 0.999f64, 1e-8, 0.1);
        let mut want = 0.0;
        let (mut m, mut v, mut vmax) = (0.0, 0.0, 0.0f64);
        let mut want_ams = 0.0;
        for (t, g) in gs.iter().enumerate() {
            let t = t as i32 + 1;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            vmax = vmax.max(v);
            let bc1 = 1.0 - b1.powi(t);
            let bc2 = (1.0 - b2.powi(t)).sqrt();
            want -= lr / bc1 * m / (v.sqrt() / bc2 + eps);
            want_ams -= lr / bc1 * m / (vmax.sqrt() / bc2 + eps);
        }
        for ams in [false, true] {
            let mut a = Adam::new(lr);
            a.amsgrad = ams;
            let mut p = [0.0];
            for g in gs {
                a.step(&mut [&mut p[..]], &[&[g][..]]);
            }
            assert!(close(p[0], if ams { want_ams } else { want }));
        }
        // Hand figure for the first step: m = 0.1, v = 0.001, bias corrected to 1 and 1: p = -0.1.
        let mut a = Adam::new(0.1);
        let mut p = [0.0];
        a.step(&mut [&mut p[..]], &[&[1.0][..]]);
        assert!((p[0] + 0.1).abs() < 1e-8);
    }

    #[test]
    fn works_on_f32_with_several_blocks() {
        let mut a = Adam::<f32>::new(0.05);
        let mut w = [1.0f32, -1.0];
        let mut b = [2.0f32];
        for _ in 0..2000 {
            let gw = [2.0 * w[0], 2.0 * w[1]];
            let gb = [2.0 * (b[0] - 0.5)];
            a.step(&mut [&mut w[..], &mut b[..]], &[&gw[..], &gb[..]]);
        }
        assert!(w.iter().all(|x| x.abs() < 1e-3) && (b[0] - 0.5).abs() < 1e-3);
    }

    #[test]
    fn layout_errors_leave_params_untouched() {
        let mut a = Adam::new(0.1);
        let mut p = [1.0, 2.0];
        let err = a.try_step(&mut [&mut p[..]], &[&[1.0][..]]).unwrap_err();
        assert_eq!(
            err,
            LayoutError::BlockLength {
                block: 0,
                params: 2,
                grads: 1
            }
        );
        assert_eq!(p, [1.0, 2.0]);
        let err = a.try_step(&mut [&mut p[..]], &[]).unwrap_err();
        assert_eq!(
            err,
            LayoutError::BlockCount {
                params: 1,
                grads: 0
            }
        );
        a.step(&mut [&mut p[..]], &[&[1.0, 1.0][..]]);
        let mut q = [0.0; 3];
        let err = a.try_step(&mut [&mut q[..]], &[&[0.0; 3][..]]).unwrap_err();
        assert!(matches!(err, LayoutError::LayoutChanged { .. }));
        assert!(err.to_string().contains("reset"));
        a.reset();
        a.step(&mut [&mut q[..]], &[&[0.0; 3][..]]);
    }

    #[test]
    fn learning_rate_accessors() {
        let mut rules: Vec<Box<dyn UpdateRule<f64>>> = vec![
            Box::new(Sgd::new(0.1)),
            Box::new(Momentum::new(0.1)),
            Box::new(AdaGrad::new(0.1)),
            Box::new(RmsProp::new(0.1)),
            Box::new(Adam::new(0.1)),
        ];
        for r in &mut rules {
            assert_eq!(r.learning_rate(), 0.1);
            r.set_learning_rate(0.2);
            assert_eq!(r.learning_rate(), 0.2);
        }
    }

    use proptest::prelude::*;

    fn all_rules() -> Vec<Box<dyn UpdateRule<f64>>> {
        let mut nesterov = Momentum::nesterov(0.1);
        nesterov.weight_decay = 0.01;
        let mut rms = RmsProp::new(0.01);
        rms.centered = true;
        rms.momentum = 0.5;
        let mut adam = Adam::new(0.01);
        adam.amsgrad = true;
        vec![
            Box::new(Sgd::new(0.1)),
            Box::new(Momentum::new(0.1)),
            Box::new(nesterov),
            Box::new(AdaGrad::new(0.1)),
            Box::new(RmsProp::new(0.01)),
            Box::new(rms),
            Box::new(Adam::new(0.01)),
            Box::new(adam),
        ]
    }

    proptest! {
        /// The rules act element by element: how parameters are split into blocks does not matter.
        #[test]
        fn block_layout_does_not_change_the_result(
            p0 in proptest::collection::vec(-3.0..3.0f64, 5),
            grads in proptest::collection::vec(proptest::collection::vec(-3.0..3.0f64, 5), 3),
            split in 0usize..=5,
        ) {
            for (mut whole, mut parts) in all_rules().into_iter().zip(all_rules()) {
                let mut a = p0.clone();
                let mut b = p0.clone();
                for g in &grads {
                    whole.step(&mut [&mut a[..]], &[&g[..]]);
                    let (b1, b2) = b.split_at_mut(split);
                    parts.step(&mut [b1, b2], &[&g[..split], &g[split..]]);
                }
                prop_assert_eq!(&a, &b);
            }
        }

        /// A zero gradient without weight decay leaves fresh parameters where they are.
        #[test]
        fn zero_gradient_is_a_fixed_point(p0 in proptest::collection::vec(-3.0..3.0f64, 4)) {
            for mut rule in all_rules() {
                let mut p = p0.clone();
                for _ in 0..3 {
                    rule.step(&mut [&mut p[..]], &[&[0.0; 4][..]]);
                }
                // Nesterov's rule carries a weight decay, which pulls towards zero.
                let decayed = p.iter().zip(&p0).all(|(a, b)| a.abs() <= b.abs());
                prop_assert!(p == p0 || decayed);
            }
        }
    }
}
