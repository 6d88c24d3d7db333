//! Input encoding and bit packing: raw samples → threshold bits → bit-sliced planes.
//!
//! Encoded bit `j * features + f` of a sample is feature `f` compared with its threshold `j` (threshold-major,
//! as difflogic concatenates thresholded copies of the input).
//! A block of `64 * words` samples is packed into `bits * words` u64 words: input bit `i` of sample `64w + j`
//! is bit `j` of word `i * words + w`. Each sample's bits are first made as a row (16 comparisons per SSE2
//! instruction for `u8` inputs), then 64 rows at a time are turned into planes by a 64×64 bit transpose.

use lgn_compiler::model::{Comparison, Threshold};

use crate::transpose::transpose64;

/// Raw input samples, row-major (`samples × features`).
#[derive(Clone, Copy, Debug)]
pub enum Inputs<'a> {
    /// Bytes, e.g. image pixels.
    U8(&'a [u8]),
    /// Floats, e.g. tabular features.
    F32(&'a [f32]),
}

impl Inputs<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Inputs::U8(x) => x.len(),
            Inputs::F32(x) => x.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The threshold encoder of a model, prepared for fast packing.
///
/// Bits are threshold-major (bit `j * features + f` compares feature `f` with its threshold `j`), so each
/// threshold is one pass of 64-byte compares over the sample's bytes.
#[derive(Clone, Debug)]
pub struct Encoder {
    features: usize,
    k: usize,
    bits: usize,
    /// Row words per sample.
    chunks: usize,
    /// 64-byte chunks per threshold pass.
    fchunks: usize,
    comparison: Comparison,
    /// Threshold per output bit, threshold-major.
    thresholds: Vec<f32>,
    /// For u8 inputs, per threshold `j`: `fchunks * 64` values `thr ^ 0x80` such that `x > thr` (unsigned) is
    /// the bit; padding never fires.
    biased: Vec<i8>,
    /// For u8 inputs, per threshold and chunk: the bits that are 1 for every byte value (threshold below 0).
    always: Vec<u64>,
    /// Compare 64 bytes in one AVX-512BW instruction (detected once) instead of four SSE2 ones.
    avx512bw: bool,
}

impl Encoder {
    /// Prepares the encoder of a (validated) model.
    pub fn new(t: &Threshold) -> Encoder {
        let (features, k) = (t.features, t.per_feature);
        let bits = t.outputs();
        let fchunks = features.div_ceil(64);
        let mut thresholds = vec![0.0; bits];
        let mut biased = vec![(255u8 ^ 0x80) as i8; k * fchunks * 64];
        let mut always = vec![0u64; k * fchunks];
        for j in 0..k {
            for f in 0..features {
                thresholds[j * features + f] = t.threshold(f, j);
                let i = j * fchunks * 64 + f;
                match t.byte_threshold(f, j) {
                    -1 => always[i / 64] |= 1 << (i % 64),
                    thr => biased[i] = (thr as u8 ^ 0x80) as i8,
                }
            }
        }
        Encoder {
            features,
            k,
            bits,
            chunks: bits.div_ceil(64),
            fchunks,
            comparison: t.comparison,
            thresholds,
            biased,
            always,
            avx512bw: has_avx512bw(),
        }
    }

    /// Number of input features per sample.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Number of encoded bits per sample.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Computes the encoded bits of one u8 sample into `row` (`chunks` words); `tail` is 64 bytes of scratch.
    fn row_u8(&self, x: &[u8], tail: &mut [u8; 64], row: &mut [u64]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx512bw {
            // SAFETY: the CPU has AVX-512BW (`has_avx512bw` at construction).
            unsafe { self.row_u8_avx512(x, tail, row) };
            return;
        }
        self.row_u8_with::<false>(x, tail, row)
    }

    /// [`Encoder::row_u8`] compiled for AVX-512BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512bw")]
    fn row_u8_avx512(&self, x: &[u8], tail: &mut [u8; 64], row: &mut [u64]) {
        self.row_u8_with::<true>(x, tail, row)
    }

    /// The body of [`Encoder::row_u8`]: with `AVX512`, 64-byte compares are AVX-512BW instructions (only
    /// called where the CPU has them).
    #[inline(always)]
    fn row_u8_with<const AVX512: bool>(&self, x: &[u8], tail: &mut [u8; 64], row: &mut [u64]) {
        let f = self.features;
        let full = f / 64;
        if full < self.fchunks {
            tail[..f - full * 64].copy_from_slice(&x[full * 64..]);
        }
        row.fill(0);
        for j in 0..self.k {
            for c in 0..self.fchunks {
                let xs: &[u8] = if c < full { &x[c * 64..c * 64 + 64] } else { &tail[..] };
                let at = (j * self.fchunks + c) * 64;
                let thr = &self.biased[at..at + 64];
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `AVX512` is only set on the path that checked for AVX-512BW.
                let m = if AVX512 { unsafe { gt_mask64_avx512(xs, thr) } } else { gt_mask64(xs, thr) };
                #[cfg(not(target_arch = "x86_64"))]
                let m = gt_mask64(xs, thr);
                let m = m | self.always[at / 64];
                // Insert the chunk's bits at bit offset j * features + 64c of the row.
                let off = j * f + c * 64;
                let (w, sh) = (off / 64, off % 64);
                row[w] |= m << sh;
                if sh > 0 && w + 1 < row.len() {
                    row[w + 1] |= m >> (64 - sh);
                }
            }
        }
    }

    /// Computes the encoded bits of one f32 sample into `row`.
    fn row_f32(&self, x: &[f32], row: &mut [u64]) {
        row.fill(0);
        for j in 0..self.k {
            for (f, &v) in x.iter().enumerate() {
                let i = j * self.features + f;
                row[i / 64] |= (self.comparison.test(v, self.thresholds[i]) as u64) << (i % 64);
            }
        }
    }

    /// Packs up to `64 * words` samples into `planes` (`bits * words` words, see the module doc).
    /// Missing samples at the end of the block are zero.
    pub fn pack(&self, inputs: Inputs<'_>, words: usize, planes: &mut [u64], buf: &mut PackBuffer) {
        let n = inputs.len() / self.features;
        debug_assert!(n <= 64 * words && planes.len() >= self.bits * words);
        buf.rows.resize(64 * self.chunks, 0);
        for w in 0..words {
            let first = w * 64;
            let count = n.saturating_sub(first).min(64);
            for r in 0..64 {
                let row = &mut buf.rows[r * self.chunks..(r + 1) * self.chunks];
                if r >= count {
                    row.fill(0);
                    continue;
                }
                let s = first + r;
                match inputs {
                    Inputs::U8(x) => self.row_u8(&x[s * self.features..(s + 1) * self.features], &mut buf.tail, row),
                    Inputs::F32(x) => self.row_f32(&x[s * self.features..(s + 1) * self.features], row),
                }
            }
            for c in 0..self.chunks {
                let mut m = [0u64; 64];
                for (r, v) in m.iter_mut().enumerate() {
                    *v = buf.rows[r * self.chunks + c];
                }
                transpose64(&mut m);
                let end = (self.bits - c * 64).min(64);
                for (i, &v) in m[..end].iter().enumerate() {
                    planes[(c * 64 + i) * words + w] = v;
                }
            }
        }
    }
}

/// Reusable scratch for [`Encoder::pack`].
#[derive(Debug)]
pub struct PackBuffer {
    tail: [u8; 64],
    rows: Vec<u64>,
}

impl Default for PackBuffer {
    fn default() -> Self {
        PackBuffer { tail: [0; 64], rows: Vec::new() }
    }
}

/// Whether this CPU has AVX-512BW.
fn has_avx512bw() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512bw")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`gt_mask64`] in one AVX-512BW compare.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
#[inline]
fn gt_mask64_avx512(xs: &[u8], biased: &[i8]) -> u64 {
    use std::arch::x86_64::*;
    assert!(xs.len() >= 64 && biased.len() >= 64);
    // SAFETY: both slices hold at least 64 bytes (asserted); unaligned loads.
    unsafe {
        let x = _mm512_loadu_si512(xs.as_ptr() as *const _);
        let t = _mm512_loadu_si512(biased.as_ptr() as *const _);
        _mm512_cmpgt_epi8_mask(_mm512_xor_si512(x, _mm512_set1_epi8(0x80u8 as i8)), t)
    }
}

/// Bit `i` = `xs[i] > thr[i]` (unsigned), where `biased[i] = thr[i] ^ 0x80`.
#[inline]
fn gt_mask64(xs: &[u8], biased: &[i8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let mut m = 0u64;
        // SAFETY: SSE2 is part of the x86_64 baseline; both slices hold 64 bytes (asserted below).
        assert!(xs.len() >= 64 && biased.len() >= 64);
        unsafe {
            let flip = _mm_set1_epi8(0x80u8 as i8);
            for q in 0..4 {
                let x = _mm_loadu_si128(xs.as_ptr().add(16 * q) as *const __m128i);
                let t = _mm_loadu_si128(biased.as_ptr().add(16 * q) as *const __m128i);
                let gt = _mm_cmpgt_epi8(_mm_xor_si128(x, flip), t);
                m |= (_mm_movemask_epi8(gt) as u32 as u64) << (16 * q);
            }
        }
        m
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut m = 0u64;
        for i in 0..64 {
            m |= (((xs[i] ^ 0x80) as i8 > biased[i]) as u64) << i;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_bit(t: &Threshold, x: f32, f: usize, j: usize) -> bool {
        t.comparison.test(x, t.threshold(f, j))
    }

    #[test]
    fn u8_and_f32_packing_match_the_definition() {
        for (comparison, values) in [
            (Comparison::Gt, vec![-3.0, 0.0, 0.5, 100.0, 254.5, 255.0, 300.0]),
            (Comparison::Ge, vec![-3.0, 0.0, 0.5, 100.0, 254.5, 255.0, 300.0]),
        ] {
            for (features, avx512bw) in [(37, false), (150, false), (37, true), (150, true)] {
                if avx512bw && !has_avx512bw() {
                    continue;
                }
                let k = values.len();
                let t = Threshold { features, per_feature: k, shared: true, comparison, values: values.clone() };
                // Both compare paths (the AVX-512BW one where the CPU has it).
                let enc = Encoder { avx512bw, ..Encoder::new(&t) };
                let n = 150;
                let words = 3;
                let xs: Vec<u8> = (0..n * features).map(|i| (i * 97 % 256) as u8).collect();
                let xf: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
                let mut buf = PackBuffer::default();
                let mut p8 = vec![!0u64; enc.bits() * words];
                let mut pf = vec![!0u64; enc.bits() * words];
                enc.pack(Inputs::U8(&xs), words, &mut p8, &mut buf);
                enc.pack(Inputs::F32(&xf), words, &mut pf, &mut buf);
                assert_eq!(p8, pf);
                for s in 0..64 * words {
                    for f in 0..features {
                        for j in 0..k {
                            let i = j * features + f;
                            let got = (p8[i * words + s / 64] >> (s % 64)) & 1 == 1;
                            let expect = s < n && naive_bit(&t, xf[s * features + f], f, j);
                            assert_eq!(got, expect, "sample {s} bit {i} (avx512bw {avx512bw})");
                        }
                    }
                }
            }
        }
    }
}
