//! Images/second of each engine on the random 6×8000 MNIST-shaped model (packing, gates, GroupSum and argmax
//! included), on 1 and 2 threads. Run with `cargo bench --bench engines`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lgn_compiler::backend::jit::{Codegen, JitOptions};
use lgn_compiler::model::RandomSpec;
use lgn_runtime::data::{self, Features, Split};
use lgn_runtime::engine::jit::JitEngine;
use lgn_runtime::engine::{Engine, interp};
use lgn_runtime::{Classifier, Inputs};

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
    if lgn_compiler::backend::x86::available() {
        let avx2 = JitOptions { codegen: Codegen::Avx2, ..JitOptions::default() };
        engines.push(("jit-avx2", Box::new(JitEngine::new(&net, &avx2).unwrap())));
    }
    for (name, engine) in engines {
        let clf = Classifier::new(&model, engine).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            g.bench_function(format!("{name}/{threads}t"), |b| {
                b.iter(|| pool.install(|| clf.predict(Inputs::U8(&x)).unwrap()))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, engines);
criterion_main!(benches);
