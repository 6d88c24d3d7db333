//! The reference interpreter against the naive oracle on random models (property test).
//!
//! Random widths, depths, wiring, all 16 gate ids, shared and per-feature thresholds, both comparisons,
//! u8 and f32 inputs, and batch sizes that are not multiples of 64. `LGN_TEST_CASES` overrides the count.

use lgn_compiler::GateOp;
use lgn_compiler::model::{Comparison, Dense, Layer, Model, Threshold};
use lgn_runtime::engine::interp;
use lgn_runtime::{Classifier, Inputs, oracle};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random valid model drawn from `seed`.
fn random_model(seed: u64) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let features = rng.random_range(1..=40usize);
    let k = rng.random_range(1..=3usize);
    let shared = rng.random_bool(0.5);
    let comparison = if rng.random_bool(0.5) { Comparison::Gt } else { Comparison::Ge };
    let nvals = if shared { k } else { features * k };
    // Integers and halves around the u8 range, so that both comparisons and the clamping are exercised.
    let values = (0..nvals).map(|_| rng.random_range(-4..=520) as f32 / 2.0).collect();
    let encoder = Threshold { features, per_feature: k, shared, comparison, values };
    let classes = rng.random_range(1..=5usize);
    let depth = rng.random_range(0..=5usize);
    let mut prev = encoder.outputs();
    let mut layers = vec![Layer::Threshold(encoder)];
    for l in 0..depth {
        let mut width = rng.random_range(1..=70usize);
        if l + 1 == depth {
            width = classes * width.div_ceil(classes);
        }
        let gates = (0..width).map(|_| GateOp::from_id(rng.random_range(0..16u8)).unwrap()).collect();
        let wires = (0..width).map(|_| [rng.random_range(0..prev as u32), rng.random_range(0..prev as u32)]).collect();
        layers.push(Layer::Dense(Dense { inputs: prev, gates, wires }));
        prev = width;
    }
    // Group sum straight over the encoder bits needs a divisible width: count a single class then.
    let classes = if prev.is_multiple_of(classes) { classes } else { 1 };
    layers.push(Layer::GroupSum);
    let m = Model { input_shape: vec![features], layers, classes, tau: 1.0 };
    m.validate().unwrap();
    m
}

fn cases() -> u32 {
    std::env::var("LGN_TEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn interpreter_matches_oracle(seed in any::<u64>(), n in 1usize..300, words_log in 0u32..4, use_f32 in any::<bool>()) {
        let model = random_model(seed);
        let net = lgn_compiler::lower(&model);
        prop_assert!(net.verify().is_empty(), "{:?}", net.verify());
        let clf = Classifier::new(&model, interp::build(&net, 1 << words_log)).unwrap();
        let f = model.features();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let xs: Vec<u8> = (0..n * f).map(|_| rng.random()).collect();
        let xf: Vec<f32> = xs.iter().map(|&b| b as f32 + if use_f32 { 0.25 } else { 0.0 }).collect();
        let inputs = if use_f32 { Inputs::F32(&xf) } else { Inputs::U8(&xs) };
        let scores = clf.scores(inputs).unwrap();
        let preds = clf.predict(inputs).unwrap();
        for s in 0..n {
            let x = &xf[s * f..(s + 1) * f];
            let expect = oracle::scores(&model, x);
            prop_assert_eq!(&scores[s * model.classes..(s + 1) * model.classes], &expect[..], "sample {}", s);
            prop_assert_eq!(preds[s], oracle::predict(&model, x), "sample {}", s);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    /// Optimise, store as a `netlist` layer, load: the oracle of the stored model, the oracle of the original
    /// and the interpreter all agree.
    #[test]
    fn optimized_model_round_trips(seed in any::<u64>(), n in 1usize..200) {
        let model = random_model(seed);
        let (net, _) = lgn_compiler::passes::optimize(&lgn_compiler::lower(&model), lgn_compiler::passes::OptLevel::O2);
        let raised = lgn_compiler::lower::raise(&model, &net);
        let bytes = lgn_compiler::model::to_bytes(&raised).unwrap();
        let loaded = lgn_compiler::model::from_bytes(&bytes, std::path::Path::new("opt.lgn")).unwrap();
        prop_assert_eq!(&loaded, &raised);
        let clf = Classifier::new(&loaded, interp::build(&lgn_compiler::lower(&loaded), 2)).unwrap();
        let f = model.features();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let xs: Vec<u8> = (0..n * f).map(|_| rng.random()).collect();
        let scores = clf.scores(Inputs::U8(&xs)).unwrap();
        for s in 0..n {
            let x: Vec<f32> = xs[s * f..(s + 1) * f].iter().map(|&b| b as f32).collect();
            let expect = oracle::scores(&model, &x);
            prop_assert_eq!(&oracle::scores(&loaded, &x), &expect);
            prop_assert_eq!(&scores[s * model.classes..(s + 1) * model.classes], &expect[..]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    /// Convolutional models: tree convolutions (padding, stride, depth), OR pools and dense layers, lowered
    /// to loops, against the oracle's position-by-position evaluation.
    #[test]
    fn interpreter_matches_oracle_on_conv_models(seed in any::<u64>(), n in 1usize..150, words_log in 0u32..4) {
        let model = lgn_compiler::testing::random_conv_model(seed);
        // Through the file format (version 3) and back.
        let bytes = lgn_compiler::model::to_bytes(&model).unwrap();
        let model = lgn_compiler::model::from_bytes(&bytes, std::path::Path::new("conv.lgn")).unwrap();
        let net = lgn_compiler::lower(&model);
        prop_assert!(net.verify().is_empty(), "{:?}", net.verify());
        // Every other case runs the optimised netlist (kernels optimised one by one).
        let net = if seed % 2 == 0 { lgn_compiler::passes::optimize(&net, lgn_compiler::passes::OptLevel::O2).0 } else { net };
        prop_assert!(net.verify().is_empty(), "{:?}", net.verify());
        let clf = Classifier::new(&model, interp::build(&net, 1 << words_log)).unwrap();
        let f = model.features();
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 1);
        let x: Vec<u8> = (0..n * f).map(|_| rng.random_range(0..=255u8)).collect();
        let got = clf.scores(Inputs::U8(&x)).unwrap();
        for (i, sample) in x.chunks(f).enumerate() {
            let xf: Vec<f32> = sample.iter().map(|&v| v as f32).collect();
            let want = oracle::scores(&model, &xf);
            prop_assert_eq!(&got[i * model.classes..(i + 1) * model.classes], &want[..], "sample {}", i);
        }
    }
}
