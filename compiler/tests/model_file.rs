//! The `.lgn` reader: round trips, determinism, and every kind of bad file named in the foundation issue.

use std::collections::HashMap;
use std::path::Path;

use lgn_compiler::model::{self, Layer, RandomSpec};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde_json::{Value, json};

fn small() -> lgn_compiler::Model {
    RandomSpec::dense(12, 2, 3, 20, 4, 7).build().unwrap()
}

/// A file's metadata JSON and tensors, editable.
struct Parts {
    header: Value,
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
}

fn parts(bytes: &[u8]) -> Parts {
    let st = SafeTensors::deserialize(bytes).unwrap();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    let header = serde_json::from_str(&meta.metadata().as_ref().unwrap()["lgn"]).unwrap();
    let mut tensors: Vec<_> =
        st.tensors().into_iter().map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec())).collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    Parts { header, tensors }
}

fn build(p: &Parts) -> Vec<u8> {
    let meta = HashMap::from([("lgn".to_string(), p.header.to_string())]);
    let views: Vec<_> =
        p.tensors.iter().map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn load_err(bytes: &[u8]) -> String {
    let e = model::from_bytes(bytes, Path::new("bad.lgn")).unwrap_err().to_string();
    assert!(e.contains("bad.lgn"), "error does not name the file: {e}");
    e
}

fn tensor<'a>(p: &'a mut Parts, name: &str) -> &'a mut (String, Dtype, Vec<usize>, Vec<u8>) {
    p.tensors.iter_mut().find(|t| t.0 == name).unwrap()
}

#[test]
fn round_trip_and_determinism() {
    let m = small();
    let bytes = model::to_bytes(&m).unwrap();
    assert_eq!(model::from_bytes(&bytes, Path::new("m.lgn")).unwrap(), m);
    assert_eq!(model::to_bytes(&small()).unwrap(), bytes, "same seed, same bytes");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.lgn");
    model::save(&m, &path).unwrap();
    assert_eq!(model::load(&path).unwrap(), m);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn rebuilt_file_is_accepted() {
    // The test helpers themselves must not break a valid file.
    let bytes = model::to_bytes(&small()).unwrap();
    model::from_bytes(&build(&parts(&bytes)), Path::new("x")).unwrap();
}

#[test]
fn truncated_and_garbled() {
    let bytes = model::to_bytes(&small()).unwrap();
    for cut in [0, 4, 8, 20, bytes.len() / 2, bytes.len() - 1] {
        let e = load_err(&bytes[..cut]);
        assert!(e.contains("safetensors"), "{e}");
    }
    let e = load_err(b"\x89PNG\r\n\x1a\n and then some more bytes");
    assert!(e.contains("not a valid lgn model"), "{e}");
    let mut flipped = bytes.clone();
    flipped[12] ^= 0xff;
    load_err(&flipped);
}

#[test]
fn wrong_format_and_version() {
    let bytes = model::to_bytes(&small()).unwrap();
    let p = parts(&bytes);
    let views: Vec<_> =
        p.tensors.iter().map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
    let other = safetensors::serialize(views.clone(), Some(HashMap::from([("format".into(), "pt".into())]))).unwrap();
    assert!(load_err(&other).contains("no 'lgn' metadata"));
    let mut q = parts(&bytes);
    q.header["format"] = json!("pt");
    assert!(load_err(&build(&q)).contains("\"pt\""));
    let none = safetensors::serialize(views, None).unwrap();
    assert!(load_err(&none).contains("no metadata"));
    let mut p = parts(&bytes);
    p.header["version"] = json!(99);
    assert!(load_err(&build(&p)).contains("version 99"));
}

#[test]
fn absurd_sizes_are_rejected_before_allocation() {
    let bytes = model::to_bytes(&small()).unwrap();
    let mut p = parts(&bytes);
    p.header["layers"][1]["outputs"] = json!(1_000_000_000_000u64);
    let e = load_err(&build(&p));
    assert!(e.contains("exceed the limit"), "{e}");
    let mut p = parts(&bytes);
    p.header["input_shape"] = json!([100000, 100000, 100000]);
    p.header["layers"][0]["features"] = json!(1_000_000_000_000_000u64);
    let e = load_err(&build(&p));
    assert!(e.contains("exceed"), "{e}");
    // A header whose size disagrees with the tensor: shape mismatch, not an allocation.
    let mut p = parts(&bytes);
    p.header["layers"][1]["outputs"] = json!(21);
    assert!(load_err(&build(&p)).contains("shape"));
}

#[test]
fn bad_wiring_gate_ids_and_thresholds() {
    let bytes = model::to_bytes(&small()).unwrap();
    // Wiring that points past the previous layer (forward or out of range).
    let mut p = parts(&bytes);
    tensor(&mut p, "layers.2.wires").3[0..4].copy_from_slice(&20u32.to_le_bytes());
    assert!(load_err(&build(&p)).contains("out of range"));
    let mut p = parts(&bytes);
    tensor(&mut p, "layers.1.gates").3[3] = 16;
    assert!(load_err(&build(&p)).contains("gate 3 has id 16"));
    let mut p = parts(&bytes);
    tensor(&mut p, "layers.0.thresholds").3[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(load_err(&build(&p)).contains("finite"));
    let mut p = parts(&bytes);
    tensor(&mut p, "layers.1.wires").1 = Dtype::I32;
    assert!(load_err(&build(&p)).contains("dtype"));
    let mut p = parts(&bytes);
    p.tensors.retain(|t| t.0 != "layers.3.gates");
    assert!(load_err(&build(&p)).contains("missing tensor layers.3.gates"));
}

#[test]
fn bad_layer_lists() {
    let bytes = model::to_bytes(&small()).unwrap();
    let mut p = parts(&bytes);
    p.header["layers"][2] = json!({"kind": "attention", "heads": 3});
    assert!(load_err(&build(&p)).contains("attention"), "an unknown layer kind is named");
    let mut p = parts(&bytes);
    p.header["layers"][2] = json!({"kind": "tree_conv", "channels": 3});
    assert!(load_err(&build(&p)).contains("missing field"));
    let mut p = parts(&bytes);
    p.header["classes"] = json!(3);
    assert!(load_err(&build(&p)).contains("class groups"));
    let mut p = parts(&bytes);
    let layers = p.header["layers"].as_array_mut().unwrap();
    layers.swap(0, 1);
    load_err(&build(&p));
    let mut p = parts(&bytes);
    p.header["layers"].as_array_mut().unwrap().pop();
    assert!(load_err(&build(&p)).contains("group_sum"));
}

/// Version 3 layers: a convolutional model round-trips and is written as version 3 (dense models stay
/// version 1); hostile conv headers and tensors get clear errors naming the file, with nothing allocated from an
/// absurd header field.
#[test]
fn conv_layers_round_trip_and_bad_conv_files() {
    let m = lgn_compiler::model::random::preset("mnist-s", 0.25, 2).unwrap().build().unwrap();
    let bytes = model::to_bytes(&m).unwrap();
    assert_eq!(model::from_bytes(&bytes, Path::new("c.lgn")).unwrap(), m);
    let p = parts(&bytes);
    assert_eq!(p.header["version"], 3);
    assert_eq!(parts(&model::to_bytes(&small()).unwrap()).header["version"], 1);
    assert_eq!(p.header["layers"][1]["kind"], "tree_conv");
    assert_eq!(p.header["layers"][2]["kind"], "or_pool");

    // A leaf outside the receptive field.
    let mut q = parts(&bytes);
    let t = tensor(&mut q, "layers.1.leaves");
    t.3[4..8].copy_from_slice(&9u32.to_le_bytes()); // dy of leaf 0 = 9, kernel 5
    let e = load_err(&build(&q));
    assert!(e.contains("leaf 0") && e.contains("out of range"), "{e}");
    // A map that does not match the previous layer's.
    let mut q = parts(&bytes);
    q.header["layers"][2]["input"] = json!([4, 24, 25]);
    assert!(load_err(&build(&q)).contains("map"));
    // Padding as large as the kernel.
    let mut q = parts(&bytes);
    q.header["layers"][3]["padding"] = json!(3);
    assert!(load_err(&build(&q)).contains("padding"));
    // Absurd channel count and depth: refused before any tensor is read.
    let mut q = parts(&bytes);
    q.header["layers"][1]["channels"] = json!(1u64 << 40);
    assert!(load_err(&build(&q)).contains("exceeds the limits"));
    let mut q = parts(&bytes);
    q.header["layers"][1]["depth"] = json!(40);
    assert!(load_err(&build(&q)).contains("exceeds the limits"));
    // Gates tensor of the wrong shape.
    let mut q = parts(&bytes);
    tensor(&mut q, "layers.1.gates").2 = vec![1, 1];
    q.tensors.retain(|t| t.0 != "layers.1.gates");
    assert!(load_err(&build(&q)).contains("missing tensor layers.1.gates"));
    // A pool window larger than the map.
    let mut q = parts(&bytes);
    q.header["layers"][2]["size"] = json!(30);
    assert!(load_err(&build(&q)).contains("window"));
    // A spatial layer on a flat input.
    let mut q = parts(&bytes);
    q.header["input_shape"] = json!([784]);
    assert!(load_err(&build(&q)).contains("feature map"));
    // A pool padded by more than half its window.
    let mut q = parts(&bytes);
    q.header["layers"][2]["padding"] = json!(2);
    assert!(load_err(&build(&q)).contains("padding"));
}

/// A padded OR pool (torchlogix' `OrPooling2d(padding=1)`) round-trips, is written as version 4 (which an
/// older reader refuses by its version), and its header field is absent when the padding is 0.
#[test]
fn padded_pools_are_version_4() {
    use lgn_compiler::model::random::{Block, ConvSpec};
    let blocks = vec![
        Block::Conv { channels: 3, kernel: 3, stride: 1, padding: 0, depth: 2 },
        Block::Pool { size: 2, stride: 2, padding: 1 },
        Block::Dense { width: 20 },
    ];
    let spec = ConvSpec { input_shape: vec![1, 9, 9], thresholds: 2, blocks, classes: 2, tau: 1.0, seed: 3 };
    let m = spec.build().unwrap();
    let Layer::OrPool(pool) = &m.layers[2] else { panic!("layer 2 is the pool") };
    // 7x7 padded to 9x9: four 2x2 windows per side.
    assert_eq!(pool.output(), Some([3, 4, 4]));
    let bytes = model::to_bytes(&m).unwrap();
    assert_eq!(model::from_bytes(&bytes, Path::new("p.lgn")).unwrap(), m);
    let p = parts(&bytes);
    assert_eq!(p.header["version"], 4);
    assert_eq!(p.header["layers"][2]["padding"], 1);
    let unpadded = lgn_compiler::model::random::preset("mnist-s", 0.25, 1).unwrap().build().unwrap();
    let p = parts(&model::to_bytes(&unpadded).unwrap());
    assert!(p.header["layers"][2].get("padding").is_none(), "{}", p.header["layers"][2]);
}
