//! The JIT engine against the reference interpreter, bit for bit, on random netlists: all 16 gate ids,
//! constants, pass-throughs, long chains, wide layers, odd batch sizes, every vector width and reuse window.

mod common;
use common::run_block;
use lgn_compiler::backend::jit::{Codegen, JitOptions, OptLevel};
use lgn_compiler::backend::x86::Isa;
use lgn_compiler::ir::{Netlist, Signal};
use lgn_compiler::{GateOp, lower};
use lgn_runtime::engine::{Engine, interp, jit::JitEngine};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random netlist: gates read any earlier signal (biased to recent ones, giving long chains), with adder
/// trees as outputs like a lowered model.
fn random_netlist(seed: u64) -> Netlist {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ni = rng.random_range(1..=64usize);
    let gates = rng.random_range(0..=600usize);
    let mut net = Netlist::new(ni);
    for _ in 0..gates {
        let n = net.num_signals() as u32;
        let pick = |rng: &mut ChaCha8Rng| {
            if rng.random_bool(0.5) { n - 1 - rng.random_range(0..n.min(4)) } else { rng.random_range(0..n) }
        };
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        net.push(GateOp::from_id(rng.random_range(0..16u8)).unwrap(), Signal(a), Signal(b));
    }
    let classes = rng.random_range(1..=4usize);
    let n = net.num_signals() as u32;
    let group = rng.random_range(1..=20usize);
    let bits: Vec<Vec<Signal>> =
        (0..classes).map(|_| (0..group).map(|_| Signal(rng.random_range(0..n))).collect()).collect();
    net.outputs = bits.iter().map(|b| lgn_compiler::lower::popcount(&mut net, b)).collect();
    assert!(net.verify().is_empty());
    net
}

/// Cranelift, AVX2 or AVX-512 by number; Cranelift where the CPU lacks the extension.
fn codegen_of(n: u8) -> Codegen {
    match n {
        1 if Isa::Avx2.available() => Codegen::Avx2,
        2 if Isa::Avx512.available() => Codegen::Avx512,
        _ => Codegen::Cranelift,
    }
}

fn cases() -> u32 {
    std::env::var("LGN_TEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn jit_matches_interpreter(seed in any::<u64>(), vectors_log in 0u32..3, window in 0usize..12,
                               chunk in 1usize..300, speed in any::<bool>(), emitter in 0u8..3) {
        let codegen = codegen_of(emitter);
        let net = random_netlist(seed);
        let vectors = 1usize << vectors_log;
        let opts = JitOptions { codegen, vectors, chunk_gates: chunk, window, opt_level: if speed { OptLevel::Speed } else { OptLevel::None }, threads: 1 };
        let jit = JitEngine::new(&net, &opts).unwrap();
        let words = jit.words();
        let reference = interp::build(&net, words);
        prop_assert_eq!(reference.words(), words);
        let mut rng = ChaCha8Rng::seed_from_u64(!seed);
        let inputs: Vec<u64> = (0..net.num_inputs * words).map(|_| rng.random()).collect();
        prop_assert_eq!(run_block(&jit, &inputs), run_block(&*reference, &inputs));
    }
}

#[test]
fn jit_runs_a_lowered_model_like_the_interpreter() {
    let model = lgn_compiler::model::RandomSpec::dense(100, 2, 3, 300, 10, 9).build().unwrap();
    let net = lower(&model);
    let jit = JitEngine::new(&net, &JitOptions { threads: 2, ..JitOptions::default() }).unwrap();
    let reference = interp::build(&net, jit.words());
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let inputs: Vec<u64> = (0..net.num_inputs * jit.words()).map(|_| rng.random()).collect();
    assert_eq!(run_block(&jit, &inputs), run_block(&*reference, &inputs));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    /// Convolutional models lowered to loops: the loops run as loops in the generated code (AVX-512, AVX2
    /// and Cranelift), on all input bits of a block, bit for bit like the interpreter.
    #[test]
    fn jit_matches_interpreter_on_conv_models(seed in any::<u64>(), vectors_log in 0u32..3, window in 0usize..12,
                                              optimize in any::<bool>(), emitter in 0u8..3) {
        let codegen = codegen_of(emitter);
        let model = lgn_compiler::testing::random_conv_model(seed);
        let mut net = lower(&model);
        if optimize {
            net = lgn_compiler::passes::optimize(&net, lgn_compiler::passes::OptLevel::O2).0;
        }
        let opts = JitOptions { codegen, vectors: 1 << vectors_log, chunk_gates: 64, window, opt_level: OptLevel::None, threads: 1 };
        let jit = JitEngine::new(&net, &opts).unwrap();
        let words = jit.words();
        let reference = interp::build(&net, words);
        let mut rng = ChaCha8Rng::seed_from_u64(!seed);
        let inputs: Vec<u64> = (0..net.input_bits() * words).map(|_| rng.random()).collect();
        prop_assert_eq!(run_block(&jit, &inputs), run_block(&*reference, &inputs));
    }
}

/// A network too large for two vectors per signal keeps one, but the code generators are still candidates:
/// one vector of AVX2 against one of AVX-512 where the CPU has it (a 599k-gate Fashion-MNIST network ran 24%
/// faster on AVX-512, and was not timed when only block sizes were).
#[test]
fn large_networks_time_code_generators_with_one_vector() {
    use lgn_compiler::backend::jit::ONE_VECTOR_ABOVE_GATES;
    use lgn_runtime::compile::candidates;
    let mut big = Netlist::new(2);
    let mut last = Signal(1);
    for i in 0..=ONE_VECTOR_ABOVE_GATES {
        last = big.push(GateOp::from_id((i % 16) as u8).unwrap(), Signal(0), last);
    }
    big.outputs = vec![vec![last]];
    let c = candidates(&big, &JitOptions::default());
    assert!(c.iter().all(|c| c.vectors == 1), "{c:?}");
    assert_eq!(c.len(), if Isa::Avx512.available() { 2 } else { 1 }, "{c:?}");
    let small = lgn_compiler::lower(&lgn_compiler::model::RandomSpec::dense(100, 1, 2, 50, 10, 1).build().unwrap());
    assert!(candidates(&small, &JitOptions::default()).iter().any(|c| c.vectors == 2));
}

/// Automatic vectors: `compile` times the candidate block sizes on the caller's pool, keeps one of them, and
/// the classifier it keeps predicts like the interpreter; given vectors are compiled as given, untimed.
#[test]
fn timed_block_size_is_a_candidate_and_predicts_like_the_interpreter() {
    use lgn_runtime::compile::{CompileOptions, EngineKind, candidates, compile};
    let model = lgn_compiler::model::RandomSpec::dense(100, 2, 3, 300, 10, 4).build().unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let auto = pool.install(|| compile(&model, &CompileOptions::default())).unwrap();
    let timing = auto.vector_timing.as_ref().expect("automatic vectors are timed");
    assert_eq!(timing.timing.threads, 2);
    let net = lgn_compiler::passes::optimize(&lower(&model), lgn_compiler::passes::OptLevel::O2).0;
    assert_eq!(timing.candidates, candidates(&net, &JitOptions::default()));
    assert_eq!(timing.timing.samples_per_second.len(), timing.candidates.len());
    let chosen = timing.chosen();
    let report = auto.clf.engine().report();
    let line = |key: &str| report.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()).expect("a report line");
    assert_eq!(line("vectors"), chosen.vectors.to_string());
    assert_eq!(line("codegen").to_lowercase(), chosen.codegen.name());

    let interp = compile(&model, &CompileOptions { engine: EngineKind::Interp, ..Default::default() }).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x: Vec<u8> = (0..1000 * 100).map(|_| rng.random()).collect();
    let x = lgn_runtime::Inputs::U8(&x);
    assert_eq!(auto.clf.scores(x).unwrap(), interp.clf.scores(x).unwrap());

    let jit = JitOptions { vectors: 3, ..JitOptions::default() };
    let fixed = compile(&model, &CompileOptions { jit, ..Default::default() }).unwrap();
    assert!(fixed.vector_timing.is_none());
    assert_eq!(fixed.clf.scores(x).unwrap(), interp.clf.scores(x).unwrap());
}
