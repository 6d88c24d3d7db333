//! The Verilog backend: synthesizable Verilog-2001 and a self-checking testbench.
//!
//! One scalar `wire` per gate (simulators are far slower on bit-selects of wide vectors). With
//! `pipeline = K > 0`, registers cut the logic after every K gate levels: a signal read `d` stages after the
//! stage that makes it goes through a chain of `d` registers, and a valid bit travels alongside. The class
//! counts and the argmax are registered in a final output stage (ties: lowest class). Optionally the
//! threshold comparators on raw bytes are included. Latency: `stages + 1` cycles.
//!
//! Loops (tree convolutions, OR pooling) become one combinational module per kernel, instantiated at every
//! position by `generate` loops, between the encoder and the netlist's gates: code size is O(kernel). The
//! pipeline registers cut only the netlist's gates.

use std::fmt::Write;

use crate::ir::{Loop, Netlist};
use crate::model::Threshold;

/// Options of the Verilog backend.
#[derive(Clone, Debug, Default)]
pub struct VerilogOptions {
    /// Register after every `pipeline` gate levels (0: combinational logic, registered outputs only).
    pub pipeline: u32,
    /// Take raw bytes (`8 × features` bits) and include the threshold comparators, instead of encoded bits.
    pub raw_inputs: bool,
}

/// The generated design and facts the testbench and reports need.
pub struct Verilog {
    /// The design module.
    pub design: String,
    /// Clock cycles from an input to its output.
    pub latency: u32,
    /// Width of the `in_x` port.
    pub input_width: usize,
    /// Width of `out_class`.
    pub class_width: usize,
    /// Width of `out_counts` (classes × count bits).
    pub counts_width: usize,
}

/// Generates the design module `name`.
pub fn emit(net: &Netlist, enc: &Threshold, name: &str, opts: &VerilogOptions) -> Verilog {
    let ni = net.num_inputs;
    let bits = net.input_bits();
    let (classes, planes) = (net.classes(), net.planes());
    let class_width = ((usize::BITS - classes.saturating_sub(1).leading_zeros()) as usize).max(1);
    let level = net.levels();
    let k = opts.pipeline;
    let stage = |s: usize| if k == 0 || level[s] == 0 { 0 } else { (level[s] - 1) / k };
    let last = (0..net.num_signals()).map(stage).max().unwrap_or(0);
    // Deepest delay each signal needs: readers in later stages, and the outputs at the last stage.
    let mut delay = vec![0u32; net.num_signals()];
    // Inputs a gate ignores (constants read nothing, pass-throughs one input) are not wired at all: a
    // constant's level does not depend on its inputs.
    for (g, gate) in net.gates.iter().enumerate() {
        let t = stage(ni + g);
        for s in gate.reads().into_iter().flatten().map(|s| s.index()) {
            delay[s] = delay[s].max(t - stage(s));
        }
    }
    for s in net.outputs.iter().flatten() {
        delay[s.index()] = delay[s.index()].max(last - stage(s.index()));
    }
    let sig = |s: usize| if s < ni { format!("i{s}") } else { format!("g{}", s - ni) };
    // The name of signal s as seen from stage t.
    let at = |s: usize, t: u32| {
        let d = t - stage(s);
        if d == 0 { sig(s) } else { format!("{}_d{d}", sig(s)) }
    };
    let input_width = if opts.raw_inputs { 8 * enc.features } else { bits };
    let counts_width = classes * planes;
    let mut v = String::new();
    for (i, l) in net.loops.iter().enumerate() {
        kernel_module(&mut v, l, &format!("{name}_k{i}"));
    }
    writeln!(
        v,
        "// {name}: a logic gate network compiled by lgn. {} gates, {ni} input bits, {classes} classes.\n\
         // Pipeline: {} register stage(s) in the logic, then a registered count/argmax stage (latency {} cycles).\n\
         module {name} (\n  input wire clk,\n  input wire in_valid,\n  input wire [{}:0] in_x,\n  output reg out_valid,\n  \
         output reg [{}:0] out_class,\n  output reg [{}:0] out_counts\n);",
        net.gates.len(),
        last,
        last + 1,
        input_width - 1,
        class_width - 1,
        counts_width - 1
    )
    .unwrap();
    // The encoded input bits: the netlist's inputs, or buffer b0 of the loops.
    let looped = !net.loops.is_empty();
    if looped {
        writeln!(v, "  wire [{}:0] b0;", bits - 1).unwrap();
    }
    for i in 0..bits {
        let bit = if opts.raw_inputs {
            let (j, f) = (i / enc.features, i % enc.features);
            match enc.byte_threshold(f, j) {
                -1 => "1'b1".to_string(),
                255 => "1'b0".to_string(),
                t => format!("(in_x[{}:{}] > 8'd{t})", 8 * f + 7, 8 * f),
            }
        } else {
            format!("in_x[{i}]")
        };
        if looped {
            writeln!(v, "  assign b0[{i}] = {bit};").unwrap();
        } else {
            writeln!(v, "  wire i{i} = {bit};").unwrap();
        }
    }
    for (i, l) in net.loops.iter().enumerate() {
        loop_instance(&mut v, l, &format!("{name}_k{i}"), i);
    }
    if looped {
        for s in 0..ni {
            writeln!(v, "  wire i{s} = b{}[{s}];", net.loops.len()).unwrap();
        }
    }
    for (g, gate) in net.gates.iter().enumerate() {
        let t = stage(ni + g);
        let [ra, rb] = gate.reads();
        let (a, b) = (ra.map_or(String::new(), |s| at(s.index(), t)), rb.map_or(String::new(), |s| at(s.index(), t)));
        writeln!(v, "  wire g{g} = {};", expr(gate.op, a, b)).unwrap();
    }
    // Delay chains for signals that cross stage boundaries.
    let chains: Vec<usize> = (0..net.num_signals()).filter(|&s| delay[s] > 0).collect();
    for &s in &chains {
        let names: Vec<String> = (1..=delay[s]).map(|d| format!("{}_d{d}", sig(s))).collect();
        writeln!(v, "  reg {};", names.join(", ")).unwrap();
    }
    if last > 0 {
        let valid: Vec<String> = (1..=last).map(|d| format!("valid_d{d}")).collect();
        writeln!(v, "  reg {};", valid.join(", ")).unwrap();
    }
    if !chains.is_empty() || last > 0 {
        writeln!(v, "  always @(posedge clk) begin").unwrap();
        if last > 0 {
            writeln!(v, "    valid_d1 <= in_valid;").unwrap();
            for d in 2..=last {
                writeln!(v, "    valid_d{d} <= valid_d{};", d - 1).unwrap();
            }
        }
        for &s in &chains {
            writeln!(v, "    {}_d1 <= {};", sig(s), sig(s)).unwrap();
            for d in 2..=delay[s] {
                writeln!(v, "    {0}_d{d} <= {0}_d{1};", sig(s), d - 1).unwrap();
            }
        }
        writeln!(v, "  end").unwrap();
    }
    let valid = if last > 0 { format!("valid_d{last}") } else { "in_valid".to_string() };
    writeln!(v, "  wire [{}:0] counts;", counts_width - 1).unwrap();
    for (c, bits) in net.outputs.iter().enumerate() {
        for (p, s) in bits.iter().enumerate() {
            writeln!(v, "  assign counts[{}] = {};", c * planes + p, at(s.index(), last)).unwrap();
        }
    }
    writeln!(
        v,
        "  // Argmax over the class counts: the first class with the highest count.\n  \
         reg [{cw}:0] best_class;\n  reg [{pw}:0] best_count;\n  integer c;\n  always @* begin\n    \
         best_class = 0;\n    best_count = counts[{pw}:0];\n    for (c = 1; c < {classes}; c = c + 1)\n      \
         if (counts[c*{planes} +: {planes}] > best_count) begin\n        best_class = c;\n        \
         best_count = counts[c*{planes} +: {planes}];\n      end\n  end\n  always @(posedge clk) begin\n    \
         out_valid <= {valid};\n    out_class <= best_class;\n    out_counts <= counts;\n  end\nendmodule",
        cw = class_width - 1,
        pw = planes - 1,
    )
    .unwrap();
    Verilog { design: v, latency: last + 1, input_width, class_width, counts_width }
}

/// The Verilog expression of `op` on operands `a` and `b`.
fn expr(op: crate::gate::GateOp, a: String, b: String) -> String {
    match op.id() {
        0 => "1'b0".to_string(),
        1 => format!("{a} & {b}"),
        2 => format!("{a} & ~{b}"),
        3 => a,
        4 => format!("~{a} & {b}"),
        5 => b,
        6 => format!("{a} ^ {b}"),
        7 => format!("{a} | {b}"),
        8 => format!("~({a} | {b})"),
        9 => format!("~({a} ^ {b})"),
        10 => format!("~{b}"),
        11 => format!("{a} | ~{b}"),
        12 => format!("~{a}"),
        13 => format!("~{a} | {b}"),
        14 => format!("~({a} & {b})"),
        _ => "1'b1".to_string(),
    }
}

/// A combinational module for a loop's kernel: `x` its inputs, `y` one bit per output channel.
fn kernel_module(v: &mut String, l: &Loop, module: &str) {
    let k = &l.kernel;
    let ni = k.num_inputs;
    writeln!(
        v,
        "// {module}: the kernel of {} ({} gates), instantiated at each of {} positions.\n\
         module {module} (input wire [{}:0] x, output wire [{}:0] y);",
        l.name,
        k.gates.len(),
        l.positions(),
        ni.max(1) - 1,
        k.outputs.len() - 1
    )
    .unwrap();
    let sig = |s: usize| if s < ni { format!("x[{s}]") } else { format!("g{}", s - ni) };
    for (g, gate) in k.gates.iter().enumerate() {
        let [ra, rb] = gate.reads();
        let (a, b) = (ra.map_or(String::new(), |s| sig(s.index())), rb.map_or(String::new(), |s| sig(s.index())));
        writeln!(v, "  wire g{g} = {};", expr(gate.op, a, b)).unwrap();
    }
    for (j, s) in l.kernel_outputs().enumerate() {
        writeln!(v, "  assign y[{j}] = {};", sig(s.index())).unwrap();
    }
    writeln!(v, "endmodule\n").unwrap();
}

/// Loop `i` as `generate` loops over its grid, one kernel instance per position, reading buffer `b{i}` and
/// writing `b{i+1}`; cells of `b{i+1}` that no position writes (zero borders) are tied to 0.
fn loop_instance(v: &mut String, l: &Loop, module: &str, i: usize) {
    let (inb, outb) = (format!("b{i}"), format!("b{}", i + 1));
    let (ni, no) = (l.kernel.num_inputs, l.writes.len());
    writeln!(v, "  // {}: {} x {} positions of {module}.", l.name, l.grid[0], l.grid[1]).unwrap();
    writeln!(v, "  wire [{}:0] {outb};", l.out_len - 1).unwrap();
    let base = format!("r{i} * {} + c{i} * {}", l.in_step[0], l.in_step[1]);
    let obase = format!("{} + r{i} * {} + c{i} * {}", l.out_start, l.out_step[0], l.out_step[1]);
    writeln!(
        v,
        "  genvar r{i}, c{i};\n  generate for (r{i} = 0; r{i} < {}; r{i} = r{i} + 1) begin : loop{i}_row\n    \
         for (c{i} = 0; c{i} < {}; c{i} = c{i} + 1) begin : col\n      wire [{}:0] x;\n      wire [{}:0] y;",
        l.grid[0],
        l.grid[1],
        ni.max(1) - 1,
        no - 1
    )
    .unwrap();
    for (k, &r) in l.reads.iter().enumerate() {
        writeln!(v, "      assign x[{k}] = {inb}[{base} + {r}];").unwrap();
    }
    if ni == 0 {
        writeln!(v, "      assign x[0] = 1'b0;").unwrap();
    }
    writeln!(v, "      {module} k (.x(x), .y(y));").unwrap();
    for (j, &w) in l.writes.iter().enumerate() {
        writeln!(v, "      assign {outb}[{obase} + {w}] = y[{j}];").unwrap();
    }
    writeln!(v, "    end\n  end endgenerate").unwrap();
    // Zero cells: one generate loop when the unwritten cells are the border of a channel-major map (what
    // lowering makes), else one assignment per run of cells.
    let zeros = l.unwritten();
    if zeros.is_empty() {
        return;
    }
    match border(l) {
        Some((hq, wq, q)) => writeln!(
            v,
            "  genvar z{i};\n  generate for (z{i} = 0; z{i} < {len}; z{i} = z{i} + 1) begin : zero{i}\n    \
             if ((z{i} % {wq}) < {q} || (z{i} % {wq}) >= {wr} || ((z{i} / {wq}) % {hq}) < {q} || \
             ((z{i} / {wq}) % {hq}) >= {hr})\n      assign {outb}[z{i}] = 1'b0;\n  end endgenerate",
            len = l.out_len,
            wr = wq - q,
            hr = hq - q,
        )
        .unwrap(),
        None => {
            for (start, len) in zeros {
                writeln!(v, "  assign {outb}[{}:{start}] = {len}'b0;", start + len - 1).unwrap();
            }
        }
    }
}

/// `(height, width, border)` of the padded channel-major map a loop writes, if it writes one: unit column
/// step, row step the padded width, channels one padded map apart, the grid exactly the interior.
fn border(l: &Loop) -> Option<(usize, usize, usize)> {
    let wq = l.out_step[0];
    let q = (wq.checked_sub(l.grid[1])?) / 2;
    let hq = l.grid[0] + 2 * q;
    let plane = hq * wq;
    let ok = l.out_step[1] == 1
        && wq == l.grid[1] + 2 * q
        && l.out_start == q * wq + q
        && l.writes.iter().enumerate().all(|(j, &w)| w as usize == j * plane)
        && l.out_len == l.writes.len() * plane;
    ok.then_some((hq, wq, q))
}

/// Generates a testbench for `design` (module `name`) that reads `n` golden vectors from `name_in.hex` (one
/// input word per line) and `name_expect.hex` (`{counts, class}` per line), checks every output, prints
/// `N passed, N failed` and stops with `$fatal` on a mismatch.
pub fn testbench(design: &Verilog, name: &str, n: usize) -> String {
    let (iw, cw, kw) = (design.input_width, design.class_width, design.counts_width);
    format!(
        "`timescale 1ns/1ps\n\
         module {name}_tb;\n  reg clk = 0;\n  always #5 clk = ~clk;\n  reg in_valid = 0;\n  reg [{iw1}:0] in_x = 0;\n  \
         wire out_valid;\n  wire [{cw1}:0] out_class;\n  wire [{kw1}:0] out_counts;\n  \
         {name} dut(.clk(clk), .in_valid(in_valid), .in_x(in_x), .out_valid(out_valid), .out_class(out_class), .out_counts(out_counts));\n  \
         reg [{iw1}:0] inputs [0:{n1}];\n  reg [{ew1}:0] expect [0:{n1}];\n  integer i, j, passed, failed;\n  \
         initial begin\n    $readmemh(\"{name}_in.hex\", inputs);\n    $readmemh(\"{name}_expect.hex\", expect);\n    \
         passed = 0; failed = 0; j = 0;\n    for (i = 0; i < {n}; i = i + 1) begin\n      @(negedge clk);\n      \
         in_x = inputs[i];\n      in_valid = 1;\n    end\n    @(negedge clk);\n    in_valid = 0;\n    \
         repeat ({wait}) @(negedge clk);\n    if (j != {n}) failed = failed + ({n} - j);\n    \
         $display(\"%0d passed, %0d failed\", passed, failed);\n    if (failed != 0) $fatal(1, \"output mismatch\");\n    \
         $finish;\n  end\n  always @(negedge clk) if (out_valid) begin\n    \
         if ({{out_counts, out_class}} === expect[j]) passed = passed + 1;\n    else begin\n      failed = failed + 1;\n      \
         if (failed <= 5) $display(\"vector %0d: got %h, expected %h\", j, {{out_counts, out_class}}, expect[j]);\n    end\n    \
         j = j + 1;\n  end\nendmodule\n",
        iw1 = iw - 1,
        cw1 = cw - 1,
        kw1 = kw - 1,
        ew1 = kw + cw - 1,
        n1 = n.max(1) - 1,
        wait = design.latency + 2,
    )
}
