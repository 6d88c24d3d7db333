//! The literal rebuilder: the machinery every rewriting pass shares.
//!
//! A rewriting pass walks the old netlist in order and re-creates each gate in a new netlist through
//! [`Rebuilder::gate`], which applies the local rules the pass enables ([`Rules`]) and returns a [`Lit`]: a
//! constant, or a new signal possibly inverted. Inverted literals are absorbed into the truth tables of their
//! readers when [`Rules::inverters`] is on (always possible with all 16 two-input functions), and otherwise
//! materialised as NOT gates. Outputs are materialised at the end. Gate order (and so topological order) and
//! the layer spans are preserved.

use std::collections::HashMap;

use crate::gate::GateOp;
use crate::ir::{Gate, Netlist, Signal, Span};

/// A value in the new netlist: a constant or a (possibly inverted) signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lit {
    /// A constant.
    Const(bool),
    /// A signal, inverted if `inv`.
    Sig {
        /// The signal.
        s: Signal,
        /// Whether the value is the signal's complement.
        inv: bool,
    },
}

impl Lit {
    fn pos(s: Signal) -> Lit {
        Lit::Sig { s, inv: false }
    }
    fn not(self) -> Lit {
        match self {
            Lit::Const(c) => Lit::Const(!c),
            Lit::Sig { s, inv } => Lit::Sig { s, inv: !inv },
        }
    }
}

/// Which local rules a rebuild applies.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rules {
    /// Fold constant gates and gates with constant (or identical) inputs.
    pub constants: bool,
    /// Bypass pass-throughs and absorb inversions into readers' truth tables.
    pub inverters: bool,
    /// Merge structurally identical gates (after normalising input order and output polarity).
    pub strash: bool,
}

/// Builds a new netlist from literals, applying [`Rules`].
pub struct Rebuilder {
    rules: Rules,
    net: Netlist,
    strash: HashMap<(GateOp, Signal, Signal), Signal>,
    nots: HashMap<Signal, Signal>,
    consts: [Option<Signal>; 2],
}

/// Truth table bit of `t` at inputs `(a, b)`.
fn bit(t: u8, a: bool, b: bool) -> bool {
    (t >> (3 - 2 * a as u8 - b as u8)) & 1 == 1
}

/// The table with input `a` complemented.
fn flip_a(t: u8) -> u8 {
    ((t & 0b0011) << 2) | ((t & 0b1100) >> 2)
}

/// The table with input `b` complemented.
fn flip_b(t: u8) -> u8 {
    ((t & 0b0101) << 1) | ((t & 0b1010) >> 1)
}

impl Rebuilder {
    /// A rebuilder for a netlist with `num_inputs` inputs.
    pub fn new(num_inputs: usize, rules: Rules) -> Rebuilder {
        Rebuilder {
            rules,
            net: Netlist::new(num_inputs),
            strash: HashMap::new(),
            nots: HashMap::new(),
            consts: [None; 2],
        }
    }

    /// The literal of input bit `i`.
    pub fn input(&self, i: usize) -> Lit {
        Lit::pos(Signal(i as u32))
    }

    /// Number of gates built so far.
    pub fn len(&self) -> usize {
        self.net.gates.len()
    }

    /// Whether no gate has been built.
    pub fn is_empty(&self) -> bool {
        self.net.gates.is_empty()
    }

    fn push(&mut self, op: GateOp, a: Signal, b: Signal) -> Signal {
        if self.rules.strash {
            let key = if b < a { (op.swapped(), b, a) } else { (op, a, b) };
            if let Some(&s) = self.strash.get(&key) {
                return s;
            }
            let s = self.net.push(key.0, key.1, key.2);
            self.strash.insert(key, s);
            return s;
        }
        self.net.push(op, a, b)
    }

    /// A literal as a plain signal (materialising constants and inversions as gates).
    pub fn materialize(&mut self, l: Lit) -> Signal {
        match l {
            Lit::Sig { s, inv: false } => s,
            Lit::Sig { s, inv: true } => {
                if let Some(&n) = self.nots.get(&s) {
                    return n;
                }
                let n = self.push(GateOp::from_id(12).unwrap(), s, s);
                self.nots.insert(s, n);
                n
            }
            Lit::Const(c) => {
                if let Some(s) = self.consts[c as usize] {
                    return s;
                }
                let s = self.push(if c { GateOp::ONE } else { GateOp::ZERO }, Signal(0), Signal(0));
                self.consts[c as usize] = Some(s);
                s
            }
        }
    }

    /// Re-creates gate `op(a, b)` under the enabled rules.
    pub fn gate(&mut self, op: GateOp, a: Lit, b: Lit) -> Lit {
        let mut t = op.id();
        let (mut a, mut b) = (a, b);
        if self.rules.inverters {
            if let Lit::Sig { s, inv: true } = a {
                t = flip_a(t);
                a = Lit::pos(s);
            }
            if let Lit::Sig { s, inv: true } = b {
                t = flip_b(t);
                b = Lit::pos(s);
            }
        }
        if self.rules.constants {
            if op.is_constant() {
                return Lit::Const(op == GateOp::ONE);
            }
            // Restrict the table where an input is constant, or where both inputs are the same literal.
            match (a, b) {
                (Lit::Const(x), Lit::Const(y)) => return Lit::Const(bit(t, x, y)),
                (Lit::Const(x), other) => return self.unary(bit(t, x, false), bit(t, x, true), other),
                (other, Lit::Const(y)) => return self.unary(bit(t, false, y), bit(t, true, y), other),
                _ if a == b => return self.unary(bit(t, false, false), bit(t, true, true), a),
                _ => {}
            }
        }
        if self.rules.inverters {
            let g = GateOp::from_table(t);
            match (g.reads_a(), g.reads_b()) {
                (false, false) if self.rules.constants => return Lit::Const(t & 8 != 0),
                (true, false) => return self.unary(bit(t, false, false), bit(t, true, false), a),
                (false, true) => return self.unary(bit(t, false, false), bit(t, false, true), b),
                _ => {}
            }
            if self.rules.strash && t & 8 != 0 {
                // Normalise output polarity so that f and !f share one gate; readers absorb the inversion.
                let (sa, sb) = (self.materialize(a), self.materialize(b));
                return Lit::pos(self.push(GateOp::from_table(15 - t), sa, sb)).not();
            }
        }
        let (sa, sb) = (self.materialize(a), self.materialize(b));
        Lit::pos(self.push(GateOp::from_table(t), sa, sb))
    }

    /// The function `x ↦ (f0 if x = 0, f1 if x = 1)` of one literal.
    fn unary(&mut self, f0: bool, f1: bool, x: Lit) -> Lit {
        let l = match (f0, f1) {
            (false, false) => return Lit::Const(false),
            (true, true) => return Lit::Const(true),
            (false, true) => x,
            (true, false) => x.not(),
        };
        if self.rules.inverters || matches!(l, Lit::Sig { inv: false, .. }) { l } else { Lit::pos(self.materialize(l)) }
    }

    /// Finishes: materialises the outputs and returns the new netlist with the given spans.
    pub fn finish(mut self, outputs: &[Vec<Lit>], spans: Vec<Span>) -> Netlist {
        let outs = outputs.iter().map(|c| c.iter().map(|&l| self.materialize(l)).collect()).collect();
        self.net.outputs = outs;
        self.net.spans = spans;
        self.net
    }
}

/// Rebuilds `net` gate by gate under `rules`. Returns the new netlist.
pub fn rebuild(net: &Netlist, rules: Rules) -> Netlist {
    let mut rb = Rebuilder::new(net.num_inputs, rules);
    let mut lits: Vec<Lit> = (0..net.num_inputs).map(|i| rb.input(i)).collect();
    lits.reserve(net.gates.len());
    // new_index[g]: gates built before old gate g (so spans map by index).
    let mut new_index = Vec::with_capacity(net.gates.len() + 1);
    for &Gate { op, a, b } in &net.gates {
        new_index.push(rb.len());
        let l = rb.gate(op, lits[a.index()], lits[b.index()]);
        lits.push(l);
    }
    new_index.push(rb.len());
    let spans = net
        .spans
        .iter()
        .map(|sp| Span { name: sp.name.clone(), start: new_index[sp.start], end: new_index[sp.end] })
        .collect();
    let outputs: Vec<Vec<Lit>> = net.outputs.iter().map(|c| c.iter().map(|s| lits[s.index()]).collect()).collect();
    let mut out = rb.finish(&outputs, spans);
    // Gates materialised for the outputs extend the last span.
    if let Some(last) = out.spans.last_mut() {
        last.end = out.gates.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flips_complement_one_input() {
        for t in 0..16u8 {
            for a in [false, true] {
                for b in [false, true] {
                    assert_eq!(bit(flip_a(t), a, b), bit(t, !a, b));
                    assert_eq!(bit(flip_b(t), a, b), bit(t, a, !b));
                }
            }
        }
    }
}
