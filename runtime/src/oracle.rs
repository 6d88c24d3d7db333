//! The naive oracle: one sample at a time, plain `bool`s, straight from the model description.
//!
//! Deliberately shares nothing with the fast path (no netlist, no packing, no adder trees), so that the
//! engines can be tested against it.

use lgn_compiler::model::{Layer, Model, OrPool, TreeConv, eval_tree};

/// The class counts (GroupSum before division by tau) of one sample given as f32 features.
pub fn scores(model: &Model, x: &[f32]) -> Vec<u32> {
    let mut bits: Vec<bool> = Vec::new();
    for layer in &model.layers {
        match layer {
            Layer::Threshold(t) => {
                bits = (0..t.per_feature)
                    .flat_map(|j| (0..t.features).map(move |f| (f, j)))
                    .map(|(f, j)| t.comparison.test(x[f], t.threshold(f, j)))
                    .collect();
            }
            Layer::Dense(d) => {
                bits = d
                    .gates
                    .iter()
                    .zip(&d.wires)
                    .map(|(g, w)| g.eval(bits[w[0] as usize], bits[w[1] as usize]))
                    .collect();
            }
            Layer::TreeConv(c) => bits = tree_conv(c, &bits),
            Layer::OrPool(p) => bits = or_pool(p, &bits),
            Layer::Netlist(nl) => {
                for (g, w) in nl.gates.iter().zip(&nl.wires) {
                    let v = g.eval(bits[w[0] as usize], bits[w[1] as usize]);
                    bits.push(v);
                }
                return nl
                    .outputs
                    .iter()
                    .map(|c| c.iter().enumerate().map(|(p, &s)| (bits[s as usize] as u32) << p).sum())
                    .collect();
            }
            Layer::GroupSum => {
                let group = bits.len() / model.classes;
                return bits.chunks(group).map(|g| g.iter().filter(|&&b| b).count() as u32).collect();
            }
        }
    }
    unreachable!("a validated model ends with group_sum")
}

/// The predicted class of one sample: the first class with the highest count.
pub fn predict(model: &Model, x: &[f32]) -> u32 {
    let s = scores(model, x);
    let max = s.iter().copied().max().unwrap_or(0);
    s.iter().position(|&v| v == max).unwrap_or(0) as u32
}

/// A tree convolution on one sample's map, position by position, reading 0 outside the input.
fn tree_conv(c: &TreeConv, bits: &[bool]) -> Vec<bool> {
    let [_, h, w] = c.input;
    let [oc, oh, ow] = c.output().expect("validated");
    let (lpt, gpt) = (c.leaves_per_tree(), c.gates_per_tree());
    let mut out = Vec::with_capacity(oc * oh * ow);
    let mut leaf = vec![false; lpt];
    for o in 0..oc {
        for y in 0..oh {
            for x in 0..ow {
                for (v, &[ch, dy, dx]) in leaf.iter_mut().zip(&c.leaves[o * lpt..(o + 1) * lpt]) {
                    let iy = (y * c.stride + dy as usize).checked_sub(c.padding).filter(|&i| i < h);
                    let ix = (x * c.stride + dx as usize).checked_sub(c.padding).filter(|&i| i < w);
                    *v = match (iy, ix) {
                        (Some(iy), Some(ix)) => bits[ch as usize * h * w + iy * w + ix],
                        _ => false,
                    };
                }
                out.push(eval_tree(&c.gates[o * gpt..(o + 1) * gpt], &mut leaf));
            }
        }
    }
    out
}

/// OR pooling on one sample's map; window cells outside the map (padding) are skipped.
fn or_pool(p: &OrPool, bits: &[bool]) -> Vec<bool> {
    let [oc, oh, ow] = p.output().expect("validated");
    let mut out = Vec::with_capacity(oc * oh * ow);
    for c in 0..oc {
        for y in 0..oh {
            for x in 0..ow {
                let any = (0..p.size * p.size).any(|k| p.window_cell(c, y, x, k).is_some_and(|i| bits[i]));
                out.push(any);
            }
        }
    }
    out
}
