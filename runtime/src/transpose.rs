//! 64×64 bit-matrix transpose, the core of bit packing.

/// Transposes a 64×64 bit matrix in place: afterwards bit `c` of word `r` is what bit `r` of word `c` was.
///
/// Six rounds of block swaps (32×32, 16×16, …, 1×1), each a masked XOR-swap between rows `k` and `k + j`.
#[inline]
pub fn transpose64(a: &mut [u64; 64]) {
    let mut j = 32;
    let mut m: u64 = 0x0000_0000_FFFF_FFFF;
    while j != 0 {
        let mut k = 0;
        while k < 64 {
            // Rows k..k+j hold the upper blocks; swap their high column halves with the low halves below.
            for r in k..k + j {
                let t = ((a[r] >> j) ^ a[r + j]) & m;
                a[r + j] ^= t;
                a[r] ^= t << j;
            }
            k += 2 * j;
        }
        j >>= 1;
        m ^= m << j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_matches_naive() {
        let mut x = 0x1234_5678_9ABC_DEF1u64;
        let mut a = [0u64; 64];
        for w in a.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = x;
        }
        let orig = a;
        transpose64(&mut a);
        for (r, row) in a.iter().enumerate() {
            for (c, col) in orig.iter().enumerate() {
                assert_eq!((row >> c) & 1, (col >> r) & 1, "({r}, {c})");
            }
        }
    }
}
