//! Choosing between equivalent compiled models by timing them (the JIT's vectors per signal).
//!
//! Which block size runs fastest depends on the host's caches and on how many threads share them: on a 2-core
//! Intel Xeon (2 MiB of L2 per core) one vector per signal beat two on every network measured, by up to 54% on
//! 2 threads, while on a 2-core AMD EPYC two beat one on the CIFAR-10 S preset by 38%. So the choice is made by
//! measurement, on the host and thread pool that will run the model, of what a caller runs: encoding, packing,
//! evaluation and argmax ([`Classifier::predict`]). The compiled code never branches on data, so random
//! inputs take as long as real ones.

use std::time::{Duration, Instant};

use crate::classifier::Classifier;
use crate::encode::Inputs;

/// How long one timed round of one candidate runs at least.
const ROUND: Duration = Duration::from_millis(4);
/// Timed rounds per candidate (candidates alternate; the best round counts).
const ROUNDS: usize = 3;
/// Largest batch of input bytes a round uses.
const MAX_BATCH_BYTES: usize = 64 << 20;

/// The outcome of [`fastest`].
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// Index of the fastest candidate.
    pub best: usize,
    /// Each candidate's best rate, in samples per second over all threads of the pool.
    pub samples_per_second: Vec<f64>,
    /// Threads of the pool the candidates ran on.
    pub threads: usize,
    /// Wall time of the whole measurement.
    pub time: Duration,
}

/// `n` deterministic pseudo-random bytes (xorshift), for timing code that does not branch on data.
pub fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Wall time of one prediction over `x`.
fn round(clf: &Classifier, x: &[u8]) -> Duration {
    let t = Instant::now();
    // The batch is a whole number of samples by construction.
    std::hint::black_box(clf.predict(Inputs::U8(x)).ok());
    t.elapsed()
}

/// Times `candidates` (classifiers compiled from one model, so with the same features) on the current rayon
/// pool and returns the fastest. The batch holds a whole number of every candidate's blocks for every thread
/// and grows until a round takes [`ROUND`]; rounds alternate between the candidates so that a passing
/// disturbance hits all of them, and each candidate's best round counts. Ties go to the lower index.
pub fn fastest(candidates: &[&Classifier]) -> Timing {
    let start = Instant::now();
    let threads = rayon::current_num_threads();
    let features = candidates.first().map_or(1, |c| c.features()).max(1);
    let block = candidates.iter().map(|c| c.block()).max().unwrap_or(64);
    let most = (MAX_BATCH_BYTES / features / block).max(1) * block;
    // Warm up every candidate (first touch of its buffers), then size the batch on the first.
    let mut samples = (threads * block).min(most);
    let mut x = noise(samples * features);
    for c in candidates {
        round(c, &x);
    }
    if let Some(first) = candidates.first() {
        while samples < most && round(first, &x) < ROUND {
            // Doubling repeats the samples: as good as new ones for code that does not branch on data.
            let more = (samples * 2).min(most) - samples;
            x.extend_from_within(..more * features);
            samples += more;
        }
    }
    let mut best = vec![Duration::MAX; candidates.len()];
    for _ in 0..ROUNDS {
        for (b, c) in best.iter_mut().zip(candidates) {
            *b = (*b).min(round(c, &x));
        }
    }
    let samples_per_second: Vec<f64> = best.iter().map(|t| samples as f64 / t.as_secs_f64().max(1e-9)).collect();
    let mut pick = 0;
    for (i, &r) in samples_per_second.iter().enumerate() {
        if r > samples_per_second[pick] {
            pick = i;
        }
    }
    Timing { best: pick, samples_per_second, threads, time: start.elapsed() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Interface};
    use lgn_compiler::model::RandomSpec;

    /// An engine that spins for a fixed time per block and predicts class 0.
    struct Spinner {
        words: usize,
        per_block: Duration,
    }

    impl Engine for Spinner {
        fn name(&self) -> &'static str {
            "spinner"
        }
        fn words(&self) -> usize {
            self.words
        }
        fn interface(&self) -> Interface {
            Interface { num_inputs: 4, classes: 2, planes: 1 }
        }
        fn scratch_words(&self) -> usize {
            4 * self.words
        }
        fn report(&self) -> Vec<(&'static str, String)> {
            Vec::new()
        }
        fn run(&self, _scratch: &mut [u64], out: &mut [u64]) {
            let t = Instant::now();
            while t.elapsed() < self.per_block {
                std::hint::spin_loop();
            }
            out.fill(0);
        }
    }

    #[test]
    fn picks_the_candidate_with_more_samples_per_second() {
        // A model with 4 input bits and 2 classes, to give the spinners an encoder.
        let model = RandomSpec::dense(4, 1, 1, 2, 2, 1).build().unwrap();
        let clf = |words, us| {
            Classifier::new(&model, Box::new(Spinner { words, per_block: Duration::from_micros(us) })).unwrap()
        };
        // Per sample 100 µs / 64 against 150 µs / 256: the bigger block wins though each of its blocks is slower.
        let (small, big) = (clf(1, 100), clf(4, 150));
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for order in [[&small, &big], [&big, &small]] {
            // Wall-clock spinners: on a machine saturated by other work a descheduled round can invert one
            // measurement, so a few attempts are allowed; a wrong choice rule fails every one of them.
            let attempts: Vec<Timing> = (0..5).map(|_| pool.install(|| fastest(&order))).collect();
            let right = |t: &Timing| {
                let ratio = t.samples_per_second[t.best] / t.samples_per_second[1 - t.best];
                // About 4 × 100 / 150 = 2.7 times the rate.
                order[t.best].block() == 256 && ratio > 1.3
            };
            assert!(attempts.iter().all(|t| t.threads == 2));
            assert!(attempts.iter().any(right), "the 256-sample block never won: {attempts:?}");
        }
    }
}
