//! Convolutional logic gate networks (the LogicTreeNet architecture) for the fused kernel.
//!
//! A tree convolution of depth `d` becomes `d` gate layers of the fused kernel, one per tree level, whose
//! neurons are (channel, node, position) triples sharing the parameters of (channel, node): level `t` has
//! `2^(d-1-t)` nodes per channel, neuron `((o · nodes + j) · P + p)` for position `p` of `P`, parameter row
//! `o · nodes + j`. The last level's neurons are therefore the output map in channel-major order. Leaves
//! outside the input read the kernel's constant-0 row (zero padding). OR pooling becomes a max layer, and
//! dense layers stay dense. Each level's parameters are one [`DenseLogic`] of the [`LogicNet`] (so burn's Adam,
//! checkpoints and resume work unchanged); [`ConvNet::export`] reassembles the trees in the model's tree
//! order (level by level, node by node).

use burn::tensor::Device;
use lgn_compiler::GateOp;
use lgn_compiler::model::random::{ConvSpec, Wiring as Block};
use lgn_compiler::model::{Dense, Layer, Model, Threshold, TreeConv};

use crate::fused::Wiring;
use crate::logic::{DenseLogic, Init, coefficient_matrix, layer_rng};
use crate::net::LogicNet;
use crate::{Error, Result};

/// The architecture of a convolutional network as the fused kernel runs it.
#[derive(Clone, Debug)]
pub struct ConvNet {
    /// The architecture.
    pub spec: ConvSpec,
    /// Each block's fixed wiring.
    pub blocks: Vec<Block>,
    /// The fused kernel's layers.
    pub layers: Vec<Wiring>,
    /// For each fused layer, the [`LogicNet`] layer holding its parameters (`None` for max layers).
    pub params: Vec<Option<usize>>,
}

impl ConvNet {
    /// The network of `spec` (its wiring drawn from `spec.seed`) and its parameters, initialised by `init`.
    pub fn new(spec: &ConvSpec, init: Init, device: &Device) -> Result<(ConvNet, LogicNet)> {
        let blocks = spec.wiring()?;
        let mut layers = Vec::new();
        let mut params = Vec::new();
        let mut logic = Vec::new();
        let mut inputs = spec.input_map()?.iter().product::<usize>();
        for b in &blocks {
            match b {
                Block::Conv(c) => {
                    for w in tree_levels(c) {
                        params.push(Some(logic.len()));
                        logic.push(DenseLogic::shared(w.rows(), init, &mut layer_rng(spec.seed, logic.len()), device));
                        inputs = w.width();
                        layers.push(w);
                    }
                }
                Block::Pool(p) => {
                    let ch = p.input[0];
                    let o = p.output().expect("the wiring checked the shapes");
                    let mut a = Vec::with_capacity(o.iter().product::<usize>() * p.size * p.size);
                    for c in 0..ch {
                        for y in 0..o[1] {
                            for x in 0..o[2] {
                                // A padded window's cells outside the map read one of its cells inside
                                // (validation keeps padding <= size / 2, so there is one): the max does not
                                // change, as the OR does not change with a 0.
                                let cell = |k: usize| p.window_cell(c, y, x, k).map(|i| i as u32);
                                let inside = (0..p.size * p.size).find_map(cell).expect("a window has a cell");
                                a.extend((0..p.size * p.size).map(|k| cell(k).unwrap_or(inside)));
                            }
                        }
                    }
                    params.push(None);
                    let l = Wiring { inputs, a, b: Vec::new(), params: Vec::new(), pool: p.size * p.size };
                    inputs = l.width();
                    layers.push(l);
                }
                Block::Dense { inputs: n, wires } => {
                    debug_assert_eq!(*n, inputs);
                    params.push(Some(logic.len()));
                    let mut rng = layer_rng(spec.seed, logic.len());
                    logic.push(DenseLogic::with_wires(*n, wires.clone(), init, &mut rng, device));
                    layers.push(Wiring::dense(
                        *n,
                        wires.iter().map(|w| w[0]).collect(),
                        wires.iter().map(|w| w[1]).collect(),
                    ));
                    inputs = wires.len();
                }
            }
        }
        if !inputs.is_multiple_of(spec.classes) {
            return Err(Error::Config(format!(
                "the last layer's width {inputs} is not divisible by {} classes",
                spec.classes
            )));
        }
        let net = LogicNet {
            layers: logic,
            coef: coefficient_matrix(device),
            classes: spec.classes,
            tau: spec.tau,
            temperature: 1.0,
        };
        Ok((ConvNet { spec: spec.clone(), blocks, layers, params }, net))
    }

    /// The logits of every fused layer (empty for max layers), from the network's parameters.
    pub fn fused_logits(&self, net: &LogicNet) -> Vec<Vec<f32>> {
        let host = net.host_logits();
        self.params.iter().map(|p| p.map_or_else(Vec::new, |i| host[i].clone())).collect()
    }

    /// The discretized model: each tree node and dense neuron keeps its most likely gate.
    pub fn export(&self, net: &LogicNet, enc: &Threshold) -> Result<Model> {
        let gates: Vec<Vec<GateOp>> = net
            .layers
            .iter()
            .map(|l| l.discretize().into_iter().map(|id| GateOp::from_id(id).expect("argmax over 16")).collect())
            .collect();
        let mut next = 0;
        let mut layers = vec![Layer::Threshold(enc.clone())];
        for b in &self.blocks {
            layers.push(match b {
                Block::Conv(c) => {
                    let levels = &gates[next..next + c.depth as usize];
                    next += c.depth as usize;
                    let mut tree = Vec::with_capacity(c.gates.len());
                    for o in 0..c.channels {
                        for (t, level) in levels.iter().enumerate() {
                            let nodes = 1usize << (c.depth as usize - 1 - t);
                            tree.extend_from_slice(&level[o * nodes..(o + 1) * nodes]);
                        }
                    }
                    Layer::TreeConv(TreeConv { gates: tree, ..c.clone() })
                }
                Block::Pool(p) => Layer::OrPool(p.clone()),
                Block::Dense { inputs, wires } => {
                    next += 1;
                    Layer::Dense(Dense { inputs: *inputs, gates: gates[next - 1].clone(), wires: wires.clone() })
                }
            });
        }
        layers.push(Layer::GroupSum);
        let model = Model {
            input_shape: self.spec.input_shape.clone(),
            layers,
            classes: self.spec.classes,
            tau: self.spec.tau,
        };
        model.validate()?;
        Ok(model)
    }
}

/// The fused layers of one tree convolution, one per tree level.
fn tree_levels(c: &TreeConv) -> Vec<Wiring> {
    let [_, h, w] = c.input;
    let zero = c.input.iter().product::<usize>() as u32;
    let out = c.output().expect("the wiring checked the shapes");
    let positions = out[1] * out[2];
    let lpt = c.leaves_per_tree();
    let mut levels = Vec::with_capacity(c.depth as usize);
    // Level 0 reads leaf pairs from the input map.
    let leaf = |o: usize, l: usize, y: usize, x: usize| -> u32 {
        let [ch, dy, dx] = c.leaves[o * lpt + l];
        let iy = (y * c.stride + dy as usize).checked_sub(c.padding).filter(|&i| i < h);
        let ix = (x * c.stride + dx as usize).checked_sub(c.padding).filter(|&i| i < w);
        match (iy, ix) {
            (Some(iy), Some(ix)) => (ch as usize * h * w + iy * w + ix) as u32,
            _ => zero,
        }
    };
    let mut inputs = zero as usize;
    for t in 0..c.depth as usize {
        let nodes = 1usize << (c.depth as usize - 1 - t);
        let n = c.channels * nodes * positions;
        let (mut a, mut b, mut params) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for o in 0..c.channels {
            for j in 0..nodes {
                for p in 0..positions {
                    let (y, x) = (p / out[2], p % out[2]);
                    if t == 0 {
                        a.push(leaf(o, 2 * j, y, x));
                        b.push(leaf(o, 2 * j + 1, y, x));
                    } else {
                        let below = nodes * 2;
                        a.push(((o * below + 2 * j) * positions + p) as u32);
                        b.push(((o * below + 2 * j + 1) * positions + p) as u32);
                    }
                    params.push((o * nodes + j) as u32);
                }
            }
        }
        levels.push(Wiring { inputs, a, b, params, pool: 0 });
        inputs = n;
    }
    levels
}
