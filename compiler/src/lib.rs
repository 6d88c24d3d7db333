//! lgn-compiler: the model description, the gate netlist IR, lowering, and backends.
//!
//! Read `ARCHITECTURE.md` at the repository root for the map. In short: a [`Model`] (layers as trained, loaded
//! from a `.lgn` file by [`model::load`]) is lowered by [`lower()`] to a [`Netlist`] (two-input gates in
//! topological order, with GroupSum adder trees), which backends compile.
#![deny(missing_docs)]

pub mod backend;
pub mod check;
pub mod error;
pub mod gate;
pub mod io;
pub mod ir;
pub mod lower;
pub mod model;
pub mod passes;
#[doc(hidden)]
pub mod testing;

pub use error::{Error, Result};
pub use gate::GateOp;
pub use ir::{Gate, Netlist, Signal};
pub use lower::lower;
pub use model::{Layer, Model};
