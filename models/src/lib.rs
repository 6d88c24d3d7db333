//! lgn-models: training logic gate networks in burn.
//!
//! A [`LogicNet`] is a stack of differentiable dense logic layers ([`DenseLogic`]: per neuron a softmax over the
//! 16 gates of two fixed inputs, computed as 4 coefficients of {1, a, b, ab}) and a GroupSum. [`train`] runs
//! Adam on a data set encoded by thresholds, reports relaxed and **discretized** accuracies per epoch (the
//! discretized one by compiling the exported model with the same engine `lgn eval` uses), and returns the
//! discretized [`lgn_compiler::Model`]. See `ARCHITECTURE.md`.
#![deny(missing_docs)]

pub mod augment;
pub mod checkpoint;
pub mod conv;
pub mod encode;
pub mod fused;
pub mod logic;
pub mod net;
pub mod plot;
pub mod train;

pub use logic::DenseLogic;
pub use net::LogicNet;
pub use train::{Event, History, TrainConfig, train};

/// Errors of the training crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad configuration or data set.
    #[error("{0}")]
    Config(String),
    /// From the runtime (data, engines).
    #[error(transparent)]
    Runtime(#[from] lgn_runtime::Error),
    /// From the compiler (export, model files).
    #[error(transparent)]
    Compiler(#[from] lgn_compiler::Error),
    /// Writing a plot or checkpoint.
    #[error("{0}")]
    Io(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
