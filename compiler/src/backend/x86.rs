//! Direct AVX2 code generation for x86-64: gates → machine code bytes, with no IR in between.
//!
//! Cranelift's x64 backend stops at 128-bit vectors, and its compile time (about 5 µs per gate here) is spent
//! on register allocation and lowering that straight-line gate code does not need. This emitter writes the
//! instructions itself ("stencils with patched displacements"): per gate and 256-bit vector, load the
//! operands (`vmovdqu ymm, [rdi + disp32]`, skipped when a register still holds them), apply the op
//! (`vpand`/`vpandn`/`vpor`/`vpxor`, with `ymm15` = all ones for negations) and store the result. Registers
//! `ymm0..=ymm14` form an LRU cache of recently loaded or computed values, so the operands of adder trees
//! and of neighbouring gates are not reloaded. Every result is stored, so correctness never depends on the
//! cache. The bytes are linked and made executable by Cranelift's `JITModule`.
//!
//! Layout is the runtime's: slot `s`, 256-bit vector `v` at `rdi + (s * vectors + v) * 32`.
//!
//! A [`Loop`] becomes one function `fn(temps: rdi, input: rsi, output: rdx)` whose body is the kernel,
//! emitted once, inside a two-level counted loop (`ecx` over columns, `r8d` over rows) that advances `rsi`
//! and `rdx` by the loop's steps: kernel inputs are read at `rsi + reads[i] * stride`, outputs are copied to
//! `rdx + writes[j] * stride`, temporaries live at `rdi`. Code size is the kernel's, whatever the grid.

use crate::ir::{Gate, Loop, Netlist};

use super::schedule::Slots;

/// Whether this CPU can run the code this module emits.
pub fn available() -> bool {
    #[cfg(all(target_arch = "x86_64", not(target_os = "windows")))]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(all(target_arch = "x86_64", not(target_os = "windows"))))]
    {
        false
    }
}

const ONES: u8 = 15;
const CACHE_REGS: usize = 15;

const RDI: u8 = 7;
const RSI: u8 = 6;
const RDX: u8 = 2;

/// A register or a `[base + disp32]` memory operand (base one of rdi, rsi, rdx).
#[derive(Clone, Copy)]
enum Rm {
    Reg(u8),
    Mem(u8, i32),
}

/// VEX-encoded AVX2 instructions on `ymm` registers with `[rdi + disp32]` memory operands.
struct Asm {
    code: Vec<u8>,
}

impl Asm {
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

    /// `op ymm_d, ymm_s1, s2` (pp = 66).
    fn op(&mut self, opcode: u8, d: u8, s1: u8, s2: Rm) {
        self.vex(d, s1, Self::ext(s2), 0b01);
        self.code.push(opcode);
        self.modrm(d, s2);
    }

    /// `vmovdqu` between `ymm_r` and `[base + disp]` (opcode 6F load, 7F store; pp = F3).
    fn mov(&mut self, opcode: u8, r: u8, m: (u8, i32)) {
        self.vex(r, 0, false, 0b10);
        self.code.push(opcode);
        self.modrm(r, Rm::Mem(m.0, m.1));
    }

    fn load(&mut self, r: u8, m: (u8, i32)) {
        self.mov(0x6F, r, m);
    }
    fn store(&mut self, r: u8, m: (u8, i32)) {
        self.mov(0x7F, r, m);
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

const AND: u8 = 0xDB;
/// `d = !s1 & s2`.
const ANDN: u8 = 0xDF;
const OR: u8 = 0xEB;
const XOR: u8 = 0xEF;

/// LRU cache of which register holds which `(signal, vector)`.
struct Regs {
    held: [Option<(u32, u8)>; CACHE_REGS],
    stamp: [u64; CACHE_REGS],
    clock: u64,
}

impl Regs {
    fn find(&mut self, key: (u32, u8)) -> Option<u8> {
        let r = self.held.iter().position(|h| *h == Some(key))?;
        self.clock += 1;
        self.stamp[r] = self.clock;
        Some(r as u8)
    }

    /// The least recently used register not in `pinned`, now holding `key`.
    fn take(&mut self, key: (u32, u8), pinned: &[u8]) -> u8 {
        let r = (0..CACHE_REGS).filter(|r| !pinned.contains(&(*r as u8))).min_by_key(|&r| self.stamp[r]).unwrap();
        self.clock += 1;
        self.stamp[r] = self.clock;
        self.held[r] = Some(key);
        r as u8
    }
}

/// Emits one function `extern "C" fn(base: *mut u8)` evaluating every gate of `net`; `None` if a
/// displacement would not fit in 32 bits.
pub fn emit(net: &Netlist, slots: &Slots, vectors: usize) -> Option<Vec<u8>> {
    let stride = vectors as i64 * 32;
    let loc = |s: u32| (RDI, slots.slot[s as usize] as i64 * stride);
    let store = needed_stores(net, vectors, &loc, net.outputs.iter().flatten().copied())?;
    let mut asm = Asm { code: Vec::with_capacity(net.gates.len() * vectors * 24 + 16) };
    asm.op(0x76, ONES, ONES, Rm::Reg(ONES)); // vpcmpeqd ymm15, ymm15, ymm15: all ones
    gates(&mut asm, net, vectors, &loc, &store)?;
    asm.code.extend_from_slice(&[0xC5, 0xF8, 0x77, 0xC3]); // vzeroupper; ret
    Some(asm.code)
}

/// Which results must be stored: a dry run that stores everything records every signal ever read from memory
/// (a register-cache miss); the real run stores only those and `keep` (values read after the code). Stores do
/// not change the cache's decisions, so the real run misses on exactly the same signals.
fn needed_stores(
    net: &Netlist,
    vectors: usize,
    loc: &dyn Fn(u32) -> (u8, i64),
    keep: impl Iterator<Item = crate::ir::Signal>,
) -> Option<Vec<bool>> {
    let mut dry = Asm { code: Vec::new() };
    let (_, mut store) = gates(&mut dry, net, vectors, loc, &vec![true; net.num_signals()])?;
    for s in keep {
        store[s.index()] = true;
    }
    Some(store)
}

/// Emits one function `extern "C" fn(temps: *mut u8, input: *const u8, output: *mut u8)` that evaluates
/// `l`'s kernel at every position of its grid; `slots` are the kernel's. `input` points at the input
/// buffer, `output` at output signal `out_start` of the output buffer. `None` if a displacement or step
/// does not fit in 32 bits.
pub fn emit_loop(l: &Loop, slots: &Slots, vectors: usize) -> Option<Vec<u8>> {
    let stride = vectors as i64 * 32;
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
    let mut asm = Asm { code: Vec::with_capacity(kernel.gates.len() * vectors * 24 + 128) };
    asm.op(0x76, ONES, ONES, Rm::Reg(ONES)); // vpcmpeqd ymm15, ymm15, ymm15: all ones
    asm.code.extend_from_slice(&[0x41, 0xB8]); // mov r8d, rows
    asm.code.extend_from_slice(&rows.to_le_bytes());
    let row = asm.code.len();
    asm.code.push(0xB9); // mov ecx, cols
    asm.code.extend_from_slice(&cols.to_le_bytes());
    asm.code.extend_from_slice(&[0x49, 0x89, 0xF1, 0x49, 0x89, 0xD2]); // mov r9, rsi; mov r10, rdx
    let col = asm.code.len();
    let store = needed_stores(kernel, vectors, &loc, l.kernel_outputs())?;
    let (mut regs, _) = gates(&mut asm, kernel, vectors, &loc, &store)?;
    // Copy every output channel to its place in the output buffer.
    for (s, &w) in l.kernel_outputs().zip(&l.writes) {
        for v in 0..vectors {
            let (base, d) = loc(s.0);
            let r = match regs.find((s.0, v as u8)) {
                Some(r) => r,
                None => {
                    let r = regs.take((s.0, v as u8), &[]);
                    asm.load(r, (base, disp(d + v as i64 * 32)?));
                    r
                }
            };
            asm.store(r, (RDX, disp(w as i64 * stride + v as i64 * 32)?));
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
    asm.code.extend_from_slice(&[0xC5, 0xF8, 0x77, 0xC3]); // vzeroupper; ret
    Some(asm.code)
}

/// A displacement that fits in 32 bits with room for the vectors of one signal.
fn disp(x: i64) -> Option<i32> {
    i32::try_from(x).ok().filter(|d| d.checked_add(256).is_some())
}

/// Emits every gate of `net`; signal `s`'s vector `v` lives at `loc(s).0 + loc(s).1 + 32 v`. Results are
/// stored where `store[signal]` is set. Returns the register cache as it stands after the last gate, and which
/// signals were read from memory.
fn gates(
    asm: &mut Asm,
    net: &Netlist,
    vectors: usize,
    loc: &dyn Fn(u32) -> (u8, i64),
    store: &[bool],
) -> Option<(Regs, Vec<bool>)> {
    let from_memory: Vec<std::cell::Cell<bool>> = (0..net.num_signals()).map(|_| Default::default()).collect();
    let at = |s: u32, v: usize| -> Option<(u8, i32)> {
        let (base, d) = loc(s);
        Some((base, disp(d + v as i64 * 32)?))
    };
    // Check every displacement once, so that the emitter below can unwrap.
    for s in 0..net.num_signals() as u32 {
        at(s, vectors - 1)?;
    }
    let at = |s: u32, v: usize| at(s, v).expect("checked");
    let mut regs = Regs { held: [None; CACHE_REGS], stamp: [0; CACHE_REGS], clock: 0 };
    let ni = net.num_inputs;
    for (g, &Gate { op, a, b }) in net.gates.iter().enumerate() {
        let me = (ni + g) as u32;
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
            let out = match op.id() {
                3 => reg(&mut regs, asm, sa),
                5 => reg(&mut regs, asm, sb),
                15 => ONES,
                id => {
                    // Operands first (they may load into registers), then the destination.
                    let plan: (u8, u8, Rm, Option<(u8, Rm)>, bool) = match id {
                        0 => (XOR, u8::MAX, Rm::Reg(0), None, false),
                        1 | 6 | 7 | 8 | 9 | 14 => {
                            let x = match id {
                                1 | 14 => AND,
                                6 | 9 => XOR,
                                _ => OR,
                            };
                            // Keep whichever operand is cached in its register; the other may stay in memory.
                            let (r, m) = if regs.find((sb, vk)).is_some() && regs.find((sa, vk)).is_none() {
                                (sb, sa)
                            } else {
                                (sa, sb)
                            };
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
                    let as_reg = |x: Rm| if let Rm::Reg(r) = x { r } else { u8::MAX };
                    let keep3 = [plan.1, as_reg(plan.2), plan.3.map_or(u8::MAX, |p| as_reg(p.1))];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_the_manual() {
        let mut a = Asm { code: Vec::new() };
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
}
