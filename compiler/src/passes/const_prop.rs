//! `const-prop`: constant propagation.
//!
//! Constant gates (ids 0, 15) become constants; a gate with a constant input is restricted to a function of
//! its other input (a constant, that input, or its complement), and a gate reading the same signal twice
//! likewise. Needs and keeps: topological order. Linear time.

use super::rebuild::{Rules, rebuild};
use crate::ir::Netlist;

/// Runs the pass.
pub fn run(net: &Netlist) -> Netlist {
    rebuild(net, Rules { constants: true, ..Rules::default() })
}
