//! Training: the layer's gradient against finite differences, learning a small problem exactly, export
//! matching compiled evaluation bit for bit, and determinism.

use burn::tensor::{Device, Tensor, TensorData};
use lgn_models::encode::{self, Placement};
use lgn_models::fused;
use lgn_models::logic::Init;
use lgn_models::train::{Backend, TrainConfig, discrete_accuracy};
use lgn_models::{LogicNet, train};
use lgn_runtime::data::{Dataset, Features};
use lgn_runtime::{Classifier, Inputs};

/// 3-bit samples labelled `x0 XOR x1` (x2 is noise): every pattern twice.
fn xor_data() -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..2 {
        for p in 0..8u32 {
            x.extend((0..3).map(|i| ((p >> i) & 1) as f32));
            y.push((p & 1) ^ ((p >> 1) & 1));
        }
    }
    Dataset { source: "xor".into(), shape: vec![3], x: Features::F32(x), y, classes: 2 }
}

fn small_config(epochs: usize) -> TrainConfig {
    TrainConfig {
        backend: Backend::Fused,
        widths: vec![24, 24, 8],
        tau: 1.0,
        thresholds: 1,
        placement: Placement::Uniform,
        epochs,
        batch: 8,
        lr: 0.05,
        init: Init::Gaussian,
        seed: 3,
        anneal: 1.0,
        shift: 0,
        hard_epochs: 0,
        checkpoint: None,
        resume: false,
        init_from: None,
        arch: None,
        cosine: false,
    }
}

#[test]
fn learns_xor_exactly() {
    let data = xor_data();
    for backend in [Backend::Fused, Backend::Flex] {
        let cfg = TrainConfig { backend, ..small_config(150) };
        let (model, _, history) = train(&cfg, &data, &data, |_| {}).unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.test_acc_discrete, 1.0, "{backend:?}: {history:#?}");
        assert_eq!(discrete_accuracy(&model, &data).unwrap(), 1.0);
    }
}

/// A random net and batch for comparing the fused kernel with burn's autodiff.
fn fused_case(batch: usize) -> (LogicNet, Vec<f32>, Vec<u32>, Device) {
    let device = Device::default().autodiff();
    let net = LogicNet::new(20, &[48, 40, 30], 3, 2.5, Init::Gaussian, 9, &device);
    let x: Vec<f32> = (0..20 * batch).map(|i| ((i * 7919 + i / 3) % 5 == 0) as u8 as f32).collect();
    let y: Vec<u32> = (0..batch as u32).map(|i| (i * 5 + 1) % 3).collect();
    (net, x, y, device)
}

#[test]
fn fused_kernel_matches_autodiff() {
    // 45 samples: two parallel tasks, the last block partial.
    let batch = 45;
    let (mut net, x, y, device) = fused_case(batch);
    net.temperature = 0.7; // an annealed softmax, so the temperature's gradient is checked too
    let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [20, batch]), &device);
    let mut onehot = vec![0f32; batch * 3];
    for (i, &c) in y.iter().enumerate() {
        onehot[i * 3 + c as usize] = 1.0;
    }
    let target = Tensor::<2>::from_data(TensorData::new(onehot, [batch, 3]), &device);
    let loss = burn::tensor::loss::cross_entropy_with_logits(net.forward(xt), target);
    let loss_value = loss.clone().into_scalar::<f32>() as f64;
    let grads = loss.backward();
    let wiring: Vec<_> = net.layers.iter().map(|l| l.wiring()).collect();
    let samples: Vec<usize> = (0..batch).collect();
    let logits = net.host_logits();
    let network =
        fused::Network { wiring: &wiring, logits: &logits, classes: 3, tau: 2.5, temperature: 0.7, hard: false };
    let r = fused::step(&network, fused::Encoded { x: &x, samples: batch }, &samples, &y);
    assert!((r.loss - loss_value).abs() < 1e-5, "fused loss {} vs autodiff {loss_value}", r.loss);
    for (l, layer) in net.layers.iter().enumerate() {
        let auto: Vec<f32> = layer.logits.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
        let scale = auto.iter().fold(0f32, |m, g| m.max(g.abs()));
        assert!(scale > 0.0);
        for (k, (a, f)) in auto.iter().zip(&r.grads[l]).enumerate() {
            assert!((a - f).abs() <= 1e-4 * scale, "layer {l} logit {k}: autodiff {a} vs fused {f}");
        }
    }
}

#[test]
fn fused_kernel_does_not_depend_on_thread_count() {
    let batch = 128;
    let (net, x, y, _) = fused_case(batch);
    let wiring: Vec<_> = net.layers.iter().map(|l| l.wiring()).collect();
    let logits = net.host_logits();
    let samples: Vec<usize> = (0..batch).rev().collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let network =
            fused::Network { wiring: &wiring, logits: &logits, classes: 3, tau: 2.5, temperature: 1.0, hard: false };
        pool.install(|| fused::step(&network, fused::Encoded { x: &x, samples: batch }, &samples, &y))
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.loss.to_bits(), b.loss.to_bits());
    assert_eq!(a.grads, b.grads);
}

#[test]
fn same_seed_same_model() {
    let data = xor_data();
    let (a, _, _) = train(&small_config(5), &data, &data, |_| {}).unwrap();
    let (b, _, _) = train(&small_config(5), &data, &data, |_| {}).unwrap();
    assert_eq!(lgn_compiler::model::to_bytes(&a).unwrap(), lgn_compiler::model::to_bytes(&b).unwrap());
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let data = xor_data();
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run.ckpt");
    let whole = TrainConfig { checkpoint: Some(dir.path().join("whole.ckpt")), ..small_config(4) };
    let (a, _, ha) = train(&whole, &data, &data, |_| {}).unwrap();
    let first = TrainConfig { checkpoint: Some(ckpt.clone()), ..small_config(2) };
    train(&first, &data, &data, |_| {}).unwrap();
    let mut epochs_seen = Vec::new();
    let rest = TrainConfig { resume: true, ..TrainConfig { checkpoint: Some(ckpt.clone()), ..small_config(4) } };
    let (b, _, hb) = train(&rest, &data, &data, |e| {
        if let lgn_models::Event::EpochStart { epoch, .. } = e {
            epochs_seen.push(epoch)
        }
    })
    .unwrap();
    assert_eq!(epochs_seen, [3, 4], "a resumed run trains only the remaining epochs");
    assert_eq!(lgn_compiler::model::to_bytes(&a).unwrap(), lgn_compiler::model::to_bytes(&b).unwrap());
    let losses = |h: &lgn_models::History| h.iter().map(|r| (r.epoch, r.loss)).collect::<Vec<_>>();
    assert_eq!(losses(&ha), losses(&hb));
    // Another configuration must not resume from it.
    let other = TrainConfig { resume: true, checkpoint: Some(ckpt), seed: 4, ..small_config(4) };
    let e = train(&other, &data, &data, |_| {}).unwrap_err().to_string();
    assert!(e.contains("another configuration"), "{e}");
    // A damaged checkpoint is an error naming the file, not a panic.
    let damaged = dir.path().join("damaged.ckpt");
    std::fs::write(&damaged, b"\x08\0\0\0\0\0\0\0{}      ").unwrap();
    let cfg = TrainConfig { resume: true, checkpoint: Some(damaged), ..small_config(4) };
    assert!(train(&cfg, &data, &data, |_| {}).unwrap_err().to_string().contains("damaged.ckpt"));
    let missing = TrainConfig { resume: true, checkpoint: Some(dir.path().join("none.ckpt")), ..small_config(4) };
    assert!(train(&missing, &data, &data, |_| {}).unwrap_err().to_string().contains("no checkpoint"));
}

#[test]
fn fine_tuning_starts_from_the_checkpoints_gates() {
    let data = xor_data();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.ckpt");
    let (a, _, _) =
        train(&TrainConfig { checkpoint: Some(source.clone()), ..small_config(3) }, &data, &data, |_| {}).unwrap();
    let bytes = |m: &lgn_compiler::model::Model| lgn_compiler::model::to_bytes(m).unwrap();
    // Learning rate 0: the fine-tuned network is the checkpoint's, whatever the other options.
    let still = TrainConfig { lr: 0.0, batch: 4, epochs: 2, cosine: true, ..small_config(1) };
    let tuned = TrainConfig { init_from: Some(source.clone()), ..still.clone() };
    let (b, _, hb) = train(&tuned, &data, &data, |_| {}).unwrap();
    assert_eq!(hb.len(), 2, "a fine-tuning run trains its own epochs, not the source's remainder");
    assert_eq!(bytes(&a), bytes(&b));
    let (fresh, _, _) = train(&still, &data, &data, |_| {}).unwrap();
    assert_ne!(bytes(&a), bytes(&fresh), "without init_from the run starts from new random logits");
    // Another wiring (seed) or width is another network.
    for other in [TrainConfig { seed: 4, ..tuned.clone() }, TrainConfig { widths: vec![24, 24, 10], ..tuned.clone() }] {
        let e = train(&other, &data, &data, |_| {}).unwrap_err().to_string();
        assert!(e.contains("another network") && e.contains("source.ckpt"), "{e}");
    }
    let missing = TrainConfig { init_from: Some(dir.path().join("none.ckpt")), ..tuned };
    assert!(train(&missing, &data, &data, |_| {}).unwrap_err().to_string().contains("no checkpoint"));
}

#[test]
fn reported_accuracy_is_what_the_saved_file_gets() {
    let data = xor_data();
    let mut cfg = small_config(3);
    cfg.seed = 11;
    let (model, _, history) = train(&cfg, &data, &data, |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.lgn");
    lgn_compiler::model::save(&model, &path).unwrap();
    let loaded = lgn_compiler::model::load(&path).unwrap();
    let clf = Classifier::new(&loaded, lgn_runtime::engine::interp::build(&lgn_compiler::lower(&loaded), 1)).unwrap();
    let pred = clf.predict(data.inputs()).unwrap();
    let acc = pred.iter().zip(&data.y).filter(|(p, y)| p == y).count() as f64 / data.len() as f64;
    assert_eq!(acc, history.last().unwrap().test_acc_discrete);
}

#[test]
fn peaked_relaxation_equals_compiled_counts() {
    // With one-hot logits scaled up, the relaxed network on {0,1} inputs computes exactly the discrete one.
    let device = Device::default();
    let mut net = LogicNet::new(12, &[40, 30, 12], 3, 1.0, Init::Gaussian, 5, &device);
    for l in net.layers.iter_mut() {
        let ids = l.discretize();
        let peaked: Vec<f32> =
            ids.iter().flat_map(|&g| (0..16u8).map(move |i| if i == g { 60.0 } else { 0.0 })).collect();
        l.logits =
            burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(peaked, [l.width(), 16]), &device));
    }
    let data = Dataset {
        source: "bits".into(),
        shape: vec![12],
        x: Features::F32((0..12 * 64).map(|i| ((i * 7919 % 13) % 2) as f32).collect()),
        y: vec![0; 64],
        classes: 3,
    };
    let enc = encode::fit(&data, 1, Placement::Uniform);
    let model = net.export(&enc, &[12]).unwrap();
    let x = Tensor::from_data(TensorData::new(encode::encode(&data, &enc), [12, 64]), &device);
    let relaxed: Vec<f32> = net.forward(x).into_data().try_into_vec::<f32>().unwrap();
    let clf = Classifier::new(&model, lgn_runtime::engine::interp::build(&lgn_compiler::lower(&model), 1)).unwrap();
    let Features::F32(raw) = &data.x else { unreachable!() };
    let counts = clf.scores(Inputs::F32(raw)).unwrap();
    for (r, c) in relaxed.iter().zip(&counts) {
        assert!((r - *c as f32).abs() < 1e-3, "relaxed {r} vs compiled {c}");
    }
}

#[test]
fn layer_gradient_matches_finite_differences() {
    let device = Device::default().autodiff();
    let net = LogicNet::new(6, &[10, 4], 2, 2.0, Init::Gaussian, 7, &device);
    let x: Vec<f32> = (0..6 * 5).map(|i| (i * 37 % 11) as f32 / 10.0).collect();
    let x = Tensor::<2>::from_data(TensorData::new(x, [6, 5]), &device);
    let target = Tensor::<2>::from_data(
        TensorData::new(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0], [5, 2]),
        &device,
    );
    let loss_of = |n: &LogicNet| burn::tensor::loss::cross_entropy_with_logits(n.forward(x.clone()), target.clone());
    let grads = loss_of(&net).backward();
    let g: Vec<f32> = net.layers[0].logits.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
    let base: Vec<f32> = net.layers[0].logits.val().into_data().try_into_vec::<f32>().unwrap();
    let eps = 1e-2f32;
    for k in [0usize, 5, 17, 42, 99, 150] {
        let value = |delta: f32| {
            let mut n = LogicNet::new(6, &[10, 4], 2, 2.0, Init::Gaussian, 7, &device);
            let mut w = base.clone();
            w[k] += delta;
            n.layers[0].logits =
                burn::module::Param::from_tensor(Tensor::from_data(TensorData::new(w, [10, 16]), &device));
            loss_of(&n).into_scalar::<f32>()
        };
        let fd = (value(eps) - value(-eps)) / (2.0 * eps);
        assert!((fd - g[k]).abs() < 2e-3 + 0.05 * g[k].abs(), "logit {k}: autodiff {} vs finite difference {fd}", g[k]);
    }
}
