//! Where a netlist with loops keeps its buffers in an engine's scratch memory.
//!
//! Units are signals (each `words` u64 words in an engine). Only two feature maps are live at a time (the one a
//! loop reads and the one it writes), so buffers alternate between two regions: even buffers start at 0 (buffer 0,
//! the encoded input bits, must, by the engine contract), odd buffers after the largest even one. The last buffer
//! is the netlist's input signals: the netlist's own slots start there and may run over everything after it (the
//! maps are dead by then). Loop kernels keep their temporaries in one region after everything else.
//!
//! Because a region is reused, the cells of a buffer that no position of its loop writes (zero borders) hold
//! stale data from an earlier map: an engine zeroes [`Layout::zeros`] of loop `i` before running loop `i`.

use crate::ir::Netlist;

/// Buffer offsets of one engine's scratch, in signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Start of buffer `i`; the last entry is the start of the netlist's slots.
    pub buffers: Vec<usize>,
    /// Per loop, the `(start, len)` ranges of its output buffer (absolute, in signals) that no position writes.
    pub zeros: Vec<Vec<(usize, usize)>>,
    /// Start of the loop kernels' temporaries.
    pub kernel_base: usize,
    /// Signals in all.
    pub total: usize,
}

impl Layout {
    /// The layout of `net` for an engine whose netlist needs `tail_slots` slots and whose loop kernels
    /// need `kernel_slots` slots each.
    pub fn new(net: &Netlist, tail_slots: usize, kernel_slots: &[usize]) -> Layout {
        let lens: Vec<usize> = net.loops.iter().map(|l| l.in_len).chain([net.num_inputs]).collect();
        let even = lens.iter().step_by(2).copied().max().unwrap_or(0);
        let odd = lens.iter().skip(1).step_by(2).copied().max().unwrap_or(0);
        let buffers: Vec<usize> = (0..lens.len()).map(|i| if i % 2 == 0 { 0 } else { even }).collect();
        let tail = *buffers.last().unwrap();
        let kernel_base = (even + odd).max(tail + tail_slots.max(net.num_inputs));
        let total = kernel_base + kernel_slots.iter().copied().max().unwrap_or(0);
        let zeros = net
            .loops
            .iter()
            .enumerate()
            .map(|(i, l)| l.unwritten().into_iter().map(|(s, n)| (buffers[i + 1] + s, n)).collect())
            .collect();
        Layout { buffers, zeros, kernel_base, total }
    }

    /// Start of the netlist's slots (its input signals).
    pub fn tail(&self) -> usize {
        *self.buffers.last().unwrap()
    }
}
