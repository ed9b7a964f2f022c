//! Native code for batches over `f64` (Cranelift): a batch's template becomes the body of a
//! machine-code loop over its terms, two terms per SIMD instruction, every intermediate value in
//! a register. The interpreter stores each instruction's lanes to memory and loads them back;
//! this loop touches memory only to read the inputs and add to the gradient.
//!
//! Only batches whose slots all read consecutive inputs are compiled (their inputs load as whole
//! vectors); elementary functions, `powf` and `atan2` are calls into Rust, lane by lane, so
//! they give exactly the interpreter's values.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    AbiParam, BlockArg, InstBuilder, MemFlagsData, Type, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};

use super::{Op, Program, call};
use crate::store::Func;

/// Two `f64` lanes: the vector width every x86-64 and AArch64 CPU has.
const VECTOR: Type = types::F64X2;

/// `fn(x, gradient, start, end) -> Σ terms`: evaluates terms `start..end` (an even count), adds
/// their partials to `gradient` (when the template has them) and returns the sum of their values.
type Kernel = unsafe extern "C" fn(*const f64, *mut f64, i64, i64) -> f64;

/// A batch's loop in machine code; the memory holding it lives as long as this value.
pub(super) struct NativeBatch {
    module: Option<JITModule>,
    kernel: Kernel,
}

// SAFETY: the code memory is written once, before `compile` returns, and only executed after;
// the kernel reads and writes nothing but the memory its caller passes.
unsafe impl Send for NativeBatch {}
unsafe impl Sync for NativeBatch {}

impl Drop for NativeBatch {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the kernel is only reachable through `self`, which is going away.
            unsafe { module.free_memory() };
        }
    }
}

impl std::fmt::Debug for NativeBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeBatch")
    }
}

impl NativeBatch {
    /// Compiles `template` (inputs: one per slot; outputs: the term, then one partial per slot
    /// when `gradient`) for slots reading inputs `firsts[s] + k` in term `k`. `None` when this
    /// CPU has no Cranelift back end or code generation fails: the interpreter then runs the
    /// batch.
    pub(super) fn compile(template: &Program, firsts: &[usize], gradient: bool) -> Option<Self> {
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
        let kernel = define(&mut module, template, firsts, gradient);
        let Some(id) = kernel else {
            // SAFETY: nothing was finalised, so no code of this module can be running.
            unsafe { module.free_memory() };
            return None;
        };
        if module.finalize_definitions().is_err() {
            // SAFETY: as above.
            unsafe { module.free_memory() };
            return None;
        }
        let code = module.get_finalized_function(id);
        // SAFETY: `define` built the function with exactly the `Kernel` signature.
        let kernel = unsafe { std::mem::transmute::<*const u8, Kernel>(code) };
        Some(NativeBatch {
            module: Some(module),
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

/// The imported Rust functions the kernel calls, lane by lane.
struct Imports {
    unary: FuncId,
    powf: FuncId,
    atan2: FuncId,
    powi: FuncId,
}

fn define(
    module: &mut JITModule,
    template: &Program,
    firsts: &[usize],
    gradient: bool,
) -> Option<FuncId> {
    let pointer = module.target_config().pointer_type();
    let f64_sig = |module: &JITModule, params: &[Type]| {
        let mut sig = module.make_signature();
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.push(AbiParam::new(types::F64));
        sig
    };
    let imports = Imports {
        unary: module
            .declare_function(
                "nabla_unary",
                Linkage::Import,
                &f64_sig(module, &[types::I32, types::F64]),
            )
            .ok()?,
        powf: module
            .declare_function(
                "nabla_powf",
                Linkage::Import,
                &f64_sig(module, &[types::F64, types::F64]),
            )
            .ok()?,
        atan2: module
            .declare_function(
                "nabla_atan2",
                Linkage::Import,
                &f64_sig(module, &[types::F64, types::F64]),
            )
            .ok()?,
        powi: module
            .declare_function(
                "nabla_powi",
                Linkage::Import,
                &f64_sig(module, &[types::F64, types::I32]),
            )
            .ok()?,
    };
    let signature = f64_sig(module, &[pointer, pointer, types::I64, types::I64]);
    let id = module.declare_anonymous_function(&signature).ok()?;
    let mut context = module.make_context();
    context.func.signature = signature;
    context.func.name = UserFuncName::user(0, id.as_u32());
    let mut builder_context = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut context.func, &mut builder_context);
    let refs = [imports.unary, imports.powf, imports.atan2, imports.powi]
        .map(|f| module.declare_func_in_func(f, b.func));
    let [unary_ref, powf_ref, atan2_ref, powi_ref] = refs;

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
            Op::Add(p, q) => b.ins().fadd(values[p as usize], values[q as usize]),
            Op::Sub(p, q) => b.ins().fsub(values[p as usize], values[q as usize]),
            Op::Mul(p, q) => b.ins().fmul(values[p as usize], values[q as usize]),
            Op::Square(p) => b.ins().fmul(values[p as usize], values[p as usize]),
            Op::Neg(p) => b.ins().fneg(values[p as usize]),
            Op::Sqrt(p) => b.ins().sqrt(values[p as usize]),
            Op::Recip(p) => {
                let one = b.ins().f64const(1.0);
                let ones = b.ins().splat(VECTOR, one);
                b.ins().fdiv(ones, values[p as usize])
            }
            Op::Call(Func::Abs, p) => b.ins().fabs(values[p as usize]),
            Op::Call(f, p) => {
                let code = Func::ALL.iter().position(|&g| g == f).expect("listed") as i64;
                let code = b.ins().iconst(types::I32, code);
                per_lane(&mut b, |b, lane| {
                    let a = b.ins().extractlane(values[p as usize], lane);
                    call_f64(b, unary_ref, &[code, a])
                })
            }
            Op::Powi(p, n) => {
                let n = b.ins().iconst(types::I32, n as i64);
                per_lane(&mut b, |b, lane| {
                    let a = b.ins().extractlane(values[p as usize], lane);
                    call_f64(b, powi_ref, &[a, n])
                })
            }
            Op::Powf(p, q) | Op::Atan2(p, q) => {
                let callee = if matches!(op, Op::Powf(..)) {
                    powf_ref
                } else {
                    atan2_ref
                };
                per_lane(&mut b, |b, lane| {
                    let a = b.ins().extractlane(values[p as usize], lane);
                    let c = b.ins().extractlane(values[q as usize], lane);
                    call_f64(b, callee, &[a, c])
                })
            }
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
                    let high = b.ins().extractlane(newer, 0);
                    let low = b.ins().extractlane(past[m], 1);
                    let v = b.ins().scalar_to_vector(VECTOR, low);
                    b.ins().insertlane(v, high, 1)
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

/// A vector whose two lanes are `lane_value(0)` and `lane_value(1)`.
fn per_lane(
    b: &mut FunctionBuilder,
    mut lane_value: impl FnMut(&mut FunctionBuilder, u8) -> Value,
) -> Value {
    let low = lane_value(b, 0);
    let high = lane_value(b, 1);
    let v = b.ins().scalar_to_vector(VECTOR, low);
    b.ins().insertlane(v, high, 1)
}

fn call_f64(
    b: &mut FunctionBuilder,
    callee: cranelift_codegen::ir::FuncRef,
    args: &[Value],
) -> Value {
    let call = b.ins().call(callee, args);
    b.inst_results(call)[0]
}

extern "C" fn unary(code: i32, a: f64) -> f64 {
    call(Func::ALL[code as usize], a)
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
