//! `sweep`: dead-gate elimination and compaction.
//!
//! A gate is live if an output reads it, directly or through live gates. Dead gates are removed and signals
//! renumbered densely; order is kept, spans are shrunk to their live gates. The only pass that removes gates
//! without replacing them. Linear time.

use crate::ir::{Netlist, Signal, Span};

/// Runs the pass.
pub fn run(net: &Netlist) -> Netlist {
    let ni = net.num_inputs;
    let mut live = vec![false; net.num_signals()];
    for s in net.outputs.iter().flatten() {
        live[s.index()] = true;
    }
    for g in (0..net.gates.len()).rev() {
        if live[ni + g] {
            for s in net.gates[g].reads().into_iter().flatten() {
                live[s.index()] = true;
            }
        }
    }
    let mut map: Vec<u32> = (0..ni as u32).collect();
    map.resize(net.num_signals(), u32::MAX);
    let mut out = Netlist::new(ni);
    let mut new_index = Vec::with_capacity(net.gates.len() + 1);
    for (g, gate) in net.gates.iter().enumerate() {
        new_index.push(out.gates.len());
        if !live[ni + g] {
            continue;
        }
        // Inputs a gate ignores may be dead: point them at signal 0.
        let [a, b] = gate.reads().map(|r| r.map_or(Signal(0), |s| Signal(map[s.index()])));
        map[ni + g] = out.push(gate.op, a, b).0;
    }
    new_index.push(out.gates.len());
    out.outputs = net.outputs.iter().map(|c| c.iter().map(|s| Signal(map[s.index()])).collect()).collect();
    out.spans = net
        .spans
        .iter()
        .map(|sp| Span { name: sp.name.clone(), start: new_index[sp.start], end: new_index[sp.end] })
        .collect();
    out
}
