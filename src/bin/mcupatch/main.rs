//! The mcupatch command line: every subcommand parses its flags into the library's
//! [`Settings`], asks a [`Session`] for typed reports and renders them as text or `--json`.

mod analyze;
mod bench;
mod fake_camera;
mod files;
mod inspect;
mod plan;
mod run;
mod text;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use mcupatch::session::parse_size;
use mcupatch::session::{Session, Settings};
use std::io::Write as _;

#[derive(Parser)]
#[command(name = "mcupatch", version, about = "Int8 TFLite CNNs in a simulated MCU SRAM arena")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-op table: shapes, MACs (layer by layer, and under the plan), activation and weight
    /// bytes, and the arena peak.
    Inspect(inspect::Args),
    /// Plans the model: with no --patch the planner searches every split × grid (1×1 … 8×8)
    /// for real and prints the Pareto front of peak SRAM against MACs and its choice for the SRAM.
    Plan(plan::Args),
    /// Runs the model on images (or a raw input tensor) and prints scores, label and arena peak.
    Run(run::Args),
    /// Times inferences of a model under a plan: median and spread per inference.
    Bench(bench::Args),
    /// Builds zoo architectures (synthetic int8 weights) and compares a patch plan with layer
    /// by layer: peak SRAM and where, MAC overhead, input patch, memory per block.
    Analyze(analyze::Args),
    /// Writes a still image as a Y4M clip, for Chromium's fake webcam
    /// (--use-file-for-fake-video-capture): how the page is tested with real photos.
    FakeCamera(fake_camera::Args),
}

/// The flags every planning subcommand shares: they set the library's [`Settings`].
#[derive(Args, Clone)]
pub struct Common {
    /// SRAM size, e.g. 256K or 1M (default 256K, or the MCU's).
    #[arg(long)]
    sram: Option<String>,
    /// Flash size for the weights and graph, e.g. 1M (default: the MCU's).
    #[arg(long)]
    flash: Option<String>,
    /// An MCU preset: stm32f412, stm32f411, stm32f746, stm32h743, nrf52840, rp2040, esp32-s3,
    /// arduino-nano-33-ble.
    #[arg(long)]
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
    #[arg(long)]
    patch: Vec<String>,
    /// Where a patch stage ends: opN (op N's output), tN (tensor N), strideN (the end of the
    /// first block at stride N) or a tensor name (default: the planner's choice).
    #[arg(long)]
    split: Vec<String>,
    /// With auto: also consider two patch stages (multi-stage fusion).
    #[arg(long)]
    multi_stage: bool,
    /// Print the report as JSON (the session's report structs; see README).
    #[arg(long)]
    json: bool,
}

impl Common {
    fn settings(&self) -> Result<Settings> {
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
            ..Settings::default()
        })
    }
}

/// A session for the .tflite file at `path`.
fn open(path: &std::path::Path) -> Result<Session> {
    use anyhow::Context as _;
    let bytes = files::read(path, files::MAX_MODEL_BYTES)?;
    Session::from_tflite(&bytes).with_context(|| format!("cannot load {}", path.display()))
}

/// Prints a report as pretty JSON.
fn print_json(value: &impl serde::Serialize, out: &mut String) -> Result<()> {
    out.push_str(&serde_json::to_string_pretty(value)?);
    out.push('\n');
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let mut out = String::new();
    let (result, json) = match &cli.command {
        Command::Inspect(a) => (inspect::main(a, &mut out), a.common.json),
        Command::Plan(a) => (plan::main(a, &mut out), a.common.json),
        Command::Run(a) => (run::main(a, &mut out), a.common.json),
        Command::Bench(a) => (bench::main(a, &mut out), a.common.json),
        Command::Analyze(a) => (analyze::main(a, &mut out), a.common.json),
        Command::FakeCamera(a) => (fake_camera::main(a), false),
    };
    if let Err(e) = result {
        // One line, whatever the error's own text holds.
        let message = format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ");
        if json {
            println!("{}", serde_json::json!({ "error": message }));
        } else {
            eprintln!("error: {message}");
        }
        std::process::exit(1);
    }
    // A reader that stops early (`| head`) is not an error worth a message.
    if let Err(e) = std::io::stdout().write_all(out.as_bytes()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the output: {e}");
            std::process::exit(1);
        }
    }
}
