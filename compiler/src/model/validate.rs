//! Every invariant of a [`Model`], checked in one place.
//!
//! Checked: the layer order (threshold first, group_sum last, logic layers between); each layer's input width
//! equals the previous layer's output width; wiring in range; gate ids are valid by construction ([`GateOp`]);
//! thresholds finite and of the right count; class count divides the last width; every size below [`Limits`].

use super::{Layer, Model};
use crate::error::{Error, Result};

/// Sanity limits on sizes, checked before anything is allocated from a size read in a file.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum number of input features.
    pub max_features: usize,
    /// Maximum thresholds per feature.
    pub max_thresholds: usize,
    /// Maximum number of layers.
    pub max_layers: usize,
    /// Maximum gates in one layer.
    pub max_width: usize,
    /// Maximum gates in the whole model.
    pub max_gates: usize,
    /// Maximum number of classes.
    pub max_classes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_features: 1 << 24,
            max_thresholds: 255,
            max_layers: 4096,
            max_width: 1 << 26,
            max_gates: 1 << 28,
            max_classes: 1 << 16,
        }
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

impl Model {
    /// Checks all invariants of the model against the default [`Limits`].
    pub fn validate(&self) -> Result<()> {
        self.validate_with(&Limits::default())
    }

    /// Checks all invariants of the model against `limits`.
    pub fn validate_with(&self, limits: &Limits) -> Result<()> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(invalid(format!(
                "input shape {:?} must be non-empty with no zero dimension",
                self.input_shape
            )));
        }
        let features = self
            .input_shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .filter(|&f| f <= limits.max_features)
            .ok_or_else(|| {
                invalid(format!("input shape {:?} exceeds {} features", self.input_shape, limits.max_features))
            })?;
        if self.classes == 0 || self.classes > limits.max_classes {
            return Err(invalid(format!("class count {} not in 1..={}", self.classes, limits.max_classes)));
        }
        if !self.tau.is_finite() || self.tau <= 0.0 {
            return Err(invalid(format!("tau {} must be finite and positive", self.tau)));
        }
        if self.layers.len() > limits.max_layers {
            return Err(invalid(format!("{} layers exceed the limit of {}", self.layers.len(), limits.max_layers)));
        }
        let n = self.layers.len();
        if n < 2 {
            return Err(invalid("a model needs at least a threshold and a group_sum layer"));
        }
        let mut width = 0usize;
        // The feature map the previous layer made, if it is one.
        let mut map: Option<super::MapShape> = None;
        let mut total_gates = 0usize;
        for (i, layer) in self.layers.iter().enumerate() {
            let at = |msg: String| invalid(format!("layer {i} ({}): {msg}", layer.kind()));
            match layer {
                Layer::Threshold(t) => {
                    if i != 0 {
                        return Err(at("a threshold layer may only be the first layer".into()));
                    }
                    if t.features != features {
                        return Err(at(format!("{} features, but the input shape has {features}", t.features)));
                    }
                    if t.per_feature == 0 || t.per_feature > limits.max_thresholds {
                        return Err(at(format!(
                            "{} thresholds per feature not in 1..={}",
                            t.per_feature, limits.max_thresholds
                        )));
                    }
                    let expect = if t.shared { t.per_feature } else { features * t.per_feature };
                    if t.values.len() != expect {
                        return Err(at(format!("{} threshold values, expected {expect}", t.values.len())));
                    }
                    if let Some(pos) = t.values.iter().position(|v| !v.is_finite()) {
                        return Err(at(format!("threshold {pos} is {} (must be finite)", t.values[pos])));
                    }
                    width = t.outputs();
                    map = self.input_map();
                }
                Layer::TreeConv(c) => {
                    let out = check_conv(c, map, limits).map_err(at)?;
                    total_gates += c.gates.len();
                    if total_gates > limits.max_gates {
                        return Err(at(format!("more than {} gates in the model", limits.max_gates)));
                    }
                    width = out.iter().product();
                    map = Some(out);
                }
                Layer::OrPool(p) => {
                    let Some(m) = map else {
                        return Err(at(
                            "or_pool needs a feature map (an image input or a spatial layer) before it".into()
                        ));
                    };
                    if p.input != m {
                        return Err(at(format!("reads a {:?} map, but the previous layer makes {m:?}", p.input)));
                    }
                    if p.size == 0 || p.stride == 0 || p.size > 16 || p.stride > 64 || 2 * p.padding > p.size {
                        return Err(at(format!(
                            "window {}, stride {}, padding {}: need 1 <= window <= 16, 1 <= stride <= 64, \
                             padding <= window / 2",
                            p.size, p.stride, p.padding
                        )));
                    }
                    let out = p
                        .output()
                        .ok_or_else(|| at(format!("a {}x{} window does not fit the {m:?} map", p.size, p.size)))?;
                    width = out.iter().product();
                    map = Some(out);
                }
                Layer::Dense(d) => {
                    if i == 0 {
                        return Err(at("the first layer must be a threshold encoder".into()));
                    }
                    if d.inputs != width {
                        return Err(at(format!(
                            "reads {} inputs, but the previous layer has {width} outputs",
                            d.inputs
                        )));
                    }
                    if d.gates.is_empty() || d.gates.len() > limits.max_width {
                        return Err(at(format!("{} gates not in 1..={}", d.gates.len(), limits.max_width)));
                    }
                    if d.wires.len() != d.gates.len() {
                        return Err(at(format!("{} wire pairs for {} gates", d.wires.len(), d.gates.len())));
                    }
                    if let Some((g, w)) =
                        d.wires.iter().enumerate().find(|(_, w)| w[0] as usize >= width || w[1] as usize >= width)
                    {
                        return Err(at(format!("gate {g} reads input {:?}, out of range 0..{width}", w)));
                    }
                    total_gates += d.gates.len();
                    if total_gates > limits.max_gates {
                        return Err(at(format!("more than {} gates in the model", limits.max_gates)));
                    }
                    width = d.gates.len();
                    map = None;
                }
                Layer::Netlist(nl) => {
                    if i != n - 1 || i == 0 {
                        return Err(at("a netlist layer must be the last layer, after the encoder".into()));
                    }
                    if nl.inputs != width {
                        return Err(at(format!(
                            "reads {} inputs, but the previous layer has {width} outputs",
                            nl.inputs
                        )));
                    }
                    if nl.gates.len() > limits.max_gates {
                        return Err(at(format!("{} gates exceed the limit of {}", nl.gates.len(), limits.max_gates)));
                    }
                    if nl.wires.len() != nl.gates.len() {
                        return Err(at(format!("{} wire pairs for {} gates", nl.wires.len(), nl.gates.len())));
                    }
                    if let Some((g, w)) = nl
                        .wires
                        .iter()
                        .enumerate()
                        .find(|(g, w)| w[0] as usize >= width + g || w[1] as usize >= width + g)
                    {
                        return Err(at(format!(
                            "gate {g} reads signal {w:?}, not below its own signal {} (wiring must point backwards)",
                            width + g
                        )));
                    }
                    if nl.outputs.len() != self.classes {
                        return Err(at(format!("{} output classes, the model has {}", nl.outputs.len(), self.classes)));
                    }
                    let planes = nl.outputs[0].len();
                    if planes == 0 || planes > 32 || nl.outputs.iter().any(|c| c.len() != planes) {
                        return Err(at("every class needs the same number (1..=32) of count bits".into()));
                    }
                    map = None;
                    let signals = width + nl.gates.len();
                    if let Some(s) = nl.outputs.iter().flatten().find(|&&s| s as usize >= signals) {
                        return Err(at(format!("output signal {s} out of range 0..{signals}")));
                    }
                }
                Layer::GroupSum => {
                    if i != n - 1 {
                        return Err(at("group_sum must be the last layer".into()));
                    }
                    if !width.is_multiple_of(self.classes) || width < self.classes {
                        return Err(at(format!(
                            "{width} output bits cannot be split into {} equal class groups",
                            self.classes
                        )));
                    }
                }
            }
        }
        if !matches!(self.layers[0], Layer::Threshold(_)) {
            return Err(invalid("the first layer must be a threshold encoder"));
        }
        if !matches!(self.layers[n - 1], Layer::GroupSum | Layer::Netlist(_)) {
            return Err(invalid("the last layer must be group_sum (or an optimised netlist)"));
        }
        Ok(())
    }
}

/// Checks a tree convolution against the map before it; returns its output map.
fn check_conv(c: &super::TreeConv, map: Option<super::MapShape>, limits: &Limits) -> Result<super::MapShape, String> {
    let Some(m) = map else {
        return Err("tree_conv needs a feature map (an image input or a spatial layer) before it".into());
    };
    if c.input != m {
        return Err(format!("reads a {:?} map, but the previous layer makes {m:?}", c.input));
    }
    if !(1..=8).contains(&c.depth) {
        return Err(format!("tree depth {} not in 1..=8", c.depth));
    }
    if c.kernel == 0 || c.kernel > 64 || c.stride == 0 || c.stride > 64 || c.padding >= c.kernel {
        return Err(format!(
            "kernel {}, stride {}, padding {}: need 1 <= kernel <= 64, 1 <= stride <= 64, padding < kernel",
            c.kernel, c.stride, c.padding
        ));
    }
    if c.channels == 0 || c.channels > limits.max_width {
        return Err(format!("{} channels not in 1..={}", c.channels, limits.max_width));
    }
    if c.gates.len() != c.channels * c.gates_per_tree() {
        return Err(format!("{} gates, expected {} channels x {}", c.gates.len(), c.channels, c.gates_per_tree()));
    }
    if c.leaves.len() != c.channels * c.leaves_per_tree() {
        return Err(format!("{} leaves, expected {} channels x {}", c.leaves.len(), c.channels, c.leaves_per_tree()));
    }
    if let Some((i, l)) = c
        .leaves
        .iter()
        .enumerate()
        .find(|(_, l)| l[0] as usize >= m[0] || l[1] as usize >= c.kernel || l[2] as usize >= c.kernel)
    {
        return Err(format!("leaf {i} reads {l:?}, out of range (channels {}, kernel {})", m[0], c.kernel));
    }
    let out = c.output().ok_or_else(|| {
        format!("a {}x{} kernel with padding {} does not fit the {m:?} map", c.kernel, c.kernel, c.padding)
    })?;
    out.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= limits.max_width)
        .ok_or_else(|| format!("output map {out:?} exceeds {} bits", limits.max_width))?;
    Ok(out)
}
