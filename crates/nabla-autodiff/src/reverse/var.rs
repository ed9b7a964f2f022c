//! [`Var`]: the reverse-mode number, a value plus the index of the tape node that made it.

use super::tape::{Kind, Operands, TapeData, TapeScalar, active_tape};
use crate::chain::{Chain, impl_real_via_chain};
use crate::elementary::{Binary, Elementary};

/// A reverse-mode variable: every operation on taped `Var`s appends one node to the active
/// recording of this thread (see [`Recording`](super::Recording)).
///
/// Constants (`Var::from_f64`) are not on the tape; an operation between a constant and a taped
/// `Var` records one node that keeps the constant inline, so constants cost no nodes.
///
/// # Panics
///
/// Using a `Var` after its recording has finished, or mixing `Var`s of two recordings, panics:
/// the alternative would be silently reading another tape.
#[derive(Clone, Copy, Debug)]
pub struct Var<S: TapeScalar = f64> {
    value: S,
    index: u32,
    /// Id of the recording that made the node, 0 for a constant.
    tape: u32,
}

impl<S: TapeScalar> Var<S> {
    /// The value in the tape's scalar type (for `Var<Dual<f64>>`, value and tangent).
    pub fn scalar(&self) -> S {
        self.value
    }

    pub(crate) fn input(t: &mut TapeData<S>, value: S) -> Self {
        let index = t.push(Kind::Input, value, [0, 0], [S::zero(); 2]);
        Self {
            value,
            index,
            tape: t.id,
        }
    }

    /// The tape node of this `Var` in recording `id`; a constant gets a `Const` node.
    pub(crate) fn node_in(self, t: &mut TapeData<S>) -> u32 {
        if self.tape == 0 {
            t.push(Kind::Const, self.value, [0, 0], [S::zero(); 2])
        } else {
            check_recording(self.tape, t.id);
            self.index
        }
    }

    /// Appends the node `kind(a, b)` (constant operand `c`) to recording `tape`.
    #[inline(always)]
    fn record(kind: Kind, c: S, parents: [u32; 2], a: S, b: S, tape: u32) -> Self {
        let (value, da, db) = kind.eval(a, b, || c);
        // SAFETY: the reference lives for this push only, which runs no user code.
        let Some(t) = (unsafe { active_tape::<S>() }) else {
            misuse()
        };
        check_recording(tape, t.id);
        let index = t.push(kind, c, parents, [da, db]);
        Self { value, index, tape }
    }
}

#[inline(always)]
fn check_recording(var: u32, active: u32) {
    if var != active {
        misuse()
    }
}

#[cold]
#[inline(never)]
fn misuse() -> ! {
    panic!(
        "a nabla_autodiff::Var was used outside the recording that created it \
             (its recording has finished, or Vars of two recordings were mixed)"
    )
}

impl<S: TapeScalar> Chain for Var<S> {
    #[inline(always)]
    fn constant(x: f64) -> Self {
        Self {
            value: S::from_f64(x),
            index: 0,
            tape: 0,
        }
    }
    #[inline(always)]
    fn primal(&self) -> f64 {
        self.value.value()
    }
    #[inline(always)]
    fn all_zero(&self) -> bool {
        self.tape == 0 && self.value.is_zero()
    }
    #[inline(always)]
    fn negate(self) -> Self {
        self.unary(Elementary::Neg)
    }
    #[inline(always)]
    fn unary(self, e: Elementary) -> Self {
        if self.tape == 0 {
            return Self {
                value: e.eval(self.value),
                ..self
            };
        }
        let c = match e {
            Elementary::Powi(n) => S::from_f64(n as f64),
            _ => S::zero(),
        };
        Self::record(
            Kind::unary(e),
            c,
            [self.index, 0],
            self.value,
            S::zero(),
            self.tape,
        )
    }
    #[inline(always)]
    fn binary(self, op: Binary, rhs: Self) -> Self {
        let zero = S::zero();
        match (self.tape, rhs.tape) {
            (0, 0) => Self {
                value: op.eval(self.value, rhs.value),
                ..self
            },
            (a, 0) => {
                let kind = Kind::binary(op, Operands::ConstRhs);
                Self::record(kind, rhs.value, [self.index, 0], self.value, zero, a)
            }
            (0, b) => {
                let kind = Kind::binary(op, Operands::ConstLhs);
                Self::record(kind, self.value, [rhs.index, 0], rhs.value, zero, b)
            }
            // One parent instead of the same parent twice: half the sweep work, and no
            // read-after-write of one adjoint within a node.
            (_, _) if op == Binary::Mul && self.index == rhs.index && self.tape == rhs.tape => {
                self.unary(Elementary::Square)
            }
            (a, b) => {
                check_recording(a, b);
                let kind = Kind::binary(op, Operands::Both);
                Self::record(
                    kind,
                    zero,
                    [self.index, rhs.index],
                    self.value,
                    rhs.value,
                    a,
                )
            }
        }
    }
}

impl_real_via_chain!([S: TapeScalar] Var<S>);
