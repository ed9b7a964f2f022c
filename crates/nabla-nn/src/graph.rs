//! Reverse-mode differentiation: [`Var`] is a reference-counted node of a computation graph
//! holding its value, the operation that made it and its parents; [`Var::backward`] walks the
//! graph in reverse topological order (found iteratively, so depth is bounded by memory only)
//! and accumulates gradients into every node created with [`Var::parameter`].

use std::cell::{Cell, Ref, RefCell, RefMut};
use std::collections::HashSet;
use std::rc::Rc;

use crate::error::{NnError, Result};
use crate::tensor::Tensor;

/// The backward rule of one operation.
///
/// `backward` receives the node's parents, its forward value and the gradient of the final
/// output with respect to it, and adds each parent's gradient with [`Var::accumulate`] (or
/// [`Var::accumulate_with`]) — skipping parents for which [`Var::requires_grad`] is false.
pub(crate) trait Backward {
    fn backward(&self, parents: &[Var], value: &Tensor, grad: &Tensor);
}

struct Node {
    value: RefCell<Tensor>,
    grad: RefCell<Option<Tensor>>,
    /// Set by [`Var::zero_grad`]: the buffer's contents are stale and stand for zeros, so the
    /// next accumulation overwrites instead of adding (sparing a pass over every parameter).
    grad_is_zero: Cell<bool>,
    parents: Vec<Var>,
    op: Option<Box<dyn Backward>>,
    requires_grad: bool,
}

/// A tensor in a computation graph. Cloning is cheap (it shares the node).
///
/// ```
/// use nabla_nn::{Tensor, Var};
/// let w = Var::parameter(Tensor::matrix(2, 1, vec![3.0, -1.0])?);
/// let x = Var::constant(Tensor::matrix(1, 2, vec![2.0, 5.0])?);
/// let y = x.matmul(&w)?.sum();      // y = 2·3 + 5·(-1)
/// y.backward()?;
/// assert_eq!(y.value().item()?, 1.0);
/// assert_eq!(w.grad().unwrap().data(), &[2.0, 5.0]);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
#[derive(Clone)]
pub struct Var(Rc<Node>);

impl Var {
    /// A leaf whose gradient is tracked and accumulated by [`Var::backward`] (a weight).
    pub fn parameter(value: Tensor) -> Var {
        let grad = Tensor::zeros(value.shape());
        Var(Rc::new(Node {
            value: RefCell::new(value),
            grad: RefCell::new(Some(grad)),
            grad_is_zero: Cell::new(false),
            parents: Vec::new(),
            op: None,
            requires_grad: true,
        }))
    }

    /// A leaf without gradient (an input batch, a target).
    pub fn constant(value: Tensor) -> Var {
        Var(Rc::new(Node {
            value: RefCell::new(value),
            grad: RefCell::new(None),
            grad_is_zero: Cell::new(false),
            parents: Vec::new(),
            op: None,
            requires_grad: false,
        }))
    }

    /// A node made by an operation. The graph edge is kept only when a parent needs a gradient,
    /// so inference on constants builds no graph.
    pub(crate) fn from_op(value: Tensor, parents: Vec<Var>, op: impl Backward + 'static) -> Var {
        if parents.iter().any(Var::requires_grad) {
            Var(Rc::new(Node {
                value: RefCell::new(value),
                grad: RefCell::new(None),
                grad_is_zero: Cell::new(false),
                parents,
                op: Some(Box::new(op)),
                requires_grad: true,
            }))
        } else {
            Var::constant(value)
        }
    }

    /// The forward value.
    pub fn value(&self) -> Ref<'_, Tensor> {
        self.0.value.borrow()
    }

    /// Mutable access to a leaf's value, for optimisers. Changing the value of a node made by an
    /// operation does not recompute anything downstream. Like every accessor here it borrows a
    /// `RefCell`: holding the returned guard across a call that touches the same node panics.
    pub fn value_mut(&self) -> RefMut<'_, Tensor> {
        self.0.value.borrow_mut()
    }

    /// The value of a node no one else holds (e.g. an input batch once its graph is dropped),
    /// so its buffer can be reused; otherwise the node is handed back.
    pub fn try_into_value(self) -> std::result::Result<Tensor, Var> {
        match Rc::try_unwrap(self.0) {
            Ok(mut node) => Ok(std::mem::replace(node.value.get_mut(), Tensor::scalar(0.0))),
            Err(rc) => Err(Var(rc)),
        }
    }

    /// The shape of the value.
    pub fn shape(&self) -> Vec<usize> {
        self.value().shape().to_vec()
    }

    /// The accumulated gradient of a parameter (`None` for constants and, after
    /// [`Var::backward`] has passed through, for intermediate nodes).
    pub fn grad(&self) -> Option<Ref<'_, Tensor>> {
        self.materialize_zeros();
        Ref::filter_map(self.0.grad.borrow(), Option::as_ref).ok()
    }

    /// Mutable access to the gradient buffer, for optimisers.
    pub fn grad_mut(&self) -> Option<RefMut<'_, Tensor>> {
        self.materialize_zeros();
        RefMut::filter_map(self.0.grad.borrow_mut(), Option::as_mut).ok()
    }

    /// Sets the gradient to zero, keeping its buffer.
    pub fn zero_grad(&self) {
        self.0.grad_is_zero.set(true);
    }

    fn materialize_zeros(&self) {
        if self.0.grad_is_zero.replace(false)
            && let Some(g) = self.0.grad.borrow_mut().as_mut()
        {
            g.data_mut().fill(0.0);
        }
    }

    /// Whether gradients flow into this node (a parameter, or computed from one).
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// Adds `g` to this node's gradient (moving it in when there is none yet).
    pub(crate) fn accumulate(&self, g: Tensor) {
        if !self.requires_grad() {
            return;
        }
        let overwrite = self.0.grad_is_zero.replace(false);
        let mut slot = self.0.grad.borrow_mut();
        match slot.as_mut() {
            Some(acc) if !overwrite => acc
                .data_mut()
                .iter_mut()
                .zip(g.data())
                .for_each(|(a, b)| *a += b),
            _ => *slot = Some(g),
        }
    }

    /// Lets `write(buffer, beta)` compute the gradient contribution `c` as `buffer ← c + beta·buffer`
    /// directly in this node's gradient buffer, so a matrix product can accumulate without a
    /// temporary. `beta` is 0 or 1; with 0 the buffer's old contents must not be read (they may
    /// be stale, even NaN).
    pub(crate) fn accumulate_with(&self, write: impl FnOnce(&mut [f32], f32)) {
        if !self.requires_grad() {
            return;
        }
        let beta = if self.0.grad_is_zero.replace(false) {
            0.0
        } else {
            1.0
        };
        let mut slot = self.0.grad.borrow_mut();
        match slot.as_mut() {
            Some(acc) => write(acc.data_mut(), beta),
            None => {
                let mut g = Tensor::zeros(self.value().shape());
                write(g.data_mut(), 0.0);
                *slot = Some(g);
            }
        }
    }

    /// Back-propagates from this one-element node: adds `∂self/∂p` to the gradient of every
    /// parameter `p` it depends on. Gradients accumulate across calls until [`Var::zero_grad`].
    pub fn backward(&self) -> Result<()> {
        let shape = self.shape();
        if shape.iter().product::<usize>() != 1 {
            return Err(NnError::invalid(
                "backward",
                format!("needs a single-value output, got shape {shape:?}"),
            ));
        }
        if !self.requires_grad() {
            return Ok(());
        }
        let order = self.topological_order();
        self.accumulate(Tensor::full(&shape, 1.0));
        for node in order.iter().rev() {
            let Some(op) = &node.0.op else { continue };
            // Intermediate gradients are consumed here, so a second backward does not reuse them.
            let Some(grad) = node.0.grad.borrow_mut().take() else {
                continue;
            };
            op.backward(&node.0.parents, &node.0.value.borrow(), &grad);
        }
        Ok(())
    }

    /// Nodes that need a gradient, each after all of its parents (iterative depth-first search).
    fn topological_order(&self) -> Vec<Var> {
        let mut order = Vec::new();
        let mut seen: HashSet<*const Node> = HashSet::new();
        // (node, whether its parents have been pushed already)
        let mut stack = vec![(self.clone(), false)];
        seen.insert(Rc::as_ptr(&self.0));
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                order.push(node);
                continue;
            }
            stack.push((node.clone(), true));
            for p in &node.0.parents {
                if p.requires_grad() && seen.insert(Rc::as_ptr(&p.0)) {
                    stack.push((p.clone(), false));
                }
            }
        }
        order
    }
}

impl Drop for Node {
    /// Unlinks the graph iteratively: the default drop of a long chain of `Rc`s recurses once
    /// per node and overflows the stack on deep graphs.
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.parents);
        while let Some(var) = stack.pop() {
            if let Ok(mut node) = Rc::try_unwrap(var.0) {
                stack.append(&mut node.parents);
            }
        }
    }
}

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Var")
            .field("value", &*self.value())
            .field("requires_grad", &self.requires_grad())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_accumulate_until_zeroed() {
        let x = Var::parameter(Tensor::scalar(3.0));
        let y = x.mul(&x).unwrap(); // y = x², dy/dx = 6
        y.backward().unwrap();
        y.backward().unwrap();
        assert_eq!(x.grad().unwrap().item().unwrap(), 12.0);
        x.zero_grad();
        assert_eq!(x.grad().unwrap().item().unwrap(), 0.0);
    }

    #[test]
    fn shared_subexpression_gets_both_contributions() {
        let x = Var::parameter(Tensor::scalar(2.0));
        let a = x.exp();
        let y = a.add(&a).unwrap(); // y = 2eˣ
        y.backward().unwrap();
        let want = 2.0 * 2f32.exp();
        assert!((x.grad().unwrap().item().unwrap() - want).abs() < 1e-5);
    }

    #[test]
    fn zeroing_discards_even_non_finite_gradients() {
        let w = Var::parameter(Tensor::matrix(1, 1, vec![2.0]).unwrap());
        let x = Var::constant(Tensor::matrix(1, 1, vec![f32::NAN]).unwrap());
        x.matmul(&w).unwrap().sum().backward().unwrap();
        assert!(w.grad().unwrap().data()[0].is_nan());
        w.zero_grad();
        let x = Var::constant(Tensor::matrix(1, 1, vec![3.0]).unwrap());
        // The matrix product, the bias reduction and the elementwise paths all overwrite.
        x.matmul(&w).unwrap().sum().backward().unwrap();
        assert_eq!(w.grad().unwrap().data(), &[3.0]);
        w.zero_grad();
        w.sum().backward().unwrap();
        assert_eq!(w.grad().unwrap().data(), &[1.0]);
        w.zero_grad();
        w.exp().sum().backward().unwrap();
        assert_eq!(w.grad().unwrap().data(), &[2f32.exp()]);
    }

    #[test]
    fn backward_needs_scalar() {
        let x = Var::parameter(Tensor::zeros(&[2]));
        assert!(x.exp().backward().is_err());
    }

    #[test]
    fn deep_chain_neither_overflows_in_backward_nor_in_drop() {
        let x = Var::parameter(Tensor::scalar(1.0));
        let one = Var::constant(Tensor::scalar(1.0));
        let mut y = x.clone();
        for _ in 0..200_000 {
            y = y.add(&one).unwrap();
        }
        y.backward().unwrap();
        assert_eq!(x.grad().unwrap().item().unwrap(), 1.0);
        drop(y);
    }

    #[test]
    fn constants_build_no_graph() {
        let c = Var::constant(Tensor::scalar(1.0));
        assert!(!c.exp().requires_grad());
    }
}
