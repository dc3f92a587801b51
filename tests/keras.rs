#![cfg(not(target_arch = "wasm32"))]
//! Real converter output: the Keras models `tools/keras_models.py` builds and converts with
//! TensorFlow's TFLite converter (full-integer quantization; MobileNet v1/v2/v3-small style,
//! Keras' own MobileNetV2 and minimalistic MobileNetV3Small, dilated and separable convs, SE
//! blocks, activations, flatten/reshape, upsampling and U-Net decoders, ResNet and
//! EfficientNet blocks, pooling heads, Inception branches on a non-square input; int8 and float
//! ends). Every model whose ops are in the set must match TFLite Micro in every tensor, layer
//! by layer, and its patch plans (every seventh single-stage plan, and `--patch auto` and
//! explicit grids as the session plans them) must equal layer by layer; a model with an op
//! outside the set must be refused with the op's name. A model with TILE (which TFLite Micro
//! lacks) is held to TensorFlow Lite's reference kernels instead. TensorFlow is a 1.6 GB
//! install, so this runs under `make keras` (which converts the models first), not
//! `make test`; run without models, it fails.

mod common;

use common::{check_against_litert, check_against_tflm, root, run_tensors, Case};
use mcupatch::exec::Config;
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, DType, OpKind};
use mcupatch::schedule::{search, InPlace, InputMode, Schedule};
use mcupatch::session::{Session, Settings};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How many of tools/keras_models.py's models must load and run.
const MODELS_THAT_RUN: usize = 22;

fn models() -> Vec<(String, Vec<u8>)> {
    let dir = std::env::var("MCUPATCH_KERAS_DIR").map_or_else(|_| root().join("models/keras"), Into::into);
    let mut models: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make keras`)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tflite"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    models.sort();
    assert!(!models.is_empty(), "no models in {} (run `make keras`)", dir.display());
    models
}

/// Seeded inputs of the model's own type: int8 codes, or float32 values near the input's
/// quantization grid.
fn input(graph: &model::Graph, seed: u64) -> (Vec<u8>, bool) {
    let t = &graph.tensors[graph.inputs[0]];
    let mut rng = StdRng::seed_from_u64(seed);
    match t.dtype {
        DType::F32 => ((0..t.elements()).flat_map(|_| rng.gen_range(-1.2f32..1.2).to_le_bytes()).collect(), true),
        _ => ((0..t.elements()).map(|_| rng.gen::<u8>()).collect(), false),
    }
}

/// The converted models mcupatch loads and prepares, and the refusals: an op outside the set
/// must be refused with its name, a shape left to run time must be named as such; any other
/// error is a defect, and every one is listed
/// before the test fails, so one run shows all of them.
fn runnable_models() -> Vec<(String, Vec<u8>, model::Graph)> {
    let (mut runnable, mut refused, mut defects) = (Vec::new(), Vec::new(), Vec::new());
    for (name, bytes) in models() {
        let prepared = model::load(&bytes).and_then(|g| Kernel::prepare_all(&g).map(|_| g));
        match prepared {
            Ok(graph) => runnable.push((name, bytes, graph)),
            Err(e)
                if ["unsupported builtin operator", "placeholder shape"].iter().any(|w| e.to_string().contains(w)) =>
            {
                refused.push(format!("{name}: {e}"))
            }
            Err(e) => defects.push(format!("{name}: {e}")),
        }
    }
    println!("{} models run; refused: {refused:#?}", runnable.len());
    assert!(defects.is_empty(), "models that load but fail: {defects:#?}");
    runnable
}

#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_match_tflite_micro() {
    let runnable = runnable_models();
    let (mut runs, mut tensors, mut tile_runs, mut tile_tensors) = (0, 0, 0, 0);
    for (name, bytes, graph) in &runnable {
        // TFLite Micro has no TILE (nor the repeat the loader makes of one): such a model is held
        // to TensorFlow Lite's reference kernels.
        let has_tile = graph.ops.iter().any(|op| op.kind.name() == "TILE");
        let cases: Vec<Case> = (0..2)
            .map(|seed| {
                let (data, float_input) = input(graph, seed);
                Case::same_input(format!("{name} seed {seed}"), bytes.clone(), data, float_input)
            })
            .collect();
        // One oracle call per model, so each model's count is printed.
        let (compared, oracle) = match has_tile {
            false => (check_against_tflm(&cases), "TFLite Micro's"),
            true => (check_against_litert(&cases), "TensorFlow Lite's reference kernels'"),
        };
        println!("{name}: {compared} tensors in {} runs equal to {oracle}", cases.len());
        let (r, t) = if has_tile { (&mut tile_runs, &mut tile_tensors) } else { (&mut runs, &mut tensors) };
        *r += cases.len();
        *t += compared;
    }
    println!("{runs} runs, {tensors} tensors equal to TFLite Micro's");
    println!("{tile_runs} runs with TILE, {tile_tensors} tensors equal to TensorFlow Lite's reference kernels");
    assert!(runnable.len() >= MODELS_THAT_RUN, "only {} models run", runnable.len());
}

/// Keras' nearest `UpSampling2D`, which TensorFlow 2.21 writes with a batch of 1 as RESHAPE →
/// TILE → RESHAPE → TILE → RESHAPE: every TILE loads as a local repeat, and a single patch
/// stage can end at each repeat's output.
#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_upsampling_loads_as_local_repeats() {
    let mut repeats = 0;
    for (name, _, graph) in runnable_models() {
        let whole: Vec<usize> = (0..graph.ops.len()).filter(|&i| graph.ops[i].kind == OpKind::Tile).collect();
        assert!(whole.is_empty(), "{name}: TILE runs whole at ops {whole:?}");
        let kernels = Kernel::prepare_all(&graph).unwrap();
        let splits = search::splits(&graph, &kernels, InputMode::default()).unwrap();
        for (i, op) in graph.ops.iter().enumerate().filter(|(_, op)| matches!(op.kind, OpKind::Repeat { .. })) {
            assert!(splits.contains(&op.outputs[0]), "{name}: no patch stage ends at op {i}, {:?}", op.kind);
            repeats += 1;
        }
    }
    println!("{repeats} repeats, each the end of a patch stage");
    assert!(repeats >= 4, "only {repeats} repeats");
}

/// Every seventh single-stage plan (int8 input), with in-place ops off and all on, gives
/// every tensor equal to layer by layer.
#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_run_patch_by_patch() {
    let mut plans = 0;
    for (name, _, graph) in runnable_models() {
        let kernels = Kernel::prepare_all(&graph).unwrap();
        let (_, entry) = mcupatch::schedule::layerwise::entry(&graph, InputMode::default()).unwrap();
        let t = &graph.tensors[entry];
        let mut rng = StdRng::seed_from_u64(3);
        let data: Vec<u8> = (0..t.bytes()).map(|_| rng.gen()).collect();
        let config = |schedule| Config { capacity: 16 << 20, input: InputMode::default(), schedule };
        let (_, reference) = run_tensors(&graph, config(Schedule::default()), &data);
        let mut schedules = Vec::new();
        for on in [false, true] {
            let in_place = InPlace { depthwise: on, pointwise: on, add: on };
            schedules.extend(search::single_stage_schedules(&graph, &kernels, InputMode::default(), in_place).unwrap());
        }
        let before = plans;
        for schedule in schedules.into_iter().step_by(7) {
            let what = format!("{name}: {schedule:?}");
            let (_, tensors) = run_tensors(&graph, config(schedule), &data);
            for (t, bytes) in &tensors {
                assert!(bytes == &reference[t], "{what}: tensor {t} differs from layer by layer");
            }
            plans += 1;
        }
        println!("{name}: {} patch plans equal to layer by layer", plans - before);
    }
    println!("{plans} patch plans equal to layer by layer");
    assert!(plans > 50, "only {plans} plans");
}

/// The plans a user asks for, through the session as the CLI and the page make them:
/// `--patch auto` (one stage, several stages, streamed with in-place ops, float input) in an
/// SRAM too small for layer by layer, and explicit grids (2×2 … 4×4, the planner choosing the
/// split). Each must run and give every tensor it holds whole equal to layer by layer.
#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_match_layer_by_layer_under_auto_and_explicit_plans() {
    let auto =
        |multi_stage| Settings { sram: Some(16 << 10), patch: vec!["auto".into()], multi_stage, ..Settings::default() };
    let grid = |g: &str| Settings { patch: vec![g.into()], ..Settings::default() };
    let requests = [
        ("auto", auto(false)),
        ("auto multi-stage", auto(true)),
        (
            "auto streamed in-place",
            Settings {
                streamed_input: true,
                in_place_depthwise: true,
                in_place_pointwise: true,
                in_place_add: true,
                ..auto(false)
            },
        ),
        ("auto float input", Settings { float_input: true, ..auto(false) }),
        ("2x2", grid("2x2")),
        ("3x3", grid("3x3")),
        ("4x4", Settings { in_place_depthwise: true, ..grid("4x4") }),
    ];
    let (mut plans, mut patched, mut failures, mut refused) = (0, 0, Vec::new(), Vec::new());
    for (name, bytes, _) in runnable_models() {
        let mut session = Session::from_tflite(&bytes).unwrap();
        let mut tensors = 0;
        for (what, settings) in &requests {
            let report = match session.plan(settings) {
                Ok(report) => report,
                // A model whose input is read again after every legal stage cannot stream it.
                Err(e) if e.to_string().contains("so the input cannot be streamed") => {
                    refused.push(format!("{name} {what}: {e}"));
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{name} {what}: plan: {e}"));
                    continue;
                }
            };
            let stages = report.schedule.stages.len();
            let input_bytes = session.input_tensor().unwrap().bytes;
            let mut rng = StdRng::seed_from_u64(5);
            let data: Vec<u8> = (0..input_bytes).map(|_| rng.gen()).collect();
            let data = match report.input.dtype {
                // A float input: values near the quantization grid, as above.
                DType::F32 => (0..input_bytes / 4).flat_map(|_| rng.gen_range(-1.2f32..1.2).to_le_bytes()).collect(),
                _ => data,
            };
            match session.check_exact(&data) {
                Ok(check) if check.equal => {
                    plans += 1;
                    patched += usize::from(stages > 0);
                    tensors += check.tensors;
                }
                Ok(check) => failures.push(format!("{name} {what} ({stages} stages): {:?}", check.first_difference)),
                Err(e) => failures.push(format!("{name} {what}: run: {e}")),
            }
        }
        println!("{name}: {} requests, {tensors} tensors equal to layer by layer", requests.len());
    }
    println!("{plans} plans ({patched} with patch stages) equal to layer by layer; refused: {refused:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(plans > 100, "only {plans} plans");
}
