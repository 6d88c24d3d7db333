//! Loop fusion: a loop and the loop that reads its buffer become one loop, when that computes no position twice.
//!
//! A tree convolution followed by a 2×2 OR pooling of stride 2 is the case that matters: the fused kernel
//! holds four copies of the convolution's trees (one per window position) and the OR trees over them, so the
//! convolution's output map — four times the pooled map — is never written to memory and read back. The
//! gates evaluated per sample do not grow (every convolution position is computed once, by the pooling
//! position that reads it), and the kernel stays O(kernel): four copies, independent of the map size.
//!
//! Fusion is exact: the fused loop computes the second loop's buffer from the first loop's input buffer,
//! signal for signal, and the second loop's zero borders stay unwritten.

use std::collections::HashMap;

use crate::ir::{Loop, Netlist, Signal, Span};

/// Fuses every loop with its reader while that computes no position twice; other loops are kept as they are.
pub fn fuse_loops(loops: &[Loop]) -> Vec<Loop> {
    let mut out: Vec<Loop> = Vec::with_capacity(loops.len());
    for l in loops {
        match out.last().and_then(|prev| compose(prev, l)) {
            Some(fused) => *out.last_mut().expect("a previous loop") = fused,
            None => out.push(l.clone()),
        }
    }
    out
}

/// The loop that computes `b` of the output of `a` in one pass over `b`'s grid, or `None` when `b` does
/// not read `a`'s output with an affine pattern of whole positions, when it reads a signal `a` leaves
/// unwritten (a border), or when fusion would compute some position of `a` more than once.
pub fn compose(a: &Loop, b: &Loop) -> Option<Loop> {
    if b.in_len != a.out_len || a.positions() == 0 || b.positions() == 0 {
        return None;
    }
    // b's position step, in whole positions of a along each axis.
    let factor = |k: usize| {
        (a.out_step[k] > 0 && b.in_step[k].is_multiple_of(a.out_step[k])).then(|| b.in_step[k] / a.out_step[k])
    };
    let f = [factor(0)?, factor(1)?];
    // Which position of a, and which of its outputs, writes each signal of a's buffer.
    let mut owner: HashMap<usize, ([usize; 2], usize)> = HashMap::with_capacity(a.positions() * a.writes.len());
    for (p, (_, base)) in a.bases().enumerate() {
        let pos = [p / a.grid[1], p % a.grid[1]];
        for (j, &w) in a.writes.iter().enumerate() {
            if owner.insert(base + w as usize, (pos, j)).is_some() {
                return None;
            }
        }
    }
    // b's kernel inputs at its position (0, 0), as (position of a, output of a).
    let sources: Vec<([usize; 2], usize)> =
        b.reads.iter().map(|&r| owner.get(&(r as usize)).copied()).collect::<Option<_>>()?;
    let mut used: Vec<[usize; 2]> = sources.iter().map(|s| s.0).collect();
    used.sort_unstable();
    used.dedup();
    // Every position of a that b's last position reads must exist.
    let last = [b.grid[0] - 1, b.grid[1] - 1];
    if used.iter().any(|p| p[0] + f[0] * last[0] >= a.grid[0] || p[1] + f[1] * last[1] >= a.grid[1]) {
        return None;
    }
    // No recomputation: the positions b's grid reads are at most a's positions.
    if used.len() * b.positions() > a.positions() {
        return None;
    }

    // The fused kernel's inputs: a's reads from every used position, deduplicated.
    let mut reads: Vec<u32> = Vec::new();
    let mut input_of: HashMap<u32, Signal> = HashMap::new();
    let offset = |p: [usize; 2], r: u32| (p[0] * a.in_step[0] + p[1] * a.in_step[1]) as u32 + r;
    for &p in &used {
        for &r in &a.reads {
            input_of.entry(offset(p, r)).or_insert_with(|| {
                reads.push(offset(p, r));
                Signal(reads.len() as u32 - 1)
            });
        }
    }
    let mut kernel = Netlist::new(reads.len());
    // One copy of a's kernel per used position: out_of[(p, j)] is a's output j there.
    let mut out_of: HashMap<([usize; 2], usize), Signal> = HashMap::new();
    for &p in &used {
        let map = copy_gates(&mut kernel, &a.kernel, |i| input_of[&offset(p, a.reads[i])]);
        for (j, s) in a.kernel_outputs().enumerate() {
            out_of.insert((p, j), map[s.index()]);
        }
    }
    let a_end = kernel.gates.len();
    let map = copy_gates(&mut kernel, &b.kernel, |i| out_of[&sources[i]]);
    kernel.outputs = b.kernel_outputs().map(|s| vec![map[s.index()]]).collect();
    kernel.spans = vec![
        Span { name: a.name.clone(), start: 0, end: a_end },
        Span { name: b.name.clone(), start: a_end, end: kernel.gates.len() },
    ];
    Some(Loop {
        name: format!("{} + {}", a.name, b.name),
        kernel,
        in_len: a.in_len,
        out_len: b.out_len,
        reads,
        writes: b.writes.clone(),
        grid: b.grid,
        in_step: [f[0] * a.in_step[0], f[1] * a.in_step[1]],
        out_start: b.out_start,
        out_step: b.out_step,
    })
}

/// Appends `src`'s gates to `dst`, its input `i` being `input(i)`; returns the map from `src`'s signals to
/// `dst`'s.
fn copy_gates(dst: &mut Netlist, src: &Netlist, input: impl Fn(usize) -> Signal) -> Vec<Signal> {
    let mut map: Vec<Signal> = (0..src.num_inputs).map(input).collect();
    for g in &src.gates {
        // A constant reads nothing; its (ignored) inputs are any signal below it.
        let [a, b] = g.reads().map(|r| r.map_or(Signal(0), |s| map[s.index()]));
        let s = dst.push(g.op, a, b);
        map.push(s);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::random::{Block, ConvSpec};
    use crate::testing::random_conv_model;

    fn words(n: usize, seed: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect()
    }

    fn run(loops: &[Loop], bits: &[u64]) -> Vec<u64> {
        loops.iter().fold(bits.to_vec(), |buf, l| l.simulate(&buf))
    }

    fn evaluated(loops: &[Loop]) -> usize {
        loops.iter().map(|l| l.kernel.gates.len() * l.positions()).sum()
    }

    #[test]
    fn fused_loops_compute_the_same_buffers_without_more_gates() {
        let mut fused_some = 0;
        for seed in 0..300 {
            let loops = crate::lower(&random_conv_model(seed)).loops;
            let Some(first) = loops.first() else { continue };
            let fused = fuse_loops(&loops);
            for l in &fused {
                assert!(l.verify().is_empty(), "seed {seed}: {:?}", l.verify());
            }
            let bits = words(first.in_len, seed);
            assert_eq!(run(&loops, &bits), run(&fused, &bits), "seed {seed}");
            assert!(evaluated(&fused) <= evaluated(&loops), "seed {seed}: fusion recomputes positions");
            fused_some += usize::from(fused.len() < loops.len());
        }
        assert!(fused_some >= 20, "only {fused_some} of the random models had a loop fused");
    }

    #[test]
    fn a_convolution_and_its_pooling_become_one_loop_and_overlapping_windows_do_not() {
        let spec = |pool_stride| ConvSpec {
            input_shape: vec![1, 12, 12],
            thresholds: 2,
            blocks: vec![
                Block::Conv { channels: 3, kernel: 3, stride: 1, padding: 1, depth: 2 },
                Block::Pool { size: 2, stride: pool_stride, padding: 0 },
                Block::Conv { channels: 2, kernel: 3, stride: 1, padding: 1, depth: 2 },
                Block::Pool { size: 2, stride: 2, padding: 0 },
                Block::Dense { width: 4 },
            ],
            classes: 2,
            tau: 1.0,
            seed: 5,
        };
        let loops = crate::lower(&spec(2).build().unwrap()).loops;
        // The first loop copies the input into a map with a zero border: the convolution reads the border, so
        // that copy stays.
        let names: Vec<_> = fuse_loops(&loops).into_iter().map(|l| l.name).filter(|n| n != "pad").collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| n.starts_with("tree_conv") && n.contains("+ or_pool")), "{names:?}");
        // A stride-1 pooling reads every convolution position up to four times: not fused.
        let loops = crate::lower(&spec(1).build().unwrap()).loops;
        let fused = fuse_loops(&loops);
        let names: Vec<_> = fused.into_iter().map(|l| l.name).collect();
        assert!(names.iter().any(|n| n.starts_with("or_pool")), "{names:?}");
    }
}
