//! Hardware flow helpers: golden vectors from the interpreter, simulation with Icarus Verilog, and resource
//! reports from yosys. The tools are optional: each runner reports a clear error when its tool is missing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lgn_compiler::Model;
use lgn_compiler::backend::verilog::{self, Verilog, VerilogOptions};
use lgn_compiler::ir::Netlist;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::engine::interp;
use crate::error::{Error, Result};
use crate::{Classifier, Inputs};

fn tool_err(tool: &str, msg: impl std::fmt::Display) -> Error {
    Error::Compiler(lgn_compiler::Error::Backend { backend: "verilog", msg: format!("{tool}: {msg}") })
}

/// Whether a program answers `-V`/`--version` on this machine.
pub fn tool_available(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok() || Command::new(tool).arg("--version").output().is_ok()
}

/// Hex digits of a little-endian bit string (most significant digit first).
fn hex(bits: &[bool]) -> String {
    let digits = bits.len().div_ceil(4).max(1);
    (0..digits)
        .rev()
        .map(|d| {
            let v = (0..4).filter(|&b| bits.get(4 * d + b).copied().unwrap_or(false)).fold(0, |acc, b| acc | (1 << b));
            char::from_digit(v, 16).unwrap()
        })
        .collect()
}

/// Writes the design, a testbench and `n` golden vectors (random bytes evaluated by the interpreter) into
/// `dir` as `name.v`, `name_tb.v`, `name_in.hex`, `name_expect.hex`.
pub fn write_design(
    model: &Model,
    net: &Netlist,
    dir: &Path,
    name: &str,
    opts: &VerilogOptions,
    n: usize,
    seed: u64,
) -> Result<Verilog> {
    let enc = model.encoder();
    let design = verilog::emit(net, enc, name, opts);
    let f = enc.features;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x: Vec<u8> = (0..n * f).map(|_| rng.random()).collect();
    let clf = Classifier::new(model, interp::build(net, 1))?;
    let classes = clf.predict(Inputs::U8(&x))?;
    let scores = clf.scores(Inputs::U8(&x))?;
    let (planes, cw) = (net.planes(), design.class_width);
    let mut inputs = String::new();
    let mut expect = String::new();
    for s in 0..n {
        let px = &x[s * f..(s + 1) * f];
        let bits: Vec<bool> = if opts.raw_inputs {
            px.iter().flat_map(|&b| (0..8).map(move |i| (b >> i) & 1 == 1)).collect()
        } else {
            (0..enc.per_feature)
                .flat_map(|j| (0..f).map(move |ft| (ft, j)))
                .map(|(ft, j)| px[ft] as i16 > enc.byte_threshold(ft, j))
                .collect()
        };
        inputs.push_str(&hex(&bits));
        inputs.push('\n');
        let mut out: Vec<bool> = (0..cw).map(|q| (classes[s] >> q) & 1 == 1).collect();
        for c in 0..model.classes {
            out.extend((0..planes).map(|p| (scores[s * model.classes + c] >> p) & 1 == 1));
        }
        expect.push_str(&hex(&out));
        expect.push('\n');
    }
    let w = |file: String, text: &str| lgn_compiler::io::write_atomic(&dir.join(file), text.as_bytes());
    w(format!("{name}.v"), &design.design)?;
    w(format!("{name}_tb.v"), &verilog::testbench(&design, name, n))?;
    w(format!("{name}_in.hex"), &inputs)?;
    w(format!("{name}_expect.hex"), &expect)?;
    Ok(design)
}

/// The outcome of a testbench run.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Vectors that matched.
    pub passed: usize,
    /// Vectors that did not.
    pub failed: usize,
    /// Compile (iverilog) time.
    pub compile: Duration,
    /// Simulation (vvp) time.
    pub run: Duration,
    /// The simulator's output.
    pub log: String,
}

/// Compiles and runs `name_tb.v` in `dir` with Icarus Verilog.
pub fn simulate(dir: &Path, name: &str) -> Result<Simulation> {
    let t = Instant::now();
    let out = Command::new("iverilog")
        .args(["-g2005", "-o", "sim.vvp", &format!("{name}.v"), &format!("{name}_tb.v")])
        .current_dir(dir)
        .output()
        .map_err(|e| tool_err("iverilog", format!("{e} (install iverilog)")))?;
    if !out.status.success() {
        return Err(tool_err("iverilog", String::from_utf8_lossy(&out.stderr)));
    }
    let compile = t.elapsed();
    let t = Instant::now();
    let out = Command::new("vvp").args(["-n", "sim.vvp"]).current_dir(dir).output().map_err(|e| tool_err("vvp", e))?;
    let run = t.elapsed();
    let log = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.ends_with(" failed") && l.contains(" passed, "))
        .ok_or_else(|| tool_err("vvp", format!("no result line in: {log}")))?;
    let nums: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    let (passed, failed) = (nums[0], nums[1]);
    if failed == 0 && !out.status.success() {
        return Err(tool_err("vvp", format!("exit status {} with: {log}", out.status)));
    }
    Ok(Simulation { passed, failed, compile, run, log })
}

/// Resource use reported by yosys.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// 6-input LUTs after `synth -flatten; abc -lut 6`.
    pub lut6: usize,
    /// Flip-flops (generic synthesis).
    pub ff: usize,
    /// iCE40 `SB_LUT4` cells after `synth_ice40`.
    pub ice40_lut4: usize,
    /// iCE40 flip-flops (`SB_DFF*`).
    pub ice40_ff: usize,
    /// Time yosys took for both.
    pub seconds: f64,
}

/// Sum of the counts of cells whose name starts with one of `prefixes` in a yosys `stat` report.
fn cells(stat: &str, prefixes: &[&str]) -> usize {
    stat.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (name, count) = (it.next()?, it.next()?);
            prefixes.iter().any(|p| name.starts_with(p)).then(|| count.parse::<usize>().ok()).flatten()
        })
        .sum()
}

/// Runs yosys on `dir/name.v`: generic 6-LUT mapping and iCE40 synthesis.
pub fn yosys_report(dir: &Path, name: &str) -> Result<Resources> {
    let t = Instant::now();
    let run = |script: String| -> Result<String> {
        let out = Command::new("yosys")
            .args(["-q", "-p", &script])
            .current_dir(dir)
            .output()
            .map_err(|e| tool_err("yosys", format!("{e} (install yosys)")))?;
        if !out.status.success() {
            return Err(tool_err("yosys", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    };
    let generic =
        run(format!("read_verilog {name}.v; synth -flatten -top {name}; abc -lut 6; tee -o generic.stat stat"))?;
    let generic = std::fs::read_to_string(dir.join("generic.stat")).unwrap_or(generic);
    let ice = run(format!("read_verilog {name}.v; synth_ice40 -top {name}; tee -o ice40.stat stat"))?;
    let ice = std::fs::read_to_string(dir.join("ice40.stat")).unwrap_or(ice);
    Ok(Resources {
        lut6: cells(&generic, &["$lut"]),
        ff: cells(&generic, &["$_DFF", "$_SDFF", "$dff"]),
        ice40_lut4: cells(&ice, &["SB_LUT4"]),
        ice40_ff: cells(&ice, &["SB_DFF"]),
        seconds: t.elapsed().as_secs_f64(),
    })
}
