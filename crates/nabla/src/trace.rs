//! Tracing: a Rust function written once over [`Real`] (`fn f<T: Real>(x: &[T]) -> T`), run on
//! symbolic numbers, gives its expression in a [`Store`], to differentiate, print or compile like
//! a parsed one. Compiled with [`Program::value_and_gradient`](crate::compile::Program), the
//! function's gradient then runs as fast as nabla's compiled expressions, which a reverse-mode
//! tape replaying the same function cannot.
//!
//! Like a recorded tape, a trace follows one path through the function: comparisons (`<`, `>`)
//! are decided by the values at the point given, so the expression is the function wherever the
//! same branches are taken.
//!
//! Sums are kept as chains while tracing and built once at the end, so a loop `s += term` of n
//! steps costs O(n log n), not the O(n²) of canonicalising each partial sum.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use nabla_autodiff::Real;

use crate::number::Number;
use crate::store::{Func, Id, Store, Symbol};

/// A number being traced: its expression and its value at the traced point. It belongs to the
/// [`trace`] that made it: using it outside that call, or in another trace, panics.
#[derive(Copy, Clone, Debug)]
pub struct Traced {
    term: Term,
    value: f64,
    /// The trace it belongs to (see [`Tracer::id`]).
    trace: u64,
}

#[derive(Copy, Clone, Debug)]
enum Term {
    Expr(Id),
    /// A sum under construction: the last link of its chain in [`Tracer::links`].
    Sum(u32),
    /// `number · expression`, kept apart until the product is complete: canonical form
    /// distributes a number over a sum, so `(100·a)·a` built step by step would become
    /// `(100·a)·a` with `100·a` expanded, not `100·a²`.
    Scaled(Id, Id),
}

/// One term of a sum under construction and the link before it.
struct Link {
    previous: Option<u32>,
    term: Id,
}

/// The store and the sums under construction of the trace running on this thread.
struct Tracer {
    /// A number no other trace on this thread has had.
    id: u64,
    store: Store,
    links: Vec<Link>,
    /// Per link, the sum it ends, once built.
    built: Vec<Option<Id>>,
}

thread_local! {
    static TRACER: RefCell<Option<Tracer>> = const { RefCell::new(None) };
    static TRACES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs `f` on symbolic inputs (the symbols `inputs`, valued at `point`) and returns the
/// expression of its result and its value at `point`.
///
/// ```
/// use nabla::{print::to_text, trace::trace, Store};
/// use nabla_autodiff::Real;
///
/// fn f<T: Real>(x: &[T]) -> T {
///     x[0] * x[0] + T::from_f64(3.0) * x[0] * x[1] - T::from_f64(2.0) * x[1] * x[1]
/// }
/// let mut s = Store::new();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let (expr, value) = trace(&mut s, &vars, &[1.0, 2.0], |x| f(x));
/// assert_eq!(to_text(&s, expr), "x**2 + 3*x*y - 2*y**2");
/// assert_eq!(value, -1.0);
/// ```
///
/// # Panics
/// When `inputs` and `point` differ in length, or when `f` itself traces (traces do not nest).
pub fn trace(
    store: &mut Store,
    inputs: &[Symbol],
    point: &[f64],
    f: impl FnOnce(&[Traced]) -> Traced,
) -> (Id, f64) {
    assert_eq!(inputs.len(), point.len(), "one value per input");
    let id = TRACES.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    let x: Vec<Traced> = inputs
        .iter()
        .zip(point)
        .map(|(&s, &value)| {
            let name = store.symbol_name(s).to_string();
            Traced {
                term: Term::Expr(store.symbol(&name)),
                value,
                trace: id,
            }
        })
        .collect();
    // The store moves into the thread's tracer for the trace and back after it, even if `f`
    // panics.
    struct Restore<'a>(&'a mut Store);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            if let Some(tracer) = TRACER.with(|t| t.borrow_mut().take()) {
                *self.0 = tracer.store;
            }
        }
    }
    TRACER.with(|t| {
        let mut slot = t.borrow_mut();
        assert!(slot.is_none(), "traces do not nest");
        *slot = Some(Tracer {
            id,
            store: std::mem::take(store),
            links: Vec::new(),
            built: Vec::new(),
        });
    });
    let restore = Restore(store);
    let result = f(&x);
    let expr = with_tracer(&[result], |t| t.expr(result.term));
    drop(restore);
    (expr, result.value)
}

/// Runs `work` on this thread's tracer, after checking that `operands` belong to it.
fn with_tracer<R>(operands: &[Traced], work: impl FnOnce(&mut Tracer) -> R) -> R {
    TRACER.with(|t| {
        let mut slot = t.borrow_mut();
        let tracer = slot
            .as_mut()
            .filter(|t| operands.iter().all(|x| x.trace == t.id))
            .expect("a traced number is used only inside the `trace` that made it");
        work(tracer)
    })
}

/// A new traced number: `value`, with the term `work` builds from `operands`.
fn traced(operands: &[Traced], value: f64, work: impl FnOnce(&mut Tracer) -> Term) -> Traced {
    with_tracer(operands, |t| Traced {
        term: work(t),
        value,
        trace: t.id,
    })
}

impl Tracer {
    /// The expression of `term`, building a sum under construction (once).
    fn expr(&mut self, term: Term) -> Id {
        let last = match term {
            Term::Expr(id) => return id,
            Term::Scaled(c, e) => return self.store.mul(vec![c, e]),
            Term::Sum(last) => last,
        };
        if let Some(id) = self.built[last as usize] {
            return id;
        }
        let mut terms = Vec::new();
        let mut link = Some(last);
        while let Some(i) = link {
            if let Some(id) = self.built[i as usize] {
                terms.push(id);
                break;
            }
            terms.push(self.links[i as usize].term);
            link = self.links[i as usize].previous;
        }
        terms.reverse();
        let id = self.store.add(terms);
        self.built[last as usize] = Some(id);
        id
    }

    fn link(&mut self, previous: Option<u32>, term: Id) -> u32 {
        self.links.push(Link { previous, term });
        self.built.push(None);
        (self.links.len() - 1) as u32
    }

    /// `a + b`, extending a sum under construction where there is one.
    fn add(&mut self, a: Term, b: Term) -> Term {
        let (chain, other) = match (a, b) {
            (Term::Sum(last), other) | (other, Term::Sum(last)) => (last, other),
            (a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                let first = self.link(None, a);
                return Term::Sum(self.link(Some(first), b));
            }
        };
        let other = self.expr(other);
        Term::Sum(self.link(Some(chain), other))
    }

    /// `a · b`, keeping numbers apart from the rest of the product.
    fn mul(&mut self, a: Term, b: Term) -> Term {
        let (ca, ea) = self.scaled(a);
        let (cb, eb) = self.scaled(b);
        let coefficient = match (ca, cb) {
            (Some(c), None) | (None, Some(c)) => Some(c),
            (Some(c), Some(d)) => Some(self.store.mul(vec![c, d])),
            (None, None) => None,
        };
        let rest = match (ea, eb) {
            (Some(e), None) | (None, Some(e)) => Some(e),
            (Some(e), Some(f)) => Some(self.store.mul(vec![e, f])),
            (None, None) => None,
        };
        match (coefficient, rest) {
            (Some(c), Some(e)) => Term::Scaled(c, e),
            (Some(x), None) | (None, Some(x)) => Term::Expr(x),
            (None, None) => unreachable!("a product has factors"),
        }
    }

    /// A term as its numeric coefficient and the rest, either possibly absent.
    fn scaled(&mut self, term: Term) -> (Option<Id>, Option<Id>) {
        match term {
            Term::Scaled(c, e) => (Some(c), Some(e)),
            _ => {
                let id = self.expr(term);
                if self.store.as_number(id).is_some() {
                    (Some(id), None)
                } else {
                    (None, Some(id))
                }
            }
        }
    }

    fn unary(&mut self, a: Term, build: impl FnOnce(&mut Store, Id) -> Id) -> Term {
        let a = self.expr(a);
        Term::Expr(build(&mut self.store, a))
    }

    fn binary(&mut self, a: Term, b: Term, build: impl FnOnce(&mut Store, Id, Id) -> Id) -> Term {
        let (a, b) = (self.expr(a), self.expr(b));
        Term::Expr(build(&mut self.store, a, b))
    }
}

impl Traced {
    fn unary(self, value: f64, build: impl FnOnce(&mut Store, Id) -> Id) -> Traced {
        traced(&[self], value, |t| t.unary(self.term, build))
    }

    fn binary(
        self,
        other: Traced,
        value: f64,
        build: impl FnOnce(&mut Store, Id, Id) -> Id,
    ) -> Traced {
        traced(&[self, other], value, |t| {
            t.binary(self.term, other.term, build)
        })
    }

    fn call(self, f: Func) -> Traced {
        self.unary(f.apply(self.value), |s, a| s.call(f, vec![a]))
    }
}

impl PartialEq for Traced {
    /// Compares the values at the traced point, like the branches of the traced function.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl PartialOrd for Traced {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl Add for Traced {
    type Output = Traced;
    fn add(self, other: Traced) -> Traced {
        traced(&[self, other], self.value + other.value, |t| {
            t.add(self.term, other.term)
        })
    }
}

impl Sub for Traced {
    type Output = Traced;
    fn sub(self, other: Traced) -> Traced {
        self + -other
    }
}

impl Mul for Traced {
    type Output = Traced;
    fn mul(self, other: Traced) -> Traced {
        traced(&[self, other], self.value * other.value, |t| {
            t.mul(self.term, other.term)
        })
    }
}

impl Div for Traced {
    type Output = Traced;
    fn div(self, other: Traced) -> Traced {
        self.binary(other, self.value / other.value, Store::div)
    }
}

impl Neg for Traced {
    type Output = Traced;
    fn neg(self) -> Traced {
        let minus_one = Traced::from_f64(-1.0);
        traced(&[self], -self.value, |t| t.mul(minus_one.term, self.term))
    }
}

macro_rules! assign_ops {
    ($($trait:ident $method:ident $op:tt),*) => {$(
        impl $trait for Traced {
            fn $method(&mut self, other: Traced) {
                *self = *self $op other;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl Real for Traced {
    /// An integer stays exact (`2.0` is `2`); any other value is a float.
    fn from_f64(x: f64) -> Self {
        traced(&[], x, |t| {
            let exact = x.fract() == 0.0 && x.abs() < 2f64.powi(53);
            let n = if exact {
                Number::int(x as i64)
            } else {
                Number::float(x)
            };
            Term::Expr(t.store.number(n))
        })
    }
    fn value(&self) -> f64 {
        self.value
    }
    fn is_zero(&self) -> bool {
        let term = self.term;
        self.value == 0.0 && with_tracer(&[*self], |t| t.expr(term) == t.store.int(0))
    }
    fn sin(self) -> Self {
        self.call(Func::Sin)
    }
    fn cos(self) -> Self {
        self.call(Func::Cos)
    }
    fn tan(self) -> Self {
        self.call(Func::Tan)
    }
    fn cot(self) -> Self {
        self.call(Func::Cot)
    }
    fn sec(self) -> Self {
        self.call(Func::Sec)
    }
    fn csc(self) -> Self {
        self.call(Func::Csc)
    }
    fn asin(self) -> Self {
        self.call(Func::Asin)
    }
    fn acos(self) -> Self {
        self.call(Func::Acos)
    }
    fn atan(self) -> Self {
        self.call(Func::Atan)
    }
    fn sinh(self) -> Self {
        self.call(Func::Sinh)
    }
    fn cosh(self) -> Self {
        self.call(Func::Cosh)
    }
    fn tanh(self) -> Self {
        self.call(Func::Tanh)
    }
    fn asinh(self) -> Self {
        self.call(Func::Asinh)
    }
    fn acosh(self) -> Self {
        self.call(Func::Acosh)
    }
    fn atanh(self) -> Self {
        self.call(Func::Atanh)
    }
    fn exp(self) -> Self {
        self.call(Func::Exp)
    }
    fn ln(self) -> Self {
        self.call(Func::Log)
    }
    fn sqrt(self) -> Self {
        self.unary(self.value.sqrt(), Store::sqrt)
    }
    fn abs(self) -> Self {
        self.call(Func::Abs)
    }
    fn signum(self) -> Self {
        self.call(Func::Sign)
    }
    fn powf(self, other: Self) -> Self {
        self.binary(other, Real::powf(self.value, other.value), Store::pow)
    }
    fn powi(self, n: i32) -> Self {
        self.unary(self.value.powi(n), |s, a| {
            let n = s.int(n as i64);
            s.pow(a, n)
        })
    }
    fn atan2(self, x: Self) -> Self {
        self.binary(x, self.value.atan2(x.value), |s, y, x| {
            s.call(Func::Atan2, vec![y, x])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Program;
    use crate::eval::evaluate;
    use crate::parse;
    use crate::testing::expression;
    use nabla_autodiff::test_functions::rosenbrock;
    use proptest::prelude::*;

    #[test]
    fn a_traced_loop_is_the_parsed_expression() {
        let n = 2_000;
        let mut s = Store::new();
        let vars: Vec<Symbol> = (1..=n).map(|i| s.symbol_id(&format!("x{i}"))).collect();
        let point: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
        let (traced, value) = trace(&mut s, &vars, &point, rosenbrock);
        let text: Vec<String> = (1..n)
            .map(|i| format!("100*(x{} - x{i}^2)^2 + (1 - x{i})^2", i + 1))
            .collect();
        let parsed = parse(&mut s, &text.join(" + ")).unwrap();
        // `sum = 0 + …` folds away, and hash-consing makes equal expressions one id.
        assert_eq!(traced, parsed);
        assert!((value - rosenbrock(&point)).abs() <= 1e-12 * value.abs());
    }

    #[test]
    fn the_store_comes_back_after_a_panic() {
        let mut s = Store::new();
        let x = s.symbol_id("x");
        let before = s.len();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            trace(&mut s, &[x], &[1.0], |x| {
                let y = x[0].sin();
                panic!("inside the traced function: {y:?}")
            })
        }));
        assert!(caught.is_err());
        assert!(
            s.len() > before,
            "the nodes traced before the panic are kept"
        );
        let (e, _) = trace(&mut s, &[x], &[1.0], |x| x[0] + x[0]);
        assert_eq!(crate::print::to_text(&s, e), "2*x");
    }

    #[test]
    fn a_traced_number_from_another_trace_is_refused() {
        let mut s = Store::new();
        let x = s.symbol_id("x");
        let mut kept = None;
        trace(&mut s, &[x], &[1.0], |x| {
            kept = Some(x[0] + x[0]);
            x[0]
        });
        let kept = kept.unwrap();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            trace(&mut s, &[x], &[1.0], |x| x[0] + kept)
        }));
        assert!(caught.is_err());
        // And the store is whole again.
        let (e, _) = trace(&mut s, &[x], &[2.0], |x| x[0] * x[0]);
        assert_eq!(crate::print::to_text(&s, e), "x**2");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Tracing a compiled program over `Traced` gives an expression with the same value and
        /// the same gradient as the one compiled.
        #[test]
        fn tracing_a_program_gives_back_its_function(
            e in expression(),
            px in 0.3f64..1.7, py in 0.3f64..1.7, pz in 0.3f64..1.7,
        ) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let vars = [s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z")];
            let program = Program::compile(&s, &[f], &vars).unwrap();
            let point = [px, py, pz];
            let (g, value) = trace(&mut s, &vars, &point, |x| program.eval_first(x));
            let bindings = vars.iter().copied().zip(point).collect();
            let exact = evaluate(&s, f, &bindings).unwrap();
            prop_assume!(exact.is_finite() && exact.abs() < 1e8);
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            prop_assert!(close(value, exact), "{}: value {} vs {}", e, value, exact);
            prop_assert!(close(evaluate(&s, g, &bindings).unwrap(), exact), "{}", e);
            for &v in &vars {
                let (dg, df) = (s.diff(g, v), s.diff(f, v));
                let (dg, df) = (evaluate(&s, dg, &bindings).unwrap(), evaluate(&s, df, &bindings).unwrap());
                prop_assume!(df.is_finite() && df.abs() < 1e8);
                prop_assert!(close(dg, df), "{}: {} vs {}", e, dg, df);
            }
        }
    }
}
