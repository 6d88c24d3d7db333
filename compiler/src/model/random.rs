//! Randomly initialised models of a given shape, for benchmarks, tests and `lgn init`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Dense, Layer, MapShape, Model, OrPool, Threshold, TreeConv};
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

/// One block of a convolutional architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// A logic tree convolution.
    Conv {
        /// Output channels.
        channels: usize,
        /// Receptive field side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
        /// Tree depth.
        depth: u32,
    },
    /// OR pooling.
    Pool {
        /// Window side.
        size: usize,
        /// Stride.
        stride: usize,
        /// Zero padding (at most `size / 2`).
        padding: usize,
    },
    /// A dense logic layer.
    Dense {
        /// Gates.
        width: usize,
    },
}

/// A convolutional architecture: image input, thresholds, blocks, GroupSum.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvSpec {
    /// Input shape `[c, h, w]`.
    pub input_shape: Vec<usize>,
    /// Thresholds per input feature.
    pub thresholds: usize,
    /// The blocks in order.
    pub blocks: Vec<Block>,
    /// Classes.
    pub classes: usize,
    /// GroupSum temperature.
    pub tau: f32,
    /// Seed of the wiring (and of the random gates of [`ConvSpec::build`]).
    pub seed: u64,
}

/// The architectures of the convolutional logic gate network paper (LogicTreeNet), by name:
/// `mnist-s`, `mnist-m`, `mnist-l` (1×28×28, k = 16 / 64 / 1024) and `cifar-s`, `cifar-m`, `cifar-b`,
/// `cifar-l`, `cifar-g` (3×32×32, k = 32 / 256 / 512 / 1024 / 2560). Channel and dense widths are multiplied
/// by `scale` (at least 1 channel per layer; dense widths stay multiples of the class count).
pub fn preset(name: &str, scale: f64, thresholds: usize) -> Option<ConvSpec> {
    let conv =
        |channels: usize, kernel: usize, padding: usize| Block::Conv { channels, kernel, stride: 1, padding, depth: 3 };
    let pool = Block::Pool { size: 2, stride: 2, padding: 0 };
    let sc = |n: f64| ((n * scale).round() as usize).max(1);
    let dense = |n: f64| Block::Dense { width: (sc(n) / 10).max(1) * 10 };
    let (input_shape, k, tau, cifar) = match name {
        "mnist-s" => (vec![1, 28, 28], 16.0, 6.5, false),
        "mnist-m" => (vec![1, 28, 28], 64.0, 28.0, false),
        "mnist-l" => (vec![1, 28, 28], 1024.0, 35.0, false),
        "cifar-s" => (vec![3, 32, 32], 32.0, 20.0, true),
        "cifar-m" => (vec![3, 32, 32], 256.0, 40.0, true),
        "cifar-b" => (vec![3, 32, 32], 512.0, 280.0, true),
        "cifar-l" => (vec![3, 32, 32], 1024.0, 340.0, true),
        "cifar-g" => (vec![3, 32, 32], 2560.0, 450.0, true),
        _ => return None,
    };
    let blocks = if cifar {
        // 32 -> 16 -> 8 -> 4 -> 2: channels k, 4k, 16k, 32k; dense 128k -> 1280k -> 640k -> 320k.
        vec![
            conv(sc(k), 3, 1),
            pool,
            conv(sc(4.0 * k), 3, 1),
            pool,
            conv(sc(16.0 * k), 3, 1),
            pool,
            conv(sc(32.0 * k), 3, 1),
            pool,
            dense(1280.0 * k),
            dense(640.0 * k),
            dense(320.0 * k),
        ]
    } else {
        // 28 -> 24 -> 12 -> 6 -> 3: channels k, 3k, 9k; dense 81k -> 1280k -> 640k -> 320k.
        vec![
            conv(sc(k), 5, 0),
            pool,
            conv(sc(3.0 * k), 3, 1),
            pool,
            conv(sc(9.0 * k), 3, 1),
            pool,
            dense(1280.0 * k),
            dense(640.0 * k),
            dense(320.0 * k),
        ]
    };
    Some(ConvSpec { input_shape, thresholds, blocks, classes: 10, tau, seed: 0 })
}

/// Names accepted by [`preset`].
pub const PRESETS: [&str; 8] = ["mnist-s", "mnist-m", "mnist-l", "cifar-s", "cifar-m", "cifar-b", "cifar-l", "cifar-g"];

/// The wiring of one architecture, without gates: what training starts from.
#[derive(Clone, Debug, PartialEq)]
pub enum Wiring {
    /// Leaves of a tree convolution (see [`TreeConv::leaves`]) and its shape.
    Conv(TreeConv),
    /// An OR pool.
    Pool(OrPool),
    /// A dense layer's `(a, b)` inputs over `inputs` bits.
    Dense {
        /// Input width.
        inputs: usize,
        /// Wires per gate.
        wires: Vec<[u32; 2]>,
    },
}

impl ConvSpec {
    /// The encoder's feature map `[c * thresholds, h, w]`.
    pub fn input_map(&self) -> Result<MapShape> {
        match self.input_shape[..] {
            [c, h, w] => Ok([c * self.thresholds, h, w]),
            [h, w] => Ok([self.thresholds, h, w]),
            _ => Err(crate::Error::Invalid(format!(
                "a convolutional model needs an image input ([c, h, w]), not {:?}",
                self.input_shape
            ))),
        }
    }

    /// Random fixed wiring of every block (tree convolutions with all gates set to pass-through `a`).
    /// Each tree reads two input channels chosen at random: even leaves from the first, odd leaves from the
    /// second, at random offsets in the receptive field, so that every first-level gate mixes the two.
    pub fn wiring(&self) -> Result<Vec<Wiring>> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut map = Some(self.input_map()?);
        let mut width = map.map_or(0, |m| m.iter().product());
        let mut out = Vec::with_capacity(self.blocks.len());
        for (i, &b) in self.blocks.iter().enumerate() {
            let need_map =
                || map.ok_or_else(|| crate::Error::Invalid(format!("block {i}: a spatial block after a dense one")));
            match b {
                Block::Conv { channels, kernel, stride, padding, depth } => {
                    let input = need_map()?;
                    let lpt = 1usize << depth;
                    let mut leaves = Vec::with_capacity(channels * lpt);
                    for _ in 0..channels {
                        let c1 = rng.random_range(0..input[0] as u32);
                        let c2 = if input[0] > 1 {
                            let r = rng.random_range(0..input[0] as u32 - 1);
                            if r >= c1 { r + 1 } else { r }
                        } else {
                            c1
                        };
                        for l in 0..lpt {
                            let ch = if l % 2 == 0 { c1 } else { c2 };
                            let dy = rng.random_range(0..kernel as u32);
                            let dx = rng.random_range(0..kernel as u32);
                            leaves.push([ch, dy, dx]);
                        }
                    }
                    let gates = vec![GateOp::A; channels * (lpt - 1)];
                    let c = TreeConv { input, channels, depth, kernel, stride, padding, gates, leaves };
                    let o = c.output().ok_or_else(|| {
                        crate::Error::Invalid(format!("block {i}: the {kernel}x{kernel} kernel does not fit {input:?}"))
                    })?;
                    map = Some(o);
                    width = o.iter().product();
                    out.push(Wiring::Conv(c));
                }
                Block::Pool { size, stride, padding } => {
                    let p = OrPool { input: need_map()?, size, stride, padding };
                    let o = p.output().ok_or_else(|| {
                        crate::Error::Invalid(format!("block {i}: the {size}x{size} pool does not fit {:?}", p.input))
                    })?;
                    map = Some(o);
                    width = o.iter().product();
                    out.push(Wiring::Pool(p));
                }
                Block::Dense { width: w } => {
                    out.push(Wiring::Dense { inputs: width, wires: random_wiring(&mut rng, width, w) });
                    width = w;
                    map = None;
                }
            }
        }
        Ok(out)
    }

    /// A model with this architecture, its wiring, and uniformly random gates (for benchmarks and tests).
    pub fn build(&self) -> Result<Model> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x5eed);
        let features: usize = self.input_shape.iter().product();
        let mut layers = vec![Layer::Threshold(Threshold::uniform(features, self.thresholds, 0.0, 255.0))];
        let mut gate = || GateOp::from_id(rng.random_range(0..16u8)).unwrap();
        for w in self.wiring()? {
            layers.push(match w {
                Wiring::Conv(mut c) => {
                    c.gates.iter_mut().for_each(|g| *g = gate());
                    Layer::TreeConv(c)
                }
                Wiring::Pool(p) => Layer::OrPool(p),
                Wiring::Dense { inputs, wires } => {
                    let gates = wires.iter().map(|_| gate()).collect();
                    Layer::Dense(Dense { inputs, gates, wires })
                }
            });
        }
        layers.push(Layer::GroupSum);
        let model = Model { input_shape: self.input_shape.clone(), layers, classes: self.classes, tau: self.tau };
        model.validate()?;
        Ok(model)
    }
}
