//! Errors of the runtime crate.

use std::path::PathBuf;

/// Anything that can go wrong while reading data or running a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("{path}: {msg}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A named data set or path could not be found.
    #[error("data set {name:?} not found (looked in: {looked})")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The places searched.
        looked: String,
    },
    /// The inputs do not fit the model.
    #[error("input shape mismatch: {0}")]
    Shape(String),
    /// From the compiler (model loading, backends).
    #[error(transparent)]
    Compiler(#[from] lgn_compiler::Error),
}

/// Result with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
