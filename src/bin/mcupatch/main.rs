//! The mcupatch command line: every subcommand parses its flags into the library's
//! [`Settings`], asks a [`Session`] for typed reports and renders them as text or `--json`.

mod analyze;
mod bench;
mod common;
mod export;
mod fake_camera;
mod inspect;
mod plan;
mod run;
mod search;
mod text;

use clap::{Parser, Subcommand};
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
    /// Joint search: MobileNetV2-style architectures (width, resolution, kernel, expansion,
    /// depth), each with its best patch plan, that fit an MCU's SRAM and Flash.
    Search(search::Args),
    /// Builds zoo architectures (synthetic int8 weights) and compares a patch plan with layer
    /// by layer: peak SRAM and where, MAC overhead, input patch, memory per block.
    Analyze(analyze::Args),
    /// Writes the model with mcupatch's layer-by-layer arena offsets as TFLite Micro's offline
    /// memory plan (OfflineMemoryAllocation metadata): stock TFLite Micro then runs it in that arena.
    Export(export::Args),
    /// Writes a still image as a Y4M clip, for Chromium's fake webcam
    /// (--use-file-for-fake-video-capture): how the page is tested with real photos.
    FakeCamera(fake_camera::Args),
}

/// The flags, or for a command line clap refuses, one `error:` line (a JSON object with
/// `--json`) and exit code 1, as for every other error; `--help` and `--version` print as usual.
fn parse() -> Cli {
    use clap::error::ErrorKind;
    let e = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(e) => e,
    };
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let message = match e.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "no subcommand given; try 'mcupatch --help'".into(),
        _ => one_line(&e.to_string()),
    };
    fail(&message, std::env::args().any(|a| a == "--json"));
}

/// Clap's multi-line message (error, tip, usage, hint) as one line, without the usage.
fn one_line(text: &str) -> String {
    let mut line = String::new();
    for part in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("Usage:")) {
        let part = part.strip_prefix("error:").unwrap_or(part).trim();
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints `message` as the one error line (or JSON object) and exits with code 1.
fn fail(message: &str, json: bool) -> ! {
    if json {
        println!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("error: {message}");
    }
    std::process::exit(1);
}

fn main() {
    let cli = parse();
    let mut out = String::new();
    let (result, json) = match &cli.command {
        Command::Inspect(a) => (inspect::main(a, &mut out), a.common.json),
        Command::Plan(a) => (plan::main(a, &mut out), a.common.json),
        Command::Run(a) => (run::main(a, &mut out), a.common.json),
        Command::Bench(a) => (bench::main(a, &mut out), a.common.json),
        Command::Analyze(a) => (analyze::main(a, &mut out), a.common.json),
        Command::Search(a) => (search::main(a, &mut out), a.json),
        Command::Export(a) => (export::main(a, &mut out), a.common.json),
        Command::FakeCamera(a) => (fake_camera::main(a), false),
    };
    if let Err(e) = result {
        // One line, whatever the error's own text holds.
        fail(&format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" "), json);
    }
    // A reader that stops early (`| head`) is not an error worth a message.
    if let Err(e) = std::io::stdout().write_all(out.as_bytes()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the output: {e}");
            std::process::exit(1);
        }
    }
}
