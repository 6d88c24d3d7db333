//! A dense logic gate network: logic layers and GroupSum, with export to a `.lgn` model.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use lgn_compiler::GateOp;
use lgn_compiler::model::{Dense, Layer, Model, Threshold};

use crate::logic::{DenseLogic, Init, coefficient_matrix, layer_rng};

/// Logic layers followed by GroupSum.
#[derive(Module, Debug)]
pub struct LogicNet {
    /// The layers, first reads the encoded inputs.
    pub layers: Vec<DenseLogic>,
    /// The 16×4 gate-to-coefficient matrix (constant).
    #[module(skip)]
    pub coef: Tensor<2>,
    /// Number of classes.
    #[module(skip)]
    pub classes: usize,
    /// GroupSum temperature.
    #[module(skip)]
    pub tau: f32,
    /// Softmax temperature of the gate distributions (1: plain softmax; lowered when annealing).
    #[module(skip)]
    pub temperature: f32,
}

impl LogicNet {
    /// A network over `inputs` encoded bits with the given layer widths (the last divisible by `classes`).
    pub fn new(
        inputs: usize,
        widths: &[usize],
        classes: usize,
        tau: f32,
        init: Init,
        seed: u64,
        device: &Device,
    ) -> LogicNet {
        let mut prev = inputs;
        let layers = widths
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let l = DenseLogic::new(prev, w, init, &mut layer_rng(seed, i), device);
                prev = w;
                l
            })
            .collect();
        LogicNet { layers, coef: coefficient_matrix(device), classes, tau, temperature: 1.0 }
    }

    /// Class scores `[batch, classes]` (GroupSum / tau) of encoded inputs `x`: `[inputs, batch]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for l in &self.layers {
            h = l.forward(h, self.coef.clone(), self.temperature);
        }
        let [width, batch] = h.dims();
        let group = width / self.classes;
        let sums: Tensor<2> = h.reshape([self.classes, group, batch]).sum_dim(1).reshape([self.classes, batch]);
        sums.transpose().div_scalar(self.tau)
    }

    /// Every layer's logits as host vectors (for the fused kernel).
    pub fn host_logits(&self) -> Vec<Vec<f32>> {
        self.layers.iter().map(DenseLogic::host_logits).collect()
    }

    /// The discretized network (each neuron keeps its most likely gate) as a model with encoder `enc`.
    pub fn export(&self, enc: &Threshold, input_shape: &[usize]) -> lgn_compiler::Result<Model> {
        let mut layers = vec![Layer::Threshold(enc.clone())];
        for l in &self.layers {
            let gates = l.discretize().into_iter().map(|id| GateOp::from_id(id).expect("argmax over 16")).collect();
            layers.push(Layer::Dense(Dense { inputs: l.inputs, gates, wires: l.wires.clone() }));
        }
        layers.push(Layer::GroupSum);
        let model = Model { input_shape: input_shape.to_vec(), layers, classes: self.classes, tau: self.tau };
        model.validate()?;
        Ok(model)
    }
}
