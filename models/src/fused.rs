//! The fused training kernel: forward and backward of a whole dense logic network in one pass per block of
//! samples, written out by hand (DESIGN.md: ~3.5× faster than the best composition of generic burn ops).
//!
//! The network's parameters stay burn parameters and burn's Adam updates them; only the gradient computation
//! moves here. Per neuron the relaxed gate is `c1 + ca·a + cb·b + cab·ab` with `c = softmax(logits) · M`
//! (M: the 16×4 matrix of [`coefficients`]); its backward needs four sums per neuron
//! (`Σg, Σg·a, Σg·b, Σg·ab`) and a scatter of `g·(ca + cab·b)` / `g·(cb + cab·a)` into the inputs' gradients.
//!
//! Work is split by samples, never by neurons, so the scatter has no races: a batch is cut into tasks of
//! [`TASK`] samples (run on the rayon pool), each task walks its samples in blocks of [`BLOCK`], keeping every
//! layer's activations `[width, BLOCK]` (a neuron's block is one 64-byte row, read whole). Each task sums its own
//! per-neuron coefficient gradients; tasks are reduced in a fixed order, so results do not depend on the number
//! of threads.

use rayon::prelude::*;

use crate::logic::coefficients;

/// Samples per inner block (one cache line of `f32` per neuron).
pub const BLOCK: usize = 16;
/// Samples per parallel task.
pub const TASK: usize = 32;

/// The wiring of one layer.
///
/// Index `inputs` (one past the previous layer's last neuron) reads a constant 0: that is how a tree
/// convolution's leaves outside the image (zero padding) are wired.
#[derive(Clone, Debug, Default)]
pub struct Wiring {
    /// Width of the previous layer.
    pub inputs: usize,
    /// Input `a` of each neuron (gate layers), or the `pool` inputs of each neuron (max layers).
    pub a: Vec<u32>,
    /// Input `b` of each neuron (gate layers; empty for max layers).
    pub b: Vec<u32>,
    /// The parameter row (logits row) of each neuron, for weight sharing; empty: neuron `i` owns row `i`.
    pub params: Vec<u32>,
    /// 0: a gate layer. `k > 0`: a max layer (relaxed OR pooling) over `k` inputs per neuron, no parameters.
    pub pool: usize,
}

impl Wiring {
    /// A dense gate layer: neuron `i` reads `(a[i], b[i])` and owns parameter row `i`.
    pub fn dense(inputs: usize, a: Vec<u32>, b: Vec<u32>) -> Wiring {
        Wiring { inputs, a, b, params: Vec::new(), pool: 0 }
    }

    /// Number of neurons.
    pub fn width(&self) -> usize {
        self.a.len().checked_div(self.pool).unwrap_or(self.a.len())
    }

    /// Number of parameter rows (logits rows) the layer reads.
    pub fn rows(&self) -> usize {
        if self.pool > 0 {
            0
        } else if self.params.is_empty() {
            self.a.len()
        } else {
            self.params.iter().map(|&p| p as usize + 1).max().unwrap_or(0)
        }
    }

    /// Parameter row of neuron `i`.
    #[inline]
    fn param(&self, i: usize) -> usize {
        if self.params.is_empty() { i } else { self.params[i] as usize }
    }
}

/// Per neuron the gate probabilities `softmax(logits / temperature)` (`[width, 16]`) and coefficients
/// (`[width, 4]`).
pub fn probabilities_and_coefficients(logits: &[f32], temperature: f32) -> (Vec<f32>, Vec<f32>) {
    let m: Vec<[f32; 4]> = (0..16u8).map(coefficients).collect();
    let w = logits.len() / 16;
    let mut p = vec![0f32; w * 16];
    let mut c = vec![0f32; w * 4];
    for i in 0..w {
        let l = &logits[i * 16..i * 16 + 16];
        let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0f32;
        for j in 0..16 {
            let e = ((l[j] - max) / temperature).exp();
            p[i * 16 + j] = e;
            sum += e;
        }
        for j in 0..16 {
            p[i * 16 + j] /= sum;
            for k in 0..4 {
                c[i * 4 + k] += p[i * 16 + j] * m[j][k];
            }
        }
    }
    (p, c)
}

/// Per neuron the coefficients of its most likely gate (the first maximum of its logits), `[width, 4]`.
pub fn hard_coefficients(logits: &[f32]) -> Vec<f32> {
    logits.chunks_exact(16).flat_map(|l| coefficients(argmax(l) as u8)).collect()
}

/// Gradient of the loss with respect to the logits, from the gradient with respect to the coefficients.
fn logit_gradients(p: &[f32], dc: &[f32], temperature: f32) -> Vec<f32> {
    let m: Vec<[f32; 4]> = (0..16u8).map(coefficients).collect();
    let w = p.len() / 16;
    let mut g = vec![0f32; w * 16];
    for i in 0..w {
        let d = &dc[i * 4..i * 4 + 4];
        let mut dp = [0f32; 16];
        let mut dot = 0f32;
        for j in 0..16 {
            dp[j] = m[j][0] * d[0] + m[j][1] * d[1] + m[j][2] * d[2] + m[j][3] * d[3];
            dot += p[i * 16 + j] * dp[j];
        }
        for j in 0..16 {
            g[i * 16 + j] = p[i * 16 + j] * (dp[j] - dot) / temperature;
        }
    }
    g
}

/// One layer forward over a block: `out[i] = c1 + ca·x[a_i] + cb·x[b_i] + cab·x[a_i]·x[b_i]`, or the max of
/// a max layer's inputs. `out` has `width + 1` rows; the last (the next layer's zero row) is not written.
fn forward_layer(w: &Wiring, c: &[f32], x: &[f32], out: &mut [f32]) {
    let out = &mut out[..w.width() * BLOCK];
    if w.pool > 0 {
        for (i, o) in out.chunks_exact_mut(BLOCK).enumerate() {
            o.copy_from_slice(&x[w.a[i * w.pool] as usize * BLOCK..][..BLOCK]);
            for &k in &w.a[i * w.pool + 1..(i + 1) * w.pool] {
                let r: &[f32; BLOCK] = x[k as usize * BLOCK..][..BLOCK].try_into().unwrap();
                for s in 0..BLOCK {
                    o[s] = o[s].max(r[s]);
                }
            }
        }
        return;
    }
    for (i, o) in out.chunks_exact_mut(BLOCK).enumerate() {
        let ra: &[f32; BLOCK] = x[w.a[i] as usize * BLOCK..][..BLOCK].try_into().unwrap();
        let rb: &[f32; BLOCK] = x[w.b[i] as usize * BLOCK..][..BLOCK].try_into().unwrap();
        let p = w.param(i);
        let (c1, ca, cb, cab) = (c[p * 4], c[p * 4 + 1], c[p * 4 + 2], c[p * 4 + 3]);
        for s in 0..BLOCK {
            o[s] = c1 + ca * ra[s] + cb * rb[s] + cab * ra[s] * rb[s];
        }
    }
}

/// One layer backward over a block: adds the coefficient gradients to `dc` and, if `gin` is given, the input
/// gradients to it.
fn backward_layer(w: &Wiring, c: &[f32], x: &[f32], gout: &[f32], dc: &mut [f32], mut gin: Option<&mut [f32]>) {
    if w.pool > 0 {
        // The gradient of a max goes to the (first) largest input.
        let Some(gin) = gin else { return };
        for (i, g) in gout.chunks_exact(BLOCK).enumerate() {
            let ins = &w.a[i * w.pool..(i + 1) * w.pool];
            for s in 0..BLOCK {
                let mut best = ins[0] as usize;
                for &k in &ins[1..] {
                    if x[k as usize * BLOCK + s] > x[best * BLOCK + s] {
                        best = k as usize;
                    }
                }
                gin[best * BLOCK + s] += g[s];
            }
        }
        return;
    }
    for (i, g) in gout.chunks_exact(BLOCK).enumerate() {
        let (ia, ib) = (w.a[i] as usize * BLOCK, w.b[i] as usize * BLOCK);
        let ra: [f32; BLOCK] = x[ia..ia + BLOCK].try_into().unwrap();
        let rb: [f32; BLOCK] = x[ib..ib + BLOCK].try_into().unwrap();
        let (mut d1, mut da, mut db, mut dab) = (0f32, 0f32, 0f32, 0f32);
        for s in 0..BLOCK {
            d1 += g[s];
            da += g[s] * ra[s];
            db += g[s] * rb[s];
            dab += g[s] * ra[s] * rb[s];
        }
        let p = w.param(i);
        dc[p * 4] += d1;
        dc[p * 4 + 1] += da;
        dc[p * 4 + 2] += db;
        dc[p * 4 + 3] += dab;
        if let Some(gin) = gin.as_deref_mut() {
            let (ca, cb, cab) = (c[p * 4 + 1], c[p * 4 + 2], c[p * 4 + 3]);
            let mut ga = [0f32; BLOCK];
            let mut gb = [0f32; BLOCK];
            for s in 0..BLOCK {
                ga[s] = g[s] * (ca + cab * rb[s]);
                gb[s] = g[s] * (cb + cab * ra[s]);
            }
            for s in 0..BLOCK {
                gin[ia + s] += ga[s];
            }
            for s in 0..BLOCK {
                gin[ib + s] += gb[s];
            }
        }
    }
}

/// A network as the fused kernel sees it: wiring and logits per layer, and the output scaling.
#[derive(Clone, Copy)]
pub struct Network<'a> {
    /// Per layer, the wiring.
    pub wiring: &'a [Wiring],
    /// Per layer, the logits `[rows, 16]` (empty for max layers).
    pub logits: &'a [Vec<f32>],
    /// Number of classes (GroupSum groups).
    pub classes: usize,
    /// GroupSum temperature.
    pub tau: f32,
    /// Softmax temperature of the gate distributions (1: plain softmax).
    pub temperature: f32,
    /// Straight-through: the forward pass (and the input gradients) use each neuron's most likely gate, as the
    /// discretized network will; the logit gradients still flow through the softmax.
    pub hard: bool,
}

/// The encoded data set a step reads: bit `f` of sample `s` is `x[f * samples + s]`.
#[derive(Clone, Copy)]
pub struct Encoded<'a> {
    /// `[bits, samples]`, feature-major.
    pub x: &'a [f32],
    /// Number of samples.
    pub samples: usize,
}

/// What a training step computed.
#[derive(Clone, Debug)]
pub struct StepResult {
    /// Mean cross-entropy over the batch.
    pub loss: f64,
    /// Samples whose relaxed prediction was right.
    pub correct: usize,
    /// Per layer, the gradient of the mean loss with respect to its logits, `[rows, 16]` (empty for max layers).
    pub grads: Vec<Vec<f32>>,
}

/// Sizes shared by every block.
struct Plan<'a> {
    layers: &'a [Wiring],
    coefs: &'a [Vec<f32>],
    classes: usize,
    tau: f32,
}

impl Plan<'_> {
    /// Buffers for every layer's activations of one block, layer 0 being the inputs; each has one more row,
    /// always 0, for wires that read a constant 0.
    fn buffers(&self) -> Vec<Vec<f32>> {
        std::iter::once(self.layers[0].inputs)
            .chain(self.layers.iter().map(Wiring::width))
            .map(|w| vec![0f32; (w + 1) * BLOCK])
            .collect()
    }

    /// Forward over the block of `samples` (at most BLOCK; the rest is padding) into `acts`.
    fn forward(&self, data: Encoded<'_>, samples: &[usize], acts: &mut [Vec<f32>]) {
        let x0 = &mut acts[0];
        x0.fill(0.0);
        for (f, x) in x0.chunks_exact_mut(BLOCK).take(data.x.len() / data.samples.max(1)).enumerate() {
            let row = &data.x[f * data.samples..(f + 1) * data.samples];
            for (k, &s) in samples.iter().enumerate() {
                x[k] = row[s];
            }
        }
        for (l, (w, c)) in self.layers.iter().zip(self.coefs).enumerate() {
            let (prev, next) = acts.split_at_mut(l + 1);
            forward_layer(w, c, &prev[l], &mut next[0]);
        }
    }

    /// Class scores `[k][class]` of the first `n` samples of a block's last activations.
    fn scores(&self, last: &[f32], n: usize) -> Vec<Vec<f32>> {
        let group = (last.len() / BLOCK - 1) / self.classes;
        (0..n)
            .map(|k| {
                (0..self.classes)
                    .map(|c| (c * group..(c + 1) * group).map(|i| last[i * BLOCK + k]).sum::<f32>() / self.tau)
                    .collect()
            })
            .collect()
    }
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// One task: forward and backward over `samples`, adding coefficient gradients into `dc` (per layer).
/// A task's activation and gradient buffers, reused across the tasks a rayon job runs (fresh multi-megabyte
/// buffers per task cost more in page faults than the arithmetic).
struct Scratch {
    acts: Vec<Vec<f32>>,
    g: Vec<f32>,
    gin: Vec<f32>,
}

impl Scratch {
    fn new(plan: &Plan<'_>) -> Scratch {
        let acts = plan.buffers();
        let widest = acts.iter().map(Vec::len).max().unwrap_or(0);
        Scratch { acts, g: vec![0f32; widest], gin: vec![0f32; widest] }
    }
}

/// Makes this thread's floating point flush subnormal results and operands to zero. A sharp (annealed)
/// softmax gives gate probabilities and coefficients around 1e-40, and on x86 every operation on such a
/// subnormal takes a microcode assist: an annealed run's steps became 7× slower than the first epoch's.
/// Values that small never change a prediction. The setting stays with the (rayon) thread; nothing else lgn
/// runs there computes with subnormals.
fn flush_subnormals() {
    #[cfg(any(target_arch = "x86_64", all(target_arch = "x86", target_feature = "sse")))]
    // SAFETY: sets the FTZ and DAZ bits of this thread's MXCSR; no memory is touched.
    #[allow(deprecated)]
    unsafe {
        #[cfg(target_arch = "x86")]
        use std::arch::x86::{_mm_getcsr, _mm_setcsr};
        #[cfg(target_arch = "x86_64")]
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}

fn task(
    plan: &Plan<'_>,
    data: Encoded<'_>,
    samples: &[usize],
    labels: &[u32],
    batch: usize,
    scratch: &mut Scratch,
) -> (f64, usize, Vec<Vec<f32>>) {
    flush_subnormals();
    let mut dc: Vec<Vec<f32>> = plan.layers.iter().map(|w| vec![0f32; w.rows() * 4]).collect();
    let (mut loss, mut correct) = (0f64, 0usize);
    let Scratch { acts, g, gin } = scratch;
    let (acts, mut g, mut gin) = (acts, &mut g[..], &mut gin[..]);
    for (blk, lab) in samples.chunks(BLOCK).zip(labels.chunks(BLOCK)) {
        plan.forward(data, blk, acts);
        let last = acts.last().unwrap();
        let width = last.len() / BLOCK - 1;
        let group = width / plan.classes;
        g[..width * BLOCK].fill(0.0);
        for (k, scores) in plan.scores(last, blk.len()).iter().enumerate() {
            let y = lab[k] as usize;
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let z: f32 = scores.iter().map(|s| (s - max).exp()).sum();
            loss += (z.ln() + max - scores[y]) as f64;
            correct += (argmax(scores) == y) as usize;
            for (c, score) in scores.iter().enumerate() {
                let p = (score - max).exp() / z;
                let gs = (p - (c == y) as u8 as f32) / batch as f32 / plan.tau;
                for i in c * group..(c + 1) * group {
                    g[i * BLOCK + k] = gs;
                }
            }
        }
        for l in (0..plan.layers.len()).rev() {
            let w = &plan.layers[l];
            let gout = &g[..w.width() * BLOCK];
            if l > 0 {
                let gi = &mut gin[..(w.inputs + 1) * BLOCK];
                gi.fill(0.0);
                backward_layer(w, &plan.coefs[l], &acts[l], gout, &mut dc[l], Some(gi));
                std::mem::swap(&mut g, &mut gin);
            } else {
                backward_layer(w, &plan.coefs[l], &acts[l], gout, &mut dc[l], None);
            }
        }
    }
    (loss, correct, dc)
}

/// Loss, relaxed accuracy and logit gradients of one batch (`samples` index `data`; `labels` match them).
pub fn step(net: &Network<'_>, data: Encoded<'_>, samples: &[usize], labels: &[u32]) -> StepResult {
    let (probs, coefs): (Vec<_>, Vec<_>) = net
        .logits
        .iter()
        .map(|l| {
            let (p, c) = probabilities_and_coefficients(l, net.temperature);
            (p, if net.hard { hard_coefficients(l) } else { c })
        })
        .unzip();
    let plan = Plan { layers: net.wiring, coefs: &coefs, classes: net.classes, tau: net.tau };
    let parts: Vec<_> = samples
        .par_chunks(TASK)
        .zip(labels.par_chunks(TASK))
        .map_init(|| Scratch::new(&plan), |scratch, (s, y)| task(&plan, data, s, y, samples.len(), scratch))
        .collect();
    let mut dc: Vec<Vec<f32>> = net.wiring.iter().map(|w| vec![0f32; w.rows() * 4]).collect();
    let (mut loss, mut correct) = (0f64, 0usize);
    for (l, c, d) in parts {
        loss += l;
        correct += c;
        for (acc, part) in dc.iter_mut().zip(d) {
            acc.iter_mut().zip(part).for_each(|(a, b)| *a += b);
        }
    }
    let grads = probs.iter().zip(&dc).map(|(p, d)| logit_gradients(p, d, net.temperature)).collect();
    StepResult { loss: loss / samples.len().max(1) as f64, correct, grads }
}

/// Relaxed predictions (argmax of the class scores) of `samples`.
pub fn predict(net: &Network<'_>, data: Encoded<'_>, samples: &[usize]) -> Vec<usize> {
    let coefs: Vec<_> = net
        .logits
        .iter()
        .map(|l| if net.hard { hard_coefficients(l) } else { probabilities_and_coefficients(l, net.temperature).1 })
        .collect();
    let plan = Plan { layers: net.wiring, coefs: &coefs, classes: net.classes, tau: net.tau };
    samples
        .par_chunks(TASK * 8)
        .flat_map_iter(|chunk| {
            flush_subnormals();
            let mut acts = plan.buffers();
            let mut out = Vec::with_capacity(chunk.len());
            for blk in chunk.chunks(BLOCK) {
                plan.forward(data, blk, &mut acts);
                out.extend(plan.scores(acts.last().unwrap(), blk.len()).iter().map(|s| argmax(s)));
            }
            out
        })
        .collect()
}
