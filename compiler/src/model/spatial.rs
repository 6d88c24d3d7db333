//! Spatial layers: logic tree convolutions and OR pooling over bit feature maps.
//!
//! A feature map is `[channels, height, width]` bits, stored channel-major (`c * h * w + y * w + x`). The
//! threshold encoder of an image input (`input_shape` `[c, h, w]` or `[h, w]`) yields a map whose channel
//! `j * c + ch` is threshold `j` of input channel `ch` (the threshold-major order of [`super::Threshold`]).
//! A dense layer after a spatial one reads the map flattened in that order.

use crate::gate::GateOp;

/// The shape of a bit feature map: `[channels, height, width]`.
pub type MapShape = [usize; 3];

/// A logic tree convolution: every output channel is a complete binary tree of `2^depth - 1` gates whose
/// `2^depth` leaves read bits of a `kernel × kernel` receptive field; the same tree is evaluated at every
/// output position (weight sharing). Positions outside the input (padding) read 0.
///
/// Tree order: channel `o` owns gates `o * (2^depth - 1) ..`; its first `2^(depth-1)` gates read leaf pairs
/// `(2i, 2i + 1)` as inputs `(a, b)`, the next level reads pairs of those gates' outputs, and so on; the last
/// gate is the root, the channel's output bit.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeConv {
    /// Shape of the map read.
    pub input: MapShape,
    /// Output channels (trees).
    pub channels: usize,
    /// Tree depth (1..=8): `2^depth` leaves and `2^depth - 1` gates per channel.
    pub depth: u32,
    /// Receptive field side.
    pub kernel: usize,
    /// Step between output positions.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// `channels * (2^depth - 1)` gates, channel-major, in tree order.
    pub gates: Vec<GateOp>,
    /// `channels * 2^depth` leaves, channel-major: `[input channel, dy, dx]` with `dy, dx < kernel`.
    pub leaves: Vec<[u32; 3]>,
}

impl TreeConv {
    /// Leaves per tree.
    pub fn leaves_per_tree(&self) -> usize {
        1 << self.depth
    }

    /// Gates per tree.
    pub fn gates_per_tree(&self) -> usize {
        (1 << self.depth) - 1
    }

    /// Output map shape (`None` if the kernel does not fit the padded input).
    pub fn output(&self) -> Option<MapShape> {
        let side = |n: usize| (n + 2 * self.padding).checked_sub(self.kernel).map(|d| d / self.stride.max(1) + 1);
        Some([self.channels, side(self.input[1])?, side(self.input[2])?])
    }
}

/// Logical OR over `size × size` windows taken every `stride` positions, per channel (max in training).
/// Cells of a window outside the map (padding) read 0, so they do not change the OR.
#[derive(Clone, Debug, PartialEq)]
pub struct OrPool {
    /// Shape of the map read.
    pub input: MapShape,
    /// Window side.
    pub size: usize,
    /// Step between windows.
    pub stride: usize,
    /// Zero padding on every side (torchlogix' `OrPooling2d(padding=1)`; lgn's own presets pad the
    /// convolutions instead).
    pub padding: usize,
}

impl OrPool {
    /// Output map shape (`None` if the window does not fit the input).
    pub fn output(&self) -> Option<MapShape> {
        let side = |n: usize| (n + 2 * self.padding).checked_sub(self.size).map(|d| d / self.stride.max(1) + 1);
        Some([self.input[0], side(self.input[1])?, side(self.input[2])?])
    }

    /// The map index (`c * h * w + y * w + x` of the input) of cell `k` (row-major in the window) of the
    /// window of output `(c, y, x)`; `None` for a cell in the padding.
    pub fn window_cell(&self, c: usize, y: usize, x: usize, k: usize) -> Option<usize> {
        let [_, h, w] = self.input;
        let iy = (y * self.stride + k / self.size).checked_sub(self.padding).filter(|&v| v < h)?;
        let ix = (x * self.stride + k % self.size).checked_sub(self.padding).filter(|&v| v < w)?;
        Some(c * h * w + iy * w + ix)
    }
}

/// Evaluates one tree on its leaf bits (the oracle's and the trainer's definition of tree order).
pub fn eval_tree(gates: &[GateOp], leaves: &mut [bool]) -> bool {
    let mut n = leaves.len();
    let mut g = 0;
    while n > 1 {
        for i in 0..n / 2 {
            leaves[i] = gates[g].eval(leaves[2 * i], leaves[2 * i + 1]);
            g += 1;
        }
        n /= 2;
    }
    leaves[0]
}
