//! The reference interpreter: table-driven, bit-sliced evaluation of a netlist.
//!
//! Built once per netlist: gates are scheduled by logic level, and within a level grouped by op, so the hot
//! loop is one tight loop per (level, op) over `(dst, a, b)` slot triples with no per-gate branch. Slots are
//! assigned by liveness (a slot is reused once its signal's last reader has run), so scratch memory is the
//! widest live cut of the network rather than its gate count. Each value is `W` u64 words (64·W samples).

use lgn_compiler::backend::layout::Layout;
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

/// A scheduled flat netlist: groups over slots, and the slots of its output bits.
#[derive(Clone, Debug)]
struct Flat {
    slots: usize,
    groups: Vec<Group>,
    /// Slot of each output bit, class-major.
    outputs: Vec<u32>,
}

impl Flat {
    fn new(net: &Netlist) -> Flat {
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
        Flat { slots: sched.slots.max(ni), groups, outputs }
    }
}

/// A loop: its kernel, and where it reads and writes (in signals, absolute in scratch).
#[derive(Clone, Debug)]
struct LoopPlan {
    kernel: Flat,
    /// Absolute input signal of each kernel input at position (0, 0).
    reads: Vec<usize>,
    /// Absolute output signal of each kernel output at position (0, 0).
    writes: Vec<usize>,
    /// Input and output base of every position, relative to position (0, 0).
    bases: Vec<(usize, usize)>,
}

/// The interpreter for one netlist, with `W` u64 words per value.
#[derive(Clone, Debug)]
pub struct Interpreter<const W: usize> {
    io: Interface,
    loops: Vec<LoopPlan>,
    tail: Flat,
    layout: Layout,
}

/// Builds an interpreter with `words` u64 words per value (1, 2, 4, 8, 16, 32 or 64, the widths of every JIT
/// code generator; other values are rounded up, above 64 down).
pub fn build(net: &Netlist, words: usize) -> Box<dyn Engine> {
    match words {
        0..=1 => Box::new(Interpreter::<1>::new(net)),
        2 => Box::new(Interpreter::<2>::new(net)),
        3..=4 => Box::new(Interpreter::<4>::new(net)),
        5..=8 => Box::new(Interpreter::<8>::new(net)),
        9..=16 => Box::new(Interpreter::<16>::new(net)),
        17..=32 => Box::new(Interpreter::<32>::new(net)),
        _ => Box::new(Interpreter::<64>::new(net)),
    }
}

/// The default words per value for the interpreter (measured: 4–8 words fit a 2×8000-wide working set in L2).
pub const DEFAULT_WORDS: usize = 8;

impl<const W: usize> Interpreter<W> {
    /// Compiles the netlist into the interpreter's tables.
    pub fn new(net: &Netlist) -> Self {
        let tail = Flat::new(net);
        let kernels: Vec<Flat> = net.loops.iter().map(|l| Flat::new(&l.kernel)).collect();
        let sizes: Vec<usize> = kernels.iter().map(|k| k.slots).collect();
        let layout = Layout::new(net, tail.slots, &sizes);
        let loops = net
            .loops
            .iter()
            .zip(kernels)
            .enumerate()
            .map(|(i, (l, kernel))| {
                let (ib, ob) = (layout.buffers[i], layout.buffers[i + 1]);
                let first = l.bases().next().map_or(0, |b| b.1);
                LoopPlan {
                    kernel,
                    reads: l.reads.iter().map(|&r| ib + r as usize).collect(),
                    writes: l.writes.iter().map(|&w| ob + first + w as usize).collect(),
                    bases: l.bases().map(|(i, o)| (i, o - first)).collect(),
                }
            })
            .collect();
        Interpreter { io: Interface::of(net), loops, tail, layout }
    }
}

/// Runs the groups of a flat netlist whose slot 0 is `v[0]`.
fn run_groups<const W: usize>(v: &mut [u64], groups: &[Group]) {
    for g in groups {
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
        self.layout.total * W
    }

    fn run(&self, v: &mut [u64], out: &mut [u64]) {
        assert!(v.len() >= self.layout.total * W, "scratch too small");
        assert!(out.len() >= self.tail.outputs.len() * W, "output buffer too small");
        let kb = self.layout.kernel_base * W;
        for (l, zeros) in self.loops.iter().zip(&self.layout.zeros) {
            for &(start, len) in zeros {
                v[start * W..(start + len) * W].fill(0);
            }
            for &(ib, ob) in &l.bases {
                let (buffers, kernel) = v.split_at_mut(kb);
                for (k, &r) in l.reads.iter().enumerate() {
                    let src = (ib + r) * W;
                    kernel[k * W..(k + 1) * W].copy_from_slice(&buffers[src..src + W]);
                }
                run_groups::<W>(kernel, &l.kernel.groups);
                for (&s, &w) in l.kernel.outputs.iter().zip(&l.writes) {
                    let (src, dst) = (s as usize * W, (ob + w) * W);
                    buffers[dst..dst + W].copy_from_slice(&kernel[src..src + W]);
                }
            }
        }
        let tail = &mut v[self.layout.tail() * W..];
        run_groups::<W>(tail, &self.tail.groups);
        gather(tail, &self.tail.outputs, W, out);
    }
}
