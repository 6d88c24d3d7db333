//! `lgn inspect`: what is in a model file.

use anyhow::Result;
use lgn_compiler::passes::{OptLevel, optimize};
use lgn_compiler::{GateOp, Layer, Netlist};
use serde_json::json;

use crate::cli::InspectArgs;

/// Gates per span, in order.
fn span_sizes(net: &Netlist) -> Vec<(String, usize)> {
    net.spans.iter().map(|s| (s.name.clone(), s.end - s.start)).collect()
}

pub fn run(a: InspectArgs) -> Result<()> {
    let model = super::load_model(&a.model)?;
    let net = lgn_compiler::lower(&model);
    let mut model_hist = [0usize; 16];
    for l in &model.layers {
        let gates = match l {
            Layer::Dense(d) => &d.gates,
            Layer::Netlist(n) => &n.gates,
            Layer::TreeConv(c) => &c.gates,
            _ => continue,
        };
        for g in gates {
            model_hist[g.id() as usize] += 1;
        }
    }
    let layers: Vec<_> = model
        .layers
        .iter()
        .map(|l| match l {
            Layer::Threshold(t) => {
                json!({"kind": "threshold", "features": t.features, "thresholds_per_feature": t.per_feature,
                "shared": t.shared, "outputs": t.outputs()})
            }
            Layer::Dense(d) => json!({"kind": "dense", "inputs": d.inputs, "outputs": d.outputs()}),
            Layer::GroupSum => json!({"kind": "group_sum", "classes": model.classes, "tau": model.tau}),
            Layer::Netlist(n) => {
                json!({"kind": "netlist", "inputs": n.inputs, "gates": n.gates.len(), "classes": n.outputs.len()})
            }
            Layer::TreeConv(c) => json!({"kind": "tree_conv", "input": c.input, "output": c.output(),
                "channels": c.channels, "depth": c.depth, "kernel": c.kernel, "stride": c.stride,
                "padding": c.padding, "gates": c.gates.len()}),
            Layer::OrPool(p) => json!({"kind": "or_pool", "input": p.input, "output": p.output(),
                "size": p.size, "stride": p.stride, "padding": p.padding}),
        })
        .collect();
    let logic_depth = model
        .layers
        .iter()
        .map(|l| match l {
            Layer::Dense(_) => 1,
            Layer::TreeConv(c) => c.depth as usize,
            _ => 0,
        })
        .sum::<usize>();
    let opt = a.opt.then(|| {
        let (o, report) = optimize(&net, OptLevel::O2);
        (o, report)
    });
    if a.json {
        let mut out = json!({
            "file": a.model.display().to_string(),
            "input_shape": model.input_shape,
            "classes": model.classes,
            "tau": model.tau,
            "layers": layers,
            "logic_gates": model.gate_count(),
            "evaluated_gates": model.evaluated_gates(),
            "logic_depth": logic_depth,
            "gate_histogram": GateOp::all().map(|g| (g.name().to_string(), json!(model_hist[g.id() as usize]))).collect::<serde_json::Map<_, _>>(),
            "netlist": {"inputs": net.input_bits(), "loops": net.loops.len(), "kernel_gates": net.total_gates() - net.gates.len(),
                        "evaluated_gates": net.evaluated_gates(), "gates": net.gates.len(), "depth": net.depth(), "count_bits": net.planes(),
                        "gate_histogram": net.op_histogram().to_vec(), "spans": span_sizes(&net)},
        });
        if let Some((o, report)) = &opt {
            out["optimized"] = json!({"gates": o.gates.len(), "depth": o.depth(), "spans": span_sizes(o),
                "seconds": report.time().as_secs_f64(), "gate_histogram": o.op_histogram().to_vec()});
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{}: input {:?}, {} classes, tau {}", a.model.display(), model.input_shape, model.classes, model.tau);
    println!("{:>5}  {:<10} {:>10} {:>10}", "layer", "kind", "inputs", "outputs");
    for (i, l) in model.layers.iter().enumerate() {
        let (inputs, outputs) = match l {
            Layer::Threshold(t) => (t.features, t.outputs()),
            Layer::Dense(d) => (d.inputs, d.outputs()),
            Layer::GroupSum => (model.output_bits(), model.classes),
            Layer::Netlist(n) => (n.inputs, n.outputs.len()),
            Layer::TreeConv(c) => (c.input.iter().product(), c.output().map_or(0, |o| o.iter().product())),
            Layer::OrPool(p) => (p.input.iter().product(), p.output().map_or(0, |o| o.iter().product())),
        };
        println!("{i:>5}  {:<10} {inputs:>10} {outputs:>10}", l.kind());
    }
    println!("logic gates: {} (depth {logic_depth})", model.gate_count());
    if model.is_spatial() {
        println!("gates evaluated per sample (kernels times positions): {}", model.evaluated_gates());
        for l in &net.loops {
            println!(
                "  loop {:<14} kernel {:>7} gates x {:>5} positions, buffer {} -> {} bits",
                l.name,
                l.kernel.gates.len(),
                l.positions(),
                l.in_len,
                l.out_len
            );
        }
    }
    println!(
        "netlist: {} inputs, {} gates (GroupSum adder trees included), depth {}, {} count bits per class",
        net.num_inputs,
        net.gates.len(),
        net.depth(),
        net.planes()
    );
    println!("gate types (logic layers):");
    for g in GateOp::all() {
        let n = model_hist[g.id() as usize];
        let pct = 100.0 * n as f64 / model.gate_count().max(1) as f64;
        println!("  {:>2} {:<12} {n:>10} {pct:5.1}%", g.id(), g.name());
    }
    if let Some((o, report)) = opt {
        println!("optimized (-O2) in {:.1} ms:", report.time().as_secs_f64() * 1e3);
        println!("  {:<12} {:>10} {:>10}", "span", "before", "after");
        for ((name, before), (_, after)) in span_sizes(&net).iter().zip(span_sizes(&o)) {
            println!("  {name:<12} {before:>10} {after:>10}");
        }
        println!("  {:<12} {:>10} {:>10}", "total", net.gates.len(), o.gates.len());
        println!("  {:<12} {:>10} {:>10}", "depth", net.depth(), o.depth());
    }
    Ok(())
}
