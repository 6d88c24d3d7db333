//! Images/second of each engine on the random 6×8000 MNIST-shaped model and on the random CIFAR-10 presets S
//! and M (packing, gates, GroupSum and argmax included), on 1 and 2 threads. Run with
//! `cargo bench --bench engines`. The `packing` group times threshold encoding and bit packing alone.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lgn_compiler::backend::jit::{Codegen, JitOptions};
use lgn_compiler::backend::x86::Isa;
use lgn_compiler::model::RandomSpec;
use lgn_runtime::data::{self, Features, Split};
use lgn_runtime::encode::PackBuffer;
use lgn_runtime::engine::jit::JitEngine;
use lgn_runtime::engine::{Engine, interp};
use lgn_runtime::{Classifier, Encoder, Inputs};

const BATCH: usize = 102_400;

fn images() -> Vec<u8> {
    let test = data::load("mnist10k", Split::Test).expect("mnist10k ships in data/");
    let Features::U8(px) = test.x else { unreachable!("images are bytes") };
    px.iter().copied().cycle().take(BATCH * 784).collect()
}

fn engines(c: &mut Criterion) {
    let model = RandomSpec::dense(784, 1, 6, 8000, 10, 1).build().unwrap();
    let net = lgn_compiler::lower(&model);
    let x = images();
    let mut g = c.benchmark_group("mnist_6x8000");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    let mut engines: Vec<(&str, Box<dyn Engine>)> = vec![("interp", interp::build(&net, interp::DEFAULT_WORDS))];
    let cranelift = JitOptions { codegen: Codegen::Cranelift, ..JitOptions::default() };
    engines.push(("jit-cranelift", Box::new(JitEngine::new(&net, &cranelift).unwrap())));
    if Isa::Avx2.available() {
        let avx2 = JitOptions { codegen: Codegen::Avx2, ..JitOptions::default() };
        engines.push(("jit-avx2", Box::new(JitEngine::new(&net, &avx2).unwrap())));
    }
    if Isa::Avx512.available() {
        let avx512 = JitOptions { codegen: Codegen::Avx512, ..JitOptions::default() };
        engines.push(("jit-avx512", Box::new(JitEngine::new(&net, &avx512).unwrap())));
    }
    bench_engines(&mut g, &model, engines, &x);
    g.finish();
}

/// Each engine on 1 and 2 threads, classifying `x`.
fn bench_engines(
    g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    model: &lgn_compiler::Model,
    engines: Vec<(&str, Box<dyn Engine>)>,
    x: &[u8],
) {
    for (name, engine) in engines {
        let clf = Classifier::new(model, engine).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            g.bench_function(format!("{name}/{threads}t"), |b| {
                b.iter(|| pool.install(|| clf.predict(Inputs::U8(x)).unwrap()))
            });
        }
    }
}

/// The LogicTreeNet CIFAR-10 presets S and M with random gates (3×32×32 input, 3 thresholds per channel):
/// loops over positions in every engine. Random bytes as images (speed does not depend on the values).
fn conv_engines(c: &mut Criterion) {
    const N: usize = 8192;
    let x: Vec<u8> = (0..N * 3072).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    for preset in ["cifar-s", "cifar-m"] {
        let model = lgn_compiler::model::random::preset(preset, 1.0, 3).unwrap().build().unwrap();
        let (net, _) = lgn_compiler::passes::optimize(&lgn_compiler::lower(&model), lgn_compiler::passes::OptLevel::O2);
        let mut g = c.benchmark_group(preset);
        g.throughput(Throughput::Elements(N as u64));
        g.sample_size(10);
        let mut engines: Vec<(&str, Box<dyn Engine>)> = Vec::new();
        if preset == "cifar-s" {
            engines.push(("interp", interp::build(&net, interp::DEFAULT_WORDS)));
        }
        engines.push(("jit", Box::new(JitEngine::new(&net, &JitOptions::default()).unwrap())));
        bench_engines(&mut g, &model, engines, &x);
        g.finish();
    }
}

/// Threshold encoding and bit packing alone, one thread, blocks of 256 samples: MNIST images with 1 threshold
/// per pixel, CIFAR-10-shaped random bytes with 3.
fn packing(c: &mut Criterion) {
    const WORDS: usize = 4;
    let mnist = RandomSpec::dense(784, 1, 1, 10, 10, 1).build().unwrap();
    let cifar = lgn_compiler::model::random::preset("cifar-s", 1.0, 3).unwrap().build().unwrap();
    let cifar_x: Vec<u8> = (0..8192 * 3072usize).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let mut g = c.benchmark_group("packing");
    g.sample_size(10);
    for (name, model, x) in [("mnist-784x1", &mnist, images()), ("cifar-3072x3", &cifar, cifar_x)] {
        let enc = Encoder::new(model.encoder());
        let features = enc.features();
        let mut planes = vec![0u64; enc.bits() * WORDS];
        let mut buf = PackBuffer::default();
        g.throughput(Throughput::Elements((x.len() / features) as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for block in x.chunks(64 * WORDS * features) {
                    enc.pack(Inputs::U8(block), WORDS, &mut planes, &mut buf);
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, engines, conv_engines, packing);
criterion_main!(benches);
