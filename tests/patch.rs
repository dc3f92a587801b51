#![cfg(not(target_arch = "wasm32"))]
//! Patch-based execution is byte-identical to layer by layer — the split tensor and every
//! output — for every plan: exhaustively over the VWW model's splits and grids in each
//! accounting mode, and over random small graphs with random splits, grids and stages.
//! Every plan's buffers are real placements: no two live buffers overlap at any step.

mod common;

use common::gen::Gen;
use common::{assert_no_overlap, root, run_tensors};
use mcupatch::exec::{Config, Engine};
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, Graph};
use mcupatch::schedule::search::{self, MAX_GRID};
use mcupatch::schedule::{map_region, Halo, InPlace, InputMode, Schedule, Stage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn vww() -> Graph {
    model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).expect("run models/fetch")).unwrap()
}

/// Runs `schedule` and returns every whole tensor the run produced.
fn run(graph: &Graph, schedule: Schedule, input: InputMode, data: &[u8]) -> (Engine, BTreeMap<usize, Vec<u8>>) {
    run_tensors(graph, Config { capacity: 16 << 20, input, schedule }, data)
}

/// Every tensor a patch plan produces equals layer by layer's, and its placement is real.
/// Returns the engine that ran it.
fn check_plan(
    graph: &Graph,
    schedule: Schedule,
    input: InputMode,
    data: &[u8],
    reference: &BTreeMap<usize, Vec<u8>>,
    case: &str,
) -> Engine {
    let what = format!("{case} {schedule:?} {input:?}");
    let (engine, tensors) = run(graph, schedule.clone(), input, data);
    for st in &schedule.stages {
        assert!(tensors.contains_key(&st.split), "{what}: split tensor {} never completed", st.split);
    }
    for &t in &graph.outputs {
        assert!(tensors.contains_key(&t), "{what}: output {t} missing");
    }
    for (t, bytes) in &tensors {
        assert!(bytes == &reference[t], "{what}: tensor {t} ({}) differs from layer by layer", graph.tensors[*t].name);
    }
    assert_no_overlap(&engine.plan, &what);
    engine
}

/// With `float_input`, the model's own float32 input (pixel values 0..255) feeds its QUANTIZE,
/// which runs in the patch stage: streamed, the camera delivers float regions.
fn vww_exhaustive(in_place: bool, streamed: bool, float_input: bool) {
    let g = vww();
    let kernels = Kernel::prepare_all(&g).unwrap();
    let input = InputMode { streamed, float_input };
    let pixels: Vec<u8> = (0..96 * 96 * 3).map(|i| ((i * 7919) % 251) as u8).collect();
    let data: Vec<u8> = match float_input {
        true => pixels.iter().flat_map(|&p| f32::from(p).to_le_bytes()).collect(),
        false => pixels,
    };
    let (_, reference) = run(&g, Schedule::default(), InputMode { float_input, streamed: false }, &data);
    let schedules = search::single_stage_schedules(
        &g,
        &kernels,
        input,
        InPlace { depthwise: in_place, pointwise: in_place, add: in_place },
    )
    .unwrap();
    assert!(schedules.len() > 1000, "only {} plans", schedules.len());
    for schedule in schedules {
        let engine = check_plan(&g, schedule, input, &data, &reference, "vww");
        // The float input's QUANTIZE (op 0) runs in the patch stage, tile by tile.
        let quantizes = engine.plan.steps.iter().filter(|s| s.op == 0);
        assert!(!float_input || quantizes.clone().all(|s| s.patch.is_some()), "{:?}", engine.schedule);
        assert_eq!(quantizes.count() > 0, float_input);
    }
}

#[test]
fn every_vww_plan_equals_layer_by_layer() {
    vww_exhaustive(false, false, false);
}

#[test]
fn every_vww_plan_equals_layer_by_layer_in_place_streamed() {
    vww_exhaustive(true, true, false);
}

#[test]
fn every_vww_plan_equals_layer_by_layer_in_place() {
    vww_exhaustive(true, false, false);
}

#[test]
fn every_vww_plan_equals_layer_by_layer_streamed() {
    vww_exhaustive(false, true, false);
}

#[test]
fn every_vww_plan_equals_layer_by_layer_float_input() {
    vww_exhaustive(false, false, true);
}

#[test]
fn every_vww_plan_equals_layer_by_layer_float_input_streamed_in_place() {
    vww_exhaustive(true, true, true);
}

/// A random small CNN: convolutions, depthwise (some in place), pools, pads, residual adds,
/// concatenations and requantizes, then a head that is not spatially local. One in four
/// takes a float input through a QUANTIZE; it is fed values in [-3, 3).
fn random_graph(seed: u64) -> (Graph, Vec<u8>, bool) {
    let float_input = seed % 4 == 3;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = Gen::new(&mut rng);
    let mut x = if float_input { g.float_input(24, 4) } else { g.input(24, 4) };
    for _ in 0..g.rng.gen_range(2..=7) {
        x = match g.rng.gen_range(0..9) {
            0 | 1 => g.conv(x, false),
            2 | 3 => g.conv(x, true),
            4 => g.residual_add(x),
            5 => g.pad(x),
            6 => g.concat(x),
            7 => g.requantize(x),
            _ => {
                let max = g.rng.gen_bool(0.5);
                g.pool(x, max)
            }
        };
    }
    let (features, n, scale) = g.mean(x);
    let (logits, units, _) = g.fully_connected(features, 1, n, scale);
    let probs = g.softmax(logits, vec![1, units]);
    let input_shape = g.spec.tensors[g.spec.inputs[0] as usize].shape.clone();
    let bytes = g.finish(probs).0;
    let n: usize = input_shape.iter().map(|&d| d as usize).product();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xda7a);
    let data = match float_input {
        true => (0..n).flat_map(|_| rng.gen_range(-3.0f32..3.0).to_le_bytes()).collect(),
        false => (0..n).map(|_| rng.gen()).collect(),
    };
    (model::load(&bytes).expect("generated models load"), data, float_input)
}

/// Random schedules: one to three stages at random legal splits, random grids, random modes.
#[test]
fn random_graphs_random_plans_equal_layer_by_layer() {
    let (mut checked, mut three_stages) = (0, 0);
    for seed in 0..300u64 {
        let (graph, data, float_input) = random_graph(seed);
        let kernels = Kernel::prepare_all(&graph).unwrap();
        let whole = InputMode { float_input, streamed: false };
        let (_, reference) = run(&graph, Schedule::default(), whole, &data);
        let splits = search::splits(&graph, &kernels, whole).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..4 {
            if splits.is_empty() {
                break;
            }
            let mut chosen: Vec<usize> = vec![splits[rng.gen_range(0..splits.len())]];
            for more in [0.4, 0.3] {
                if rng.gen_bool(more) {
                    chosen.push(splits[rng.gen_range(0..splits.len())]);
                }
            }
            chosen.sort_unstable();
            chosen.dedup();
            let stages: Vec<Stage> = chosen
                .iter()
                .map(|&split| {
                    let r = map_region(&graph, split).unwrap();
                    let (rows, cols) =
                        (rng.gen_range(1..=MAX_GRID.min(r.height())), rng.gen_range(1..=MAX_GRID.min(r.width())));
                    let halo = if rng.gen_bool(0.5) { Halo::Cache } else { Halo::Recompute };
                    Stage { halo, ..Stage::new(split, rows, cols) }
                })
                .collect();
            let in_place =
                InPlace { depthwise: rng.gen_bool(0.5), pointwise: rng.gen_bool(0.5), add: rng.gen_bool(0.5) };
            let schedule = Schedule { stages, in_place };
            let input = InputMode { streamed: rng.gen_bool(0.5), float_input };
            let config = Config { capacity: 16 << 20, input, schedule: schedule.clone() };
            // A second stage may start where the first cannot hand over (e.g. a skip
            // connection crosses it): such plans are refused with a reason, not run.
            if let Err(e) = Engine::new(graph.clone(), config) {
                assert!(matches!(e, mcupatch::Error::Setting(_)), "seed {seed} {schedule:?}: {e}");
                continue;
            }
            three_stages += usize::from(schedule.stages.len() == 3);
            check_plan(&graph, schedule, input, &data, &reference, &format!("seed {seed}"));
            checked += 1;
        }
    }
    assert!(checked > 600, "only {checked} plans checked");
    assert!(three_stages > 20, "only {three_stages} three-stage plans checked");
}

/// Cached stages: every VWW grid the planner weighs (bands down to one row) at every split,
/// rows remembered down each column, equals layer by layer; a one-column grid computes every
/// row once (layer by layer's MACs), and no cached plan computes more than the same grid
/// recomputing its halos.
#[test]
fn every_cached_vww_plan_equals_layer_by_layer_and_recomputes_no_rows() {
    let g = vww();
    let kernels = Kernel::prepare_all(&g).unwrap();
    for streamed in [false, true] {
        let input = InputMode { streamed, float_input: false };
        let pixels: Vec<u8> = (0..96 * 96 * 3).map(|i| ((i * 7919) % 251) as u8).collect();
        let (layerwise, reference) = run(&g, Schedule::default(), InputMode { streamed: false, ..input }, &pixels);
        let base = layerwise.plan.steps.iter().map(|s| s.macs(&kernels)).sum::<u64>();
        let schedules = search::cached_single_stage_schedules(&g, &kernels, input, InPlace::default()).unwrap();
        assert!(schedules.iter().any(|s| s.stages[0].rows > MAX_GRID), "bands finer than a recomputing grid");
        for cached in schedules {
            let recompute = Schedule {
                stages: cached.stages.iter().map(|&st| Stage { halo: Halo::Recompute, ..st }).collect(),
                ..cached.clone()
            };
            let engine = check_plan(&g, cached.clone(), input, &pixels, &reference, "vww cached");
            let macs = |e: &Engine| e.plan.steps.iter().map(|s| s.macs(&kernels)).sum::<u64>();
            let recomputed = macs(&run(&g, recompute, input, &pixels).0);
            assert!(macs(&engine) <= recomputed, "{cached:?}: {} > {recomputed}", macs(&engine));
            if cached.stages[0].cols == 1 {
                assert_eq!(macs(&engine), base, "{cached:?} recomputes rows");
            }
        }
    }
}

#[test]
fn illegal_splits_are_refused_with_the_reason() {
    let g = vww();
    let kernels = Kernel::prepare_all(&g).unwrap();
    // The output of the average pool's reshape: a stage through the pool would be needed.
    let fc_input = g.ops.iter().position(|op| op.kind.name() == "FULLY_CONNECTED").unwrap();
    let split = g.ops[fc_input].outputs[0];
    let err = mcupatch::schedule::patch::stage_ops(&g, &kernels, 1, split).unwrap_err().to_string();
    assert!(err.contains("not an int8 [1, H, W, C] map") || err.contains("mixes the whole map"), "{err}");
    let grid = mcupatch::schedule::patch::grid(12, 12, 13, 1).unwrap_err().to_string();
    assert!(grid.contains("does not fit"), "{grid}");
}
