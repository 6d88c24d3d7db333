//! Functional equivalence of two netlists with the same inputs and outputs, by simulation.
//!
//! Up to [`EXHAUSTIVE_INPUTS`] inputs every input pattern is simulated (a proof); above that, `patterns`
//! random patterns (64 per word) are (a test, not a proof).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ir::Netlist;

/// Largest input count simulated exhaustively.
pub const EXHAUSTIVE_INPUTS: usize = 20;

/// The verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Equiv {
    /// Equal on every input pattern (exhaustive).
    Equal,
    /// Equal on this many random patterns.
    NoDifferenceFound(usize),
    /// Differ: a counter-example input pattern (one bool per input) and the class/bit that differs.
    Differ {
        /// Input bits.
        inputs: Vec<bool>,
        /// `(class, count bit)` of the first differing output.
        output: (usize, usize),
    },
    /// The netlists do not have the same interface.
    Incomparable(String),
}

/// Compares `a` and `b` (random patterns seeded by `seed` when there are too many inputs for exhaustion).
pub fn check(a: &Netlist, b: &Netlist, patterns: usize, seed: u64) -> Equiv {
    if a.num_inputs != b.num_inputs || a.classes() != b.classes() || a.planes() != b.planes() {
        return Equiv::Incomparable(format!(
            "inputs {} vs {}, classes {} vs {}, count bits {} vs {}",
            a.num_inputs,
            b.num_inputs,
            a.classes(),
            b.classes(),
            a.planes(),
            b.planes()
        ));
    }
    let n = a.num_inputs;
    let exhaustive = n <= EXHAUSTIVE_INPUTS;
    let total = if exhaustive { 1usize << n } else { patterns.max(64) };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut inputs = vec![0u64; n];
    for word in 0..total.div_ceil(64) {
        for (i, w) in inputs.iter_mut().enumerate() {
            *w = if exhaustive {
                // Bit j of the word is pattern p = 64·word + j; input i is bit i of p.
                (0..64u64).filter(|j| ((word as u64 * 64 + j) >> i) & 1 == 1).fold(0, |acc, j| acc | (1 << j))
            } else {
                rng.random()
            };
        }
        let (va, vb) = (a.simulate(&inputs), b.simulate(&inputs));
        for (c, (ca, cb)) in a.outputs.iter().zip(&b.outputs).enumerate() {
            for (p, (sa, sb)) in ca.iter().zip(cb).enumerate() {
                let diff = va[sa.index()] ^ vb[sb.index()];
                let valid = if exhaustive && total - word * 64 < 64 { (1u64 << (total - word * 64)) - 1 } else { !0 };
                if diff & valid != 0 {
                    let j = (diff & valid).trailing_zeros();
                    return Equiv::Differ {
                        inputs: inputs.iter().map(|w| (w >> j) & 1 == 1).collect(),
                        output: (c, p),
                    };
                }
            }
        }
    }
    if exhaustive { Equiv::Equal } else { Equiv::NoDifferenceFound(total) }
}
