//! Where a netlist with loops keeps its buffers in an engine's scratch memory.
//!
//! Units are signals (each `words` u64 words in an engine). Buffer 0 (the encoded input bits) starts at 0,
//! as the engine contract requires; buffer `i + 1`, written by loop `i`, follows buffer `i`. The last buffer
//! is the netlist's input signals: the netlist's own slots start there and may reuse it. Loop kernels keep
//! their temporaries in one region after everything else. Cells of a buffer that no position writes (zero
//! borders) are never written by anyone, so a scratch buffer that starts zeroed keeps them zero.

use crate::ir::Netlist;

/// Buffer offsets of one engine's scratch, in signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Start of buffer `i`; the last entry is the start of the netlist's slots.
    pub buffers: Vec<usize>,
    /// Start of the loop kernels' temporaries.
    pub kernel_base: usize,
    /// Signals in all.
    pub total: usize,
}

impl Layout {
    /// The layout of `net` for an engine whose netlist needs `tail_slots` slots and whose loop kernels
    /// need `kernel_slots` slots each.
    pub fn new(net: &Netlist, tail_slots: usize, kernel_slots: &[usize]) -> Layout {
        let mut buffers = vec![0];
        for l in &net.loops {
            buffers.push(buffers.last().unwrap() + l.in_len);
        }
        let tail = *buffers.last().unwrap();
        let kernel_base = tail + tail_slots.max(net.num_inputs);
        let total = kernel_base + kernel_slots.iter().copied().max().unwrap_or(0);
        Layout { buffers, kernel_base, total }
    }

    /// Start of the netlist's slots (its input signals).
    pub fn tail(&self) -> usize {
        *self.buffers.last().unwrap()
    }
}
