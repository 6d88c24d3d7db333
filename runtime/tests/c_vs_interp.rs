//! The C backend against the reference interpreter, bit for bit: many random netlists built by the system C
//! compiler in one invocation, plus whole models through the library's own packing and argmax.

mod common;
use common::run_block;
use lgn_compiler::backend::c;
use lgn_compiler::model::{RandomSpec, Threshold};
use lgn_compiler::testing::random_netlist;
use lgn_runtime::engine::c::{CEngine, COptions, compiler_available, write_files};
use lgn_runtime::engine::interp;
use lgn_runtime::{Classifier, Inputs};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn random_netlists_match_interpreter() {
    let opts = COptions::default();
    if !compiler_available(&opts) {
        eprintln!("skipping: no C compiler");
        return;
    }
    let cases: usize = std::env::var("LGN_TEST_C_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let mut nets = Vec::new();
    let mut files = Vec::new();
    for i in 0..cases {
        let net = random_netlist(1000 + i as u64, 64, 400);
        let enc = Threshold::uniform(net.num_inputs, 1, 0.0, 255.0);
        let code = c::emit(&net, &enc, &format!("n{i}"));
        let (_, src) = write_files(&code, dir.path(), &format!("n{i}")).unwrap();
        files.push(src);
        nets.push((net, code));
    }
    let lib = dir.path().join("libnets.so");
    let status = std::process::Command::new(&opts.cc)
        .args(["-O1", "-shared", "-fPIC", "-o"])
        .arg(&lib)
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success());
    let lib = unsafe { libloading::Library::new(&lib) }.unwrap();
    for (i, (net, code)) in nets.iter().enumerate() {
        let f = unsafe { *lib.get::<unsafe extern "C" fn(*mut u64)>(format!("n{i}_eval_block\0").as_bytes()).unwrap() };
        let reference = interp::build(net, c::WORDS);
        let mut rng = ChaCha8Rng::seed_from_u64(i as u64);
        let inputs: Vec<u64> = (0..net.num_inputs * c::WORDS).map(|_| rng.random()).collect();
        let mut scratch = vec![0u64; code.scratch_words.max(inputs.len())];
        scratch[..inputs.len()].copy_from_slice(&inputs);
        unsafe { f(scratch.as_mut_ptr()) };
        let got: Vec<u64> = code
            .outputs
            .iter()
            .flat_map(|&s| scratch[s as usize * c::WORDS..(s as usize + 1) * c::WORDS].to_vec())
            .collect();
        assert_eq!(got, run_block(&*reference, &inputs), "netlist {i}");
    }
}

#[test]
fn models_match_through_the_c_api() {
    let opts = COptions { flags: vec!["-O1".into()], ..COptions::default() };
    if !compiler_available(&opts) {
        eprintln!("skipping: no C compiler");
        return;
    }
    for (seed, k, n) in [(1u64, 1usize, 1usize), (2, 3, 777), (3, 2, 513)] {
        let model = RandomSpec::dense(50, k, 3, 120, 6, seed).build().unwrap();
        let net = lgn_compiler::lower(&model);
        let engine = CEngine::build(&net, model.encoder(), &opts).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<u8> = (0..n * 50).map(|_| rng.random()).collect();
        let reference = Classifier::new(&model, interp::build(&net, 8)).unwrap();
        let expect = reference.predict(Inputs::U8(&x)).unwrap();
        let got: Vec<u32> = engine.predict_native(&x, n).unwrap().into_iter().map(u32::from).collect();
        assert_eq!(got, expect, "predict, seed {seed}");
        assert_eq!(engine.scores_native(&x, n).unwrap(), reference.scores(Inputs::U8(&x)).unwrap(), "scores");
        // The same library driven through the engine contract.
        let clf = Classifier::new(&model, Box::new(engine)).unwrap();
        assert_eq!(clf.predict(Inputs::U8(&x)).unwrap(), expect);
    }
}

/// Convolutional models: the generated C loops over positions (padding, stride, pooling) agree with the
/// interpreter, through the library's own packing and argmax and through the engine contract.
#[test]
fn conv_models_match_through_the_c_api() {
    let opts = COptions { flags: vec!["-O1".into()], ..COptions::default() };
    if !compiler_available(&opts) {
        eprintln!("skipping: no C compiler");
        return;
    }
    for seed in 0..12u64 {
        let model = lgn_compiler::testing::random_conv_model(seed);
        let mut net = lgn_compiler::lower(&model);
        if seed % 2 == 1 {
            net = lgn_compiler::passes::optimize(&net, lgn_compiler::passes::OptLevel::O2).0;
        }
        let engine = CEngine::build(&net, model.encoder(), &opts).unwrap();
        let (f, n) = (model.features(), 300 + seed as usize * 37);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<u8> = (0..n * f).map(|_| rng.random()).collect();
        let reference = Classifier::new(&model, interp::build(&net, 8)).unwrap();
        let expect = reference.scores(Inputs::U8(&x)).unwrap();
        assert_eq!(engine.scores_native(&x, n).unwrap(), expect, "scores, seed {seed}");
        let clf = Classifier::new(&model, Box::new(engine)).unwrap();
        assert_eq!(clf.scores(Inputs::U8(&x)).unwrap(), expect, "engine contract, seed {seed}");
    }
}
