//! Compiled expressions (nabla's `lambdify`): a flat, register-based program that evaluates
//! several expressions at once, each common subexpression once.
//!
//! Because the store is hash-consed, every distinct subexpression of the roots becomes exactly one
//! instruction, so compiling `[f, ∂f/∂x, ∂f/∂y]` shares whatever the derivatives share with `f`. The
//! program runs over any [`Real`] number: `f64` for values, dual numbers for forward mode, tape
//! variables for reverse mode. An [`Evaluator`] keeps its registers, so evaluating at many points
//! allocates nothing per point.
//!
//! A large sum whose terms repeat one shape (`Σᵢ g(xᵢ, xᵢ₊₁)`) compiles that shape once and runs
//! it over blocks of terms (module `batch`). Over `f64`, large batches run as SIMD loops in machine
//! code (module `avx`: eight or four lanes with AVX-512 or AVX2 on x86-64; module `native`, with
//! Cranelift, elsewhere and for the other templates), and an evaluator that has run a program
//! often enough compiles its instructions to machine code too (module `native`).

#[cfg(target_arch = "x86_64")]
mod avx;
mod batch;
mod native;

use std::any::TypeId;
use std::sync::{Arc, OnceLock};

use nabla_autodiff::Real;
use rustc_hash::FxHashMap;

use crate::calculus::adjoint_gradient;
use crate::eval::MissingBinding;
use crate::number::{Number, Rational};
use crate::store::{Func, Id, Node, Store, Symbol};
use batch::Batch;
use native::NativeProgram;

/// One instruction; operands are earlier registers.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Const(f64),
    Input(u32),
    Add(u32, u32),
    Sub(u32, u32),
    Mul(u32, u32),
    Neg(u32),
    Recip(u32),
    Sqrt(u32),
    Square(u32),
    Powi(u32, i32),
    Powf(u32, u32),
    Call(Func, u32),
    Atan2(u32, u32),
}

/// A compiled list of expressions over a fixed list of input symbols.
///
/// ```
/// use nabla::{compile::Program, parse, Store};
/// let mut s = Store::new();
/// let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// let vars = [s.symbol_id("x"), s.symbol_id("y")];
/// let p = Program::value_and_gradient(&mut s, f, &vars).unwrap();
/// let mut out = [0.0; 3];
/// p.evaluator().eval(&[1.0, 2.0], &mut out);
/// assert_eq!(out, [-1.0, 8.0, -5.0]); // f, ∂f/∂x, ∂f/∂y at (1, 2)
/// ```
#[derive(Clone, Debug)]
pub struct Program {
    inputs: usize,
    ops: Vec<Op>,
    outputs: Vec<u32>,
    /// The outputs as runs of one register, `(end of the run, register)`: a gradient's many
    /// entries that are the same constant are filled rather than copied one by one. Register
    /// [`LEFT_TO_BATCH`] marks entries a batch writes.
    runs: Vec<(u32, u32)>,
    /// Terms of the first output run as batches, added to it after the flat instructions.
    batches: Vec<Batch>,
    /// Whether outputs `1..` are the gradient of output 0, which batches then add to.
    gradient: bool,
    /// The flat instructions in machine code, made on demand (see [`Evaluator`]).
    native: OnceLock<Option<Arc<NativeProgram>>>,
}

impl Program {
    /// Compiles `roots` as functions of `inputs` (in that order). Every free symbol of the roots
    /// must be an input.
    pub fn compile(
        store: &Store,
        roots: &[Id],
        inputs: &[Symbol],
    ) -> Result<Program, MissingBinding> {
        let &[f] = roots else {
            return Program::flat(store, roots, inputs);
        };
        let split = batch::split_sum(store, f, inputs);
        if split.groups.is_empty() {
            return Program::flat(store, roots, inputs);
        }
        let mut batches = Vec::with_capacity(split.groups.len());
        for group in split.groups {
            let mut template = Program::flat(store, &group.representatives, &group.symbols)?;
            template.sum_outputs();
            batches.push(group.with_template(template));
        }
        let mut program = Program::flat(store, &split.rest, inputs)?;
        program.sum_outputs();
        program.batches = batches;
        Ok(program)
    }

    /// `[f, ∂f/∂v₁, …, ∂f/∂vₙ]` as one program.
    pub fn value_and_gradient(
        store: &mut Store,
        f: Id,
        vars: &[Symbol],
    ) -> Result<Program, MissingBinding> {
        let split = batch::split_sum(store, f, vars);
        let mut batches = Vec::with_capacity(split.groups.len());
        for group in split.groups {
            let term = store.add(group.representatives.clone());
            let template = Program::flat_value_and_gradient(store, term, &group.symbols)?;
            batches.push(group.with_template(template));
        }
        let rest = store.add(split.rest);
        let mut program = Program::flat_value_and_gradient(store, rest, vars)?;
        program.batches = batches;
        program.gradient = true;
        program.leave_gradient_to_batch();
        Ok(program)
    }

    /// A lone batch whose gradient entries the flat instructions leave at zero writes them
    /// itself (over `f64`): they are not filled first, nor read back by its loop.
    fn leave_gradient_to_batch(&mut self) {
        let (ops, outputs) = (&self.ops, &self.outputs);
        let [batch] = &mut self.batches[..] else {
            return;
        };
        let Some(entries) = batch.writable_entries() else {
            return;
        };
        let zero = |i: usize| matches!(ops[outputs[1 + i] as usize], Op::Const(c) if c == 0.0);
        if !entries.clone().all(zero) {
            return;
        }
        batch.write_gradient();
        let marked: Vec<u32> = outputs
            .iter()
            .enumerate()
            .map(|(o, &k)| match entries.contains(&o.wrapping_sub(1)) {
                true => LEFT_TO_BATCH,
                false => k,
            })
            .collect();
        self.runs = runs(&marked);
    }

    fn flat_value_and_gradient(
        store: &mut Store,
        f: Id,
        vars: &[Symbol],
    ) -> Result<Program, MissingBinding> {
        let mut roots = vec![f];
        roots.extend(adjoint_gradient(store, f, vars));
        Program::flat(store, &roots, vars)
    }

    /// Replaces the outputs by one output, their sum.
    fn sum_outputs(&mut self) {
        let mut terms = std::mem::take(&mut self.outputs).into_iter();
        let mut sum = match terms.next() {
            Some(first) => first,
            None => {
                self.ops.push(Op::Const(0.0));
                (self.ops.len() - 1) as u32
            }
        };
        for t in terms {
            self.ops.push(Op::Add(sum, t));
            sum = (self.ops.len() - 1) as u32;
        }
        self.outputs = vec![sum];
        self.runs = runs(&self.outputs);
    }

    /// One instruction per distinct subexpression of the roots, no batches.
    fn flat(store: &Store, roots: &[Id], inputs: &[Symbol]) -> Result<Program, MissingBinding> {
        let input_index: FxHashMap<Symbol, u32> = inputs
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i as u32))
            .collect();
        let mut builder = Builder {
            ops: Vec::new(),
            consts: FxHashMap::default(),
            emitted: FxHashMap::default(),
        };
        let mut reg: FxHashMap<Id, u32> = FxHashMap::default();
        // Numbers are emitted where they are used, so an exponent folded into `powi` costs nothing.
        let operand = |builder: &mut Builder, reg: &FxHashMap<Id, u32>, id: Id| match store.node(id)
        {
            Node::Number(n) => builder.constant(n.to_f64()),
            Node::Constant(c) => builder.constant(c.value()),
            _ => reg[&id],
        };
        for id in store.postorder_many(roots) {
            let r = match store.node(id) {
                Node::Number(_) | Node::Constant(_) => continue,
                Node::Symbol(s) => {
                    let &i = input_index
                        .get(s)
                        .ok_or_else(|| MissingBinding(store.symbol_name(*s).to_string()))?;
                    builder.push(Op::Input(i))
                }
                Node::Add(terms) => {
                    if let Some((scale, u)) = scaled_sum(store, &reg, terms) {
                        let c = builder.constant(scale);
                        builder.push(Op::Mul(c, u))
                    } else {
                        // Positive terms first, then each negated one subtracted: `b − a²`
                        // costs one instruction, not a negation and an addition.
                        let (negated, positive): (Vec<Id>, Vec<Id>) = terms
                            .iter()
                            .partition(|&&t| negated_factors(store, t).is_some());
                        let regs: Vec<u32> = positive
                            .iter()
                            .map(|&t| operand(&mut builder, &reg, t))
                            .collect();
                        let mut sum = regs.into_iter().reduce(|a, b| builder.push(Op::Add(a, b)));
                        for t in negated {
                            let factors = negated_factors(store, t).expect("partitioned");
                            let regs: Vec<u32> = factors
                                .iter()
                                .map(|&f| operand(&mut builder, &reg, f))
                                .collect();
                            let p = builder.fold(regs.into_iter(), Op::Mul);
                            sum = Some(match sum {
                                Some(s) => builder.push(Op::Sub(s, p)),
                                None => builder.push(Op::Neg(p)),
                            });
                        }
                        sum.expect("sums have terms")
                    }
                }
                Node::Mul(factors) => {
                    let negated = negated_factors(store, id);
                    let regs: Vec<u32> = negated
                        .unwrap_or(factors)
                        .iter()
                        .map(|&f| operand(&mut builder, &reg, f))
                        .collect();
                    let p = builder.fold(regs.into_iter(), Op::Mul);
                    if negated.is_some() {
                        builder.push(Op::Neg(p))
                    } else {
                        p
                    }
                }
                Node::Pow(b, e) => {
                    let b = operand(&mut builder, &reg, *b);
                    let small_int = |r: &Rational| r.to_i64().and_then(|n| i32::try_from(n).ok());
                    match store.as_number(*e) {
                        Some(Number::Exact(r)) if *r == Rational::new(1, 2) => {
                            builder.push(Op::Sqrt(b))
                        }
                        Some(Number::Exact(r)) if *r == Rational::new(-1, 2) => {
                            let s = builder.push(Op::Sqrt(b));
                            builder.push(Op::Recip(s))
                        }
                        Some(Number::Exact(r)) if r.is_minus_one() => builder.push(Op::Recip(b)),
                        Some(Number::Exact(r)) if small_int(r).is_some() => {
                            match small_int(r).expect("checked") {
                                2 => builder.push(Op::Square(b)),
                                n => builder.push(Op::Powi(b, n)),
                            }
                        }
                        _ => {
                            let e = operand(&mut builder, &reg, *e);
                            builder.push(Op::Powf(b, e))
                        }
                    }
                }
                Node::Call(Func::Atan2, a) => {
                    let (y, x) = (
                        operand(&mut builder, &reg, a[0]),
                        operand(&mut builder, &reg, a[1]),
                    );
                    builder.push(Op::Atan2(y, x))
                }
                Node::Call(f, a) => {
                    let a = operand(&mut builder, &reg, a[0]);
                    builder.push(Op::Call(*f, a))
                }
            };
            reg.insert(id, r);
        }
        let outputs = roots
            .iter()
            .map(|&r| operand(&mut builder, &reg, r))
            .collect();
        let (ops, outputs) = builder.finish(outputs);
        Ok(Program {
            inputs: inputs.len(),
            ops,
            runs: runs(&outputs),
            outputs,
            batches: Vec::new(),
            gradient: false,
            native: OnceLock::new(),
        })
    }

    /// `[f, ∇f, then the Hessian's upper triangle row by row]` as one program.
    pub fn value_gradient_hessian(
        store: &mut Store,
        f: Id,
        vars: &[Symbol],
    ) -> Result<Program, MissingBinding> {
        let grad = adjoint_gradient(store, f, vars);
        let mut roots = vec![f];
        roots.extend(&grad);
        for (i, &g) in grad.iter().enumerate() {
            for &v in &vars[i..] {
                roots.push(store.diff(g, v));
            }
        }
        Program::compile(store, &roots, vars)
    }

    pub fn num_inputs(&self) -> usize {
        self.inputs
    }

    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Number of instructions (distinct subexpressions, and each batch's template once).
    pub fn len(&self) -> usize {
        self.ops.len() + self.batches.iter().map(|b| b.template_len()).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reusable evaluator over the number type `T`.
    pub fn evaluator<T: Real>(&self) -> Evaluator<'_, T> {
        Evaluator {
            program: self,
            regs: Vec::with_capacity(self.ops.len()),
            lanes: Vec::new(),
            spare: Vec::new(),
            calls: 0,
        }
    }

    /// The first output at `x`, over any number type (allocates its registers; use an
    /// [`Evaluator`] in loops).
    pub fn eval_first<T: Real>(&self, x: &[T]) -> T {
        let mut out = vec![T::zero(); self.outputs.len()];
        self.evaluator().eval(x, &mut out);
        out[0]
    }

    /// Every output at `x`, over any number type.
    pub fn eval_all<T: Real>(&self, x: &[T]) -> Vec<T> {
        let mut out = vec![T::zero(); self.outputs.len()];
        self.evaluator().eval(x, &mut out);
        out
    }

    /// Evaluates at many points: `points` holds them row by row (`num_inputs` values each) and
    /// `out` receives `num_outputs` values per point, with no allocation per point. Many points
    /// are shared out among threads in blocks, each block with its own evaluator.
    ///
    /// ```
    /// use nabla::{compile::Program, parse, Store};
    /// let mut s = Store::new();
    /// let f = parse(&mut s, "x*y").unwrap();
    /// let vars = [s.symbol_id("x"), s.symbol_id("y")];
    /// let p = Program::compile(&s, &[f], &vars).unwrap();
    /// let mut out = [0.0; 2];
    /// p.eval_many(&[1.0, 2.0, 3.0, 4.0], &mut out);
    /// assert_eq!(out, [2.0, 12.0]);
    /// ```
    pub fn eval_many(&self, points: &[f64], out: &mut [f64]) {
        let (n, m) = (self.inputs.max(1), self.outputs.len());
        assert_eq!(
            points.len() / n,
            out.len() / m.max(1),
            "as many output rows as points"
        );
        let run = |points: &[f64], out: &mut [f64]| {
            let mut ev = self.evaluator::<f64>();
            for (x, y) in points.chunks_exact(n).zip(out.chunks_exact_mut(m.max(1))) {
                ev.eval(&x[..self.inputs], y);
            }
        };
        if points.len() / n < 2 * POINTS_PER_BLOCK {
            return run(points, out);
        }
        use rayon::prelude::*;
        points
            .par_chunks(n * POINTS_PER_BLOCK)
            .zip(out.par_chunks_mut(m.max(1) * POINTS_PER_BLOCK))
            .for_each(|(points, out)| run(points, out));
    }
}

struct Builder {
    ops: Vec<Op>,
    consts: FxHashMap<u64, u32>,
    /// Every instruction already emitted, so that the same one is emitted once: distinct store
    /// nodes can compile to equal instructions (`2·a` folded out of `2·a·u` and `2·a` itself).
    emitted: FxHashMap<OpKey, u32>,
}

/// An instruction without its constant (constants are shared through [`Builder::constant`]),
/// operands of `+` and `·` in order.
#[derive(PartialEq, Eq, Hash)]
enum OpKey {
    Input(u32),
    Unary(u8, u32, i32),
    Binary(u8, u32, u32),
    Call(Func, u32),
}

impl OpKey {
    fn of(op: &Op) -> Option<OpKey> {
        let ordered = |a: u32, b: u32| (a.min(b), a.max(b));
        Some(match *op {
            Op::Const(_) => return None,
            Op::Input(i) => OpKey::Input(i),
            Op::Add(a, b) => {
                let (a, b) = ordered(a, b);
                OpKey::Binary(0, a, b)
            }
            Op::Mul(a, b) => {
                let (a, b) = ordered(a, b);
                OpKey::Binary(1, a, b)
            }
            Op::Sub(a, b) => OpKey::Binary(2, a, b),
            Op::Powf(a, b) => OpKey::Binary(3, a, b),
            Op::Atan2(a, b) => OpKey::Binary(4, a, b),
            Op::Neg(a) => OpKey::Unary(0, a, 0),
            Op::Recip(a) => OpKey::Unary(1, a, 0),
            Op::Sqrt(a) => OpKey::Unary(2, a, 0),
            Op::Square(a) => OpKey::Unary(3, a, 0),
            Op::Powi(a, n) => OpKey::Unary(4, a, n),
            Op::Call(f, a) => OpKey::Call(f, a),
        })
    }
}

impl Op {
    fn operands(&self) -> impl Iterator<Item = u32> {
        let (a, b) = match *self {
            Op::Const(_) | Op::Input(_) => (None, None),
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Powf(a, b) | Op::Atan2(a, b) => {
                (Some(a), Some(b))
            }
            Op::Neg(a)
            | Op::Recip(a)
            | Op::Sqrt(a)
            | Op::Square(a)
            | Op::Powi(a, _)
            | Op::Call(_, a) => (Some(a), None),
        };
        a.into_iter().chain(b)
    }

    fn rename(&mut self, new: &[u32]) {
        match self {
            Op::Const(_) | Op::Input(_) => {}
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Powf(a, b) | Op::Atan2(a, b) => {
                *a = new[*a as usize];
                *b = new[*b as usize];
            }
            Op::Neg(a)
            | Op::Recip(a)
            | Op::Sqrt(a)
            | Op::Square(a)
            | Op::Powi(a, _)
            | Op::Call(_, a) => *a = new[*a as usize],
        }
    }
}

/// `Σ cᵢ·tᵢ` as `(c, u)` when `u = Σ (cᵢ/c)·tᵢ` is already compiled. Reverse accumulation
/// multiplies sums by numbers and canonical form distributes them (`200(b − a²)` is stored as
/// `−200a² + 200b`); this finds the sum again, so one multiplication replaces the whole sum.
fn scaled_sum(store: &Store, reg: &FxHashMap<Id, u32>, terms: &[Id]) -> Option<(f64, u32)> {
    let (first, _) = coefficient(store, terms[0]);
    if first.is_one() {
        return None;
    }
    [first.clone(), -first].into_iter().find_map(|scale| {
        let inverse = scale.recip()?;
        let mut scaled = terms
            .iter()
            .map(|&t| {
                let (c, rest) = coefficient(store, t);
                let c = c * inverse.clone();
                let number = || store.find(&Node::Number(c.clone()));
                match &rest[..] {
                    [] => number(),
                    [one] if c.is_one() => Some(*one),
                    _ if c.is_one() => store.find(&Node::Mul(rest.into())),
                    _ => {
                        let factors: Vec<Id> = std::iter::once(number()?)
                            .chain(rest.iter().copied())
                            .collect();
                        store.find(&Node::Mul(factors.into()))
                    }
                }
            })
            .collect::<Option<Vec<Id>>>()?;
        // Canonical order: the number first, then by id.
        scaled.sort_unstable_by_key(|&t| (store.as_number(t).is_none(), t));
        let u = store.find(&Node::Add(scaled.into()))?;
        Some((scale.to_f64(), *reg.get(&u)?))
    })
}

/// A term's numeric coefficient and its other factors (`3xy` → `(3, [x, y])`, `x` → `(1, [x])`).
fn coefficient(store: &Store, term: Id) -> (Number, Vec<Id>) {
    match store.node(term) {
        Node::Number(n) => (n.clone(), Vec::new()),
        Node::Mul(factors) => match store.as_number(factors[0]) {
            Some(c) => (c.clone(), factors[1..].to_vec()),
            None => (Number::int(1), factors.to_vec()),
        },
        _ => (Number::int(1), vec![term]),
    }
}

/// The other factors of a term whose coefficient is −1.
fn negated_factors(store: &Store, term: Id) -> Option<&[Id]> {
    match store.node(term) {
        Node::Mul(factors)
            if store
                .as_number(factors[0])
                .is_some_and(|c| *c == Number::int(-1)) =>
        {
            Some(&factors[1..])
        }
        _ => None,
    }
}

impl Builder {
    /// The instructions the outputs need, renumbered, and the outputs' registers. Checks the
    /// invariant `Evaluator::eval` relies on to index registers without bounds checks.
    fn finish(self, outputs: Vec<u32>) -> (Vec<Op>, Vec<u32>) {
        let mut live = vec![false; self.ops.len()];
        for &o in &outputs {
            live[o as usize] = true;
        }
        for i in (0..self.ops.len()).rev() {
            if live[i] {
                for k in self.ops[i].operands() {
                    live[k as usize] = true;
                }
            }
        }
        let mut new = vec![u32::MAX; self.ops.len()];
        let mut ops = Vec::with_capacity(self.ops.len());
        for (i, mut op) in self.ops.into_iter().enumerate() {
            if live[i] {
                assert!(
                    op.operands().all(|k| (k as usize) < i),
                    "compiled operands must name earlier registers"
                );
                op.rename(&new);
                new[i] = ops.len() as u32;
                ops.push(op);
            }
        }
        let outputs = outputs.iter().map(|&o| new[o as usize]).collect();
        (ops, outputs)
    }

    fn push(&mut self, op: Op) -> u32 {
        let key = OpKey::of(&op);
        if let Some(&r) = key.as_ref().and_then(|k| self.emitted.get(k)) {
            return r;
        }
        self.ops.push(op);
        let r = (self.ops.len() - 1) as u32;
        if let Some(k) = key {
            self.emitted.insert(k, r);
        }
        r
    }

    fn constant(&mut self, x: f64) -> u32 {
        if let Some(&r) = self.consts.get(&x.to_bits()) {
            return r;
        }
        let r = self.push(Op::Const(x));
        self.consts.insert(x.to_bits(), r);
        r
    }

    fn fold(&mut self, mut regs: impl Iterator<Item = u32>, op: fn(u32, u32) -> Op) -> u32 {
        let first = regs.next().expect("sums and products have operands");
        regs.fold(first, |acc, r| self.push(op(acc, r)))
    }
}

/// Runs a [`Program`] over numbers of type `T`, keeping its registers between calls.
pub struct Evaluator<'p, T> {
    program: &'p Program,
    regs: Vec<T>,
    /// Scratch for batches: one block of lanes per template instruction.
    lanes: Vec<T>,
    /// A second thread's scratch when a batch over `f64` splits its terms.
    spare: Vec<f64>,
    /// Evaluations so far, counted to decide when machine code pays.
    calls: u32,
}

/// Points per block when [`Program::eval_many`] shares points among threads: enough for an
/// evaluator to reach machine code and to outweigh handing the block over.
const POINTS_PER_BLOCK: usize = 4 * NATIVE_AFTER_CALLS as usize;

/// Evaluations by one evaluator after which its program's flat instructions are compiled to
/// machine code. Compiling takes about 5 µs per instruction and saves 1 to 2 ns per instruction
/// and evaluation, so it pays after a few thousand evaluations whatever the size; waiting for a
/// thousand first means a short run never pays for it and a long one pays at most a little more
/// than the best choice in hindsight would have.
pub const NATIVE_AFTER_CALLS: u32 = 1024;
/// Fewest instructions worth machine code: below it the interpreter's loop is as quick.
const NATIVE_MIN_OPS: usize = 8;
/// Most instructions and outputs compiled to straight-line machine code: compile time grows
/// faster than linearly (0.05 s for 9,800 instructions, 0.3 s for 38,000, the value and gradient
/// of the benchmark's random expression, which machine code then runs 6 times faster).
const NATIVE_MAX_SIZE: usize = 50_000;

/// The register of a run of outputs that a batch writes (over `f64`; zeroed for other numbers,
/// whose batches add to them).
const LEFT_TO_BATCH: u32 = u32::MAX;

/// `outputs` as runs of one register: `(end of the run, register)`.
fn runs(outputs: &[u32]) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (o, &k) in outputs.iter().enumerate() {
        match runs.last_mut() {
            Some((end, last)) if *last == k => *end = o as u32 + 1,
            _ => runs.push((o as u32 + 1, k)),
        }
    }
    runs
}

/// `x` as `f64`s when `T` is `f64`.
fn as_f64<T: 'static>(x: &[T]) -> Option<&[f64]> {
    // SAFETY: `T` is `f64`, checked by type id.
    (TypeId::of::<T>() == TypeId::of::<f64>())
        .then(|| unsafe { std::slice::from_raw_parts(x.as_ptr().cast(), x.len()) })
}

/// `x` as `f64`s when `T` is `f64`.
fn as_f64_mut<T: 'static>(x: &mut [T]) -> Option<&mut [f64]> {
    // SAFETY: `T` is `f64`, checked by type id.
    (TypeId::of::<T>() == TypeId::of::<f64>())
        .then(|| unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast(), x.len()) })
}

impl<'p, T: Real> Evaluator<'p, T> {
    /// Evaluates every output at `x` (one value per input) into `out` (one per output).
    pub fn eval(&mut self, x: &[T], out: &mut [T]) {
        assert_eq!(x.len(), self.program.inputs, "one value per input");
        assert_eq!(out.len(), self.program.outputs.len(), "one slot per output");
        match (self.native(), as_f64(x)) {
            (Some(native), Some(x)) => {
                let out = as_f64_mut(out).expect("`T` is `f64`");
                native.run(self.program, x, out);
            }
            _ => self.interpret(x, out),
        }
        self.run_batches(x, out);
    }

    /// The flat instructions in machine code, for `f64`, once this evaluator has run often enough
    /// to pay for compiling them (and there are enough of them, and not too many).
    fn native(&mut self) -> Option<&'p NativeProgram> {
        if TypeId::of::<T>() != TypeId::of::<f64>() {
            return None;
        }
        self.calls = self.calls.saturating_add(1);
        let program = self.program;
        let size = program.ops.len() + program.outputs.len();
        if self.calls < NATIVE_AFTER_CALLS
            || program.ops.len() < NATIVE_MIN_OPS
            || size > NATIVE_MAX_SIZE
        {
            return None;
        }
        program
            .native
            .get_or_init(|| NativeProgram::compile(program).map(Arc::new))
            .as_deref()
    }

    fn interpret(&mut self, x: &[T], out: &mut [T]) {
        let ops = &self.program.ops;
        self.regs.resize(ops.len(), T::zero());
        let r = &mut self.regs[..];
        for (i, op) in ops.iter().enumerate() {
            // SAFETY: `Builder::push` only ever emits operands naming earlier registers (children
            // are compiled before their parents, and `compile` asserts it), and `r` holds one
            // register per instruction, so every operand index is `< i < r.len()`.
            let at = |k: u32| unsafe { *r.get_unchecked(k as usize) };
            let v = match *op {
                Op::Const(c) => T::from_f64(c),
                Op::Input(k) => x[k as usize],
                Op::Add(a, b) => at(a) + at(b),
                Op::Sub(a, b) => at(a) - at(b),
                Op::Mul(a, b) => at(a) * at(b),
                Op::Neg(a) => -at(a),
                Op::Recip(a) => T::one() / at(a),
                Op::Sqrt(a) => at(a).sqrt(),
                Op::Square(a) => at(a) * at(a),
                Op::Powi(a, n) => at(a).powi(n),
                Op::Powf(a, b) => at(a).powf(at(b)),
                Op::Atan2(a, b) => at(a).atan2(at(b)),
                Op::Call(f, a) => f.apply(at(a)),
            };
            // SAFETY: `i < ops.len() == r.len()`.
            unsafe { *r.get_unchecked_mut(i) = v };
        }
        let mut start = 0;
        for &(end, k) in &self.program.runs {
            let run = &mut out[start..end as usize];
            match k {
                LEFT_TO_BATCH if TypeId::of::<T>() == TypeId::of::<f64>() => {}
                LEFT_TO_BATCH => run.fill(T::zero()),
                _ => run.fill(r[k as usize]),
            }
            start = end as usize;
        }
    }

    /// Adds the batches' terms to the first output, and their partials to the gradient.
    fn run_batches(&mut self, x: &[T], out: &mut [T]) {
        let batches = &self.program.batches;
        if batches.is_empty() {
            return;
        }
        let scratch = batches.iter().map(Batch::scratch_len).max().unwrap_or(0);
        self.lanes.resize(scratch, T::zero());
        let (value, gradient) = out.split_first_mut().expect("a sum is the first output");
        // Plain numbers may split a batch across threads; the other number types stay on this
        // one (a tape variable records on its own thread's tape).
        if let (Some(x), Some(lanes), Some(value), Some(gradient)) = (
            as_f64(x),
            as_f64_mut(&mut self.lanes),
            as_f64_mut(std::slice::from_mut(value)),
            as_f64_mut(gradient),
        ) {
            for b in batches {
                let gradient = self.program.gradient.then_some(&mut *gradient);
                b.accumulate_f64(x, lanes, &mut self.spare, &mut value[0], gradient);
            }
            return;
        }
        for b in batches {
            let gradient = self.program.gradient.then_some(&mut *gradient);
            b.accumulate(x, &mut self.lanes, value, gradient);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate;
    use crate::parse;
    use crate::testing::expression;
    use nabla_autodiff::{Dual, gradient_forward, gradient_reverse};
    use proptest::prelude::*;

    #[test]
    fn shared_subexpressions_compile_once() {
        let mut s = Store::new();
        let f = parse(&mut s, "sin(x*y)^2 + cos(x*y)").unwrap();
        let vars = [s.symbol_id("x"), s.symbol_id("y")];
        let p = Program::compile(&s, &[f], &vars).unwrap();
        // x, y, x*y, sin, ^2, cos, + : each once.
        assert_eq!(p.len(), 7);
    }

    #[test]
    fn distributed_coefficients_reuse_the_sum() {
        let mut s = Store::new();
        let f = parse(&mut s, "100*(b - a^2)^2").unwrap();
        let vars = [s.symbol_id("a"), s.symbol_id("b")];
        // ∂f/∂b is stored as −200a² + 200b; compiled, it is 200·(b − a²), reusing b − a².
        let p = Program::value_and_gradient(&mut s, f, &vars).unwrap();
        let subtractions = p.ops.iter().filter(|op| matches!(op, Op::Sub(..))).count();
        assert_eq!(subtractions, 1);
        assert!(
            !p.ops
                .iter()
                .any(|op| matches!(op, Op::Neg(_) | Op::Add(..)))
        );
        assert_eq!(p.eval_all(&[0.5, 2.0]), [306.25, -350.0, 350.0]);
    }

    #[test]
    fn many_points_shared_among_threads_are_each_evaluated() {
        let mut s = Store::new();
        let f = parse(&mut s, "sin(x*y) + x^2*y - exp(-y)").unwrap();
        let vars = [s.symbol_id("x"), s.symbol_id("y")];
        let p = Program::value_and_gradient(&mut s, f, &vars).unwrap();
        let rows = 5 * POINTS_PER_BLOCK + 17;
        let points: Vec<f64> = (0..2 * rows).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut out = vec![0.0; 3 * rows];
        p.eval_many(&points, &mut out);
        for (x, y) in points.chunks_exact(2).zip(out.chunks_exact(3)) {
            assert_eq!(p.eval_all(x), y);
        }
    }

    #[test]
    fn equal_instructions_are_emitted_once() {
        let mut s = Store::new();
        let f = parse(&mut s, "2*a*b + 2*a + a*2*b^2").unwrap();
        let vars = [s.symbol_id("a"), s.symbol_id("b")];
        let p = Program::compile(&s, &[f], &vars).unwrap();
        // `2·a` is one instruction for all three terms.
        let twice_a = p
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Mul(x, y) if [*x, *y].iter().any(|&r| p.ops[r as usize] == Op::Const(2.0))))
            .count();
        assert_eq!(twice_a, 1, "{:?}", p.ops);
        assert_eq!(
            p.eval_all(&[3.0, 5.0]),
            [2.0 * 3.0 * 5.0 + 6.0 + 6.0 * 25.0]
        );
    }

    #[test]
    fn missing_inputs_are_named() {
        let mut s = Store::new();
        let f = parse(&mut s, "x + z").unwrap();
        let x = s.symbol_id("x");
        let err = Program::compile(&s, &[f], &[x]).unwrap_err();
        assert_eq!(err, MissingBinding("z".into()));
    }

    #[test]
    fn forward_mode_through_a_program() {
        let mut s = Store::new();
        let f = parse(&mut s, "x^2*y + exp(x)").unwrap();
        let vars = [s.symbol_id("x"), s.symbol_id("y")];
        let p = Program::compile(&s, &[f], &vars).unwrap();
        let x = [Dual::new(1.0, 1.0), Dual::constant(3.0)];
        let d = p.eval_first(&x);
        assert!((d.eps - (6.0 + 1f64.exp())).abs() < 1e-12);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Compiled, forward and reverse gradients equal the symbolic ones.
        #[test]
        fn every_method_agrees_with_the_symbolic_gradient(e in expression(), px in 0.3f64..1.7, py in 0.3f64..1.7, pz in 0.3f64..1.7) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let vars = [s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z")];
            let point = [px, py, pz];
            let compiled = Program::value_and_gradient(&mut s, f, &vars).unwrap().eval_all(&point);
            let bindings = vars.iter().copied().zip(point).collect();
            let program = Program::compile(&s, &[f], &vars).unwrap();
            let (_, fwd) = gradient_forward(|x| program.eval_first(x), &point);
            let (_, rev) = gradient_reverse(|x| program.eval_first(x), &point);
            for (i, &v) in vars.iter().enumerate() {
                let d = s.diff(f, v);
                let exact = evaluate(&s, d, &bindings).unwrap();
                prop_assume!(exact.is_finite() && exact.abs() < 1e10);
                for (name, got) in [("compiled", compiled[i + 1]), ("forward", fwd[i]), ("reverse", rev[i])] {
                    prop_assert!((got - exact).abs() <= 1e-9 * (1.0 + exact.abs()), "{} {}: {} vs {}", e, name, got, exact);
                }
            }
        }
    }
}
