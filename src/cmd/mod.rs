//! One module per command; shared helpers here.

mod bench;
mod demo;
mod emit;
mod eval;
mod init;
mod inspect;
mod opt;
mod train;

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lgn_compiler::Model;
use lgn_runtime::Classifier;
use lgn_runtime::data::{self, Dataset, Split};

use crate::cli::{Cli, CodegenKind, Command, EngineKind, JitOpt, RunOpts};
use lgn_compiler::backend::jit::{Codegen, JitOptions, OptLevel};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(a) => train::run(a),
        Command::Init(a) => init::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Opt(a) => opt::run(a),
        Command::Passes => {
            for p in lgn_compiler::passes::PASSES {
                println!("{:<12} {}", p.name, p.help);
            }
            Ok(())
        }
        Command::Emit(a) => emit::run(a),
        Command::VerifyVerilog(a) => emit::verify(a),
        Command::Eval(a) => eval::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Demo(a) => demo::run(a),
    }
}

/// Loads and validates a model file.
pub fn load_model(path: &Path) -> Result<Model> {
    Ok(lgn_compiler::model::load(path)?)
}

pub use lgn_runtime::Compiled;

/// Lowers, optimises and compiles a model for the engine chosen on the command line.
pub fn compile(model: &Model, opts: &RunOpts) -> Result<Compiled> {
    let engine = match opts.engine {
        EngineKind::Interp => lgn_runtime::EngineKind::Interp,
        EngineKind::Jit => lgn_runtime::EngineKind::Jit,
        EngineKind::C => lgn_runtime::EngineKind::C,
    };
    let copts = lgn_runtime::CompileOptions {
        engine,
        opt: opt_level(opts.opt_level),
        jit: jit_options(opts),
        c: Default::default(),
    };
    if engine == lgn_runtime::EngineKind::C {
        eprintln!("building the C library with {} {}…", copts.c.cc, copts.c.flags.join(" "));
    }
    // On the pool that will run the model: the JIT times its block sizes there.
    Ok(with_threads(opts, || lgn_runtime::compile(model, &copts))??)
}

/// The optimisation level of a `-O` number (clap keeps it in 0..=2).
pub fn opt_level(n: u8) -> lgn_compiler::passes::OptLevel {
    lgn_compiler::passes::OptLevel::from_number(n).unwrap_or(lgn_compiler::passes::OptLevel::O2)
}

/// The JIT options chosen on the command line.
pub fn jit_options(opts: &RunOpts) -> JitOptions {
    JitOptions {
        codegen: match opts.codegen {
            CodegenKind::Auto => Codegen::Auto,
            CodegenKind::Cranelift => Codegen::Cranelift,
            CodegenKind::Avx2 => Codegen::Avx2,
            CodegenKind::Avx512 => Codegen::Avx512,
        },
        vectors: opts.vectors as usize,
        chunk_gates: opts.chunk,
        window: opts.window,
        opt_level: match opts.jit_opt {
            JitOpt::None => OptLevel::None,
            JitOpt::Speed => OptLevel::Speed,
        },
        threads: opts.threads.unwrap_or(0),
    }
}

/// Runs `f` on a rayon pool with the requested thread count (all cores by default).
pub fn with_threads<T: Send>(opts: &RunOpts, f: impl FnOnce() -> T + Send) -> Result<T> {
    with_threads_n(opts.threads, f)
}

/// Runs `f` on a rayon pool of `threads` threads (all cores if `None`).
pub fn with_threads_n<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        b = b.num_threads(n);
    }
    Ok(b.build().context("starting worker threads")?.install(f))
}

/// Loads a split of a data set and checks that it fits the model.
pub fn load_data(spec: &str, split: Split, model: &Model) -> Result<Dataset> {
    let d = data::load(spec, split)?;
    if d.features() != model.features() {
        bail!(
            "data set {} has {} features per sample (shape {:?}), but the model expects {} (shape {:?})",
            d.source.display(),
            d.features(),
            d.shape,
            model.features(),
            model.input_shape
        );
    }
    if d.classes > model.classes {
        bail!(
            "data set {} has labels up to {}, but the model has {} classes",
            d.source.display(),
            d.classes - 1,
            model.classes
        );
    }
    Ok(d)
}

/// Parses a split name.
pub fn parse_split(s: &str) -> Result<Split> {
    s.parse().map_err(anyhow::Error::msg)
}

/// Accuracy and confusion matrix (`[true][predicted]`).
pub fn score(pred: &[u32], truth: &[u32], classes: usize) -> (f64, Vec<Vec<u64>>) {
    let mut m = vec![vec![0u64; classes]; classes];
    let mut correct = 0;
    for (&p, &t) in pred.iter().zip(truth) {
        m[t as usize][p as usize] += 1;
        correct += (p == t) as usize;
    }
    (correct as f64 / truth.len().max(1) as f64, m)
}

/// `batch` images for timing: the data set's test images repeated, or random bytes when they do not fit.
pub fn bench_images(model: &Model, spec: &str, batch: usize) -> Vec<u8> {
    let f = model.features();
    let src = match data::load(spec, Split::Test) {
        Ok(d) if d.features() == f => match d.x {
            data::Features::U8(v) => v,
            data::Features::F32(v) => v.iter().map(|&x| x.clamp(0.0, 255.0) as u8).collect(),
        },
        _ => {
            eprintln!("(timing on random bytes: {spec} does not fit the model's {f} features)");
            lgn_runtime::tune::noise(f * 1000)
        }
    };
    src.iter().copied().cycle().take(batch * f).collect()
}

/// The best wall time of `repeat` predictions over `images` (after one warm-up pass).
pub fn best_time(clf: &Classifier, images: &[u8], repeat: usize) -> Result<f64> {
    let x = lgn_runtime::Inputs::U8(images);
    clf.predict(x)?;
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        std::hint::black_box(clf.predict(x)?);
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}
