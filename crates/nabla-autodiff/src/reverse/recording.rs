//! [`Recording`]: a finished tape that can be replayed at new inputs and swept backwards any
//! number of times.

use super::Var;
use super::tape::{Kind, Node, Session, TapeData, TapeScalar, recycle};
use crate::Real;
use crate::error::{Error, check_len};

/// One recorded evaluation of a function, reusable at new points.
///
/// [`replay`](Recording::replay) re-runs the recorded operation list on new inputs (recomputing
/// every value and local partial) and the pullbacks sweep it backwards, so a gradient at a new
/// point costs no re-recording and no call of the original closure (and, with
/// [`gradient_into`](Recording::gradient_into), no allocation).
///
/// **Control flow is frozen at recording time**: branches (`if x < 0.0`), loop counts and
/// `max`-style selections taken while recording are replayed as they were, whatever the new
/// inputs. Replay is exact for functions whose operation sequence does not depend on the input
/// values (Rosenbrock, neural networks without data-dependent branches); for others, record
/// again at the new point.
///
/// ```
/// use nabla_autodiff::{Real, Recording};
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[1].sin()
/// }
/// let mut tape = Recording::record_scalar(f, &[1.0, 2.0]);
/// let (y, g) = tape.gradient(&[3.0, 0.5]).unwrap();
/// assert_eq!(y, 3.0 * 0.5_f64.sin());
/// assert_eq!(g, vec![0.5_f64.sin(), 3.0 * 0.5_f64.cos()]);
/// ```
#[derive(Clone, Debug)]
pub struct Recording<S: TapeScalar = f64> {
    kinds: Vec<Kind>,
    consts: Vec<S>,
    nodes: Vec<Node<S>>,
    /// Node values at the current point; filled by the first replay.
    values: Vec<S>,
    adjoints: Vec<S>,
    /// Inputs are nodes `1..=n_inputs` (node 0 is reserved).
    n_inputs: usize,
    outputs: Vec<u32>,
    output_values: Vec<S>,
}

impl<S: TapeScalar> Drop for Recording<S> {
    fn drop(&mut self) {
        recycle(TapeData {
            id: 0,
            kinds: std::mem::take(&mut self.kinds),
            consts: std::mem::take(&mut self.consts),
            nodes: std::mem::take(&mut self.nodes),
            values: std::mem::take(&mut self.values),
            adjoints: std::mem::take(&mut self.adjoints),
        });
    }
}

impl<S: TapeScalar> Recording<S> {
    /// Records one evaluation of a vector function `f` at `x`.
    pub fn record<F>(f: F, x: &[S]) -> Self
    where
        F: FnOnce(&[Var<S>]) -> Vec<Var<S>>,
    {
        let mut session = Session::<S>::begin();
        let inputs: Vec<Var<S>> = session.with(|t| x.iter().map(|&xi| Var::input(t, xi)).collect());
        let outputs = f(&inputs);
        let output_values = outputs.iter().map(|y| y.scalar()).collect();
        let outputs = session.with(|t| outputs.iter().map(|y| y.node_in(t)).collect());
        let data = session.finish();
        let len = data.nodes.len();
        let TapeData {
            kinds,
            consts,
            nodes,
            values,
            mut adjoints,
            ..
        } = data;
        // Holds by construction (a parent is an earlier node of the same recording, checked by
        // recording id); verified because replay and sweep index without bounds checks.
        assert!(well_formed(&kinds, &consts, &nodes), "corrupt tape");
        adjoints.resize(len, S::zero());
        Self {
            kinds,
            consts,
            nodes,
            values,
            adjoints,
            n_inputs: x.len(),
            outputs,
            output_values,
        }
    }

    /// Records one evaluation of a scalar function `f` at `x`.
    pub fn record_scalar<F>(f: F, x: &[S]) -> Self
    where
        F: FnOnce(&[Var<S>]) -> Var<S>,
    {
        Self::record(|x| vec![f(x)], x)
    }

    /// Number of inputs.
    pub fn num_inputs(&self) -> usize {
        self.n_inputs
    }

    /// Number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Number of tape nodes (inputs and operations, plus one reserved node).
    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Output values at the current point (the recorded one, or the last replayed one).
    pub fn outputs(&self) -> &[S] {
        &self.output_values
    }

    /// Re-evaluates the recorded operations at `x`, updating every value and local partial;
    /// returns the outputs. Control flow is the recorded one.
    ///
    /// ```
    /// use nabla_autodiff::{Real, Recording};
    ///
    /// let mut tape = Recording::record(|x| vec![x[0] * x[0], x[0].exp()], &[1.0]);
    /// assert_eq!(tape.replay(&[3.0]).unwrap(), &[9.0, 3.0_f64.exp()]);
    /// ```
    pub fn replay(&mut self, x: &[S]) -> Result<&[S], Error> {
        check_len("x", self.n_inputs, x.len())?;
        let len = self.nodes.len();
        self.values.resize(len, S::zero());
        self.values[1..=self.n_inputs].copy_from_slice(x);
        replay_ops(
            &self.kinds,
            &self.consts,
            &mut self.nodes,
            &mut self.values,
            self.n_inputs + 1,
        );
        for (out, &i) in self.output_values.iter_mut().zip(&self.outputs) {
            *out = self.values[i as usize];
        }
        Ok(&self.output_values)
    }

    /// `wᵀJ` at the current point: one reverse sweep seeded with `w` on the outputs.
    ///
    /// ```
    /// use nabla_autodiff::{Real, Recording};
    ///
    /// let mut tape = Recording::record(|x| vec![x[0] * x[1], x[0] + x[1]], &[2.0, 3.0]);
    /// assert_eq!(tape.pullback(&[1.0, 10.0]).unwrap(), vec![13.0, 12.0]);
    /// ```
    pub fn pullback(&mut self, w: &[S]) -> Result<Vec<S>, Error> {
        let mut out = vec![S::zero(); self.n_inputs];
        self.pullback_into(w, &mut out)?;
        Ok(out)
    }

    /// [`pullback`](Self::pullback) into a caller-provided buffer of length `num_inputs`.
    pub fn pullback_into(&mut self, w: &[S], out: &mut [S]) -> Result<(), Error> {
        check_len("w", self.outputs.len(), w.len())?;
        check_len("out", self.n_inputs, out.len())?;
        self.adjoints.fill(S::zero());
        for (&i, &wi) in self.outputs.iter().zip(w) {
            self.adjoints[i as usize] += wi;
        }
        sweep(&self.nodes, &mut self.adjoints, self.n_inputs + 1);
        out.copy_from_slice(&self.adjoints[1..=self.n_inputs]);
        Ok(())
    }

    /// Value and gradient of a scalar recording at `x` (replay, then one sweep).
    pub fn gradient(&mut self, x: &[S]) -> Result<(S, Vec<S>), Error> {
        let mut grad = vec![S::zero(); self.n_inputs];
        let value = self.gradient_into(x, &mut grad)?;
        Ok((value, grad))
    }

    /// [`gradient`](Self::gradient) into a caller-provided buffer: no allocation.
    pub fn gradient_into(&mut self, x: &[S], grad: &mut [S]) -> Result<S, Error> {
        check_len("outputs of the recorded function", 1, self.outputs.len())?;
        let value = self.replay(x)?[0];
        self.pullback_into(&[S::one()], grad)?;
        Ok(value)
    }

    /// Outputs and `wᵀJ` at `x`.
    pub fn vjp(&mut self, x: &[S], w: &[S]) -> Result<(Vec<S>, Vec<S>), Error> {
        let y = self.replay(x)?.to_vec();
        Ok((y, self.pullback(w)?))
    }

    /// Outputs and the full Jacobian (`jacobian[i][j] = ∂yi/∂xj`) at `x`: one replay and one
    /// sweep per output.
    pub fn jacobian(&mut self, x: &[S]) -> Result<(Vec<S>, Vec<Vec<S>>), Error> {
        let y = self.replay(x)?.to_vec();
        Ok((y, self.jacobian_rows()))
    }

    /// The Jacobian at the current point, one sweep per output.
    pub(crate) fn jacobian_rows(&mut self) -> Vec<Vec<S>> {
        let mut seed = vec![S::zero(); self.outputs.len()];
        (0..self.outputs.len())
            .map(|i| {
                seed[i] = S::one();
                let mut row = vec![S::zero(); self.n_inputs];
                // Lengths match by construction.
                let _ = self.pullback_into(&seed, &mut row);
                seed[i] = S::zero();
                row
            })
            .collect()
    }
}

/// Forward replay of nodes `first..`: value and local partials of each node from its parents.
///
/// Most nodes consume the node just before them; that value is taken from a register rather
/// than reloaded, which keeps a store-to-load forwarding delay off the dependency chain.
#[inline(never)]
fn replay_ops<S: Real>(
    kinds: &[Kind],
    consts: &[S],
    nodes: &mut [Node<S>],
    values: &mut [S],
    first: usize,
) {
    let len = nodes.len();
    assert!(kinds.len() == len && values.len() == len && first >= 1);
    // Nodes before `first` are inputs (and node 0): they have no constants.
    let mut next_const = 0;
    let mut previous = values[first - 1];
    for i in first..len {
        // SAFETY: i < len = nodes.len() = kinds.len() = values.len(); parents are <= i and
        // `consts` holds one entry per node whose kind has a constant (`well_formed`).
        unsafe {
            let node = nodes.get_unchecked_mut(i);
            let [a, b] = node.parents.map(|p| p as usize);
            let load = |p: usize| {
                if p + 1 == i {
                    previous
                } else {
                    *values.get_unchecked(p)
                }
            };
            let c = || {
                let c = *consts.get_unchecked(next_const);
                next_const += 1;
                c
            };
            let (v, da, db) = kinds.get_unchecked(i).eval(load(a), load(b), c);
            *values.get_unchecked_mut(i) = v;
            node.partials = [da, db];
            previous = v;
        }
    }
}

/// Reverse sweep over nodes `first..`: pushes each adjoint to the parents.
///
/// The contribution to the node just below is carried in a register instead of going through
/// memory, for the same reason as in [`replay_ops`].
#[inline(never)]
pub(crate) fn sweep<S: Real>(nodes: &[Node<S>], adjoints: &mut [S], first: usize) {
    assert!(adjoints.len() == nodes.len() && first >= 1);
    // The pending contribution to the adjoint of node `i`.
    let mut carry = S::zero();
    for i in (first..nodes.len()).rev() {
        // SAFETY: i < nodes.len() = adjoints.len(), and parents are <= i (`well_formed`).
        unsafe {
            let g = *adjoints.get_unchecked(i) + carry;
            carry = S::zero();
            // Skipping zero adjoints keeps an unreached node's infinite partial from turning
            // its parents' adjoints into NaN (0 · inf), and saves work in sparse Jacobian
            // sweeps.
            if g.is_zero() {
                continue;
            }
            let Node { parents, partials } = *nodes.get_unchecked(i);
            for (p, w) in parents.into_iter().zip(partials) {
                if p as usize + 1 == i {
                    carry += g * w;
                } else {
                    *adjoints.get_unchecked_mut(p as usize) += g * w;
                }
            }
        }
    }
    adjoints[first - 1] += carry;
}

/// The invariants that make the unchecked indexing of `replay_ops` and `sweep` sound: every
/// parent index is at most its node's own index, and there is one constant per node whose kind
/// has one.
fn well_formed<S>(kinds: &[Kind], consts: &[S], nodes: &[Node<S>]) -> bool {
    kinds.len() == nodes.len()
        && kinds.iter().filter(|k| k.has_const()).count() == consts.len()
        && nodes
            .iter()
            .enumerate()
            .all(|(i, n)| n.parents.iter().all(|&p| p as usize <= i))
}
