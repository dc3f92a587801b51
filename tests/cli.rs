#![cfg(not(target_arch = "wasm32"))]
//! The `mcupatch` binary as users run it: JSON shapes, labels, dumps, raw input, errors.

mod common;

use common::{root, run_tflm, scratch_dir};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn mcupatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcupatch")).args(args).current_dir(root()).output().expect("run mcupatch")
}

fn json_of(args: &[&str]) -> Value {
    let out = mcupatch(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Exit code 1, one `error:` line naming the problem, and no panic.
fn assert_clean_error(args: &[&str], expected: &str) {
    let out = mcupatch(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(stderr.starts_with("error:") && stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

const MODEL: &str = "models/visual_wake_words.tflite";

#[test]
fn run_json_gives_labels_outputs_and_arena_for_each_photo() {
    let photos = ["astronaut.png", "camera.png", "coffee.png", "chelsea.png", "rocket.jpg"];
    let paths: Vec<String> = photos.iter().map(|p| format!("data/images/{p}")).collect();
    let mut args = vec!["run", MODEL, "--json"];
    args.extend(paths.iter().map(String::as_str));
    let report = json_of(&args);
    let runs = report["runs"].as_array().unwrap();
    let labels: Vec<&str> = runs.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["person", "person", "non person", "non person", "non person"]);
    for r in runs {
        let output = &r["outputs"][0];
        assert_eq!(output["int8"].as_array().unwrap().len(), 2);
        assert_eq!(output["dequantized"].as_array().unwrap().len(), 2);
        assert_eq!(r["capacity"], 262_144);
        assert_eq!(r["peak_bytes"], 55_296);
        assert_eq!(r["macs"], 7_489_664);
    }
    assert_eq!(report["plan"]["board"]["sram"], 262_144);
    assert_eq!(report["plan"]["patched"]["peak"]["bytes"], 55_296);
}

#[test]
fn mcu_presets_and_float_input_change_the_arena() {
    let r = json_of(&["run", MODEL, "data/images/coffee.png", "--json", "--mcu", "stm32f746", "--float-input"]);
    assert_eq!(r["runs"][0]["capacity"], 320 * 1024);
    assert_eq!(r["plan"]["input"]["dtype"], "float32");
    assert_eq!(r["plan"]["board"]["flash"], 1024 * 1024);
    assert_eq!(r["runs"][0]["peak_bytes"], 96 * 96 * 3 * 5);
    assert_eq!(r["runs"][0]["label"], "non person");
}

#[test]
fn inspect_json_totals() {
    let r = json_of(&["inspect", MODEL, "--json"]);
    let ops = r["ops"].as_array().unwrap();
    assert_eq!(ops.len(), 33);
    assert_eq!(r["patched"]["macs"], 7_489_664);
    assert_eq!(ops.iter().map(|o| o["weight_bytes"].as_u64().unwrap()).sum::<u64>(), 219_072);
    assert_eq!(r["patched"]["peak"]["bytes"], 55_296);
    let text = mcupatch(&["inspect", MODEL]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("CONV_2D"));
}

/// The debugger path: a dump's files equal TFLite Micro's tensors, as the manifest says.
#[test]
fn dump_writes_every_tensor_and_a_manifest_equal_to_tflite_micro() {
    common::require_tflm();
    let dir = scratch_dir("dump");
    let dump = dir.join("ours");
    let out = mcupatch(&["run", MODEL, "data/images/astronaut.png", "--float-input", "--dump", dump.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest: Value = serde_json::from_slice(&std::fs::read(dump.join("manifest.json")).unwrap()).unwrap();
    let tensors = manifest["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 34, "the float input and 33 op outputs");
    let indices: Vec<u64> = tensors.iter().map(|t| t["index"].as_u64().unwrap()).collect();
    // TFLM gets the same float pixels the CLI computed: its dump of the input tensor.
    let input = dump.join(format!("t{}.bin", indices[0]));
    let job = serde_json::json!([{ "model": root().join(MODEL), "input": input, "out": dir.join("tflm"), "tensors": indices }]);
    assert!(run_tflm(&dir, &job));
    for t in tensors {
        let file: PathBuf = dump.join(t["file"].as_str().unwrap());
        let ours = std::fs::read(&file).unwrap();
        let elements: u64 = t["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).product();
        let width = if t["dtype"] == "float32" { 4 } else { 1 };
        assert_eq!(ours.len() as u64, elements * width, "{}", t["name"]);
        let theirs = std::fs::read(dir.join("tflm").join(t["file"].as_str().unwrap())).unwrap();
        assert!(ours == theirs, "tensor {} ({}) differs from TFLM", t["index"], t["name"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn raw_input_gives_the_same_result_as_the_image() {
    let dir = scratch_dir("raw");
    let dump = dir.join("dump");
    let from_image = json_of(&["run", MODEL, "data/images/camera.png", "--json", "--dump", dump.to_str().unwrap()]);
    // With int8 input the first dumped tensor is the int8 image the camera would deliver.
    let manifest: Value = serde_json::from_slice(&std::fs::read(dump.join("manifest.json")).unwrap()).unwrap();
    let raw = dump.join(manifest["tensors"][0]["file"].as_str().unwrap());
    let from_raw = json_of(&["run", MODEL, "--input-raw", raw.to_str().unwrap(), "--json"]);
    assert_eq!(from_raw["runs"][0]["outputs"], from_image["runs"][0]["outputs"]);
    assert_eq!(from_raw["runs"][0]["label"], "person");
    // The model's own input is float32 (its QUANTIZE has scale 1, zero point -128): the same
    // pixels as float32 bytes give the same outputs, with or without --float-input.
    let floats: Vec<u8> =
        std::fs::read(&raw).unwrap().iter().flat_map(|&q| (f32::from(q as i8) + 128.0).to_le_bytes()).collect();
    let float_raw = dir.join("float.bin");
    std::fs::write(&float_raw, floats).unwrap();
    for extra in [&[][..], &["--float-input"][..]] {
        let args = [&["run", MODEL, "--input-raw", float_raw.to_str().unwrap(), "--json"][..], extra].concat();
        assert_eq!(json_of(&args)["runs"][0]["outputs"], from_image["runs"][0]["outputs"], "{extra:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = scratch_dir("bad");
    let garbage = dir.join("garbage.tflite");
    std::fs::write(&garbage, b"definitely not a flatbuffer").unwrap();
    let short_raw = dir.join("short.bin");
    std::fs::write(&short_raw, [0u8; 10]).unwrap();
    let not_image = dir.join("not-an-image.png");
    std::fs::write(&not_image, b"hello").unwrap();
    let (garbage, short_raw, not_image) =
        (garbage.to_str().unwrap(), short_raw.to_str().unwrap(), not_image.to_str().unwrap());
    assert_clean_error(&["run", "no/such/model.tflite", "x.png"], "cannot read");
    assert_clean_error(&["inspect", garbage], "not a valid TFLite model");
    assert_clean_error(&["run", MODEL, "--input-raw", short_raw], "27648");
    assert_clean_error(&["run", MODEL, not_image], "cannot decode image");
    assert_clean_error(&["run", MODEL], "give one or more images");
    assert_clean_error(&["run", MODEL, "data/images/coffee.png", "--sram", "16K"], "arena too small");
    assert_clean_error(&["run", MODEL, "data/images/coffee.png", "--sram", "lots"], "lots");
    assert_clean_error(&["inspect", MODEL, "--mcu", "pdp11"], "pdp11");
    assert_clean_error(&["run", MODEL, "data/images/coffee.png", "--pixel-range", "1,0"], "pixel range");
    assert_clean_error(&["run", MODEL, "data/images/coffee.png", "--patch", "3by3"], "grid '3by3'");
    assert_clean_error(
        &["run", MODEL, "data/images/coffee.png", "--patch", "2x2", "--split", "nope"],
        "no op output or tensor",
    );
    assert_clean_error(
        &["run", MODEL, "data/images/coffee.png", "--patch", "2x2", "--split", "op30"],
        "is not an int8 [1, H, W, C] map",
    );
    assert_clean_error(&["inspect", "/dev/zero"], "not a regular file");
    assert_clean_error(&["run", MODEL, "--patch", "auto", "--split", "op3", "--split", "op5"], "2 splits");
    assert_clean_error(&["run", MODEL, "--patch", "9x9"], "from 1 to 8");
    assert_clean_error(&["fake-camera", "data/images/coffee.png", "x.y4m", "--size", "100000x100000"], "even W, H");
    assert_clean_error(&["fake-camera", "data/images/coffee.png", "x.y4m", "--frames", "100000"], "--frames");
    assert_clean_error(&["bench", MODEL, "--runs", "0"], "--runs");
    // With --json the error is a JSON object on stdout, still exit code 1.
    let out = mcupatch(&["inspect", "/dev/zero", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&out.stdout).expect("a JSON error object");
    assert!(error["error"].as_str().unwrap().contains("not a regular file"));
    assert_clean_error(&["analyze", "--arch", "resnet"], "unknown architecture");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Command lines clap refuses (unknown flags, missing or malformed values, no subcommand)
/// printed clap's multi-line usage and exited with code 2; they follow the one-line rule now.
#[test]
fn command_line_errors_are_one_line_too() {
    assert_clean_error(&[], "no subcommand");
    assert_clean_error(&["frob"], "unrecognized subcommand 'frob'");
    assert_clean_error(&["run"], "<MODEL>");
    assert_clean_error(&["run", MODEL, "--bogus"], "unexpected argument '--bogus'");
    assert_clean_error(&["run", MODEL, "--patch"], "a value is required for '--patch");
    assert_clean_error(&["fake-camera", "a.png", "x.y4m", "--frames", "-1"], "unexpected argument '-1'");
    assert_clean_error(&["bench", MODEL, "--runs", "1e20"], "invalid value '1e20'");
    let out = mcupatch(&["inspect", MODEL, "--json", "--bogus"]);
    assert_eq!(out.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&out.stdout).expect("a JSON error object");
    assert!(error["error"].as_str().unwrap().contains("--bogus"), "{error}");
    for args in [&["--help"][..], &["--version"], &["run", "--help"]] {
        let out = mcupatch(args);
        assert!(out.status.success() && !out.stdout.is_empty(), "{args:?}");
    }
}

/// The sides and the frame count each allowed multiplied to a 251 GB clip (4096×4096 ×
/// 10 000 frames; 480×480 × 10 000 wrote 2.9 GB in 10 s before it was killed): the clip's
/// bytes are bounded before anything is read or written.
#[test]
fn fake_camera_clips_are_bounded_in_bytes() {
    let big =
        ["fake-camera", "data/images/coffee.png", "never-written.y4m", "--size", "4096x4096", "--frames", "10000"];
    assert_clean_error(&big, "at most 21 frames");
    assert_clean_error(
        &["fake-camera", "data/images/coffee.png", "never-written.y4m", "--frames", "10000"],
        "at most 1553",
    );
    assert!(!root().join("never-written.y4m").exists());
}

#[test]
fn patch_runs_give_the_layer_by_layer_outputs_with_less_sram() {
    let base = ["run", MODEL, "data/images/astronaut.png", "data/images/coffee.png", "--json"];
    let layerwise = json_of(&base);
    let mut args = base.to_vec();
    args.extend(["--patch", "auto", "--sram", "20K", "--streamed-input", "--in-place-depthwise"]);
    let patched = json_of(&args);
    let runs = |r: &Value| r["runs"].as_array().unwrap().clone();
    for (l, p) in runs(&layerwise).iter().zip(runs(&patched).iter()) {
        assert_eq!(l["outputs"], p["outputs"]);
        assert_eq!(l["label"], p["label"]);
        assert!(p["peak_bytes"].as_u64().unwrap() <= 20 * 1024);
        assert!(p["macs"].as_u64() > l["macs"].as_u64());
    }
    assert_eq!(patched["plan"]["schedule"]["stages"].as_array().unwrap().len(), 1);
    let traced = json_of(&["run", MODEL, "data/images/coffee.png", "--json", "--patch", "2x2", "--split", "op5"]);
    let steps = traced["plan"]["patched"]["steps"].as_array().unwrap();
    let patches: std::collections::BTreeSet<u64> = steps.iter().filter_map(|s| s["patch"]["index"].as_u64()).collect();
    assert_eq!(patches.len(), 4, "every patch of the 2x2 grid appears in the trace");
}

#[test]
fn plan_json_has_a_front_and_a_choice() {
    let r = json_of(&["plan", MODEL, "--json", "--streamed-input", "--in-place-depthwise", "--sram", "32K"]);
    assert_eq!(r["layer_by_layer"]["peak"]["bytes"], 55_296);
    assert_eq!(r["search"]["candidates"], 1_173);
    let front = r["search"]["front"].as_array().unwrap();
    assert!(front.len() > 3);
    assert!(front[0]["peak_bytes"].as_u64().unwrap() <= 20 * 1024);
    assert_eq!(r["board"]["fits"], true);
    assert!(r["patched"]["peak"]["bytes"].as_u64().unwrap() <= 32 * 1024);
    // The cheapest plan that fits: no front member under 32 KiB has fewer MACs.
    let chosen = r["patched"]["macs"].as_u64().unwrap();
    assert!(front
        .iter()
        .filter(|c| c["peak_bytes"].as_u64().unwrap() <= 32 * 1024)
        .all(|c| c["macs"].as_u64().unwrap() >= chosen));
    let text =
        String::from_utf8_lossy(&mcupatch(&["plan", MODEL, "--streamed-input", "--sram", "32K"]).stdout).to_string();
    assert!(text.contains("Pareto front") && text.contains("choice for 32768 B"), "{text}");
}

#[test]
fn analyze_json_reproduces_figure_one() {
    let r = json_of(&[
        "analyze",
        "--arch",
        "mbv2,mbv2-rd",
        "--patch",
        "4x4",
        "--split",
        "stride8",
        "--streamed-input",
        "--in-place-depthwise",
        "--in-place-pointwise",
        "--in-place-add",
        "--json",
    ]);
    let models = r["models"].as_array().unwrap();
    assert_eq!(models[0]["plan"]["layer_by_layer"]["peak"]["bytes"], 1_404_928);
    assert_eq!(models[0]["plan"]["patched"]["peak"]["bytes"], 176_400);
    let blocks = models[0]["plan"]["blocks"].as_array().unwrap();
    assert_eq!(blocks.iter().find(|b| b["block"] == "block2").unwrap()["layer_by_layer"], 1_404_928);
    let overhead = |m: &Value| m["plan"]["patched"]["overhead"].as_f64().unwrap();
    assert!(overhead(&models[1]) < overhead(&models[0]));
}

#[test]
fn conflicting_settings_are_resolved_as_meant() {
    // A split with layer by layer: the split is ignored, and the report says so.
    let r = json_of(&["inspect", MODEL, "--json", "--split", "op5", "--streamed-input"]);
    assert!(r["schedule"]["stages"].as_array().unwrap().is_empty());
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("split is ignored")), "{notes:?}");
    assert_eq!(r["patched"]["peak"]["bytes"], 55_296);
    // auto with a split: the best grid for that split.
    let r = json_of(&["inspect", MODEL, "--json", "--patch", "auto", "--split", "op5", "--sram", "50K"]);
    let stages = r["schedule"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 1);
    assert_eq!(stages[0]["split_op"], 5);
    assert_eq!(r["search"]["candidates"], 64, "every grid up to 8x8 at that split");
    assert!(r["board"]["fits_sram"].as_bool().unwrap());
    let chosen = r["patched"]["macs"].as_u64().unwrap();
    let front = r["search"]["front"].as_array().unwrap();
    assert!(front
        .iter()
        .filter(|c| c["peak_bytes"].as_u64().unwrap() <= 50 * 1024)
        .all(|c| c["macs"].as_u64().unwrap() >= chosen));
}

#[test]
fn the_text_output_renders_the_same_report() {
    let args = ["inspect", MODEL, "--patch", "3x3", "--streamed-input", "--in-place-depthwise"];
    let json = json_of(&[&args[..], &["--json"]].concat());
    let text = String::from_utf8_lossy(&mcupatch(&args).stdout).to_string();
    let peak = json["patched"]["peak"]["bytes"].as_u64().unwrap();
    let macs = json["patched"]["macs"].as_u64().unwrap();
    assert!(text.contains(&format!("arena peak {peak} B")) && text.contains(&format!("total: {macs} MACs")), "{text}");
}

#[test]
fn bench_times_a_plan() {
    let r = json_of(&["bench", MODEL, "--runs", "5", "--json", "--patch", "3x3", "--split", "t65"]);
    assert_eq!(r["runs"], 5);
    assert!(r["median_ms"].as_f64().unwrap() > 0.0);
    assert!(r["min_ms"].as_f64() <= r["median_ms"].as_f64() && r["median_ms"].as_f64() <= r["max_ms"].as_f64());
    assert!(r["macs"].as_u64().unwrap() > 7_489_664, "a 3x3 plan recomputes halos");
}

fn run_text(args: &[&str]) -> String {
    let out = mcupatch(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// MLTK's grayscale rock-paper-scissors (84×84×1) runs on a colour photo and labels it with
/// its own class names; the text says each image is standardized, as its metadata asks.
#[test]
fn run_labels_a_grayscale_model_with_its_own_classes() {
    let model = "models/mltk/rock_paper_scissors.tflite";
    let r = json_of(&["run", model, "data/images/astronaut.png", "--json"]);
    let label = r["runs"][0]["label"].as_str().unwrap();
    assert!(["rock", "paper", "scissor", "unknown"].contains(&label), "{label}");
    assert_eq!(r["runs"][0]["verdict"], true);
    assert_eq!(r["plan"]["input_range"]["rule"], "metadata");
    assert_eq!(r["plan"]["input_range"]["standardize"], true);
    let text = run_text(&["run", model, "data/images/astronaut.png"]);
    assert!(text.contains("each image standardized") && text.contains(&format!(": {label} (")), "{text}");
}

/// MLTK's CIFAR-10 model names a rocket's photo with a CIFAR class.
#[test]
fn run_labels_cifar10_with_its_class_names() {
    let r = json_of(&["run", "models/mltk/image_classification.tflite", "data/images/rocket.jpg", "--json"]);
    assert_eq!(r["runs"][0]["label"], "ship");
    assert_eq!(r["plan"]["input_range"]["rule"], "quantization");
}

/// A model whose output is a map (a U-Net's, here a generated conv's): no verdict, its shape
/// and dequantized range instead.
#[test]
fn run_shows_a_map_without_a_verdict() {
    let (bytes, [h, w, c]) = common::map_output_model(1);
    let path = scratch_dir("map-output").join("map.tflite");
    std::fs::write(&path, bytes).unwrap();
    let model = path.to_str().unwrap();
    let text = run_text(&["run", model, "data/images/astronaut.png"]);
    assert!(text.contains(&format!("no verdict: the first output is a 1×{h}×{w}×{c} map")), "{text}");
    assert!(text.contains(&format!("output 1×{h}×{w}×{c} values ")) && !text.contains("class "), "{text}");
    let r = json_of(&["run", model, "data/images/astronaut.png", "--json"]);
    assert_eq!((&r["runs"][0]["verdict"], &r["runs"][0]["label"]), (&Value::Bool(false), &Value::from("")));
}

/// --pixel-range overrides the model's rule, and the report says so; without it a model
/// whose int8 input has scale 1/128 and zero point 0 (MLTK's CIFAR-10 net) takes -1..1.
#[test]
fn pixel_range_overrides_the_models_rule() {
    let model = "models/mltk/image_classification.tflite";
    let own = json_of(&["run", model, "data/images/astronaut.png", "--json"]);
    let range = &own["plan"]["input_range"];
    assert_eq!(range["rule"], "quantization");
    assert!((range["lo"].as_f64().unwrap() + 1.0).abs() < 0.01 && (range["hi"].as_f64().unwrap() - 1.0).abs() < 0.01);
    let given = json_of(&["run", model, "data/images/astronaut.png", "--json", "--pixel-range", "0,255"]);
    assert_eq!(given["plan"]["input_range"]["rule"], "settings");
    assert_eq!(given["plan"]["settings"]["pixel_range"], serde_json::json!([0.0, 255.0]));
    assert_eq!(own["plan"]["settings"]["pixel_range"], Value::Null);
    // `plan` and `inspect` take it too, so their JSON is the page's download for the range.
    for command in ["plan", "inspect"] {
        let planned = json_of(&[command, model, "--json", "--pixel-range", "0,255"]);
        assert_eq!(planned["input_range"], given["plan"]["input_range"], "{command}");
    }
}

/// One-channel inputs that are no images are refused in one sentence, not fed a photo: a
/// keyword spotter's 50×10 spectrogram, a speech model whose MLTK metadata has an audio
/// front end, an accelerometer's 128×3 window.
#[test]
fn spectrograms_and_sensor_windows_are_not_images() {
    let photo = "data/images/astronaut.png";
    assert_clean_error(&["run", "models/mltk/keyword_spotting.tflite", photo], "not taken for an image");
    assert_clean_error(&["run", "models/mltk/tflite_micro_speech.tflite", photo], "audio front end");
    assert_clean_error(&["run", "models/mltk/tflite_micro_magic_wand.tflite", photo], "128×3");
    // A fingerprint reader's 180×180 image is one.
    let r = json_of(&["run", "models/mltk/fingerprint_signature_generator.tflite", photo, "--json"]);
    assert_eq!(r["plan"]["input"]["shape"], serde_json::json!([1, 180, 180, 1]));
}
