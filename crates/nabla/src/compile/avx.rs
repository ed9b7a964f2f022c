//! Batch loops in x86-64 machine code with AVX vectors (assembled with iced-x86).
//!
//! Cranelift's x86-64 back end has only 128-bit vectors, so its batch loops (module `native`)
//! run two terms per instruction. The loops written here run four (AVX2, 256-bit `ymm`
//! registers) or eight (AVX-512, 512-bit `zmm`): the same design (every intermediate in a
//! register, inputs read as whole vectors, the partials of neighbouring inputs combined across
//! iterations so that no store overlaps the next load), for templates made of the operations
//! both have: `+ − · /`, square, negation, square root, reciprocal and `|·|`. Each lane performs
//! the interpreter's IEEE operations in the interpreter's order, so values and partials of single
//! terms are the interpreter's to the bit. Templates with other operations, or with more live
//! values than the vector registers hold, stay with Cranelift.
//!
//! Each loop comes in two variants: one adds its partials to the gradient, the other writes them
//! over it, for a batch that the rest of the program leaves its gradient entries to (then the
//! gradient is neither zeroed first nor read back).

use iced_x86::IcedError;
use iced_x86::code_asm::{
    AsmMemoryOperand, AsmRegister64, AsmRegisterYmm, AsmRegisterZmm, CodeAssembler, r8, r9, rcx,
    rdi, rdx, rsi, ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12,
    ymm13, ymm14, ymm15, ymmword_ptr, zmm0, zmm1, zmm2, zmm3, zmm4, zmm5, zmm6, zmm7, zmm8, zmm9,
    zmm10, zmm11, zmm12, zmm13, zmm14, zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22,
    zmm23, zmm24, zmm25, zmm26, zmm27, zmm28, zmm29, zmm30, zmm31, zmmword_ptr,
};
use memmap2::{Mmap, MmapMut};
use rustc_hash::FxHashMap;

use super::{Op, Program};
use crate::store::Func;

/// Most lanes of any vector width here.
const MAX_LANES: usize = 8;
/// Most vectors a kernel leaves in `carry`: the value sums and the slots' histories (Rosenbrock
/// needs two; a template needing more stays with Cranelift, which keeps them in its own frame).
const MAX_CARRY: usize = 8;

/// `fn(x, gradient, start, end, constants, carry)`: runs terms `start..end` (a multiple of the
/// lanes), adds their partials to `gradient` (or, in the storing variant, writes them over it)
/// except the last few of slots read ahead of the lowest one, and leaves in `carry` the vector of
/// value sums followed by those slots' last partial vectors.
type Kernel = unsafe extern "sysv64" fn(*const f64, *mut f64, i64, i64, *const f64, *mut f64);

/// A batch's loop in AVX machine code.
pub(super) struct AvxBatch {
    adding: Code,
    /// The loop that stores its partials instead of adding them, when the template has any.
    storing: Option<Code>,
    lanes: usize,
    /// Each constant of the template, once per lane.
    constants: Vec<f64>,
    /// Per slot, how far ahead of the lowest slot it reads, when the template has partials.
    delays: Option<Vec<usize>>,
    lowest: usize,
}

/// One kernel: its executable memory and its entry.
struct Code {
    _memory: Mmap,
    kernel: Kernel,
}

impl Code {
    fn map(bytes: &[u8]) -> Option<Code> {
        let mut memory = MmapMut::map_anon(bytes.len()).ok()?;
        memory.copy_from_slice(bytes);
        let memory = memory.make_exec().ok()?;
        // SAFETY: the bytes are a complete function with the `Kernel` signature (position
        // independent: it addresses nothing but its arguments), now mapped executable.
        let kernel = unsafe { std::mem::transmute::<*const u8, Kernel>(memory.as_ptr()) };
        Some(Code {
            _memory: memory,
            kernel,
        })
    }
}

impl std::fmt::Debug for AvxBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AvxBatch({} lanes)", self.lanes)
    }
}

/// What a kernel leaves after a range of terms: the value sums and the partials still due.
pub(super) struct Carry {
    vectors: [f64; MAX_CARRY * MAX_LANES],
    start: usize,
    end: usize,
}

impl AvxBatch {
    /// Compiles `template` like `NativeBatch::compile`, with the widest vectors this CPU has;
    /// `None` when it has no AVX, or the template an operation AVX lacks or too many live
    /// values.
    pub(super) fn compile(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
        if std::arch::is_x86_feature_detected!("avx512f") {
            Self::compile_for::<Zmm>(template, firsts, gradient)
        } else if std::arch::is_x86_feature_detected!("avx") {
            Self::compile_for::<Ymm>(template, firsts, gradient)
        } else {
            None
        }
    }

    /// The loops of every width this CPU has, for tests to hold against each other.
    #[cfg(test)]
    pub(super) fn each_width(template: &Program, firsts: &[usize], gradient: bool) -> Vec<Self> {
        let mut loops = Vec::new();
        if std::arch::is_x86_feature_detected!("avx") {
            loops.extend(Self::compile_for::<Ymm>(template, firsts, gradient));
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            loops.extend(Self::compile_for::<Zmm>(template, firsts, gradient));
        }
        loops
    }

    /// Compiles `template` with vectors `W`: the caller checked that the CPU has them.
    fn compile_for<W: Width>(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
        let lowest = firsts.iter().copied().min().unwrap_or(0);
        let delays: Vec<usize> = firsts.iter().map(|f| f - lowest).collect();
        let delays = gradient.then_some(delays);
        let assemble = |store: bool| {
            let mut assembler = Assembler::<W>::new(firsts, lowest).ok()?;
            let bytes = assembler.kernel(template, delays.as_ref(), store).ok()?;
            Some((Code::map(&bytes)?, assembler.constants))
        };
        let (adding, constants) = assemble(false)?;
        let storing = match gradient {
            true => Some(assemble(true)?.0),
            false => None,
        };
        Some(AvxBatch {
            adding,
            storing,
            lanes: W::LANES,
            constants,
            delays,
            lowest,
        })
    }

    /// Terms per iteration: `run` and `store` take a multiple of it.
    pub(super) fn lanes(&self) -> usize {
        self.lanes
    }

    /// Runs the terms `start..end` (a multiple of [`AvxBatch::lanes`]), adds their partials to
    /// `gradient` and returns the sum of their values.
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
        // SAFETY: passed on from the caller, whose entries `finish` adds to as well.
        unsafe {
            let carry = self.call(&self.adding, x, gradient, start, end);
            self.finish(carry, gradient)
        }
    }

    /// Like [`AvxBatch::run`], but the partials overwrite entries `lowest + start..lowest + end`
    /// of `gradient` (which therefore need no zeroing, and are not read), less what terms before
    /// `start` add there (the range before adds it with its [`AvxBatch::finish`]); this range's
    /// own partials due past `lowest + end` wait in the carry for its `finish`. The template
    /// must have partials.
    ///
    /// # Safety
    /// As [`AvxBatch::run`], for writes of entries `lowest + start..lowest + end` only.
    pub(super) unsafe fn store(
        &self,
        x: *const f64,
        gradient: *mut f64,
        start: usize,
        end: usize,
    ) -> Carry {
        let storing = self.storing.as_ref().expect("a template with partials");
        // SAFETY: passed on from the caller.
        unsafe { self.call(storing, x, gradient, start, end) }
    }

    /// # Safety
    /// As [`AvxBatch::run`].
    unsafe fn call(
        &self,
        code: &Code,
        x: *const f64,
        gradient: *mut f64,
        start: usize,
        end: usize,
    ) -> Carry {
        debug_assert!((end - start).is_multiple_of(self.lanes));
        let mut carry = Carry {
            vectors: [0.0; MAX_CARRY * MAX_LANES],
            start,
            end,
        };
        if start < end {
            // SAFETY: the caller guarantees the memory of `x` and `gradient`; `constants`
            // holds every constant the kernel reads and `carry` room for every vector it
            // leaves.
            unsafe {
                (code.kernel)(
                    x,
                    gradient,
                    start as i64,
                    end as i64,
                    self.constants.as_ptr(),
                    carry.vectors.as_mut_ptr(),
                )
            };
        }
        carry
    }

    /// Adds a range's partials still due to `gradient` and returns the sum of its values.
    ///
    /// # Safety
    /// `gradient` must be valid for reads and writes of entries `f + end − d..f + end` for every
    /// slot's first input `f` (`d` its distance from the lowest), with no other reference to
    /// them alive.
    pub(super) unsafe fn finish(&self, carry: Carry, gradient: *mut f64) -> f64 {
        let lanes = self.lanes;
        let (sums, mut past) = carry.vectors.split_at(lanes);
        let (start, end) = (carry.start, carry.end);
        if let Some(delays) = &self.delays {
            // Slot s's partials of terms `end − 1 − t`, t < d_s, are due at entries past the
            // ones the loop stored: lane `lanes − 1 − t mod lanes` of the vector `t / lanes`
            // iterations back.
            for &d in delays {
                let (mine, rest) = past.split_at(d.div_ceil(lanes) * lanes);
                for t in 0..d.min(end - start) {
                    let entry = self.lowest + d + end - 1 - t;
                    let lane = mine[t / lanes * lanes + lanes - 1 - t % lanes];
                    // SAFETY: term `end − 1 − t` is in range and reads input `entry`.
                    unsafe { *gradient.add(entry) += lane };
                }
                past = rest;
            }
        }
        sums.iter().sum()
    }
}

/// A vector width: its registers and the instructions that differ between widths.
trait Width {
    type Register: Copy + 'static;
    const LANES: usize;
    const REGISTERS: &[Self::Register];
    /// `memory` as an operand of this width.
    fn operand(memory: AsmMemoryOperand) -> AsmMemoryOperand;
    fn binary(
        code: &mut CodeAssembler,
        operation: Binary,
        into: Self::Register,
        first: Self::Register,
        second: Operand<Self::Register>,
    ) -> Result<(), IcedError>;
    fn sqrt(
        code: &mut CodeAssembler,
        into: Self::Register,
        of: Operand<Self::Register>,
    ) -> Result<(), IcedError>;
    fn load(
        code: &mut CodeAssembler,
        into: Self::Register,
        from: Operand<Self::Register>,
    ) -> Result<(), IcedError>;
    fn store(
        code: &mut CodeAssembler,
        into: AsmMemoryOperand,
        from: Self::Register,
    ) -> Result<(), IcedError>;
    /// `into = [older[L − r..L], newer[0..L − r]]`, 0 < r < L lanes: the window of `L` lanes
    /// ending `r` lanes into `newer`, with `older` and `newer` side by side.
    fn window(
        code: &mut CodeAssembler,
        into: Self::Register,
        older: Self::Register,
        newer: Self::Register,
        r: usize,
    ) -> Result<(), IcedError>;
}

/// A register or a memory operand.
#[derive(Clone, Copy)]
enum Operand<R> {
    Register(R),
    Memory(AsmMemoryOperand),
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

/// Implements the width-generic instructions for a register type whose instructions have the
/// same names: both operand kinds of each binary instruction, loads and stores.
macro_rules! same_named_instructions {
    ($and:ident, $xor:ident) => {
        fn binary(
            code: &mut CodeAssembler,
            operation: Binary,
            into: Self::Register,
            first: Self::Register,
            second: Operand<Self::Register>,
        ) -> Result<(), IcedError> {
            // iced-x86 has one method per operand type: the same match for either kind.
            macro_rules! emit {
                ($second:expr) => {
                    match operation {
                        Binary::Add => code.vaddpd(into, first, $second),
                        Binary::Sub => code.vsubpd(into, first, $second),
                        Binary::Mul => code.vmulpd(into, first, $second),
                        Binary::Div => code.vdivpd(into, first, $second),
                        Binary::And => code.$and(into, first, $second),
                        Binary::Xor => code.$xor(into, first, $second),
                    }
                };
            }
            match second {
                Operand::Register(second) => emit!(second),
                Operand::Memory(second) => emit!(second),
            }
        }

        fn sqrt(
            code: &mut CodeAssembler,
            into: Self::Register,
            of: Operand<Self::Register>,
        ) -> Result<(), IcedError> {
            match of {
                Operand::Register(of) => code.vsqrtpd(into, of),
                Operand::Memory(of) => code.vsqrtpd(into, of),
            }
        }

        fn load(
            code: &mut CodeAssembler,
            into: Self::Register,
            from: Operand<Self::Register>,
        ) -> Result<(), IcedError> {
            match from {
                Operand::Register(from) => code.vmovapd(into, from),
                Operand::Memory(from) => code.vmovupd(into, from),
            }
        }

        fn store(
            code: &mut CodeAssembler,
            into: AsmMemoryOperand,
            from: Self::Register,
        ) -> Result<(), IcedError> {
            code.vmovupd(into, from)
        }
    };
}

/// AVX2: four lanes, sixteen registers.
struct Ymm;

impl Width for Ymm {
    type Register = AsmRegisterYmm;
    const LANES: usize = 4;
    const REGISTERS: &[AsmRegisterYmm] = &[
        ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13,
        ymm14, ymm15,
    ];

    fn operand(memory: AsmMemoryOperand) -> AsmMemoryOperand {
        ymmword_ptr(memory)
    }

    same_named_instructions!(vandpd, vxorpd);

    fn window(
        code: &mut CodeAssembler,
        into: AsmRegisterYmm,
        older: AsmRegisterYmm,
        newer: AsmRegisterYmm,
        r: usize,
    ) -> Result<(), IcedError> {
        // [older₂, older₃, newer₀, newer₁], then one lane either way within each half.
        code.vperm2f128(into, older, newer, 0x21)?;
        match r {
            1 => code.vshufpd(into, into, newer, 0b0101),
            3 => code.vshufpd(into, older, into, 0b0101),
            _ => Ok(()),
        }
    }
}

/// AVX-512: eight lanes, thirty-two registers. `vpandq`/`vpxorq` (AVX-512F) stand for
/// `vandpd`/`vxorpd` (AVX-512DQ): the same bits.
struct Zmm;

impl Width for Zmm {
    type Register = AsmRegisterZmm;
    const LANES: usize = 8;
    const REGISTERS: &[AsmRegisterZmm] = &[
        zmm0, zmm1, zmm2, zmm3, zmm4, zmm5, zmm6, zmm7, zmm8, zmm9, zmm10, zmm11, zmm12, zmm13,
        zmm14, zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26,
        zmm27, zmm28, zmm29, zmm30, zmm31,
    ];

    fn operand(memory: AsmMemoryOperand) -> AsmMemoryOperand {
        zmmword_ptr(memory)
    }

    same_named_instructions!(vpandq, vpxorq);

    fn window(
        code: &mut CodeAssembler,
        into: AsmRegisterZmm,
        older: AsmRegisterZmm,
        newer: AsmRegisterZmm,
        r: usize,
    ) -> Result<(), IcedError> {
        // Lanes `8 − r..16 − r` of `newer:older` (newer in the high half).
        code.valignq(into, newer, older, (8 - r) as i32)
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

// Registers of the kernel's arguments (System V): x, gradient, k (from `start`), end,
// constants, carry.
const X: AsmRegister64 = rdi;
const GRADIENT: AsmRegister64 = rsi;
const K: AsmRegister64 = rdx;
const END: AsmRegister64 = rcx;
const CONSTANTS: AsmRegister64 = r8;
const CARRY: AsmRegister64 = r9;

/// Builds one kernel with vectors `W`: the constant table, the free registers, the code.
struct Assembler<'a, W: Width> {
    code: CodeAssembler,
    constants: Vec<f64>,
    constant_index: FxHashMap<u64, usize>,
    free: Vec<usize>,
    firsts: &'a [usize],
    lowest: usize,
    width: std::marker::PhantomData<W>,
}

impl<'a, W: Width> Assembler<'a, W> {
    fn new(firsts: &'a [usize], lowest: usize) -> Result<Self, Unsupported> {
        // Displacements are 32-bit: entry `first + k` sits `8·first` bytes past entry `k`.
        if firsts.iter().any(|&f| i32::try_from(8 * f).is_err()) {
            return Err(Unsupported);
        }
        Ok(Assembler {
            code: CodeAssembler::new(64)?,
            constants: Vec::new(),
            constant_index: FxHashMap::default(),
            free: (0..W::REGISTERS.len()).rev().collect(),
            firsts,
            lowest,
            width: std::marker::PhantomData,
        })
    }

    fn take(&mut self) -> Result<usize, Unsupported> {
        self.free.pop().ok_or(Unsupported)
    }

    fn constant(&mut self, c: f64) -> Place {
        let next = self.constant_index.len();
        let index = *self.constant_index.entry(c.to_bits()).or_insert(next);
        if index == next {
            self.constants.extend(std::iter::repeat_n(c, W::LANES));
        }
        Place::Constant(index)
    }

    fn operand(&self, place: Place) -> Operand<W::Register> {
        let bytes = 8 * W::LANES as i32;
        match place {
            Place::Register(r) => Operand::Register(W::REGISTERS[r]),
            Place::Constant(c) => Operand::Memory(W::operand(CONSTANTS + bytes * c as i32)),
            Place::Input(first) => Operand::Memory(W::operand(X + K * 8 + 8 * first as i32)),
        }
    }

    /// `place` in a register: its own, or `into` after loading it there.
    fn in_register(&mut self, place: Place, into: usize) -> Result<W::Register, Unsupported> {
        Ok(match self.operand(place) {
            Operand::Register(r) => r,
            memory => {
                W::load(&mut self.code, W::REGISTERS[into], memory)?;
                W::REGISTERS[into]
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
        let second = self.operand(second);
        W::binary(&mut self.code, operation, W::REGISTERS[into], first, second)?;
        Ok(())
    }

    /// The whole kernel for `template`; `delays` (per slot) when it has partials, which it adds
    /// to the gradient or, when `store`, writes over it.
    fn kernel(
        &mut self,
        template: &Program,
        delays: Option<&Vec<usize>>,
        store: bool,
    ) -> Result<Vec<u8>, Unsupported> {
        // Loop-carried registers: the value sums, then each slot's last partial vectors.
        let sums = self.take()?;
        let history: Vec<Vec<usize>> = match delays {
            Some(delays) => delays
                .iter()
                .map(|d| (0..d.div_ceil(W::LANES)).map(|_| self.take()).collect())
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let carried: Vec<usize> = std::iter::once(sums)
            .chain(history.iter().flatten().copied())
            .collect();
        if carried.len() > MAX_CARRY {
            return Err(Unsupported);
        }
        for &r in &carried {
            self.binary(Binary::Xor, r, Place::Register(r), Place::Register(r))?;
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
            self.gradient(delays, &history, |s| output(1 + s), store)?;
        }

        self.code.add(K, W::LANES as i32)?;
        self.code.cmp(K, END)?;
        self.code.jl(top)?;
        self.code.set_label(&mut done)?;
        let bytes = 8 * W::LANES as i32;
        for (i, &r) in carried.iter().enumerate() {
            let into = W::operand(CARRY + bytes * i as i32);
            W::store(&mut self.code, into, W::REGISTERS[r])?;
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
                            // The second operand may be memory; a first one in memory swaps
                            // with a second one in a register rather than being loaded.
                            let (p, q) = match (at(p), at(q)) {
                                (p, q @ Place::Register(_)) if !matches!(p, Place::Register(_)) => {
                                    (q, p)
                                }
                                pq => pq,
                            };
                            self.binary(binary, into, p, q)?
                        }
                        Op::Sub(p, q) => self.binary(Binary::Sub, into, at(p), at(q))?,
                        Op::Square(p) => self.binary(Binary::Mul, into, at(p), at(p))?,
                        Op::Neg(p) => {
                            let sign = self.constant(-0.0);
                            self.binary(Binary::Xor, into, at(p), sign)?
                        }
                        Op::Call(Func::Abs, p) => {
                            let magnitude = self.constant(f64::from_bits(!(1 << 63)));
                            self.binary(Binary::And, into, at(p), magnitude)?
                        }
                        Op::Sqrt(p) => {
                            let of = self.operand(at(p));
                            W::sqrt(&mut self.code, W::REGISTERS[into], of)?
                        }
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

    /// Adds (or, when `store`, writes) this iteration's partials to the gradient: entries
    /// `lowest + k + j`, j < lanes, receive slot s's partial of term `k + j − d_s`, from this
    /// iteration's vector or from the slot's vectors of earlier iterations; then shifts each
    /// slot's history.
    fn gradient(
        &mut self,
        delays: &[usize],
        history: &[Vec<usize>],
        partial: impl Fn(usize) -> Place,
        store: bool,
    ) -> Result<(), Unsupported> {
        let mut combined: Option<Place> = None;
        // Registers of this stage, free again at its end.
        let mut scratch = Vec::new();
        for (s, &d) in delays.iter().enumerate() {
            let past = &history[s];
            let (m, r) = (d / W::LANES, d % W::LANES);
            let newer = if m == 0 {
                partial(s)
            } else {
                Place::Register(past[m - 1])
            };
            let due = if r == 0 {
                newer
            } else {
                let newer = match newer {
                    Place::Register(n) => W::REGISTERS[n],
                    _ => {
                        let n = self.take()?;
                        scratch.push(n);
                        self.in_register(newer, n)?
                    }
                };
                let t = self.take()?;
                scratch.push(t);
                let older = W::REGISTERS[past[m]];
                W::window(&mut self.code, W::REGISTERS[t], older, newer, r)?;
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
            let entries = W::operand(GRADIENT + K * 8 + 8 * self.lowest as i32);
            let t = self.take()?;
            scratch.push(t);
            let sum = self.in_register(combined, t)?;
            if store {
                W::store(&mut self.code, entries, sum)?;
            } else {
                let into = W::REGISTERS[t];
                let old = Operand::Memory(entries);
                W::binary(&mut self.code, Binary::Add, into, sum, old)?;
                W::store(&mut self.code, entries, into)?;
            }
        }
        for (s, past) in history.iter().enumerate() {
            for j in (1..past.len()).rev() {
                let from = Operand::Register(W::REGISTERS[past[j - 1]]);
                W::load(&mut self.code, W::REGISTERS[past[j]], from)?;
            }
            if let Some(&newest) = past.first() {
                let from = self.operand(partial(s));
                W::load(&mut self.code, W::REGISTERS[newest], from)?;
            }
        }
        self.free.extend(scratch);
        Ok(())
    }
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
