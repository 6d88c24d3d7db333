//! The Cranelift JIT backend: netlist → native code in-process.
//!
//! Code shape: the gates, in netlist order, are split into chunks of [`JitOptions::chunk_gates`]; each chunk is
//! one function `fn(scratch: *mut u8)` of straight-line code. Every signal occupies one slot of
//! `vectors` × 128-bit vectors (slots assigned by liveness, see [`super::schedule`]); slot `s`, vector `v` is at
//! byte offset `(s * vectors + v) * 16`, which is the runtime's block layout with `words = 2 * vectors`.
//!
//! A gate loads its operands, applies its op (one or two SSE instructions: and, or, xor, andn, not) and stores
//! its result. Values touched by the last [`JitOptions::window`] gates stay in SSA form and are not reloaded,
//! and a result whose readers all follow within that window (and in the same chunk) is not stored at all: this
//! keeps adder trees in registers while keeping the register allocator's work, and so compile time, linear.
//! Chunks are compiled on all cores and linked into one `JITModule`.

use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Type, UserFuncName, Value, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, ir};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

use super::layout::Layout;
use super::lut3::Mapping;
use super::schedule::Slots;
use super::x86::Isa;
use crate::error::{Error, Result};
use crate::ir::{Loop, Netlist};

/// Cranelift optimisation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptLevel {
    /// No optimisation passes (fastest compile).
    None,
    /// Cranelift's `speed`.
    Speed,
}

/// Who generates the machine code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codegen {
    /// The AVX2 emitter when the CPU has AVX2, else Cranelift. (AVX-512 is not chosen here: it was faster than
    /// AVX2 on some networks and slower on others, so `lgn_runtime::compile` times it against AVX2 when the
    /// vectors per signal are automatic too.)
    Auto,
    /// Cranelift IR, 128-bit vectors (portable).
    Cranelift,
    /// The direct AVX2 emitter of [`super::x86`], 256-bit vectors.
    Avx2,
    /// The direct AVX-512 emitter of [`super::x86`], 512-bit vectors, one instruction per gate.
    Avx512,
}

impl Codegen {
    /// The lower-case name, as `--codegen` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Codegen::Auto => "auto",
            Codegen::Cranelift => "cranelift",
            Codegen::Avx2 => "avx2",
            Codegen::Avx512 => "avx512",
        }
    }
}

/// Options of the JIT backend. The defaults were chosen by measurement (see the JIT issue note).
#[derive(Clone, Debug)]
pub struct JitOptions {
    /// Code generator.
    pub codegen: Codegen,
    /// Vectors per signal (1..=8, or 0: automatic — here two, or one for networks above
    /// [`ONE_VECTOR_ABOVE_GATES`]; `lgn_runtime::compile` instead times one and two below that size and keeps
    /// the faster): a block holds `128 * vectors` samples with Cranelift, `256 * vectors` with AVX2,
    /// `512 * vectors` with AVX-512.
    pub vectors: usize,
    /// Gates per generated function.
    pub chunk_gates: usize,
    /// How many recent gates' values are reused from registers instead of memory.
    pub window: usize,
    /// Cranelift optimisation level.
    pub opt_level: OptLevel,
    /// Threads that compile chunks (0 = all cores).
    pub threads: usize,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            codegen: Codegen::Auto,
            vectors: 0,
            chunk_gates: 2048,
            window: 8,
            opt_level: OptLevel::None,
            threads: 0,
        }
    }
}

/// Timings and sizes of one compilation.
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Scheduling and slot assignment.
    pub schedule: Duration,
    /// Building IR and compiling it to machine code (wall time, all threads).
    pub codegen: Duration,
    /// Linking and making the code executable.
    pub link: Duration,
    /// The generator used.
    pub codegen_used: Option<Codegen>,
    /// Machine code bytes.
    pub code_bytes: usize,
    /// Generated functions.
    pub functions: usize,
}

type ChunkFn = unsafe extern "C" fn(*mut u8);
type LoopFn = unsafe extern "C" fn(*mut u8, *const u8, *mut u8);

/// A chunk's index and machine code.
type CompiledChunk = (usize, Vec<u8>);

/// A compiled loop, the byte offsets of its three pointers in scratch, and the word ranges it zeroes first.
struct LoopCall {
    f: LoopFn,
    temps: usize,
    input: usize,
    output: usize,
    zeros: Vec<(usize, usize)>,
}

/// Compiled native code for one netlist.
pub struct JitKernel {
    _module: JITModule,
    loops: Vec<LoopCall>,
    chunks: Vec<ChunkFn>,
    /// Byte offset of the netlist's slots in scratch.
    tail: usize,
    /// Vectors per signal (the options' count, or the automatic choice for 0).
    pub vectors: usize,
    /// u64 words per signal (`vectors` × 2, 4 or 8: Cranelift, AVX2, AVX-512).
    pub words: usize,
    /// Signals of scratch; scratch must hold `slots * words` u64 words.
    pub slots: usize,
    /// Scratch signal of each output count bit, class-major.
    pub outputs: Vec<u32>,
    /// Compile statistics.
    pub stats: JitStats,
}

// SAFETY: after `finalize_definitions` the module's code is immutable and the function pointers are plain
// code addresses; running them only touches the scratch buffer passed in.
unsafe impl Send for JitKernel {}
unsafe impl Sync for JitKernel {}

impl JitKernel {
    /// Evaluates one block. `scratch` holds the input planes at its start and has at least `slots * words`
    /// words.
    pub fn run(&self, scratch: &mut [u64]) {
        assert!(scratch.len() >= self.slots * self.words, "scratch too small");
        // SAFETY: the generated code only accesses byte offsets below `slots * words * 8` from `p` (the
        // layout places every buffer, kernel temporary and netlist slot there), checked above.
        unsafe {
            for l in &self.loops {
                for &(start, end) in &l.zeros {
                    scratch[start..end].fill(0);
                }
                let p = scratch.as_mut_ptr() as *mut u8;
                (l.f)(p.add(l.temps), p.add(l.input), p.add(l.output));
            }
            let p = scratch.as_mut_ptr() as *mut u8;
            let t = p.add(self.tail);
            for f in &self.chunks {
                f(t)
            }
        }
    }
}

fn backend_err(msg: impl std::fmt::Display) -> Error {
    Error::Backend { backend: "jit", msg: msg.to_string() }
}

fn make_isa(opts: &JitOptions) -> Result<OwnedTargetIsa> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| f.set(k, v).map_err(backend_err);
    set(&mut flags, "opt_level", if opts.opt_level == OptLevel::Speed { "speed" } else { "none" })?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    set(&mut flags, "enable_verifier", "false")?;
    set(&mut flags, "enable_alias_analysis", "false")?;
    if let Ok(ra) = std::env::var("LGN_JIT_REGALLOC") {
        set(&mut flags, "regalloc_algorithm", &ra)?;
    }
    let isa = cranelift_native::builder().map_err(backend_err)?;
    isa.finish(settings::Flags::new(flags)).map_err(backend_err)
}

/// Compiles `net` to native code.
pub fn compile(net: &Netlist, opts: &JitOptions) -> Result<JitKernel> {
    if opts.vectors > 8 {
        return Err(backend_err(format!("vectors must be 0 (automatic) or 1..=8, got {}", opts.vectors)));
    }
    let opts =
        &JitOptions { vectors: if opts.vectors == 0 { auto_vectors(net) } else { opts.vectors }, ..opts.clone() };
    let errors = net.verify();
    if let Some(e) = errors.first() {
        return Err(backend_err(format!("netlist fails verification: {e}")));
    }
    let direct = match opts.codegen {
        Codegen::Auto => Some(Isa::Avx2).filter(|i| i.available()),
        Codegen::Cranelift => None,
        Codegen::Avx2 => Some(Isa::Avx2),
        Codegen::Avx512 => Some(Isa::Avx512),
    };
    if let Some(isa) = direct.filter(|i| !i.available()) {
        return Err(backend_err(format!("this CPU has no {}", isa.name())));
    }
    let mut stats = JitStats::default();
    let t = Instant::now();
    // AVX-512 computes any three-input function in one instruction: it emits the roots of a cut mapping
    // (`lut3`), whose liveness the slots follow.
    let (map, kernel_maps): (Option<Mapping>, Vec<Option<Mapping>>) = if direct == Some(Isa::Avx512) {
        (
            Some(Mapping::new(net, net.outputs.iter().flatten().copied())),
            net.loops.iter().map(|l| Some(Mapping::new(&l.kernel, l.kernel_outputs()))).collect(),
        )
    } else {
        (None, vec![None; net.loops.len()])
    };
    let slots_of = |n: &Netlist, m: &Option<Mapping>| m.as_ref().map_or_else(|| Slots::new(n), |m| Slots::mapped(n, m));
    let slots = slots_of(net, &map);
    let kernel_slots: Vec<Slots> = net.loops.iter().zip(&kernel_maps).map(|(l, m)| slots_of(&l.kernel, m)).collect();
    let layout = Layout::new(net, slots.count, &kernel_slots.iter().map(|k| k.count).collect::<Vec<_>>());
    stats.schedule = t.elapsed();
    let isa = make_isa(opts)?;
    let tail = layout.tail() as u32;
    let outputs = net.outputs.iter().flatten().map(|s| tail + slots.slot[s.index()]).collect();
    let words = direct.map_or(16, Isa::vector_bytes) / 8 * opts.vectors;
    let signal_bytes = words * 8;
    let zeros: Vec<Vec<(usize, usize)>> =
        layout.zeros.iter().map(|z| z.iter().map(|&(s, n)| (s * words, (s + n) * words)).collect()).collect();
    let calls: Vec<(usize, usize, usize)> = net
        .loops
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                layout.kernel_base * signal_bytes,
                layout.buffers[i] * signal_bytes,
                (layout.buffers[i + 1] + l.out_start) * signal_bytes,
            )
        })
        .collect();
    let too_big = || backend_err("scratch memory beyond 2 GiB: displacements do not fit");
    if layout.total.checked_mul(signal_bytes).is_none_or(|b| b >= i32::MAX as usize) {
        return Err(too_big());
    }
    let t = Instant::now();
    let codes = if let Some(x86) = direct {
        let mut codes = Vec::with_capacity(net.loops.len() + 1);
        for ((l, ks), km) in net.loops.iter().zip(&kernel_slots).zip(&kernel_maps) {
            codes.push(super::x86::emit_loop(x86, l, ks, opts.vectors, km.as_ref()).ok_or_else(too_big)?);
        }
        codes.push(super::x86::emit(x86, net, &slots, opts.vectors, map.as_ref()).ok_or_else(too_big)?);
        codes
    } else {
        cranelift_codes(net, &slots, &kernel_slots, opts, &isa)?
    };
    stats.codegen = t.elapsed();
    stats.codegen_used = Some(match direct {
        Some(Isa::Avx2) => Codegen::Avx2,
        Some(Isa::Avx512) => Codegen::Avx512,
        None => Codegen::Cranelift,
    });
    let (module, loops, chunks) = link(isa, codes, &calls, zeros, &mut stats)?;
    Ok(JitKernel {
        _module: module,
        loops,
        chunks,
        tail: layout.tail() * signal_bytes,
        vectors: opts.vectors,
        words,
        slots: layout.total,
        outputs,
        stats,
    })
}

/// Machine code of every loop (one function each, the loop in its IR) and of the netlist's gates in chunks,
/// compiled by Cranelift on `opts.threads` threads, in that order.
fn cranelift_codes(
    net: &Netlist,
    slots: &Slots,
    kernel_slots: &[Slots],
    opts: &JitOptions,
    isa: &OwnedTargetIsa,
) -> Result<Vec<Vec<u8>>> {
    let chunk = opts.chunk_gates.max(1);
    // Work items: every loop (one function each, the loop in its IR), then chunks of the netlist's gates.
    let mut items: Vec<Item> = (0..net.loops.len()).map(Item::Loop).collect();
    items.extend((0..net.gates.len()).step_by(chunk).map(|s| Item::Chunk(s, (s + chunk).min(net.gates.len()))));
    let threads =
        if opts.threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { opts.threads }
            .min(items.len().max(1));
    // Round-robin items over threads; each thread owns a Context and returns (item index, code bytes).
    let compiled: Vec<Result<Vec<CompiledChunk>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let items = &items;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let mut ctx = Context::new();
                    let mut fctx = FunctionBuilderContext::new();
                    for (i, item) in items.iter().enumerate().skip(t).step_by(threads) {
                        ctx.clear();
                        ctx.func.signature.call_conv = isa.default_call_conv();
                        ctx.func.name = UserFuncName::user(0, i as u32);
                        let config = isa.frontend_config();
                        match *item {
                            Item::Loop(k) => {
                                for _ in 0..3 {
                                    ctx.func.signature.params.push(AbiParam::new(types::I64));
                                }
                                emit_loop(&mut ctx.func, &mut fctx, &net.loops[k], &kernel_slots[k], opts, config);
                            }
                            Item::Chunk(start, end) => {
                                ctx.func.signature.params.push(AbiParam::new(types::I64));
                                emit_chunk(&mut ctx.func, &mut fctx, net, slots, opts, start, end, config);
                            }
                        }
                        let code = ctx
                            .compile(&**isa, &mut ControlPlane::default())
                            .map_err(|e| backend_err(format!("function {i}: {:?}", e.inner)))?;
                        if !code.buffer.relocs().is_empty() {
                            return Err(backend_err(format!("function {i}: unexpected relocations")));
                        }
                        out.push((i, code.code_buffer().to_vec()));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(backend_err("compile thread panicked")))).collect()
    });
    let mut codes: Vec<Option<Vec<u8>>> = vec![None; items.len()];
    for part in compiled {
        for (i, code) in part? {
            codes[i] = Some(code);
        }
    }
    codes
        .into_iter()
        .enumerate()
        .map(|(i, c)| c.ok_or_else(|| backend_err(format!("function {i} was not compiled"))))
        .collect::<Result<Vec<_>>>()
}

/// Gates (each loop kernel once) above which one vector per signal beats two: the code, which grows with the
/// vectors per signal, no longer fits the caches. Measured on the CIFAR-10 presets with random gates, 2 threads:
/// S (70k gates after -O2) 0.66 M images/s with 2 vectors vs 0.48 M with 1; M (560k) 31.5 k vs 46 k.
pub const ONE_VECTOR_ABOVE_GATES: usize = 250_000;

/// The vectors per signal chosen when [`JitOptions::vectors`] is 0.
pub fn auto_vectors(net: &Netlist) -> usize {
    if net.total_gates() > ONE_VECTOR_ABOVE_GATES { 1 } else { 2 }
}

/// A unit of Cranelift work: a loop, or a range of the netlist's gates.
enum Item {
    Loop(usize),
    Chunk(usize, usize),
}

/// Loads machine code into an executable module: the first `calls.len()` functions are loops
/// (`fn(*mut u8, *const u8, *mut u8)`, called with the given scratch offsets after zeroing the word ranges
/// `zeros`), the rest chunks (`fn(*mut u8)`); none has relocations.
fn link(
    isa: OwnedTargetIsa,
    codes: Vec<Vec<u8>>,
    calls: &[(usize, usize, usize)],
    zeros: Vec<Vec<(usize, usize)>>,
    stats: &mut JitStats,
) -> Result<(JITModule, Vec<LoopCall>, Vec<ChunkFn>)> {
    let t = Instant::now();
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let mut ids = Vec::with_capacity(codes.len());
    for (i, code) in codes.into_iter().enumerate() {
        let mut sig = module.make_signature();
        for _ in 0..if i < calls.len() { 3 } else { 1 } {
            sig.params.push(AbiParam::new(types::I64));
        }
        let id = module.declare_function(&format!("f{i}"), Linkage::Local, &sig).map_err(backend_err)?;
        module.define_function_bytes(id, 16, &code, &[]).map_err(backend_err)?;
        stats.code_bytes += code.len();
        ids.push(id);
    }
    module.finalize_definitions().map_err(backend_err)?;
    let ptrs: Vec<*const u8> = ids.iter().map(|&id| module.get_finalized_function(id)).collect();
    let loops = ptrs
        .iter()
        .zip(calls)
        .zip(zeros)
        .map(|((&p, &(temps, input, output)), zeros)| LoopCall {
            // SAFETY: loop functions were generated with the signature `fn(i64, i64, i64)` in the ISA's
            // default calling convention, which is the C convention of this platform.
            f: unsafe { std::mem::transmute::<*const u8, LoopFn>(p) },
            temps,
            input,
            output,
            zeros,
        })
        .collect();
    // SAFETY: the remaining functions were generated with the signature `fn(i64)`, C convention.
    let chunks = ptrs[calls.len()..].iter().map(|&p| unsafe { std::mem::transmute::<*const u8, ChunkFn>(p) }).collect();
    stats.link = t.elapsed();
    stats.functions = ids.len();
    Ok((module, loops, chunks))
}

/// Recently touched signals and their SSA values (one per vector), most recent last.
struct Window {
    entries: Vec<(u32, [Value; 8])>,
    cap: usize,
}

impl Window {
    fn get(&self, s: u32) -> Option<[Value; 8]> {
        self.entries.iter().rev().find(|e| e.0 == s).map(|e| e.1)
    }
    fn put(&mut self, s: u32, v: [Value; 8]) {
        if self.cap == 0 {
            return;
        }
        if self.entries.len() == self.cap {
            self.entries.remove(0);
        }
        self.entries.push((s, v));
    }
}

/// Emits the IR of gates `start..end` into `func`.
#[allow(clippy::too_many_arguments)]
fn emit_chunk(
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
    net: &Netlist,
    slots: &Slots,
    opts: &JitOptions,
    start: usize,
    end: usize,
    config: cranelift_codegen::isa::TargetFrontendConfig,
) {
    let mut b = FunctionBuilder::new(func, fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    let base = b.block_params(block)[0];
    let nv = opts.vectors as i64;
    let loc = |s: u32| (base, slots.slot[s as usize] as i64 * nv * 16);
    emit_gates(&mut b, net, slots, opts, start, end, &loc);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(config);
}

/// Emits a loop's function `fn(temps, input, output)`: the kernel's gates once, inside a two-level counted
/// loop in the IR that advances the input and output pointers by the loop's steps (see
/// [`super::x86::emit_loop`] for the contract).
fn emit_loop(
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
    l: &Loop,
    slots: &Slots,
    opts: &JitOptions,
    config: cranelift_codegen::isa::TargetFrontendConfig,
) {
    let stride = opts.vectors as i64 * 16;
    let flags = MemFlagsData::new().with_notrap();
    let mut b = FunctionBuilder::new(func, fctx);
    let [entry, row, col, row_end, exit] = [(); 5].map(|_| b.create_block());
    let [row_in, row_out, cur_in, cur_out, y, x] = [(); 6].map(|_| b.declare_var(types::I64));
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let temps = params[0];
    b.def_var(row_in, params[1]);
    b.def_var(row_out, params[2]);
    let rows = b.ins().iconst(types::I64, l.grid[0] as i64);
    b.def_var(y, rows);
    b.ins().jump(row, &[]);

    b.switch_to_block(row);
    let (ri, ro) = (b.use_var(row_in), b.use_var(row_out));
    b.def_var(cur_in, ri);
    b.def_var(cur_out, ro);
    let cols = b.ins().iconst(types::I64, l.grid[1] as i64);
    b.def_var(x, cols);
    b.ins().jump(col, &[]);

    b.switch_to_block(col);
    let (pin, pout) = (b.use_var(cur_in), b.use_var(cur_out));
    let ni = l.kernel.num_inputs;
    let loc = |s: u32| {
        if (s as usize) < ni {
            (pin, l.reads[s as usize] as i64 * stride)
        } else {
            (temps, slots.slot[s as usize] as i64 * stride)
        }
    };
    let made = emit_gates(&mut b, &l.kernel, slots, opts, 0, l.kernel.gates.len(), &loc);
    for (s, &w) in l.kernel_outputs().zip(&l.writes) {
        let vals = made.get(s.0).unwrap_or_else(|| {
            let (base, off) = loc(s.0);
            let mut v = [pin; 8];
            for (k, val) in v.iter_mut().enumerate().take(opts.vectors) {
                *val = b.ins().load(types::I64X2, flags, base, (off + k as i64 * 16) as i32);
            }
            v
        });
        for (k, &val) in vals.iter().enumerate().take(opts.vectors) {
            b.ins().store(flags, val, pout, (w as i64 * stride + k as i64 * 16) as i32);
        }
    }
    // Advance the pointers by a step, count down, and loop or fall through: once per column, once per row.
    let advance =
        |b: &mut FunctionBuilder, (vi, vo): (Variable, Variable), step: [usize; 2], n: Variable, again, done| {
            let (pi, po) = (b.use_var(vi), b.use_var(vo));
            let (pi, po) =
                (b.ins().iadd_imm_s(pi, step[0] as i64 * stride), b.ins().iadd_imm_s(po, step[1] as i64 * stride));
            b.def_var(vi, pi);
            b.def_var(vo, po);
            let left = b.use_var(n);
            let left = b.ins().iadd_imm_s(left, -1);
            b.def_var(n, left);
            b.ins().brif(left, again, &[], done, &[]);
        };
    advance(&mut b, (cur_in, cur_out), [l.in_step[1], l.out_step[1]], x, col, row_end);
    b.switch_to_block(row_end);
    advance(&mut b, (row_in, row_out), [l.in_step[0], l.out_step[0]], y, row, exit);

    b.switch_to_block(exit);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(config);
}

/// Emits gates `start..end` of `net` at the builder's current block; signal `s`'s vector `v` lives at
/// `loc(s).0 + loc(s).1 + 16 v`. Returns the window of recently made values.
fn emit_gates(
    b: &mut FunctionBuilder,
    net: &Netlist,
    slots: &Slots,
    opts: &JitOptions,
    start: usize,
    end: usize,
    loc: &dyn Fn(u32) -> (Value, i64),
) -> Window {
    let ty: Type = types::I64X2;
    let nv = opts.vectors;
    let flags = MemFlagsData::new().with_notrap();
    let ni = net.num_inputs;
    let addr = |s: u32, v: usize| {
        let (base, off) = loc(s);
        (base, (off + v as i64 * 16) as i32)
    };
    // Results of the last `window` gates (evicted only by newer results, so a reader within the window
    // always finds an unstored result), and recently loaded operands.
    let mut made = Window { entries: Vec::with_capacity(opts.window), cap: opts.window };
    let mut win = Window { entries: Vec::with_capacity(opts.window), cap: opts.window };
    let zero = {
        let z = b.ins().iconst(types::I64, 0);
        b.ins().splat(ty, z)
    };
    let ones = b.ins().bnot(zero);
    let chunk_end = (ni + end) as u32;
    for g in start..end {
        let gate = net.gates[g];
        let op = gate.op;
        let me = (ni + g) as u32;
        let load = |b: &mut FunctionBuilder, win: &mut Window, s: u32| -> [Value; 8] {
            if let Some(v) = made.get(s).or_else(|| win.get(s)) {
                return v;
            }
            let mut vals = [zero; 8];
            for (v, val) in vals.iter_mut().enumerate().take(nv) {
                let (base, off) = addr(s, v);
                *val = b.ins().load(ty, flags, base, off);
            }
            win.put(s, vals);
            vals
        };
        let [ra, rb] = gate.reads();
        let va = ra.map_or([zero; 8], |s| load(b, &mut win, s.0));
        let vb = rb.map_or([zero; 8], |s| load(b, &mut win, s.0));
        let mut out = [zero; 8];
        for v in 0..nv {
            let (x, y) = (va[v], vb[v]);
            let i = b.ins();
            out[v] = match op.id() {
                0 => zero,
                1 => i.band(x, y),
                2 => i.band_not(x, y),
                3 => x,
                4 => i.band_not(y, x),
                5 => y,
                6 => i.bxor(x, y),
                7 => i.bor(x, y),
                8 => {
                    let t = i.bor(x, y);
                    b.ins().bnot(t)
                }
                9 => {
                    let t = i.bxor(x, y);
                    b.ins().bnot(t)
                }
                10 => i.bnot(y),
                11 => i.bor_not(x, y),
                12 => i.bnot(x),
                13 => i.bor_not(y, x),
                14 => {
                    let t = i.band(x, y);
                    b.ins().bnot(t)
                }
                _ => ones,
            };
        }
        // Store unless every reader follows within the window in this chunk.
        let last = slots.last_use[me as usize];
        let local = last != u32::MAX && last < chunk_end && (last - me) as usize <= opts.window;
        if !local || last == me {
            // (A dead value is stored too: backends do not optimise, and the store keeps memory defined.)
            for (v, &val) in out.iter().enumerate().take(nv) {
                let (base, off) = addr(me, v);
                b.ins().store(flags, val, base, off);
            }
        }
        made.put(me, out);
    }
    made
}
