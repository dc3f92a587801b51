//! `mcupatch search`: architectures × patch schedules that fit an MCU (joint search).

use crate::common::print_json;
use anyhow::{bail, Result};
use clap::builder::NonEmptyStringValueParser;
use mcupatch::session::joint::{self, Goal, Objective, Space};
use mcupatch::session::{mcu, parse_size, InPlace};
use std::fmt::Write as _;

#[derive(clap::Args)]
pub struct Args {
    /// An MCU preset (its SRAM and Flash), e.g. stm32f412, stm32f746, stm32h743.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    mcu: Option<String>,
    /// SRAM size (overrides the preset's), e.g. 256K.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    sram: Option<String>,
    /// Flash size for the weights (overrides the preset's), e.g. 1M.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    flash: Option<String>,
    /// Keep the whole frame in SRAM during the patch stage (default: the camera streams it).
    #[arg(long)]
    whole_frame: bool,
    /// In-place 1×1 convolutions and residual adds too (in-place depthwise is always on).
    #[arg(long)]
    in_place_all: bool,
    /// Width multipliers.
    #[arg(long, value_delimiter = ',', default_values_t = [0.35, 0.5, 0.75, 1.0])]
    widths: Vec<f64>,
    /// Only this input resolution (else every multiple of 16 from --resolution-min to --resolution-max).
    #[arg(long)]
    resolution: Option<usize>,
    #[arg(long, default_value_t = 96)]
    resolution_min: usize,
    #[arg(long, default_value_t = 224)]
    resolution_max: usize,
    /// Depthwise kernel sizes.
    #[arg(long, value_delimiter = ',', default_values_t = [3, 5, 7])]
    kernels: Vec<usize>,
    /// Expansion ratios.
    #[arg(long, value_delimiter = ',', default_values_t = [3, 4, 6])]
    expands: Vec<usize>,
    /// Depths as a fraction of MobileNetV2's blocks per group.
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 1.0])]
    depths: Vec<f64>,
    /// Classifier classes (their weights count against Flash).
    #[arg(long, default_value_t = 1000)]
    classes: usize,
    /// What to maximise among the architectures that fit: macs, or resolution (under --mac-budget).
    #[arg(long, default_value = "macs")]
    objective: String,
    /// With --objective resolution: the most MACs an architecture may cost, e.g. 100M.
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    mac_budget: Option<String>,
    /// The most MAC overhead a patch plan may cost, in percent.
    #[arg(long)]
    max_overhead: Option<f64>,
    /// Also plans of two or more patch stages, each ending at a block end (slower).
    #[arg(long)]
    multi_stage: bool,
    #[arg(long)]
    pub json: bool,
}

fn count(text: &str) -> Result<u64> {
    let t = text.trim().to_ascii_uppercase();
    let (digits, factor) = match t.strip_suffix('M') {
        Some(d) => (d, 1_000_000),
        None => match t.strip_suffix('G') {
            Some(d) => (d, 1_000_000_000),
            None => (t.as_str(), 1),
        },
    };
    match digits.trim().parse::<u64>().ok().and_then(|n| n.checked_mul(factor)) {
        Some(n) => Ok(n),
        None => bail!("'{text}' is not a MAC count (e.g. 100M)"),
    }
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let preset = args.mcu.as_deref().map(mcu).transpose()?;
    let size = |s: &Option<String>| s.as_deref().map(parse_size).transpose();
    let goal = Goal {
        sram: size(&args.sram)?.or(preset.map(|m| m.sram)).unwrap_or(Goal::default().sram),
        flash: size(&args.flash)?.or(preset.map(|m| m.flash)).unwrap_or(Goal::default().flash),
        in_place: InPlace { depthwise: true, pointwise: args.in_place_all, add: args.in_place_all },
        streamed_input: !args.whole_frame,
        max_overhead: args.max_overhead.map(|p| p / 100.0),
        multi_stage: args.multi_stage,
        objective: match args.objective.as_str() {
            "macs" => Objective::Macs,
            "resolution" => Objective::Resolution,
            other => bail!("objective '{other}' is not macs or resolution"),
        },
        mac_budget: args.mac_budget.as_deref().map(count).transpose()?,
    };
    let resolutions = match args.resolution {
        Some(r) => vec![r],
        None => (args.resolution_min.div_ceil(16)..=args.resolution_max / 16).map(|i| i * 16).collect(),
    };
    let space = Space {
        widths: args.widths.clone(),
        resolutions,
        kernels: args.kernels.clone(),
        expands: args.expands.clone(),
        depths: args.depths.clone(),
        classes: args.classes,
    };
    let started = std::time::Instant::now();
    let step = std::sync::atomic::AtomicUsize::new(0);
    let report = joint::search(&space, &goal, |done, total| {
        // A progress line every tenth of the way, on stderr.
        let tenth = done * 10 / total;
        if step.fetch_max(tenth, std::sync::atomic::Ordering::Relaxed) < tenth {
            eprintln!("searched {done} / {total} architectures ({:.0} s)", started.elapsed().as_secs_f64());
        }
    })?;
    if args.json {
        return print_json(&report, out);
    }
    writeln!(
        out,
        "{} architectures, {} plans measured; {} fit {} B SRAM and {} B Flash ({} only with patches)",
        report.architectures, report.plans, report.fitting, goal.sram, goal.flash, report.fitting_only_with_patches
    )?;
    let res = |r: Option<usize>| r.map_or("none".into(), |r| r.to_string());
    writeln!(
        out,
        "largest resolution that fits: layer by layer {}, with patches {}",
        res(report.largest_resolution_layer_by_layer),
        res(report.largest_resolution_patched)
    )?;
    for w in &report.by_width {
        writeln!(
            out,
            "  width {}: layer by layer {}, with patches {}",
            w.width,
            res(w.layer_by_layer),
            res(w.patched)
        )?;
    }
    writeln!(out, "Pareto front (MACs vs peak SRAM):")?;
    writeln!(
        out,
        "  {:>5} {:>4} {:>3} {:>3} {:>5} {:>12} {:>9} {:>9} {:>9}  plan",
        "width", "res", "k", "e", "depth", "MACs", "peak B", "flash B", "overhead"
    )?;
    for r in &report.front {
        let plan = match r.best.stages.is_empty() {
            true => "layer by layer".into(),
            false => {
                let stages: Vec<String> =
                    r.best.stages.iter().map(|s| format!("{}x{} to {}", s.rows, s.cols, s.split)).collect();
                stages.join(", then ")
            }
        };
        writeln!(
            out,
            "  {:>5} {:>4} {:>3} {:>3} {:>5} {:>12} {:>9} {:>9} {:>8.1}%  {plan}",
            r.arch.width,
            r.arch.resolution,
            r.arch.kernel,
            r.arch.expand,
            r.arch.depth,
            r.macs,
            r.best.peak_bytes,
            r.weight_bytes,
            r.best.overhead * 100.0
        )?;
    }
    match &report.best {
        Some(b) => writeln!(
            out,
            "best ({}): width {} @{} k{} e{} depth {}: {} MACs, {} B peak; blocks {}",
            args.objective,
            b.arch.width,
            b.arch.resolution,
            b.arch.kernel,
            b.arch.expand,
            b.arch.depth,
            b.best.macs,
            b.best.peak_bytes,
            b.spec
        )?,
        None => writeln!(out, "no architecture fits")?,
    }
    Ok(())
}
