//! The `.lgn` file: a safetensors container whose metadata holds the architecture as JSON.
//!
//! Layout (see `docs/model-format.md`): metadata key `lgn` = the JSON [`Header`] (with `"format": "lgn"`);
//! tensors `layers.{i}.thresholds` (F32, `[k]` shared or `[features, k]`), `layers.{i}.gates` (U8, `[n]`),
//! `layers.{i}.wires` (U32, `[n, 2]`). Every size in the JSON is checked against [`Limits`] and against the
//! tensor shapes (which safetensors checks against the file length) before anything is allocated.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use super::{Comparison, Dense, Layer, Limits, MapShape, Model, OrPool, Threshold, TreeConv};
use crate::error::{Error, Result};
use crate::gate::GateOp;

/// Value of the header's `format` field.
pub const FORMAT_NAME: &str = "lgn";
/// The safetensors metadata key that holds the JSON header.
pub const METADATA_KEY: &str = "lgn";
/// The newest format version this build reads. Files are written with the oldest version that can hold them
/// (1; 2 for a `netlist` layer; 3 for spatial layers; 4 for a padded `or_pool`).
pub const FORMAT_VERSION: u32 = 4;

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    input_shape: Vec<usize>,
    classes: usize,
    tau: f32,
    layers: Vec<LayerHeader>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum LayerHeader {
    Threshold {
        features: usize,
        thresholds_per_feature: usize,
        shared: bool,
        comparison: Comparison,
    },
    Dense {
        inputs: usize,
        outputs: usize,
    },
    GroupSum {},
    Netlist {
        inputs: usize,
        gates: usize,
        classes: usize,
        count_bits: usize,
    },
    TreeConv {
        input: MapShape,
        channels: usize,
        depth: u32,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    OrPool {
        input: MapShape,
        size: usize,
        stride: usize,
        /// Absent in version 3 files (no padding).
        #[serde(default, skip_serializing_if = "is_zero")]
        padding: usize,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn tensor_name(layer: usize, what: &str) -> String {
    format!("layers.{layer}.{what}")
}

/// Serializes a model into the bytes of a `.lgn` file. The model is validated first.
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    model.validate()?;
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    let layers = model
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| match layer {
            Layer::Threshold(t) => {
                let shape = if t.shared { vec![t.per_feature] } else { vec![t.features, t.per_feature] };
                let bytes = t.values.iter().flat_map(|v| v.to_le_bytes()).collect();
                tensors.push((tensor_name(i, "thresholds"), Dtype::F32, shape, bytes));
                LayerHeader::Threshold {
                    features: t.features,
                    thresholds_per_feature: t.per_feature,
                    shared: t.shared,
                    comparison: t.comparison,
                }
            }
            Layer::Dense(d) => {
                let n = d.gates.len();
                tensors.push((tensor_name(i, "gates"), Dtype::U8, vec![n], d.gates.iter().map(|g| g.id()).collect()));
                let wires = d.wires.iter().flat_map(|w| w.iter().flat_map(|x| x.to_le_bytes())).collect();
                tensors.push((tensor_name(i, "wires"), Dtype::U32, vec![n, 2], wires));
                LayerHeader::Dense { inputs: d.inputs, outputs: n }
            }
            Layer::GroupSum => LayerHeader::GroupSum {},
            Layer::Netlist(nl) => {
                let n = nl.gates.len();
                tensors.push((tensor_name(i, "gates"), Dtype::U8, vec![n], nl.gates.iter().map(|g| g.id()).collect()));
                let wires = nl.wires.iter().flat_map(|w| w.iter().flat_map(|x| x.to_le_bytes())).collect();
                tensors.push((tensor_name(i, "wires"), Dtype::U32, vec![n, 2], wires));
                let (classes, bits) = (nl.outputs.len(), nl.outputs[0].len());
                let outs = nl.outputs.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
                tensors.push((tensor_name(i, "outputs"), Dtype::U32, vec![classes, bits], outs));
                LayerHeader::Netlist { inputs: nl.inputs, gates: n, classes, count_bits: bits }
            }
            Layer::TreeConv(c) => {
                let (gpt, lpt) = (c.gates_per_tree(), c.leaves_per_tree());
                let ids = c.gates.iter().map(|g| g.id()).collect();
                tensors.push((tensor_name(i, "gates"), Dtype::U8, vec![c.channels, gpt], ids));
                let leaves = c.leaves.iter().flat_map(|l| l.iter().flat_map(|x| x.to_le_bytes())).collect();
                tensors.push((tensor_name(i, "leaves"), Dtype::U32, vec![c.channels, lpt, 3], leaves));
                LayerHeader::TreeConv {
                    input: c.input,
                    channels: c.channels,
                    depth: c.depth,
                    kernel: c.kernel,
                    stride: c.stride,
                    padding: c.padding,
                }
            }
            Layer::OrPool(p) => {
                LayerHeader::OrPool { input: p.input, size: p.size, stride: p.stride, padding: p.padding }
            }
        })
        .collect();
    let header = Header {
        format: FORMAT_NAME.into(),
        // The oldest version that can express the model, so that older readers still read what they can.
        version: if model.layers.iter().any(|l| matches!(l, Layer::OrPool(p) if p.padding > 0)) {
            4
        } else if model.is_spatial() {
            3
        } else if model.layers.iter().any(|l| matches!(l, Layer::Netlist(_))) {
            2
        } else {
            1
        },
        input_shape: model.input_shape.clone(),
        classes: model.classes,
        tau: model.tau,
        layers,
    };
    let json = serde_json::to_string(&header).map_err(|e| Error::Invalid(e.to_string()))?;
    // A single metadata key: safetensors writes its metadata map in hash order, and one key keeps the file
    // byte-for-byte deterministic.
    let metadata = HashMap::from([(METADATA_KEY.to_string(), json)]);
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| TensorView::new(*dtype, shape.clone(), bytes).map(|v| (name.clone(), v)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Invalid(format!("tensor: {e}")))?;
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Invalid(format!("safetensors: {e}")))
}

/// Parses and validates the bytes of a `.lgn` file. `path` is only used in error messages.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    let fmt_err = |msg: String| Error::Format { path: path.to_path_buf(), msg };
    let limits = Limits::default();
    let st = SafeTensors::deserialize(bytes).map_err(|e| fmt_err(format!("safetensors container: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(|e| fmt_err(format!("safetensors container: {e}")))?;
    let meta = meta.metadata().as_ref().ok_or_else(|| fmt_err("no metadata (is this an lgn model?)".into()))?;
    let json = meta.get(METADATA_KEY).ok_or_else(|| fmt_err("no 'lgn' metadata key (is this an lgn model?)".into()))?;
    // Read format and version first so that a newer file gets a clear message rather than a parse error.
    let value = serde_json::from_str::<serde_json::Value>(json).map_err(|e| fmt_err(format!("metadata JSON: {e}")))?;
    match value.get("format").and_then(serde_json::Value::as_str) {
        Some(FORMAT_NAME) => {}
        other => return Err(fmt_err(format!("format is {other:?}, expected {FORMAT_NAME:?}"))),
    }
    let version = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| fmt_err("metadata JSON has no numeric 'version'".into()))?;
    if version == 0 || version > FORMAT_VERSION as u64 {
        return Err(fmt_err(format!(
            "format version {version} is not supported (this lgn reads versions 1..={FORMAT_VERSION})"
        )));
    }
    let header: Header = serde_json::from_str(json).map_err(|e| fmt_err(format!("metadata JSON: {e}")))?;
    if header.layers.len() > limits.max_layers {
        return Err(fmt_err(format!("{} layers exceed the limit of {}", header.layers.len(), limits.max_layers)));
    }

    let tensor = |i: usize, what: &str, dtype: Dtype, shape: &[usize]| -> Result<&[u8]> {
        let name = tensor_name(i, what);
        let view = st.tensor(&name).map_err(|_| fmt_err(format!("missing tensor {name}")))?;
        if view.dtype() != dtype {
            return Err(fmt_err(format!("tensor {name} has dtype {:?}, expected {dtype:?}", view.dtype())));
        }
        if view.shape() != shape {
            return Err(fmt_err(format!("tensor {name} has shape {:?}, expected {shape:?}", view.shape())));
        }
        Ok(view.data())
    };

    let mut layers = Vec::with_capacity(header.layers.len());
    for (i, lh) in header.layers.iter().enumerate() {
        let layer = match *lh {
            LayerHeader::Threshold { features, thresholds_per_feature: k, shared, comparison } => {
                if features > limits.max_features || k > limits.max_thresholds {
                    return Err(fmt_err(format!("layer {i}: {features} features x {k} thresholds exceed the limits")));
                }
                let shape = if shared { vec![k] } else { vec![features, k] };
                let data = tensor(i, "thresholds", Dtype::F32, &shape)?;
                let values = data.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
                Layer::Threshold(Threshold { features, per_feature: k, shared, comparison, values })
            }
            LayerHeader::Dense { inputs, outputs } => {
                if outputs > limits.max_width {
                    return Err(fmt_err(format!(
                        "layer {i}: {outputs} gates exceed the limit of {}",
                        limits.max_width
                    )));
                }
                let ids = tensor(i, "gates", Dtype::U8, &[outputs])?;
                let gates = ids
                    .iter()
                    .enumerate()
                    .map(|(g, &id)| {
                        GateOp::from_id(id)
                            .ok_or_else(|| fmt_err(format!("layer {i}: gate {g} has id {id} (must be 0..=15)")))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let data = tensor(i, "wires", Dtype::U32, &[outputs, 2])?;
                let wires = data
                    .chunks_exact(8)
                    .map(|c| {
                        [
                            u32::from_le_bytes(c[0..4].try_into().unwrap()),
                            u32::from_le_bytes(c[4..8].try_into().unwrap()),
                        ]
                    })
                    .collect();
                Layer::Dense(Dense { inputs, gates, wires })
            }
            LayerHeader::GroupSum {} => Layer::GroupSum,
            LayerHeader::Netlist { inputs, gates: n, classes, count_bits } => {
                if n > limits.max_gates || classes > limits.max_classes || count_bits > 32 {
                    return Err(fmt_err(format!("layer {i}: netlist sizes exceed the limits")));
                }
                let gates = read_gates(tensor(i, "gates", Dtype::U8, &[n])?, i, &fmt_err)?;
                let wires = read_wires(tensor(i, "wires", Dtype::U32, &[n, 2])?);
                let data = tensor(i, "outputs", Dtype::U32, &[classes, count_bits])?;
                let flat: Vec<u32> = data.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
                let outputs = if count_bits == 0 {
                    vec![Vec::new(); classes]
                } else {
                    flat.chunks(count_bits).map(<[u32]>::to_vec).collect()
                };
                Layer::Netlist(super::NetlistLayer { inputs, gates, wires, outputs })
            }
            LayerHeader::TreeConv { input, channels, depth, kernel, stride, padding } => {
                if channels > limits.max_width || !(1..=8).contains(&depth) {
                    return Err(fmt_err(format!(
                        "layer {i}: tree_conv with {channels} channels of depth {depth} exceeds the limits"
                    )));
                }
                let (gpt, lpt) = ((1usize << depth) - 1, 1usize << depth);
                let gates = read_gates(tensor(i, "gates", Dtype::U8, &[channels, gpt])?, i, &fmt_err)?;
                let data = tensor(i, "leaves", Dtype::U32, &[channels, lpt, 3])?;
                let leaves = data
                    .chunks_exact(12)
                    .map(|c| std::array::from_fn(|k| u32::from_le_bytes(c[4 * k..4 * k + 4].try_into().unwrap())))
                    .collect();
                Layer::TreeConv(TreeConv { input, channels, depth, kernel, stride, padding, gates, leaves })
            }
            LayerHeader::OrPool { input, size, stride, padding } => {
                Layer::OrPool(OrPool { input, size, stride, padding })
            }
        };
        layers.push(layer);
    }
    let model = Model { input_shape: header.input_shape, layers, classes: header.classes, tau: header.tau };
    model.validate_with(&limits).map_err(|e| e.in_file(path))?;
    Ok(model)
}

/// Gate ids from a U8 tensor, each checked to be a valid id.
fn read_gates(ids: &[u8], layer: usize, fmt_err: &dyn Fn(String) -> Error) -> Result<Vec<GateOp>> {
    ids.iter()
        .enumerate()
        .map(|(g, &id)| {
            GateOp::from_id(id).ok_or_else(|| fmt_err(format!("layer {layer}: gate {g} has id {id} (must be 0..=15)")))
        })
        .collect()
}

/// Wire pairs from a U32 `[n, 2]` tensor.
fn read_wires(data: &[u8]) -> Vec<[u32; 2]> {
    data.chunks_exact(8)
        .map(|c| [u32::from_le_bytes(c[0..4].try_into().unwrap()), u32::from_le_bytes(c[4..8].try_into().unwrap())])
        .collect()
}

/// Reads and validates a `.lgn` file.
pub fn load(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    from_bytes(&bytes, path)
}

/// Writes a model to `path` atomically (a temporary file in the same folder, then a rename).
pub fn save(model: &Model, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    crate::io::write_atomic(path, &bytes)
}
