//! Byte-level fuzzing of every parser that reads untrusted files: the model loader, the IDX reader and the
//! CSV reader. Valid seeds (models from `lgn init`-style random specs, IDX and CSV files) are mutated by bit
//! flips, byte overwrites with boundary values, truncation, splicing and insertion of oversized numbers; each
//! case must end in `Ok` or an `Err`, never a panic. Used by `fuzz-models` (long runs) and a test (short).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use lgn_compiler::model::{self, RandomSpec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Counts of one fuzzing run.
#[derive(Clone, Debug, Default)]
pub struct FuzzStats {
    /// Cases run.
    pub cases: u64,
    /// Cases that parsed successfully.
    pub accepted: u64,
    /// Cases that panicked (must be 0).
    pub panics: u64,
    /// The first panicking input, if any.
    pub first_panic: Option<Vec<u8>>,
}

fn seeds() -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, spec) in [
        RandomSpec::dense(12, 2, 3, 20, 4, 1),
        RandomSpec::dense(5, 1, 1, 6, 2, 2),
        RandomSpec::dense(30, 3, 2, 40, 10, 3),
    ]
    .iter()
    .enumerate()
    {
        let m = spec.build().expect("valid spec");
        out.push((0, model::to_bytes(&m).expect("serializable")));
        if i == 0 {
            // An optimised model with a netlist layer (format version 2).
            let (net, _) = lgn_compiler::passes::optimize(&lgn_compiler::lower(&m), lgn_compiler::passes::OptLevel::O2);
            out.push((0, model::to_bytes(&lgn_compiler::lower::raise(&m, &net)).expect("serializable")));
        }
    }
    let mut idx = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3];
    idx.extend((0..18).map(|i| i as u8));
    out.push((1, idx));
    out.push((1, vec![0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]));
    out.push((2, b"3,2,a,b\n1.5,2,0\n3,4e2,1\n-1,0,1\n".to_vec()));
    out.push((2, b"0,1,2\n3,4,5\n".to_vec()));
    out
}

const BOUNDARY: [u32; 8] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff];

fn mutate(rng: &mut ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if v.is_empty() {
            v.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..v.len());
        match rng.random_range(0..7) {
            0 => v[at] ^= 1 << rng.random_range(0..8),
            1 => v[at] = rng.random(),
            2 => v.truncate(at),
            3 => {
                // Splice in a piece of another seed.
                let from = rng.random_range(0..other.len().max(1));
                let piece = &other[from.min(other.len())..(from + rng.random_range(1..64)).min(other.len())];
                v.splice(at..at, piece.iter().copied());
            }
            4 => {
                // An oversized or boundary 32-bit number (little or big endian).
                let n = BOUNDARY[rng.random_range(0..BOUNDARY.len())];
                let b = if rng.random_bool(0.5) { n.to_le_bytes() } else { n.to_be_bytes() };
                for (i, x) in b.iter().enumerate() {
                    if at + i < v.len() {
                        v[at + i] = *x;
                    }
                }
            }
            5 => {
                // Textual numbers where JSON or CSV expects them.
                let s: &[u8] = [&b"1e309"[..], b"NaN", b"-1", b"99999999999999999999", b"inf", b"4294967296", b"-0"]
                    [rng.random_range(0..7)];
                v.splice(at..at, s.iter().copied());
            }
            _ => {
                let n = rng.random_range(1..16).min(v.len() - at);
                v.drain(at..at + n);
            }
        }
    }
    v
}

/// Runs `cases` mutated inputs through the parsers.
pub fn run(cases: u64, seed: u64) -> FuzzStats {
    let seeds = seeds();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats = FuzzStats::default();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for _ in 0..cases {
        let (kind, base) = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())].1;
        let input = mutate(&mut rng, base, other);
        let result = catch_unwind(AssertUnwindSafe(|| match kind {
            0 => model::from_bytes(&input, Path::new("fuzz.lgn"))
                .map(|m| {
                    // A model that loads must also lower, optimise and verify.
                    let net = lgn_compiler::lower(&m);
                    assert!(net.verify().is_empty());
                })
                .is_ok(),
            1 => lgn_runtime::data::idx::parse(&input[..], Path::new("fuzz.idx")).is_ok(),
            _ => std::str::from_utf8(&input)
                .map(|t| lgn_runtime::data::csv::parse(t, Path::new("fuzz.csv")).is_ok())
                .unwrap_or(false),
        }));
        stats.cases += 1;
        match result {
            Ok(true) => stats.accepted += 1,
            Ok(false) => {}
            Err(_) => {
                stats.panics += 1;
                stats.first_panic.get_or_insert(input);
            }
        }
    }
    std::panic::set_hook(prev);
    stats
}

/// Peak resident memory of this process in KiB (Linux), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}
