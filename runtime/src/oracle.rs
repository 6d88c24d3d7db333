//! The naive oracle: one sample at a time, plain `bool`s, straight from the model description.
//!
//! Deliberately shares nothing with the fast path (no netlist, no packing, no adder trees), so that the
//! engines can be tested against it.

use lgn_compiler::model::{Layer, Model};

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
