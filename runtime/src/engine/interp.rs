//! The reference interpreter: table-driven, bit-sliced evaluation of a netlist.
//!
//! Built once per netlist: gates are scheduled by logic level, and within a level grouped by op, so the hot
//! loop is one tight loop per (level, op) over `(dst, a, b)` slot triples with no per-gate branch. Slots are
//! assigned by liveness (a slot is reused once its signal's last reader has run), so scratch memory is the
//! widest live cut of the network rather than its gate count. Each value is `W` u64 words (64·W samples).

use lgn_compiler::{GateOp, Netlist};

use super::Engine;

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
    num_inputs: usize,
    classes: usize,
    planes: usize,
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

/// A level schedule with liveness-based slot assignment, shared by engines that keep values in slots.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Gate indices grouped by level, then by op within the level: `(level, op, gates)`.
    pub runs: Vec<(u32, GateOp, Vec<usize>)>,
    /// Slot of every signal (inputs keep slots `0..num_inputs`).
    pub slot: Vec<u32>,
    /// Number of slots.
    pub slots: usize,
}

impl Schedule {
    /// Schedules `net` by level and assigns slots by liveness.
    pub fn new(net: &Netlist) -> Schedule {
        let ni = net.num_inputs;
        let level = net.levels();
        let max_level = level.iter().copied().max().unwrap_or(0) as usize;
        // Gates per level, grouped by op (stable within an op).
        let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); max_level + 1];
        for g in 0..net.gates.len() {
            by_level[level[ni + g] as usize].push(g);
        }
        // The last level at which each signal is read; outputs live forever.
        let mut last_use = vec![0u32; net.num_signals()];
        for (g, gate) in net.gates.iter().enumerate() {
            let l = level[ni + g];
            if !gate.op.is_constant() {
                for s in [gate.a, gate.b] {
                    last_use[s.index()] = last_use[s.index()].max(l);
                }
            }
        }
        for s in net.outputs.iter().flatten() {
            last_use[s.index()] = u32::MAX;
        }
        let mut dying: Vec<Vec<u32>> = vec![Vec::new(); max_level + 1];
        let mut slot: Vec<u32> = (0..ni as u32).collect();
        slot.resize(net.num_signals(), u32::MAX);
        let mut free: Vec<u32> = Vec::new();
        let mut slots = ni;
        let release = |s: usize, l: usize, dying: &mut Vec<Vec<u32>>| {
            if last_use[s] != u32::MAX {
                dying[(last_use[s] as usize).max(l)].push(s as u32);
            }
        };
        for s in 0..ni {
            release(s, 0, &mut dying);
        }
        let mut runs = Vec::new();
        for (l, gates) in by_level.iter_mut().enumerate() {
            // Slots freed by readers at level l-1 are reusable from level l on.
            if l > 0 {
                for s in std::mem::take(&mut dying[l - 1]) {
                    free.push(slot[s as usize]);
                }
            }
            gates.sort_by_key(|&g| net.gates[g].op);
            for &g in gates.iter() {
                let s = ni + g;
                slot[s] = free.pop().unwrap_or_else(|| {
                    slots += 1;
                    (slots - 1) as u32
                });
                release(s, l, &mut dying);
            }
            let mut i = 0;
            while i < gates.len() {
                let op = net.gates[gates[i]].op;
                let j = i + gates[i..].iter().take_while(|&&g| net.gates[g].op == op).count();
                runs.push((l as u32, op, gates[i..j].to_vec()));
                i = j;
            }
        }
        Schedule { runs, slot, slots }
    }
}

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
        Interpreter {
            num_inputs: ni,
            classes: net.classes(),
            planes: net.planes(),
            slots: sched.slots,
            groups,
            outputs,
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
    fn num_inputs(&self) -> usize {
        self.num_inputs
    }
    fn classes(&self) -> usize {
        self.classes
    }
    fn planes(&self) -> usize {
        self.planes
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
        for (i, &s) in self.outputs.iter().enumerate() {
            out[i * W..(i + 1) * W].copy_from_slice(&v[s as usize * W..(s as usize + 1) * W]);
        }
    }
}
