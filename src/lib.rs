//! mcupatch: int8 TFLite CNNs in a simulated MCU SRAM arena, layer by layer and patch by patch.

pub mod arena;
pub mod error;
pub mod exec;
pub mod geometry;
pub mod kernels;
pub mod labels;
pub mod model;
pub mod preprocess;
pub mod quant;
pub mod schedule;
pub mod session;
pub mod trace;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod zoo;

pub use error::{Error, Result};
