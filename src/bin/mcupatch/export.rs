//! `mcupatch export`: the model for stock TFLite Micro, with mcupatch's arena plan as its
//! offline memory plan; a patch plan rewritten as standard ops.

use crate::common::{print_json, tflm_arena, Common};
use anyhow::{Context as _, Result};
use mcupatch::session::{Session, METADATA_NAME};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The .tflite model to export.
    model: PathBuf,
    /// Where to write the model with its plan.
    out: PathBuf,
    /// Also write a deploy kit into this folder: model_data.h/.cc (the model as a C array,
    /// the arena size) and main.cc (a minimal TFLite Micro program with exactly its ops).
    #[arg(long)]
    kit: Option<PathBuf>,
    /// The plan's settings, as for `plan`; without --patch (or with --patch layer-by-layer)
    /// the model is exported layer by layer.
    #[command(flatten)]
    pub common: Common,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let settings = args.common.settings()?;
    let bytes = mcupatch::files::read_file(&args.model, mcupatch::session::MAX_MODEL_BYTES)?;
    let exported = Session::from_tflite(&bytes)
        .and_then(|session| session.export(&settings))
        .with_context(|| format!("cannot export {}", args.model.display()))?;
    mcupatch::files::refuse_overwriting(&args.out, &[&args.model])?;
    mcupatch::files::write_atomically(&args.out, |file| file.write_all(&exported.model))?;
    if let Some(dir) = &args.kit {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for f in exported.kit()? {
            let path = dir.join(f.name);
            mcupatch::files::refuse_overwriting(&path, &[&args.model])?;
            mcupatch::files::write_atomically(&path, |file| file.write_all(f.text.as_bytes()))?;
        }
    }
    let r = &exported.report;
    if args.common.json {
        return print_json(r, out);
    }
    for note in &r.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(
        out,
        "wrote {} ({} B): {}; {} of {} tensors planned in TFLite Micro's {} metadata",
        args.out.display(),
        r.exported_bytes,
        r.plan,
        r.planned,
        r.tensors,
        METADATA_NAME
    )?;
    if !r.stages.is_empty() {
        writeln!(
            out,
            "added {} ops and {} tensors (slices, pads, patch ops, concatenations)",
            r.added_ops, r.added_tensors
        )?;
    }
    let input = if r.float_input { "float input and its QUANTIZE kept" } else { "int8 input" };
    writeln!(out, "arena in TFLite Micro: {} (every op run, none in place, {input})", tflm_arena(&r.arena))?;
    if !r.stages.is_empty() || r.candidates > 1 {
        writeln!(out, "layer by layer it would be: {}", tflm_arena(&r.layer_by_layer))?;
    }
    writeln!(out, "TFLite Micro's own plan of the unchanged model: {}", tflm_arena(&r.own))?;
    writeln!(
        out,
        "(the exported head is the offline plan's, exact; TFLite Micro's own head is its greedy planner's, modelled; \
         the tails are the tflite-micro wheel's allocations replayed, a 64-bit host{})",
        if r.arena.tail_exact && r.layer_by_layer.tail_exact {
            ""
        } else {
            "; ~ marks an estimate: an op kind not measured"
        }
    )?;
    Ok(())
}
