//! Errors of the compiler crate.

use std::path::PathBuf;

/// Anything that can go wrong while reading, validating, lowering or compiling a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The bytes are not a valid `.lgn` file (bad container, bad metadata, bad tensors).
    #[error("{path}: not a valid lgn model file: {msg}")]
    Format {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// The model description is inconsistent (shapes, wiring, gate ids, thresholds, limits).
    #[error("invalid model: {0}")]
    Invalid(String),
    /// A backend failed to compile the netlist.
    #[error("{backend} backend: {msg}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What went wrong.
        msg: String,
    },
}

impl Error {
    /// Attaches a file name to an [`Error::Invalid`] found while loading that file.
    pub fn in_file(self, path: &std::path::Path) -> Error {
        match self {
            Error::Invalid(msg) => Error::Format { path: path.to_path_buf(), msg },
            Error::Format { msg, .. } => Error::Format { path: path.to_path_buf(), msg },
            other => other,
        }
    }
}

/// Result with the compiler's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
