//! The differentiable dense logic layer.
//!
//! Activations are feature-major (`[width, batch]`), so picking a neuron's inputs copies whole rows
//! (DESIGN.md: 1.5× faster than batch-major in burn). Each neuron's gate distribution `softmax(logits)` is
//! mapped by a fixed 16×4 matrix to the coefficients of `1, a, b, ab` (every gate's relaxation is linear in
//! them), so the layer costs four multiply-adds per neuron and sample, not sixteen.

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How gate logits start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Standard normal logits (difflogic).
    Gaussian,
    /// Residual: the logit of gate 3 ("a", a pass-through) is `z`, the others 0.
    Residual(f32),
}

/// The coefficients `(c1, ca, cb, cab)` of gate `id`: `g(a, b) = c1 + ca·a + cb·b + cab·ab` on {0,1}².
pub fn coefficients(id: u8) -> [f32; 4] {
    let t = |a: u8, b: u8| ((id >> (3 - 2 * a - b)) & 1) as f32;
    let (t00, t01, t10, t11) = (t(0, 0), t(0, 1), t(1, 0), t(1, 1));
    [t00, t10 - t00, t01 - t00, t11 - t10 - t01 + t00]
}

/// A dense layer of relaxed logic gates over fixed random wiring.
#[derive(Module, Debug)]
pub struct DenseLogic {
    /// Gate logits, `[width, 16]`.
    pub logits: Param<Tensor<2>>,
    /// Index of input `a` of each neuron.
    #[module(skip)]
    pub idx_a: Tensor<1, Int>,
    /// Index of input `b` of each neuron.
    #[module(skip)]
    pub idx_b: Tensor<1, Int>,
    /// The wiring, host copy (for export).
    #[module(skip)]
    pub wires: Vec<[u32; 2]>,
    /// Width of the previous layer.
    #[module(skip)]
    pub inputs: usize,
    /// Logits rows (neurons, or shared parameter rows of a convolution level).
    #[module(skip)]
    pub rows: usize,
}

impl DenseLogic {
    /// A layer of `width` neurons over `inputs` inputs; wiring and logits drawn from `rng`.
    pub fn new(inputs: usize, width: usize, init: Init, rng: &mut ChaCha8Rng, device: &Device) -> DenseLogic {
        let wires = lgn_compiler::model::random::random_wiring(rng, inputs, width);
        DenseLogic::with_wires(inputs, wires, init, rng, device)
    }

    /// A layer over `inputs` inputs with the given wiring; logits drawn from `rng`.
    pub fn with_wires(
        inputs: usize,
        wires: Vec<[u32; 2]>,
        init: Init,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> DenseLogic {
        let mut l = DenseLogic::shared(wires.len(), init, rng, device);
        let ia: Vec<i64> = wires.iter().map(|w| w[0] as i64).collect();
        let ib: Vec<i64> = wires.iter().map(|w| w[1] as i64).collect();
        l.idx_a = Tensor::from_data(TensorData::new(ia, [wires.len()]), device);
        l.idx_b = Tensor::from_data(TensorData::new(ib, [wires.len()]), device);
        l.wires = wires;
        l.inputs = inputs;
        l
    }

    /// `rows` gate distributions without wiring of their own: the shared parameters of one level of a tree
    /// convolution (its wiring is in the fused kernel's layers).
    pub fn shared(rows: usize, init: Init, rng: &mut ChaCha8Rng, device: &Device) -> DenseLogic {
        let width = rows;
        let logits: Vec<f32> = match init {
            Init::Gaussian => {
                // Box-Muller from the seeded generator (deterministic across platforms).
                (0..width * 16)
                    .map(|_| {
                        let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
                        ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
                    })
                    .collect()
            }
            Init::Residual(z) => (0..width * 16).map(|i| if i % 16 == 3 { z } else { 0.0 }).collect(),
        };
        DenseLogic {
            logits: Param::from_tensor(Tensor::from_data(TensorData::new(logits, [width, 16]), device)),
            idx_a: Tensor::from_data(TensorData::new(Vec::<i64>::new(), [0]), device),
            idx_b: Tensor::from_data(TensorData::new(Vec::<i64>::new(), [0]), device),
            wires: Vec::new(),
            inputs: 0,
            rows,
        }
    }

    /// The wiring in the fused kernel's form.
    pub fn wiring(&self) -> crate::fused::Wiring {
        crate::fused::Wiring::dense(
            self.inputs,
            self.wires.iter().map(|w| w[0]).collect(),
            self.wires.iter().map(|w| w[1]).collect(),
        )
    }

    /// The logits as a host vector, `[width, 16]` row-major.
    pub fn host_logits(&self) -> Vec<f32> {
        self.logits.val().into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 logits")
    }

    /// Number of neurons (logits rows).
    pub fn width(&self) -> usize {
        self.rows
    }

    /// Relaxed forward pass: `x` is `[inputs, batch]` in [0, 1], the result `[width, batch]`; the gate
    /// distribution is `softmax(logits / temperature)`.
    pub fn forward(&self, x: Tensor<2>, coef_matrix: Tensor<2>, temperature: f32) -> Tensor<2> {
        let a = x.clone().select(0, self.idx_a.clone());
        let b = x.select(0, self.idx_b.clone());
        let p = activation::softmax(self.logits.val().div_scalar(temperature), 1);
        let c = p.matmul(coef_matrix); // [width, 4]
        let w = self.width();
        let c1 = c.clone().slice([0..w, 0..1]);
        let ca = c.clone().slice([0..w, 1..2]);
        let cb = c.clone().slice([0..w, 2..3]);
        let cab = c.slice([0..w, 3..4]);
        let ab = a.clone() * b.clone();
        a * ca + b * cb + ab * cab + c1
    }

    /// The most likely gate of each neuron.
    pub fn discretize(&self) -> Vec<u8> {
        let data = self.logits.val().argmax(1).into_data();
        let ids: Vec<i64> = data.convert::<i64>().try_into_vec::<i64>().expect("argmax gives integers");
        ids.into_iter().map(|i| i as u8).collect()
    }
}

/// The 16×4 matrix mapping gate probabilities to coefficients of `1, a, b, ab`.
pub fn coefficient_matrix(device: &Device) -> Tensor<2> {
    let m: Vec<f32> = (0..16u8).flat_map(coefficients).collect();
    Tensor::from_data(TensorData::new(m, [16, 4]), device)
}

/// A generator seeded for layer `i` of a model seeded with `seed`.
pub fn layer_rng(seed: u64, i: usize) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_reproduce_every_truth_table() {
        for id in 0..16u8 {
            let [c1, ca, cb, cab] = coefficients(id);
            for a in 0..2u8 {
                for b in 0..2u8 {
                    let (x, y) = (a as f32, b as f32);
                    let expect = ((id >> (3 - 2 * a - b)) & 1) as f32;
                    assert_eq!(c1 + ca * x + cb * y + cab * x * y, expect, "gate {id} at ({a},{b})");
                }
            }
        }
    }
}
