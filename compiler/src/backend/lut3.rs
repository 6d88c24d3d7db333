//! Three-input cut mapping for the AVX-512 emitter, where one `vpternlogd` computes any function of three
//! vectors.
//!
//! Every gate gets one cut: a set of at most three signals (its leaves) that separates it from the inputs,
//! grown greedily from its own inputs by replacing an input gate with that gate's cut while at most three
//! leaves remain. Then, from the outputs down, a gate is a *root* (emitted) when an output or another root's
//! cut needs it; a root is computed from its leaves by one instruction whose truth table is its cone
//! evaluated on the three leaf patterns. Gates inside cones are never emitted.
//!
//! The GroupSum adder trees are where this pays: a full adder is five two-input gates but two three-input
//! functions (the sum `a ^ b ^ c` and the carry `maj(a, b, c)`), each one instruction.

use crate::ir::{Netlist, Signal};

/// The truth-table pattern of the three `vpternlogd` operands (destination, first source, second source):
/// bit `4 d + 2 s1 + s2` of a table is the function's value there.
pub const PATTERNS: [u8; 3] = [0xF0, 0xCC, 0xAA];

/// A netlist's cut mapping.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// Per gate, its cut's leaves (signals, sorted, at most three).
    pub leaves: Vec<Vec<u32>>,
    /// Per gate, whether it is emitted.
    pub root: Vec<bool>,
    /// Per gate, whether its cut reaches past its own inputs (it is emitted from its leaves, not as a
    /// two-input gate).
    pub expanded: Vec<bool>,
    /// Per signal, the last root that reads it as a leaf (`u32::MAX` for kept signals; `None`: no root
    /// reads it). A leaf whose last reader is the gate being emitted may be overwritten by it.
    pub last_reader: Vec<Option<u32>>,
}

impl Mapping {
    /// Maps `net`; `keep` are the signals read after the code (outputs), which must be roots or inputs.
    pub fn new(net: &Netlist, keep: impl Iterator<Item = Signal>) -> Mapping {
        let ni = net.num_inputs;
        let mut leaves: Vec<Vec<u32>> = Vec::with_capacity(net.gates.len());
        let mut expanded = Vec::with_capacity(net.gates.len());
        for gate in &net.gates {
            let own: Vec<u32> = union(&[], gate.reads().into_iter().flatten().map(|s| s.0));
            let cut_of = |s: u32| -> Vec<u32> {
                match (s as usize).checked_sub(ni) {
                    Some(g) => leaves[g].clone(),
                    None => vec![s],
                }
            };
            let [a, b] = gate.reads();
            let (ca, cb) = (a.map(|s| cut_of(s.0)), b.map(|s| cut_of(s.0)));
            let (la, lb) = (a.map(|s| vec![s.0]), b.map(|s| vec![s.0]));
            let candidates = [(&ca, &cb), (&ca, &lb), (&la, &cb)];
            let best = candidates
                .iter()
                .map(|(x, y)| union(x.as_deref().unwrap_or(&[]), y.iter().flatten().copied()))
                .find(|c| c.len() <= 3)
                .unwrap_or_else(|| own.clone());
            expanded.push(best != own);
            leaves.push(best);
        }
        let mut root = vec![false; net.gates.len()];
        let mut last_reader = vec![None; net.num_signals()];
        for s in keep {
            last_reader[s.index()] = Some(u32::MAX);
            if let Some(g) = s.index().checked_sub(ni) {
                root[g] = true;
            }
        }
        for g in (0..net.gates.len()).rev() {
            if root[g] {
                for &l in &leaves[g] {
                    // Walking downwards, the first root seen reading a leaf is its last reader.
                    last_reader[l as usize].get_or_insert(g as u32);
                    if let Some(h) = (l as usize).checked_sub(ni) {
                        root[h] = true;
                    }
                }
            }
        }
        Mapping { leaves, root, expanded, last_reader }
    }

    /// Number of gates emitted.
    pub fn roots(&self) -> usize {
        self.root.iter().filter(|r| **r).count()
    }
}

/// The sorted union of `a` and `b`, without repeats.
fn union(a: &[u32], b: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut v: Vec<u32> = a.iter().copied().chain(b).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The truth table of gate `g` as a function of `leaves[i]` = operand `slot[i]` (0: destination, 1: first
/// source, 2: second source, see [`PATTERNS`]): its cone evaluated on the operand patterns.
pub fn table(net: &Netlist, g: usize, leaves: &[u32], slot: &[usize]) -> u8 {
    let ni = net.num_inputs;
    // The cone: the gates between the leaves and g, found from g downwards, evaluated upwards. Cones are
    // small (at most three leaves), so plain vectors beat hashing.
    let mut cone: Vec<usize> = Vec::new();
    let mut stack = vec![g];
    while let Some(h) = stack.pop() {
        if cone.contains(&h) {
            continue;
        }
        cone.push(h);
        for s in net.gates[h].reads().into_iter().flatten() {
            if !leaves.contains(&s.0) {
                stack.push(s.index().checked_sub(ni).expect("a cut separates the gate from the inputs"));
            }
        }
    }
    cone.sort_unstable();
    let mut value: Vec<(u32, u64)> = leaves.iter().zip(slot).map(|(&l, &k)| (l, u64::from(PATTERNS[k]))).collect();
    let get = |value: &[(u32, u64)], s: u32| value.iter().find(|(t, _)| *t == s).expect("evaluated").1;
    for h in cone {
        let gate = net.gates[h];
        let [a, b] = gate.reads().map(|r| r.map_or(0, |s| get(&value, s.0)));
        value.push(((ni + h) as u32, gate.op.eval_word(a, b)));
    }
    get(&value, (ni + g) as u32) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of `f(table)` on words: the bits where the leaves' pattern selects a set table bit.
    fn ternary(table: u8, d: u64, s1: u64, s2: u64) -> u64 {
        (0..8).filter(|i| table >> i & 1 == 1).fold(0, |acc, i| {
            let pick = |w: u64, bit: u32| if i >> bit & 1 == 1 { w } else { !w };
            acc | (pick(d, 2) & pick(s1, 1) & pick(s2, 0))
        })
    }

    /// Evaluates only the roots, each from its leaves through its table, and compares every kept output with
    /// the netlist's simulation.
    fn check(net: &Netlist, seed: u64) -> Mapping {
        let keep: Vec<Signal> = net.outputs.iter().flatten().copied().collect();
        let m = Mapping::new(net, keep.iter().copied());
        let mut x = seed | 1;
        let inputs: Vec<u64> = (0..net.num_inputs)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect();
        let want = net.simulate(&inputs);
        let mut got: Vec<Option<u64>> = inputs.iter().map(|&w| Some(w)).collect();
        got.resize(net.num_signals(), None);
        for g in 0..net.gates.len() {
            if !m.root[g] {
                continue;
            }
            let l = &m.leaves[g];
            assert!(l.len() <= 3);
            let slots: Vec<usize> = (0..l.len()).map(|i| 3 - l.len() + i).collect();
            let t = table(net, g, l, &slots);
            let mut ops = [0u64; 3];
            for (&s, &k) in l.iter().zip(&slots) {
                ops[k] = got[s as usize].expect("a leaf is an input or an earlier root");
            }
            got[net.num_inputs + g] = Some(ternary(t, ops[0], ops[1], ops[2]));
        }
        for s in keep {
            assert_eq!(got[s.index()], Some(want[s.index()]), "output signal {}", s.0);
        }
        m
    }

    #[test]
    fn roots_computed_from_their_cuts_give_every_output() {
        for seed in 0..200 {
            check(&crate::testing::random_netlist(seed, 12, 120), seed);
        }
    }

    #[test]
    fn a_full_adder_is_two_roots() {
        let mut net = Netlist::new(3);
        let (a, b, c) = (Signal(0), Signal(1), Signal(2));
        let x = net.push(crate::GateOp::XOR, a, b);
        let sum = net.push(crate::GateOp::XOR, x, c);
        let y = net.push(crate::GateOp::AND, a, b);
        let t = net.push(crate::GateOp::AND, x, c);
        let carry = net.push(crate::GateOp::OR, y, t);
        net.outputs = vec![vec![sum, carry]];
        let m = check(&net, 1);
        assert_eq!(m.roots(), 2, "{m:?}");
        // A popcount's adders shrink the same way.
        let mut net = Netlist::new(24);
        let bits: Vec<Signal> = (0..24).map(Signal).collect();
        let count = crate::lower::popcount(&mut net, &bits);
        net.outputs = vec![count];
        let m = check(&net, 2);
        assert!(m.roots() * 2 <= net.gates.len(), "{} roots of {} gates", m.roots(), net.gates.len());
    }
}
