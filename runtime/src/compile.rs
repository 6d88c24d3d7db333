//! From a model to a runnable [`Classifier`]: lowering, optimisation and an engine, in one call.
//!
//! The CLI, the trainer's per-epoch evaluation and the Python bindings all compile through here, so a model
//! gets the same netlist and the same predictions whichever door it comes in by.

use std::time::{Duration, Instant};

use lgn_compiler::Model;
use lgn_compiler::backend::jit::JitOptions;
use lgn_compiler::passes::{self, OptLevel};

use crate::engine::c::{self, CEngine, COptions};
use crate::engine::interp;
use crate::engine::jit::JitEngine;
use crate::error::{Error, Result};
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
    /// Lowering, optimisation and code generation time.
    pub time: Duration,
    /// Gates of the compiled (optimised) netlist, each loop kernel counted once.
    pub gates: usize,
    /// Gates evaluated per sample (loop kernels times their positions, plus the other gates).
    pub evaluated: usize,
}

/// Lowers `model`, optimises the netlist and builds the chosen engine.
pub fn compile(model: &Model, opts: &CompileOptions) -> Result<Compiled> {
    let t = Instant::now();
    let (net, _) = passes::optimize(&lgn_compiler::lower(model), opts.opt);
    let engine: Box<dyn Engine> = match opts.engine {
        EngineKind::Interp => interp::build(&net, interp::DEFAULT_WORDS),
        EngineKind::Jit => Box::new(JitEngine::new(&net, &opts.jit)?),
        EngineKind::C => {
            if !c::compiler_available(&opts.c) {
                return Err(Error::Compiler(lgn_compiler::Error::Backend {
                    backend: "c",
                    msg: format!("the C engine needs a C compiler: `{}` does not run (set $CC)", opts.c.cc),
                }));
            }
            Box::new(CEngine::build(&net, model.encoder(), &opts.c)?)
        }
    };
    let time = t.elapsed();
    Ok(Compiled {
        clf: Classifier::new(model, engine)?,
        time,
        gates: net.total_gates(),
        evaluated: net.evaluated_gates(),
    })
}
