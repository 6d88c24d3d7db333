//! Loops: one kernel netlist evaluated at every position of a 2-D grid (tree convolutions, OR pooling).
//!
//! A [`Loop`] reads a buffer of `in_len` signals and writes a buffer of `out_len` signals. At position
//! `(r, c)` of its `rows × cols` grid, kernel input `i` is input-buffer signal
//! `r * in_step[0] + c * in_step[1] + reads[i]`, and kernel output `j` (its only count bit) is written to
//! output-buffer signal `out_start + r * out_step[0] + c * out_step[1] + writes[j]`. Output signals that no
//! position writes are 0: that is how the zero padding of the next convolution is stored. The kernel is kept
//! once, so code and tables are O(kernel), never O(positions).

use super::{Netlist, VerifyError};

/// A kernel netlist evaluated over a grid of positions.
#[derive(Clone, Debug, PartialEq)]
pub struct Loop {
    /// e.g. `tree_conv 1`.
    pub name: String,
    /// The kernel: `outputs[j]` is one signal (one "plane") per output channel.
    pub kernel: Netlist,
    /// Signals in the buffer read.
    pub in_len: usize,
    /// Signals in the buffer written.
    pub out_len: usize,
    /// Per kernel input: offset from the position's input base.
    pub reads: Vec<u32>,
    /// Per kernel output: offset from the position's output base.
    pub writes: Vec<u32>,
    /// Grid rows and columns.
    pub grid: [usize; 2],
    /// Input base advance per row and per column.
    pub in_step: [usize; 2],
    /// Output base of position (0, 0).
    pub out_start: usize,
    /// Output base advance per row and per column.
    pub out_step: [usize; 2],
}

impl Loop {
    /// Number of positions.
    pub fn positions(&self) -> usize {
        self.grid[0] * self.grid[1]
    }

    /// Input and output bases of every position, row-major.
    pub fn bases(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let [rows, cols] = self.grid;
        (0..rows).flat_map(move |r| {
            (0..cols).map(move |c| {
                (
                    r * self.in_step[0] + c * self.in_step[1],
                    self.out_start + r * self.out_step[0] + c * self.out_step[1],
                )
            })
        })
    }

    /// The kernel's output signals, one per output channel.
    pub fn kernel_outputs(&self) -> impl Iterator<Item = super::Signal> + '_ {
        self.kernel.outputs.iter().map(|o| o[0])
    }

    /// The `(start, len)` runs of output-buffer signals that no position writes (the zero borders), in order.
    pub fn unwritten(&self) -> Vec<(usize, usize)> {
        let mut written = vec![false; self.out_len];
        for (_, ob) in self.bases() {
            for &w in &self.writes {
                written[ob + w as usize] = true;
            }
        }
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (s, _) in written.iter().enumerate().filter(|(_, w)| !**w) {
            match runs.last_mut() {
                Some((start, len)) if *start + *len == s => *len += 1,
                _ => runs.push((s, 1)),
            }
        }
        runs
    }

    /// Evaluates the loop on one word (64 samples) per signal: the definition of its meaning.
    pub fn simulate(&self, input: &[u64]) -> Vec<u64> {
        assert_eq!(input.len(), self.in_len, "one word per input-buffer signal");
        let mut out = vec![0u64; self.out_len];
        let mut leaf = vec![0u64; self.kernel.num_inputs];
        for (ib, ob) in self.bases() {
            for (l, &r) in leaf.iter_mut().zip(&self.reads) {
                *l = input[ib + r as usize];
            }
            let v = self.kernel.simulate(&leaf);
            for (s, &w) in self.kernel_outputs().zip(&self.writes) {
                out[ob + w as usize] = v[s.index()];
            }
        }
        out
    }

    /// Checks the loop's invariants: a valid kernel with one bit per output, tables of the kernel's sizes,
    /// and every read and write inside its buffer.
    pub fn verify(&self) -> Vec<VerifyError> {
        let err = |msg: String| VerifyError { at: None, msg: format!("{}: {msg}", self.name) };
        let mut errors: Vec<VerifyError> = self.kernel.verify().into_iter().map(|e| err(e.to_string())).collect();
        if self.kernel.planes() != 1 {
            errors.push(err(format!("kernel outputs have {} bits, expected 1", self.kernel.planes())));
        }
        if self.reads.len() != self.kernel.num_inputs || self.writes.len() != self.kernel.outputs.len() {
            errors.push(err("read/write tables do not match the kernel".into()));
            return errors;
        }
        if self.grid[0] == 0 || self.grid[1] == 0 {
            errors.push(err("empty grid".into()));
            return errors;
        }
        let (r, c) = (self.grid[0] - 1, self.grid[1] - 1);
        let last_in = r * self.in_step[0] + c * self.in_step[1];
        if let Some(&m) = self.reads.iter().max()
            && last_in + m as usize >= self.in_len
        {
            errors.push(err(format!("reads signal {} of {}", last_in + m as usize, self.in_len)));
        }
        let last_out = self.out_start + r * self.out_step[0] + c * self.out_step[1];
        if let Some(&m) = self.writes.iter().max()
            && last_out + m as usize >= self.out_len
        {
            errors.push(err(format!("writes signal {} of {}", last_out + m as usize, self.out_len)));
        }
        errors
    }
}
