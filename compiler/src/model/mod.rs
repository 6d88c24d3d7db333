//! The model description: the network as trained, layer by layer.
//!
//! This is the first of the two IR levels (DESIGN.md). A [`Model`] is a plain value: an input shape, a list of
//! [`Layer`]s starting with a [`Layer::Threshold`] encoder, then logic layers, then a [`Layer::GroupSum`].
//! [`Model::validate`] checks every invariant; the file reader calls it, so a loaded model is always valid.
//! The on-disk form is in `file.rs` and documented in `docs/model-format.md`.

mod file;
pub mod random;
mod spatial;
mod validate;

pub use file::{FORMAT_NAME, FORMAT_VERSION, METADATA_KEY, from_bytes, load, save, to_bytes};
pub use random::{ConvSpec, RandomSpec};
pub use spatial::{MapShape, OrPool, TreeConv, eval_tree};
pub use validate::Limits;

use crate::gate::GateOp;

/// How an input feature is compared with a threshold to give one bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `bit = x > t`.
    Gt,
    /// `bit = x >= t`.
    Ge,
}

impl Comparison {
    /// Applies the comparison.
    #[inline]
    pub fn test(self, x: f32, t: f32) -> bool {
        match self {
            Comparison::Gt => x > t,
            Comparison::Ge => x >= t,
        }
    }
}

/// The input encoder: each feature is compared with `per_feature` thresholds.
///
/// Output bit `j * features + f` is `compare(x[f], threshold(f, j))` (threshold-major: the k thresholded
/// copies of the input are concatenated, as in difflogic's examples).
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Number of input features (product of the input shape).
    pub features: usize,
    /// Thresholds per feature (k); the encoder outputs `features * k` bits.
    pub per_feature: usize,
    /// If true, `values` holds k thresholds shared by all features; else `features * k` values, feature-major.
    pub shared: bool,
    /// The comparison used.
    pub comparison: Comparison,
    /// The threshold values.
    pub values: Vec<f32>,
}

impl Threshold {
    /// Threshold `j` of feature `f`.
    #[inline]
    pub fn threshold(&self, f: usize, j: usize) -> f32 {
        if self.shared { self.values[j] } else { self.values[f * self.per_feature + j] }
    }

    /// The integer threshold of bit `(f, j)` for byte inputs: the bit is `x > t` for `x` in 0..=255, with
    /// `t = -1` for a bit that is always 1 and `t = 255` for one that is never 1. Exactly `compare(x, v)`.
    pub fn byte_threshold(&self, f: usize, j: usize) -> i16 {
        let v = self.threshold(f, j) as f64;
        // Integer x: x > v ⇔ x > floor(v);  x >= v ⇔ x > ceil(v) - 1.
        let t = match self.comparison {
            Comparison::Gt => v.floor(),
            Comparison::Ge => v.ceil() - 1.0,
        };
        t.clamp(-1.0, 255.0) as i16
    }

    /// Number of output bits.
    pub fn outputs(&self) -> usize {
        self.features * self.per_feature
    }

    /// `k` thresholds shared by all features, evenly spaced strictly inside `[lo, hi]`:
    /// `lo + (hi - lo) * (j + 1) / (k + 1)`.
    pub fn uniform(features: usize, k: usize, lo: f32, hi: f32) -> Threshold {
        let values = (0..k).map(|j| lo + (hi - lo) * (j + 1) as f32 / (k + 1) as f32).collect();
        Threshold { features, per_feature: k, shared: true, comparison: Comparison::Gt, values }
    }
}

/// A dense logic layer: gate `i` reads outputs `wires[i][0]` (input a) and `wires[i][1]` (input b) of the
/// previous layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Width of the previous layer.
    pub inputs: usize,
    /// One gate per output.
    pub gates: Vec<GateOp>,
    /// `(a, b)` input indices per gate, each `< inputs`.
    pub wires: Vec<[u32; 2]>,
}

impl Dense {
    /// Number of outputs (gates).
    pub fn outputs(&self) -> usize {
        self.gates.len()
    }
}

/// An optimised gate list over the previous layer's outputs, with class-count outputs (format version 2).
///
/// Signals `0..inputs` are the previous layer's outputs; gate `i` drives signal `inputs + i` and reads only
/// lower signals. `outputs[c]` lists the bits of class `c`'s count, least significant first. It replaces the
/// logic layers and `group_sum` of a model that `lgn opt` has optimised, so it is always the last layer.
#[derive(Clone, Debug, PartialEq)]
pub struct NetlistLayer {
    /// Width of the previous layer.
    pub inputs: usize,
    /// The gates.
    pub gates: Vec<GateOp>,
    /// `(a, b)` signal indices per gate.
    pub wires: Vec<[u32; 2]>,
    /// Per class, its count bits (signal indices), LSB first; all classes have the same length.
    pub outputs: Vec<Vec<u32>>,
}

/// One layer of the model.
///
/// Each kind has its own tag in the file, and a reader that meets an unknown tag reports it by name.
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    /// Input encoder (must be the first layer, and only there).
    Threshold(Threshold),
    /// A dense logic layer.
    Dense(Dense),
    /// A logic tree convolution over a feature map (format version 3).
    TreeConv(TreeConv),
    /// OR pooling over a feature map (format version 3).
    OrPool(OrPool),
    /// Sum of each class's group of output bits (must be the last layer, and only there).
    GroupSum,
    /// Optimised logic with class-count outputs (must be the last layer, and only there).
    Netlist(NetlistLayer),
}

impl Layer {
    /// The tag used in the file (`threshold`, `dense`, `tree_conv`, `or_pool`, `group_sum`, `netlist`).
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Threshold(_) => "threshold",
            Layer::Dense(_) => "dense",
            Layer::TreeConv(_) => "tree_conv",
            Layer::OrPool(_) => "or_pool",
            Layer::GroupSum => "group_sum",
            Layer::Netlist(_) => "netlist",
        }
    }
}

/// A discretized logic gate network, as stored in a `.lgn` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// Shape of one input sample, e.g. `[1, 28, 28]` or `[30]`; its product is the feature count.
    pub input_shape: Vec<usize>,
    /// Layers in order: threshold, logic layers, group_sum.
    pub layers: Vec<Layer>,
    /// Number of classes.
    pub classes: usize,
    /// GroupSum temperature used in training (scores are divided by it; the argmax does not depend on it).
    pub tau: f32,
}

impl Model {
    /// The input encoder.
    pub fn encoder(&self) -> &Threshold {
        match self.layers.first() {
            Some(Layer::Threshold(t)) => t,
            _ => panic!("validated model starts with a threshold layer"),
        }
    }

    /// Number of input features (product of `input_shape`).
    pub fn features(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// The dense logic layers, in order.
    pub fn dense_layers(&self) -> impl Iterator<Item = &Dense> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Dense(d) => Some(d),
            _ => None,
        })
    }

    /// Number of logic gates in all logic layers (including a netlist layer's gates). A tree convolution
    /// counts its kernel once (its distinct gates); see [`Model::evaluated_gates`] for gates per sample.
    pub fn gate_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::Dense(d) => d.outputs(),
                Layer::Netlist(n) => n.gates.len(),
                Layer::TreeConv(c) => c.gates.len(),
                _ => 0,
            })
            .sum()
    }

    /// Gates evaluated per sample: a tree convolution's gates times its output positions, an OR pool's
    /// `size² - 1` ORs per output bit, plus every other logic gate (the figure papers report).
    pub fn evaluated_gates(&self) -> usize {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::TreeConv(c) => c.output().map_or(0, |o| c.gates.len() * o[1] * o[2]),
                Layer::OrPool(p) => p.output().map_or(0, |o| o[0] * o[1] * o[2] * (p.size * p.size - 1)),
                Layer::Dense(d) => d.outputs(),
                Layer::Netlist(n) => n.gates.len(),
                _ => 0,
            })
            .sum()
    }

    /// The feature map made by the encoder, if the input is an image (`[c, h, w]` or `[h, w]`): threshold
    /// `j` of channel `c` is map channel `j * c_in + c`.
    pub fn input_map(&self) -> Option<MapShape> {
        let k = self.encoder().per_feature;
        match self.input_shape[..] {
            [c, h, w] => Some([c * k, h, w]),
            [h, w] => Some([k, h, w]),
            _ => None,
        }
    }

    /// Whether the model has spatial layers (tree convolutions or OR pooling).
    pub fn is_spatial(&self) -> bool {
        self.layers.iter().any(|l| matches!(l, Layer::TreeConv(_) | Layer::OrPool(_)))
    }

    /// Width of the last logic layer (the bits that GroupSum counts).
    pub fn output_bits(&self) -> usize {
        let mut width = self.encoder().outputs();
        for l in &self.layers {
            match l {
                Layer::Dense(d) => width = d.outputs(),
                Layer::TreeConv(c) => width = c.output().map_or(0, |o| o.iter().product()),
                Layer::OrPool(p) => width = p.output().map_or(0, |o| o.iter().product()),
                _ => {}
            }
        }
        width
    }
}
