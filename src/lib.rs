//! mcupatch runs int8 TFLite CNNs the way a microcontroller does: every activation at a real
//! offset in one fixed-size byte buffer, the simulated MCU SRAM arena, bit-exact with TFLite
//! Micro's int8 kernels — layer by layer, as TFLite Micro runs them, and patch by patch, as
//! MCUNetV2 does (the memory-heavy first stage computed one tile of its output at a time).
//!
//! The front door is [`session::Session`]: a model with its kernels prepared once,
//! [`session::Settings`] in, typed reports out.
//!
//! ```no_run
//! use mcupatch::session::{Session, Settings};
//! let mut session = Session::from_tflite(&std::fs::read("models/visual_wake_words.tflite")?)?;
//! let settings = Settings { sram: Some(20 * 1024), patch: vec!["auto".into()], streamed_input: true,
//!                           in_place_depthwise: true, ..Settings::default() };
//! let plan = session.plan(&settings)?;
//! assert!(plan.board.fits_sram); // 3×3-ish patches fit 20 KiB where layer by layer needs 55 296 B
//! let photo = mcupatch::preprocess::decode(&std::fs::read("data/images/astronaut.png")?)?;
//! let input = session.image_input(&photo)?;
//! println!("{}", session.run(&input)?.label); // person
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The other modules are the engine's internals (public for the conformance tests and
//! benchmarks, hidden from these docs): `model` (flatbuffer → validated graph), `kernels`
//! (one op a file, each computing an output region), `schedule` (plans, patch stages, the
//! planner), `arena` (the SRAM and buffer placement), `exec` (runs a plan), `zoo`.
#![warn(missing_docs)]
// Bad input is an error, never a panic: no unwrap or expect in library code (tests may).
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

/// The library's one error type.
pub mod error;
pub mod files;
pub mod labels;
pub mod latency;
pub mod preprocess;
pub mod session;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

#[doc(hidden)]
pub mod arena;
#[doc(hidden)]
pub mod exec;
#[doc(hidden)]
pub mod export;
#[doc(hidden)]
pub mod geometry;
#[doc(hidden)]
pub mod kernels;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
pub mod quant;
#[doc(hidden)]
pub mod schedule;
#[doc(hidden)]
pub mod trace;
#[doc(hidden)]
pub mod zoo;

pub use error::{Error, Result};
