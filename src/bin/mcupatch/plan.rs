//! `mcupatch plan`: the planner's search (or a given plan), its Pareto front and its choice.

use crate::common::{open, print_json, tflm_arena, Common};
use crate::text;
use anyhow::Result;
use mcupatch::latency::Basis;
use mcupatch::session::RingReport;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    model: PathBuf,
    /// Without --patch the planner searches (as --patch auto).
    #[command(flatten)]
    pub common: Common,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let mut settings = args.common.settings()?;
    if settings.patch.is_empty() {
        settings.patch = vec!["auto".into()];
    }
    let report = open(&args.model)?.plan(&settings)?;
    if args.common.json {
        return print_json(&report, out);
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    let l = &report.layer_by_layer;
    match &report.search {
        Some(search) => writeln!(out, "{} plans searched", search.candidates)?,
        None => writeln!(out, "1 plan")?,
    }
    writeln!(
        out,
        "({} input{}); layer by layer: {} B peak, {} MACs",
        report.input.dtype.name(),
        text::switches(&report.schedule),
        l.peak.bytes,
        l.macs
    )?;
    if let Some(search) = &report.search {
        writeln!(out, "Pareto front (peak SRAM vs MACs):")?;
        writeln!(out, "  {:<40} {:>9} {:>12} {:>9} {:>10}  peak at", "plan", "peak B", "MACs", "overhead", "in patch")?;
        for c in &search.front {
            writeln!(
                out,
                "  {:<40} {:>9} {:>12} {:>8.1}% {:>10}  {}",
                text::schedule(&c.schedule),
                c.peak_bytes,
                c.macs,
                c.overhead * 100.0,
                text::input_patch(c.input_patch),
                text::candidate_peak_at(c)
            )?;
        }
    }
    let (p, board) = (&report.patched, &report.board);
    let plan = text::schedule(&report.schedule);
    match board.fits_sram {
        true => writeln!(
            out,
            "choice for {} B: {plan} — {} B peak, {:.1}% more MACs",
            board.sram,
            p.peak.bytes,
            p.overhead * 100.0
        )?,
        false => writeln!(out, "nothing fits {} B; the smallest peak is {} B: {plan}", board.sram, p.peak.bytes)?,
    }
    if !report.rings.is_empty() {
        let ring = |r: &RingReport| {
            format!("t{} {} row{} {} B", r.tensor, r.rows, if r.rows == 1 { "" } else { "s" }, r.bytes)
        };
        let total: usize = report.rings.iter().map(|r| r.bytes).sum();
        let each: Vec<String> = report.rings.iter().map(ring).collect();
        writeln!(out, "rings (one column's): {} — {total} B in all", each.join(", "))?;
    }
    if let Some(advice) = &report.advice {
        writeln!(out, "why: {}", advice.why)?;
        match &advice.change {
            Some(c) => {
                writeln!(out, "would fit: {} — {} B peak, {:.1}% more MACs", c.what, c.peak_bytes, c.overhead * 100.0)?
            }
            None => writeln!(out, "no switch or grid makes it fit {} B", board.sram)?,
        }
        match advice.mcu {
            Some(m) => writeln!(out, "or a larger MCU: {} ({} B SRAM, {} B Flash)", m.name, m.sram, m.flash)?,
            None => writeln!(out, "no MCU preset holds {} B of SRAM and the model's Flash", advice.peak_bytes)?,
        }
    }
    match (&report.latency, &report.latency_unknown) {
        (Some(e), _) => {
            let basis = match &e.basis {
                Basis::StandIn { reason, .. } => format!("; {reason}"),
                _ => String::new(),
            };
            writeln!(
                out,
                "time on {} under TFLite Micro + CMSIS-NN: about {:.0} ms (an estimate from MLPerf Tiny results, \
                 ±{:.0}%{basis})",
                e.board.name,
                e.ms,
                e.loo_error * 100.0
            )?
        }
        (None, Some(why)) => writeln!(out, "no time estimate: {why}")?,
        (None, None) => {}
    }
    if board.fits_flash == Some(false) {
        writeln!(out, "the model's {} B do not fit {} B of Flash", board.flash_needed, board.flash.unwrap_or(0))?;
    }
    if let Some(t) = &report.tflite_micro {
        writeln!(out, "in stock TFLite Micro (mcupatch export, {} plans compared):", t.compared)?;
        writeln!(out, "  this plan exported:       {}", tflm_arena(&t.exported))?;
        writeln!(out, "  layer by layer exported:  {}", tflm_arena(&t.layer_by_layer))?;
        writeln!(out, "  TFLite Micro's own plan:  {}", tflm_arena(&t.own))?;
        writeln!(
            out,
            "  ({:.2}× TFLite Micro's own; exported heads exact, its own head modelled, tails as the wheel allocates them)",
            t.exported.total_bytes as f64 / t.own.total_bytes.max(1) as f64
        )?;
    }
    Ok(())
}
