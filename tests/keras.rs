#![cfg(not(target_arch = "wasm32"))]
//! Real converter output: the Keras models `tools/keras_models.py` builds and converts with
//! TensorFlow's TFLite converter (full-integer quantization; MobileNet v1/v2/v3-small style,
//! Keras' own MobileNet and MobileNetV3Small, dilated and separable convs, SE blocks,
//! activations, flatten/reshape, an upsampling head; int8 and float ends). Every model whose
//! ops are in the set must match TFLite Micro in every tensor, layer by layer, and its patch
//! plans must equal layer by layer; a model with an op outside the set must be refused with
//! the op's name. A model with TILE (which TFLite Micro lacks) is held to TensorFlow Lite's
//! reference kernels instead. TensorFlow is a 1.6 GB install, so this runs under `make keras` (which
//! converts the models first), not `make test`; run without models, it fails.

mod common;

use common::{check_against_litert, check_against_tflm, root, run_tensors, Case};
use mcupatch::exec::Config;
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, DType};
use mcupatch::schedule::{search, InPlace, InputMode, Schedule};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_match_tflite_micro() {
    let (mut cases, mut tiled) = (Vec::new(), Vec::new());
    let mut refused = Vec::new();
    for (name, bytes) in models() {
        let graph = match model::load(&bytes) {
            Ok(g) => g,
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains("unsupported builtin operator"), "{name}: {text}");
                refused.push(format!("{name}: {text}"));
                continue;
            }
        };
        let has_tile = graph.ops.iter().any(|op| op.kind.name() == "TILE");
        for seed in 0..2 {
            let (data, float_input) = input(&graph, seed);
            let cases = if has_tile { &mut tiled } else { &mut cases };
            cases.push(Case {
                name: format!("{name} seed {seed}"),
                model: bytes.clone(),
                input: data.clone(),
                tflm_input: data,
                float_input,
            });
        }
    }
    let compared = check_against_tflm(&cases);
    println!("{} runs of {} models, {compared} tensors equal to TFLite Micro's", cases.len(), cases.len() / 2);
    if !tiled.is_empty() {
        let compared = check_against_litert(&tiled);
        println!(
            "{} runs of {} models with TILE, {compared} tensors equal to TensorFlow Lite's",
            tiled.len(),
            tiled.len() / 2
        );
    }
    println!("refused: {refused:#?}");
    assert!(cases.len() + tiled.len() >= 2 * 7, "only {} runs", cases.len() + tiled.len());
}

/// Every seventh single-stage plan (int8 input), with in-place ops off and all on, gives
/// every tensor equal to layer by layer.
#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_run_patch_by_patch() {
    let mut plans = 0;
    for (name, bytes) in models() {
        let Ok(graph) = model::load(&bytes) else { continue };
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
        for schedule in schedules.into_iter().step_by(7) {
            let what = format!("{name}: {schedule:?}");
            let (_, tensors) = run_tensors(&graph, config(schedule), &data);
            for (t, bytes) in &tensors {
                assert!(bytes == &reference[t], "{what}: tensor {t} differs from layer by layer");
            }
            plans += 1;
        }
    }
    println!("{plans} patch plans equal to layer by layer");
    assert!(plans > 50, "only {plans} plans");
}
