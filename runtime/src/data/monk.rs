//! The MONK's problems, generated from their rules (Thrun et al., 1991).
//!
//! Six attributes with 3, 3, 2, 3, 4, 2 values, one-hot encoded into 17 features. The test set is all 432
//! attribute combinations; the training set is a seeded random subset of the original sizes (124, 169 and
//! 122 samples), with 5% of the MONK-3 training labels flipped, as in the original.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Dataset, Features, Split};

const SIZES: [usize; 6] = [3, 3, 2, 3, 4, 2];

/// The class of attribute values `a` (1-based, as in the original description) under problem `p`.
pub fn rule(p: u8, a: [usize; 6]) -> bool {
    match p {
        1 => a[0] == a[1] || a[4] == 1,
        2 => a.iter().filter(|&&v| v == 1).count() == 2,
        _ => (a[4] == 3 && a[3] == 1) || (a[4] != 4 && a[1] != 3),
    }
}

fn all() -> Vec<[usize; 6]> {
    let mut out = Vec::with_capacity(432);
    let mut a = [1usize; 6];
    loop {
        out.push(a);
        let mut i = 5;
        loop {
            a[i] += 1;
            if a[i] <= SIZES[i] {
                break;
            }
            a[i] = 1;
            if i == 0 {
                return out;
            }
            i -= 1;
        }
    }
}

/// MONK problem `p` (1, 2 or 3).
pub fn load(p: u8, split: Split) -> Dataset {
    let mut samples: Vec<([usize; 6], bool)> = all().into_iter().map(|a| (a, rule(p, a))).collect();
    if split == Split::Train {
        let mut rng = ChaCha8Rng::seed_from_u64(p as u64);
        for i in (1..samples.len()).rev() {
            samples.swap(i, rng.random_range(0..=i));
        }
        samples.truncate([124, 169, 122][p as usize - 1]);
        if p == 3 {
            let flips = samples.len() * 5 / 100;
            for s in samples.iter_mut().take(flips) {
                s.1 = !s.1;
            }
        }
    }
    let mut x = Vec::with_capacity(samples.len() * 17);
    for (a, _) in &samples {
        for (i, &n) in SIZES.iter().enumerate() {
            x.extend((1..=n).map(|v| if a[i] == v { 1.0f32 } else { 0.0 }));
        }
    }
    Dataset {
        source: format!("monk{p}").into(),
        shape: vec![17],
        x: Features::F32(x),
        y: samples.iter().map(|s| s.1 as u32).collect(),
        classes: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rules() {
        let test = load(1, Split::Test);
        assert_eq!(test.len(), 432);
        assert_eq!(load(2, Split::Train).len(), 169);
        // MONK-1 is positive on exactly half of the 432 combinations (216).
        assert_eq!(test.y.iter().filter(|&&c| c == 1).count(), 216);
        assert!(rule(2, [1, 1, 2, 2, 2, 2]));
        assert!(!rule(2, [1, 1, 1, 2, 2, 2]));
    }
}
