//! What the subcommands share: the flags that set the library's [`Settings`], opening a
//! model, printing a report as JSON.

use anyhow::{Context as _, Result};
use clap::builder::NonEmptyStringValueParser;
use clap::Args;
use mcupatch::preprocess::PixelRange;
use mcupatch::session::{parse_size, ArenaFigures, HaloChoice, Session, Settings, Target};
use std::path::Path;

/// The flags every planning subcommand shares: they set the library's [`Settings`].
#[derive(Args, Clone)]
pub struct Common {
    /// SRAM size, e.g. 256K or 1M (default 256K, or the MCU's).
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    sram: Option<String>,
    /// Flash size for the weights and graph, e.g. 1M (default: the MCU's).
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    flash: Option<String>,
    /// An MCU preset: stm32f412, stm32f411, stm32f746, stm32h743, nrf52840, rp2040, esp32-s3,
    /// arduino-nano-33-ble.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    mcu: Option<String>,
    /// Keep the model's float input in SRAM and run its QUANTIZE op, as TFLite Micro does
    /// (default: the camera delivers int8 pixels directly).
    #[arg(long)]
    float_input: bool,
    /// In-place depthwise convolutions (TinyEngine): max(in, out) + one channel, not in + out.
    #[arg(long)]
    in_place_depthwise: bool,
    /// In-place 1×1 convolutions that narrow the channels: in + one pixel, not in + out.
    #[arg(long)]
    in_place_pointwise: bool,
    /// In-place residual adds: the sum overwrites the skip input.
    #[arg(long)]
    in_place_add: bool,
    /// The camera delivers each patch's input region instead of the whole frame sitting in
    /// SRAM (MCUNetV2's assumption; ignored layer by layer).
    #[arg(long)]
    streamed_input: bool,
    /// Patch-based inference: `auto` (the planner's choice for the SRAM) or a grid RxC;
    /// repeat with --split for several stages.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    patch: Vec<String>,
    /// Where a patch stage ends: opN (op N's output), tN (tensor N), strideN (the end of the
    /// first block at stride N) or a tensor name (default: the planner's choice).
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    split: Vec<String>,
    /// With auto: also consider plans of two or more patch stages (multi-stage fusion).
    #[arg(long)]
    multi_stage: bool,
    /// What patches do with the halo they share: recompute it (MCUNetV2), cache it (each
    /// column of patches runs top to bottom, row by row, every op keeping in a ring only the
    /// rows its readers still need), or auto (the planner weighs both).
    #[arg(long, value_enum, default_value_t = Halo::Recompute)]
    halo: Halo,
    /// The real values of pixels 0 and 255 the model was trained on, e.g. 0,1 or -1,1
    /// (default: the model's own rule: its metadata, else its int8 input's range, else 0,255).
    #[arg(long, allow_hyphen_values = true, value_parser = NonEmptyStringValueParser::new())]
    pixel_range: Option<String>,
    /// The runtime to plan for: mcupatch (its own arena) or tflite-micro (stock TFLite Micro
    /// running the model `export` writes: the plan chosen and priced as it needs it).
    #[arg(long, value_enum, default_value_t = RuntimeTarget::Mcupatch)]
    target: RuntimeTarget,
    /// Print the report as JSON (the session's report structs; see docs/reports.md).
    #[arg(long)]
    pub json: bool,
}

impl Common {
    pub fn settings(&self) -> Result<Settings> {
        let size = |s: &Option<String>| s.as_deref().map(parse_size).transpose();
        Ok(Settings {
            mcu: self.mcu.clone(),
            sram: size(&self.sram)?,
            flash: size(&self.flash)?,
            float_input: self.float_input,
            streamed_input: self.streamed_input,
            in_place_depthwise: self.in_place_depthwise,
            in_place_pointwise: self.in_place_pointwise,
            in_place_add: self.in_place_add,
            patch: self.patch.clone(),
            split: self.split.clone(),
            multi_stage: self.multi_stage,
            halo: match self.halo {
                Halo::Recompute => HaloChoice::Recompute,
                Halo::Cache => HaloChoice::Cache,
                Halo::Auto => HaloChoice::Auto,
            },
            pixel_range: self.pixel_range.as_deref().map(PixelRange::parse).transpose()?.map(|r| [r.lo, r.hi]),
            target: match self.target {
                RuntimeTarget::Mcupatch => Target::Mcupatch,
                RuntimeTarget::TfliteMicro => Target::TfliteMicro,
            },
            ..Settings::default()
        })
    }
}

/// `--halo`: the library's [`HaloChoice`] as a flag's values.
#[derive(clap::ValueEnum, Clone, Copy)]
enum Halo {
    Recompute,
    Cache,
    Auto,
}

/// `--target`: the library's [`Target`] as a flag's values.
#[derive(clap::ValueEnum, Clone, Copy)]
enum RuntimeTarget {
    Mcupatch,
    TfliteMicro,
}

/// TFLite Micro's arena in words: head, scratch, tail and the total to give it; `~` marks an
/// estimate (a tail with an op kind not measured, or a total set by the preparing space).
pub fn tflm_arena(f: &ArenaFigures) -> String {
    let scratch = match f.scratch_bytes {
        0 => String::new(),
        s => format!(" (+ up to {s} B of kernel scratch)"),
    };
    let tail = if f.tail_exact { "" } else { "~" };
    let total = if f.tail_exact && f.prepare_bytes <= f.head_bytes + f.scratch_bytes { "" } else { "~" };
    format!("head {} B{scratch} + tail {tail}{} B: an arena of {total}{} B", f.head_bytes, f.tail_bytes, f.total_bytes)
}

/// A session for the .tflite file at `path`.
pub fn open(path: &Path) -> Result<Session> {
    Session::from_tflite_file(path).with_context(|| format!("cannot load {}", path.display()))
}

/// Prints a report as pretty JSON.
pub fn print_json(value: &impl serde::Serialize, out: &mut String) -> Result<()> {
    out.push_str(&serde_json::to_string_pretty(value)?);
    out.push('\n');
    Ok(())
}
