//! Native VWW inference, layer by layer, with TFLite Micro's Python interpreter timed in the
//! same run as the peer (`cargo bench`, or `make bench`). Prints the ratio; asserts nothing.

use criterion::{criterion_group, Criterion};
use mcupatch::exec::{Config, Engine};
use mcupatch::schedule::{InPlace, InputMode, Schedule, Stage};
use mcupatch::{model, preprocess};
use std::path::PathBuf;
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The VWW model in an engine, and the astronaut photo as its input bytes.
fn vww(float_input: bool) -> (Engine, Vec<u8>) {
    vww_with(InputMode { float_input, ..Default::default() }, Schedule::default())
}

/// The VWW model with a schedule, and the astronaut photo as its input bytes.
fn vww_with(input: InputMode, schedule: Schedule) -> (Engine, Vec<u8>) {
    let bytes = std::fs::read(root().join("models/visual_wake_words.tflite")).expect("run models/fetch first");
    let graph = model::load(&bytes).expect("VWW loads");
    let engine = Engine::new(graph, Config { capacity: 256 * 1024, input, schedule }).expect("fits");
    let photo = std::fs::read(root().join("data/images/astronaut.png")).expect("run models/fetch first");
    let decoded = preprocess::decode(&photo).unwrap();
    let input = preprocess::image_input(&decoded, engine.input_tensor(), Default::default()).unwrap();
    (engine, input)
}

fn inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("vww");
    for (name, float_input) in [("layer_by_layer_int8_input", false), ("layer_by_layer_float_input", true)] {
        let (mut engine, input) = vww(float_input);
        group.bench_function(name, |b| b.iter(|| engine.run(&input).unwrap()));
    }
    // The planner's smallest-peak plan with the frame streamed and in-place depthwise (3×3
    // patches to the 12×12×32 map, 14.6 % more MACs): what the page animates.
    let (probe, _) = vww(false);
    let split = probe.graph.ops[8].outputs[0];
    let in_place = InPlace { depthwise: true, ..InPlace::default() };
    let schedule = Schedule { stages: vec![Stage { split, rows: 3, cols: 3 }], in_place };
    let (mut engine, input) = vww_with(InputMode { streamed: true, ..Default::default() }, schedule);
    group.bench_function("patch_3x3_streamed", |b| b.iter(|| engine.run(&input).unwrap()));
    group.finish();
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Both engines timed the same way (median of invoke-only wall times) on the same input.
fn against_tflite_micro() {
    const RUNS: usize = 200;
    let (mut engine, input) = vww(true);
    let ours = median_ms(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                engine.run(&input).unwrap();
                start.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    let input_path = std::env::temp_dir().join(format!("mcupatch-bench-{}.bin", std::process::id()));
    std::fs::write(&input_path, &input).unwrap();
    let python = std::env::var("MCUPATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let peer = std::process::Command::new(python)
        .arg(root().join("tools/tflm_bench.py"))
        .arg(root().join("models/visual_wake_words.tflite"))
        .arg(&input_path)
        .arg(RUNS.to_string())
        .output();
    let _ = std::fs::remove_file(&input_path);
    let peer_ms = peer.ok().filter(|o| o.status.success()).and_then(|o| {
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
        report["median_ms"].as_f64()
    });
    println!("\nVWW, float input, {RUNS} runs each, median per inference:");
    println!("  mcupatch (native)              {ours:8.3} ms");
    match peer_ms {
        Some(theirs) => {
            println!("  TFLite Micro (Python interp.)  {theirs:8.3} ms");
            println!("  ratio: mcupatch is {:.2}x the speed of TFLite Micro's reference kernels", theirs / ours);
        }
        None => println!("  TFLite Micro: not measured (pip install tflite-micro, or make test, installs it)"),
    }
}

criterion_group!(benches, inference);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --all-targets` runs benches once as a smoke test, without `--bench`:
    // the timed comparison belongs to `cargo bench` only.
    if std::env::args().any(|a| a == "--bench") {
        against_tflite_micro();
    }
}
