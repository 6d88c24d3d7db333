//! `strash`: structural hashing (common subexpression elimination).
//!
//! Gates are normalised (inputs ordered by signal, output polarity chosen so that the table maps (0,0) to 0,
//! with the complement absorbed by readers) and hash-consed: two gates computing the same function of the
//! same signals become one. Includes the rules of `bypass` and `const-prop`, which normalisation needs.
//! Linear time (expected).

use super::rebuild::{Rules, rebuild};
use crate::ir::Netlist;

/// Runs the pass.
pub fn run(net: &Netlist) -> Netlist {
    rebuild(net, Rules { constants: true, inverters: true, strash: true })
}
