//! Random netlists for property tests (used by the tests of every crate; not part of the stable API).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::gate::GateOp;
use crate::ir::{Netlist, Signal};
use crate::lower::popcount;

/// A random netlist drawn from `seed` with at most `max_inputs` inputs and `max_gates` gates: gates read any
/// earlier signal (half of the time one of the last four, giving long chains), with planted constants,
/// duplicated gates, inverter chains and pass-throughs; outputs are adder trees over random signals, like a
/// lowered model.
pub fn random_netlist(seed: u64, max_inputs: usize, max_gates: usize) -> Netlist {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ni = rng.random_range(1..=max_inputs.max(1));
    let gates = rng.random_range(0..=max_gates);
    let mut net = Netlist::new(ni);
    while net.gates.len() < gates {
        let n = net.num_signals() as u32;
        let pick = |rng: &mut ChaCha8Rng| {
            if rng.random_bool(0.5) { n - 1 - rng.random_range(0..n.min(4)) } else { rng.random_range(0..n) }
        };
        let (a, b) = (Signal(pick(&mut rng)), Signal(pick(&mut rng)));
        match rng.random_range(0..10) {
            // A duplicate of an earlier gate, possibly with swapped inputs and the swapped table.
            0 if !net.gates.is_empty() => {
                let g = net.gates[rng.random_range(0..net.gates.len())];
                if rng.random_bool(0.5) {
                    net.push(g.op.swapped(), g.b, g.a)
                } else {
                    net.push(g.op, g.a, g.b)
                };
            }
            // A chain of inverters and pass-throughs.
            1 => {
                let mut s = a;
                for _ in 0..rng.random_range(1..5) {
                    let op = [3u8, 5, 10, 12][rng.random_range(0..4)];
                    s = net.push(GateOp::from_id(op).unwrap(), s, s);
                }
            }
            // A constant gate.
            2 => {
                net.push(if rng.random_bool(0.5) { GateOp::ZERO } else { GateOp::ONE }, a, b);
            }
            _ => {
                net.push(GateOp::from_id(rng.random_range(0..16u8)).unwrap(), a, b);
            }
        }
    }
    let classes = rng.random_range(1..=4usize);
    let n = net.num_signals() as u32;
    let group = rng.random_range(1..=12usize);
    let bits: Vec<Vec<Signal>> =
        (0..classes).map(|_| (0..group).map(|_| Signal(rng.random_range(0..n))).collect()).collect();
    let start = net.gates.len();
    net.spans.push(crate::ir::Span { name: "logic".into(), start: 0, end: start });
    net.outputs = bits.iter().map(|b| popcount(&mut net, b)).collect();
    net.spans.push(crate::ir::Span { name: "group_sum".into(), start, end: net.gates.len() });
    debug_assert!(net.verify().is_empty());
    net
}
