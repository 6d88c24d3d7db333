//! Schedules with liveness-based slots, shared by backends that keep values in memory slots.
//!
//! [`Slots`] keeps the netlist's (topological) order. Input bit `i` keeps slot `i`. Before gate `g`'s output gets a
//! slot, the slots of the inputs whose last reader is `g` are freed, so `g` may overwrite one of its own
//! inputs: backends must read each operand word before writing the same word of the result. Output count bits
//! are never freed. The slot count is the widest live cut, not the gate count.
//!
//! [`Schedule`] orders gates by logic level and, within a level, by op (table-driven evaluators: one loop per
//! run of equal ops); slots are freed only after the level of their last reader.

use crate::gate::GateOp;
use crate::ir::Netlist;

/// For every signal, the largest `key(g)` over the gates `g` that read it ([`Gate::reads`](crate::ir::Gate)),
/// starting from `init`; output count bits get `u32::MAX` (they live to the end).
fn last_readers(net: &Netlist, mut last: Vec<u32>, key: impl Fn(usize) -> u32) -> Vec<u32> {
    for (g, gate) in net.gates.iter().enumerate() {
        for s in gate.reads().into_iter().flatten() {
            last[s.index()] = last[s.index()].max(key(g));
        }
    }
    for s in net.outputs.iter().flatten() {
        last[s.index()] = u32::MAX;
    }
    last
}

/// Slots and liveness of a netlist in its stored order.
#[derive(Clone, Debug)]
pub struct Slots {
    /// Slot of every signal.
    pub slot: Vec<u32>,
    /// Signal index of the last gate reading each signal (`u32::MAX` for outputs; a signal nobody reads has its
    /// own index).
    pub last_use: Vec<u32>,
    /// Number of slots.
    pub count: usize,
}

impl Slots {
    /// Assigns slots to every signal of `net`.
    pub fn new(net: &Netlist) -> Slots {
        Slots::assign(net, |g| {
            let [a, b] = net.gates[g].reads();
            let mut r = [0; 3];
            let mut k = 0;
            for s in [a, b.filter(|&b| Some(b) != a)].into_iter().flatten() {
                r[k] = s.0;
                k += 1;
            }
            Some((r, k))
        })
    }

    /// Slots for code that emits only the roots of a three-input cut mapping, each reading its leaves; the
    /// other gates are never written or read and get slot 0.
    pub fn mapped(net: &Netlist, map: &super::lut3::Mapping) -> Slots {
        Slots::assign(net, |g| {
            map.root[g].then(|| {
                let mut r = [0; 3];
                r[..map.leaves[g].len()].copy_from_slice(&map.leaves[g]);
                (r, map.leaves[g].len())
            })
        })
    }

    /// The slot assignment when gate `g` is emitted reading the distinct signals `reads(g)` (`None`: not
    /// emitted, slot 0).
    fn assign(net: &Netlist, reads: impl Fn(usize) -> Option<([u32; 3], usize)>) -> Slots {
        let ni = net.num_inputs;
        let n = net.num_signals();
        let reads: Vec<Option<([u32; 3], usize)>> = (0..net.gates.len()).map(reads).collect();
        // last_use[s] = index (in signal numbering) of the last gate reading s; a signal nobody reads dies
        // at its own gate; output count bits live to the end.
        let mut last_use: Vec<u32> = (0..n as u32).collect();
        for (g, r) in reads.iter().enumerate() {
            for &s in r.as_ref().map_or(&[][..], |(r, k)| &r[..*k]) {
                last_use[s as usize] = last_use[s as usize].max((ni + g) as u32);
            }
        }
        for s in net.outputs.iter().flatten() {
            last_use[s.index()] = u32::MAX;
        }
        let mut slot: Vec<u32> = (0..ni as u32).collect();
        slot.resize(n, u32::MAX);
        let mut free: Vec<u32> = Vec::new();
        let mut count = ni;
        // Inputs that nobody reads free their slot at once.
        free.extend((0..ni as u32).filter(|&s| last_use[s as usize] == s));
        for (g, r) in reads.iter().enumerate() {
            let me = (ni + g) as u32;
            let Some((r, k)) = r else {
                slot[me as usize] = 0;
                continue;
            };
            for &s in &r[..*k] {
                if last_use[s as usize] == me {
                    free.push(slot[s as usize]);
                }
            }
            slot[me as usize] = free.pop().unwrap_or_else(|| {
                count += 1;
                (count - 1) as u32
            });
            if last_use[me as usize] == me {
                free.push(slot[me as usize]);
            }
        }
        Slots { slot, last_use, count }
    }
}

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
        let last_use = last_readers(net, vec![0; net.num_signals()], |g| level[ni + g]);
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
