//! Lowering: model description → netlist.
//!
//! Dense layers become one gate per neuron, wired to the previous layer's signals. GroupSum becomes, per class,
//! an adder tree over the class's bits grouped by canonical literal (equal bits are added once with their
//! multiplicity, `x` and `!x` make a constant one, constants are summed at compile time), built from full
//! adders, then half adders, column by column, oldest bits first so the tree stays balanced; its outputs are
//! the bits of the class count. A count over `n` bits gets exactly
//! `bit_length(n)` bits: full and half adders preserve the sum of the bits' maximum values, so no bit can
//! land in a column worth more than `n`.

use std::collections::{HashMap, VecDeque};

use crate::gate::GateOp;
use crate::ir::{Loop, Netlist, Signal, Span};
use crate::model::{Layer, MapShape, Model, OrPool, TreeConv};
use crate::passes::rebuild::{Lit, Rebuilder, Rules};

/// Lowers a validated model to its netlist.
pub fn lower(model: &Model) -> Netlist {
    let loops = lower_spatial(model);
    let mut net = Netlist::new(loops.last().map_or(model.encoder().outputs(), |l| l.out_len));
    net.loops = loops;
    let mut prev: Vec<Signal> = (0..net.num_inputs as u32).map(Signal).collect();
    for (i, layer) in model.layers.iter().enumerate() {
        let start = net.gates.len();
        match layer {
            Layer::Threshold(_) | Layer::TreeConv(_) | Layer::OrPool(_) => continue,
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
            Layer::Netlist(nl) => {
                let mut sig = prev.clone();
                for (&op, w) in nl.gates.iter().zip(&nl.wires) {
                    let s = net.push(op, sig[w[0] as usize], sig[w[1] as usize]);
                    sig.push(s);
                }
                net.outputs = nl.outputs.iter().map(|c| c.iter().map(|&s| sig[s as usize]).collect()).collect();
                net.spans.push(Span { name: "netlist".into(), start, end: net.gates.len() });
            }
            Layer::GroupSum => {
                let group = prev.len() / model.classes;
                let canon = canonical(&net, &prev);
                let one = net.push(GateOp::ONE, Signal(0), Signal(0));
                let outputs = prev
                    .chunks(group)
                    .zip(canon.chunks(group))
                    .map(|(bits, lits)| {
                        let (items, ones) = weigh(bits, lits);
                        popcount_weighted(&mut net, &items, ones, one, bit_length(bits.len()))
                    })
                    .collect();
                net.outputs = outputs;
                net.spans.push(Span { name: "group_sum".into(), start, end: net.gates.len() });
            }
        }
    }
    net
}

/// Lowers the spatial layers to loops. Each map is stored with the zero border its reader needs (the next
/// layer's padding), so that no loop tests bounds; a padding pass is inserted when the encoder's map itself
/// needs a border. A zero border serves both readers: a convolution's padding reads 0, and 0 leaves an OR
/// unchanged.
fn lower_spatial(model: &Model) -> Vec<Loop> {
    let mut loops = Vec::new();
    let Some(mut map) = model.input_map() else { return loops };
    let mut pad = 0;
    let layers = &model.layers;
    // The zero border that layer `i` reads.
    let padding = |i: usize| match layers.get(i) {
        Some(Layer::TreeConv(c)) => c.padding,
        Some(Layer::OrPool(p)) => p.padding,
        _ => 0,
    };
    for (i, layer) in layers.iter().enumerate() {
        let (l, out) = match layer {
            Layer::TreeConv(c) => (conv_loop(c, i, padding(i + 1)), c.output()),
            Layer::OrPool(p) => (pool_loop(p, i, padding(i + 1)), p.output()),
            _ => continue,
        };
        if padding(i) != pad {
            loops.push(pad_loop(map, padding(i)));
        }
        loops.push(l);
        map = out.expect("validated");
        pad = padding(i + 1);
    }
    loops
}

/// Side lengths of a map with a border of `pad`, and its buffer length.
fn padded(map: MapShape, pad: usize) -> (usize, usize, usize) {
    let (h, w) = (map[1] + 2 * pad, map[2] + 2 * pad);
    (h, w, map[0] * h * w)
}

/// Output fields of a loop writing `map` with border `pad`: `(out_len, out_start, out_step, writes)`.
fn writes_to(map: MapShape, pad: usize) -> (usize, usize, [usize; 2], Vec<u32>) {
    let (h, w, len) = padded(map, pad);
    (len, pad * w + pad, [w, 1], (0..map[0]).map(|c| (c * h * w) as u32).collect())
}

/// Copies an unbordered map into one with a border of `pad` (an identity kernel: no gates).
fn pad_loop(map: MapShape, pad: usize) -> Loop {
    let [c, h, w] = map;
    let mut kernel = Netlist::new(c);
    kernel.outputs = (0..c as u32).map(|i| vec![Signal(i)]).collect();
    let (out_len, out_start, out_step, writes) = writes_to(map, pad);
    Loop {
        name: "pad".into(),
        kernel,
        in_len: c * h * w,
        out_len,
        reads: (0..c).map(|i| (i * h * w) as u32).collect(),
        writes,
        grid: [h, w],
        in_step: [w, 1],
        out_start,
        out_step,
    }
}

/// A tree convolution: kernel input `o * 2^depth + l` is leaf `l` of channel `o`.
fn conv_loop(c: &TreeConv, layer: usize, border: usize) -> Loop {
    let lpt = c.leaves_per_tree();
    let mut kernel = Netlist::new(c.channels * lpt);
    let mut outputs = Vec::with_capacity(c.channels);
    for (o, gates) in c.gates.chunks(c.gates_per_tree()).enumerate() {
        let mut level: Vec<Signal> = (0..lpt).map(|l| Signal((o * lpt + l) as u32)).collect();
        let mut g = gates.iter();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| kernel.push(*g.next().expect("tree size"), p[0], p[1])).collect();
        }
        outputs.push(vec![level[0]]);
    }
    kernel.outputs = outputs;
    kernel.spans.push(Span { name: format!("tree_conv {layer}"), start: 0, end: kernel.gates.len() });
    let (_, wp, in_len) = padded(c.input, c.padding);
    let hp = in_len / (c.input[0] * wp);
    let out = c.output().expect("validated");
    let (out_len, out_start, out_step, writes) = writes_to(out, border);
    Loop {
        name: format!("tree_conv {layer}"),
        kernel,
        in_len,
        out_len,
        reads: c
            .leaves
            .iter()
            .map(|&[ch, dy, dx]| (ch as usize * hp * wp + dy as usize * wp + dx as usize) as u32)
            .collect(),
        writes,
        grid: [out[1], out[2]],
        in_step: [c.stride * wp, c.stride],
        out_start,
        out_step,
    }
}

/// OR pooling: a balanced OR tree per channel over its window.
fn pool_loop(p: &OrPool, layer: usize, border: usize) -> Loop {
    let ch = p.input[0];
    let (h, w, in_len) = padded(p.input, p.padding);
    let win = p.size * p.size;
    let mut kernel = Netlist::new(ch * win);
    let mut reads = Vec::with_capacity(ch * win);
    let mut outputs = Vec::with_capacity(ch);
    for c in 0..ch {
        let mut level: Vec<Signal> = (0..win).map(|k| Signal((c * win + k) as u32)).collect();
        reads.extend((0..win).map(|k| (c * h * w + (k / p.size) * w + k % p.size) as u32));
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|q| if q.len() == 2 { kernel.push(GateOp::OR, q[0], q[1]) } else { q[0] })
                .collect();
        }
        outputs.push(vec![level[0]]);
    }
    kernel.outputs = outputs;
    kernel.spans.push(Span { name: format!("or_pool {layer}"), start: 0, end: kernel.gates.len() });
    let out = p.output().expect("validated");
    let (out_len, out_start, out_step, writes) = writes_to(out, border);
    Loop {
        name: format!("or_pool {layer}"),
        kernel,
        in_len,
        out_len,
        reads,
        writes,
        grid: [out[1], out[2]],
        in_step: [p.stride * w, p.stride],
        out_start,
        out_step,
    }
}

/// Turns an optimised netlist back into a model: `model`'s encoder and spatial layers, then one `netlist`
/// layer.
pub fn raise(model: &Model, net: &Netlist) -> Model {
    let nl = crate::model::NetlistLayer {
        inputs: net.num_inputs,
        gates: net.gates.iter().map(|g| g.op).collect(),
        wires: net.gates.iter().map(|g| [g.a.0, g.b.0]).collect(),
        outputs: net.outputs.iter().map(|c| c.iter().map(|s| s.0).collect()).collect(),
    };
    // Spatial layers stay as they are (their kernels are re-optimised whenever the model is compiled).
    let spatial = model.layers.iter().filter(|l| matches!(l, Layer::TreeConv(_) | Layer::OrPool(_))).cloned();
    let layers = std::iter::once(Layer::Threshold(model.encoder().clone()))
        .chain(spatial)
        .chain(std::iter::once(Layer::Netlist(nl)))
        .collect();
    Model { input_shape: model.input_shape.clone(), layers, classes: model.classes, tau: model.tau }
}

/// Number of bits needed to write `n`.
pub fn bit_length(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

/// The canonical literal of each of `bits`: the netlist so far is rebuilt (constants folded, inverters
/// absorbed, structurally equal gates merged) without changing `net`, so that equal, complementary and
/// constant bits can be counted together.
fn canonical(net: &Netlist, bits: &[Signal]) -> Vec<Lit> {
    let mut rb = Rebuilder::new(net.num_inputs, Rules { constants: true, inverters: true, strash: true });
    let mut lits: Vec<Lit> = (0..net.num_inputs).map(|i| rb.input(i)).collect();
    for g in &net.gates {
        let l = rb.gate(g.op, lits[g.a.index()], lits[g.b.index()]);
        lits.push(l);
    }
    bits.iter().map(|s| lits[s.index()]).collect()
}

/// Groups a class's bits by canonical literal: `p` copies of `x` and `n` of `!x` count `min(p, n)` ones plus
/// `|p - n|` times the more frequent one; constants count directly. Returns `(signal, weight)` items (one
/// representative original signal per canonical literal) and the constant count.
fn weigh(bits: &[Signal], lits: &[Lit]) -> (Vec<(Signal, usize)>, usize) {
    let mut ones = 0;
    // canonical signal -> (positive count, a positive representative, negative count, a negative one)
    let mut seen: HashMap<Signal, (usize, Signal, usize, Signal)> = HashMap::new();
    let mut order = Vec::new();
    for (&bit, &lit) in bits.iter().zip(lits) {
        match lit {
            Lit::Const(c) => ones += c as usize,
            Lit::Sig { s, inv } => {
                let e = seen.entry(s).or_insert_with(|| {
                    order.push(s);
                    (0, bit, 0, bit)
                });
                if inv {
                    if e.2 == 0 {
                        e.3 = bit;
                    }
                    e.2 += 1;
                } else {
                    if e.0 == 0 {
                        e.1 = bit;
                    }
                    e.0 += 1;
                }
            }
        }
    }
    let mut items = Vec::new();
    for s in order {
        let (p, rp, n, rn) = seen[&s];
        ones += p.min(n);
        if p > n {
            items.push((rp, p - n));
        } else if n > p {
            items.push((rn, n - p));
        }
    }
    (items, ones)
}

/// Appends an adder tree that counts the ones among `bits`; returns the count's bits, LSB first
/// (`bit_length(bits.len())` of them).
pub fn popcount(net: &mut Netlist, bits: &[Signal]) -> Vec<Signal> {
    let one = net.push(GateOp::ONE, Signal(0), Signal(0));
    let items: Vec<(Signal, usize)> = bits.iter().map(|&b| (b, 1)).collect();
    popcount_weighted(net, &items, 0, one, bit_length(bits.len()))
}

/// Appends an adder tree computing `ones + Σ weight·bit` in `width` bits, LSB first: each item enters the
/// columns of its weight's binary digits; `one` is a constant-one signal used for the digits of `ones`. The
/// sum must fit in `width` bits.
pub fn popcount_weighted(
    net: &mut Netlist,
    items: &[(Signal, usize)],
    ones: usize,
    one: Signal,
    width: usize,
) -> Vec<Signal> {
    debug_assert!(items.iter().map(|i| i.1).sum::<usize>() + ones < 1 << width);
    let mut columns: Vec<VecDeque<Signal>> = vec![VecDeque::new(); width + 1];
    for (w, col) in columns.iter_mut().enumerate().take(width) {
        col.extend(items.iter().filter(|(_, weight)| (weight >> w) & 1 == 1).map(|(s, _)| *s));
        if (ones >> w) & 1 == 1 {
            col.push_back(one);
        }
    }
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
    debug_assert!(columns[width].is_empty(), "the sum fits in `width` bits");
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
