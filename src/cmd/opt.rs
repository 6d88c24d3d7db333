//! `lgn opt`: optimise a model's logic and write it as a smaller model file.

use anyhow::{Result, anyhow};
use lgn_compiler::passes::Pipeline;

use crate::cli::OptArgs;

pub fn run(a: OptArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let net = lgn_compiler::lower(&model);
    let pipeline = match &a.passes {
        Some(names) => Pipeline::from_names(names).map_err(|e| anyhow!(e))?,
        None => Pipeline::for_level(super::opt_level(a.opt_level)),
    };
    let (out, report) = pipeline.run(&net);
    if a.verify {
        use lgn_compiler::check::equiv::{Equiv, check};
        match check(&net, &out, 1 << 16, 1) {
            Equiv::Equal => eprintln!("verified: equal on every input pattern"),
            Equiv::NoDifferenceFound(n) => eprintln!("verified: equal on {n} random input patterns"),
            other => return Err(anyhow!("optimised netlist differs from the original: {other:?}")),
        }
    }
    let optimized = lgn_compiler::lower::raise(&model, &out);
    lgn_compiler::model::save(&optimized, &a.output)?;
    println!("{report}");
    println!(
        "{} -> {} gates, depth {} -> {}; wrote {}",
        net.gates.len(),
        out.gates.len(),
        net.depth(),
        out.depth(),
        a.output.display()
    );
    Ok(())
}
