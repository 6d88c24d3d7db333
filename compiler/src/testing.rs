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

/// A random small convolutional model (tree convolutions with random depth, kernel, stride and padding, OR
/// pools with random window, stride and padding, dense layers, random gates) drawn from `seed`, for property tests of every backend.
pub fn random_conv_model(seed: u64) -> crate::Model {
    use crate::model::random::{Block, ConvSpec};
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c = rng.random_range(1..=2usize);
    let (h0, w0) = (rng.random_range(3..=9usize), rng.random_range(3..=9usize));
    let thresholds = rng.random_range(1..=2usize);
    let (mut ch, mut h, mut w) = (c * thresholds, h0, w0);
    let mut blocks = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        if rng.random_bool(0.65) {
            let kernel = rng.random_range(1..=3usize);
            let padding = rng.random_range(0..kernel);
            let stride = rng.random_range(1..=2usize);
            if h + 2 * padding < kernel || w + 2 * padding < kernel {
                continue;
            }
            ch = rng.random_range(1..=6usize);
            h = (h + 2 * padding - kernel) / stride + 1;
            w = (w + 2 * padding - kernel) / stride + 1;
            blocks.push(Block::Conv { channels: ch, kernel, stride, padding, depth: rng.random_range(1..=3u32) });
        } else {
            let size = rng.random_range(1..=3usize).min(h).min(w);
            let stride = rng.random_range(1..=2usize);
            let padding = rng.random_range(0..=size / 2);
            h = (h + 2 * padding - size) / stride + 1;
            w = (w + 2 * padding - size) / stride + 1;
            blocks.push(Block::Pool { size, stride, padding });
        }
    }
    let mut width = ch * h * w;
    let classes = rng.random_range(1..=4usize);
    let dense = rng.random_range(0..=2usize);
    for d in 0..dense {
        let mut n = rng.random_range(1..=40usize);
        if d + 1 == dense {
            n = classes * n.div_ceil(classes);
        }
        blocks.push(Block::Dense { width: n });
        width = n;
    }
    let classes = if width.is_multiple_of(classes) { classes } else { 1 };
    let spec = ConvSpec { input_shape: vec![c, h0, w0], thresholds, blocks, classes, tau: 1.0, seed };
    spec.build().expect("a valid random conv model")
}
