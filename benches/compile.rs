//! JIT compile time (lowered netlist → executable code) for the 6×8000 MNIST-shaped model (48k logic gates,
//! 87.6k netlist gates with the GroupSum adder trees) and a 1M-logic-gate model (10 × 100,000).
//! Also the convolutional CIFAR-10 presets S and M from model to code. Run with `cargo bench --bench compile`.

use criterion::{Criterion, criterion_group, criterion_main};
use lgn_compiler::backend::jit::{self, Codegen, JitOptions};
use lgn_compiler::backend::x86::Isa;
use lgn_compiler::model::RandomSpec;

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("jit_compile");
    g.sample_size(10);
    let nets = [
        ("48k", lgn_compiler::lower(&RandomSpec::dense(784, 1, 6, 8000, 10, 1).build().unwrap())),
        ("1M", lgn_compiler::lower(&RandomSpec::dense(784, 1, 10, 100_000, 10, 1).build().unwrap())),
    ];
    let mut codegens = vec![("cranelift", Codegen::Cranelift)];
    if Isa::Avx2.available() {
        codegens.push(("avx2", Codegen::Avx2));
    }
    if Isa::Avx512.available() {
        codegens.push(("avx512", Codegen::Avx512));
    }
    for (size, net) in &nets {
        for &(name, codegen) in &codegens {
            let opts = JitOptions { codegen, ..JitOptions::default() };
            g.bench_function(format!("{name}/{size}"), |b| b.iter(|| jit::compile(net, &opts).unwrap()));
        }
    }
    // Convolutional presets: lowering + -O2 + code generation (what `lgn bench` reports as compile time).
    for preset in ["cifar-s", "cifar-m"] {
        let model = lgn_compiler::model::random::preset(preset, 1.0, 3).unwrap().build().unwrap();
        g.bench_function(format!("lower+opt+jit/{preset}"), |b| {
            b.iter(|| {
                let net = lgn_compiler::lower(&model);
                let (net, _) = lgn_compiler::passes::optimize(&net, lgn_compiler::passes::OptLevel::O2);
                jit::compile(&net, &JitOptions::default()).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
