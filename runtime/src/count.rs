//! From bit-sliced class-count planes to per-sample answers: a bit-sliced argmax and count extraction.
//!
//! Layout of `planes`: class `c`, count bit `p`, word `w` at `planes[(c * np + p) * words + w]`.

/// Largest number of count bits per class handled by [`argmax`] (counts below 2^32).
pub const MAX_PLANES: usize = 32;

/// Writes, for each of the first `dest.len()` samples of the block, the index of its highest-count class;
/// ties go to the lowest class index. Runs in the bit-sliced domain: a comparator and a select per class.
pub fn argmax(planes: &[u64], classes: usize, np: usize, words: usize, dest: &mut [u32]) {
    assert!(np <= MAX_PLANES);
    let idx_bits = crate::count::index_bits(classes);
    for w in 0..words {
        let lanes = dest.len().saturating_sub(64 * w).min(64);
        if lanes == 0 {
            break;
        }
        let mut best = [0u64; MAX_PLANES];
        let mut idx = [0u64; 32];
        for (p, b) in best[..np].iter_mut().enumerate() {
            *b = planes[p * words + w];
        }
        for c in 1..classes {
            let cur = |p: usize| planes[(c * np + p) * words + w];
            // gt: lanes where this class's count is strictly greater than the best so far.
            let mut gt = 0u64;
            let mut eq = !0u64;
            for p in (0..np).rev() {
                let (a, b) = (cur(p), best[p]);
                gt |= eq & a & !b;
                eq &= !(a ^ b);
            }
            for (p, b) in best[..np].iter_mut().enumerate() {
                *b = (cur(p) & gt) | (*b & !gt);
            }
            for (q, i) in idx[..idx_bits].iter_mut().enumerate() {
                let bit = if (c >> q) & 1 == 1 { !0 } else { 0 };
                *i = (bit & gt) | (*i & !gt);
            }
        }
        for (j, d) in dest[64 * w..64 * w + lanes].iter_mut().enumerate() {
            let mut c = 0u32;
            for (q, i) in idx[..idx_bits].iter().enumerate() {
                c |= (((i >> j) & 1) as u32) << q;
            }
            *d = c;
        }
    }
}

/// Bits needed for a class index below `classes`.
pub fn index_bits(classes: usize) -> usize {
    (usize::BITS - classes.saturating_sub(1).leading_zeros()) as usize
}

/// Writes the per-sample class counts of the first `dest.len() / classes` samples (row-major, `classes` per
/// sample).
pub fn counts(planes: &[u64], classes: usize, np: usize, words: usize, dest: &mut [u32]) {
    for (s, row) in dest.chunks_exact_mut(classes).enumerate() {
        let (w, j) = (s / 64, s % 64);
        for (c, d) in row.iter_mut().enumerate() {
            let mut v = 0u32;
            for p in 0..np {
                v |= (((planes[(c * np + p) * words + w] >> j) & 1) as u32) << p;
            }
            *d = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_matches_counts_with_lowest_index_on_ties() {
        let (classes, np, words) = (5, 3, 2);
        let mut planes = vec![0u64; classes * np * words];
        let mut x = 0xDEAD_BEEF_u64;
        for p in planes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *p = x & (x >> 3); // skewed so that ties are common
        }
        let n = 100;
        let mut got = vec![0u32; n];
        argmax(&planes, classes, np, words, &mut got);
        let mut cnt = vec![0u32; n * classes];
        counts(&planes, classes, np, words, &mut cnt);
        for s in 0..n {
            let row = &cnt[s * classes..(s + 1) * classes];
            let max = *row.iter().max().unwrap();
            let expect = row.iter().position(|&v| v == max).unwrap() as u32;
            assert_eq!(got[s], expect, "sample {s}: {row:?}");
        }
    }
}
