//! `bypass`: pass-through and inverter elimination.
//!
//! Readers of a pass-through (ids 3, 5) read its source instead; an inverter (ids 10, 12) or any inverted
//! value is absorbed into each reader's 4-bit truth table (complementing an input permutes the table), so
//! inverters cost nothing. Only outputs that end up inverted keep a NOT gate. Linear time.

use super::rebuild::{Rules, rebuild};
use crate::ir::Netlist;

/// Runs the pass.
pub fn run(net: &Netlist) -> Netlist {
    rebuild(net, Rules { inverters: true, ..Rules::default() })
}
