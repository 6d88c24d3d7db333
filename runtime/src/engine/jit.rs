//! The JIT engine: runs native code compiled by Cranelift (`lgn_compiler::backend::jit`).

use lgn_compiler::Netlist;
use lgn_compiler::backend::jit::{self, JitKernel, JitOptions};

use super::{Engine, Interface, gather};
use crate::error::Result;

/// A netlist compiled to native code.
pub struct JitEngine {
    kernel: JitKernel,
    io: Interface,
}

impl JitEngine {
    /// Compiles `net` with `opts`.
    pub fn new(net: &Netlist, opts: &JitOptions) -> Result<JitEngine> {
        let kernel = jit::compile(net, opts)?;
        Ok(JitEngine { kernel, io: Interface::of(net) })
    }

    /// Vectors per signal of the compiled code.
    pub fn vectors(&self) -> usize {
        self.kernel.vectors
    }

    /// The compiled kernel (for its statistics).
    pub fn kernel(&self) -> &JitKernel {
        &self.kernel
    }
}

impl Engine for JitEngine {
    fn name(&self) -> &'static str {
        "jit"
    }
    fn words(&self) -> usize {
        self.kernel.words
    }
    fn interface(&self) -> Interface {
        self.io
    }
    fn scratch_words(&self) -> usize {
        (self.kernel.slots * self.kernel.words).max(self.io.num_inputs * self.kernel.words)
    }
    fn report(&self) -> Vec<(&'static str, String)> {
        let s = &self.kernel.stats;
        let ms = |d: std::time::Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        vec![
            ("codegen", format!("{:?}", s.codegen_used.unwrap_or(lgn_compiler::backend::jit::Codegen::Auto))),
            ("vectors", self.kernel.vectors.to_string()),
            ("code bytes", s.code_bytes.to_string()),
            ("functions", s.functions.to_string()),
            ("scratch bytes", (self.kernel.slots * self.kernel.words * 8).to_string()),
            ("schedule", ms(s.schedule)),
            ("codegen time", ms(s.codegen)),
            ("link", ms(s.link)),
        ]
    }
    fn run(&self, scratch: &mut [u64], out: &mut [u64]) {
        self.kernel.run(scratch);
        gather(scratch, &self.kernel.outputs, self.kernel.words, out);
    }
}
