//! The `lgn` package's library facade: code shared by the `lgn` binary, the `fuzz-models` binary and the
//! tests. The command line itself lives in `main.rs`.

pub mod fuzz;
