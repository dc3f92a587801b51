use thiserror::Error;

/// Every way mcupatch can refuse an input. Op errors name the op's index and builtin name.
#[derive(Debug, Error)]
pub enum Error {
    /// The bytes are not a TFLite model the engine can read: what is wrong with them.
    #[error("not a valid TFLite model: {0}")]
    Malformed(String),
    /// An op the engine cannot run: its index, builtin name and what is wrong.
    #[error("op {index} ({op}): {msg}")]
    #[allow(missing_docs)]
    Op { index: usize, op: String, msg: String },
    /// A tensor the engine cannot use: its index, name and what is wrong.
    #[error("tensor {index} ({name}): {msg}")]
    #[allow(missing_docs)]
    Tensor { index: usize, name: String, msg: String },
    #[error("arena too small: op {index} ({op}) needs {needed} bytes of SRAM, the arena has {capacity}")]
    /// A plan that needs more SRAM than the arena has, at the first op that does not fit.
    #[allow(missing_docs)]
    ArenaTooSmall { index: usize, op: String, needed: usize, capacity: usize },
    /// An input (image, frame, raw tensor) that does not fit the model.
    #[error("bad input: {0}")]
    Input(String),
    /// A setting that cannot be planned, and why.
    #[error("bad setting: {0}")]
    Setting(String),
    /// A size or count above one of the limits that keep bad input cheap
    /// ([`crate::model::limits`], [`crate::preprocess`]): `what` says whose.
    #[error("{what} is {value}, above the limit of {limit}")]
    #[allow(missing_docs)]
    Limit { what: String, value: u64, limit: u64 },
    /// A file that cannot be read, or is not a regular file.
    #[error("cannot read {path}: {msg}")]
    #[allow(missing_docs)]
    File { path: String, msg: String },
    /// A file that cannot be written, and why.
    #[error("cannot write {path}: {msg}")]
    #[allow(missing_docs)]
    Write { path: String, msg: String },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
