//! The gate netlist: the second IR level, what passes transform and backends compile.
//!
//! Signals are numbered densely: `0..num_inputs` are the encoded input bits, then gate `i` drives signal
//! `num_inputs + i`. Gates are stored in topological order: a gate reads only signals below its own.
//! Constants are gates with op 0 or 15 (their inputs are ignored).
//! The outputs are, per class, the bits of that class's count, least significant first; every class has the
//! same number of count bits ("planes"). The GroupSum adder trees are ordinary gates of the netlist.
//!
//! Spatial layers are [`Loop`]s that run before the gates: `loops[0]` reads the encoded input bits, each
//! loop's output buffer is the next loop's input, and the last loop's output buffer is the netlist's
//! `num_inputs` input signals. Without loops the encoded input bits are the input signals directly.

mod loops;
mod verify;

pub use loops::Loop;
pub use verify::VerifyError;

use crate::gate::GateOp;

/// A signal: an input bit or the output of a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(pub u32);

impl Signal {
    /// The signal's index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One two-input gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gate {
    /// The Boolean function.
    pub op: GateOp,
    /// First input.
    pub a: Signal,
    /// Second input.
    pub b: Signal,
}

impl Gate {
    /// The inputs the gate's function depends on: none for a constant, one for a pass-through or inverter.
    /// Backends read, wire and keep alive only these.
    pub fn reads(&self) -> [Option<Signal>; 2] {
        [self.op.reads_a().then_some(self.a), self.op.reads_b().then_some(self.b)]
    }
}

/// A named range of gates that came from one layer of the model (metadata for reports and backends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// e.g. `dense 1` or `group_sum`.
    pub name: String,
    /// First gate index.
    pub start: usize,
    /// One past the last gate index.
    pub end: usize,
}

/// A combinational gate network with class-count outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Netlist {
    /// Number of input bits.
    pub num_inputs: usize,
    /// Gates in topological order.
    pub gates: Vec<Gate>,
    /// Per class, the bits of its count, least significant first (all classes have the same length).
    pub outputs: Vec<Vec<Signal>>,
    /// Which gates came from which model layer.
    pub spans: Vec<Span>,
    /// Loops that compute the input signals from the encoded input bits (empty for dense models).
    pub loops: Vec<Loop>,
}

impl Netlist {
    /// An empty netlist over `num_inputs` input bits.
    pub fn new(num_inputs: usize) -> Netlist {
        Netlist { num_inputs, ..Netlist::default() }
    }

    /// Number of encoded input bits the whole network reads: the first loop's input, or the input signals.
    pub fn input_bits(&self) -> usize {
        self.loops.first().map_or(self.num_inputs, |l| l.in_len)
    }

    /// Gates in the loop kernels (each counted once) plus the netlist's gates.
    pub fn total_gates(&self) -> usize {
        self.loops.iter().map(|l| l.kernel.gates.len()).sum::<usize>() + self.gates.len()
    }

    /// Gates evaluated per sample: every kernel gate times its positions, plus the netlist's gates.
    pub fn evaluated_gates(&self) -> usize {
        self.loops.iter().map(|l| l.kernel.gates.len() * l.positions()).sum::<usize>() + self.gates.len()
    }

    /// Runs the loops on one word per encoded input bit and returns the netlist's input words.
    pub fn run_loops(&self, bits: &[u64]) -> Vec<u64> {
        let mut buf = bits.to_vec();
        for l in &self.loops {
            buf = l.simulate(&buf);
        }
        buf
    }

    /// Total number of signals (inputs plus gates).
    pub fn num_signals(&self) -> usize {
        self.num_inputs + self.gates.len()
    }

    /// Appends a gate and returns its output signal.
    pub fn push(&mut self, op: GateOp, a: Signal, b: Signal) -> Signal {
        let s = Signal(self.num_signals() as u32);
        self.gates.push(Gate { op, a, b });
        s
    }

    /// The gate driving `s`, or `None` for an input bit.
    pub fn driver(&self, s: Signal) -> Option<&Gate> {
        s.index().checked_sub(self.num_inputs).map(|i| &self.gates[i])
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.outputs.len()
    }

    /// Count bits per class.
    pub fn planes(&self) -> usize {
        self.outputs.first().map_or(0, Vec::len)
    }

    /// Logic level of every signal: inputs 0, a gate one more than its deepest input (constants: 1).
    pub fn levels(&self) -> Vec<u32> {
        let mut level = vec![0u32; self.num_signals()];
        for (i, g) in self.gates.iter().enumerate() {
            let l = if g.op.is_constant() { 0 } else { level[g.a.index()].max(level[g.b.index()]) };
            level[self.num_inputs + i] = l + 1;
        }
        level
    }

    /// Depth: the highest level of any output.
    pub fn depth(&self) -> u32 {
        let level = self.levels();
        self.outputs.iter().flatten().map(|s| level[s.index()]).max().unwrap_or(0)
    }

    /// How many gates of each id (index = gate id).
    pub fn op_histogram(&self) -> [usize; 16] {
        let mut h = [0; 16];
        for g in &self.gates {
            h[g.op.id() as usize] += 1;
        }
        h
    }

    /// Evaluates the netlist bitwise on 64 samples per word, one word per signal: the simplest possible
    /// evaluator, used by tests and as the definition of the netlist's meaning. Returns all signal values.
    pub fn simulate(&self, inputs: &[u64]) -> Vec<u64> {
        assert_eq!(inputs.len(), self.num_inputs, "one input word per input bit");
        let mut v = Vec::with_capacity(self.num_signals());
        v.extend_from_slice(inputs);
        for g in &self.gates {
            let x = g.op.eval_word(v[g.a.index()], v[g.b.index()]);
            v.push(x);
        }
        v
    }
}
