#![cfg(not(target_arch = "wasm32"))]
//! `mcupatch export` against TFLite Micro: the exported model runs in stock TFLM (its Python
//! interpreter) with the same outputs as the original, in an arena whose head is mcupatch's
//! layer-by-layer peak — never more than TFLM's own plan needs.

mod common;

use common::gen::Gen;
use common::{python, require_tflm, root, scratch_dir, MLTK_MODELS};
use mcupatch::export::{self, PLANNED_ONLINE};
use mcupatch::model::{self, schema, DType};
use mcupatch::preprocess;
use mcupatch::session::{Export, Session, Settings, METADATA_NAME};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::Command;

/// `bytes` with its layer-by-layer plan written in, through the session as every face does.
fn with_plan(bytes: &[u8]) -> mcupatch::Result<Export> {
    Session::from_tflite(bytes)?.export()
}

/// What TFLite Micro reported for one model and input.
struct Measured {
    /// The head of its arena: the section its memory planner lays tensors out in.
    head: usize,
    /// Every output's bytes.
    outputs: Vec<Vec<u8>>,
}

/// Runs tools/tflm_offline.py on `jobs` in `dir`.
fn run_helper(dir: &Path, jobs: &serde_json::Value) {
    require_tflm();
    let path = dir.join("jobs.json");
    std::fs::write(&path, serde_json::to_vec(jobs).unwrap()).unwrap();
    let status = Command::new(python()).arg(root().join("tools/tflm_offline.py")).arg(&path).status();
    assert!(status.expect("run tools/tflm_offline.py").success(), "tools/tflm_offline.py failed");
}

/// Runs each (name, model, input) in TFLite Micro, one interpreter per run.
fn tflm(runs: &[(String, Vec<u8>, Vec<u8>)]) -> Vec<Measured> {
    let dir = scratch_dir("export");
    let mut jobs = Vec::new();
    for (i, (_, bytes, input)) in runs.iter().enumerate() {
        let (model, data) = (dir.join(format!("m{i}.tflite")), dir.join(format!("in{i}.bin")));
        std::fs::write(&model, bytes).unwrap();
        std::fs::write(&data, input).unwrap();
        let outputs = model::load(bytes).unwrap().outputs.len();
        jobs.push(
            serde_json::json!({"model": model, "input": data, "outputs": outputs, "out": dir.join(format!("r{i}"))}),
        );
    }
    run_helper(&dir, &serde_json::Value::Array(jobs));
    let measured = runs
        .iter()
        .enumerate()
        .map(|(i, (name, bytes, _))| {
            let out = dir.join(format!("r{i}"));
            if let Ok(err) = std::fs::read_to_string(out.join("error.txt")) {
                panic!("{name}: TFLite Micro could not run it: {}", err.trim());
            }
            let arena: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("arena.json")).unwrap()).unwrap();
            let outputs = model::load(bytes).unwrap().outputs.len();
            Measured {
                head: arena["head"].as_u64().expect("arena head") as usize,
                outputs: (0..outputs).map(|o| std::fs::read(out.join(format!("o{o}.bin"))).unwrap()).collect(),
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    measured
}

/// One model run before and after export, in TFLite Micro.
struct Row {
    name: String,
    tflm_head: usize,
    exported_head: usize,
    report: export::ExportReport,
    outputs: Vec<Vec<u8>>,
}

/// Exports every (name, model, input), runs the original and the exported model in TFLite
/// Micro and checks that they give the same outputs, and that TFLM places the offline
/// plan's tensors where the report says (its head is at least the plan's).
fn before_and_after(cases: Vec<(String, Vec<u8>, Vec<u8>)>) -> Vec<Row> {
    let exports: Vec<_> = cases
        .iter()
        .map(|(name, bytes, _)| with_plan(bytes).unwrap_or_else(|e| panic!("{name}: export: {e}")))
        .collect();
    let mut runs = Vec::new();
    for ((name, bytes, input), exported) in cases.iter().zip(&exports) {
        runs.push((name.clone(), bytes.clone(), input.clone()));
        runs.push((format!("{name} exported"), exported.model.clone(), input.clone()));
    }
    let measured = tflm(&runs);
    let rows: Vec<Row> = measured
        .chunks(2)
        .zip(cases.iter().zip(exports))
        .map(|(pair, ((name, ..), exported))| {
            let [before, after] = pair else { unreachable!() };
            assert_eq!(after.outputs, before.outputs, "{name}: the exported model's outputs differ");
            assert!(
                after.head >= exported.report.tflm_head_bytes,
                "{name}: TFLM's head {} B is below the offline plan's {} B: the plan was not used",
                after.head,
                exported.report.tflm_head_bytes
            );
            Row {
                name: name.clone(),
                tflm_head: before.head,
                exported_head: after.head,
                report: exported.report,
                outputs: after.outputs.clone(),
            }
        })
        .collect();
    for r in &rows {
        eprintln!("{}: TFLM arena head {} B, exported {} B", r.name, r.tflm_head, r.exported_head);
    }
    rows
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

#[test]
fn exported_vww_runs_in_tflite_micro_in_the_layer_by_layer_peak() {
    let original = read("models/visual_wake_words.tflite");
    let stripped = without_input_quantize(&["models/visual_wake_words.tflite".into()]).remove(0);
    let photos = [("astronaut.png", true), ("chelsea.png", false)];
    let mut cases = Vec::new();
    for (photo, _) in photos {
        let image = preprocess::decode(&read(&format!("data/images/{photo}"))).unwrap();
        let mut session = Session::from_tflite(&stripped).unwrap();
        cases.push((format!("VWW int8 input, {photo}"), stripped.clone(), session.image_input(&image).unwrap()));
        let pixels = preprocess::fit(&image, 96, 96).into_raw();
        let floats = pixels.iter().flat_map(|&p| f32::from(p).to_le_bytes()).collect();
        cases.push((format!("VWW float input, {photo}"), original.clone(), floats));
    }
    let rows = before_and_after(cases);
    // mcupatch's own layer-by-layer peak of the original model, as `mcupatch plan` reports it.
    let mut session = Session::from_tflite(&original).unwrap();
    let int8_peak = session.plan(&Settings::default()).unwrap().layer_by_layer.peak.bytes;
    let float_peak =
        session.plan(&Settings { float_input: true, ..Settings::default() }).unwrap().layer_by_layer.peak.bytes;
    assert_eq!((int8_peak, float_peak), (55_296, 138_240));
    for (row, (_, person)) in rows.chunks(2).zip(photos) {
        let [int8, float] = row else { unreachable!() };
        // TFLM's own planner: 73 728 B with int8 input; the exported plan: mcupatch's peak.
        assert_eq!((int8.tflm_head, int8.report.peak_bytes, int8.exported_head), (73_728, int8_peak, int8_peak));
        assert_eq!((float.tflm_head, float.report.peak_bytes, float.exported_head), (138_240, float_peak, float_peak));
        assert!(!int8.report.float_input && float.report.float_input);
        for r in [int8, float] {
            let s = scores(&r.outputs);
            assert_eq!(s[0] > s[1], person, "{}: scores {s:?}", r.name);
        }
    }
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
fn exported_plans_never_need_more_than_tflite_micro() {
    let rows = before_and_after(generated_cases().into_iter().chain(mltk_cases()).collect());
    let mut smaller = 0;
    for r in &rows {
        assert!(
            r.exported_head <= r.tflm_head,
            "{}: exported {} B > TFLM's {} B",
            r.name,
            r.exported_head,
            r.tflm_head
        );
        smaller += usize::from(r.exported_head < r.tflm_head);
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
        assert!(Session::from_tflite(&bytes[..cut]).and_then(|s| s.export()).is_err(), "cut at {cut}");
    }
    let err = Session::from_tflite(&common::unsupported_model()).and_then(|s| s.export()).unwrap_err().to_string();
    assert!(err.contains("unsupported"), "{err}");
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
    assert_eq!((report["peak_bytes"].as_u64(), report["float_input"].as_bool()), (Some(138_240), Some(true)));
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, with_plan(&read("models/visual_wake_words.tflite")).unwrap().model);
    let text = run(&["export", "models/visual_wake_words.tflite", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("arena head 138240 B"));
    let missing = run(&["export", "models/none.tflite", out.to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: cannot read models/none.tflite"));
    let _ = std::fs::remove_dir_all(&dir);
}
