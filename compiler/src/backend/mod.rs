//! Backends: consumers of a verified [`Netlist`](crate::Netlist) that produce runnable or emittable code.
//! A backend never optimises; it compiles exactly the gates it is given.

pub mod c;
pub mod jit;
pub mod layout;
pub mod lut3;
pub mod schedule;
pub mod verilog;
pub mod x86;
