//! The Verilog backend through Icarus Verilog (bit-exact with the interpreter, combinational and pipelined)
//! and yosys (synthesis succeeds, LUTs counted). Skipped with a message where the tools are not installed;
//! CI installs them.

use lgn_compiler::backend::verilog::VerilogOptions;
use lgn_compiler::model::RandomSpec;
use lgn_compiler::passes::{OptLevel, optimize};
use lgn_runtime::hardware::{self, tool_available};

fn tools(names: &[&str]) -> bool {
    let missing: Vec<_> = names.iter().filter(|t| !tool_available(t)).collect();
    if !missing.is_empty() {
        eprintln!("skipping: {missing:?} not installed");
    }
    missing.is_empty()
}

#[test]
fn random_nets_simulate_bit_exact() {
    if !tools(&["iverilog", "vvp"]) {
        return;
    }
    let mut checked = 0;
    for seed in 0..12u64 {
        let (features, k, layers, width, classes) =
            (8 + seed as usize, 1 + seed as usize % 3, 1 + seed as usize % 4, 30, [1, 2, 3, 5, 6][seed as usize % 5]);
        let model = RandomSpec::dense(features, k, layers, width, classes, seed).build().unwrap();
        let level = if seed % 2 == 0 { OptLevel::O0 } else { OptLevel::O2 };
        let (net, _) = optimize(&lgn_compiler::lower(&model), level);
        for pipeline in [0, 1, 3] {
            let opts = VerilogOptions { pipeline, raw_inputs: seed % 3 == 0 };
            let dir = tempfile::tempdir().unwrap();
            let n = 100 + seed as usize;
            let design = hardware::write_design(&model, &net, dir.path(), "net", &opts, n, seed).unwrap();
            let sim = hardware::simulate(dir.path(), "net").unwrap();
            assert_eq!((sim.passed, sim.failed), (n, 0), "seed {seed}, pipeline {pipeline}:\n{}", sim.log);
            if pipeline == 1 {
                assert!(design.latency > 1, "a pipelined design has register stages");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 36);
}

#[test]
fn testbench_fails_on_a_wrong_design() {
    if !tools(&["iverilog", "vvp"]) {
        return;
    }
    let model = RandomSpec::dense(10, 1, 2, 20, 2, 4).build().unwrap();
    let net = lgn_compiler::lower(&model);
    let dir = tempfile::tempdir().unwrap();
    hardware::write_design(&model, &net, dir.path(), "net", &VerilogOptions::default(), 50, 1).unwrap();
    // Break the design (invert the least significant count bit of class 0): the testbench must notice.
    let path = dir.path().join("net.v");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen("assign counts[0] = ", "assign counts[0] = ~", 1);
    assert_ne!(text, broken);
    std::fs::write(&path, broken).unwrap();
    let sim = hardware::simulate(dir.path(), "net").unwrap();
    assert_eq!((sim.passed, sim.failed), (0, 50), "{}", sim.log);
}

#[test]
fn yosys_synthesizes_and_counts() {
    if !tools(&["yosys"]) {
        return;
    }
    let model = RandomSpec::dense(16, 1, 2, 40, 2, 9).build().unwrap();
    let (net, _) = optimize(&lgn_compiler::lower(&model), OptLevel::O2);
    let dir = tempfile::tempdir().unwrap();
    hardware::write_design(&model, &net, dir.path(), "net", &VerilogOptions { pipeline: 2, raw_inputs: false }, 4, 0)
        .unwrap();
    let r = hardware::yosys_report(dir.path(), "net").unwrap();
    assert!(r.lut6 > 0 && r.ice40_lut4 > 0, "{r:?}");
    assert!(r.ff > 0 && r.ice40_ff > 0, "registered outputs need flip-flops: {r:?}");
}

#[test]
fn yosys_proves_optimized_verilog_equivalent() {
    if !tools(&["yosys"]) {
        return;
    }
    let model = RandomSpec::dense(8, 1, 2, 24, 2, 21).build().unwrap();
    let net = lgn_compiler::lower(&model);
    let (opt, _) = optimize(&net, OptLevel::O2);
    assert!(opt.gates.len() < net.gates.len());
    let dir = tempfile::tempdir().unwrap();
    let opts = VerilogOptions::default();
    hardware::write_design(&model, &net, dir.path(), "gold", &opts, 1, 0).unwrap();
    hardware::write_design(&model, &opt, dir.path(), "gate", &opts, 1, 0).unwrap();
    let check = |gate_file: &str| {
        let script = format!(
            "read_verilog gold.v; read_verilog {gate_file}; proc; flatten; rename -hide w:g*; \
             equiv_make gold gate equiv; hierarchy -top equiv; equiv_simple -seq 2; equiv_induct; equiv_status -assert"
        );
        std::process::Command::new("yosys").args(["-q", "-p", &script]).current_dir(dir.path()).output().unwrap()
    };
    let out = check("gate.v");
    assert!(out.status.success(), "yosys found a difference:\n{}", String::from_utf8_lossy(&out.stderr));
    // And the check can fail: a design with one count bit inverted is not equivalent.
    let text = std::fs::read_to_string(dir.path().join("gate.v")).unwrap();
    std::fs::write(dir.path().join("bad.v"), text.replacen("assign counts[0] = ", "assign counts[0] = ~", 1)).unwrap();
    assert!(!check("bad.v").status.success(), "yosys accepted a broken design");
}

/// Convolutional models: kernel modules instantiated by `generate` loops (with zero borders) simulate bit
/// for bit like the interpreter, and the Verilog holds each kernel once.
#[test]
fn conv_models_simulate_bit_exact() {
    if !tools(&["iverilog", "vvp"]) {
        return;
    }
    for seed in 0..8u64 {
        let model = lgn_compiler::testing::random_conv_model(seed);
        let level = if seed % 2 == 0 { OptLevel::O0 } else { OptLevel::O2 };
        let (net, _) = optimize(&lgn_compiler::lower(&model), level);
        let opts = VerilogOptions { pipeline: (seed % 3) as u32, raw_inputs: seed % 4 == 1 };
        let dir = tempfile::tempdir().unwrap();
        let n = 60 + seed as usize;
        let design = hardware::write_design(&model, &net, dir.path(), "net", &opts, n, seed).unwrap();
        for (i, l) in net.loops.iter().enumerate() {
            let instances = design.design.matches(&format!("net_k{i} k (")).count();
            assert_eq!(instances, 1, "loop {i} ({} positions) is one generate body", l.positions());
        }
        let sim = hardware::simulate(dir.path(), "net").unwrap();
        assert_eq!((sim.passed, sim.failed), (n, 0), "seed {seed}:\n{}", sim.log);
    }
}
