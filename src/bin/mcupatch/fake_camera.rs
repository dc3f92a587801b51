//! `mcupatch fake-camera`: a still image as a Y4M clip for Chromium's fake webcam.

use anyhow::{bail, Context, Result};
use image::{imageops::FilterType, RgbImage};
use mcupatch::preprocess;
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
/// The largest clip written: Chromium loops a clip, so a few frames suffice, and the sides and
/// frame count each allowed would otherwise multiply to 251 GB (4096×4096 × 10 000 frames).
const MAX_CLIP_BYTES: u64 = 512 << 20;

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
    // Each frame: its "FRAME\n" line and the Y, Cb and Cr planes (4:2:0).
    let frame_bytes = 6 + u64::from(w) * u64::from(h) * 3 / 2;
    let clip_bytes = frame_bytes * args.frames as u64;
    if clip_bytes > MAX_CLIP_BYTES {
        bail!(
            "a {w}x{h} clip of {} frames is {clip_bytes} bytes, above the limit of {MAX_CLIP_BYTES} (at most {} frames at this size)",
            args.frames,
            MAX_CLIP_BYTES / frame_bytes
        );
    }
    mcupatch::files::refuse_overwriting(&args.out, &[&args.image])?;
    let rgb = preprocess::read_image(&args.image).with_context(|| args.image.display().to_string())?;
    let frame = yuv420(&rgb, w, h);
    // Frame by frame: a long clip never sits in memory whole.
    mcupatch::files::write_atomically(&args.out, |clip| {
        writeln!(clip, "YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED")?;
        for _ in 0..args.frames {
            clip.write_all(b"FRAME\n")?;
            clip.write_all(&frame)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// An image centre-cropped to the aspect of `w` × `h` and scaled to it, as one planar YUV 4:2:0 frame in
/// BT.601 limited ("studio") range: Chromium's fake webcam reads a Y4M clip as limited range
/// whatever its header says, so full-range values would come back with crushed blacks and
/// blown whites (a clip and its photo then disagree). Decoded as Chromium does, the frame
/// gives back the photo's levels.
fn yuv420(img: &RgbImage, w: u32, h: u32) -> Vec<u8> {
    // Cropped before it is scaled: scaling a 65535×1 photo to cover 480×480 first would make
    // a 31 million × 480 image (45 GB).
    let (cw, ch) = match u64::from(img.width()) * u64::from(h) > u64::from(img.height()) * u64::from(w) {
        true => ((u64::from(img.height()) * u64::from(w) / u64::from(h)).max(1) as u32, img.height()),
        false => (img.width(), (u64::from(img.width()) * u64::from(h) / u64::from(w)).max(1) as u32),
    };
    let crop = image::imageops::crop_imm(img, (img.width() - cw) / 2, (img.height() - ch) / 2, cw, ch).to_image();
    let frame = image::imageops::resize(&crop, w, h, FilterType::Triangle);
    let px = |x: u32, y: u32| frame.get_pixel(x, y).0.map(f32::from);
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    // Full-range BT.601 luma and chroma, squeezed into 16..235 and 16..240.
    let (luma, chroma) = (219.0 / 255.0, 224.0 / 255.0);
    let mut out: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let [r, g, b] = px(x, y);
            clamp(16.0 + luma * (0.299 * r + 0.587 * g + 0.114 * b))
        })
        .collect();
    let plane = |f: &dyn Fn([f32; 3]) -> f32| -> Vec<u8> {
        (0..h / 2)
            .flat_map(|y| (0..w / 2).map(move |x| (x, y)))
            .map(|(x, y)| {
                let sum: f32 =
                    [(0, 0), (1, 0), (0, 1), (1, 1)].iter().map(|&(dx, dy)| f(px(2 * x + dx, 2 * y + dy))).sum();
                clamp(128.0 + chroma * sum / 4.0)
            })
            .collect()
    };
    out.extend(plane(&|[r, g, b]| -0.168_736 * r - 0.331_264 * g + 0.5 * b));
    out.extend(plane(&|[r, g, b]| 0.5 * r - 0.418_688 * g - 0.081_312 * b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chromium's decoding of a limited-range BT.601 frame (what its fake webcam does).
    fn decode(y: u8, cb: u8, cr: u8) -> [f32; 3] {
        let (y, cb, cr) = (1.164 * (f32::from(y) - 16.0), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
        [y + 1.596 * cr, y - 0.392 * cb - 0.813 * cr, y + 2.017 * cb]
    }

    #[test]
    fn a_clip_decodes_to_the_photos_levels() {
        for rgb in [[0u8, 0, 0], [20, 20, 20], [128, 128, 128], [250, 250, 250], [255, 255, 255], [200, 40, 90]] {
            let photo = RgbImage::from_pixel(4, 4, image::Rgb(rgb));
            let frame = yuv420(&photo, 4, 4);
            let got = decode(frame[0], frame[16], frame[20]);
            for (g, want) in got.iter().zip(rgb) {
                assert!((g - f32::from(want)).abs() <= 2.5, "{rgb:?} comes back as {got:?}");
            }
        }
    }
}
