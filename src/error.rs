use thiserror::Error;

/// Every way mcupatch can refuse an input. Op errors name the op's index and builtin name.
#[derive(Debug, Error)]
pub enum Error {
    #[error("not a valid TFLite model: {0}")]
    Malformed(String),
    #[error("op {index} ({op}): {msg}")]
    Op { index: usize, op: String, msg: String },
    #[error("tensor {index} ({name}): {msg}")]
    Tensor { index: usize, name: String, msg: String },
    #[error("arena too small: op {index} ({op}) needs {needed} bytes of SRAM, the arena has {capacity}")]
    ArenaTooSmall { index: usize, op: String, needed: usize, capacity: usize },
    #[error("bad input: {0}")]
    Input(String),
    #[error("bad setting: {0}")]
    Setting(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
