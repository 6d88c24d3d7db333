//! The JIT engine: runs native code compiled by Cranelift (`lgn_compiler::backend::jit`).

use lgn_compiler::Netlist;
use lgn_compiler::backend::jit::{self, JitKernel, JitOptions};

use super::Engine;
use crate::error::Result;

/// A netlist compiled to native code.
pub struct JitEngine {
    kernel: JitKernel,
    num_inputs: usize,
    classes: usize,
    planes: usize,
}

impl JitEngine {
    /// Compiles `net` with `opts`.
    pub fn new(net: &Netlist, opts: &JitOptions) -> Result<JitEngine> {
        let kernel = jit::compile(net, opts)?;
        Ok(JitEngine { kernel, num_inputs: net.num_inputs, classes: net.classes(), planes: net.planes() })
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
    fn num_inputs(&self) -> usize {
        self.num_inputs
    }
    fn classes(&self) -> usize {
        self.classes
    }
    fn planes(&self) -> usize {
        self.planes
    }
    fn scratch_words(&self) -> usize {
        (self.kernel.slots * self.kernel.words).max(self.num_inputs * self.kernel.words)
    }
    fn report(&self) -> Vec<(&'static str, String)> {
        let s = &self.kernel.stats;
        let ms = |d: std::time::Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        vec![
            ("codegen", format!("{:?}", s.codegen_used.unwrap_or(lgn_compiler::backend::jit::Codegen::Auto))),
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
        let w = self.kernel.words;
        for (i, &s) in self.kernel.outputs.iter().enumerate() {
            out[i * w..(i + 1) * w].copy_from_slice(&scratch[s as usize * w..(s as usize + 1) * w]);
        }
    }
}
