//! Randomly initialised models of a given shape, for benchmarks, tests and `lgn init`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Dense, Layer, Model, Threshold};
use crate::error::Result;
use crate::gate::GateOp;

/// The shape of a random model. The same spec always gives the same model (ChaCha8 seeded by `seed`).
#[derive(Clone, Debug)]
pub struct RandomSpec {
    /// Input shape, e.g. `[1, 28, 28]`.
    pub input_shape: Vec<usize>,
    /// Thresholds per feature, evenly spaced in `(0, 255)`.
    pub thresholds: usize,
    /// Number of dense logic layers.
    pub layers: usize,
    /// Gates per layer.
    pub width: usize,
    /// Number of classes (must divide `width`).
    pub classes: usize,
    /// GroupSum temperature stored in the model.
    pub tau: f32,
    /// RNG seed.
    pub seed: u64,
}

impl RandomSpec {
    /// A spec for flat inputs of `features` features.
    pub fn dense(features: usize, thresholds: usize, layers: usize, width: usize, classes: usize, seed: u64) -> Self {
        RandomSpec { input_shape: vec![features], thresholds, layers, width, classes, tau: 10.0, seed }
    }

    /// Builds the model: every gate id uniformly at random; input `a` of the gates of a layer runs through a
    /// random permutation of the previous layer (so every input is read when the layer is at least as wide),
    /// input `b` is a random different input (the same one only when the previous layer has width 1).
    pub fn build(&self) -> Result<Model> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let features: usize = self.input_shape.iter().product();
        let encoder = Threshold::uniform(features, self.thresholds, 0.0, 255.0);
        let mut prev = encoder.outputs();
        let mut layers = vec![Layer::Threshold(encoder)];
        for _ in 0..self.layers {
            layers.push(Layer::Dense(random_dense(&mut rng, prev, self.width)));
            prev = self.width;
        }
        layers.push(Layer::GroupSum);
        let model = Model { input_shape: self.input_shape.clone(), layers, classes: self.classes, tau: self.tau };
        model.validate()?;
        Ok(model)
    }
}

/// A dense layer of `width` random gates over `inputs` inputs.
pub(crate) fn random_dense(rng: &mut ChaCha8Rng, inputs: usize, width: usize) -> Dense {
    let wires = random_wiring(rng, inputs, width);
    let gates = (0..width).map(|_| GateOp::from_id(rng.random_range(0..16u8)).unwrap()).collect();
    Dense { inputs, gates, wires }
}

/// Random wiring of `width` gates over `inputs` inputs: input `a` runs through a random permutation of the
/// inputs (reshuffled each time it is used up, so every input is read when `width >= inputs`), input `b` is
/// a uniformly random different input (the same one only when there is a single input).
pub fn random_wiring(rng: &mut ChaCha8Rng, inputs: usize, width: usize) -> Vec<[u32; 2]> {
    let mut perm: Vec<u32> = (0..inputs as u32).collect();
    let mut wires = Vec::with_capacity(width);
    for i in 0..width {
        if i % inputs == 0 {
            // Fisher-Yates, reshuffled every time the permutation is used up.
            for j in (1..perm.len()).rev() {
                perm.swap(j, rng.random_range(0..=j));
            }
        }
        let a = perm[i % inputs];
        let b = if inputs == 1 {
            a
        } else {
            let r = rng.random_range(0..inputs as u32 - 1);
            if r >= a { r + 1 } else { r }
        };
        wires.push([a, b]);
    }
    wires
}
