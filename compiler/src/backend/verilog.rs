//! The Verilog backend: synthesizable Verilog-2001 and a self-checking testbench.
//!
//! One scalar `wire` per gate (simulators are far slower on bit-selects of wide vectors). With
//! `pipeline = K > 0`, registers cut the logic after every K gate levels: a signal read `d` stages after the
//! stage that makes it goes through a chain of `d` registers, and a valid bit travels alongside. The class
//! counts and the argmax are registered in a final output stage (ties: lowest class). Optionally the
//! threshold comparators on raw bytes are included. Latency: `stages + 1` cycles.

use std::fmt::Write;

use crate::ir::Netlist;
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
    let input_width = if opts.raw_inputs { 8 * enc.features } else { ni };
    let counts_width = classes * planes;
    let mut v = String::new();
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
    for i in 0..ni {
        if opts.raw_inputs {
            let (j, f) = (i / enc.features, i % enc.features);
            let cmp = match enc.byte_threshold(f, j) {
                -1 => "1'b1".to_string(),
                255 => "1'b0".to_string(),
                t => format!("(in_x[{}:{}] > 8'd{t})", 8 * f + 7, 8 * f),
            };
            writeln!(v, "  wire i{i} = {cmp};").unwrap();
        } else {
            writeln!(v, "  wire i{i} = in_x[{i}];").unwrap();
        }
    }
    for (g, gate) in net.gates.iter().enumerate() {
        let t = stage(ni + g);
        let [ra, rb] = gate.reads();
        let (a, b) = (ra.map_or(String::new(), |s| at(s.index(), t)), rb.map_or(String::new(), |s| at(s.index(), t)));
        let e = match gate.op.id() {
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
        };
        writeln!(v, "  wire g{g} = {e};").unwrap();
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
