#![cfg(not(target_arch = "wasm32"))]
//! `mcupatch export` against TFLite Micro: the exported model runs in stock TFLM (its Python
//! interpreter) with the same outputs as the original, in an arena whose head is the offline
//! plan's exactly and whose smallest working size (head + tail, found by bisection) is within
//! what the report says. Layer by layer the model is kept and only the plan added; a patch plan
//! is rewritten as standard ops.

mod common;

use common::gen::{Gen, Map};
use common::{python, require_tflm, root, scratch_dir, MLTK_MODELS};
use mcupatch::export::{self, PLANNED_ONLINE};
use mcupatch::model::{self, schema, DType};
use mcupatch::preprocess;
use mcupatch::session::{Export, Session, Settings, Target, METADATA_NAME};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::Command;

/// `bytes` with its layer-by-layer plan written in, through the session as every face does.
fn with_plan(bytes: &[u8]) -> mcupatch::Result<Export> {
    Session::from_tflite(bytes)?.export(&Settings::default())
}

/// `bytes` exported with the `--patch` and `--split` settings given.
fn exported(bytes: &[u8], patch: &[&str], split: &[&str]) -> mcupatch::Result<Export> {
    let settings = Settings {
        patch: patch.iter().map(|p| p.to_string()).collect(),
        split: split.iter().map(|s| s.to_string()).collect(),
        ..Settings::default()
    };
    Session::from_tflite(bytes)?.export(&settings)
}

/// What TFLite Micro reported for one model and input.
struct Measured {
    /// The head of its arena: the section its memory planner lays tensors out in.
    head: usize,
    /// The tail: what its allocator keeps for the whole run besides.
    tail: usize,
    /// The smallest `arena_size` that runs the model to the same outputs (when asked for).
    smallest: Option<usize>,
    /// Every output's bytes.
    outputs: Vec<Vec<u8>>,
}

/// One run in TFLite Micro: a name, the model, its input and whether to bisect for the
/// smallest working arena.
struct Run {
    name: String,
    model: Vec<u8>,
    input: Vec<u8>,
    smallest: bool,
}

/// Runs tools/tflm_offline.py on `jobs` in `dir`.
fn run_helper(dir: &Path, jobs: &serde_json::Value) {
    require_tflm();
    let path = dir.join("jobs.json");
    std::fs::write(&path, serde_json::to_vec(jobs).unwrap()).unwrap();
    let status = Command::new(python()).arg(root().join("tools/tflm_offline.py")).arg(&path).status();
    assert!(status.expect("run tools/tflm_offline.py").success(), "tools/tflm_offline.py failed");
}

/// Runs each model in TFLite Micro, one interpreter per run.
fn tflm(runs: &[Run]) -> Vec<Measured> {
    let dir = scratch_dir("export");
    let mut jobs = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let (model, data) = (dir.join(format!("m{i}.tflite")), dir.join(format!("in{i}.bin")));
        std::fs::write(&model, &run.model).unwrap();
        std::fs::write(&data, &run.input).unwrap();
        let outputs = model::load(&run.model).unwrap().outputs.len();
        let out = dir.join(format!("r{i}"));
        jobs.push(serde_json::json!({"model": model, "input": data, "outputs": outputs, "out": out, "smallest": run.smallest}));
    }
    run_helper(&dir, &serde_json::Value::Array(jobs));
    let measured = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let out = dir.join(format!("r{i}"));
            if let Ok(err) = std::fs::read_to_string(out.join("error.txt")) {
                panic!("{}: TFLite Micro could not run it: {}", run.name, err.trim());
            }
            let arena: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("arena.json")).unwrap()).unwrap();
            let outputs = model::load(&run.model).unwrap().outputs.len();
            let bytes = |key: &str| arena[key].as_u64().map(|v| v as usize);
            Measured {
                head: bytes("head").expect("arena head"),
                tail: bytes("tail").expect("arena tail"),
                smallest: bytes("smallest"),
                outputs: (0..outputs).map(|o| std::fs::read(out.join(format!("o{o}.bin"))).unwrap()).collect(),
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    measured
}

/// A model exported with one plan, and what TFLite Micro measured of it.
struct Checked {
    name: String,
    report: export::ExportReport,
    measured: Measured,
}

/// Runs each unchanged model (a name, its bytes, an input) and its `exports` in TFLite Micro,
/// bisecting every arena, and checks each export against its model: the same outputs, TFLM's
/// head the offline plan's exactly, its tail the report's exactly, its smallest working arena
/// within the report's. Returns the unchanged models' measurements and the checked exports,
/// in order.
fn check_exports(
    models: &[(String, Vec<u8>, Vec<u8>)],
    exports: Vec<(usize, String, Export)>,
) -> (Vec<Measured>, Vec<Checked>) {
    check_exports_bisecting(models, true, exports, |_| true, Tails::Exact)
}

/// What the report's tails must be.
#[derive(Clone, Copy, PartialEq)]
enum Tails {
    /// TFLite Micro's exactly, for every model.
    Exact,
    /// TFLite Micro's exactly where the report says so; an estimate at least TFLM's for a
    /// model with an op kind whose allocations were not measured.
    ExactUnlessEstimated,
}

/// [`check_exports`], bisecting the smallest arena of the unchanged models if `bisect_models`
/// and of the exports `bisect` names (by index): the others are checked for outputs, head and
/// tail.
fn check_exports_bisecting(
    models: &[(String, Vec<u8>, Vec<u8>)],
    bisect_models: bool,
    exports: Vec<(usize, String, Export)>,
    bisect: impl Fn(usize) -> bool,
    tails: Tails,
) -> (Vec<Measured>, Vec<Checked>) {
    let mut runs: Vec<Run> = models
        .iter()
        .map(|(name, bytes, input)| Run {
            name: name.clone(),
            model: bytes.clone(),
            input: input.clone(),
            smallest: bisect_models,
        })
        .collect();
    for (i, (m, name, e)) in exports.iter().enumerate() {
        runs.push(Run { name: name.clone(), model: e.model.clone(), input: models[*m].2.clone(), smallest: bisect(i) });
    }
    let mut measured = tflm(&runs);
    let checked: Vec<Measured> = measured.split_off(models.len());
    let rows: Vec<Checked> = exports
        .into_iter()
        .zip(checked)
        .map(|((m, name, e), after)| {
            let r = &e.report;
            assert_eq!(after.outputs, measured[m].outputs, "{name} ({}): the exported model's outputs differ", r.plan);
            // The offline plan's head, with room for the kernels' scratch buffers TFLM places.
            let head = r.arena.head_bytes..=r.arena.head_bytes + r.arena.scratch_bytes;
            assert!(
                head.contains(&after.head),
                "{name} ({}): TFLM's head {} B is not the plan's {head:?}",
                r.plan,
                after.head
            );
            assert!(
                tails == Tails::ExactUnlessEstimated || r.arena.tail_exact && r.own.tail_exact,
                "{name} ({}): the report's tail is an estimate",
                r.plan
            );
            if r.arena.tail_exact {
                assert_eq!(after.tail, r.arena.tail_bytes, "{name} ({}): TFLM's tail is not the report's", r.plan);
            } else {
                assert!(after.tail <= r.arena.tail_bytes, "{name} ({}): TFLM's tail > the report's estimate", r.plan);
            }
            // TFLM's own plan of the unchanged model, as the report models it.
            let own = r.own.head_bytes..=r.own.head_bytes + r.own.scratch_bytes;
            assert!(
                own.contains(&measured[m].head),
                "{name}: TFLM's own head {} B is not in {own:?}",
                measured[m].head
            );
            if r.own.tail_exact {
                assert_eq!(measured[m].tail, r.own.tail_bytes, "{name}: TFLM's own tail is not the report's");
            } else {
                assert!(measured[m].tail <= r.own.tail_bytes, "{name}: TFLM's own tail > the report's estimate");
            }
            if let Some(smallest) = after.smallest {
                assert!(
                    smallest <= r.arena.total_bytes,
                    "{name} ({}): TFLM needs {smallest} B > the report's {} B",
                    r.plan,
                    r.arena.total_bytes
                );
            }
            eprintln!(
                "{name}: {} — TFLM head {} B + tail {} B, smallest {:?} B (report {} + {} = {} B; layer by layer {} B)",
                r.plan,
                after.head,
                after.tail,
                after.smallest,
                r.arena.head_bytes,
                r.arena.tail_bytes,
                r.arena.total_bytes,
                r.layer_by_layer.total_bytes
            );
            Checked { name, report: e.report, measured: after }
        })
        .collect();
    for (name, m) in models.iter().map(|(n, ..)| n).zip(&measured) {
        eprintln!("{name} unchanged: TFLM head {} B + tail {} B, smallest {:?} B", m.head, m.tail, m.smallest);
    }
    (measured, rows)
}

fn read(path: &str) -> Vec<u8> {
    let path = root().join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run models/fetch)", path.display()))
}

/// Models without their leading QUANTIZE (int8 input), as tools/tflm_dump.py strips them.
fn without_input_quantize(paths: &[String]) -> Vec<Vec<u8>> {
    let dir = scratch_dir("strip");
    let out = |i: usize| dir.join(format!("m{i}.tflite"));
    let jobs = paths.iter().enumerate().map(|(i, p)| serde_json::json!({"strip": root().join(p), "out": out(i)}));
    run_helper(&dir, &jobs.collect());
    let models = (0..paths.len()).map(|i| std::fs::read(out(i)).expect("the stripped model")).collect();
    let _ = std::fs::remove_dir_all(&dir);
    models
}

/// The model's scores of `outputs[0]` (DEQUANTIZE'd floats): person, non person.
fn scores(outputs: &[Vec<u8>]) -> Vec<f32> {
    outputs[0].chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// VWW without its leading QUANTIZE (int8 input), as tools/tflm_dump.py strips it.
fn vww_int8() -> Vec<u8> {
    without_input_quantize(&["models/visual_wake_words.tflite".into()]).remove(0)
}

/// The int8 input of `bytes` for a photo, as the session prepares it.
fn photo_input(bytes: &[u8], photo: &str) -> Vec<u8> {
    let image = preprocess::decode(&read(&format!("data/images/{photo}"))).unwrap();
    Session::from_tflite(bytes).unwrap().image_input(&image).unwrap()
}

#[test]
fn vww_patch_exports_run_in_tflite_micro_bit_exact_in_less_arena() {
    let int8 = vww_int8();
    let plans: [(&[&str], &[&str]); 8] = [
        (&[], &[]),
        (&["auto"], &[]),
        (&["2x2"], &[]),
        (&["3x3"], &[]),
        (&["4x1"], &[]),
        // The first two ops layer by layer (the frame is gone after them), then 2×2 patches
        // through the stride-2 depthwise conv.
        (&["1x1", "2x2"], &["op1", "op3"]),
        (&["2x1"], &["op3"]),
        // Three stages: the first two ops whole, 2×2 patches, then 3×1 row stripes.
        (&["1x1", "2x2", "3x1"], &["op1", "op3", "op7"]),
    ];
    let photos = ["astronaut.png", "chelsea.png"];
    let models: Vec<_> =
        photos.iter().map(|p| (format!("VWW int8 input, {p}"), int8.clone(), photo_input(&int8, p))).collect();
    let mut exports = Vec::new();
    for (m, _) in photos.iter().enumerate() {
        for (patch, split) in plans {
            let e =
                exported(&int8, patch, split).unwrap_or_else(|e| panic!("--patch {patch:?} --split {split:?}: {e}"));
            exports.push((m, format!("VWW {} --patch {patch:?} --split {split:?}", photos[m]), e));
        }
    }
    // The smallest arena is bisected on the first photo (it does not depend on the input).
    let (unchanged, rows) = check_exports_bisecting(&models, true, exports, |i| i < plans.len(), Tails::Exact);
    for (m, person) in [(0, true), (1, false)] {
        // TFLM's own plan of the unchanged model: 73 728 B head.
        assert_eq!(unchanged[m].head, 73_728);
        let scores = scores(&unchanged[m].outputs);
        assert_eq!(scores[0] > scores[1], person, "{}: scores {scores:?}", photos[m]);
        let rows = &rows[m * plans.len()..(m + 1) * plans.len()];
        let [lbl, auto, ..] = rows else { unreachable!() };
        // Layer by layer: mcupatch's peak, 55 296 B, as the head.
        assert!(lbl.report.stages.is_empty() && lbl.measured.head == 55_296, "{}", lbl.name);
        // auto exports a patch plan that needs less arena than layer by layer, in TFLM.
        assert!(!auto.report.stages.is_empty(), "{}: auto exported layer by layer", auto.name);
        if m == 0 {
            let (a, l, own) =
                (auto.measured.smallest.unwrap(), lbl.measured.smallest.unwrap(), unchanged[m].smallest.unwrap());
            assert!(a < l && l < own, "{}: smallest arena auto {a} B, layer by layer {l} B, own {own} B", auto.name);
        }
        for r in rows {
            assert!(r.report.arena.total_bytes >= auto.report.arena.total_bytes, "{}: beats auto's choice", r.name);
            assert_eq!(r.report.layer_by_layer, lbl.report.arena, "{}", r.name);
        }
    }
}

#[test]
fn exported_float_vww_keeps_its_quantize_and_runs_in_tflite_micro() {
    let original = read("models/visual_wake_words.tflite");
    let image = preprocess::decode(&read("data/images/astronaut.png")).unwrap();
    let floats: Vec<u8> =
        preprocess::fit(&image, 96, 96).into_raw().iter().flat_map(|&p| f32::from(p).to_le_bytes()).collect();
    let models = [("VWW float input".to_string(), original.clone(), floats)];
    let lbl = with_plan(&original).unwrap();
    let auto = exported(&original, &["auto"], &[]).unwrap();
    let (unchanged, rows) = check_exports(&models, vec![(0, "layer by layer".into(), lbl), (0, "auto".into(), auto)]);
    // mcupatch's own layer-by-layer peak of the float model, as `mcupatch plan` reports it.
    let mut session = Session::from_tflite(&original).unwrap();
    let float_peak =
        session.plan(&Settings { float_input: true, ..Settings::default() }).unwrap().layer_by_layer.peak.bytes;
    assert_eq!((unchanged[0].head, float_peak, rows[0].measured.head), (138_240, 138_240, 138_240));
    assert!(rows.iter().all(|r| r.report.float_input));
    assert!(rows[1].measured.smallest <= rows[0].measured.smallest, "auto needs more than layer by layer");
    let scores = scores(&rows[1].measured.outputs);
    assert!(scores[0] > scores[1], "astronaut: scores {scores:?}");
}

/// A wrong offline plan runs without error in TFLite Micro and gives wrong outputs: what the
/// other tests' output comparison catches (the control that shows they can fail).
#[test]
fn a_wrong_offline_plan_gives_wrong_outputs_in_tflite_micro() {
    let int8 = vww_int8();
    let good = exported(&int8, &["2x2"], &[]).unwrap().model;
    let plan = export::read_metadata(&good, METADATA_NAME).unwrap().expect("the plan");
    let at = plan.as_ptr() as usize - good.as_ptr() as usize;
    let mut bad = good.clone();
    // Every activation at offset 0, the header [version, subgraph, count] kept.
    for word in bad[at + 12..at + plan.len()].chunks_mut(4) {
        if i32::from_le_bytes(word.try_into().unwrap()) != PLANNED_ONLINE {
            word.copy_from_slice(&0i32.to_le_bytes());
        }
    }
    let input = photo_input(&int8, "astronaut.png");
    let runs: Vec<Run> = [("good", good), ("all at 0", bad)]
        .into_iter()
        .map(|(name, model)| Run { name: name.into(), model, input: input.clone(), smallest: false })
        .collect();
    let measured = tflm(&runs);
    assert_ne!(measured[0].outputs, measured[1].outputs, "a plan with every tensor at 0 gave the right outputs");
}

/// The MLTK image models (and the MobileNetV2 keyword spotter, a CNN over a spectrogram), each
/// exported with several patch plans (those the export refuses say why), checked in TFLite
/// Micro; `auto` needs less arena than TFLite Micro's own plan of the unchanged model.
#[test]
fn mltk_models_export_patch_plans_bit_exact() {
    let grids: [(&[&str], &[&str]); 5] =
        [(&["auto"], &[]), (&["2x2"], &[]), (&["3x3"], &[]), (&["4x1"], &[]), (&["2x1"], &["op1"])];
    let mut models = Vec::new();
    let mut exports = Vec::new();
    let mut refused = Vec::new();
    let mut autos = Vec::new();
    for (name, plans) in [
        ("rock_paper_scissors", &grids[..]),
        ("image_classification", &grids),
        ("keyword_spotting_mobilenetv2", &grids[..2]),
    ] {
        let bytes = read(&format!("models/mltk/{name}.tflite"));
        let m = models.len();
        models.push((name.to_string(), bytes.clone(), random_input(&bytes, 5)));
        let mut patched = 0;
        for &(patch, split) in plans {
            match exported(&bytes, patch, split) {
                Ok(e) => {
                    patched += usize::from(!e.report.stages.is_empty());
                    if patch == ["auto"] {
                        autos.push((m, exports.len()));
                    }
                    exports.push((m, format!("{name} --patch {patch:?} --split {split:?}"), e));
                }
                Err(e) => refused.push(format!("{name} --patch {patch:?}: {e}")),
            }
        }
        assert!(patched >= 2, "{name}: only {patched} patch plans exported; refused: {refused:?}");
    }
    for r in &refused {
        eprintln!("refused: {r}");
        assert!(r.contains("op ") || r.contains("grid"), "a refusal without its reason: {r}");
    }
    let (unchanged, rows) = check_exports(&models, exports);
    for (m, e) in autos {
        let (auto, own) = (rows[e].measured.smallest.unwrap(), unchanged[m].smallest.unwrap());
        assert!(auto < own, "{}: auto needs {auto} B, TFLM's own plan {own} B", rows[e].name);
    }
}

/// Random conv / depthwise / add / pool graphs (SAME and VALID, strides 1–3, kernels 1–5,
/// dilation), each exported with a few grids at every split and run in TFLite Micro: every
/// export gives the unchanged model's bytes; an average pool whose SAME padding reaches a
/// patch is refused with its name.
#[test]
fn generated_graphs_export_patch_plans_bit_exact() {
    let mut models = Vec::new();
    let mut exports = Vec::new();
    let mut refusals = 0;
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(4200 + seed);
        let mut g = Gen::new(&mut rng);
        let mut x: Map = g.input(24, 4);
        let mut ops = 0;
        for step in 0..4 {
            x = match (seed + step) % 5 {
                0 | 1 => g.conv(x, false),
                2 => g.conv(x, true),
                3 => g.residual_add(x),
                _ => g.pool(x, seed % 2 == 0),
            };
            ops += if (seed + step) % 5 == 3 { 2 } else { 1 };
        }
        let (features, n, scale) = g.mean(x);
        let (logits, units, _) = g.fully_connected(features, 1, n, scale);
        let probs = g.softmax(logits, vec![1, units]);
        let (bytes, notes) = g.finish(probs);
        let name = format!("generated {seed}: {notes}");
        let m = models.len();
        models.push((name.clone(), bytes.clone(), random_input(&bytes, seed)));
        for (patch, split) in [
            (vec!["auto"], vec![]),
            (vec!["2x2"], vec![]),
            (vec!["3x1"], vec![]),
            (vec!["2x2"], vec![format!("op{}", ops - 1)]),
        ] {
            let split: Vec<&str> = split.iter().map(String::as_str).collect();
            match exported(&bytes, &patch, &split) {
                Ok(e) => exports.push((m, format!("{name} --patch {patch:?} --split {split:?}"), e)),
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains("op ") || e.contains("grid") || e.contains("split"), "{name}: {e}");
                    refusals += usize::from(e.contains("AVERAGE_POOL_2D"));
                }
            }
        }
    }
    let patched = exports.iter().filter(|(_, _, e)| !e.report.stages.is_empty()).count();
    assert!(patched >= 20, "only {patched} patch plans exported");
    // The padding rules ran: PAD before convolutions, PADV2 (-128) before max pools.
    let pads = |inputs: usize| {
        let padded = |e: &Export| {
            model::load(&e.model)
                .unwrap()
                .ops
                .iter()
                .any(|op| op.kind == model::OpKind::Pad && op.inputs.len() == inputs)
        };
        exports.iter().filter(|(_, _, e)| padded(e)).count()
    };
    eprintln!("{} exports pad with PAD, {} with PADV2", pads(2), pads(3));
    assert!(pads(2) > 0 && pads(3) > 0, "PAD in {}, PADV2 in {} exports", pads(2), pads(3));
    eprintln!("{patched} patch plans exported, {refusals} refused at an average pool");
    check_exports(&models, exports);
}

/// A handful of generated graphs over every op mcupatch runs (RESHAPE, float input and
/// DEQUANTIZE included), with a random input each.
fn generated_cases() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    (0..10u64)
        .map(|seed| {
            let mut rng = StdRng::seed_from_u64(9000 + seed);
            let mut g = Gen::new(&mut rng);
            let float = seed % 3 == 0;
            let mut x = if float { g.float_input(24, 4) } else { g.input(24, 4) };
            for step in 0..4 {
                x = match (seed + step) % 7 {
                    0 | 1 => g.conv(x, false),
                    2 => g.conv(x, true),
                    3 => g.residual_add(x),
                    4 => g.pad(x),
                    5 => g.concat(x),
                    _ => g.pool(x, seed % 2 == 0),
                };
            }
            let (features, n, scale) = match seed % 2 {
                0 => g.mean(x),
                _ => (g.flatten(x.t, x.h * x.w * x.c, x.scale, x.zp), x.h * x.w * x.c, x.scale),
            };
            let (logits, units, _) = g.fully_connected(features, 1, n, scale);
            let probs = g.softmax(logits, vec![1, units]);
            let out = if float { g.dequantize(probs, vec![1, units as i32]) } else { probs };
            let (bytes, notes) = g.finish(out);
            (format!("generated {seed}: {notes}"), bytes)
        })
        .map(|(name, bytes)| {
            let input = random_input(&bytes, 1);
            (name, bytes, input)
        })
        .collect()
}

/// A seeded random input for a model's input 0: int8 codes, or floats in [-3, 3).
fn random_input(bytes: &[u8], seed: u64) -> Vec<u8> {
    let graph = model::load(bytes).unwrap();
    let input = &graph.tensors[graph.inputs[0]];
    let mut rng = StdRng::seed_from_u64(seed);
    match input.dtype {
        DType::F32 => (0..input.elements()).flat_map(|_| rng.gen_range(-3.0f32..3.0).to_le_bytes()).collect(),
        _ => (0..input.bytes()).map(|_| rng.gen()).collect(),
    }
}

/// The MLTK models, and those with a float input also without their QUANTIZE (int8 input).
fn mltk_cases() -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let paths: Vec<String> = MLTK_MODELS.iter().map(|name| format!("models/mltk/{name}.tflite")).collect();
    let float_input = |bytes: &[u8]| {
        let graph = model::load(bytes).unwrap();
        graph.tensors[graph.inputs[0]].dtype == DType::F32
    };
    let floats: Vec<usize> = (0..MLTK_MODELS.len()).filter(|&i| float_input(&read(&paths[i]))).collect();
    let float_paths: Vec<String> = floats.iter().map(|&i| paths[i].clone()).collect();
    let stripped = without_input_quantize(&float_paths);
    let models = MLTK_MODELS.iter().zip(&paths).map(|(name, path)| (name.to_string(), read(path)));
    let int8 = floats.iter().zip(stripped).map(|(&i, bytes)| (format!("{} int8 input", MLTK_MODELS[i]), bytes));
    models
        .chain(int8)
        .map(|(name, bytes)| {
            let input = random_input(&bytes, 7);
            (name, bytes, input)
        })
        .collect()
}

#[test]
fn exported_layer_by_layer_plans_never_need_more_than_tflite_micro() {
    let models: Vec<_> = generated_cases().into_iter().chain(mltk_cases()).collect();
    let exports = models
        .iter()
        .enumerate()
        .map(|(m, (name, bytes, _))| {
            (m, name.clone(), with_plan(bytes).unwrap_or_else(|e| panic!("{name}: export: {e}")))
        })
        .collect();
    // TFLM's own plan is compared by its head: its smallest arena is not bisected.
    let (unchanged, rows) = check_exports_bisecting(&models, false, exports, |_| true, Tails::Exact);
    let mut smaller = 0;
    for (r, own) in rows.iter().zip(&unchanged) {
        assert!(r.report.stages.is_empty(), "{}", r.name);
        assert!(r.measured.head <= own.head, "{}: exported {} B > TFLM's {} B", r.name, r.measured.head, own.head);
        smaller += usize::from(r.measured.head < own.head);
    }
    eprintln!("{smaller} of {} models need less arena than under TFLM's own plan", rows.len());
}

#[test]
fn exported_model_loads_unchanged_with_one_plan() {
    for (name, bytes) in [
        ("VWW", read("models/visual_wake_words.tflite")),
        ("ResNet-8", read("models/mltk/image_classification.tflite")),
    ] {
        let exported = with_plan(&bytes).unwrap();
        let (before, after) = (model::load(&bytes).unwrap(), model::load(&exported.model).unwrap());
        assert_eq!(format!("{before:?}"), format!("{after:?}"), "{name}: the graph changed");
        // [version 1, subgraph 0, one offset per tensor]; weights are left to TFLM.
        let plan = export::read_metadata(&exported.model, METADATA_NAME).unwrap().expect("the plan");
        let words: Vec<i32> = plan.chunks(4).map(|w| i32::from_le_bytes(w.try_into().unwrap())).collect();
        assert_eq!(words[..3], [1, 0, before.tensors.len() as i32], "{name}");
        assert_eq!(words[3..], exported.report.offsets[..], "{name}");
        for (t, &offset) in exported.report.offsets.iter().enumerate() {
            assert_eq!(before.tensors[t].is_constant(), offset == PLANNED_ONLINE, "{name}: tensor {t}");
            assert!(offset == PLANNED_ONLINE || offset % 16 == 0, "{name}: tensor {t} at {offset}");
        }
        // Exporting again replaces the plan rather than adding a second one.
        let again = with_plan(&exported.model).unwrap();
        let root = schema::root(&again.model).unwrap();
        let plans = root.metadata().unwrap().iter().filter(|m| m.name() == Some(METADATA_NAME)).count();
        assert_eq!(plans, 1, "{name}");
        assert_eq!(export::read_metadata(&again.model, METADATA_NAME).unwrap(), Some(plan), "{name}");
        assert_eq!(format!("{:?}", model::load(&again.model).unwrap()), format!("{before:?}"), "{name}");
    }
}

#[test]
fn broken_models_are_refused_not_exported() {
    let bytes = read("models/visual_wake_words.tflite");
    for cut in [0, 7, 8, 1000, bytes.len() / 2, bytes.len() - 1] {
        assert!(with_plan(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let err = with_plan(&common::unsupported_model()).unwrap_err().to_string();
    assert!(err.contains("unsupported"), "{err}");
    // A grid the export cannot join, and in-place settings TFLite Micro cannot run.
    let int8 = vww_int8();
    let err = exported(&int8, &["9x9"], &[]).unwrap_err().to_string();
    assert!(err.contains("grid '9x9'"), "{err}");
    let in_place = Settings { in_place_depthwise: true, patch: vec!["2x2".into()], ..Settings::default() };
    let e = Session::from_tflite(&int8).unwrap().export(&in_place).unwrap();
    assert!(e.report.notes.iter().any(|n| n.contains("in-place")), "{:?}", e.report.notes);
    // An arena above the SRAM given is said, not hidden.
    let small = Settings { sram: Some(64 * 1024), patch: vec!["auto".into()], ..Settings::default() };
    let e = Session::from_tflite(&int8).unwrap().export(&small).unwrap();
    assert!(e.report.notes.iter().any(|n| n.contains("more than the 65536 B of SRAM")), "{:?}", e.report.notes);
}

#[test]
fn cli_writes_the_model_and_reports_the_plan() {
    let dir = scratch_dir("export-cli");
    let out = dir.join("vww.tflite");
    let run =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_mcupatch")).args(args).current_dir(root()).output().unwrap();
    let output = run(&["export", "models/visual_wake_words.tflite", out.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let head = |r: &serde_json::Value| r["arena"]["head_bytes"].as_u64();
    assert_eq!((head(&report), report["float_input"].as_bool()), (Some(138_240), Some(true)));
    assert_eq!(report["plan"], "layer by layer");
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, with_plan(&read("models/visual_wake_words.tflite")).unwrap().model);
    let text = run(&["export", "models/visual_wake_words.tflite", out.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("head 138240 B"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    // The plan's settings: a 2x2 grid through the session, the same bytes as the library's.
    let args = ["export", "models/visual_wake_words.tflite", out.to_str().unwrap(), "--patch", "2x2", "--json"];
    let output = run(&args);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["stages"][0]["rows"].as_u64(), Some(2), "{report}");
    let original = read("models/visual_wake_words.tflite");
    assert_eq!(std::fs::read(&out).unwrap(), exported(&original, &["2x2"], &[]).unwrap().model);
    let text = run(&["export", "models/visual_wake_words.tflite", out.to_str().unwrap(), "--patch", "layer-by-layer"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("layer by layer;"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let missing = run(&["export", "models/none.tflite", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: cannot read models/none.tflite"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The deploy kit's C array, compiled with the system C compiler, gives back the exported
/// model byte for byte; its header holds the report's arena size and its program registers
/// exactly the model's ops.
#[test]
fn deploy_kit_compiles_back_to_the_exported_model() {
    let e = exported(&vww_int8(), &["auto"], &[]).unwrap();
    let kit = e.kit().unwrap();
    let dir = scratch_dir("kit");
    for f in &kit {
        std::fs::write(dir.join(f.name), &f.text).unwrap();
    }
    let dump = r#"#include <cstdio>
#include "model_data.h"
int main(int argc, char** argv) {
  FILE* f = std::fopen(argv[1], "wb");
  return (f && std::fwrite(g_model_data, 1, g_model_data_len, f) == g_model_data_len && std::fclose(f) == 0) ? 0 : 1;
}
"#;
    std::fs::write(dir.join("dump.cc"), dump).unwrap();
    let built = Command::new("cc")
        .current_dir(&dir)
        .args(["-x", "c++", "-std=c++17", "-Wall", "-Werror", "model_data.cc", "dump.cc", "-o", "dump"])
        .status()
        .expect("run the system C compiler (cc)");
    assert!(built.success(), "model_data.cc does not compile");
    let ran = Command::new(dir.join("dump")).arg(dir.join("model.tflite")).status().unwrap();
    assert!(ran.success());
    assert_eq!(std::fs::read(dir.join("model.tflite")).unwrap(), e.model, "the C array is not the model");
    let text = |name: &str| kit.iter().find(|f| f.name == name).unwrap().text.clone();
    assert!(text("model_data.h").contains(&format!("kTensorArenaSize = {};", e.report.arena.total_bytes)));
    let main = text("main.cc");
    let registered: Vec<&str> = main.lines().filter_map(|l| l.trim().strip_prefix("resolver.")).collect();
    let ops: std::collections::BTreeSet<String> =
        model::load(&e.model).unwrap().ops.iter().map(|op| op.kind.name().to_string()).collect();
    assert_eq!(registered.len(), ops.len(), "{registered:?} for {ops:?}");
    assert!(main.contains(&format!("MicroMutableOpResolver<{}>", ops.len())));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The deploy issue's MobileNetV2 targets, converted by TensorFlow from keras.applications
/// (`make deploy-mobilenet` runs tools/mobilenet_v2_targets.py first): `--patch auto`'s export
/// gives the unchanged model's outputs on two photos in TFLite Micro, in at most 0.70× (0.5
/// @128) and 0.75× (0.35 @96) of the smallest arena TFLite Micro needs for the unchanged
/// model, both found by bisection in the same run.
#[test]
#[ignore = "needs the converted MobileNetV2 targets: make deploy-mobilenet"]
fn mobilenet_v2_targets_export_in_at_most_the_issues_share_of_tflite_micros_arena() {
    let targets = [("mobilenet_v2_0.5_128", 0.70), ("mobilenet_v2_0.35_96", 0.75)];
    let photos = ["astronaut.png", "chelsea.png"];
    let mut models = Vec::new();
    let mut exports = Vec::new();
    for (name, _) in targets {
        let path = root().join(format!("models/{name}.tflite"));
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run make deploy-mobilenet)", path.display()));
        let e = exported(&bytes, &["auto"], &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        for photo in photos {
            exports.push((models.len(), format!("{name} auto, {photo}"), e.clone()));
            models.push((format!("{name}, {photo}"), bytes.clone(), photo_input(&bytes, photo)));
        }
    }
    // The smallest arenas are bisected on the first photo (they do not depend on the input).
    let bisect = |i: usize| i.is_multiple_of(photos.len());
    let (unchanged, rows) = check_exports_bisecting(&models, true, exports, bisect, Tails::Exact);
    for (t, (name, share)) in targets.iter().enumerate() {
        let m = t * photos.len();
        let (own, auto) = (unchanged[m].smallest.unwrap(), rows[m].measured.smallest.unwrap());
        let ratio = auto as f64 / own as f64;
        eprintln!(
            "{name}: TFLM's own {own} B (head {} + tail {}), auto's export {auto} B (head {} + tail {}): {ratio:.3}×, {}",
            unchanged[m].head, unchanged[m].tail, rows[m].measured.head, rows[m].measured.tail, rows[m].report.plan
        );
        assert!(ratio <= *share, "{name}: the export needs {ratio:.3}× TFLite Micro's own arena, more than {share}×");
        assert!(rows[m].report.stages.iter().any(|s| s.rows * s.cols > 1), "{name}: auto exported no patches");
    }
}

/// `plan --target tflite-micro` chooses the schedule `export` writes and reports its arena
/// beside TFLite Micro's own; planning for mcupatch's arena in 40 KiB chooses by mcupatch's
/// peak instead (finer patches, whose copies TFLite Micro pays for in its tail).
#[test]
fn planning_for_tflite_micro_prices_the_export_it_would_write() {
    let int8 = vww_int8();
    let mut session = Session::from_tflite(&int8).unwrap();
    let auto = |target| Settings { patch: vec!["auto".into()], target, sram: Some(40 * 1024), ..Settings::default() };
    let for_tflm = session.plan(&auto(Target::TfliteMicro)).unwrap();
    let e = exported(&int8, &["auto"], &[]).unwrap();
    let t = for_tflm.tflite_micro.as_ref().expect("the TFLite Micro figures");
    assert_eq!((t.exported, t.layer_by_layer, t.own), (e.report.arena, e.report.layer_by_layer, e.report.own));
    assert_eq!(t.compared, e.report.candidates);
    let stages = |r: &mcupatch::session::PlanReport| {
        r.schedule.stages.iter().map(|s| (s.split.index, s.rows, s.cols)).collect::<Vec<_>>()
    };
    assert_eq!(stages(&for_tflm), e.report.stages.iter().map(|s| (s.split, s.rows, s.cols)).collect::<Vec<_>>());
    // The plan runs in mcupatch too, to the layer-by-layer bytes.
    let image = preprocess::decode(&read("data/images/astronaut.png")).unwrap();
    let input = session.image_input(&image).unwrap();
    assert!(session.check_exact(&input).unwrap().equal);
    // For mcupatch's own arena the planner picks more patches; exported, they need more.
    let for_mcupatch = session.plan(&auto(Target::Mcupatch)).unwrap();
    assert!(for_mcupatch.tflite_micro.is_none());
    let patches =
        |r: &mcupatch::session::PlanReport| r.schedule.stages.iter().map(|s| s.rows * s.cols).max().unwrap_or(1);
    assert!(patches(&for_mcupatch) > patches(&for_tflm), "{:?} vs {:?}", stages(&for_mcupatch), stages(&for_tflm));
    let split: Vec<String> = stages(&for_mcupatch).iter().map(|s| format!("t{}", s.0)).collect();
    let grids: Vec<String> = stages(&for_mcupatch).iter().map(|s| format!("{}x{}", s.1, s.2)).collect();
    let settings = Settings { patch: grids, split, ..Settings::default() };
    let finer = Session::from_tflite(&int8).unwrap().export(&settings).unwrap();
    assert!(finer.report.arena.total_bytes > t.exported.total_bytes, "{}", finer.report.plan);
    // A zoo net has no file to export: said, not guessed.
    let mut zoo = Session::from_zoo("mbv2", 0.35, 96, None).unwrap();
    let err = zoo.plan(&auto(Target::TfliteMicro)).unwrap_err().to_string();
    assert!(err.contains("no .tflite file"), "{err}");
}

/// The Keras models tools/keras_models.py converts (`make keras` runs this after converting
/// them; tests/keras.rs checks how each loads): every one TFLite Micro runs (not those with
/// TILE, which it lacks), exported layer by layer, with `auto` and with 2×2 patches (refused
/// only with the op, grid or split named), gives the unchanged model's outputs in TFLite
/// Micro within the report's arena, and the report's own plan is TFLite Micro's.
#[test]
#[ignore = "needs the converted models: make keras"]
fn converted_keras_models_export_bit_exact() {
    let dir = std::env::var("MCUPATCH_KERAS_DIR").map_or_else(|_| root().join("models/keras"), Into::into);
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make keras`)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tflite"))
        .collect();
    paths.sort();
    let (mut models, mut exports, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(graph) = model::load(&bytes) else { continue };
        if graph.ops.iter().any(|op| op.kind.name() == "TILE") || Session::from_tflite(&bytes).is_err() {
            continue;
        }
        let m = models.len();
        models.push((name.clone(), bytes.clone(), random_input(&bytes, 3)));
        for patch in [&[][..], &["auto"], &["2x2"]] {
            match exported(&bytes, patch, &[]) {
                Ok(e) => exports.push((m, format!("{name} --patch {patch:?}"), e)),
                Err(e) if patch == ["2x2"] => refused.push(format!("{name}: {e}")),
                Err(e) => panic!("{name} --patch {patch:?}: {e}"),
            }
        }
    }
    for r in &refused {
        eprintln!("refused: {r}");
        assert!(r.contains("op ") || r.contains("grid") || r.contains("split"), "a refusal without its reason: {r}");
    }
    let patched = exports.iter().filter(|(_, _, e)| !e.report.stages.is_empty()).count();
    eprintln!(
        "{} models, {} exports, {patched} with patch stages, {} 2x2 refused",
        models.len(),
        exports.len(),
        refused.len()
    );
    assert!(models.len() >= 18 && patched >= 15, "{} models, {patched} patch exports", models.len());
    check_exports_bisecting(&models, true, exports, |_| true, Tails::ExactUnlessEstimated);
}
