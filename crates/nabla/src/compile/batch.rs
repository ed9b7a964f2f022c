//! Batches: the terms of a large sum that are one expression up to a renaming of its symbols.
//!
//! `Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` is two shapes, `100(b − a²)²` and `(1 − a)²`, repeated.
//! Each shape is compiled once as a template over its slots (`a`, `b`); shapes whose terms run
//! side by side share one template (their sum). The template runs over blocks of [`LANES`] terms:
//! every instruction loops over the block, so the interpreter's cost per instruction is shared by
//! the block, and the loops over lanes vectorise. Gradients come from the template's own gradient,
//! scattered back to the inputs each term reads. Over `f64`, large batches whose slots read
//! consecutive inputs run as machine-code loops instead (see `avx` and `native`), split between
//! two threads when they are very large.

use std::ops::Range;
use std::sync::Arc;

use nabla_autodiff::Real;
use rustc_hash::FxHashMap;

#[cfg(target_arch = "x86_64")]
use super::avx::AvxBatch;
use super::native::NativeBatch;
use super::{Op, Program};
use crate::store::{Id, Node, Store, Symbol};

/// Terms evaluated together per template instruction.
pub(super) const LANES: usize = 256;
/// Fewest terms for which a batch over `f64` splits its terms between two threads: the work of
/// either half (about 50 µs) then dwarfs handing it over.
const PARALLEL_TERMS: usize = 32_768;
/// Fewest terms for which a batch gets machine code: compiling it takes about a millisecond.
const NATIVE_TERMS: usize = 512;
/// Fewest terms of one shape worth a batch: below it the flat program is as fast.
const MIN_TERMS: usize = 16;
/// Largest shape key (about two tokens per node) considered for a term: large terms rarely repeat.
const MAX_KEY_TOKENS: usize = 256;

/// Terms of one shape: a template and, per slot, which input each term reads.
#[derive(Clone, Debug)]
pub(super) struct Batch {
    /// Outputs `[t]`, or `[t, ∂t/∂slot₀, …]` when the program carries a gradient.
    template: Program,
    slots: Vec<Slot>,
    /// Per template instruction, the first input it reads when it reads consecutive inputs:
    /// its lanes are then read from the inputs in place, not copied.
    consecutive: Vec<Option<u32>>,
    terms: usize,
    /// When every slot reads consecutive inputs, the lowest and highest first input of a slot:
    /// term k then adds to gradient entries `lowest + k ..= highest + k`.
    span: Option<(usize, usize)>,
    /// The loop in machine code, for `f64`, when every slot reads consecutive inputs.
    native: Option<Arc<MachineLoop>>,
    /// Whether the program leaves gradient entries `lowest..highest + terms` to this batch to
    /// write (over `f64`; other numbers find them zeroed and add to them).
    writes_gradient: bool,
}

/// A batch's loop in machine code: four terms per instruction with AVX where the template
/// allows, else two (Cranelift).
#[derive(Debug)]
enum MachineLoop {
    #[cfg(target_arch = "x86_64")]
    Avx(AvxBatch),
    Cranelift(Box<NativeBatch>),
}

impl MachineLoop {
    fn compile(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx) = AvxBatch::compile(template, firsts, gradient) {
            return Some(MachineLoop::Avx(avx));
        }
        NativeBatch::compile(template, firsts, gradient)
            .map(|c| MachineLoop::Cranelift(Box::new(c)))
    }

    /// Terms per iteration: `run` takes a multiple of it.
    fn lanes(&self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            MachineLoop::Avx(avx) => avx.lanes(),
            MachineLoop::Cranelift(_) => 2,
        }
    }

    /// Runs terms `start..end` (a multiple of [`MachineLoop::lanes`]) and returns the sum of
    /// their values.
    ///
    /// # Safety
    /// As [`NativeBatch::run`].
    unsafe fn run(&self, x: *const f64, gradient: *mut f64, start: usize, end: usize) -> f64 {
        // SAFETY: passed on from the caller.
        unsafe {
            match self {
                #[cfg(target_arch = "x86_64")]
                MachineLoop::Avx(avx) => avx.run(x, gradient, start, end),
                MachineLoop::Cranelift(cranelift) => cranelift.run(x, gradient, start, end),
            }
        }
    }
}

/// Where a slot's value comes from, term by term.
#[derive(Clone, Debug)]
enum Slot {
    /// Term `k` reads input `first + k` (sums over `i` of `f(xᵢ, xᵢ₊₁)`): whole blocks copy.
    Consecutive(u32),
    /// Term `k` reads input `table[k]`.
    Table(Vec<u32>),
}

/// The terms of one shape before their template is compiled.
pub(super) struct Group {
    /// A term of each shape in the group, and their symbols in slot order: compiled over them,
    /// the sum of these terms is the template.
    pub(super) representatives: Vec<Id>,
    pub(super) symbols: Vec<Symbol>,
    slots: Vec<Slot>,
    terms: usize,
}

impl Group {
    pub(super) fn with_template(self, template: Program) -> Batch {
        let consecutive = template
            .ops
            .iter()
            .map(|op| match op {
                Op::Input(s) => match self.slots[*s as usize] {
                    Slot::Consecutive(first) => Some(first),
                    Slot::Table(_) => None,
                },
                _ => None,
            })
            .collect();
        let firsts = firsts(&self.slots);
        let span = firsts.as_ref().map(|f| {
            let (lowest, highest) = (f.iter().min(), f.iter().max());
            (lowest.copied().unwrap_or(0), highest.copied().unwrap_or(0))
        });
        let native = match firsts {
            Some(firsts) if self.terms >= NATIVE_TERMS => {
                let gradient = template.outputs.len() > 1;
                MachineLoop::compile(&template, &firsts, gradient).map(Arc::new)
            }
            _ => None,
        };
        Batch {
            template,
            slots: self.slots,
            consecutive,
            terms: self.terms,
            span,
            native,
            writes_gradient: false,
        }
    }
}

/// A sum split into groups of one shape and the terms left over.
pub(super) struct Split {
    pub(super) groups: Vec<Group>,
    pub(super) rest: Vec<Id>,
}

/// Groups the terms of `f` (if it is a sum) by shape. Terms with symbols that are not inputs stay
/// in the rest, where the flat compiler reports them.
pub(super) fn split_sum(store: &Store, f: Id, inputs: &[Symbol]) -> Split {
    let Node::Add(terms) = store.node(f) else {
        return Split {
            groups: Vec::new(),
            rest: vec![f],
        };
    };
    let terms = terms.to_vec();
    let input_index: FxHashMap<Symbol, u32> = inputs
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, i as u32))
        .collect();
    // Per shape: its terms, each with the inputs its slots read.
    let mut shapes: FxHashMap<Vec<u32>, Vec<(Id, Vec<u32>)>> = FxHashMap::default();
    let mut rest = Vec::new();
    for t in terms {
        let shaped = shape(store, t).and_then(|(key, symbols)| {
            let read: Option<Vec<u32>> = symbols
                .iter()
                .map(|s| input_index.get(s).copied())
                .collect();
            Some((key, read?))
        });
        match shaped {
            Some((key, read)) => shapes.entry(key).or_default().push((t, read)),
            None => rest.push(t),
        }
    }
    let mut groups: Vec<Vec<(Id, Vec<u32>)>> = Vec::new();
    for (_, group) in shapes {
        if group.len() >= MIN_TERMS {
            groups.push(group);
        } else {
            rest.extend(group.into_iter().map(|(t, _)| t));
        }
    }
    // Deterministic programs: batches in the order of their first term, and the rest in the
    // sum's own order.
    groups.sort_by_key(|g| g.iter().map(|(t, _)| *t).min());
    rest.sort_unstable();
    let groups = groups
        .into_iter()
        .map(|mut group| {
            // Terms in the order of the inputs they read, so that slots are often consecutive.
            group.sort_unstable_by(|a, b| a.1.cmp(&b.1));
            let representative = group[0].0;
            let (_, symbols) = shape(store, representative).expect("grouped terms have a shape");
            let slots = (0..symbols.len())
                .map(|s| Slot::new(group.iter().map(|(_, read)| read[s]).collect()))
                .collect();
            Group {
                representatives: vec![representative],
                symbols,
                slots,
                terms: group.len(),
            }
        })
        .collect();
    Split {
        groups: merge_side_by_side(groups),
        rest,
    }
}

/// Groups whose terms run side by side (as many terms, every slot reading consecutive inputs)
/// become one: one loop over the terms instead of one per shape, its template the sum of theirs.
/// Term k of `Σ 100(xₖ₊₁ − xₖ²)² + (1 − xₖ)²` is then one evaluation of one template.
fn merge_side_by_side(groups: Vec<Group>) -> Vec<Group> {
    let mut merged: Vec<Group> = Vec::with_capacity(groups.len());
    for group in groups {
        let consecutive = |g: &Group| firsts(&g.slots).is_some();
        let partner = merged
            .iter_mut()
            .find(|m| m.terms == group.terms && consecutive(m) && consecutive(&group));
        let Some(partner) = partner else {
            merged.push(group);
            continue;
        };
        partner.representatives.extend(group.representatives);
        // A slot reads input `first + k`, and a representative is its group's term 0, so equal
        // symbols are equal slots.
        for (symbol, slot) in group.symbols.into_iter().zip(group.slots) {
            if !partner.symbols.contains(&symbol) {
                partner.symbols.push(symbol);
                partner.slots.push(slot);
            }
        }
    }
    merged
}

/// A term's shape key (its tree in preorder, symbols replaced by their slot, the order in which
/// they first appear) and its symbols in slot order; `None` when the term is too large.
fn shape(store: &Store, term: Id) -> Option<(Vec<u32>, Vec<Symbol>)> {
    const LEAF: u32 = 0;
    const SLOT: u32 = 1;
    const ADD: u32 = 2;
    const MUL: u32 = 3;
    const POW: u32 = 4;
    const CALL: u32 = 5;
    let mut key = Vec::new();
    let mut symbols: Vec<Symbol> = Vec::new();
    let mut stack = vec![term];
    while let Some(id) = stack.pop() {
        if key.len() > MAX_KEY_TOKENS {
            return None;
        }
        match store.node(id) {
            // Hash-consing makes equal numbers one id.
            Node::Number(_) | Node::Constant(_) => key.extend([LEAF, id.index() as u32]),
            Node::Symbol(s) => {
                let slot = match symbols.iter().position(|t| t == s) {
                    Some(slot) => slot,
                    None => {
                        symbols.push(*s);
                        symbols.len() - 1
                    }
                };
                key.extend([SLOT, slot as u32]);
            }
            Node::Add(children) => key.extend([ADD, children.len() as u32]),
            Node::Mul(children) => key.extend([MUL, children.len() as u32]),
            Node::Pow(..) => key.push(POW),
            Node::Call(f, _) => key.extend([CALL, *f as u32]),
        }
        // Reversed so that children are visited first to last.
        stack.extend(store.children(id).into_iter().rev());
    }
    Some((key, symbols))
}

impl Slot {
    fn new(table: Vec<u32>) -> Slot {
        let first = table[0];
        if table
            .iter()
            .enumerate()
            .all(|(k, &j)| j as usize == first as usize + k)
        {
            Slot::Consecutive(first)
        } else {
            Slot::Table(table)
        }
    }

    /// Copies a table slot's inputs into its lanes (consecutive slots are read in place).
    #[inline(always)]
    fn gather<T: Copy>(&self, x: &[T], start: usize, lanes: &mut [T]) {
        if let Slot::Table(table) = self {
            for (lane, &j) in lanes.iter_mut().zip(&table[start..]) {
                *lane = x[j as usize];
            }
        }
    }

    /// Adds a block of partials to the gradient entries the terms from `start` read;
    /// `gradient` holds the entries from `base` on.
    #[inline(always)]
    fn scatter_add<T: Real>(&self, lanes: &[T], start: usize, gradient: &mut [T], base: usize) {
        match self {
            Slot::Consecutive(first) => {
                let target = &mut gradient[*first as usize + start - base..][..lanes.len()];
                for (g, &v) in target.iter_mut().zip(lanes) {
                    *g += v;
                }
            }
            Slot::Table(table) => {
                for (&j, &v) in table[start..].iter().zip(lanes) {
                    gradient[j as usize - base] += v;
                }
            }
        }
    }
}

/// The first input of every slot, when every slot reads consecutive inputs.
fn firsts(slots: &[Slot]) -> Option<Vec<usize>> {
    slots
        .iter()
        .map(|s| match s {
            Slot::Consecutive(first) => Some(*first as usize),
            Slot::Table(_) => None,
        })
        .collect()
}

impl Batch {
    pub(super) fn template_len(&self) -> usize {
        self.template.ops.len()
    }

    /// Scratch registers the batch needs: one block of lanes per template instruction.
    pub(super) fn scratch_len(&self) -> usize {
        self.template.ops.len() * LANES
    }

    /// Adds the sum of the terms at `x` to `value` and, when the program carries a gradient,
    /// each term's partials to `gradient` (one entry per input).
    pub(super) fn accumulate<T: Real>(
        &self,
        x: &[T],
        scratch: &mut [T],
        value: &mut T,
        gradient: Option<&mut [T]>,
    ) {
        let gradient = gradient.map(|g| (g, 0));
        self.accumulate_range(x, scratch, 0..self.terms, value, gradient);
    }

    /// The gradient entries this batch adds to, `lowest..highest + terms`, when it can write them
    /// itself instead: its loop is AVX machine code with partials.
    pub(super) fn writable_entries(&self) -> Option<Range<usize>> {
        let (lowest, highest) = self.span?;
        #[cfg(target_arch = "x86_64")]
        if let Some(MachineLoop::Avx(_)) = self.native.as_deref()
            && self.template.outputs.len() > 1
        {
            return Some(lowest..highest + self.terms);
        }
        None
    }

    /// Makes this batch write its [`Batch::writable_entries`] over `f64`.
    pub(super) fn write_gradient(&mut self) {
        assert!(
            self.writable_entries().is_some(),
            "an AVX loop with partials"
        );
        self.writes_gradient = true;
    }

    /// [`Batch::accumulate`] over `f64`: in machine code where the batch has it, and split
    /// between this thread and another when the terms are many and every slot reads consecutive
    /// inputs. `spare` is the other thread's scratch.
    pub(super) fn accumulate_f64(
        &self,
        x: &[f64],
        scratch: &mut [f64],
        spare: &mut Vec<f64>,
        value: &mut f64,
        gradient: Option<&mut [f64]>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if let (true, Some(MachineLoop::Avx(avx))) = (self.writes_gradient, self.native.as_deref())
        {
            let gradient = gradient.expect("the program has a gradient");
            return self.write_f64(avx, x, scratch, value, gradient);
        }
        let span = self.span.filter(|_| self.terms >= PARALLEL_TERMS);
        let Some((lowest, highest)) = span else {
            let gradient = gradient.map(|g| (g, 0));
            return self.run_f64(x, scratch, 0..self.terms, value, gradient);
        };
        // Term k adds to entries `first + k`: the terms below `middle` add below
        // `highest + middle`, those from `middle + span` on add from there on, and the `span`
        // terms between, which add to both sides, run after the two halves.
        let span = highest - lowest;
        let middle = self.terms / 2;
        spare.resize(self.scratch_len(), 0.0);
        let (mut low_value, mut high_value) = (0.0, 0.0);
        let mut gradient = gradient;
        let (low, high) = match gradient.as_deref_mut() {
            Some(g) => {
                let (low, high) = g.split_at_mut(highest + middle);
                (Some((low, 0)), Some((high, highest + middle)))
            }
            None => (None, None),
        };
        rayon::join(
            || self.run_f64(x, scratch, 0..middle, &mut low_value, low),
            || {
                let range = middle + span..self.terms;
                self.run_f64(x, spare, range, &mut high_value, high)
            },
        );
        *value += low_value + high_value;
        let gradient = gradient.map(|g| (g, 0));
        self.run_f64(x, scratch, middle..middle + span, value, gradient);
    }

    /// Writes gradient entries `lowest..highest + terms` (whatever they held) and adds the terms'
    /// values to `value`: the loop stores its partials (two threads' loops, when the terms are
    /// many, each with its half of the entries), the entries past the loops' receive additions
    /// only, and each range's partials due past its entries are added once both ranges are done.
    #[cfg(target_arch = "x86_64")]
    fn write_f64(
        &self,
        avx: &AvxBatch,
        x: &[f64],
        scratch: &mut [f64],
        value: &mut f64,
        gradient: &mut [f64],
    ) {
        let (lowest, highest) = self.span.expect("AVX batches read consecutive inputs");
        let lanes = avx.lanes();
        let end = self.terms / lanes * lanes;
        let middle = match self.terms >= PARALLEL_TERMS {
            true => self.terms / 2 / lanes * lanes,
            false => 0,
        };
        // The loops read `x[first + k]` and write entries `lowest + k` for k < end, and the
        // carries add up to entry `highest + end − 1`.
        assert!(highest + self.terms <= x.len() && highest + self.terms <= gradient.len());
        gradient[lowest + end..highest + self.terms].fill(0.0);
        let (low, high) = gradient.split_at_mut(lowest + middle);
        let mut upper = |high: &mut [f64]| {
            let base = lowest + middle;
            // SAFETY: entries `lowest + k`, k in `middle..end`, lie in `high`, which starts at
            // entry `base`; the reads of `x` are in bounds (asserted above).
            let carry = unsafe {
                avx.store(
                    x.as_ptr(),
                    high.as_mut_ptr().wrapping_sub(base),
                    middle,
                    end,
                )
            };
            let mut rest = 0.0;
            self.accumulate_range(x, scratch, end..self.terms, &mut rest, Some((high, base)));
            (carry, rest)
        };
        // SAFETY: entries `lowest + k`, k < middle, lie in `low`.
        let mut lower = || unsafe { avx.store(x.as_ptr(), low.as_mut_ptr(), 0, middle) };
        let (low_carry, (high_carry, rest)) = match middle {
            0 => (lower(), upper(high)),
            _ => rayon::join(lower, || upper(high)),
        };
        let gradient = gradient.as_mut_ptr();
        // SAFETY: the carries add to entries below `highest + end` (asserted in bounds), and
        // both loops are done.
        *value += unsafe { avx.finish(low_carry, gradient) + avx.finish(high_carry, gradient) };
        *value += rest;
    }

    /// Runs `terms` in machine code, as far as whole iterations of its loop go, and the rest
    /// interpreted.
    fn run_f64(
        &self,
        x: &[f64],
        scratch: &mut [f64],
        mut terms: Range<usize>,
        value: &mut f64,
        mut gradient: Option<(&mut [f64], usize)>,
    ) {
        if let Some(native) = &self.native {
            let even = terms.start + terms.len() / native.lanes() * native.lanes();
            let (lowest, highest) = self.span.expect("native batches read consecutive inputs");
            // The kernel reads `x[first + k]` and adds to `gradient[first + k]` for k in
            // `terms.start..even`: every such index lies inside both slices.
            assert!(highest + even <= x.len());
            let target = match gradient.as_mut() {
                Some((g, base)) => {
                    assert!(lowest + terms.start >= *base && highest + even <= *base + g.len());
                    g.as_mut_ptr().wrapping_sub(*base)
                }
                None => std::ptr::null_mut(),
            };
            // SAFETY: the indices are in bounds (asserted above), and `gradient` is borrowed
            // mutably for the call.
            *value += unsafe { native.run(x.as_ptr(), target, terms.start, even) };
            terms.start = even;
        }
        self.accumulate_range(x, scratch, terms, value, gradient);
    }

    fn accumulate_range<T: Real>(
        &self,
        x: &[T],
        scratch: &mut [T],
        terms: Range<usize>,
        value: &mut T,
        gradient: Option<(&mut [T], usize)>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.run_avx2(x, scratch, terms, value, gradient) };
        }
        self.run(x, scratch, terms, value, gradient)
    }

    /// [`Batch::run`] compiled for AVX2, which doubles the lanes of each vector instruction.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2<T: Real>(
        &self,
        x: &[T],
        scratch: &mut [T],
        terms: Range<usize>,
        value: &mut T,
        gradient: Option<(&mut [T], usize)>,
    ) {
        self.run(x, scratch, terms, value, gradient)
    }

    /// The lanes of register `k` for the terms from `start`.
    #[inline(always)]
    fn block<'a, T>(
        &self,
        regs: &'a [T],
        x: &'a [T],
        k: usize,
        start: usize,
        width: usize,
    ) -> &'a [T] {
        match self.consecutive[k] {
            Some(first) => &x[first as usize + start..][..width],
            None => &regs[k * LANES..][..width],
        }
    }

    #[inline(always)]
    fn run<T: Real>(
        &self,
        x: &[T],
        regs: &mut [T],
        terms: Range<usize>,
        value: &mut T,
        mut gradient: Option<(&mut [T], usize)>,
    ) {
        let ops = &self.template.ops;
        let regs = &mut regs[..ops.len() * LANES];
        // A few terms left over by a machine-code loop use a few lanes: fill and sum only those.
        let used = LANES.min(terms.len());
        for (i, op) in ops.iter().enumerate() {
            if let Op::Const(c) = op {
                regs[i * LANES..][..used].fill(T::from_f64(*c));
            }
        }
        // One partial sum per lane, so the reduction vectorises too.
        let mut partial = [T::zero(); LANES];
        let mut start = terms.start;
        while start < terms.end {
            let width = LANES.min(terms.end - start);
            for (i, op) in ops.iter().enumerate() {
                let (done, rest) = regs.split_at_mut(i * LANES);
                let lanes = &mut rest[..width];
                let operand = |k: u32| self.block(done, x, k as usize, start, width);
                match *op {
                    Op::Const(_) => {}
                    Op::Input(_) if self.consecutive[i].is_some() => {}
                    Op::Input(s) => self.slots[s as usize].gather(x, start, lanes),
                    Op::Add(a, b) => binary(lanes, operand(a), operand(b), |p, q| p + q),
                    Op::Sub(a, b) => binary(lanes, operand(a), operand(b), |p, q| p - q),
                    Op::Mul(a, b) => binary(lanes, operand(a), operand(b), |p, q| p * q),
                    Op::Neg(a) => unary(lanes, operand(a), |p| -p),
                    Op::Recip(a) => unary(lanes, operand(a), |p| T::one() / p),
                    Op::Sqrt(a) => unary(lanes, operand(a), T::sqrt),
                    Op::Square(a) => unary(lanes, operand(a), |p| p * p),
                    Op::Powi(a, n) => unary(lanes, operand(a), |p| p.powi(n)),
                    Op::Powf(a, b) => binary(lanes, operand(a), operand(b), T::powf),
                    Op::Atan2(a, b) => binary(lanes, operand(a), operand(b), T::atan2),
                    Op::Call(f, a) => unary(lanes, operand(a), |p| f.apply(p)),
                }
            }
            let output = |o: usize| {
                let k = self.template.outputs[o] as usize;
                self.block(regs, x, k, start, width)
            };
            for (p, &v) in partial.iter_mut().zip(output(0)) {
                *p += v;
            }
            if let Some((gradient, base)) = gradient.as_mut() {
                for (s, slot) in self.slots.iter().enumerate() {
                    slot.scatter_add(output(1 + s), start, gradient, *base);
                }
            }
            start += width;
        }
        *value += partial[..used].iter().fold(T::zero(), |sum, &p| sum + p);
    }
}

#[inline(always)]
fn unary<T: Copy>(lanes: &mut [T], a: &[T], op: impl Fn(T) -> T) {
    for (r, &p) in lanes.iter_mut().zip(a) {
        *r = op(p);
    }
}

#[inline(always)]
fn binary<T: Copy>(lanes: &mut [T], a: &[T], b: &[T], op: impl Fn(T, T) -> T) {
    for ((r, &p), &q) in lanes.iter_mut().zip(a).zip(b) {
        *r = op(p, q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{MissingBinding, substitute};
    use crate::parse;
    use crate::testing::expression;
    use crate::trace::trace;
    use nabla_autodiff::test_functions::rosenbrock;
    use nabla_autodiff::{Dual, gradient_forward};
    use proptest::prelude::*;

    /// `Σ_{k<terms} template(x → a_k, y → a_{(7k+3) mod terms}, z → b_k)`, plus `extra`, over the
    /// inputs `a_0…, b_0…`: slot `x` reads consecutive inputs, slot `y` a table.
    fn repeated_sum(s: &mut Store, template: &str, terms: usize, extra: &str) -> (Id, Vec<Symbol>) {
        let t = parse(s, template).unwrap();
        let (x, y, z) = (s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z"));
        let names: Vec<String> = (0..terms)
            .map(|k| format!("a{k}"))
            .chain((0..terms).map(|k| format!("b{k}")))
            .collect();
        let mut inputs: Vec<Symbol> = names.iter().map(|n| s.symbol_id(n)).collect();
        let mut sum = vec![parse(s, extra).unwrap()];
        for k in 0..terms {
            let rename = [(x, k), (y, (7 * k + 3) % terms), (z, terms + k)]
                .into_iter()
                .map(|(from, to)| (from, s.symbol(&names[to])))
                .collect();
            sum.push(substitute(s, t, &rename));
        }
        inputs.extend([x, y, z]);
        (s.add(sum), inputs)
    }

    /// `Σ_{k<terms} template(x → a_k, y → a_{k+dy}, z → a_{k+dz})` over `a_0…`: every slot reads
    /// consecutive inputs.
    fn shifted_sum(
        s: &mut Store,
        template: &str,
        terms: usize,
        dy: usize,
        dz: usize,
    ) -> (Id, Vec<Symbol>) {
        let t = parse(s, template).unwrap();
        let (x, y, z) = (s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z"));
        let inputs = (0..terms + dy.max(dz))
            .map(|k| s.symbol_id(&format!("a{k}")))
            .collect();
        let mut sum = Vec::new();
        for k in 0..terms {
            let rename = [(x, k), (y, k + dy), (z, k + dz)]
                .into_iter()
                .map(|(from, to)| (from, s.symbol(&format!("a{to}"))))
                .collect();
            sum.push(substitute(s, t, &rename));
        }
        (s.add(sum), inputs)
    }

    /// Expressions of the operations AVX loops have (`expression()` adds functions and powers).
    #[cfg(target_arch = "x86_64")]
    fn arithmetic() -> impl Strategy<Value = String> {
        crate::testing::leaf().prop_recursive(4, 24, 3, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} - {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} * {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} / ({b}^2 + 1))")),
                inner.clone().prop_map(|a| format!("(-{a})^2")),
                inner.clone().prop_map(|a| format!("abs({a})")),
                inner.prop_map(|a| format!("sqrt({a}^2 + 2)")),
            ]
        })
    }

    /// `n` coordinates drawn from `[0.3, 1.7)`.
    fn random_point(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n).map(|_| 0.3 + 1.4 * rng.f64()).collect()
    }

    fn close(a: &[f64], b: &[f64], scale: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(p, q)| p == q || (p - q).abs() <= 1e-12 * scale * (1.0 + q.abs()))
    }

    /// The chained Rosenbrock function of n variables, traced from its Rust definition.
    fn rosenbrock_sum(n: usize) -> (Store, Id, Vec<Symbol>) {
        let mut s = Store::new();
        let vars: Vec<Symbol> = (1..=n).map(|i| s.symbol_id(&format!("x{i}"))).collect();
        let (f, _) = trace(&mut s, &vars, &vec![1.0; n], rosenbrock);
        (s, f, vars)
    }

    #[test]
    fn rosenbrock_is_one_batch_of_consecutive_slots() {
        let n = 200;
        let (mut s, f, vars) = rosenbrock_sum(n);
        let batched = Program::value_and_gradient(&mut s, f, &vars).unwrap();
        // Two shapes, 100(b − a²)² and (1 − a)², side by side over the same terms: one batch.
        assert_eq!(batched.batches.len(), 1);
        assert!(
            batched
                .batches
                .iter()
                .all(|b| b.terms == n - 1
                    && b.slots.iter().all(|s| matches!(s, Slot::Consecutive(_))))
        );
        let flat = Program::flat_value_and_gradient(&mut s, f, &vars).unwrap();
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
        let (got, want) = (batched.eval_all(&x), flat.eval_all(&x));
        assert!(close(&got, &want, n as f64), "{got:?}\n{want:?}");
    }

    /// Rosenbrock's value and gradient at `x`, written out by hand.
    fn rosenbrock_by_hand(x: &[f64]) -> (f64, Vec<f64>) {
        let (mut value, mut gradient) = (0.0, vec![0.0; x.len()]);
        for i in 0..x.len() - 1 {
            let (a, b) = (x[i], x[i + 1]);
            value += 100.0 * (b - a * a).powi(2) + (1.0 - a).powi(2);
            gradient[i] += -400.0 * a * (b - a * a) - 2.0 * (1.0 - a);
            gradient[i + 1] += 200.0 * (b - a * a);
        }
        (value, gradient)
    }

    /// Long sums split across threads; their AVX loops write the gradient whatever it held
    /// before (over `f64`), and other numbers, which add to it, find it zeroed.
    #[test]
    fn long_sums_write_their_gradient_whatever_it_held() {
        for n in [NATIVE_TERMS + 13, 2 * PARALLEL_TERMS + 3] {
            let (mut s, f, vars) = rosenbrock_sum(n);
            let program = Program::value_and_gradient(&mut s, f, &vars).unwrap();
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                let avx = |b: &Batch| {
                    matches!(b.native.as_deref(), Some(MachineLoop::Avx(_))) && b.writes_gradient
                };
                assert!(
                    program.batches.iter().all(avx),
                    "Rosenbrock runs in AVX loops"
                );
            }
            let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
            let (value, gradient) = rosenbrock_by_hand(&x);
            let mut got = vec![f64::NAN; n + 1];
            program.evaluator().eval(&x, &mut got);
            assert!(
                close(&got[..1], &[value], n as f64),
                "{} vs {value}",
                got[0]
            );
            assert!(close(&got[1..], &gradient, 1.0));

            // Forward mode along the first input, through the same program.
            let dual: Vec<Dual> = x
                .iter()
                .enumerate()
                .map(|(i, &v)| Dual::new(v, (i == 0) as u8 as f64))
                .collect();
            let mut got_dual = vec![Dual::new(f64::NAN, f64::NAN); n + 1];
            program.evaluator().eval(&dual, &mut got_dual);
            let values: Vec<f64> = got_dual.iter().map(|d| d.re).collect();
            assert!(close(&values, &got, n as f64));
        }
    }

    #[test]
    fn small_groups_and_foreign_symbols_stay_flat() {
        let mut s = Store::new();
        let (f, inputs) = repeated_sum(&mut s, "x*z", MIN_TERMS - 1, "0");
        let program = Program::compile(&s, &[f], &inputs).unwrap();
        assert!(program.batches.is_empty());
        // A symbol that is not an input is reported, batched or not.
        let (f, inputs) = repeated_sum(&mut s, "x*z + w", MIN_TERMS, "0");
        let err = Program::compile(&s, &[f], &inputs[..2 * MIN_TERMS]).unwrap_err();
        assert_eq!(err, MissingBinding("w".into()));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Machine code gives the interpreter's values: every operation, slots `d` entries
        /// apart (whose partials the loop carries over iterations), odd and even term counts.
        #[test]
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        fn native_batches_equal_the_flat_program(
            template in expression(),
            second in expression(),
            dy in 0usize..6,
            dz in 0usize..6,
            extra_terms in 0usize..40,
            seed in 0u64..1000,
        ) {
            let terms = NATIVE_TERMS + extra_terms;
            let mut s = Store::new();
            // Two shapes side by side over the same terms, merged into one batch.
            let (f, inputs) = shifted_sum(&mut s, &format!("{template} + {second}"), terms, dy, dz);
            let point = random_point(inputs.len(), seed);
            let batched = Program::value_and_gradient(&mut s, f, &inputs).unwrap();
            prop_assume!(batched.batches.iter().any(|b| b.native.is_some()));
            let flat = Program::flat_value_and_gradient(&mut s, f, &inputs).unwrap();
            let (got, want) = (batched.eval_all(&point), flat.eval_all(&point));
            prop_assume!(want.iter().all(|v| v.is_finite() && v.abs() < 1e8));
            prop_assert!(close(&got, &want, terms as f64), "{}\n{:?}\n{:?}", template, got, want);
            let value = Program::compile(&s, &[f], &inputs).unwrap();
            let value_flat = Program::flat(&s, &[f], &inputs).unwrap();
            prop_assert!(close(&value.eval_all(&point), &value_flat.eval_all(&point), terms as f64));
        }

        /// The AVX loops (four or eight terms per iteration) add to every gradient entry what
        /// the Cranelift loop (two) adds, to the bit, over any range of terms, and touch no
        /// entry outside the range's; their value sums differ only by the order of additions.
        #[test]
        #[cfg(target_arch = "x86_64")]
        fn avx_loops_equal_cranelift_loops(
            a in arithmetic(),
            b in arithmetic(),
            dy in 0usize..18,
            dz in 0usize..18,
            octets in 0usize..20,
            skip in 0usize..9,
            seed in 0u64..1000,
        ) {
            prop_assume!(std::arch::is_x86_feature_detected!("avx"));
            let terms = 8 * octets + MIN_TERMS;
            let mut s = Store::new();
            // Products keep the terms apart and every slot in them.
            let template = format!("x*y*z*({a}) + ({b})*(y - z)^2");
            let (f, inputs) = shifted_sum(&mut s, &template, terms, dy, dz);
            let program = Program::value_and_gradient(&mut s, f, &inputs).unwrap();
            let x = random_point(inputs.len(), seed);
            let mut compared = 0;
            for batch in &program.batches {
                // Terms that merge (`Σ a_k`) leave no batch of consecutive slots.
                let Some(firsts) = firsts(&batch.slots) else { continue };
                let cranelift = NativeBatch::compile(&batch.template, &firsts, true).unwrap();
                let mut by_cranelift: Vec<f64> = x.iter().map(|v| v.sin()).collect();
                let initial = by_cranelift.clone();
                // Ranges of whole iterations for either width (eight lanes with AVX-512).
                let start = 8 * skip.min(batch.terms / 8);
                let end = batch.terms / 8 * 8;
                // SAFETY: slot s reads and adds to entries `firsts[s] + k`, k < end ≤ terms.
                let c = unsafe { cranelift.run(x.as_ptr(), by_cranelift.as_mut_ptr(), start, end) };
                if !(c.is_finite() && c.abs() < 1e8) {
                    continue;
                }
                // Rosenbrock-sized templates always fit; the largest random ones may not.
                for avx in AvxBatch::each_width(&batch.template, &firsts, true) {
                    let mut by_avx = initial.clone();
                    // SAFETY: as above.
                    let a = unsafe { avx.run(x.as_ptr(), by_avx.as_mut_ptr(), start, end) };
                    prop_assert!(close(&[a], &[c], terms as f64), "{avx:?}: {a} vs {c}");
                    for (i, (p, q)) in by_avx.iter().zip(&by_cranelift).enumerate() {
                        prop_assert!(p.to_bits() == q.to_bits(), "{avx:?}: {template}: entry {i}: {p} vs {q}");
                    }
                    compared += 1;
                }
            }
            prop_assume!(compared > 0);
        }

        /// Batched programs (values, gradients, and forward mode through them) equal flat ones.
        #[test]
        fn batches_equal_the_flat_program(
            template in expression(),
            extra in expression(),
            terms in MIN_TERMS..3 * LANES,
            seed in 0u64..1000,
        ) {
            let mut s = Store::new();
            let (f, inputs) = repeated_sum(&mut s, &template, terms, &extra);
            let x = random_point(inputs.len(), seed);

            let batched = Program::value_and_gradient(&mut s, f, &inputs).unwrap();
            let flat = Program::flat_value_and_gradient(&mut s, f, &inputs).unwrap();
            let (got, want) = (batched.eval_all(&x), flat.eval_all(&x));
            prop_assume!(want.iter().all(|v| v.is_finite() && v.abs() < 1e8));
            prop_assert!(close(&got, &want, terms as f64), "{}\n{:?}\n{:?}", template, got, want);

            let value = Program::compile(&s, &[f], &inputs).unwrap();
            let value_flat = Program::flat(&s, &[f], &inputs).unwrap();
            let (v, dv) = gradient_forward(|x| value.eval_first(x), &x);
            let (w, dw) = gradient_forward(|x| value_flat.eval_first(x), &x);
            prop_assert!(close(&[v], &[w], terms as f64));
            prop_assert!(close(&dv, &dw, terms as f64), "{}", template);
        }
    }
}
