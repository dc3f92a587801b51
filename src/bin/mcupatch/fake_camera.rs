//! `mcupatch fake-camera`: a still image as a Y4M clip for Chromium's fake webcam.

use anyhow::{bail, Context, Result};
use mcupatch::preprocess;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    image: PathBuf,
    out: PathBuf,
    /// Frame size WxH; the photo is scaled to cover it and centre-cropped.
    #[arg(long, default_value = "480x480")]
    size: String,
    #[arg(long, default_value_t = 30)]
    frames: usize,
}

/// The largest frame side: 4K.
const MAX_SIDE: u32 = 4096;
const MAX_FRAMES: usize = 10_000;

pub fn main(args: &Args) -> Result<()> {
    let size = &args.size;
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|&(w, h)| (2..=MAX_SIDE).contains(&w) && (2..=MAX_SIDE).contains(&h) && w % 2 == 0 && h % 2 == 0)
        .ok_or_else(|| anyhow::anyhow!("size '{size}' is not WxH with even W, H from 2 to {MAX_SIDE}"))?;
    if !(1..=MAX_FRAMES).contains(&args.frames) {
        bail!("--frames {} must be between 1 and {MAX_FRAMES}", args.frames);
    }
    let rgb = preprocess::read_image(&args.image).with_context(|| args.image.display().to_string())?;
    let frame = preprocess::yuv420(&rgb, w, h);
    let path = args.out.display();
    let file = std::fs::File::create(&args.out).with_context(|| format!("cannot write {path}"))?;
    // Frame by frame: a long clip never sits in memory whole.
    let mut clip = std::io::BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(clip, "YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg")?;
        for _ in 0..args.frames {
            clip.write_all(b"FRAME\n")?;
            clip.write_all(&frame)?;
        }
        clip.flush()
    };
    write().with_context(|| format!("cannot write {path}"))
}
