//! Helpers shared by the engine tests.

use lgn_runtime::engine::Engine;

/// Runs one block through `e` with `inputs` as the input planes; returns the count planes.
pub fn run_block(e: &dyn Engine, inputs: &[u64]) -> Vec<u64> {
    let mut scratch = vec![0u64; e.scratch_words()];
    scratch[..inputs.len()].copy_from_slice(inputs);
    let mut out = vec![0u64; e.classes() * e.planes() * e.words()];
    e.run(&mut scratch, &mut out);
    out
}
