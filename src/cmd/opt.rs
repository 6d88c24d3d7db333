//! `lgn opt`: optimise a model's logic and write it as a smaller model file.

use anyhow::{Result, anyhow};
use lgn_compiler::passes::Pipeline;

use crate::cli::OptArgs;

pub fn run(a: OptArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let net = lgn_compiler::lower(&model);
    let mut pipeline = match &a.passes {
        Some(names) => Pipeline::from_names(names).map_err(|e| anyhow!(e))?,
        None => Pipeline::for_level(super::opt_level(a.opt_level)),
    };
    // The file written keeps the spatial layers as layers (their loops are rebuilt, and fused, whenever the
    // model is compiled), so only the kernels are optimised here.
    pipeline.fuse_loops = false;
    let (out, report) = pipeline.run(&net);
    if a.verify {
        use lgn_compiler::check::equiv::{Equiv, check};
        // Each loop kernel on its own (its outputs are the channel bits), then the gates after the loops.
        let pairs = net.loops.iter().zip(&out.loops).map(|(a, b)| (a.name.as_str(), &a.kernel, &b.kernel));
        for (name, a, b) in pairs.chain(std::iter::once(("netlist", &net, &out))) {
            match check(a, b, 1 << 16, 1) {
                Equiv::Equal => eprintln!("verified {name}: equal on every input pattern"),
                Equiv::NoDifferenceFound(n) => eprintln!("verified {name}: equal on {n} random input patterns"),
                other => return Err(anyhow!("optimised {name} differs from the original: {other:?}")),
            }
        }
    }
    let optimized = lgn_compiler::lower::raise(&model, &out);
    lgn_compiler::model::save(&optimized, &a.output)?;
    println!("{report}");
    println!(
        "{} -> {} gates, depth {} -> {}; wrote {}",
        net.total_gates(),
        out.total_gates(),
        net.depth(),
        out.depth(),
        a.output.display()
    );
    Ok(())
}
