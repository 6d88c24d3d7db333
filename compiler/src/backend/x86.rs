//! Direct x86-64 code generation: gates → machine code bytes, with no IR in between, for two vector
//! extensions ([`Isa`]).
//!
//! Cranelift's x64 backend stops at 128-bit vectors, and its compile time (about 5 µs per gate here) is spent
//! on register allocation and lowering that straight-line gate code does not need. This emitter writes the
//! instructions itself ("stencils with patched displacements"): per gate and vector, load the operands
//! (`vmovdqu`, skipped when a register still holds them), apply the op and store the result.
//!
//! - **AVX2** (VEX, 256-bit `ymm`): the op is one to three of `vpand`/`vpandn`/`vpor`/`vpxor`, with `ymm15` = all
//!   ones for negations; `ymm0..=ymm14` cache values.
//! - **AVX-512** (EVEX, 512-bit `zmm`): one `vpternlogd` computes any function of three vectors, so the
//!   emitter compiles the roots of a three-input cut mapping ([`super::lut3`]): a gate inside another's cone is
//!   not emitted, a root is one `vpternlogd` whose 8-bit truth table is its cone's, reading at most one operand
//!   from memory (with three leaves the destination is the third operand: a leaf that dies there, loaded, or
//!   copied). A full adder is two instructions instead of five. All 32 registers `zmm0..=zmm31` cache values.
//!
//! The cache is LRU over recently loaded or computed values, so the operands of adder trees and of neighbouring
//! gates are not reloaded. Every result that is read again from memory is stored, so correctness never depends
//! on the cache. The bytes are linked and made executable by Cranelift's `JITModule`.
//!
//! Layout is the runtime's: slot `s`, vector `v` at `rdi + (s * vectors + v) * B` (B = 32 or 64 bytes).
//!
//! A [`Loop`] becomes one function `fn(temps: rdi, input: rsi, output: rdx)` whose body is the kernel,
//! emitted once, inside a two-level counted loop (`ecx` over columns, `r8d` over rows) that advances `rsi`
//! and `rdx` by the loop's steps: kernel inputs are read at `rsi + reads[i] * stride`, outputs are copied to
//! `rdx + writes[j] * stride`, temporaries live at `rdi`. Code size is the kernel's, whatever the grid.

use crate::GateOp;
use crate::ir::{Gate, Loop, Netlist};

use super::lut3::{self, Mapping};
use super::schedule::Slots;

/// The vector extension the emitted code uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// AVX2: 256-bit vectors.
    Avx2,
    /// AVX-512F: 512-bit vectors, one `vpternlogd` per gate.
    Avx512,
}

impl Isa {
    /// Whether this CPU (and operating system) can run code for this extension.
    pub fn available(self) -> bool {
        #[cfg(all(target_arch = "x86_64", not(target_os = "windows")))]
        {
            match self {
                Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
                Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(all(target_arch = "x86_64", not(target_os = "windows"))))]
        {
            false
        }
    }

    /// The extension's name as CPU vendors write it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx2 => "AVX2",
            Isa::Avx512 => "AVX-512",
        }
    }

    /// Bytes per vector register.
    pub fn vector_bytes(self) -> usize {
        match self {
            Isa::Avx2 => 32,
            Isa::Avx512 => 64,
        }
    }

    /// Registers that cache values (AVX2 keeps `ymm15` for all ones).
    fn cache_regs(self) -> usize {
        match self {
            Isa::Avx2 => 15,
            Isa::Avx512 => 32,
        }
    }
}

const ONES: u8 = 15;
const MAX_REGS: usize = 32;

const RDI: u8 = 7;
const RSI: u8 = 6;
const RDX: u8 = 2;

/// A register or a `[base + disp32]` memory operand (base one of rdi, rsi, rdx).
#[derive(Clone, Copy)]
enum Rm {
    Reg(u8),
    Mem(u8, i32),
}

/// The register an operand occupies, for [`Regs::take`]'s `pinned` list (`u8::MAX`, no register, for memory).
fn pinned_reg(x: Rm) -> u8 {
    if let Rm::Reg(r) = x { r } else { u8::MAX }
}

/// Vector instructions with `[base + disp32]` memory operands: VEX-encoded on `ymm` registers (AVX2) or
/// EVEX-encoded on `zmm` registers (AVX-512).
struct Asm {
    isa: Isa,
    code: Vec<u8>,
}

impl Asm {
    fn new(isa: Isa, capacity: usize) -> Asm {
        Asm { isa, code: Vec::with_capacity(capacity) }
    }

    /// VEX prefix for map 0F, W0, L1 (256-bit): the two-byte form when the r/m register needs no extension.
    fn vex(&mut self, reg: u8, vvvv: u8, rm_ext: bool, pp: u8) {
        let r = ((!reg >> 3) & 1) << 7;
        let tail = ((!vvvv & 15) << 3) | 0x04 | pp;
        if rm_ext {
            self.code.extend_from_slice(&[0xC4, r | 0x40 | 0x01, tail]);
        } else {
            self.code.extend_from_slice(&[0xC5, r | tail]);
        }
    }

    /// EVEX prefix, 512-bit, no masking: opcode map `map` (1: 0F, 3: 0F3A), prefix `pp`, `W`, ModRM.reg
    /// `reg`, second source `v` (0 when unused), and the r/m operand (registers 0..=31 everywhere).
    fn evex(&mut self, map: u8, pp: u8, w: bool, reg: u8, v: u8, rm: Rm) {
        let (b, x) = match rm {
            Rm::Reg(r) => ((r >> 3) & 1, (r >> 4) & 1),
            Rm::Mem(..) => (0, 0),
        };
        let inv = |bit: u8| (!bit) & 1;
        let p0 = (inv(reg >> 3) << 7) | (inv(x) << 6) | (inv(b) << 5) | (inv(reg >> 4) << 4) | map;
        let p1 = (u8::from(w) << 7) | ((!v & 15) << 3) | 0x04 | pp;
        let p2 = (0b10 << 5) | (inv(v >> 4) << 3);
        self.code.extend_from_slice(&[0x62, p0, p1, p2]);
    }

    /// ModRM (and displacement) for `reg` and `rm`.
    fn modrm(&mut self, reg: u8, rm: Rm) {
        match rm {
            Rm::Reg(r) => self.code.push(0xC0 | ((reg & 7) << 3) | (r & 7)),
            Rm::Mem(base, disp) => {
                self.code.push(0x80 | ((reg & 7) << 3) | base);
                self.code.extend_from_slice(&disp.to_le_bytes());
            }
        }
    }

    fn ext(rm: Rm) -> bool {
        matches!(rm, Rm::Reg(r) if r >= 8)
    }

    /// AVX2 `op ymm_d, ymm_s1, s2` (pp = 66).
    fn op(&mut self, opcode: u8, d: u8, s1: u8, s2: Rm) {
        self.vex(d, s1, Self::ext(s2), 0b01);
        self.code.push(opcode);
        self.modrm(d, s2);
    }

    /// AVX-512 `vpternlogd zmm_d, zmm_s1, s2, table`: bit `4d + 2 s1 + s2` of `table` is the result.
    fn ternlog(&mut self, d: u8, s1: u8, s2: Rm, table: u8) {
        self.evex(3, 0b01, false, d, s1, s2);
        self.code.push(0x25);
        self.modrm(d, s2);
        self.code.push(table);
    }

    /// A whole-vector move between register `r` and `[base + disp]`: `vmovdqu` (AVX2) or `vmovdqu64`
    /// (AVX-512); opcode 6F loads, 7F stores (pp = F3).
    fn mov(&mut self, opcode: u8, r: u8, m: (u8, i32)) {
        match self.isa {
            Isa::Avx2 => self.vex(r, 0, false, 0b10),
            Isa::Avx512 => self.evex(1, 0b10, true, r, 0, Rm::Mem(m.0, m.1)),
        }
        self.code.push(opcode);
        self.modrm(r, Rm::Mem(m.0, m.1));
    }

    fn load(&mut self, r: u8, m: (u8, i32)) {
        self.mov(0x6F, r, m);
    }
    fn store(&mut self, r: u8, m: (u8, i32)) {
        self.mov(0x7F, r, m);
    }

    /// What every function starts with: AVX2 sets `ymm15` to all ones (`vpcmpeqd ymm15, ymm15, ymm15`).
    fn prologue(&mut self) {
        if self.isa == Isa::Avx2 {
            self.op(0x76, ONES, ONES, Rm::Reg(ONES));
        }
    }

    /// `vzeroupper; ret`.
    fn epilogue(&mut self) {
        self.code.extend_from_slice(&[0xC5, 0xF8, 0x77, 0xC3]);
    }

    /// `add reg64, imm32` for rsi or rdx.
    fn add_imm(&mut self, reg: u8, imm: i32) {
        self.code.extend_from_slice(&[0x48, 0x81, 0xC0 | reg]);
        self.code.extend_from_slice(&imm.to_le_bytes());
    }

    /// `jnz target` (rel32), `target` an offset into the code.
    fn jnz(&mut self, target: usize) {
        let end = self.code.len() as i64 + 6;
        self.code.extend_from_slice(&[0x0F, 0x85]);
        self.code.extend_from_slice(&((target as i64 - end) as i32).to_le_bytes());
    }
}

/// The `vpternlogd` table of `f(x, y)`, `x` the second operand (bit 1 of the index), `y` the third (bit 0);
/// the destination's old value (bit 2) does not matter.
fn ternlog_table(f: impl Fn(bool, bool) -> bool) -> u8 {
    (0..8).filter(|i| f(i & 2 != 0, i & 1 != 0)).fold(0, |t, i| t | (1 << i))
}

const AND: u8 = 0xDB;
/// `d = !s1 & s2`.
const ANDN: u8 = 0xDF;
const OR: u8 = 0xEB;
const XOR: u8 = 0xEF;

/// LRU cache of which register holds which `(signal, vector)`.
struct Regs {
    count: usize,
    held: [Option<(u32, u8)>; MAX_REGS],
    stamp: [u64; MAX_REGS],
    clock: u64,
}

impl Regs {
    fn new(isa: Isa) -> Regs {
        Regs { count: isa.cache_regs(), held: [None; MAX_REGS], stamp: [0; MAX_REGS], clock: 0 }
    }

    fn find(&mut self, key: (u32, u8)) -> Option<u8> {
        let r = self.held[..self.count].iter().position(|h| *h == Some(key))?;
        self.clock += 1;
        self.stamp[r] = self.clock;
        Some(r as u8)
    }

    /// Register `r` now holds `key` (its old value is overwritten in place).
    fn rekey(&mut self, r: u8, key: (u32, u8)) {
        self.clock += 1;
        self.stamp[r as usize] = self.clock;
        self.held[r as usize] = Some(key);
    }

    /// The least recently used register not in `pinned`, now holding `key`.
    fn take(&mut self, key: (u32, u8), pinned: &[u8]) -> u8 {
        let r = (0..self.count).filter(|r| !pinned.contains(&(*r as u8))).min_by_key(|&r| self.stamp[r]).unwrap();
        self.clock += 1;
        self.stamp[r] = self.clock;
        self.held[r] = Some(key);
        r as u8
    }
}

/// Emits one function `extern "C" fn(base: *mut u8)` evaluating every gate of `net`; `None` if a
/// displacement would not fit in 32 bits. With a cut mapping (AVX-512 only; its outputs kept), only its
/// roots are emitted, and `slots` must be [`Slots::mapped`].
pub fn emit(isa: Isa, net: &Netlist, slots: &Slots, vectors: usize, map: Option<&Mapping>) -> Option<Vec<u8>> {
    assert!(map.is_none() || isa == Isa::Avx512, "three-input cuts need vpternlogd");
    let stride = (vectors * isa.vector_bytes()) as i64;
    let loc = |s: u32| (RDI, slots.slot[s as usize] as i64 * stride);
    let store = needed_stores(isa, net, vectors, &loc, net.outputs.iter().flatten().copied(), map)?;
    let mut asm = Asm::new(isa, net.gates.len() * vectors * 24 + 16);
    asm.prologue();
    gates(&mut asm, net, vectors, &loc, &store, map)?;
    asm.epilogue();
    Some(asm.code)
}

/// Which results must be stored: a dry run that stores everything records every signal ever read from memory
/// (a register-cache miss); the real run stores only those and `keep` (values read after the code). Stores do
/// not change the cache's decisions, so the real run misses on exactly the same signals.
fn needed_stores(
    isa: Isa,
    net: &Netlist,
    vectors: usize,
    loc: &dyn Fn(u32) -> (u8, i64),
    keep: impl Iterator<Item = crate::ir::Signal>,
    map: Option<&Mapping>,
) -> Option<Vec<bool>> {
    let mut dry = Asm::new(isa, 0);
    let (_, mut store) = gates(&mut dry, net, vectors, loc, &vec![true; net.num_signals()], map)?;
    for s in keep {
        store[s.index()] = true;
    }
    Some(store)
}

/// Emits one function `extern "C" fn(temps: *mut u8, input: *const u8, output: *mut u8)` that evaluates
/// `l`'s kernel at every position of its grid; `slots` are the kernel's. `input` points at the input
/// buffer, `output` at output signal `out_start` of the output buffer. `None` if a displacement or step
/// does not fit in 32 bits. A cut mapping is as for [`emit`] (the kernel's outputs kept).
pub fn emit_loop(isa: Isa, l: &Loop, slots: &Slots, vectors: usize, map: Option<&Mapping>) -> Option<Vec<u8>> {
    assert!(map.is_none() || isa == Isa::Avx512, "three-input cuts need vpternlogd");
    let vb = isa.vector_bytes() as i64;
    let stride = vectors as i64 * vb;
    let kernel = &l.kernel;
    let ni = kernel.num_inputs;
    let loc = |s: u32| {
        if (s as usize) < ni {
            (RSI, l.reads[s as usize] as i64 * stride)
        } else {
            (RDI, slots.slot[s as usize] as i64 * stride)
        }
    };
    let imm = |x: usize| i32::try_from(x as i64 * stride).ok();
    let [rows, cols] = l.grid;
    let (rows, cols) = (u32::try_from(rows).ok()?, u32::try_from(cols).ok()?);
    let mut asm = Asm::new(isa, kernel.gates.len() * vectors * 24 + 128);
    asm.prologue();
    asm.code.extend_from_slice(&[0x41, 0xB8]); // mov r8d, rows
    asm.code.extend_from_slice(&rows.to_le_bytes());
    let row = asm.code.len();
    asm.code.push(0xB9); // mov ecx, cols
    asm.code.extend_from_slice(&cols.to_le_bytes());
    asm.code.extend_from_slice(&[0x49, 0x89, 0xF1, 0x49, 0x89, 0xD2]); // mov r9, rsi; mov r10, rdx
    let col = asm.code.len();
    let store = needed_stores(isa, kernel, vectors, &loc, l.kernel_outputs(), map)?;
    let (mut regs, _) = gates(&mut asm, kernel, vectors, &loc, &store, map)?;
    // Copy every output channel to its place in the output buffer.
    for (s, &w) in l.kernel_outputs().zip(&l.writes) {
        for v in 0..vectors {
            let (base, d) = loc(s.0);
            let r = match regs.find((s.0, v as u8)) {
                Some(r) => r,
                None => {
                    let r = regs.take((s.0, v as u8), &[]);
                    asm.load(r, (base, disp(d + v as i64 * vb)?));
                    r
                }
            };
            asm.store(r, (RDX, disp(w as i64 * stride + v as i64 * vb)?));
        }
    }
    asm.add_imm(RSI, imm(l.in_step[1])?);
    asm.add_imm(RDX, imm(l.out_step[1])?);
    asm.code.extend_from_slice(&[0xFF, 0xC9]); // dec ecx
    asm.jnz(col);
    asm.code.extend_from_slice(&[0x4C, 0x89, 0xCE, 0x4C, 0x89, 0xD2]); // mov rsi, r9; mov rdx, r10
    asm.add_imm(RSI, imm(l.in_step[0])?);
    asm.add_imm(RDX, imm(l.out_step[0])?);
    asm.code.extend_from_slice(&[0x41, 0xFF, 0xC8]); // dec r8d
    asm.jnz(row);
    asm.epilogue();
    Some(asm.code)
}

/// A displacement that fits in 32 bits with room for the vectors of one signal (at most 8 of 64 bytes).
fn disp(x: i64) -> Option<i32> {
    i32::try_from(x).ok().filter(|d| d.checked_add(512).is_some())
}

/// Emits every gate of `net`; signal `s`'s vector `v` lives at `loc(s).0 + loc(s).1 + B v` (B: the vector
/// bytes). Results are stored where `store[signal]` is set. Returns the register cache as it stands after the
/// last gate, and which signals were read from memory.
fn gates(
    asm: &mut Asm,
    net: &Netlist,
    vectors: usize,
    loc: &dyn Fn(u32) -> (u8, i64),
    store: &[bool],
    map: Option<&Mapping>,
) -> Option<(Regs, Vec<bool>)> {
    let isa = asm.isa;
    let vb = isa.vector_bytes() as i64;
    let from_memory: Vec<std::cell::Cell<bool>> = (0..net.num_signals()).map(|_| Default::default()).collect();
    let at = |s: u32, v: usize| -> Option<(u8, i32)> {
        let (base, d) = loc(s);
        Some((base, disp(d + v as i64 * vb)?))
    };
    // Check every displacement once, so that the emitter below can unwrap.
    for s in 0..net.num_signals() as u32 {
        at(s, vectors - 1)?;
    }
    let at = |s: u32, v: usize| at(s, v).expect("checked");
    let mut regs = Regs::new(isa);
    let ni = net.num_inputs;
    for (g, &Gate { op, a, b }) in net.gates.iter().enumerate() {
        let me = (ni + g) as u32;
        // With a cut mapping, gates inside another gate's cone are not emitted.
        if map.is_some_and(|m| !m.root[g]) {
            continue;
        }
        let cut = map.filter(|m| m.expanded[g]);
        for v in 0..vectors {
            let vk = v as u8;
            let mut pinned = [u8::MAX; 2];
            // An operand in a register (loaded if not cached).
            let mut reg = |regs: &mut Regs, asm: &mut Asm, s: u32| -> u8 {
                let r = regs.find((s, vk)).unwrap_or_else(|| {
                    let r = regs.take((s, vk), &pinned);
                    asm.load(r, at(s, v));
                    from_memory[s as usize].set(true);
                    r
                });
                pinned[usize::from(pinned[0] != u8::MAX)] = r;
                r
            };
            // An operand where a memory reference will do (a register if cached).
            let rm = |regs: &mut Regs, s: u32| {
                regs.find((s, vk)).map_or_else(
                    || {
                        from_memory[s as usize].set(true);
                        let (b, d) = at(s, v);
                        Rm::Mem(b, d)
                    },
                    Rm::Reg,
                )
            };
            let (sa, sb) = (a.0, b.0);
            let out = match (isa, op.id()) {
                _ if let Some(m) = cut => lut_gate(asm, &mut regs, net, m, g, vk, &mut reg, &rm),
                (_, 3) => reg(&mut regs, asm, sa),
                (_, 5) => reg(&mut regs, asm, sb),
                (Isa::Avx512, _) => ternlog_gate(asm, &mut regs, op, me, vk, sa, sb, &mut reg, &rm),
                (Isa::Avx2, 15) => ONES,
                (Isa::Avx2, id) => {
                    // Operands first (they may load into registers), then the destination.
                    let plan: (u8, u8, Rm, Option<(u8, Rm)>, bool) = match id {
                        0 => (XOR, u8::MAX, Rm::Reg(0), None, false),
                        1 | 6 | 7 | 8 | 9 | 14 => {
                            let x = match id {
                                1 | 14 => AND,
                                6 | 9 => XOR,
                                _ => OR,
                            };
                            let (r, m) = cached_first(&mut regs, vk, sa, sb);
                            let r = reg(&mut regs, asm, r);
                            (x, r, rm(&mut regs, m), None, matches!(id, 8 | 9 | 14))
                        }
                        2 => (ANDN, reg(&mut regs, asm, sb), rm(&mut regs, sa), None, false),
                        4 => (ANDN, reg(&mut regs, asm, sa), rm(&mut regs, sb), None, false),
                        10 => (XOR, ONES, rm(&mut regs, sb), None, false),
                        12 => (XOR, ONES, rm(&mut regs, sa), None, false),
                        11 => (XOR, ONES, rm(&mut regs, sb), Some((OR, rm(&mut regs, sa))), false),
                        _ => (XOR, ONES, rm(&mut regs, sa), Some((OR, rm(&mut regs, sb))), false), // 13
                    };
                    // The destination must differ from every register this gate reads after writing it; keeping it
                    // off all of them is simplest.
                    let keep3 = [plan.1, pinned_reg(plan.2), plan.3.map_or(u8::MAX, |p| pinned_reg(p.1))];
                    let d = regs.take((me, vk), &keep3);
                    let (opc, s1, s2, then, negate) = plan;
                    if id == 0 {
                        asm.op(XOR, d, d, Rm::Reg(d));
                    } else {
                        asm.op(opc, d, s1, s2);
                    }
                    if let Some((opc2, s3)) = then {
                        asm.op(opc2, d, d, s3);
                    }
                    if negate {
                        asm.op(XOR, d, d, Rm::Reg(ONES));
                    }
                    d
                }
            };
            if store[me as usize] {
                asm.store(out, at(me, v));
            }
        }
    }
    Some((regs, from_memory.into_iter().map(std::cell::Cell::into_inner).collect()))
}

/// A gate computed from its cut's leaves (one to three; none for a constant cone) by one `vpternlogd`. With
/// three leaves the destination register is an operand: it is a cached leaf that dies here (overwritten in
/// place), else an uncached leaf loaded into it, else a copy of a cached leaf. Of the other leaves, cached
/// ones take the register operand, so that an uncached one is read from memory.
#[allow(clippy::too_many_arguments)]
fn lut_gate(
    asm: &mut Asm,
    regs: &mut Regs,
    net: &Netlist,
    map: &Mapping,
    g: usize,
    vk: u8,
    reg: &mut dyn FnMut(&mut Regs, &mut Asm, u32) -> u8,
    rm: &dyn Fn(&mut Regs, u32) -> Rm,
) -> u8 {
    let me = (net.num_inputs + g) as u32;
    let mut order = map.leaves[g].clone();
    // Cached leaves first (stable: the order is otherwise the leaves').
    order.sort_by_key(|&s| regs.find((s, vk)).is_none());
    match order[..] {
        [] => {
            let d = regs.take((me, vk), &[]);
            asm.ternlog(d, d, Rm::Reg(d), lut3::table(net, g, &[], &[]));
            d
        }
        [x] => {
            let m = rm(regs, x);
            let d = regs.take((me, vk), &[pinned_reg(m)]);
            asm.ternlog(d, d, m, lut3::table(net, g, &order, &[2]));
            d
        }
        [x, y] => {
            let rx = reg(regs, asm, x);
            let my = rm(regs, y);
            let d = regs.take((me, vk), &[rx, pinned_reg(my)]);
            asm.ternlog(d, rx, my, lut3::table(net, g, &order, &[1, 2]));
            d
        }
        [_, _, _] => {
            let dies = |s: u32| map.last_reader[s as usize] == Some(g as u32);
            // The destination leaf: a cached one that dies here, else an uncached one (the last), else the first.
            let cached = |regs: &mut Regs, s: u32| regs.find((s, vk)).is_some();
            let pick = (0..3)
                .find(|&i| dies(order[i]) && cached(regs, order[i]))
                .or_else(|| (0..3).rev().find(|&i| !cached(regs, order[i])))
                .unwrap_or(0);
            let dest = order.remove(pick);
            let (y, z) = (order[0], order[1]);
            let ry = reg(regs, asm, y);
            let mz = rm(regs, z);
            let d = match regs.find((dest, vk)) {
                Some(r) if dies(dest) => {
                    regs.rekey(r, (me, vk));
                    r
                }
                Some(r) => {
                    let d = regs.take((me, vk), &[r, ry, pinned_reg(mz)]);
                    asm.ternlog(d, r, Rm::Reg(r), lut3::PATTERNS[1]);
                    d
                }
                None => {
                    let Rm::Mem(base, disp) = rm(regs, dest) else { unreachable!("an uncached leaf") };
                    let d = regs.take((me, vk), &[ry, pinned_reg(mz)]);
                    asm.load(d, (base, disp));
                    d
                }
            };
            asm.ternlog(d, ry, mz, lut3::table(net, g, &[dest, y, z], &[0, 1, 2]));
            d
        }
        _ => unreachable!("a cut has at most three leaves"),
    }
}

/// The operands of a symmetric use ordered so that a cached one comes first (it stays in its register; the
/// other may be read from memory).
fn cached_first(regs: &mut Regs, vk: u8, sa: u32, sb: u32) -> (u32, u32) {
    if regs.find((sb, vk)).is_some() && regs.find((sa, vk)).is_none() { (sb, sa) } else { (sa, sb) }
}

/// One gate (not a pass-through) as one `vpternlogd` into a fresh register: two operands (one in a register,
/// the other where it is), one (where it is; the destination is the don't-care register operand), or none.
#[allow(clippy::too_many_arguments)]
fn ternlog_gate(
    asm: &mut Asm,
    regs: &mut Regs,
    op: GateOp,
    me: u32,
    vk: u8,
    sa: u32,
    sb: u32,
    reg: &mut dyn FnMut(&mut Regs, &mut Asm, u32) -> u8,
    rm: &dyn Fn(&mut Regs, u32) -> Rm,
) -> u8 {
    match (op.reads_a(), op.reads_b()) {
        (true, true) => {
            let (x, y) = cached_first(regs, vk, sa, sb);
            let rx = reg(regs, asm, x);
            let my = rm(regs, y);
            let d = regs.take((me, vk), &[rx, pinned_reg(my)]);
            let swapped = x != sa;
            asm.ternlog(d, rx, my, ternlog_table(|x, y| if swapped { op.eval(y, x) } else { op.eval(x, y) }));
            d
        }
        (true, false) | (false, true) => {
            let s = if op.reads_a() { sa } else { sb };
            let m = rm(regs, s);
            let d = regs.take((me, vk), &[pinned_reg(m)]);
            asm.ternlog(d, d, m, ternlog_table(|_, y| op.eval(y, y)));
            d
        }
        (false, false) => {
            let d = regs.take((me, vk), &[]);
            asm.ternlog(d, d, Rm::Reg(d), ternlog_table(|_, _| op.eval(false, false)));
            d
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_encodings_match_the_manual() {
        let mut a = Asm::new(Isa::Avx2, 0);
        a.load(0, (RDI, 0x20)); // vmovdqu ymm0, [rdi+0x20]
        assert_eq!(a.code, [0xC5, 0xFE, 0x6F, 0x87, 0x20, 0, 0, 0]);
        a.code.clear();
        a.store(9, (RDI, -32)); // vmovdqu [rdi-0x20], ymm9
        assert_eq!(a.code, [0xC5, 0x7E, 0x7F, 0x8F, 0xE0, 0xFF, 0xFF, 0xFF]);
        a.code.clear();
        a.op(AND, 1, 2, Rm::Reg(3)); // vpand ymm1, ymm2, ymm3
        assert_eq!(a.code, [0xC5, 0xED, 0xDB, 0xCB]);
        a.code.clear();
        a.op(XOR, 15, 15, Rm::Reg(12)); // vpxor ymm15, ymm15, ymm12
        assert_eq!(a.code, [0xC4, 0x41, 0x05, 0xEF, 0xFC]);
        a.code.clear();
        a.op(ANDN, 3, 9, Rm::Mem(RDI, 0x100)); // vpandn ymm3, ymm9, [rdi+0x100]
        assert_eq!(a.code, [0xC5, 0xB5, 0xDF, 0x9F, 0x00, 0x01, 0x00, 0x00]);
        a.code.clear();
        a.load(2, (RSI, 0x40)); // vmovdqu ymm2, [rsi+0x40]
        assert_eq!(a.code, [0xC5, 0xFE, 0x6F, 0x96, 0x40, 0, 0, 0]);
        a.code.clear();
        a.store(1, (RDX, 0x20)); // vmovdqu [rdx+0x20], ymm1
        assert_eq!(a.code, [0xC5, 0xFE, 0x7F, 0x8A, 0x20, 0, 0, 0]);
        a.code.clear();
        a.add_imm(RSI, 0x100); // add rsi, 0x100
        assert_eq!(a.code, [0x48, 0x81, 0xC6, 0x00, 0x01, 0, 0]);
    }

    /// Expected bytes from GNU as 2.40 (`{disp32}` forces the 32-bit displacements this emitter writes).
    #[test]
    fn avx512_encodings_match_the_assembler() {
        let mut a = Asm::new(Isa::Avx512, 0);
        let mut check = |f: &dyn Fn(&mut Asm), want: &[u8]| {
            a.code.clear();
            f(&mut a);
            assert_eq!(a.code, want);
        };
        check(&|a| a.load(0, (RDI, 0x40)), &[0x62, 0xF1, 0xFE, 0x48, 0x6F, 0x87, 0x40, 0, 0, 0]);
        check(&|a| a.store(9, (RDI, -0x40)), &[0x62, 0x71, 0xFE, 0x48, 0x7F, 0x8F, 0xC0, 0xFF, 0xFF, 0xFF]);
        check(&|a| a.load(17, (RSI, 0x100)), &[0x62, 0xE1, 0xFE, 0x48, 0x6F, 0x8E, 0, 1, 0, 0]);
        check(&|a| a.store(31, (RDX, 0x40)), &[0x62, 0x61, 0xFE, 0x48, 0x7F, 0xBA, 0x40, 0, 0, 0]);
        check(&|a| a.ternlog(1, 2, Rm::Reg(3), 0x96), &[0x62, 0xF3, 0x6D, 0x48, 0x25, 0xCB, 0x96]);
        check(&|a| a.ternlog(20, 9, Rm::Reg(30), 0x11), &[0x62, 0x83, 0x35, 0x48, 0x25, 0xE6, 0x11]);
        check(
            &|a| a.ternlog(3, 17, Rm::Mem(RDI, 0x100), 0xC0),
            &[0x62, 0xF3, 0x75, 0x40, 0x25, 0x9F, 0, 1, 0, 0, 0xC0],
        );
        check(&|a| a.ternlog(31, 31, Rm::Reg(31), 0xFF), &[0x62, 0x03, 0x05, 0x40, 0x25, 0xFF, 0xFF]);
    }

    #[test]
    fn ternlog_tables_ignore_the_destination() {
        // Index bit 1 is x, bit 0 is y, bit 2 the destination's old value.
        assert_eq!(ternlog_table(|x, y| x && y), 0b1000_1000);
        assert_eq!(ternlog_table(|x, y| x ^ y), 0b0110_0110);
        assert_eq!(ternlog_table(|x, _| x), 0b1100_1100);
        assert_eq!(ternlog_table(|_, y| !y), 0b0101_0101);
        assert_eq!(ternlog_table(|_, _| true), 0xFF);
        for op in GateOp::all() {
            let t = ternlog_table(|x, y| op.eval(x, y));
            assert_eq!(t >> 4, t & 15, "{}", op.name());
        }
    }
}
