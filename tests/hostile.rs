#![cfg(not(target_arch = "wasm32"))]
//! The second hostile campaign's findings, each pinned by name: a flag, image or model that
//! made a subcommand panic, abort, run without bound, or replace a user's file now gets one
//! actionable `error:` line (or a bounded, correct answer) and leaves every input as it was.

mod common;

use common::gen::Gen;
use common::{root, scratch_dir};
use mcupatch::session::{Session, Settings};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MODEL: &str = "models/visual_wake_words.tflite";

fn mcupatch_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcupatch")).args(args).current_dir(dir).output().expect("run mcupatch")
}

/// Exit code 1 and one `error:` line holding `expected` (a JSON object with `--json`), no panic.
fn refused_in(dir: &Path, args: &[&str], expected: &str) {
    let out = mcupatch_in(dir, args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    let line = match args.contains(&"--json") {
        true => {
            let error: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON error");
            error["error"].as_str().expect("an error field").to_string()
        }
        false => stderr.strip_prefix("error: ").unwrap_or_else(|| panic!("{args:?}: {stderr}")).to_string(),
    };
    assert!(line.contains(expected), "{args:?}: {line}");
    assert_eq!(line.trim_end().lines().count(), 1, "{args:?}: {line}");
}

fn refused(args: &[&str], expected: &str) {
    refused_in(&root(), args, expected)
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A scratch folder holding a copy of the VWW model and of a photo.
fn workspace(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = scratch_dir(name);
    let (model, photo) = (dir.join("m.tflite"), dir.join("p.png"));
    std::fs::copy(root().join(MODEL), &model).unwrap();
    std::fs::copy(root().join("data/images/coffee.png"), &photo).unwrap();
    (dir, model, photo)
}

/// `--split stride0` divided by zero in every subcommand that plans (stdout empty with --json).
#[test]
fn split_at_stride_zero_is_refused_everywhere() {
    let stride0 = "a stride is at least 1";
    for command in ["plan", "inspect", "bench"] {
        refused(&[command, MODEL, "--patch", "2x2", "--split", "stride0"], stride0);
        refused(&[command, MODEL, "--patch", "2x2", "--split", "stride0", "--json"], stride0);
    }
    refused(&["run", MODEL, "data/images/coffee.png", "--patch", "auto", "--split", "stride0", "--json"], stride0);
    refused(&["analyze", "--patch", "4x4", "--split", "stride0", "--json"], stride0);
}

/// Empty `--patch`, `--split`, `--mcu`, `--sram` counted as absent: the user's intent was lost.
#[test]
fn empty_flag_values_are_refused() {
    for flag in ["--patch=", "--split=", "--mcu=", "--sram=", "--flash="] {
        refused(&["plan", MODEL, flag], "a value is required");
    }
    refused(&["search", "--mcu="], "a value is required");
}

/// NaN compared false with every overhead: `search --max-overhead nan` dropped every patch plan.
#[test]
fn search_refuses_an_overhead_cap_that_is_not_a_number() {
    for cap in ["--max-overhead=nan", "--max-overhead=-5", "--max-overhead=inf"] {
        refused(&["search", "--widths", "0.35", "--resolution", "96", cap], "overhead");
    }
}

/// `fake-camera` scaled the whole photo to cover the frame before cropping: a 65535×1 PNG of
/// 270 bytes asked for 45 GB and aborted; 3000×1 reached 2 GB. Now it crops first.
#[test]
fn a_one_row_photo_makes_a_bounded_clip() {
    let dir = scratch_dir("hostile-wide-photo");
    for width in [65_535u32, 3_000] {
        let photo = dir.join(format!("row-{width}.png"));
        image::RgbImage::from_fn(width, 1, |x, _| image::Rgb([(x % 256) as u8, 128, 0])).save(&photo).unwrap();
        let clip = dir.join(format!("row-{width}.y4m"));
        // Under a 1 GiB address-space limit: the old code could not even reserve its buffer.
        let command = format!(
            "ulimit -v 1048576; exec '{}' fake-camera '{}' '{}' --frames 2",
            env!("CARGO_BIN_EXE_mcupatch"),
            photo.display(),
            clip.display()
        );
        let out = Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert!(out.status.success(), "{width}×1: {}", String::from_utf8_lossy(&out.stderr));
        let header = b"YUV4MPEG2 W480 H480 F30:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n".len();
        let frame = b"FRAME\n".len() + 480 * 480 * 3 / 2;
        assert_eq!(std::fs::metadata(&clip).unwrap().len() as usize, header + 2 * frame, "{width}×1");
    }
}

/// `fake-camera photo.png photo.png` replaced the photo with a clip and `export m.tflite
/// m.tflite` rewrote the model in place — also through a symbolic or a hard link.
#[test]
fn outputs_never_replace_their_inputs() {
    let (dir, model, photo) = workspace("hostile-same-file");
    let (model_bytes, photo_bytes) = (sha(&model), sha(&photo));
    std::os::unix::fs::symlink("m.tflite", dir.join("link.tflite")).unwrap();
    std::fs::hard_link(&model, dir.join("hard.tflite")).unwrap();
    std::os::unix::fs::symlink("p.png", dir.join("link.png")).unwrap();
    for out in ["m.tflite", "./m.tflite", "link.tflite", "hard.tflite"] {
        refused_in(&dir, &["export", "m.tflite", out], "it is the input m.tflite");
    }
    for out in ["p.png", "link.png"] {
        refused_in(&dir, &["fake-camera", "p.png", out, "--frames", "1"], "it is the input p.png");
    }
    assert_eq!(sha(&model), model_bytes);
    assert_eq!(sha(&photo), photo_bytes);
}

/// Writes were not atomic: an output is written beside its name and renamed, so a finished
/// export leaves exactly its file, and a failed one leaves the old file untouched.
#[test]
fn outputs_are_written_whole_or_not_at_all() {
    let (dir, _, _) = workspace("hostile-atomic");
    let before: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    let out = mcupatch_in(&dir, &["export", "m.tflite", "planned.tflite"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut after: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    after.retain(|name| !before.contains(name));
    assert_eq!(after, ["planned.tflite"], "only the output appears, no temporary file");
    // A clip that cannot be made (its photo is not an image) leaves the old clip as it was.
    std::fs::write(dir.join("clip.y4m"), b"an earlier clip").unwrap();
    std::fs::write(dir.join("broken.png"), b"not a PNG").unwrap();
    refused_in(&dir, &["fake-camera", "broken.png", "clip.y4m", "--frames", "1"], "broken.png");
    assert_eq!(sha(&dir.join("clip.y4m")), b"an earlier clip");
}

/// `run --dump DIR` created any missing path and overwrote earlier dumps without a word.
#[test]
fn dumps_go_to_a_new_or_empty_folder() {
    let (dir, _, photo) = workspace("hostile-dump");
    let run = |folder: &str, extra: &[&str]| {
        let mut args = vec!["run", "m.tflite", "p.png", "--dump", folder];
        args.extend(extra);
        mcupatch_in(&dir, &args)
    };
    assert!(run("first", &[]).status.success());
    assert!(dir.join("first/manifest.json").is_file());
    refused_in(&dir, &["run", "m.tflite", "p.png", "--dump", "first"], "is not empty");
    assert!(run("first", &["--force"]).status.success(), "--force writes into it");
    refused_in(&dir, &["run", "m.tflite", "p.png", "--dump", "typo/deep/folder"], "its parent folder must exist");
    assert!(!dir.join("typo").exists(), "no missing parent is created");
    std::fs::create_dir(dir.join("empty")).unwrap();
    assert!(run("empty", &[]).status.success(), "an empty folder is fine");
    refused_in(&dir, &["run", "m.tflite", "p.png", "--dump", "p.png"], "cannot use p.png as the dump folder");
    assert!(photo.is_file());
}

/// `bench --runs 1000000` was accepted (about 21 minutes on a MobileNetV2); the default 100
/// runs of a slow model took a minute. A bench is now held to a time budget.
#[test]
fn bench_is_held_to_its_time_budget() {
    refused(&["bench", MODEL, "--runs", "1000000"], "above the bench's budget of 4 s: give");
    let mut session = Session::from_tflite_file(&root().join(MODEL)).unwrap();
    session.plan(&Settings::default()).unwrap();
    let input = vec![0u8; session.input_tensor().unwrap().bytes];
    let report = session.bench(&input, None).unwrap();
    assert!((1..=mcupatch::session::DEFAULT_BENCH_RUNS).contains(&report.runs), "{}", report.runs);
    assert!(session.bench(&input, Some(0)).is_err());
}

/// A patch plan's recomputed halos multiply an inference's work, which only layer by layer
/// was held to: a long chain cut into 8×8 patches ran 63× its MACs for 18 s. Every plan's
/// work is now checked before it runs (against four times a model's own limit).
#[test]
fn a_patch_plan_that_recomputes_too_much_is_refused_before_it_runs() {
    let blocks = ["k7e1s1c8"; 30].join(",");
    let mut session = Session::from_zoo("mcunet", 1.0, 224, Some(&blocks)).unwrap();
    session.plan(&Settings::default()).expect("layer by layer is within the limit");
    let split = session.model().splits.last().unwrap().tensor;
    let eight = Settings { patch: vec!["8x8".into()], split: vec![format!("t{split}")], ..Settings::default() };
    let Err(error) = session.plan(&eight).map(|_| ()) else { panic!("the 8×8 plan was made") };
    let error = error.to_string();
    assert!(error.contains("the work of one inference under this plan"), "{error}");
    assert!(error.contains("a coarser grid or an earlier split"), "{error}");
}

/// A cut-short or corrupt file gave the flatbuffer verifier's trace ("Range [14700, 14704) is
/// out of bounds. while verifying table field `operator_codes` at position 56").
#[test]
fn cut_and_corrupt_models_are_told_in_sentences() {
    let (dir, model, _) = workspace("hostile-corrupt");
    let bytes = sha(&model);
    std::fs::write(dir.join("cut.tflite"), &bytes[..14_705]).unwrap();
    refused_in(&dir, &["plan", "cut.tflite"], "the file is cut short: it has 14705 bytes, but its operator_codes");
    let mut rng = StdRng::seed_from_u64(3);
    for case in 0..40 {
        let mut flipped = bytes.clone();
        for _ in 0..3 {
            let at = rand::Rng::gen_range(&mut rng, 8..4096);
            flipped[at] = rand::Rng::gen(&mut rng);
        }
        if let Err(e) = mcupatch::model::load(&flipped) {
            let text = e.to_string();
            for trace in ["while verifying", "Range [", "at position", "is unaligned."] {
                assert!(!text.contains(trace), "case {case}: {text}");
            }
        }
    }
}

/// A model with no outputs ran and printed "class 0 (0.000)": it still plans (its arena is
/// real), but a run is refused.
#[test]
fn a_model_without_outputs_plans_but_does_not_run() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut g = Gen::new(&mut rng);
    let x = g.input(4, 2);
    let y = g.activation(x, common::gen::RELU);
    g.finish(y.t);
    g.spec.outputs.clear();
    let mut session = Session::from_tflite(&g.spec.to_bytes()).expect("it loads");
    session.plan(&Settings::default()).expect("it plans");
    let input = vec![0u8; session.input_tensor().unwrap().bytes];
    let error = session.run(&input).unwrap_err().to_string();
    assert!(error.contains("declares no outputs"), "{error}");
}

/// Truncated JPEGs decoded with grey rows filled in (a cut photo of coffee became a person).
#[test]
fn a_cut_jpeg_is_refused() {
    let jpeg = sha(&root().join("data/images/rocket.jpg"));
    let dir = scratch_dir("hostile-jpeg");
    std::fs::write(dir.join("cut.jpg"), &jpeg[..30_000]).unwrap();
    refused_in(&dir, &["run", &root().join(MODEL).display().to_string(), "cut.jpg"], "this JPEG is cut short");
    assert!(mcupatch::preprocess::decode(&jpeg).is_ok(), "the whole file still decodes");
}
