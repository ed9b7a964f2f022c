//! Batch loops in x86-64 machine code with 256-bit AVX vectors (assembled with iced-x86).
//!
//! Cranelift's x86-64 back end has only 128-bit vectors, so its batch loops (module `native`)
//! run two terms per instruction. The loop written here runs four: the same design (every
//! intermediate in a register, inputs read as whole vectors, the partials of neighbouring inputs
//! combined across iterations so that no store overlaps the next load), for templates made of the
//! operations AVX has: `+ − · /`, square, negation, square root, reciprocal and `|·|`. Each lane
//! performs the interpreter's IEEE operations in the interpreter's order, so values and partials
//! of single terms are the interpreter's to the bit. Templates with other operations, or with
//! more live values than the sixteen vector registers hold, stay with Cranelift.

use iced_x86::IcedError;
use iced_x86::code_asm::{
    AsmMemoryOperand, AsmRegisterYmm, CodeAssembler, r8, r9, rcx, rdi, rdx, rsi, ymm0, ymm1, ymm2,
    ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15,
    ymmword_ptr,
};
use memmap2::{Mmap, MmapMut};
use rustc_hash::FxHashMap;

use super::{Op, Program};
use crate::store::Func;

/// Terms per vector instruction.
pub(super) const LANES: usize = 4;

const REGISTERS: [AsmRegisterYmm; 16] = [
    ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14,
    ymm15,
];

/// `fn(x, gradient, start, end, constants, carry)`: runs terms `start..end` (a multiple of
/// [`LANES`]), adds their partials to `gradient` except the last few of slots read ahead of the
/// lowest one, and leaves in `carry` the vector of value sums followed by those slots' last
/// partial vectors.
type Kernel = unsafe extern "sysv64" fn(
    *const f64,
    *mut f64,
    i64,
    i64,
    *const [f64; LANES],
    *mut [f64; LANES],
);

/// A batch's loop in AVX machine code.
pub(super) struct AvxBatch {
    _code: Mmap,
    kernel: Kernel,
    /// Each constant of the template, once per lane.
    constants: Vec<[f64; LANES]>,
    /// Per slot, how far ahead of the lowest slot it reads, when the template has partials.
    delays: Option<Vec<usize>>,
    lowest: usize,
}

impl std::fmt::Debug for AvxBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AvxBatch")
    }
}

/// Vectors the kernel leaves in `carry`: the value sums and at most all other registers.
const CARRY: usize = REGISTERS.len();

impl AvxBatch {
    /// Compiles `template` like `NativeBatch::compile`; `None` when the CPU lacks AVX or the
    /// template has an operation AVX lacks or too many live values.
    pub(super) fn compile(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
        if !std::arch::is_x86_feature_detected!("avx") {
            return None;
        }
        let lowest = firsts.iter().copied().min().unwrap_or(0);
        let delays: Vec<usize> = firsts.iter().map(|f| f - lowest).collect();
        let mut assembler = Assembler::new(firsts, lowest).ok()?;
        let bytes = assembler
            .kernel(template, gradient.then_some(&delays))
            .ok()?;
        let mut memory = MmapMut::map_anon(bytes.len()).ok()?;
        memory.copy_from_slice(&bytes);
        let code = memory.make_exec().ok()?;
        // SAFETY: the bytes are a complete function with the `Kernel` signature (position
        // independent: it addresses nothing but its arguments), now mapped executable.
        let kernel = unsafe { std::mem::transmute::<*const u8, Kernel>(code.as_ptr()) };
        Some(AvxBatch {
            _code: code,
            kernel,
            constants: assembler.constants,
            delays: gradient.then_some(delays),
            lowest,
        })
    }

    /// Runs the terms `start..end` (a multiple of [`LANES`]) and returns the sum of their values.
    ///
    /// # Safety
    /// As `NativeBatch::run`: for every slot's first input `f`, `x` must be valid for reads of
    /// `f + start..f + end`, and (when the template has partials) `gradient` for reads and
    /// writes of the same indices, with no other reference to them alive.
    pub(super) unsafe fn run(
        &self,
        x: *const f64,
        gradient: *mut f64,
        start: usize,
        end: usize,
    ) -> f64 {
        debug_assert!((end - start).is_multiple_of(LANES));
        if start == end {
            return 0.0;
        }
        let mut carry = [[0.0; LANES]; CARRY];
        // SAFETY: the caller guarantees the memory of `x` and `gradient`; `constants` holds
        // every constant the kernel reads and `carry` room for every vector it leaves.
        unsafe {
            (self.kernel)(
                x,
                gradient,
                start as i64,
                end as i64,
                self.constants.as_ptr(),
                carry.as_mut_ptr(),
            )
        };
        if let Some(delays) = &self.delays {
            // Slot s's partials of terms `end − 1 − t`, t < d_s, are due at entries past the
            // ones the loop stored: lane `LANES − 1 − t mod LANES` of the vector `t / LANES`
            // iterations back.
            let mut past = &carry[1..];
            for &d in delays {
                let (mine, rest) = past.split_at(d.div_ceil(LANES));
                for t in 0..d.min(end - start) {
                    let entry = self.lowest + d + end - 1 - t;
                    // SAFETY: term `end − 1 − t` is in range and reads input `entry`.
                    unsafe { *gradient.add(entry) += mine[t / LANES][LANES - 1 - t % LANES] };
                }
                past = rest;
            }
        }
        let sums = carry[0];
        (sums[0] + sums[1]) + (sums[2] + sums[3])
    }
}

/// A template with an operation AVX lacks or more live values than registers (or, never
/// expected, an instruction the assembler rejects): it gets no AVX loop.
struct Unsupported;

impl From<IcedError> for Unsupported {
    fn from(_: IcedError) -> Self {
        Unsupported
    }
}

/// Where a template value lives during an iteration.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Register(usize),
    /// Entry of the constant table (one vector per constant).
    Constant(usize),
    /// The input vector `first + k`, read from memory where it is used.
    Input(usize),
}

/// Builds one kernel: the constant table, the free registers, the code.
struct Assembler<'a> {
    code: CodeAssembler,
    constants: Vec<[f64; LANES]>,
    constant_index: FxHashMap<u64, usize>,
    free: Vec<usize>,
    firsts: &'a [usize],
    lowest: usize,
}

// Registers of the kernel's arguments (System V): x, gradient, k (from `start`), end,
// constants, carry.
const X: iced_x86::code_asm::AsmRegister64 = rdi;
const GRADIENT: iced_x86::code_asm::AsmRegister64 = rsi;
const K: iced_x86::code_asm::AsmRegister64 = rdx;
const END: iced_x86::code_asm::AsmRegister64 = rcx;
const CONSTANTS: iced_x86::code_asm::AsmRegister64 = r8;
const CARRIED: iced_x86::code_asm::AsmRegister64 = r9;

impl<'a> Assembler<'a> {
    fn new(firsts: &'a [usize], lowest: usize) -> Result<Self, Unsupported> {
        // Displacements are 32-bit: entry `first + k` sits `8·first` bytes past entry `k`.
        if firsts.iter().any(|&f| i32::try_from(8 * f).is_err()) {
            return Err(Unsupported);
        }
        Ok(Assembler {
            code: CodeAssembler::new(64)?,
            constants: Vec::new(),
            constant_index: FxHashMap::default(),
            free: (0..REGISTERS.len()).rev().collect(),
            firsts,
            lowest,
        })
    }

    fn take(&mut self) -> Result<usize, Unsupported> {
        self.free.pop().ok_or(Unsupported)
    }

    fn constant(&mut self, c: f64) -> Place {
        let next = self.constants.len();
        let index = *self.constant_index.entry(c.to_bits()).or_insert(next);
        if index == next {
            self.constants.push([c; LANES]);
        }
        Place::Constant(index)
    }

    fn memory(&self, place: Place) -> AsmMemoryOperand {
        match place {
            Place::Constant(c) => ymmword_ptr(CONSTANTS + 32 * c as i32),
            Place::Input(first) => ymmword_ptr(X + K * 8 + 8 * first as i32),
            Place::Register(_) => unreachable!("registers are not memory"),
        }
    }

    /// `place` in a register: its own, or `into` after loading it there.
    fn in_register(&mut self, place: Place, into: usize) -> Result<AsmRegisterYmm, Unsupported> {
        Ok(match place {
            Place::Register(r) => REGISTERS[r],
            _ => {
                let memory = self.memory(place);
                self.code.vmovupd(REGISTERS[into], memory)?;
                REGISTERS[into]
            }
        })
    }

    /// `into = first ∘ second` for a binary AVX instruction `∘`.
    fn binary(
        &mut self,
        operation: Binary,
        into: usize,
        first: Place,
        second: Place,
    ) -> Result<(), Unsupported> {
        let first = self.in_register(first, into)?;
        let into = REGISTERS[into];
        let c = &mut self.code;
        match second {
            Place::Register(r) => {
                let second = REGISTERS[r];
                match operation {
                    Binary::Add => c.vaddpd(into, first, second),
                    Binary::Sub => c.vsubpd(into, first, second),
                    Binary::Mul => c.vmulpd(into, first, second),
                    Binary::Div => c.vdivpd(into, first, second),
                    Binary::And => c.vandpd(into, first, second),
                    Binary::Xor => c.vxorpd(into, first, second),
                }?
            }
            _ => {
                let second = self.memory(second);
                let c = &mut self.code;
                match operation {
                    Binary::Add => c.vaddpd(into, first, second),
                    Binary::Sub => c.vsubpd(into, first, second),
                    Binary::Mul => c.vmulpd(into, first, second),
                    Binary::Div => c.vdivpd(into, first, second),
                    Binary::And => c.vandpd(into, first, second),
                    Binary::Xor => c.vxorpd(into, first, second),
                }?
            }
        }
        Ok(())
    }

    /// The whole kernel for `template`; `delays` (per slot) when its partials are accumulated.
    fn kernel(
        &mut self,
        template: &Program,
        delays: Option<&Vec<usize>>,
    ) -> Result<Vec<u8>, Unsupported> {
        // Loop-carried registers: the value sums, then each slot's last partial vectors.
        let sums = self.take()?;
        let history: Vec<Vec<usize>> = match delays {
            Some(delays) => delays
                .iter()
                .map(|d| (0..d.div_ceil(LANES)).map(|_| self.take()).collect())
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let carried: Vec<usize> = std::iter::once(sums)
            .chain(history.iter().flatten().copied())
            .collect();
        for &r in &carried {
            let r = REGISTERS[r];
            self.code.vxorpd(r, r, r)?;
        }
        let mut top = self.code.create_label();
        let mut done = self.code.create_label();
        self.code.cmp(K, END)?;
        self.code.jge(done)?;
        self.code.set_label(&mut top)?;

        let places = self.body(template)?;
        let output = |o: usize| places[template.outputs[o] as usize];
        self.binary(Binary::Add, sums, Place::Register(sums), output(0))?;
        if let Some(delays) = delays {
            self.gradient(delays, &history, |s| output(1 + s))?;
        }

        self.code.add(K, LANES as i32)?;
        self.code.cmp(K, END)?;
        self.code.jl(top)?;
        self.code.set_label(&mut done)?;
        for (i, &r) in carried.iter().enumerate() {
            self.code
                .vmovupd(ymmword_ptr(CARRIED + 32 * i as i32), REGISTERS[r])?;
        }
        self.code.vzeroupper()?;
        self.code.ret()?;
        Ok(self.code.assemble(0)?)
    }

    /// One iteration's instructions: the place of every template value.
    fn body(&mut self, template: &Program) -> Result<Vec<Place>, Unsupported> {
        let ops = &template.ops;
        // A value's register is free after the last instruction reading it; outputs stay live
        // to the end of the iteration.
        let mut last_use = vec![None; ops.len()];
        for (i, op) in ops.iter().enumerate() {
            for a in operands(op) {
                last_use[a as usize] = Some(i);
            }
        }
        for &o in &template.outputs {
            last_use[o as usize] = Some(usize::MAX);
        }
        let mut places = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let at = |k: u32| places[k as usize];
            let place = match *op {
                Op::Const(c) => self.constant(c),
                Op::Input(s) => Place::Input(self.firsts[s as usize]),
                _ => {
                    // Taken before the operands are released, so loading an operand into it
                    // never overwrites the other.
                    let into = self.take()?;
                    match *op {
                        Op::Add(p, q) | Op::Mul(p, q) => {
                            let binary = if matches!(op, Op::Add(..)) {
                                Binary::Add
                            } else {
                                Binary::Mul
                            };
                            // Either operand may be read from memory; the other must be a
                            // register, or be loaded into one.
                            let (p, q) = match (at(p), at(q)) {
                                (p, q @ Place::Register(_)) if !matches!(p, Place::Register(_)) => {
                                    (q, p)
                                }
                                pq => pq,
                            };
                            self.binary(binary, into, p, q)?
                        }
                        Op::Sub(p, q) => self.binary(Binary::Sub, into, at(p), at(q))?,
                        Op::Square(p) => {
                            let p = self.in_register(at(p), into)?;
                            self.code.vmulpd(REGISTERS[into], p, p)?
                        }
                        Op::Neg(p) => {
                            let sign = self.constant(-0.0);
                            self.binary(Binary::Xor, into, at(p), sign)?
                        }
                        Op::Call(Func::Abs, p) => {
                            let magnitude = self.constant(f64::from_bits(!(1 << 63)));
                            self.binary(Binary::And, into, at(p), magnitude)?
                        }
                        Op::Sqrt(p) => match at(p) {
                            Place::Register(r) => {
                                self.code.vsqrtpd(REGISTERS[into], REGISTERS[r])?
                            }
                            p => {
                                let memory = self.memory(p);
                                self.code.vsqrtpd(REGISTERS[into], memory)?
                            }
                        },
                        Op::Recip(p) => {
                            let one = self.constant(1.0);
                            self.binary(Binary::Div, into, one, at(p))?
                        }
                        _ => return Err(Unsupported),
                    }
                    Place::Register(into)
                }
            };
            places.push(place);
            let mut released = operands(op);
            released.dedup();
            for a in released {
                if last_use[a as usize] == Some(i)
                    && let Place::Register(r) = places[a as usize]
                {
                    self.free.push(r);
                }
            }
            if last_use[i].is_none()
                && let Place::Register(r) = place
            {
                self.free.push(r);
            }
        }
        Ok(places)
    }

    /// Adds this iteration's partials to the gradient: entries `lowest + k + j`, j < LANES,
    /// receive slot s's partial of term `k + j − d_s`, from this iteration's vector or from
    /// the slot's vectors of earlier iterations; then shifts each slot's history.
    fn gradient(
        &mut self,
        delays: &[usize],
        history: &[Vec<usize>],
        partial: impl Fn(usize) -> Place,
    ) -> Result<(), Unsupported> {
        let mut combined: Option<Place> = None;
        // Registers of this stage, free again at its end.
        let mut scratch = Vec::new();
        for (s, &d) in delays.iter().enumerate() {
            let past = &history[s];
            let current = partial(s);
            let (m, r) = (d / LANES, d % LANES);
            let newer = if m == 0 {
                current
            } else {
                Place::Register(past[m - 1])
            };
            let due = if r == 0 {
                newer
            } else {
                let newer = match newer {
                    Place::Register(n) => REGISTERS[n],
                    _ => {
                        let n = self.take()?;
                        scratch.push(n);
                        self.in_register(newer, n)?
                    }
                };
                let older = REGISTERS[past[m]];
                let t = self.take()?;
                scratch.push(t);
                let into = REGISTERS[t];
                // [older₂, older₃, newer₀, newer₁], then the window of four starting at
                // lane 4 − r of `older, newer` side by side.
                self.code.vperm2f128(into, older, newer, 0x21)?;
                match r {
                    1 => self.code.vshufpd(into, into, newer, 0b0101)?,
                    3 => self.code.vshufpd(into, older, into, 0b0101)?,
                    _ => {}
                }
                Place::Register(t)
            };
            combined = Some(match combined {
                None => due,
                Some(Place::Register(c)) if scratch.contains(&c) => {
                    self.binary(Binary::Add, c, Place::Register(c), due)?;
                    Place::Register(c)
                }
                Some(sofar) => {
                    let c = self.take()?;
                    scratch.push(c);
                    let (a, b) = if matches!(sofar, Place::Register(_)) {
                        (sofar, due)
                    } else {
                        (due, sofar)
                    };
                    self.binary(Binary::Add, c, a, b)?;
                    Place::Register(c)
                }
            });
        }
        if let Some(combined) = combined {
            let entries = ymmword_ptr(GRADIENT + K * 8 + 8 * self.lowest as i32);
            let t = self.take()?;
            scratch.push(t);
            let sum = self.in_register(combined, t)?;
            self.code.vaddpd(REGISTERS[t], sum, entries)?;
            self.code.vmovupd(entries, REGISTERS[t])?;
        }
        for (s, past) in history.iter().enumerate() {
            for j in (1..past.len()).rev() {
                self.code
                    .vmovapd(REGISTERS[past[j]], REGISTERS[past[j - 1]])?;
            }
            if let Some(&newest) = past.first() {
                match partial(s) {
                    Place::Register(r) => self.code.vmovapd(REGISTERS[newest], REGISTERS[r])?,
                    place => {
                        let memory = self.memory(place);
                        self.code.vmovupd(REGISTERS[newest], memory)?
                    }
                }
            }
        }
        self.free.extend(scratch);
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Xor,
}

/// The registers `op` reads.
fn operands(op: &Op) -> Vec<u32> {
    match *op {
        Op::Const(_) | Op::Input(_) => vec![],
        Op::Add(p, q) | Op::Sub(p, q) | Op::Mul(p, q) | Op::Powf(p, q) | Op::Atan2(p, q) => {
            vec![p, q]
        }
        Op::Neg(p)
        | Op::Recip(p)
        | Op::Sqrt(p)
        | Op::Square(p)
        | Op::Powi(p, _)
        | Op::Call(_, p) => {
            vec![p]
        }
    }
}
