//! The convolutional network in the fused kernel: its gradient against finite differences, and its
//! saturated relaxation against the exported model evaluated by the oracle (so the trained wiring, tree order,
//! padding and pooling are the ones the compiler builds).

use burn::tensor::Device;
use lgn_compiler::model::random::{Block, ConvSpec};
use lgn_compiler::model::{Layer, Threshold};
use lgn_models::conv::ConvNet;
use lgn_models::fused;
use lgn_models::logic::Init;

/// Two tree convolutions (padding, depths 2 and 3) around an OR pool, GroupSum straight on the map: shallow
/// enough for f32 finite differences to resolve the first layer's gradient.
fn shallow() -> ConvSpec {
    ConvSpec {
        input_shape: vec![1, 6, 7],
        thresholds: 1,
        blocks: vec![
            Block::Conv { channels: 3, kernel: 3, stride: 1, padding: 1, depth: 2 },
            Block::Pool { size: 2, stride: 2, padding: 0 },
            Block::Conv { channels: 6, kernel: 2, stride: 1, padding: 1, depth: 3 },
        ],
        classes: 3,
        tau: 2.0,
        seed: 5,
    }
}

/// The shallow network with a padded pool (torchlogix' kind) and a dense layer before GroupSum.
fn spec() -> ConvSpec {
    let mut s = shallow();
    s.blocks[1] = Block::Pool { size: 2, stride: 2, padding: 1 };
    s.blocks[2] = Block::Conv { channels: 4, kernel: 2, stride: 1, padding: 1, depth: 3 };
    s.blocks.push(Block::Dense { width: 12 });
    s
}

#[test]
fn conv_gradient_matches_finite_differences() {
    let device = Device::flex().autodiff();
    // Residual initialisation keeps the gradient large enough in the first layer for finite differences in
    // f32; logits are perturbed so that every gate has a gradient of its own.
    let (conv, mut net) = ConvNet::new(&shallow(), Init::Residual(2.0), &device).unwrap();
    for (i, l) in net.layers.iter_mut().enumerate() {
        let w: Vec<f32> =
            l.host_logits().iter().enumerate().map(|(k, v)| v + ((k * 37 + i * 11) % 13) as f32 / 13.0).collect();
        l.logits = burn::module::Param::from_tensor(burn::tensor::Tensor::from_data(
            burn::tensor::TensorData::new(w, [l.width(), 16]),
            &device,
        ));
    }
    let batch = 21;
    let bits = 42;
    let x: Vec<f32> = (0..bits * batch).map(|i| ((i * 7919 + 13) % 101) as f32 / 100.0).collect();
    let y: Vec<u32> = (0..batch as u32).map(|i| (i * 7 + 2) % 3).collect();
    let samples: Vec<usize> = (0..batch).collect();
    let base = conv.fused_logits(&net);
    let loss = |logits: &[Vec<f32>]| {
        let n = fused::Network { wiring: &conv.layers, logits, classes: 3, tau: 0.5, temperature: 1.0, hard: false };
        fused::step(&n, fused::Encoded { x: &x, samples: batch }, &samples, &y)
    };
    let r = loss(&base);
    // Per layer, directional derivatives along the gradient and along a fixed ±1 direction: whole-layer
    // checks whose signal stays far above f32 rounding.
    let mut checked = 0;
    for (l, g) in r.grads.iter().enumerate() {
        if conv.layers[l].pool > 0 {
            assert!(g.is_empty(), "a max layer has no parameters");
            continue;
        }
        let norm = g.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!(norm > 0.0, "layer {l} gets a gradient");
        let sign: Vec<f32> = (0..g.len()).map(|k| if (k * 2654435761) % 7 < 3 { 1.0 } else { -1.0 }).collect();
        let unit: Vec<f32> = g.iter().map(|v| v / norm).collect();
        for (dir, expect) in [(&unit, norm), (&sign, g.iter().zip(&sign).map(|(a, b)| a * b).sum::<f32>())] {
            let eps = 0.05f32;
            let at = |d: f32| {
                let mut w = base.clone();
                w[l].iter_mut().zip(dir.iter()).for_each(|(x, u)| *x += d * u);
                loss(&w).loss as f32
            };
            let fd = (at(eps) - at(-eps)) / (2.0 * eps);
            assert!(
                (fd - expect).abs() <= 0.05 * norm.max(expect.abs()) + 2e-5,
                "layer {l}: directional derivative {expect} from the kernel vs finite difference {fd} (|g| = {norm})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10);
}

/// On `n` random 0/1 images, how many of the fused kernel's predictions (with `logits`, `hard` or not) differ
/// from the oracle's on the model `net` exports.
fn disagreements(conv: &ConvNet, net: &lgn_models::LogicNet, logits: &[Vec<f32>], hard: bool) -> usize {
    let enc = Threshold::uniform(42, 1, 0.0, 255.0);
    let model = conv.export(net, &enc).unwrap();
    assert!(model.layers.iter().any(|l| matches!(l, Layer::TreeConv(_))));
    let n = 300;
    let raw: Vec<Vec<f32>> = (0..n)
        .map(|s| (0..42).map(|f| if (s * 31 + f * 17 + s * f) % 5 < 2 { 255.0 } else { 0.0 }).collect())
        .collect();
    let mut x = vec![0f32; 42 * n];
    for (s, r) in raw.iter().enumerate() {
        for (f, &v) in r.iter().enumerate() {
            x[f * n + s] = (v > 127.5) as u8 as f32;
        }
    }
    let network = fused::Network { wiring: &conv.layers, logits, classes: 3, tau: 2.0, temperature: 1.0, hard };
    let pred = fused::predict(&network, fused::Encoded { x: &x, samples: n }, &(0..n).collect::<Vec<_>>());
    raw.iter().enumerate().filter(|(s, r)| pred[*s] != lgn_runtime::oracle::predict(&model, r) as usize).count()
}

#[test]
fn saturated_relaxation_equals_the_exported_model() {
    let device = Device::flex().autodiff();
    let (conv, mut net) = ConvNet::new(&spec(), Init::Gaussian, &device).unwrap();
    // Logits far apart: the softmax is one-hot on the exported gate, so on 0/1 inputs the relaxed network
    // computes exactly the discrete one.
    for l in &mut net.layers {
        let ids = l.discretize();
        let mut w = vec![-40f32; l.width() * 16];
        for (i, id) in ids.iter().enumerate() {
            w[i * 16 + *id as usize] = 40.0;
        }
        l.logits = burn::module::Param::from_tensor(burn::tensor::Tensor::from_data(
            burn::tensor::TensorData::new(w, [l.width(), 16]),
            &device,
        ));
    }
    let differ = disagreements(&conv, &net, &conv.fused_logits(&net), false);
    assert_eq!(differ, 0, "relaxed and discrete predictions differ on {differ} samples");
}

#[test]
fn straight_through_pass_is_the_exported_model() {
    let device = Device::flex().autodiff();
    let (conv, net) = ConvNet::new(&spec(), Init::Gaussian, &device).unwrap();
    let logits = conv.fused_logits(&net);
    // Gaussian logits: the soft mixture is far from any single gate, the hard pass is the discrete network.
    let differ = disagreements(&conv, &net, &logits, true);
    assert_eq!(differ, 0, "straight-through and discrete predictions differ on {differ} samples");
    assert!(disagreements(&conv, &net, &logits, false) > 0, "the soft mixture should differ somewhere");
}

/// End to end on real digits: a small tree-convolution network trains in the fused kernel, learns well above
/// chance in a few epochs, and exports a model with tree convolutions whose compiled accuracy is the one the
/// trainer reported.
#[test]
fn small_conv_net_learns_mnist_digits() {
    use lgn_runtime::data::{self, Split};
    let mut train_set = data::load("mnist10k", Split::Train).unwrap();
    train_set.truncate(1500);
    let mut test_set = data::load("mnist10k", Split::Test).unwrap();
    test_set.truncate(500);
    let arch = ConvSpec {
        input_shape: vec![1, 28, 28],
        thresholds: 1,
        blocks: vec![
            Block::Conv { channels: 8, kernel: 5, stride: 1, padding: 0, depth: 3 },
            Block::Pool { size: 2, stride: 2, padding: 0 },
            Block::Conv { channels: 16, kernel: 3, stride: 1, padding: 1, depth: 3 },
            Block::Pool { size: 2, stride: 2, padding: 0 },
            Block::Dense { width: 400 },
        ],
        classes: 10,
        tau: 4.0,
        seed: 0,
    };
    let cfg = lgn_models::TrainConfig {
        arch: Some(arch),
        tau: 4.0,
        lr: 0.03,
        epochs: 10,
        init: Init::Residual(5.0),
        hard_epochs: 3,
        ..Default::default()
    };
    let (model, _, history) = lgn_models::train(&cfg, &train_set, &test_set, |_| {}).unwrap();
    assert!(model.is_spatial());
    let last = history.last().unwrap();
    // The last epochs ran straight-through: the pass evaluated after them is the discretized network.
    assert_eq!(last.test_acc_relaxed, last.test_acc_discrete);
    assert!(last.test_acc_relaxed > 0.6, "relaxed test accuracy {}", last.test_acc_relaxed);
    let compiled = lgn_models::train::discrete_accuracy(&model, &test_set).unwrap();
    assert_eq!(compiled, last.test_acc_discrete);
    assert!(compiled > 0.3, "discretized test accuracy {compiled}");
}
