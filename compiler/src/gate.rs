//! The sixteen two-input Boolean gates, numbered as in difflogic.
//!
//! A gate id is the gate's truth table read as a 4-bit number, most significant bit first, in input
//! order `(a, b) = 00, 01, 10, 11`; so `g(a, b) = (id >> (3 - 2a - b)) & 1`. See DESIGN.md for the table.

use std::fmt;

/// One of the 16 two-input Boolean functions, by its difflogic id (0..=15).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct GateOp(u8);

/// Short names of the gates, indexed by id.
const NAMES: [&str; 16] = [
    "ZERO",
    "AND",
    "A_AND_NOT_B",
    "A",
    "NOT_A_AND_B",
    "B",
    "XOR",
    "OR",
    "NOR",
    "XNOR",
    "NOT_B",
    "A_OR_NOT_B",
    "NOT_A",
    "NOT_A_OR_B",
    "NAND",
    "ONE",
];

impl GateOp {
    /// Constant 0 (id 0).
    pub const ZERO: GateOp = GateOp(0);
    /// `a AND b` (id 1).
    pub const AND: GateOp = GateOp(1);
    /// `a` pass-through (id 3).
    pub const A: GateOp = GateOp(3);
    /// `b` pass-through (id 5).
    pub const B: GateOp = GateOp(5);
    /// `a XOR b` (id 6).
    pub const XOR: GateOp = GateOp(6);
    /// `a OR b` (id 7).
    pub const OR: GateOp = GateOp(7);
    /// Constant 1 (id 15).
    pub const ONE: GateOp = GateOp(15);

    /// All sixteen gates in id order.
    pub fn all() -> impl Iterator<Item = GateOp> {
        (0..16).map(GateOp)
    }

    /// The gate with this id, or `None` if `id > 15`.
    pub fn from_id(id: u8) -> Option<GateOp> {
        (id < 16).then_some(GateOp(id))
    }

    /// The gate with this 4-bit truth table (the low 4 bits of `table`).
    pub fn from_table(table: u8) -> GateOp {
        GateOp(table & 15)
    }

    /// The difflogic id, which is also the truth table.
    pub fn id(self) -> u8 {
        self.0
    }

    /// A short upper-case name, e.g. `AND` or `NOT_A_OR_B`.
    pub fn name(self) -> &'static str {
        NAMES[self.0 as usize]
    }

    /// Evaluates the gate on two bits.
    #[inline]
    pub fn eval(self, a: bool, b: bool) -> bool {
        (self.0 >> (3 - 2 * a as u8 - b as u8)) & 1 == 1
    }

    /// Evaluates the gate bitwise on two 64-bit words (64 samples at once).
    #[inline(always)]
    pub fn eval_word(self, a: u64, b: u64) -> u64 {
        match self.0 {
            0 => 0,
            1 => a & b,
            2 => a & !b,
            3 => a,
            4 => !a & b,
            5 => b,
            6 => a ^ b,
            7 => a | b,
            8 => !(a | b),
            9 => !(a ^ b),
            10 => !b,
            11 => a | !b,
            12 => !a,
            13 => !a | b,
            14 => !(a & b),
            _ => !0,
        }
    }

    /// Whether the output ignores both inputs (ids 0 and 15).
    pub fn is_constant(self) -> bool {
        self.0 == 0 || self.0 == 15
    }

    /// Whether the output depends on input `a`.
    pub fn reads_a(self) -> bool {
        // Depends on a iff the table differs between a=0 (bits 3,2) and a=1 (bits 1,0).
        (self.0 >> 2) != (self.0 & 3)
    }

    /// Whether the output depends on input `b`.
    pub fn reads_b(self) -> bool {
        // Depends on b iff the table differs between b=0 (bits 3,1) and b=1 (bits 2,0).
        ((self.0 >> 1) & 0b101) != (self.0 & 0b101)
    }

    /// The same function with its inputs swapped: `g'(a, b) = g(b, a)`.
    pub fn swapped(self) -> GateOp {
        let t = self.0;
        // Bits for (a,b) = 01 (bit 2) and 10 (bit 1) trade places.
        GateOp((t & 0b1001) | ((t & 0b0100) >> 1) | ((t & 0b0010) << 1))
    }
}

impl fmt::Display for GateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_agree_with_truth_tables() {
        for op in GateOp::all() {
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                let w = op.eval_word(if a { !0 } else { 0 }, if b { !0 } else { 0 });
                assert_eq!(w == !0, op.eval(a, b), "{op} on ({a}, {b})");
                assert!(w == 0 || w == !0);
            }
        }
    }

    #[test]
    fn named_gates_match_the_design_table() {
        let cases = [
            (GateOp::AND, [false, false, false, true]),
            (GateOp::A, [false, false, true, true]),
            (GateOp::B, [false, true, false, true]),
            (GateOp::XOR, [false, true, true, false]),
            (GateOp::OR, [false, true, true, true]),
        ];
        for (op, table) in cases {
            let got: Vec<bool> = [(false, false), (false, true), (true, false), (true, true)]
                .iter()
                .map(|&(a, b)| op.eval(a, b))
                .collect();
            assert_eq!(got, table, "{op}");
        }
        assert!(GateOp::from_id(8).unwrap().eval(false, false)); // NOR
        assert_eq!(GateOp::from_id(16), None);
    }

    #[test]
    fn dependence_and_swap() {
        for op in GateOp::all() {
            let s = op.swapped();
            let mut dep_a = false;
            let mut dep_b = false;
            for a in [false, true] {
                for b in [false, true] {
                    assert_eq!(s.eval(a, b), op.eval(b, a));
                    dep_a |= op.eval(a, b) != op.eval(!a, b);
                    dep_b |= op.eval(a, b) != op.eval(a, !b);
                }
            }
            assert_eq!(op.reads_a(), dep_a, "{op}");
            assert_eq!(op.reads_b(), dep_b, "{op}");
            assert_eq!(op.is_constant(), !dep_a && !dep_b);
        }
    }
}
