//! From a model to a runnable [`Classifier`]: lowering, optimisation and an engine, in one call.
//!
//! The CLI, the trainer's per-epoch evaluation and the Python bindings all compile through here, so a model
//! gets the same netlist and the same predictions whichever door it comes in by.

use std::time::{Duration, Instant};

use lgn_compiler::backend::jit::{self, Codegen, JitOptions};
use lgn_compiler::backend::x86::Isa;
use lgn_compiler::passes::{self, OptLevel};
use lgn_compiler::{Model, Netlist};

use crate::engine::c::{self, CEngine, COptions};
use crate::engine::interp;
use crate::engine::jit::JitEngine;
use crate::error::{Error, Result};
use crate::tune;
use crate::{Classifier, Engine};

/// Which engine runs the compiled netlist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineKind {
    /// Native code generated in-process (the default).
    #[default]
    Jit,
    /// The reference interpreter.
    Interp,
    /// The C backend, built by the system C compiler and loaded.
    C,
}

impl EngineKind {
    /// Every engine.
    pub const ALL: [EngineKind; 3] = [EngineKind::Jit, EngineKind::Interp, EngineKind::C];

    /// The engine's name (`jit`, `interp`, `c`), as [`std::str::FromStr`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Jit => "jit",
            EngineKind::Interp => "interp",
            EngineKind::C => "c",
        }
    }
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        EngineKind::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown engine {s:?} (expected jit, interp or c)"))
    }
}

/// How to compile a model.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// The engine.
    pub engine: EngineKind,
    /// Optimisation passes run on the netlist.
    pub opt: OptLevel,
    /// Options of the JIT engine.
    pub jit: JitOptions,
    /// Options of the C engine.
    pub c: COptions,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            engine: EngineKind::Jit,
            opt: OptLevel::O2,
            jit: JitOptions::default(),
            c: COptions::default(),
        }
    }
}

/// A model compiled for an engine.
pub struct Compiled {
    /// The runnable classifier.
    pub clf: Classifier,
    /// Lowering, optimisation and code generation time (and the timing of the JIT's block sizes, if any).
    pub time: Duration,
    /// How the JIT's vectors per signal were chosen, when they were timed (see [`VECTOR_CANDIDATES`]).
    pub vector_timing: Option<VectorTiming>,
    /// Gates of the compiled (optimised) netlist, each loop kernel counted once.
    pub gates: usize,
    /// Gates evaluated per sample (loop kernels times their positions, plus the other gates).
    pub evaluated: usize,
}

/// Vectors per signal timed against each other when the JIT options leave the choice open.
pub const VECTOR_CANDIDATES: [usize; 2] = [1, 2];

/// One JIT configuration timed against others: a code generator and a block size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The code generator ([`Codegen::Auto`] is resolved before timing).
    pub codegen: Codegen,
    /// Vectors per signal.
    pub vectors: usize,
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.codegen.name(), self.vectors)
    }
}

/// The configurations timed when `opts` leave vectors per signal open: each of [`VECTOR_CANDIDATES`] with the
/// code generator of `opts` (automatic: AVX2 if the CPU has it, else Cranelift), only one vector for networks
/// whose code no longer fits the caches ([`jit::auto_vectors`] says 1), and, when the code generator is
/// automatic and the CPU has AVX-512, one vector of AVX-512 (faster than AVX2 on the convolutional networks
/// measured, slower on wide dense ones: the CPU decides). Fewer than two means nothing to time.
pub fn candidates(net: &Netlist, opts: &JitOptions) -> Vec<Candidate> {
    let base = match opts.codegen {
        Codegen::Auto if Isa::Avx2.available() => Codegen::Avx2,
        Codegen::Auto => Codegen::Cranelift,
        c => c,
    };
    let most = jit::auto_vectors(net);
    let mut c: Vec<Candidate> =
        VECTOR_CANDIDATES.iter().filter(|&&v| v <= most).map(|&vectors| Candidate { codegen: base, vectors }).collect();
    if opts.codegen == Codegen::Auto && Isa::Avx512.available() {
        c.push(Candidate { codegen: Codegen::Avx512, vectors: 1 });
    }
    c
}

/// How the JIT's code generator and vectors per signal were chosen by timing ([`tune::fastest`]).
#[derive(Clone, Debug, PartialEq)]
pub struct VectorTiming {
    /// The configurations timed.
    pub candidates: Vec<Candidate>,
    /// Their timing; `timing.best` indexes `candidates`.
    pub timing: tune::Timing,
}

impl VectorTiming {
    /// The configuration chosen.
    pub fn chosen(&self) -> Candidate {
        self.candidates[self.timing.best]
    }
}

impl std::fmt::Display for VectorTiming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.timing;
        write!(f, "{} (", self.chosen())?;
        for (i, (v, r)) in self.candidates.iter().zip(&t.samples_per_second).enumerate() {
            write!(f, "{}{v}: {:.3} M/s", if i > 0 { ", " } else { "" }, r / 1e6)?;
        }
        write!(f, " on {} thread(s), timed in {:.0} ms)", t.threads, t.time.as_secs_f64() * 1e3)
    }
}

/// A JIT classifier for each of `candidates`, and the one that predicts fastest on the current pool.
fn fastest_jit(
    model: &Model,
    net: &Netlist,
    opts: &JitOptions,
    candidates: Vec<Candidate>,
) -> Result<(Classifier, VectorTiming)> {
    let mut clfs = candidates
        .iter()
        .map(|c| {
            let o = JitOptions { vectors: c.vectors, codegen: c.codegen, ..opts.clone() };
            Classifier::new(model, Box::new(JitEngine::new(net, &o)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let timing = tune::fastest(&clfs.iter().collect::<Vec<_>>());
    let clf = clfs.swap_remove(timing.best);
    Ok((clf, VectorTiming { candidates, timing }))
}

/// The engine of `kind` for `net`.
fn engine(model: &Model, net: &Netlist, kind: EngineKind, opts: &CompileOptions) -> Result<Box<dyn Engine>> {
    Ok(match kind {
        EngineKind::Interp => interp::build(net, interp::DEFAULT_WORDS),
        EngineKind::Jit => Box::new(JitEngine::new(net, &opts.jit)?),
        EngineKind::C => {
            if !c::compiler_available(&opts.c) {
                return Err(Error::Compiler(lgn_compiler::Error::Backend {
                    backend: "c",
                    msg: format!("the C engine needs a C compiler: `{}` does not run (set $CC)", opts.c.cc),
                }));
            }
            Box::new(CEngine::build(net, model.encoder(), &opts.c)?)
        }
    })
}

/// Lowers `model`, optimises the netlist and builds the chosen engine. Run it on the rayon pool that will
/// evaluate the model: with automatic vectors per signal, the JIT compiles each of [`candidates`] and keeps
/// the one that predicts fastest there (the predictions are the same; only speed differs).
pub fn compile(model: &Model, opts: &CompileOptions) -> Result<Compiled> {
    let t = Instant::now();
    let (net, _) = passes::optimize(&lgn_compiler::lower(model), opts.opt);
    let mut vector_timing = None;
    // The JIT's configuration is left to timing when the options say 0 vectors (automatic) and there are at
    // least two candidates.
    let timed = match opts.engine {
        EngineKind::Jit if opts.jit.vectors == 0 => Some(candidates(&net, &opts.jit)).filter(|c| c.len() > 1),
        _ => None,
    };
    let clf = match timed {
        Some(candidates) => {
            let (clf, timing) = fastest_jit(model, &net, &opts.jit, candidates)?;
            vector_timing = Some(timing);
            clf
        }
        None => Classifier::new(model, engine(model, &net, opts.engine, opts)?)?,
    };
    let time = t.elapsed();
    Ok(Compiled { clf, time, vector_timing, gates: net.total_gates(), evaluated: net.evaluated_gates() })
}
