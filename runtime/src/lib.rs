//! lgn-runtime: runs compiled logic gate networks on raw inputs.
//!
//! Raw samples ([`Inputs`]) are threshold-encoded and bit-packed ([`encode`]), evaluated block by block by an
//! [`Engine`] (the reference [`engine::interp`] or a compiled one), counted and arg-maxed ([`count`]).
//! [`Classifier`] ties these together over rayon threads. [`data`] reads data sets; [`oracle`] is the naive
//! one-sample-at-a-time evaluator that everything is tested against. See `ARCHITECTURE.md`.
#![deny(missing_docs)]

pub mod classifier;
pub mod compile;
pub mod count;
pub mod data;
pub mod encode;
pub mod engine;
pub mod error;
pub mod hardware;
pub mod oracle;
pub mod transpose;
pub mod tune;

pub use classifier::Classifier;
pub use compile::{CompileOptions, Compiled, EngineKind, compile};
pub use encode::{Encoder, Inputs};
pub use engine::Engine;
pub use error::{Error, Result};
