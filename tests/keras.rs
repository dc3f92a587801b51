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

/// How many of tools/keras_models.py's models must load and run.
const MODELS_THAT_RUN: usize = 15;

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
    let (mut cases, mut tile_cases) = (Vec::new(), Vec::new());
    for (name, bytes, graph) in &runnable {
        // TFLite Micro has no TILE (nor the repeat the loader makes of one): such a model is held
        // to TensorFlow Lite's reference kernels.
        let has_tile = graph.ops.iter().any(|op| op.kind.name() == "TILE");
        for seed in 0..2 {
            let (data, float_input) = input(graph, seed);
            let case = Case {
                name: format!("{name} seed {seed}"),
                model: bytes.clone(),
                input: data.clone(),
                tflm_input: data,
                float_input,
            };
            if has_tile { &mut tile_cases } else { &mut cases }.push(case);
        }
    }
    let compared = check_against_tflm(&cases);
    println!("{} runs, {compared} tensors equal to TFLite Micro's", cases.len());
    let compared = check_against_litert(&tile_cases);
    println!("{} runs with TILE, {compared} tensors equal to TensorFlow Lite's reference kernels", tile_cases.len());
    assert!(runnable.len() >= MODELS_THAT_RUN, "only {} models run", runnable.len());
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
