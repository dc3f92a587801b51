//! `mcupatch export`: the model with mcupatch's layer-by-layer plan as TFLite Micro's offline
//! memory plan.

use crate::common::print_json;
use anyhow::{Context as _, Result};
use mcupatch::session::{Session, METADATA_NAME};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The .tflite model to plan.
    model: PathBuf,
    /// Where to write the model with its plan.
    out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn main(args: &Args, out: &mut String) -> Result<()> {
    let bytes = mcupatch::files::read_file(&args.model, mcupatch::session::MAX_MODEL_BYTES)?;
    let exported = Session::from_tflite(&bytes)
        .and_then(|session| session.export())
        .with_context(|| format!("cannot export {}", args.model.display()))?;
    mcupatch::files::refuse_overwriting(&args.out, &[&args.model])?;
    mcupatch::files::write_atomically(&args.out, |file| file.write_all(&exported.model))?;
    let r = &exported.report;
    if args.json {
        return print_json(r, out);
    }
    writeln!(
        out,
        "wrote {} ({} B): {} of {} tensors planned in TFLite Micro's {} metadata",
        args.out.display(),
        r.exported_bytes,
        r.planned,
        r.tensors,
        METADATA_NAME
    )?;
    let input = if r.float_input { "float input and its QUANTIZE kept" } else { "int8 input" };
    writeln!(
        out,
        "arena head {} B in TFLite Micro (mcupatch's layer-by-layer peak {} B; every op run, none in place, {input})",
        r.tflm_head_bytes, r.peak_bytes
    )?;
    Ok(())
}
