//! JIT compile time (lowered netlist → executable code) for the 6×8000 MNIST-shaped model (48k logic gates,
//! 87.6k netlist gates with the GroupSum adder trees) and a 1M-logic-gate model (10 × 100,000).
//! Run with `cargo bench --bench compile`.

use criterion::{Criterion, criterion_group, criterion_main};
use lgn_compiler::backend::jit::{self, Codegen, JitOptions};
use lgn_compiler::model::RandomSpec;

fn compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("jit_compile");
    g.sample_size(10);
    let nets = [
        ("48k", lgn_compiler::lower(&RandomSpec::dense(784, 1, 6, 8000, 10, 1).build().unwrap())),
        ("1M", lgn_compiler::lower(&RandomSpec::dense(784, 1, 10, 100_000, 10, 1).build().unwrap())),
    ];
    let mut codegens = vec![("cranelift", Codegen::Cranelift)];
    if lgn_compiler::backend::x86::available() {
        codegens.push(("avx2", Codegen::Avx2));
    }
    for (size, net) in &nets {
        for &(name, codegen) in &codegens {
            let opts = JitOptions { codegen, ..JitOptions::default() };
            g.bench_function(format!("{name}/{size}"), |b| b.iter(|| jit::compile(net, &opts).unwrap()));
        }
    }
    g.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
