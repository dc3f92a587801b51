//! `mcupatch bench`: wall time per inference of a model under a plan.

use crate::common::{open, print_json, Common};
use crate::text;
use anyhow::Result;
use mcupatch::session::MAX_BENCH_RUNS;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    model: PathBuf,
    /// Inferences to time after one warm-up run (default: 100, or as many as fit the bench's
    /// 4 s budget).
    #[arg(long)]
    runs: Option<usize>,
    #[command(flatten)]
    pub common: Common,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    if let Some(n) = args.runs.filter(|n| !(1..=MAX_BENCH_RUNS).contains(n)) {
        anyhow::bail!("--runs {n} must be between 1 and {MAX_BENCH_RUNS}");
    }
    let mut session = open(&args.model)?;
    let plan = session.plan(&args.common.settings()?)?;
    // A fixed, deterministic input: a pattern of pixel values, as int8 or float32.
    let tensor = session.input_tensor()?;
    let input: Vec<u8> = match tensor.dtype {
        mcupatch::session::DType::F32 => {
            (0..tensor.bytes / 4).flat_map(|i| ((i * 31 % 251) as f32).to_le_bytes()).collect()
        }
        _ => (0..tensor.bytes).map(|i| (i * 31 % 251) as u8).collect(),
    };
    let report = session.bench(&input, args.runs)?;
    if args.common.json {
        return print_json(&report, out);
    }
    writeln!(
        out,
        "{}{}: {:.3} ms per inference (median of {}; min {:.3}, max {:.3}); peak {} B, {} MACs",
        text::schedule(&plan.schedule),
        text::switches(&plan.schedule),
        report.median_ms,
        report.runs,
        report.min_ms,
        report.max_ms,
        report.peak_bytes,
        report.macs
    )?;
    Ok(())
}
