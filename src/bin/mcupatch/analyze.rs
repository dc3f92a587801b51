//! `mcupatch analyze`: zoo architectures, a patch plan against layer by layer, block by block.

use crate::common::{print_json, Common};
use crate::text;
use anyhow::Result;
use mcupatch::session::{ModelReport, PlanReport, Session};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(clap::Args)]
pub struct Args {
    /// mbv2, mbv2-rd, mbv1 or mcunet; comma-separated to compare side by side.
    #[arg(long, default_value = "mbv2", value_delimiter = ',')]
    arch: Vec<String>,
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    #[arg(long, default_value_t = 224)]
    resolution: usize,
    /// For mcunet: the blocks, e.g. k3e1s1c16,k5e6s2c24,k3e6s1c24 (kernel, expansion,
    /// stride, channels).
    #[arg(long)]
    blocks: Option<String>,
    /// The plan as for `run` (default: --patch auto).
    #[command(flatten)]
    pub common: Common,
}

/// One architecture's model and plan.
#[derive(Serialize)]
struct Analysis {
    arch: String,
    model: ModelReport,
    plan: PlanReport,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let mut settings = args.common.settings()?;
    if settings.patch.is_empty() {
        settings.patch = vec!["auto".into()];
    }
    let mut models = Vec::new();
    for name in &args.arch {
        let arch = name.trim().to_string();
        let mut session = Session::from_zoo(&arch, args.width, args.resolution, args.blocks.as_deref())?;
        let plan = session.plan(&settings)?;
        models.push(Analysis { arch, model: session.model().clone(), plan });
    }
    if args.common.json {
        return print_json(&serde_json::json!({ "models": models }), out);
    }
    let kib = |b: usize| b as f64 / 1024.0;
    for Analysis { arch, model, plan } in &models {
        let (l, p) = (&plan.layer_by_layer, &plan.patched);
        let at = |peak: &mcupatch::session::PeakReport| {
            let op = plan.ops.get(peak.op).map_or(String::new(), |o| o.block.clone());
            format!("{op}/{}", peak.op_name)
        };
        writeln!(
            out,
            "{arch} width {} @{}: {} MACs, {} weight bytes",
            args.width, args.resolution, l.macs, model.weight_bytes
        )?;
        for note in &plan.notes {
            writeln!(out, "  note: {note}")?;
        }
        writeln!(
            out,
            "  layer by layer  {:>9} B ({:>7.1} KiB), peak at {}",
            l.peak.bytes,
            kib(l.peak.bytes),
            at(&l.peak)
        )?;
        writeln!(
            out,
            "  {:<15} {:>9} B ({:>7.1} KiB), peak at {}; {:.2}x less SRAM",
            text::schedule(&plan.schedule),
            p.peak.bytes,
            kib(p.peak.bytes),
            at(&p.peak),
            l.peak.bytes as f64 / p.peak.bytes.max(1) as f64
        )?;
        writeln!(
            out,
            "  MACs +{:.1}% overall, +{:.1}% in the patch stage; input patch {}",
            p.overhead * 100.0,
            plan.stage_overhead * 100.0,
            text::input_patch(p.input_patch)
        )?;
        writeln!(out, "  {:<12} {:>14} {:>14}", "block", "layer KiB", "patch KiB")?;
        for b in &plan.blocks {
            writeln!(out, "  {:<12} {:>14.1} {:>14.1}", b.block, kib(b.layer_by_layer), kib(b.patched))?;
        }
    }
    Ok(())
}
