//! `mcupatch run`: images or a raw tensor through the plan; scores, label, arena.

use crate::common::{open, print_json, Common};
use crate::text;
use anyhow::{bail, Context, Result};
use clap::builder::NonEmptyStringValueParser;
use mcupatch::preprocess;
use mcupatch::session::BufferEvent;
use mcupatch::session::{PlanReport, RunReport, Session};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    model: PathBuf,
    /// PNG or JPEG files: centre-cropped to the input's aspect, resized to its H×W (luminance
    /// for a one-channel input), pixel values mapped to the model's range (see --pixel-range)
    /// and quantized with the input's parameters.
    images: Vec<PathBuf>,
    /// Feed a raw tensor instead of an image: the model's input as it declares it (float32
    /// for a float-input model, with or without --float-input), or the int8 tensor the run
    /// starts from.
    #[arg(long, conflicts_with = "images")]
    input_raw: Option<PathBuf>,
    /// Write every tensor the run produced (t<index>.bin) and a manifest.json to this folder: a
    /// new one (its parent must exist) or an empty one.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// With --dump: write into a folder that already holds files, replacing those of the same name.
    #[arg(long, requires = "dump")]
    force: bool,
    /// Class names of the output, comma-separated (default: the model's own, else class i).
    #[arg(long, value_parser = NonEmptyStringValueParser::new())]
    labels: Option<String>,
    /// Print the arena trace: each step's allocations, frees, live bytes and extent.
    #[arg(long)]
    trace: bool,
    #[command(flatten)]
    pub common: Common,
}

/// One input's run, named by its file.
#[derive(Serialize)]
struct NamedRun {
    input: String,
    #[serde(flatten)]
    run: RunReport,
}

/// What `run --json` prints: the plan, then one run per input.
#[derive(Serialize)]
struct RunOutput {
    plan: PlanReport,
    runs: Vec<NamedRun>,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let mut session = open(&args.model)?;
    let mut settings = args.common.settings()?;
    settings.labels = args.labels.as_ref().map(|l| l.split(',').map(|s| s.trim().to_string()).collect());
    let plan = session.plan(&settings)?;
    if !plan.board.fits_sram {
        bail!(
            "arena too small: the plan needs {} B of SRAM at {}, the arena has {} B",
            plan.board.sram_needed,
            text::peak_at(&plan.patched.peak),
            plan.board.sram
        );
    }
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(raw) = &args.input_raw {
        inputs.push((raw.display().to_string(), raw_input(&mut session, raw)?));
    }
    for path in &args.images {
        let image = preprocess::read_image(path).with_context(|| path.display().to_string())?;
        inputs.push((path.display().to_string(), session.image_input(&image)?));
    }
    if inputs.is_empty() {
        bail!("give one or more images, or --input-raw FILE");
    }
    if let Some(dir) = &args.dump {
        dump_folder(dir, args.force)?;
    }
    let mut runs = Vec::new();
    for (i, (name, input)) in inputs.iter().enumerate() {
        let run = match &args.dump {
            Some(dir) => {
                let dir = match inputs.len() > 1 {
                    true => {
                        let each = dir.join(i.to_string());
                        dump_folder(&each, args.force)?;
                        each
                    }
                    false => dir.clone(),
                };
                dump(&mut session, input, &dir)?
            }
            None => session.run(input)?,
        };
        runs.push(NamedRun { input: name.clone(), run });
    }
    if args.common.json {
        return print_json(&RunOutput { plan, runs }, out);
    }
    for note in &plan.notes {
        writeln!(out, "note: {note}")?;
    }
    if !args.images.is_empty() {
        writeln!(out, "input: pixels 0..255 as {}", text::input_range(&plan.input_range))?;
    }
    let model = session.model();
    for r in &runs {
        match r.run.verdict {
            true => writeln!(out, "{}: {} ({:.3})", r.input, r.run.label, r.run.score)?,
            false => writeln!(out, "{}: no verdict: the first output is {}", r.input, text::output_kind(model))?,
        }
        for (o, t) in r.run.outputs.iter().zip(&model.outputs) {
            match r.run.verdict || o.int8.len() <= 16 {
                true => writeln!(out, "  output int8 {:?}  scores {:?}", o.int8, o.dequantized)?,
                false => writeln!(out, "  output {} {}", text::shape(&t.shape), text::value_range(&o.dequantized))?,
            }
        }
    }
    let p = &plan.patched;
    writeln!(
        out,
        "arena: peak {} B of {} B SRAM ({} input), {} MACs",
        p.peak.bytes,
        plan.board.sram,
        plan.input.dtype.name(),
        p.macs
    )?;
    for st in &plan.schedule.stages {
        writeln!(
            out,
            "patch stage: {}x{} patches up to tensor {} ({}, {}){}",
            st.rows,
            st.cols,
            st.split.index,
            st.split.name,
            text::shape(&st.split.shape[1..]),
            text::switches(&plan.schedule)
        )?;
    }
    if args.trace {
        print_trace(&plan, out)?;
    }
    Ok(())
}

/// Makes `dir` ready for a dump: created if missing (only the folder itself, never a missing
/// parent: a typo in the path should not grow a tree), and refused when it already holds
/// files unless `force` (a dump would mix with an earlier one's tensors).
fn dump_folder(dir: &Path, force: bool) -> Result<()> {
    let shown = dir.display();
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() && !force {
                bail!("the dump folder {shown} is not empty: give a new or empty folder, or --force to write into it");
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(dir)
            .with_context(|| format!("cannot create the dump folder {shown} (its parent folder must exist)")),
        Err(e) => Err(e).with_context(|| format!("cannot use {shown} as the dump folder")),
    }
}

/// Runs `input`, writing every whole tensor to `dir` as t<index>.bin, with a manifest.json.
fn dump(session: &mut Session, input: &[u8], dir: &Path) -> Result<RunReport> {
    let mut written = Vec::new();
    let mut error = None;
    let run = session.run_with(input, |t, bytes| {
        if let Err(e) = std::fs::write(dir.join(format!("t{t}.bin")), bytes) {
            error.get_or_insert(e);
        }
        written.push(t);
    })?;
    if let Some(e) = error {
        bail!("cannot write to {}: {e}", dir.display());
    }
    #[derive(Serialize)]
    struct Entry {
        file: String,
        #[serde(flatten)]
        tensor: mcupatch::session::TensorReport,
    }
    let tensors = written
        .iter()
        .map(|&t| Ok(Entry { file: format!("t{t}.bin"), tensor: session.tensor(t)? }))
        .collect::<Result<Vec<_>>>()?;
    let manifest = serde_json::to_string_pretty(&serde_json::json!({ "tensors": tensors }))?;
    std::fs::write(dir.join("manifest.json"), manifest).with_context(|| format!("cannot write {}", dir.display()))?;
    Ok(run)
}

fn print_trace(plan: &PlanReport, out: &mut String) -> Result<()> {
    writeln!(
        out,
        "{:>5} {:>3}  {:<18} {:<9} {:<18} {:>9} {:>9}  allocations / frees",
        "step", "op", "", "patch", "region", "live B", "extent B"
    )?;
    let list = |events: &[BufferEvent]| {
        let name = |e: &BufferEvent| e.tensors.first().map_or_else(|| "scratch".to_string(), |t| format!("t{t}"));
        events.iter().map(|e| format!("{}@{}+{}", name(e), e.offset, e.size)).collect::<Vec<_>>().join(" ")
    };
    for s in &plan.patched.steps {
        let patch = s.patch.map_or(String::new(), |p| format!("{}:{},{}", p.stage, p.row, p.col));
        let region = s.region.map_or(String::new(), |r| format!("[{},{})x[{},{})", r.y0, r.y1, r.x0, r.x1));
        writeln!(
            out,
            "{:>5} {:>3}  {:<18} {:<9} {:<18} {:>9} {:>9}  +[{}] -[{}]",
            s.step,
            s.op_index,
            s.op,
            patch,
            region,
            s.live_bytes,
            s.extent,
            list(&s.alloc),
            list(&s.free)
        )?;
    }
    Ok(())
}

/// The bytes of `raw` as the run's input (see [`Session::raw_input`]).
fn raw_input(session: &mut Session, raw: &Path) -> Result<Vec<u8>> {
    let limit = session.raw_input_limit()?;
    let bytes = mcupatch::files::read_file(raw, limit as u64)?;
    session.raw_input(&bytes).with_context(|| format!("{}", raw.display()))
}
