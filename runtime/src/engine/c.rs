//! The C engine: the C backend's library built by the system C compiler and loaded in-process.
//!
//! Lets `lgn bench` compare the C and JIT engines in one run, and lets tests hold the C code to the
//! interpreter bit for bit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lgn_compiler::Netlist;
use lgn_compiler::backend::c::{self, CCode};
use lgn_compiler::model::Threshold;

use super::{Engine, Interface, gather};
use crate::error::{Error, Result};

type BlockFn = unsafe extern "C" fn(*mut u64);
type PredictFn = unsafe extern "C" fn(*const u8, usize, *mut u8, *mut u64);
type ScoresFn = unsafe extern "C" fn(*const u8, usize, *mut u32, *mut u64);

/// Options for building the C library.
#[derive(Clone, Debug)]
pub struct COptions {
    /// The compiler command (default: `$CC`, else `cc`).
    pub cc: String,
    /// Optimisation flags (default `-O3 -march=native`).
    pub flags: Vec<String>,
}

impl Default for COptions {
    fn default() -> Self {
        COptions {
            cc: std::env::var("CC").unwrap_or_else(|_| "cc".into()),
            flags: vec!["-O3".into(), "-march=native".into()],
        }
    }
}

/// A compiled and loaded C library for one netlist.
pub struct CEngine {
    lib: libloading::Library,
    block: BlockFn,
    code: CCode,
    io: Interface,
    /// Time the C compiler took.
    pub build_time: Duration,
    _dir: tempfile::TempDir,
}

/// Whether a C compiler answers on this machine.
pub fn compiler_available(opts: &COptions) -> bool {
    Command::new(&opts.cc).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn c_err(msg: impl Into<String>) -> Error {
    Error::Compiler(lgn_compiler::Error::Backend { backend: "c", msg: msg.into() })
}

/// Writes `name.h` and `name.c` into `dir`.
pub fn write_files(code: &CCode, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf)> {
    let h = dir.join(format!("{name}.h"));
    let c = dir.join(format!("{name}.c"));
    lgn_compiler::io::write_atomic(&h, code.header.as_bytes())?;
    lgn_compiler::io::write_atomic(&c, code.source.as_bytes())?;
    Ok((h, c))
}

impl CEngine {
    /// Generates, builds (shared library) and loads the C code of `net`.
    pub fn build(net: &Netlist, enc: &Threshold, opts: &COptions) -> Result<CEngine> {
        let name = "lgn_model";
        let code = c::emit(net, enc, name);
        let dir = tempfile::tempdir().map_err(|e| c_err(format!("temporary folder: {e}")))?;
        let (_, src) = write_files(&code, dir.path(), name)?;
        let lib_path = dir.path().join(format!("lib{name}.so"));
        let t = Instant::now();
        let out = Command::new(&opts.cc)
            .args(&opts.flags)
            .args(["-shared", "-fPIC", "-o"])
            .arg(&lib_path)
            .arg(&src)
            .output()
            .map_err(|e| c_err(format!("running {}: {e}", opts.cc)))?;
        let build_time = t.elapsed();
        if !out.status.success() {
            return Err(c_err(format!("{} failed: {}", opts.cc, String::from_utf8_lossy(&out.stderr))));
        }
        // SAFETY: the library is our own generated code with no initialisers; its symbols have the C
        // signatures declared in the generated header.
        let lib = unsafe { libloading::Library::new(&lib_path) }.map_err(|e| c_err(format!("loading: {e}")))?;
        let block = unsafe { lib.get::<BlockFn>(format!("{name}_eval_block\0").as_bytes()).map(|s| *s) }
            .map_err(|e| c_err(format!("symbol: {e}")))?;
        Ok(CEngine { lib, block, code, io: Interface::of(net), build_time, _dir: dir })
    }

    /// Calls the library's own `predict` (its packing and argmax, not the runtime's).
    pub fn predict_native(&self, x: &[u8], n: usize) -> Result<Vec<u8>> {
        let f: PredictFn = unsafe { self.lib.get::<PredictFn>(b"lgn_model_predict_r\0").map(|s| *s) }
            .map_err(|e| c_err(e.to_string()))?;
        let mut out = vec![0u8; n];
        let mut scratch = vec![0u64; self.code.scratch_words];
        // SAFETY: `x` holds n samples (the caller's contract), `out` n bytes, scratch the declared size.
        unsafe { f(x.as_ptr(), n, out.as_mut_ptr(), scratch.as_mut_ptr()) };
        Ok(out)
    }

    /// Calls the library's own `scores`.
    pub fn scores_native(&self, x: &[u8], n: usize) -> Result<Vec<u32>> {
        let f: ScoresFn = unsafe { self.lib.get::<ScoresFn>(b"lgn_model_scores_r\0").map(|s| *s) }
            .map_err(|e| c_err(e.to_string()))?;
        let mut out = vec![0u32; n * self.io.classes];
        let mut scratch = vec![0u64; self.code.scratch_words];
        // SAFETY: as in `predict_native`.
        unsafe { f(x.as_ptr(), n, out.as_mut_ptr(), scratch.as_mut_ptr()) };
        Ok(out)
    }
}

impl Engine for CEngine {
    fn name(&self) -> &'static str {
        "c"
    }
    fn words(&self) -> usize {
        c::WORDS
    }
    fn interface(&self) -> Interface {
        self.io
    }
    fn scratch_words(&self) -> usize {
        self.code.scratch_words.max(self.io.num_inputs * c::WORDS)
    }
    fn run(&self, scratch: &mut [u64], out: &mut [u64]) {
        assert!(scratch.len() >= self.code.scratch_words, "scratch too small");
        // SAFETY: the generated code touches only `scratch_words` words of scratch.
        unsafe { (self.block)(scratch.as_mut_ptr()) };
        gather(scratch, &self.code.outputs, c::WORDS, out);
    }
    fn report(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cc build", format!("{:.2} s", self.build_time.as_secs_f64())),
            ("source bytes", self.code.source.len().to_string()),
        ]
    }
}
