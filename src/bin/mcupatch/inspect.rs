//! `mcupatch inspect`: the per-op table under a plan.

use crate::common::{open, print_json, Common};
use crate::text;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    model: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let report = open(&args.model)?.plan(&args.common.settings()?)?;
    if args.common.json {
        return print_json(&report, out);
    }
    let patched = !report.schedule.stages.is_empty();
    writeln!(
        out,
        "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>11} {:>10} {:>9}",
        "#",
        "op",
        "input",
        "output",
        "MACs",
        if patched { "patch MACs" } else { "" },
        "act bytes",
        "weights"
    )?;
    let shapes = |list: &[Vec<usize>]| list.iter().map(|s| text::shape(s)).collect::<Vec<_>>().join(", ");
    for op in &report.ops {
        let note = if op.scheduled { "" } else { "  (int8 input: not run)" };
        writeln!(
            out,
            "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>11} {:>10} {:>9}{note}",
            op.index,
            op.op,
            shapes(&op.inputs),
            shapes(&op.outputs),
            op.macs,
            if patched { op.plan_macs.to_string() } else { String::new() },
            op.activation_bytes,
            op.weight_bytes
        )?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    let p = &report.patched;
    writeln!(
        out,
        "total: {} MACs ({:+.1}% over layer by layer), {} weight bytes; {}{}: arena peak {} B of {} B at {}",
        p.macs,
        p.overhead * 100.0,
        report.ops.iter().map(|o| o.weight_bytes).sum::<usize>(),
        text::schedule(&report.schedule),
        text::switches(&report.schedule),
        p.peak.bytes,
        report.board.sram,
        text::peak_at(&p.peak)
    )?;
    Ok(())
}
