//! `make bench`: mcupatch native inference timed next to its peers in the same run, on the
//! same input — TFLite (PyPI `ai-edge-litert`: its optimized built-in kernels without a
//! delegate, and its default with XNNPACK) and TFLite Micro — for the VWW person detector,
//! MobileNetV2-0.35 @96 (the zoo's, written to a .tflite) and MLPerf Tiny's ResNet-8. One
//! table of medians and ratios, whether each output is byte-identical to TFLite Micro's, then
//! where mcupatch's layer-by-layer time goes per op kind. Each patch plan's MAC overhead is
//! also given priced per op (`split::priced_overhead`): what its time overhead would be if
//! every recomputed MAC cost what its op's MACs cost layer by layer. Prints; asserts nothing
//! (speed targets are ratios read off this table, never timed assertions).

#[path = "common/scratch.rs"]
mod scratch;
#[path = "common/split.rs"]
mod split;
#[path = "../tests/common/writer.rs"]
#[allow(dead_code)]
mod writer;

use mcupatch::exec::{Config, Engine};
use mcupatch::kernels::fast;
use mcupatch::model::{self, Activation, DType, Graph, OpKind, Padding};
use mcupatch::schedule::{InPlace, InputMode, Schedule};
use mcupatch::{preprocess, zoo};
use scratch::Scratch;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use writer::{Field, ModelSpec, TensorSpec};

/// Timed inferences per mcupatch row and per TFLite resolver; TFLite Micro is slower.
const RUNS: usize = 300;
const TFLM_RUNS: usize = 40;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A model to benchmark: its .tflite (for the peers), its graph and one input.
struct Bench {
    name: String,
    tflite: PathBuf,
    graph: Graph,
    /// The bytes of the .tflite's input 0 (float for VWW, as TFLite is fed).
    input: Vec<u8>,
    float_input: bool,
}

/// A peer's median and output 0, as numbers.
struct Peer {
    median_ms: f64,
    output: Vec<f64>,
}

/// Runs a peer script; `None` (with the reason printed) if it cannot run.
fn peer(script: &str, bench: &Bench, runs: usize, scratch: &mut Scratch) -> Option<serde_json::Value> {
    let input_path = scratch.write("input.bin", &bench.input).ok()?;
    let python = std::env::var("MCUPATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .arg(root().join("tools").join(script))
        .arg(&bench.tflite)
        .arg(&input_path)
        .arg(runs.to_string())
        .output();
    scratch.remove(&input_path);
    match out {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).ok(),
        Ok(o) => {
            eprintln!("{script}: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""));
            None
        }
        Err(e) => {
            eprintln!("{script}: {e}");
            None
        }
    }
}

fn parse_peer(v: &serde_json::Value) -> Option<Peer> {
    Some(Peer {
        median_ms: v["median_ms"].as_f64()?,
        output: v["output"].as_array()?.iter().filter_map(|x| x.as_f64()).collect(),
    })
}

/// Output 0 of an mcupatch run as the numbers the peers print (float or int8).
fn output_numbers(engine: &mut Engine, input: &[u8]) -> Vec<f64> {
    let outputs = engine.run(input).expect("runs");
    let first = &outputs[0];
    let t = &engine.graph.tensors[first.tensor];
    match t.dtype {
        DType::I8 => first.int8.iter().map(|&v| f64::from(v)).collect(),
        _ => first.dequantized.iter().map(|&v| f64::from(v)).collect(),
    }
}

/// Output comparison as the peers print them: float32 values exactly, int8 exactly.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (*x as f32) == (*y as f32))
}

fn time(engine: &mut Engine, input: &[u8]) -> f64 {
    time_interleaved(std::slice::from_mut(engine), input)[0]
}

/// Each engine's median over `RUNS` runs, the engines taking turns run by run: a plan and
/// the layer by layer it is compared with see the same clock speed and cache weather, so
/// their ratio does not depend on which was timed first.
fn time_interleaved(engines: &mut [Engine], input: &[u8]) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(RUNS); engines.len()];
    for e in engines.iter_mut() {
        e.run(input).expect("runs");
    }
    for _ in 0..RUNS {
        for (e, s) in engines.iter_mut().zip(&mut samples) {
            let start = Instant::now();
            e.run(input).expect("runs");
            s.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    samples.into_iter().map(median).collect()
}

/// Time and MACs per op (the sum of each step's median), from `RUNS` runs timed step by step.
fn profile(engine: &mut Engine, input: &[u8]) -> Vec<split::OpCost> {
    let epoch = Instant::now();
    split::per_op(engine, input, RUNS, || epoch.elapsed().as_secs_f64() * 1e3, median)
}

fn engine(graph: &Graph, input: InputMode, schedule: Schedule) -> Engine {
    Engine::new(graph.clone(), Config { capacity: 16 << 20, input, schedule }).expect("plans")
}

fn vww() -> Bench {
    let tflite = root().join("models/visual_wake_words.tflite");
    let graph = model::load(&std::fs::read(&tflite).expect("run models/fetch first")).expect("VWW loads");
    let photo = std::fs::read(root().join("data/images/astronaut.png")).expect("run models/fetch first");
    let decoded = preprocess::decode(&photo).expect("decodes");
    let float = InputMode { float_input: true, ..Default::default() };
    let probe = engine(&graph, float, Schedule::default());
    let input = preprocess::image_input(&decoded, probe.input_tensor(), &Default::default()).expect("input");
    Bench { name: "VWW (MobileNetV1-0.25 @96)".into(), tflite, graph, input, float_input: true }
}

fn resnet8() -> Bench {
    let tflite = root().join("models/mltk/image_classification.tflite");
    let graph = model::load(&std::fs::read(&tflite).expect("run models/fetch first")).expect("ResNet-8 loads");
    let n = graph.tensors[graph.inputs[0]].bytes();
    let input = (0..n).map(|i| (i * 37 % 251) as u8).collect();
    Bench { name: "ResNet-8 (MLPerf Tiny, CIFAR-10 @32)".into(), tflite, graph, input, float_input: false }
}

fn mobilenet_v2(scratch: &mut Scratch) -> Bench {
    let graph = zoo::Arch::MobileNetV2 { width: 0.35, resolution: 96 }.build();
    let tflite = scratch.write("mbv2.tflite", &to_tflite(&graph)).expect("writes the model");
    let n = graph.tensors[graph.inputs[0]].bytes();
    let input = (0..n).map(|i| (i * 37 % 251) as u8).collect();
    Bench { name: "MobileNetV2-0.35 @96 (zoo, synthetic weights)".into(), tflite, graph, input, float_input: false }
}

/// The graph as a .tflite, so the peers run the very same weights.
fn to_tflite(graph: &Graph) -> Vec<u8> {
    let mut spec = ModelSpec::default();
    for t in &graph.tensors {
        let (scales, zero_points, axis) =
            t.quant.as_ref().map_or((vec![], vec![], 0), |q| (q.scales.clone(), q.zero_points.clone(), q.axis as i32));
        spec.tensor(TensorSpec {
            name: t.name.clone(),
            shape: t.shape.iter().map(|&d| d as i32).collect(),
            dtype: match t.dtype {
                DType::F32 => writer::F32,
                DType::I8 => writer::I8,
                DType::I32 => writer::I32,
                DType::I64 => 4,
            },
            data: t.data.clone(),
            scales,
            zero_points,
            axis,
        });
    }
    let act = |a: Activation| {
        Field::I8(match a {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::ReluN1To1 => 2,
            Activation::Relu6 => 3,
        })
    };
    let padding = |p: Padding| Field::I8(if p == Padding::Same { 0 } else { 1 });
    for op in &graph.ops {
        let inputs = op.inputs.iter().map(|t| t.map_or(-1, |t| t as i32)).collect();
        let outputs = op.outputs.iter().map(|&t| t as i32).collect();
        let (code, options) = match &op.kind {
            OpKind::Conv2d(o) => (
                3,
                Some((
                    1,
                    vec![
                        (0, padding(o.padding)),
                        (1, Field::I32(o.stride.1 as i32)),
                        (2, Field::I32(o.stride.0 as i32)),
                        (3, act(o.activation)),
                        (4, Field::I32(o.dilation.1 as i32)),
                        (5, Field::I32(o.dilation.0 as i32)),
                    ],
                )),
            ),
            OpKind::DepthwiseConv2d { conv: o, depth_multiplier } => (
                4,
                Some((
                    2,
                    vec![
                        (0, padding(o.padding)),
                        (1, Field::I32(o.stride.1 as i32)),
                        (2, Field::I32(o.stride.0 as i32)),
                        (3, Field::I32(*depth_multiplier as i32)),
                        (4, act(o.activation)),
                        (5, Field::I32(o.dilation.1 as i32)),
                        (6, Field::I32(o.dilation.0 as i32)),
                    ],
                )),
            ),
            OpKind::Add { activation } => (0, Some((11, vec![(0, act(*activation))]))),
            OpKind::Mean { keep_dims } => (40, Some((27, vec![(0, Field::Bool(*keep_dims))]))),
            OpKind::FullyConnected { activation, keep_num_dims } => {
                (9, Some((8, vec![(0, act(*activation)), (2, Field::Bool(*keep_num_dims))])))
            }
            OpKind::Softmax { beta } => (25, Some((9, vec![(0, Field::F32(*beta))]))),
            other => panic!("the zoo does not build {}", other.name()),
        };
        spec.op(code, inputs, outputs, options);
    }
    spec.inputs = graph.inputs.iter().map(|&t| t as i32).collect();
    spec.outputs = graph.outputs.iter().map(|&t| t as i32).collect();
    spec.to_bytes()
}

/// The accounting switches each plan is timed under.
const SWITCHES: [(&str, InPlace); 3] = [
    ("", InPlace { depthwise: false, pointwise: false, add: false }),
    (", in-place dw", InPlace { depthwise: true, pointwise: false, add: false }),
    (", all in place", InPlace { depthwise: true, pointwise: true, add: true }),
];

fn row(what: &str, ms: f64, builtin: Option<f64>, exact: Option<bool>) {
    let ratio = builtin.map_or("-".to_string(), |b| format!("{:.2}x", ms / b));
    let exact = exact.map_or("-", |e| if e { "yes" } else { "NO" });
    println!("  {what:100} {ms:9.3} {ratio:>9} {exact:>10}");
}

/// One mcupatch configuration, timed and profiled.
struct Timed {
    label: String,
    split: BTreeMap<&'static str, f64>,
    steps: usize,
}

fn run(bench: &Bench, scratch: &mut Scratch) {
    let lbl_mode = InputMode { float_input: bench.float_input, ..Default::default() };
    let mut lbl = engine(&bench.graph, lbl_mode, Schedule::default());
    let macs = lbl.macs();
    let litert = peer("litert_bench.py", bench, RUNS, scratch);
    let tflm = peer("tflm_bench.py", bench, TFLM_RUNS, scratch).as_ref().and_then(parse_peer);
    let builtin = litert.as_ref().and_then(|v| parse_peer(&v["builtin"]));
    let xnnpack = litert.as_ref().and_then(|v| parse_peer(&v["xnnpack"]));
    let reference = tflm.as_ref().map(|p| p.output.clone());
    let exact = |out: &[f64]| reference.as_ref().map(|r| same(out, r));
    let base = builtin.as_ref().map(|p| p.median_ms);

    println!("\n{} — {:.2} M MACs", bench.name, macs as f64 / 1e6);
    println!("  {:100} {:>9} {:>9} {:>10}", "", "median ms", "/ TFLite", "= TFLM");
    let out = output_numbers(&mut lbl, &bench.input);
    let lbl_ms = time(&mut lbl, &bench.input);
    let input_note = if bench.float_input { " (float input, as TFLite)" } else { "" };
    row(&format!("mcupatch native, layer by layer{input_note}"), lbl_ms, base, exact(&out));

    // Patch plans take int8 pixels streamed per patch: each is compared with layer by layer
    // on int8 pixels under the same in-place switches.
    let int8_input = if bench.float_input { int8_pixels(&bench.graph, &bench.input) } else { bench.input.clone() };
    let lbl_out = output_numbers(&mut engine(&bench.graph, InputMode::default(), Schedule::default()), &int8_input);
    let mut timed = Vec::new();
    let chosen = split::plans(&bench.graph);
    for (note, in_place) in SWITCHES {
        let mut engines =
            vec![engine(&bench.graph, InputMode::default(), Schedule { in_place, ..Schedule::default() })];
        for (_, c) in &chosen {
            let schedule = Schedule { in_place, ..c.schedule.clone() };
            engines.push(engine(&bench.graph, InputMode { streamed: true, ..Default::default() }, schedule));
        }
        let outputs: Vec<_> = engines.iter_mut().map(|e| output_numbers(e, &int8_input)).collect();
        let times = time_interleaved(&mut engines, &int8_input);
        let ms = times[0];
        row(&format!("mcupatch layer by layer (int8 input{note})"), ms, base, Some(same(&outputs[0], &lbl_out)));
        let layerwise = profile(&mut engines[0], &int8_input);
        let split = split::per_op_kind(&engines[0], &layerwise);
        timed.push(Timed { label: format!("lbl{note}"), split, steps: engines[0].plan.steps.len() });
        for (((what, c), p), (patched, p_ms)) in
            chosen.iter().zip(&mut engines[1..]).zip(outputs[1..].iter().zip(&times[1..]))
        {
            let grid: Vec<String> = c.schedule.stages.iter().map(|s| format!("{}x{}", s.rows, s.cols)).collect();
            let ops = profile(p, &int8_input);
            let (split, steps) = (split::per_op_kind(p, &ops), p.plan.steps.len());
            row(
                &format!(
                    "  {what} {}{note}: peak {} B, MACs {:+.1} % ({:+.1} % priced per op), time {:+.1} %",
                    grid.join("+"),
                    p.plan.extent,
                    (p.macs() as f64 / macs as f64 - 1.0) * 100.0,
                    split::priced_overhead(&layerwise, &ops) * 100.0,
                    (p_ms / ms - 1.0) * 100.0
                ),
                *p_ms,
                base,
                Some(same(patched, &lbl_out) && exact(&out).unwrap_or(true)),
            );
            timed.push(Timed { label: format!("{} {}{note}", what, grid.join("+")), split, steps });
        }
    }
    if let Some(p) = &builtin {
        row("TFLite, optimized built-in kernels, no delegate", p.median_ms, base, exact(&p.output));
    }
    if let Some(p) = &xnnpack {
        row("TFLite, default (XNNPACK)", p.median_ms, base, exact(&p.output));
    }
    match &tflm {
        Some(p) => row("TFLite Micro (Python interpreter)", p.median_ms, base, Some(true)),
        None => println!("  TFLite Micro: not measured (make bench installs tflite-micro)"),
    }
    if builtin.is_none() {
        println!("  TFLite: not measured (make bench installs ai-edge-litert)");
    }
    split_table(&timed);
}

/// Where each configuration's time goes: ms per op kind (step-by-step medians).
fn split_table(timed: &[Timed]) {
    let kinds: std::collections::BTreeSet<&str> = timed.iter().flat_map(|t| t.split.keys().copied()).collect();
    println!("  time per op kind, ms (sum of per-step medians):");
    print!("    {:26}", "");
    for k in &kinds {
        print!(" {k:>14.14}");
    }
    println!(" {:>8} {:>7}", "total", "steps");
    for t in timed {
        print!("    {:26.26}", t.label);
        for k in &kinds {
            print!(" {:>14.3}", t.split.get(k).copied().unwrap_or(0.0));
        }
        println!(" {:>8.3} {:>7}", t.split.values().sum::<f64>(), t.steps);
    }
}

/// The int8 pixels the float input quantizes to (the model's QUANTIZE, run by mcupatch).
fn int8_pixels(graph: &Graph, float_input: &[u8]) -> Vec<u8> {
    let mut e = engine(graph, InputMode { float_input: true, ..Default::default() }, Schedule::default());
    let quantize = graph.ops.iter().position(|op| op.kind == OpKind::Quantize).expect("a float model quantizes");
    let pixels = graph.ops[quantize].outputs[0];
    let mut bytes = Vec::new();
    e.run_with(float_input, |t, b| {
        if t == pixels {
            bytes = b.to_vec();
        }
    })
    .expect("runs");
    bytes
}

/// Builds one benchmark's model and input (writing any file the peers need to `Scratch`).
type Maker = fn(&mut Scratch) -> Bench;

fn main() {
    // `cargo test --all-targets` builds and runs benches once without `--bench`: the
    // timings belong to `cargo bench` (`make bench`) only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench --bench inference -- vww`: only the models whose name contains a word.
    let words: Vec<String> =
        std::env::args().skip(1).filter(|a| !a.starts_with('-')).map(|a| a.to_lowercase()).collect();
    println!("One thread each; median of {RUNS} runs ({TFLM_RUNS} for TFLite Micro); ratio = time / TFLite's built-in kernels.");
    // What the fast paths ran on: the numbers below hold for this instruction set only.
    let isa = fast::isa();
    println!("mcupatch's fast paths: {isa:?} — {}", isa.features());
    let others: Vec<String> = fast::available().into_iter().filter(|&i| i != isa).map(|i| format!("{i:?}")).collect();
    println!("  (also available here, run by the tests: {})", others.join(", "));
    let benches: [(&str, Maker); 3] = [("vww", |_| vww()), ("mobilenetv2", mobilenet_v2), ("resnet8", |_| resnet8())];
    // The files written for the peers; never the models the benches read from the checkout.
    let mut scratch = Scratch::new("bench").expect("creates a scratch directory");
    for (key, bench) in benches {
        if !words.is_empty() && !words.iter().any(|w| key.contains(w.as_str())) {
            continue;
        }
        let bench = bench(&mut scratch);
        run(&bench, &mut scratch);
        scratch.remove(&bench.tflite);
    }
}
