//! Checks on netlists: functional equivalence.

pub mod equiv;
