//! Writes the seed corpora `make fuzz` starts from into fuzz/seeds/: generated conformance
//! models (the test suite's generator) and the real models for the model targets, and small
//! synthetic PNG/JPEG images for the image target. Real models are not committed, so the
//! seeds are made on the machine that fuzzes.

use image::{DynamicImage, ImageFormat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Cursor;
use std::path::{Path, PathBuf};

// The test suite's generator and writer (the generator reaches the writer as `super::writer`).
#[allow(dead_code)]
#[path = "../../tests/common/gen/mod.rs"]
mod gen;
#[allow(dead_code)]
#[path = "../../tests/common/writer.rs"]
mod writer;

use gen::Gen;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A random chain of the generator's ops, sometimes ending in a classifier head.
fn generated(seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let float = rng.gen_bool(0.3);
    let ops = rng.gen_range(1..=5);
    let head = rng.gen_bool(0.4);
    let picks: Vec<u8> = (0..ops).map(|_| rng.gen_range(0..7)).collect();
    let mut g = Gen::new(&mut rng);
    let mut x = if float { g.float_input(12, 4) } else { g.input(12, 4) };
    for pick in picks {
        x = match pick {
            0 => g.conv(x, false),
            1 => g.conv(x, true),
            2 => g.pool(x, true),
            3 => g.pool(x, false),
            4 => g.residual_add(x),
            5 => g.pad(x),
            _ => g.concat(x),
        };
    }
    if head {
        let (m, c, s) = g.mean(x);
        let (logits, units, _) = g.fully_connected(m, 1, c, s);
        let probs = g.softmax(logits, vec![1, units]);
        return g.finish(probs).0;
    }
    g.finish(x.t).0
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("create seed dir");
    std::fs::write(dir.join(name), bytes).expect("write seed");
}

fn main() {
    let seeds = root().join("fuzz/seeds");
    let mut rng = StdRng::seed_from_u64(1);
    for seed in 0..300 {
        let model = generated(seed);
        write(&seeds.join("load"), &format!("gen{seed}"), &model);
        let mut switched = vec![rng.gen::<u8>()];
        switched.extend(&model);
        write(&seeds.join("model"), &format!("gen{seed}"), &switched);
    }
    let mut real: Vec<PathBuf> = Vec::new();
    for dir in ["models", "models/mltk"] {
        if let Ok(entries) = std::fs::read_dir(root().join(dir)) {
            real.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "tflite")));
        }
    }
    for path in &real {
        let bytes = std::fs::read(path).expect("read model");
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        write(&seeds.join("load"), &name, &bytes);
        // Only the small real models feed the slower targets (their inputs stay short).
        if bytes.len() <= 64 * 1024 {
            for sw in [0u8, 0x07, 0x1f, 0x27] {
                let mut switched = vec![sw];
                switched.extend(&bytes);
                write(&seeds.join("model"), &format!("{name}-{sw:02x}"), &switched);
            }
        }
    }
    // Images are synthetic (gradients and noise), so nothing derived from the photos is
    // ever committed with a minimised corpus.
    for (w, h) in [(8u32, 8u32), (17, 5), (3, 24), (1, 1)] {
        let rgb = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 30) as u8, (y * 20) as u8, rng.gen()]));
        let small = DynamicImage::ImageRgb8(rgb);
        let variants = [
            ("rgb", small.clone()),
            ("grey", DynamicImage::ImageLuma8(small.to_luma8())),
            ("rgba16", DynamicImage::ImageRgba16(small.to_rgba16())),
        ];
        for (kind, v) in variants {
            for format in [ImageFormat::Png, ImageFormat::Jpeg] {
                let v = if format == ImageFormat::Jpeg { DynamicImage::ImageRgb8(v.to_rgb8()) } else { v.clone() };
                let mut bytes = vec![w as u8, 7, 12, 3];
                let mut out = Cursor::new(Vec::new());
                v.write_to(&mut out, format).expect("encode");
                bytes.extend(out.into_inner());
                write(&seeds.join("image"), &format!("{w}x{h}-{kind}.{format:?}"), &bytes);
            }
        }
    }
    // A raw RGBA frame of the size the first bytes declare (4×3).
    let mut frame = vec![0, 0, 4, 1];
    frame.extend((0..48).map(|i| i as u8 * 5));
    write(&seeds.join("image"), "rgba-4x3", &frame);
    println!("seeds written to {}", seeds.display());
}
