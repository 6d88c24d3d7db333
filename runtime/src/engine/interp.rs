//! The reference interpreter: table-driven, bit-sliced evaluation of a netlist.
//!
//! Built once per netlist: gates are scheduled by logic level, and within a level grouped by op, so the hot
//! loop is one tight loop per (level, op) over `(dst, a, b)` slot triples with no per-gate branch. Slots are
//! assigned by liveness (a slot is reused once its signal's last reader has run), so scratch memory is the
//! widest live cut of the network rather than its gate count. Each value is `W` u64 words (64·W samples).

use lgn_compiler::backend::schedule::Schedule;
use lgn_compiler::{GateOp, Netlist};

use super::{Engine, Interface, gather};

/// One run of gates with the same op at the same level.
#[derive(Clone, Debug)]
struct Group {
    op: GateOp,
    /// `[dst, a, b]` slot indices.
    triples: Vec<[u32; 3]>,
}

/// The interpreter for one netlist, with `W` u64 words per value.
#[derive(Clone, Debug)]
pub struct Interpreter<const W: usize> {
    io: Interface,
    slots: usize,
    groups: Vec<Group>,
    /// Slot of each output count bit, class-major.
    outputs: Vec<u32>,
}

/// Builds an interpreter with `words` u64 words per value (1, 2, 4, 8 or 16; other values are rounded up).
pub fn build(net: &Netlist, words: usize) -> Box<dyn Engine> {
    match words {
        0..=1 => Box::new(Interpreter::<1>::new(net)),
        2 => Box::new(Interpreter::<2>::new(net)),
        3..=4 => Box::new(Interpreter::<4>::new(net)),
        5..=8 => Box::new(Interpreter::<8>::new(net)),
        _ => Box::new(Interpreter::<16>::new(net)),
    }
}

/// The default words per value for the interpreter (measured: 4–8 words fit a 2×8000-wide working set in L2).
pub const DEFAULT_WORDS: usize = 8;

impl<const W: usize> Interpreter<W> {
    /// Compiles the netlist into the interpreter's tables.
    pub fn new(net: &Netlist) -> Self {
        let sched = Schedule::new(net);
        let ni = net.num_inputs;
        let groups = sched
            .runs
            .iter()
            .map(|(_, op, gates)| Group {
                op: *op,
                triples: gates
                    .iter()
                    .map(|&g| {
                        let gate = &net.gates[g];
                        [sched.slot[ni + g], sched.slot[gate.a.index()], sched.slot[gate.b.index()]]
                    })
                    .collect(),
            })
            .collect();
        let outputs = net.outputs.iter().flatten().map(|s| sched.slot[s.index()]).collect();
        Interpreter { io: Interface::of(net), slots: sched.slots, groups, outputs }
    }
}

/// Applies `f` to every triple: `v[dst] = f(v[a], v[b])`, `W` words each.
#[inline(always)]
fn apply<const W: usize>(v: &mut [u64], triples: &[[u32; 3]], f: impl Fn(u64, u64) -> u64) {
    let p = v.as_mut_ptr();
    for &[d, a, b] in triples {
        // SAFETY: every slot index is < slots (by construction in `Schedule::new`) and `run` checked
        // `v.len() >= slots * W`. dst may equal neither a nor b only in value, never in a way that matters:
        // each word is read before it is written.
        unsafe {
            let (d, a, b) = (p.add(d as usize * W), p.add(a as usize * W), p.add(b as usize * W));
            for w in 0..W {
                *d.add(w) = f(*a.add(w), *b.add(w));
            }
        }
    }
}

impl<const W: usize> Engine for Interpreter<W> {
    fn name(&self) -> &'static str {
        "interp"
    }
    fn words(&self) -> usize {
        W
    }
    fn interface(&self) -> Interface {
        self.io
    }
    fn scratch_words(&self) -> usize {
        self.slots * W
    }

    fn run(&self, v: &mut [u64], out: &mut [u64]) {
        assert!(v.len() >= self.slots * W, "scratch too small");
        assert!(out.len() >= self.outputs.len() * W, "output buffer too small");
        for g in &self.groups {
            let t = &g.triples[..];
            match g.op.id() {
                0 => apply::<W>(v, t, |_, _| 0),
                1 => apply::<W>(v, t, |a, b| a & b),
                2 => apply::<W>(v, t, |a, b| a & !b),
                3 => apply::<W>(v, t, |a, _| a),
                4 => apply::<W>(v, t, |a, b| !a & b),
                5 => apply::<W>(v, t, |_, b| b),
                6 => apply::<W>(v, t, |a, b| a ^ b),
                7 => apply::<W>(v, t, |a, b| a | b),
                8 => apply::<W>(v, t, |a, b| !(a | b)),
                9 => apply::<W>(v, t, |a, b| !(a ^ b)),
                10 => apply::<W>(v, t, |_, b| !b),
                11 => apply::<W>(v, t, |a, b| a | !b),
                12 => apply::<W>(v, t, |a, _| !a),
                13 => apply::<W>(v, t, |a, b| !a | b),
                14 => apply::<W>(v, t, |a, b| !(a & b)),
                _ => apply::<W>(v, t, |_, _| !0),
            }
        }
        gather(v, &self.outputs, W, out);
    }
}
