//! Lowering: model description → netlist.
//!
//! Dense layers become one gate per neuron, wired to the previous layer's signals. GroupSum becomes, per class,
//! an adder tree (full adders, then half adders, column by column, oldest bits first so the tree stays
//! balanced) whose outputs are the bits of the class count. A count over `n` bits gets exactly
//! `bit_length(n)` bits: full and half adders preserve the sum of the bits' maximum values, so no bit can
//! land in a column worth more than `n`.

use std::collections::VecDeque;

use crate::gate::GateOp;
use crate::ir::{Netlist, Signal, Span};
use crate::model::{Layer, Model};

/// Lowers a validated model to its netlist.
pub fn lower(model: &Model) -> Netlist {
    let mut net = Netlist::new(model.encoder().outputs());
    let mut prev: Vec<Signal> = (0..net.num_inputs as u32).map(Signal).collect();
    for (i, layer) in model.layers.iter().enumerate() {
        let start = net.gates.len();
        match layer {
            Layer::Threshold(_) => continue,
            Layer::Dense(d) => {
                let cur = d
                    .gates
                    .iter()
                    .zip(&d.wires)
                    .map(|(&op, w)| net.push(op, prev[w[0] as usize], prev[w[1] as usize]))
                    .collect();
                prev = cur;
                net.spans.push(Span { name: format!("dense {i}"), start, end: net.gates.len() });
            }
            Layer::GroupSum => {
                let group = prev.len() / model.classes;
                net.outputs = prev.chunks(group).map(|bits| popcount(&mut net, bits)).collect();
                net.spans.push(Span { name: "group_sum".into(), start, end: net.gates.len() });
            }
        }
    }
    net
}

/// Number of bits needed to write `n`.
pub fn bit_length(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

/// Appends an adder tree that counts the ones among `bits`; returns the count's bits, LSB first
/// (`bit_length(bits.len())` of them).
pub fn popcount(net: &mut Netlist, bits: &[Signal]) -> Vec<Signal> {
    let width = bit_length(bits.len());
    let mut columns: Vec<VecDeque<Signal>> = vec![VecDeque::new(); width + 1];
    columns[0].extend(bits.iter().copied());
    let mut out = Vec::with_capacity(width);
    for w in 0..width {
        while columns[w].len() >= 3 {
            let (a, b, c) =
                (columns[w].pop_front().unwrap(), columns[w].pop_front().unwrap(), columns[w].pop_front().unwrap());
            let t = net.push(GateOp::XOR, a, b);
            let s = net.push(GateOp::XOR, t, c);
            let ab = net.push(GateOp::AND, a, b);
            let tc = net.push(GateOp::AND, t, c);
            let carry = net.push(GateOp::OR, ab, tc);
            columns[w].push_back(s);
            columns[w + 1].push_back(carry);
        }
        if columns[w].len() == 2 {
            let (a, b) = (columns[w][0], columns[w][1]);
            let s = net.push(GateOp::XOR, a, b);
            let carry = net.push(GateOp::AND, a, b);
            columns[w] = VecDeque::from([s]);
            columns[w + 1].push_back(carry);
        }
        out.push(match columns[w].front() {
            Some(&s) => s,
            None => net.push(GateOp::ZERO, Signal(0), Signal(0)),
        });
    }
    debug_assert!(columns[width].is_empty(), "a count over n bits fits in bit_length(n) bits");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_counts_every_pattern() {
        for n in 1..=11usize {
            let mut net = Netlist::new(n);
            let bits: Vec<Signal> = (0..n as u32).map(Signal).collect();
            let out = popcount(&mut net, &bits);
            assert_eq!(out.len(), bit_length(n));
            // Each of the first min(2^n, 64) lanes is one input pattern.
            let patterns = (1u64 << n).min(64);
            let mut inputs = vec![0u64; n];
            for p in 0..patterns {
                let pat = if n <= 6 { p } else { p.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - n) };
                for (i, w) in inputs.iter_mut().enumerate() {
                    *w |= ((pat >> i) & 1) << p;
                }
            }
            let v = net.simulate(&inputs);
            for lane in 0..patterns {
                let expect = inputs.iter().filter(|&&w| (w >> lane) & 1 == 1).count();
                let got: usize =
                    out.iter().enumerate().map(|(k, s)| (((v[s.index()] >> lane) & 1) as usize) << k).sum();
                assert_eq!(got, expect, "n = {n}, lane {lane}");
            }
        }
    }
}
