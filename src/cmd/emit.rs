//! `lgn emit` and `lgn verify-verilog`: C and Verilog output.

use anyhow::{Context, Result, bail};
use lgn_compiler::backend::verilog::VerilogOptions;
use lgn_runtime::hardware;
use serde_json::json;

use crate::cli::{EmitArgs, EmitTarget, VerifyVerilogArgs, VerilogArgs};

fn verilog_options(v: &VerilogArgs) -> VerilogOptions {
    VerilogOptions { pipeline: v.pipeline, raw_inputs: v.raw_inputs }
}

fn check_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!("--name {name:?} is not a C/Verilog identifier (letters, digits, _; not starting with a digit)");
    }
    Ok(())
}

pub fn run(a: EmitArgs) -> Result<()> {
    check_name(&a.name)?;
    let model = super::load_model(&a.model)?;
    let (net, _) = lgn_compiler::passes::optimize(&lgn_compiler::lower(&model), super::opt_level(a.opt_level));
    std::fs::create_dir_all(&a.output).with_context(|| format!("creating {}", a.output.display()))?;
    let mut summary = json!({"model": a.model.display().to_string(), "gates": net.total_gates(), "output": a.output.display().to_string()});
    match a.target {
        EmitTarget::C => {
            let code = lgn_compiler::backend::c::emit(&net, model.encoder(), &a.name);
            let (h, c) = lgn_runtime::engine::c::write_files(&code, &a.output, &a.name)?;
            summary["files"] = json!([h.display().to_string(), c.display().to_string()]);
            if !a.json {
                println!(
                    "wrote {} and {} ({} gates, {} bytes of C)",
                    h.display(),
                    c.display(),
                    net.total_gates(),
                    code.source.len()
                );
            }
        }
        EmitTarget::Verilog => {
            let opts = verilog_options(&a.verilog);
            let design = hardware::write_design(&model, &net, &a.output, &a.name, &opts, a.verilog.vectors, 1)?;
            summary["latency_cycles"] = json!(design.latency);
            if !a.json {
                println!(
                    "wrote {0}/{1}.v, {0}/{1}_tb.v and {2} golden vectors ({3} gates, latency {4} cycles)",
                    a.output.display(),
                    a.name,
                    a.verilog.vectors,
                    net.total_gates(),
                    design.latency
                );
            }
            if a.verify {
                let sim = hardware::simulate(&a.output, &a.name)?;
                summary["simulation"] = json!({"passed": sim.passed, "failed": sim.failed,
                    "compile_seconds": sim.compile.as_secs_f64(), "run_seconds": sim.run.as_secs_f64()});
                if !a.json {
                    println!(
                        "iverilog: {} passed, {} failed (compile {:.2} s, simulate {:.2} s)",
                        sim.passed,
                        sim.failed,
                        sim.compile.as_secs_f64(),
                        sim.run.as_secs_f64()
                    );
                }
                if sim.failed > 0 {
                    bail!("Verilog simulation disagrees with the interpreter on {} vectors", sim.failed);
                }
            }
            if a.report {
                eprintln!("running yosys…");
                let r = hardware::yosys_report(&a.output, &a.name)?;
                summary["yosys"] = json!({"lut6": r.lut6, "ff": r.ff, "ice40_lut4": r.ice40_lut4, "ice40_ff": r.ice40_ff, "seconds": r.seconds});
                if !a.json {
                    println!(
                        "yosys: {} LUT6 and {} FF (synth -flatten; abc -lut 6); iCE40: {} SB_LUT4 and {} SB_DFF ({:.1} s)",
                        r.lut6, r.ff, r.ice40_lut4, r.ice40_ff, r.seconds
                    );
                }
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}

pub fn verify(a: VerifyVerilogArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let (net, _) = lgn_compiler::passes::optimize(&lgn_compiler::lower(&model), super::opt_level(a.opt_level));
    let dir = tempfile::tempdir().context("temporary folder")?;
    hardware::write_design(&model, &net, dir.path(), "lgn_model", &verilog_options(&a.verilog), a.verilog.vectors, 1)?;
    let sim = hardware::simulate(dir.path(), "lgn_model")?;
    println!("{} passed, {} failed", sim.passed, sim.failed);
    if sim.failed > 0 {
        bail!("Verilog simulation disagrees with the interpreter");
    }
    Ok(())
}
