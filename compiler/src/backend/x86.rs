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

use crate::ir::{Gate, Netlist};

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

/// A register or a `[rdi + disp32]` memory operand.
#[derive(Clone, Copy)]
enum Rm {
    Reg(u8),
    Mem(i32),
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
            Rm::Mem(disp) => {
                self.code.push(0x80 | ((reg & 7) << 3) | 7);
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

    /// `vmovdqu` between `ymm_r` and `[rdi + disp]` (opcode 6F load, 7F store; pp = F3).
    fn mov(&mut self, opcode: u8, r: u8, disp: i32) {
        self.vex(r, 0, false, 0b10);
        self.code.push(opcode);
        self.modrm(r, Rm::Mem(disp));
    }

    fn load(&mut self, r: u8, disp: i32) {
        self.mov(0x6F, r, disp);
    }
    fn store(&mut self, r: u8, disp: i32) {
        self.mov(0x7F, r, disp);
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
    let max = (slots.count * vectors * 32) as u64;
    if max >= i32::MAX as u64 {
        return None;
    }
    let disp = |slot: u32, v: usize| ((slot as usize * vectors + v) * 32) as i32;
    let mut asm = Asm { code: Vec::with_capacity(net.gates.len() * vectors * 24 + 16) };
    let mut regs = Regs { held: [None; CACHE_REGS], stamp: [0; CACHE_REGS], clock: 0 };
    asm.op(0x76, ONES, ONES, Rm::Reg(ONES)); // vpcmpeqd ymm15, ymm15, ymm15: all ones
    let ni = net.num_inputs;
    for (g, &Gate { op, a, b }) in net.gates.iter().enumerate() {
        let me = (ni + g) as u32;
        let dst = slots.slot[me as usize];
        for v in 0..vectors {
            let vk = v as u8;
            let mut pinned = [u8::MAX; 2];
            // An operand in a register (loaded if not cached).
            let mut reg = |regs: &mut Regs, asm: &mut Asm, s: u32| -> u8 {
                let r = regs.find((s, vk)).unwrap_or_else(|| {
                    let r = regs.take((s, vk), &pinned);
                    asm.load(r, disp(slots.slot[s as usize], v));
                    r
                });
                pinned[usize::from(pinned[0] != u8::MAX)] = r;
                r
            };
            // An operand where a memory reference will do (a register if cached).
            let rm =
                |regs: &mut Regs, s: u32| regs.find((s, vk)).map_or(Rm::Mem(disp(slots.slot[s as usize], v)), Rm::Reg);
            let (sa, sb) = (a.0, b.0);
            let out = match op.id() {
                3 => reg(&mut regs, &mut asm, sa),
                5 => reg(&mut regs, &mut asm, sb),
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
                            let r = reg(&mut regs, &mut asm, r);
                            (x, r, rm(&mut regs, m), None, matches!(id, 8 | 9 | 14))
                        }
                        2 => (ANDN, reg(&mut regs, &mut asm, sb), rm(&mut regs, sa), None, false),
                        4 => (ANDN, reg(&mut regs, &mut asm, sa), rm(&mut regs, sb), None, false),
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
            asm.store(out, disp(dst, v));
        }
    }
    asm.code.extend_from_slice(&[0xC5, 0xF8, 0x77, 0xC3]); // vzeroupper; ret
    Some(asm.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_the_manual() {
        let mut a = Asm { code: Vec::new() };
        a.load(0, 0x20); // vmovdqu ymm0, [rdi+0x20]
        assert_eq!(a.code, [0xC5, 0xFE, 0x6F, 0x87, 0x20, 0, 0, 0]);
        a.code.clear();
        a.store(9, -32); // vmovdqu [rdi-0x20], ymm9
        assert_eq!(a.code, [0xC5, 0x7E, 0x7F, 0x8F, 0xE0, 0xFF, 0xFF, 0xFF]);
        a.code.clear();
        a.op(AND, 1, 2, Rm::Reg(3)); // vpand ymm1, ymm2, ymm3
        assert_eq!(a.code, [0xC5, 0xED, 0xDB, 0xCB]);
        a.code.clear();
        a.op(XOR, 15, 15, Rm::Reg(12)); // vpxor ymm15, ymm15, ymm12
        assert_eq!(a.code, [0xC4, 0x41, 0x05, 0xEF, 0xFC]);
        a.code.clear();
        a.op(ANDN, 3, 9, Rm::Mem(0x100)); // vpandn ymm3, ymm9, [rdi+0x100]
        assert_eq!(a.code, [0xC5, 0xB5, 0xDF, 0x9F, 0x00, 0x01, 0x00, 0x00]);
    }
}
