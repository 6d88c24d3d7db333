//! Linear scheduling with liveness-based slots, shared by backends that keep values in memory slots.
//!
//! Gates keep the netlist's (topological) order. Input bit `i` keeps slot `i`. Before gate `g`'s output gets a
//! slot, the slots of the inputs whose last reader is `g` are freed, so `g` may overwrite one of its own
//! inputs: backends must read each operand word before writing the same word of the result. Output count bits
//! are never freed. The slot count is the widest live cut, not the gate count.

use crate::ir::Netlist;

/// Slots and liveness of a netlist in its stored order.
#[derive(Clone, Debug)]
pub struct Slots {
    /// Slot of every signal.
    pub slot: Vec<u32>,
    /// Index of the last gate reading each signal (`u32::MAX` for outputs, `None`-like `0` never read is
    /// encoded as the producer's own index).
    pub last_use: Vec<u32>,
    /// Number of slots.
    pub count: usize,
}

impl Slots {
    /// Assigns slots to every signal of `net`.
    pub fn new(net: &Netlist) -> Slots {
        let ni = net.num_inputs;
        let n = net.num_signals();
        // last_use[s] = index (in signal numbering) of the last gate reading s; a signal nobody reads dies
        // at its own gate.
        let mut last_use: Vec<u32> = (0..n as u32).collect();
        for (g, gate) in net.gates.iter().enumerate() {
            if gate.op.is_constant() {
                continue;
            }
            let me = (ni + g) as u32;
            last_use[gate.a.index()] = me;
            last_use[gate.b.index()] = me;
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
        for (g, gate) in net.gates.iter().enumerate() {
            let me = (ni + g) as u32;
            if !gate.op.is_constant() {
                if last_use[gate.a.index()] == me {
                    free.push(slot[gate.a.index()]);
                }
                if gate.b != gate.a && last_use[gate.b.index()] == me {
                    free.push(slot[gate.b.index()]);
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
