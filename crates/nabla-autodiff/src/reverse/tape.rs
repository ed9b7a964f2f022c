//! The tape (Wengert list): a flat list of operations, each with at most two parents and its
//! local partial derivatives, plus the per-thread recording session that [`Var`](super::Var)
//! operations append to.
//!
//! # Why a thread-local tape
//!
//! `Var` arithmetic (`a + b`, `a.sin()`) has no argument through which to pass a tape, so either
//! every `Var` carries a reference to its tape or the tape is reached through a thread-local.
//! A reference brings a lifetime, `Var<'t>`, and a function written once as
//! `fn f<T: Real>(x: &[T]) -> T` can then not be passed by name to a driver that needs
//! `for<'t> Fn(&[Var<'t>]) -> Var<'t>` (a generic `fn` item is instantiated at one type, not at
//! every lifetime). With a thread-local, `Var` is a plain `Copy` value of 16 bytes (for `f64`)
//! and `gradient_reverse(f, &x)` just works. The cost is paid in checks instead of types: each
//! `Var` carries the id of the recording that made it, and an operation on a `Var` whose
//! recording is not the active one on this thread panics with a clear message instead of
//! silently indexing the wrong tape. Recordings nest: starting one stashes the active tape and
//! finishing it restores it.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::Real;
use crate::elementary::{Binary, Elementary};

/// What a node computes from its parents' values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    /// An independent variable; its value comes from the input vector.
    Input,
    /// A fixed value `c` (a constant output, or the sink node 0).
    Const,
    Unary(Elementary),
    Binary(Binary),
    /// `op(parent, c)`.
    ConstRhs(Binary),
    /// `op(c, parent)`.
    ConstLhs(Binary),
}

/// The replay half of a node: what to recompute on new inputs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Op<S> {
    pub(crate) kind: Kind,
    pub(crate) c: S,
}

/// The sweep half of a node: parents and the local partials ∂node/∂parent.
///
/// A node with fewer than two parents points the spare ones at node 0, the sink, with partial 0;
/// the sink's adjoint is never read, so the reverse sweep needs no branch on arity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<S> {
    pub(crate) parents: [u32; 2],
    pub(crate) partials: [S; 2],
}

impl<S: Real> Op<S> {
    /// `(value, ∂/∂parent0, ∂/∂parent1)` from the parents' values `a`, `b`; the single formula
    /// used both while recording and when replaying.
    #[inline(always)]
    pub(crate) fn eval(self, a: S, b: S) -> (S, S, S) {
        let zero = S::zero();
        match self.kind {
            Kind::Input | Kind::Const => (self.c, zero, zero),
            Kind::Unary(e) => {
                let v = e.eval(a);
                (v, e.d1(a, v), zero)
            }
            Kind::Binary(op) => {
                let v = op.eval(a, b);
                let (da, db) = op.d1(a, b, v);
                (v, da, db)
            }
            Kind::ConstRhs(op) => {
                let v = op.eval(a, self.c);
                (v, op.d1(a, self.c, v).0, zero)
            }
            Kind::ConstLhs(op) => {
                let v = op.eval(self.c, a);
                (v, op.d1(self.c, a, v).1, zero)
            }
        }
    }
}

/// The operations of one recording, node 0 being the sink.
#[derive(Debug)]
pub struct TapeData<S> {
    /// Id of the recording (0: none active).
    pub(crate) id: u32,
    pub(crate) ops: Vec<Op<S>>,
    pub(crate) nodes: Vec<Node<S>>,
}

impl<S: Real> TapeData<S> {
    const fn empty() -> Self {
        Self {
            id: 0,
            ops: Vec::new(),
            nodes: Vec::new(),
        }
    }

    fn start(id: u32) -> Self {
        let mut t = Self {
            id,
            ops: Vec::new(),
            nodes: Vec::new(),
        };
        t.push(
            Op {
                kind: Kind::Const,
                c: S::zero(),
            },
            [0, 0],
            [S::zero(), S::zero()],
        );
        t
    }

    /// Appends a node and returns its index.
    #[inline(always)]
    pub(crate) fn push(&mut self, op: Op<S>, parents: [u32; 2], partials: [S; 2]) -> u32 {
        let Ok(index) = u32::try_from(self.nodes.len()) else {
            panic!("a reverse-mode tape cannot hold more than 2^32 nodes");
        };
        self.ops.push(op);
        self.nodes.push(Node { parents, partials });
        index
    }
}

mod sealed {
    use super::*;

    pub trait Sealed: Sized + 'static {
        fn tape() -> &'static LocalKey<RefCell<TapeData<Self>>>;
    }
}

/// A scalar type a reverse-mode tape can record: `f64`, and `Dual<f64>` for
/// forward-over-reverse second derivatives.
///
/// Each tape scalar has its own thread-local tape, which is why the set is closed.
pub trait TapeScalar: Real + sealed::Sealed {}

macro_rules! tape_scalar {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {
            fn tape() -> &'static LocalKey<RefCell<TapeData<Self>>> {
                thread_local! {
                    static TAPE: RefCell<TapeData<$t>> = const { RefCell::new(TapeData::empty()) };
                }
                &TAPE
            }
        }
        impl TapeScalar for $t {}
    )*};
}

tape_scalar!(f64, crate::Dual<f64>);

/// Runs `f` on this thread's active tape for scalar `S`.
#[inline(always)]
pub(crate) fn with_tape<S: TapeScalar, R>(f: impl FnOnce(&mut TapeData<S>) -> R) -> R {
    S::tape().with(|t| f(&mut t.borrow_mut()))
}

thread_local! {
    static NEXT_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

/// An active recording on this thread. Dropping it (also on unwinding) restores whatever
/// recording was active before, so recordings nest.
pub(crate) struct Session<S: TapeScalar> {
    previous: Option<TapeData<S>>,
}

impl<S: TapeScalar> Session<S> {
    pub(crate) fn begin() -> Self {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            // Skip 0, which marks constants.
            n.set(id.checked_add(1).unwrap_or(1));
            id
        });
        let previous = with_tape(|t: &mut TapeData<S>| std::mem::replace(t, TapeData::start(id)));
        Self {
            previous: Some(previous),
        }
    }

    /// Ends the recording and hands over its nodes.
    pub(crate) fn finish(mut self) -> TapeData<S> {
        let previous = self.previous.take().unwrap_or(TapeData::empty());
        with_tape(|t: &mut TapeData<S>| std::mem::replace(t, previous))
    }
}

impl<S: TapeScalar> Drop for Session<S> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            // Unwinding out of a recording: put the outer tape back. `try_with` because this
            // may run during thread teardown.
            let _ = S::tape().try_with(|t| *t.borrow_mut() = previous);
        }
    }
}
