//! Machine code for compiled programs over `f64` (Cranelift).
//!
//! - [`NativeProgram`]: a program's instructions as straight-line code, every value in a register
//!   or a stack slot, instead of the interpreter's dispatch on each instruction.
//! - [`NativeBatch`]: a batch's template as the body of a loop over its terms, two terms per SIMD
//!   instruction. The batch interpreter stores each instruction's lanes to memory and loads them
//!   back; this loop touches memory only to read the inputs and add to the gradient. Only batches
//!   whose slots all read consecutive inputs are compiled (their inputs load as whole vectors).
//!
//! Elementary functions, `powi`, `powf` and `atan2` are calls into the same Rust functions the
//! interpreter uses (lane by lane), so machine code and interpreter agree on them to the bit.

use cranelift_codegen::Context;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, BlockArg, ConstantData, Endianness, FuncRef, InstBuilder, MemFlagsData, Signature,
    Type, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};

use super::{Op, Program};
use crate::store::Func;

/// Two `f64` lanes: the vector width every x86-64 and AArch64 CPU has.
const VECTOR: Type = types::F64X2;

/// `fn(x, gradient, start, end) -> Σ terms`: evaluates terms `start..end` (an even count), adds
/// their partials to `gradient` (when the template has them) and returns the sum of their values.
type Kernel = unsafe extern "C" fn(*const f64, *mut f64, i64, i64) -> f64;

/// A module of finished machine code; the memory holding it lives as long as this value.
struct Code(Option<JITModule>);

// SAFETY: the code memory is written once, before `Code::build` returns, and only executed
// after; the functions in it read and write nothing but the memory their callers pass.
unsafe impl Send for Code {}
unsafe impl Sync for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        if let Some(module) = self.0.take() {
            // SAFETY: the functions are only reachable through the value owning `self`, which
            // is going away.
            unsafe { module.free_memory() };
        }
    }
}

impl Code {
    /// One function defined by `define`, finished: its code and its address. `None` when this
    /// CPU has no Cranelift back end or code generation fails.
    fn build(
        define: impl FnOnce(&mut JITModule, &Imports) -> Option<FuncId>,
    ) -> Option<(Code, *const u8)> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").ok()?;
        let isa = cranelift_native::builder()
            .ok()?
            .finish(settings::Flags::new(flags))
            .ok()?;
        let mut jit = JITBuilder::with_isa(isa, default_libcall_names());
        jit.symbol("nabla_unary", unary as *const u8);
        jit.symbol("nabla_powf", powf as *const u8);
        jit.symbol("nabla_atan2", atan2 as *const u8);
        jit.symbol("nabla_powi", powi as *const u8);
        let mut module = JITModule::new(jit);
        let id = Imports::declare(&mut module).and_then(|imports| define(&mut module, &imports));
        // Dropping a `Code` frees its memory whether or not the function was finished.
        let mut code = Code(Some(module));
        let module = code.0.as_mut().expect("just built");
        let id = id?;
        module.finalize_definitions().ok()?;
        let address = module.get_finalized_function(id);
        Some((code, address))
    }
}

/// A batch's loop in machine code.
pub(super) struct NativeBatch {
    _code: Code,
    kernel: Kernel,
}

impl std::fmt::Debug for NativeBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeBatch")
    }
}

impl NativeBatch {
    /// Compiles `template` (inputs: one per slot; outputs: the term, then one partial per slot
    /// when `gradient`) for slots reading inputs `firsts[s] + k` in term `k`. `None` when there
    /// is no machine code for this CPU: the interpreter then runs the batch.
    pub(super) fn compile(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
        let (code, address) = Code::build(|module, imports| {
            define_batch(module, imports, template, firsts, gradient)
        })?;
        // SAFETY: `define_batch` built the function with exactly the `Kernel` signature.
        let kernel = unsafe { std::mem::transmute::<*const u8, Kernel>(address) };
        Some(NativeBatch {
            _code: code,
            kernel,
        })
    }

    /// Runs the terms `start..end` (an even count) and returns the sum of their values.
    ///
    /// # Safety
    /// For every slot's first input `f`, `x` must be valid for reads of `f + start..f + end`, and
    /// (when the template has partials) `gradient` for reads and writes of the same indices,
    /// with no other reference to them alive.
    pub(super) unsafe fn run(
        &self,
        x: *const f64,
        gradient: *mut f64,
        start: usize,
        end: usize,
    ) -> f64 {
        debug_assert!((end - start).is_multiple_of(2));
        // SAFETY: the caller guarantees the memory the kernel touches.
        unsafe { (self.kernel)(x, gradient, start as i64, end as i64) }
    }
}

/// `fn(x, out)`: a program's flat instructions, from its inputs to its outputs.
type Straight = unsafe extern "C" fn(*const f64, *mut f64);

/// A program's flat instructions in machine code (its batches run separately).
pub(super) struct NativeProgram {
    _code: Code,
    function: Straight,
}

impl std::fmt::Debug for NativeProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeProgram")
    }
}

impl NativeProgram {
    /// Compiles the flat instructions of `program`; `None` when there is no machine code for this
    /// CPU.
    pub(super) fn compile(program: &Program) -> Option<Self> {
        let (code, address) =
            Code::build(|module, imports| define_straight(module, imports, program))?;
        // SAFETY: `define_straight` built the function with exactly the `Straight` signature.
        let function = unsafe { std::mem::transmute::<*const u8, Straight>(address) };
        Some(NativeProgram {
            _code: code,
            function,
        })
    }

    /// Writes the program's outputs (before its batches) at `x` to `out`.
    pub(super) fn run(&self, program: &Program, x: &[f64], out: &mut [f64]) {
        assert_eq!(x.len(), program.inputs, "one value per input");
        assert_eq!(out.len(), program.outputs.len(), "one slot per output");
        // SAFETY: the function reads `x[i]` for the program's inputs `i < x.len()` and writes
        // `out[o]` for its outputs `o < out.len()`, both checked above.
        unsafe { (self.function)(x.as_ptr(), out.as_mut_ptr()) }
    }
}

/// The Rust functions machine code calls, declared in a module.
struct Imports {
    unary: FuncId,
    powf: FuncId,
    atan2: FuncId,
    powi: FuncId,
}

impl Imports {
    fn declare(module: &mut JITModule) -> Option<Imports> {
        let mut declare = |name: &str, params: &[Type]| {
            let signature = f64_signature(module, params);
            module
                .declare_function(name, Linkage::Import, &signature)
                .ok()
        };
        Some(Imports {
            unary: declare("nabla_unary", &[types::I32, types::F64])?,
            powf: declare("nabla_powf", &[types::F64, types::F64])?,
            atan2: declare("nabla_atan2", &[types::F64, types::F64])?,
            powi: declare("nabla_powi", &[types::F64, types::I32])?,
        })
    }

    /// The imports as callees of the function being built.
    fn in_function(&self, module: &mut JITModule, b: &mut FunctionBuilder) -> Calls {
        let [unary, powf, atan2, powi] = [self.unary, self.powf, self.atan2, self.powi]
            .map(|f| module.declare_func_in_func(f, b.func));
        Calls {
            unary,
            powf,
            atan2,
            powi,
        }
    }
}

/// A signature returning one `f64`.
fn f64_signature(module: &JITModule, params: &[Type]) -> Signature {
    let mut signature = module.make_signature();
    signature
        .params
        .extend(params.iter().map(|&t| AbiParam::new(t)));
    signature.returns.push(AbiParam::new(types::F64));
    signature
}

/// A function under construction in `module`, named and with `signature`.
fn new_function(module: &mut JITModule, signature: Signature) -> Option<(FuncId, Context)> {
    let id = module.declare_anonymous_function(&signature).ok()?;
    let mut context = module.make_context();
    context.func.signature = signature;
    context.func.name = UserFuncName::user(0, id.as_u32());
    Some((id, context))
}

/// The imported functions, callable from the function being built.
struct Calls {
    unary: FuncRef,
    powf: FuncRef,
    atan2: FuncRef,
    powi: FuncRef,
}

impl Calls {
    /// The value of `op` (neither a constant nor an input) over values of type `ty`, `F64` or
    /// [`VECTOR`]; vectors call the Rust functions lane by lane.
    fn emit(&self, b: &mut FunctionBuilder, ty: Type, op: &Op, values: &[Value]) -> Value {
        let at = |k: u32| values[k as usize];
        let ones = |b: &mut FunctionBuilder| {
            let one = b.ins().f64const(1.0);
            if ty.is_vector() {
                b.ins().splat(ty, one)
            } else {
                one
            }
        };
        // Applies a scalar Rust function to every lane of the arguments.
        let lanewise =
            |b: &mut FunctionBuilder, callee: FuncRef, args: &[Value], extra: Option<Value>| {
                let lane = |b: &mut FunctionBuilder, i: u8| {
                    let mut scalars: Vec<Value> = Vec::with_capacity(3);
                    scalars.extend(extra);
                    for &a in args {
                        scalars.push(if ty.is_vector() {
                            b.ins().extractlane(a, i)
                        } else {
                            a
                        });
                    }
                    if callee == self.powi {
                        // `powi(a, n)`: the exponent goes last.
                        scalars.rotate_left(1);
                    }
                    let call = b.ins().call(callee, &scalars);
                    b.inst_results(call)[0]
                };
                if ty.is_vector() {
                    let low = lane(b, 0);
                    let high = lane(b, 1);
                    let v = b.ins().scalar_to_vector(ty, low);
                    b.ins().insertlane(v, high, 1)
                } else {
                    lane(b, 0)
                }
            };
        match *op {
            Op::Const(_) | Op::Input(_) => unreachable!("constants and inputs are the caller's"),
            Op::Add(p, q) => b.ins().fadd(at(p), at(q)),
            Op::Sub(p, q) => b.ins().fsub(at(p), at(q)),
            Op::Mul(p, q) => b.ins().fmul(at(p), at(q)),
            Op::Square(p) => b.ins().fmul(at(p), at(p)),
            Op::Neg(p) => b.ins().fneg(at(p)),
            Op::Sqrt(p) => b.ins().sqrt(at(p)),
            Op::Recip(p) => {
                let one = ones(b);
                b.ins().fdiv(one, at(p))
            }
            Op::Call(Func::Abs, p) => b.ins().fabs(at(p)),
            Op::Call(f, p) => {
                let code = b.ins().iconst(types::I32, f as i64);
                lanewise(b, self.unary, &[at(p)], Some(code))
            }
            Op::Powi(p, n) => {
                let n = b.ins().iconst(types::I32, n as i64);
                lanewise(b, self.powi, &[at(p)], Some(n))
            }
            Op::Powf(p, q) => lanewise(b, self.powf, &[at(p), at(q)], None),
            Op::Atan2(p, q) => lanewise(b, self.atan2, &[at(p), at(q)], None),
        }
    }
}

/// `[older[1], newer[0]]`: the middle eight bytes of the two vectors side by side, one `palignr`.
fn straddle(b: &mut FunctionBuilder, older: Value, newer: Value) -> Value {
    let little = MemFlagsData::new().with_endianness(Endianness::Little);
    let bytes = |b: &mut FunctionBuilder, v: Value| b.ins().bitcast(types::I8X16, little, v);
    let (older, newer) = (bytes(b, older), bytes(b, newer));
    let window: Vec<u8> = (8..24).collect();
    let mask = b.func.dfg.immediates.push(ConstantData::from(window));
    let v = b.ins().shuffle(older, newer, mask);
    b.ins().bitcast(VECTOR, little, v)
}

/// `fn(x, out)`: loads each input once, computes every instruction, stores each output.
fn define_straight(module: &mut JITModule, imports: &Imports, program: &Program) -> Option<FuncId> {
    let pointer = module.target_config().pointer_type();
    let mut signature = module.make_signature();
    signature
        .params
        .extend([AbiParam::new(pointer), AbiParam::new(pointer)]);
    let (id, mut context) = new_function(module, signature)?;
    let mut builder_context = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
    let calls = imports.in_function(module, &mut b);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let [x, out] = b.block_params(entry).try_into().expect("two parameters");
    let flags = MemFlagsData::new().with_notrap();
    let offset = |i: usize| i32::try_from(8 * i).ok();
    let mut values: Vec<Value> = Vec::with_capacity(program.ops.len());
    for op in &program.ops {
        let v = match *op {
            Op::Const(c) => b.ins().f64const(c),
            Op::Input(i) => b.ins().load(types::F64, flags, x, offset(i as usize)?),
            _ => calls.emit(&mut b, types::F64, op, &values),
        };
        values.push(v);
    }
    for (o, &k) in program.outputs.iter().enumerate() {
        b.ins().store(flags, values[k as usize], out, offset(o)?);
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(module.target_config());
    module.define_function(id, &mut context).ok()?;
    Some(id)
}

/// `fn(x, gradient, start, end) -> Σ terms`: the loop over a batch's terms.
fn define_batch(
    module: &mut JITModule,
    imports: &Imports,
    template: &Program,
    firsts: &[usize],
    gradient: bool,
) -> Option<FuncId> {
    let pointer = module.target_config().pointer_type();
    let signature = f64_signature(module, &[pointer, pointer, types::I64, types::I64]);
    let (id, mut context) = new_function(module, signature)?;
    let mut builder_context = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
    let calls = imports.in_function(module, &mut b);

    // Term k adds its partial for slot s to entry `lowest + k + d_s`, `d_s = first_s − lowest`.
    // Adding each slot's vector where it falls would store to overlapping, unaligned pairs of
    // entries from one iteration to the next, which stalls the CPU's store forwarding; instead
    // each slot keeps its last `⌈d_s/2⌉` vectors and the loop adds one combined vector to
    // entries `lowest + k, lowest + k + 1`. The entries past `lowest + end` are added at exit.
    let lowest = firsts.iter().copied().min().unwrap_or(0);
    let delays: Vec<usize> = firsts.iter().map(|f| f - lowest).collect();
    let history: Vec<usize> = if gradient {
        delays.iter().map(|d| d.div_ceil(2)).collect()
    } else {
        vec![0; firsts.len()]
    };
    let carried: usize = history.iter().sum();

    let entry = b.create_block();
    let header = b.create_block();
    let body = b.create_block();
    let exit = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.append_block_param(header, types::I64);
    for _ in 0..1 + carried {
        b.append_block_param(header, VECTOR);
        b.append_block_param(exit, VECTOR);
    }

    b.switch_to_block(entry);
    let [x, grad, start, end] = b.block_params(entry).try_into().expect("four parameters");
    // Constants are splatted once, outside the loop.
    let mut constants = vec![None; template.ops.len()];
    for (i, op) in template.ops.iter().enumerate() {
        if let Op::Const(c) = *op {
            let scalar = b.ins().f64const(c);
            constants[i] = Some(b.ins().splat(VECTOR, scalar));
        }
    }
    let zero = b.ins().f64const(0.0);
    let zeros = b.ins().splat(VECTOR, zero);
    let initial: Vec<BlockArg> = std::iter::once(start)
        .chain(std::iter::repeat_n(zeros, 1 + carried))
        .map(BlockArg::Value)
        .collect();
    b.ins().jump(header, &initial);

    b.switch_to_block(header);
    let params = b.block_params(header).to_vec();
    let (k, sum, previous) = (params[0], params[1], params[2..].to_vec());
    let more = b.ins().icmp(IntCC::SignedLessThan, k, end);
    let leaving: Vec<BlockArg> = params[1..].iter().copied().map(BlockArg::Value).collect();
    b.ins().brif(more, body, &[], exit, &leaving);

    b.switch_to_block(body);
    let flags = MemFlagsData::new().with_notrap();
    // Entry `first + k` of an array is at `(array + 8k) + 8·first`: one address per array and
    // iteration, the slot's offset folded into each load.
    let byte_offset = b.ins().ishl_imm_u(k, 3);
    let x_k = b.ins().iadd(x, byte_offset);
    let grad_k = b.ins().iadd(grad, byte_offset);
    let offset = |first: usize| i32::try_from(8 * first).ok();
    let mut values: Vec<Value> = Vec::with_capacity(template.ops.len());
    for (i, op) in template.ops.iter().enumerate() {
        let v = match *op {
            Op::Const(_) => constants[i].expect("splatted above"),
            Op::Input(s) => {
                let at = offset(firsts[s as usize])?;
                b.ins().load(VECTOR, flags, x_k, at)
            }
            _ => calls.emit(&mut b, VECTOR, op, &values),
        };
        values.push(v);
    }
    let mut next: Vec<BlockArg> = Vec::with_capacity(2 + carried);
    let k_next = b.ins().iadd_imm_u(k, 2);
    next.push(BlockArg::Value(k_next));
    let sum_next = b.ins().fadd(sum, values[template.outputs[0] as usize]);
    next.push(BlockArg::Value(sum_next));
    if gradient {
        let mut combined: Option<Value> = None;
        let mut queues = previous.iter().copied();
        for (s, &d) in delays.iter().enumerate() {
            let current = values[template.outputs[1 + s] as usize];
            // Vectors of this slot from 1, 2, … iterations ago.
            let past: Vec<Value> = queues.by_ref().take(history[s]).collect();
            let (m, odd) = (d / 2, d % 2 == 1);
            let due = match (m, odd) {
                (0, false) => current,
                (m, false) => past[m - 1],
                (m, true) => {
                    // Lane 1 of the vector m + 1 iterations ago, lane 0 of the one m ago.
                    let newer = if m == 0 { current } else { past[m - 1] };
                    straddle(&mut b, past[m], newer)
                }
            };
            combined = Some(match combined {
                Some(c) => b.ins().fadd(c, due),
                None => due,
            });
            if !past.is_empty() {
                next.push(BlockArg::Value(current));
                next.extend(past[..past.len() - 1].iter().copied().map(BlockArg::Value));
            }
        }
        if let Some(combined) = combined {
            let at = offset(lowest)?;
            let old = b.ins().load(VECTOR, flags, grad_k, at);
            let new = b.ins().fadd(old, combined);
            b.ins().store(flags, new, grad_k, at);
        }
    }
    b.ins().jump(header, &next);

    b.switch_to_block(exit);
    let params = b.block_params(exit).to_vec();
    let (total, past) = (params[0], &params[1..]);
    if gradient {
        // Slot s's terms `end − 1 − t`, t < d_s, add to entries `first_s + end − 1 − t`, all
        // at or past `lowest + end`; the term of lane `1 − t mod 2` of the vector `t / 2`
        // iterations back (zero where the range had no such term).
        let mut queues = past.iter().copied();
        for (s, &d) in delays.iter().enumerate() {
            let vectors: Vec<Value> = queues.by_ref().take(history[s]).collect();
            for t in 0..d {
                let lane = b.ins().extractlane(vectors[t / 2], 1 - (t % 2) as u8);
                let index = b.ins().iadd_imm_s(end, firsts[s] as i64 - 1 - t as i64);
                let offset = b.ins().ishl_imm_u(index, 3);
                let at = b.ins().iadd(grad, offset);
                let old = b.ins().load(types::F64, flags, at, 0);
                let new = b.ins().fadd(old, lane);
                b.ins().store(flags, new, at, 0);
            }
        }
    }
    let low = b.ins().extractlane(total, 0);
    let high = b.ins().extractlane(total, 1);
    let result = b.ins().fadd(low, high);
    b.ins().return_(&[result]);
    b.seal_all_blocks();
    b.finalize(module.target_config());
    module.define_function(id, &mut context).ok()?;
    Some(id)
}

/// `f(a)` for the function whose position in [`Func::ALL`] (its discriminant) is `code`.
extern "C" fn unary(code: i32, a: f64) -> f64 {
    Func::ALL[code as usize].apply(a)
}

extern "C" fn powf(a: f64, b: f64) -> f64 {
    nabla_autodiff::Real::powf(a, b)
}

extern "C" fn atan2(a: f64, b: f64) -> f64 {
    nabla_autodiff::Real::atan2(a, b)
}

extern "C" fn powi(a: f64, n: i32) -> f64 {
    nabla_autodiff::Real::powi(a, n)
}

// Cranelift generates code for these targets; elsewhere programs stay interpreted.
#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;
    use crate::parse;
    use crate::store::Store;
    use crate::testing::expression;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Straight-line machine code computes exactly what the interpreter computes: the same
        /// IEEE operations in the same order, and the same Rust functions for the rest.
        #[test]
        fn machine_code_equals_the_interpreter_to_the_bit(
            e in expression(),
            point in prop::array::uniform3(-2.0f64..2.0),
        ) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let vars = [s.symbol_id("x"), s.symbol_id("y"), s.symbol_id("z")];
            let program = Program::value_and_gradient(&mut s, f, &vars).unwrap();
            let Some(native) = NativeProgram::compile(&program) else {
                return Err(TestCaseError::fail("no machine code on this CPU"));
            };
            let mut interpreted = vec![0.0; program.num_outputs()];
            program.evaluator().interpret(&point, &mut interpreted);
            let mut compiled = vec![0.0; program.num_outputs()];
            native.run(&program, &point, &mut compiled);
            for (a, b) in compiled.iter().zip(&interpreted) {
                prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{}: {:?} vs {:?}", e, compiled, interpreted);
            }
        }
    }

    #[test]
    fn function_codes_are_positions_in_the_list() {
        // The kernel passes `f as i32` and the trampoline looks it up in `Func::ALL`.
        assert!(Func::ALL.iter().enumerate().all(|(i, &f)| f as usize == i));
    }

    #[test]
    fn evaluators_switch_to_machine_code_and_agree() {
        let mut s = Store::new();
        let f = parse(&mut s, "sin(x*y) + x^2*y^3 - atan2(y, x) + sqrt(x^2 + y^2)").unwrap();
        let vars = [s.symbol_id("x"), s.symbol_id("y")];
        let program = Program::value_and_gradient(&mut s, f, &vars).unwrap();
        let mut evaluator = program.evaluator::<f64>();
        let mut first = [0.0; 3];
        evaluator.eval(&[0.7, -1.3], &mut first);
        let mut out = [0.0; 3];
        for _ in 0..2 * super::super::NATIVE_AFTER_CALLS {
            evaluator.eval(&[0.7, -1.3], &mut out);
        }
        assert!(program.native.get().is_some_and(|n| n.is_some()));
        assert_eq!(out, first);
    }
}
