//! `lgn init`: a random model of a given shape.

use anyhow::Result;
use lgn_compiler::model::{self, RandomSpec};

use crate::cli::InitArgs;

pub fn run(a: InitArgs) -> Result<()> {
    if let Some(name) = &a.preset {
        anyhow::ensure!(a.scale.is_finite() && a.scale > 0.0, "--scale must be a positive number, got {}", a.scale);
        let mut spec = model::random::preset(name, a.scale, a.thresholds)
            .ok_or_else(|| anyhow::anyhow!("unknown preset {name:?} (known: {})", model::random::PRESETS.join(", ")))?;
        spec.seed = a.seed;
        let m = spec.build()?;
        model::save(&m, &a.output)?;
        let size = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
        println!(
            "wrote {} ({} distinct gates, {} gates evaluated per sample, {} bytes)",
            a.output.display(),
            m.gate_count(),
            m.evaluated_gates(),
            size
        );
        return Ok(());
    }
    let spec = RandomSpec {
        input_shape: a.shape.unwrap_or_else(|| vec![a.inputs]),
        thresholds: a.thresholds,
        layers: a.layers,
        width: a.width,
        classes: a.classes,
        tau: a.tau,
        seed: a.seed,
    };
    let m = spec.build()?;
    model::save(&m, &a.output)?;
    let size = std::fs::metadata(&a.output).map(|m| m.len()).unwrap_or(0);
    println!("wrote {} ({} gates, {} bytes)", a.output.display(), m.gate_count(), size);
    Ok(())
}
