//! The tape (Wengert list): a flat list of operations, each with at most two parents and its
//! local partial derivatives, plus the per-thread recording session that [`Var`](super::Var)
//! operations append to.
//!
//! Why the tape is thread-local is explained in the [parent module](super).

use std::cell::{Cell, RefCell};
use std::ptr;
use std::thread::LocalKey;

use crate::Real;
use crate::elementary::{Binary, Elementary};

/// Declares the flat node codes from one list, with their mapping from the elementary tables
/// and the evaluation formula, so that code, mapping and formula cannot drift apart.
macro_rules! kinds {
    (unary { $($u:ident),* } binary { $($b:ident / $rc:ident / $lc:ident),* }) => {
        /// What a node computes from its parents' values: one flat code (not nested enums) so
        /// that replay dispatches through a single jump table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Kind {
            /// An independent variable, whose value comes from the input vector (also the
            /// reserved node 0, which is never evaluated).
            Input,
            /// A fixed value `c`: a constant output.
            Const,
            /// `parent^n`, the exponent `n` kept in `c`.
            Powi,
            $($u,)*
            /// `op(parent0, parent1)`, `op(parent, c)`, `op(c, parent)`.
            $($b, $rc, $lc,)*
        }

        impl Kind {
            /// The code of a one-argument function (for `Powi`, the exponent goes in `c`).
            #[inline(always)]
            pub(crate) fn unary(e: Elementary) -> Self {
                match e {
                    Elementary::Powi(_) => Self::Powi,
                    $(Elementary::$u => Self::$u,)*
                }
            }
            /// The code of `op` on two taped operands, or with a constant right or left operand.
            #[inline(always)]
            pub(crate) fn binary(op: Binary, side: Operands) -> Self {
                match (op, side) {
                    $(
                        (Binary::$b, Operands::Both) => Self::$b,
                        (Binary::$b, Operands::ConstRhs) => Self::$rc,
                        (Binary::$b, Operands::ConstLhs) => Self::$lc,
                    )*
                }
            }
        }

        impl Kind {
            /// Whether the node keeps a constant operand (in [`TapeData::consts`]).
            #[inline(always)]
            pub(crate) fn has_const(self) -> bool {
                matches!(self, Self::Const | Self::Powi $(| Self::$rc | Self::$lc)*)
            }

            /// `(value, ∂/∂parent0, ∂/∂parent1)` from the parents' values `a`, `b` and, for
            /// the kinds that have one, the constant operand `c()`; the single formula used
            /// both while recording and when replaying.
            #[inline]
            pub(crate) fn eval<S: Real>(self, a: S, b: S, c: impl FnOnce() -> S) -> (S, S, S) {
                let zero = S::zero();
                let unary = |e: Elementary| {
                    let v = e.eval(a);
                    (v, e.d1(a, v), zero)
                };
                match self {
                    Self::Input => (a, zero, zero),
                    Self::Const => (c(), zero, zero),
                    Self::Powi => unary(Elementary::Powi(c().value() as i32)),
                    $(Self::$u => unary(Elementary::$u),)*
                    $(
                        Self::$b => {
                            let v = Binary::$b.eval(a, b);
                            let (da, db) = Binary::$b.d1(a, b, v);
                            (v, da, db)
                        }
                        Self::$rc => {
                            let c = c();
                            let v = Binary::$b.eval(a, c);
                            (v, Binary::$b.d1(a, c, v).0, zero)
                        }
                        Self::$lc => {
                            let c = c();
                            let v = Binary::$b.eval(c, a);
                            (v, Binary::$b.d1(c, a, v).1, zero)
                        }
                    )*
                }
            }
        }
    };
}

/// Which operands of a binary operation are on the tape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operands {
    Both,
    ConstRhs,
    ConstLhs,
}

kinds! {
    unary {
        Neg, Sin, Cos, Tan, Cot, Sec, Csc, Asin, Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh,
        Atanh, Exp, Ln, Sqrt, Abs, Signum, Square
    }
    binary {
        Add / AddC / CAdd, Sub / SubC / CSub, Mul / MulC / CMul, Div / DivC / CDiv,
        Powf / PowfC / CPowf, Atan2 / Atan2C / CAtan2
    }
}

/// What the reverse sweep needs of a node: its parents and the local partials ∂node/∂parent.
///
/// A node with fewer than two parents points the spare ones at itself with partial 0: its own
/// adjoint is never read again once the sweep has passed it, so the sweep needs no branch on
/// arity, and unlike a shared dummy slot this creates no chain of read-modify-writes through one
/// memory location.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<S> {
    pub(crate) parents: [u32; 2],
    pub(crate) partials: [S; 2],
}

/// The operations of one recording, as parallel arrays indexed by node; node 0 is reserved
/// (index 0 marks "no parent").
///
/// Kinds are one byte and constants live in their own array, read in order by the replay, so
/// that a large tape moves as few bytes as possible: replay and sweep are memory-bound beyond
/// the caches.
#[derive(Debug)]
pub struct TapeData<S> {
    /// Id of the recording (0: none active).
    pub(crate) id: u32,
    pub(crate) kinds: Vec<Kind>,
    /// The constant operands of the nodes whose kind [`has_const`](Kind::has_const), in node
    /// order.
    pub(crate) consts: Vec<S>,
    pub(crate) nodes: Vec<Node<S>>,
    /// Value and adjoint buffers of a [`Recording`](super::Recording), unused while recording
    /// but recycled with the tape.
    pub(crate) values: Vec<S>,
    pub(crate) adjoints: Vec<S>,
}

impl<S: Real> TapeData<S> {
    const fn empty() -> Self {
        Self {
            id: 0,
            kinds: Vec::new(),
            consts: Vec::new(),
            nodes: Vec::new(),
            values: Vec::new(),
            adjoints: Vec::new(),
        }
    }

    /// Empties all buffers, keeping their capacity.
    pub(crate) fn clear(&mut self) {
        self.kinds.clear();
        self.consts.clear();
        self.nodes.clear();
        self.values.clear();
        self.adjoints.clear();
    }

    /// Clears the tape for recording `id` and reserves node 0.
    fn start(&mut self, id: u32) {
        self.clear();
        self.id = id;
        self.push(Kind::Input, S::zero(), [0, 0], [S::zero(), S::zero()]);
    }

    /// Appends a node and returns its index; `c` is kept only if the kind has a constant.
    /// Parent 0 means "no parent": it is replaced by the node itself (see [`Node`]).
    #[inline(always)]
    pub(crate) fn push(&mut self, kind: Kind, c: S, parents: [u32; 2], partials: [S; 2]) -> u32 {
        let Ok(index) = u32::try_from(self.nodes.len()) else {
            panic!("a reverse-mode tape cannot hold more than 2^32 nodes");
        };
        let parents = parents.map(|p| if p == 0 { index } else { p });
        self.kinds.push(kind);
        if kind.has_const() {
            self.consts.push(c);
        }
        self.nodes.push(Node { parents, partials });
        index
    }
}

mod sealed {
    use super::*;

    pub trait Sealed: Sized + 'static {
        /// The active recording of this thread (null: none). A `Cell` of a raw pointer needs no
        /// destructor, so reaching it is a plain thread-local load: the hot path of every
        /// `Var` operation.
        fn active() -> &'static LocalKey<Cell<*mut TapeData<Self>>>;
        /// Buffers of a finished recording kept for the next one, so that recording in a loop
        /// neither reallocates nor page-faults.
        fn spare() -> &'static LocalKey<RefCell<Option<TapeData<Self>>>>;
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
            fn active() -> &'static LocalKey<Cell<*mut TapeData<Self>>> {
                thread_local! {
                    static ACTIVE: Cell<*mut TapeData<$t>> = const { Cell::new(ptr::null_mut()) };
                }
                &ACTIVE
            }
            fn spare() -> &'static LocalKey<RefCell<Option<TapeData<Self>>>> {
                thread_local! {
                    static SPARE: RefCell<Option<TapeData<$t>>> = const { RefCell::new(None) };
                }
                &SPARE
            }
        }
        impl TapeScalar for $t {}
    )*};
}

tape_scalar!(f64, crate::Dual<f64>);

/// This thread's active tape for scalar `S`, if a recording is active.
///
/// # Safety
///
/// The caller must not keep the reference beyond the current `Var` operation, nor create a
/// second one while it is alive, nor call user code while holding it.
#[inline(always)]
pub(crate) unsafe fn active_tape<'a, S: TapeScalar>() -> Option<&'a mut TapeData<S>> {
    let p = S::active().with(Cell::get);
    // SAFETY: a non-null pointer was set by the live `Session` that owns the boxed `TapeData`,
    // and is reset before that box is moved or dropped; it is thread-local and `Var` holds no
    // reference to it, so no other thread can reach it. Uniqueness is the caller's contract.
    unsafe { p.as_mut() }
}

/// Gives a finished recording's buffers back for reuse by the next recording on this thread.
pub(crate) fn recycle<S: TapeScalar>(mut data: TapeData<S>) {
    data.clear();
    let _ = S::spare().try_with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare
            .as_ref()
            .is_none_or(|s| s.nodes.capacity() < data.nodes.capacity())
        {
            *spare = Some(data);
        }
    });
}

/// Frees the tape buffers this thread keeps for reuse (those of its largest finished recording,
/// for each tape scalar type). Recording in a loop reuses them to avoid reallocating and
/// page-faulting; call this after a large one-off recording to give the memory back.
///
/// ```
/// use nabla_autodiff::{Real, gradient_reverse, reverse::free_recycled_buffers};
///
/// let x = vec![0.5; 100_000];
/// let (_, g) = gradient_reverse(|x| x.iter().fold(Real::zero(), |s, &xi| s + xi * xi), &x);
/// assert_eq!(g[0], 1.0);
/// free_recycled_buffers();
/// ```
pub fn free_recycled_buffers() {
    fn free<S: TapeScalar>() {
        let _ = S::spare().try_with(|spare| spare.borrow_mut().take());
    }
    free::<f64>();
    free::<crate::Dual<f64>>();
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// An active recording on this thread. Dropping it (also on unwinding) re-activates whatever
/// recording was active before, so recordings nest.
pub(crate) struct Session<S: TapeScalar> {
    /// From `Box::into_raw`; owned by the session and only ever reached through this pointer
    /// (here and via `active_tape`), never through a `Box` while it is active.
    data: *mut TapeData<S>,
    previous: *mut TapeData<S>,
}

impl<S: TapeScalar> Session<S> {
    pub(crate) fn begin() -> Self {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            // Skip 0, which marks constants.
            n.set(id.checked_add(1).unwrap_or(1));
            id
        });
        let spare = S::spare().with(|s| s.borrow_mut().take());
        let mut data = Box::new(spare.unwrap_or(TapeData::empty()));
        data.start(id);
        let data = Box::into_raw(data);
        let previous = S::active().with(|a| a.replace(data));
        Self { data, previous }
    }

    /// Runs `f` on the session's tape (which is this thread's active one).
    pub(crate) fn with<R>(&mut self, f: impl FnOnce(&mut TapeData<S>) -> R) -> R {
        // SAFETY: `data` is live until `finish`/`drop`; `&mut self` and the non-reentrancy of
        // `active_tape` (see there) make this the only reference for the duration of `f`.
        f(unsafe { &mut *self.data })
    }

    /// Ends the recording and hands over its nodes.
    pub(crate) fn finish(self) -> TapeData<S> {
        let this = std::mem::ManuallyDrop::new(self);
        S::active().with(|a| a.set(this.previous));
        // SAFETY: the pointer came from `Box::into_raw` and is no longer reachable: it was
        // just deactivated and `this` is never dropped.
        *unsafe { Box::from_raw(this.data) }
    }
}

impl<S: TapeScalar> Drop for Session<S> {
    fn drop(&mut self) {
        // Unwinding out of a recording: re-activate the outer tape, then free ours. `try_with`
        // because this may run during thread teardown.
        let _ = S::active().try_with(|a| a.set(self.previous));
        // SAFETY: as in `finish`.
        drop(unsafe { Box::from_raw(self.data) });
    }
}
