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

use crate::gate::GateOp;
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

/// VEX-encoded AVX2 instructions on `ymm` registers with `[rdi + disp32]` memory operands.
struct Asm {
    code: Vec<u8>,
}

impl Asm {
    /// Three-byte VEX prefix, map 0F, W0, L1 (256-bit).
    fn vex(&mut self, reg: u8, vvvv: u8, rm: u8, pp: u8) {
        let r = ((!reg >> 3) & 1) << 7;
        let b = ((!rm >> 3) & 1) << 5;
        self.code.extend_from_slice(&[0xC4, r | 0x40 | b | 0x01, ((!vvvv & 15) << 3) | 0x04 | pp]);
    }

    /// `op ymm_d, ymm_s1, ymm_s2` (pp = 66).
    fn rrr(&mut self, opcode: u8, d: u8, s1: u8, s2: u8) {
        self.vex(d, s1, s2, 0b01);
        self.code.extend_from_slice(&[opcode, 0xC0 | ((d & 7) << 3) | (s2 & 7)]);
    }

    /// `vmovdqu` between `ymm_r` and `[rdi + disp]` (opcode 6F load, 7F store; pp = F3).
    fn mov(&mut self, opcode: u8, r: u8, disp: i32) {
        self.vex(r, 0, 7, 0b10);
        self.code.extend_from_slice(&[opcode, 0x80 | ((r & 7) << 3) | 7]);
        self.code.extend_from_slice(&disp.to_le_bytes());
    }

    fn load(&mut self, r: u8, disp: i32) {
        self.mov(0x6F, r, disp);
    }
    fn store(&mut self, r: u8, disp: i32) {
        self.mov(0x7F, r, disp);
    }
    fn and(&mut self, d: u8, a: u8, b: u8) {
        self.rrr(0xDB, d, a, b);
    }
    /// `d = !a & b`.
    fn andn(&mut self, d: u8, a: u8, b: u8) {
        self.rrr(0xDF, d, a, b);
    }
    fn or(&mut self, d: u8, a: u8, b: u8) {
        self.rrr(0xEB, d, a, b);
    }
    fn xor(&mut self, d: u8, a: u8, b: u8) {
        self.rrr(0xEF, d, a, b);
    }
}

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
    asm.rrr(0x76, ONES, ONES, ONES); // vpcmpeqd ymm15, ymm15, ymm15: all ones
    let ni = net.num_inputs;
    for (g, &Gate { op, a, b }) in net.gates.iter().enumerate() {
        let me = (ni + g) as u32;
        let dst = slots.slot[me as usize];
        for v in 0..vectors {
            let vk = v as u8;
            let mut pinned = [u8::MAX; 2];
            let mut operand = |regs: &mut Regs, asm: &mut Asm, s: u32, i: usize| -> u8 {
                let r = regs.find((s, vk)).unwrap_or_else(|| {
                    let r = regs.take((s, vk), &pinned);
                    asm.load(r, disp(slots.slot[s as usize], v));
                    r
                });
                pinned[i] = r;
                r
            };
            let uses_a = !op.is_constant() && (op.reads_a() || op == GateOp::A);
            let uses_b = !op.is_constant() && (op.reads_b() || op == GateOp::B);
            let ra = if uses_a { operand(&mut regs, &mut asm, a.0, 0) } else { u8::MAX };
            let rb = if uses_b { operand(&mut regs, &mut asm, b.0, 1) } else { u8::MAX };
            let out = match op.id() {
                3 => ra,
                5 => rb,
                15 => ONES,
                id => {
                    let d = regs.take((me, vk), &pinned);
                    match id {
                        0 => asm.xor(d, d, d),
                        1 => asm.and(d, ra, rb),
                        2 => asm.andn(d, rb, ra),
                        4 => asm.andn(d, ra, rb),
                        6 => asm.xor(d, ra, rb),
                        7 => asm.or(d, ra, rb),
                        8 => {
                            asm.or(d, ra, rb);
                            asm.xor(d, d, ONES);
                        }
                        9 => {
                            asm.xor(d, ra, rb);
                            asm.xor(d, d, ONES);
                        }
                        10 => asm.xor(d, rb, ONES),
                        11 => {
                            asm.xor(d, rb, ONES);
                            asm.or(d, d, ra);
                        }
                        12 => asm.xor(d, ra, ONES),
                        13 => {
                            asm.xor(d, ra, ONES);
                            asm.or(d, d, rb);
                        }
                        _ => {
                            asm.and(d, ra, rb);
                            asm.xor(d, d, ONES);
                        }
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
        assert_eq!(a.code, [0xC4, 0xE1, 0x7E, 0x6F, 0x87, 0x20, 0, 0, 0]);
        a.code.clear();
        a.store(9, -32); // vmovdqu [rdi-0x20], ymm9
        assert_eq!(a.code, [0xC4, 0x61, 0x7E, 0x7F, 0x8F, 0xE0, 0xFF, 0xFF, 0xFF]);
        a.code.clear();
        a.and(1, 2, 3); // vpand ymm1, ymm2, ymm3
        assert_eq!(a.code, [0xC4, 0xE1, 0x6D, 0xDB, 0xCB]);
        a.code.clear();
        a.xor(15, 15, 12); // vpxor ymm15, ymm15, ymm12
        assert_eq!(a.code, [0xC4, 0x41, 0x05, 0xEF, 0xFC]);
    }
}
