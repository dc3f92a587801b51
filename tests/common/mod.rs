//! Shared test support: the TFLite writer and the TFLite Micro oracle.
#![allow(dead_code)]

pub mod gen;
pub mod writer;

use mcupatch::exec::{Config, Engine};
use mcupatch::model::{self, Graph};
use mcupatch::schedule::InputMode;
use mcupatch::schedule::Plan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The real MLTK models (from models/fetch) whose every op mcupatch runs.
pub const MLTK_MODELS: [&str; 15] = [
    "anomaly_detection",
    "audio_example1",
    "autoencoder_example",
    "fingerprint_signature_generator",
    "image_classification",
    "image_example1",
    "keyword_spotting",
    "keyword_spotting_alexa",
    "keyword_spotting_mobilenetv2",
    "keyword_spotting_on_off_v3",
    "keyword_spotting_pacman_v3",
    "keyword_spotting_with_transfer_learning",
    "rock_paper_scissors",
    "tflite_micro_magic_wand",
    "tflite_micro_speech",
];

/// One model and input to run in mcupatch and in TFLite Micro.
pub struct Case {
    pub name: String,
    pub model: Vec<u8>,
    /// The bytes mcupatch is fed (the int8 tensor, or the float input with `float_input`).
    pub input: Vec<u8>,
    /// The bytes TFLM's input 0 is fed.
    pub tflm_input: Vec<u8>,
    pub float_input: bool,
}

impl Case {
    /// A case whose input bytes TFLite Micro is fed as they are.
    pub fn same_input(name: String, model: Vec<u8>, input: Vec<u8>, float_input: bool) -> Case {
        Case { name, model, tflm_input: input.clone(), input, float_input }
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> String {
    std::env::var("MCUPATCH_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The oracle must be installed: `make test` installs it. A missing oracle fails the test
/// rather than skipping it, so a green run always means "compared with TFLM".
pub fn require_tflm() {
    let ok = Command::new(python()).args(["-c", "import tflite_micro"]).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "TFLite Micro's Python interpreter is missing: run `make test` (it installs tflite-micro)");
}

pub fn scratch_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("mcupatch-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A model whose one op (EXP) is outside mcupatch's set.
/// A generated conv whose output is a `[1, H, W, C]` map with H, W above 1 (what a U-Net or a
/// heat-map head gives): its bytes and the map's shape.
pub fn map_output_model(seed: u64) -> (Vec<u8>, [usize; 3]) {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    loop {
        let mut g = gen::Gen::new(&mut rng);
        let x = g.input(12, 3);
        let y = g.conv(x, false);
        // An image input (three channels) and a map out.
        if x.c == 3 && y.h > 1 && y.w > 1 {
            return (g.finish(y.t).0, [y.h, y.w, y.c]);
        }
    }
}

pub fn unsupported_model() -> Vec<u8> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut g = gen::Gen::new(&mut rng);
    let x = g.input(4, 2);
    let y = g.map("exp", x.h, x.w, x.c, x.scale, x.zp);
    g.spec.op(gen::EXP, vec![x.t], vec![y.t], None);
    g.finish(y.t).0
}

/// Runs a case in mcupatch; returns every tensor the run wrote and the op that wrote it.
pub fn run_ours(case: &Case) -> (Engine, BTreeMap<usize, Vec<u8>>) {
    let graph = model::load(&case.model).unwrap_or_else(|e| panic!("{}: load: {e}", case.name));
    let config = Config {
        capacity: 16 << 20,
        input: InputMode { float_input: case.float_input, ..Default::default() },
        ..Default::default()
    };
    let mut engine = Engine::new(graph, config).unwrap_or_else(|e| panic!("{}: prepare: {e}", case.name));
    let mut tensors = BTreeMap::new();
    engine
        .run_with(&case.input, |t, bytes| {
            tensors.insert(t, bytes.to_vec());
        })
        .unwrap_or_else(|e| panic!("{}: run: {e}", case.name));
    (engine, tensors)
}

/// Runs `graph` with `config` on `data`; returns the engine and every whole tensor the run
/// produced.
pub fn run_tensors(graph: &Graph, config: Config, data: &[u8]) -> (Engine, BTreeMap<usize, Vec<u8>>) {
    let what = format!("{:?}", config.schedule);
    let mut engine = Engine::new(graph.clone(), config).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut out = BTreeMap::new();
    engine.run_with(data, |t, bytes| drop(out.insert(t, bytes.to_vec()))).unwrap();
    (engine, out)
}

/// No two buffers alive at one step share a byte, but an in-place op's output and the
/// input it overwrites (pinned to the same offset) during that op.
pub fn assert_no_overlap(plan: &Plan, what: &str) {
    for step in 0..plan.steps.len() {
        let live: Vec<usize> = (0..plan.buffers.len())
            .filter(|&i| {
                let b = &plan.buffers[i];
                b.size > 0 && b.first <= step && step <= b.last
            })
            .collect();
        for (n, &i) in live.iter().enumerate() {
            for &j in &live[..n] {
                let (a, b) = (&plan.buffers[i], &plan.buffers[j]);
                if a.pinned == Some(j) || b.pinned == Some(i) {
                    assert_eq!(a.offset, b.offset, "{what}: in-place pair {i}, {j} apart");
                    continue;
                }
                assert!(
                    a.offset + a.size <= b.offset || b.offset + b.size <= a.offset,
                    "{what}: step {step}: buffers {i} {:?} and {j} {:?} overlap",
                    (a.offset, a.size),
                    (b.offset, b.size)
                );
            }
        }
    }
}

/// Runs the oracle on `jobs` (see tools/tflm_dump.py); returns whether it exited cleanly.
pub fn run_tflm(dir: &Path, jobs: &serde_json::Value) -> bool {
    let jobs_path = dir.join("jobs.json");
    std::fs::write(&jobs_path, serde_json::to_vec(jobs).unwrap()).unwrap();
    Command::new(python())
        .arg(root().join("tools/tflm_dump.py"))
        .arg(&jobs_path)
        .status()
        .expect("run tools/tflm_dump.py")
        .success()
}

/// Runs every job in one process; if that process dies (TFLM can segfault on a model it
/// accepted), reruns the jobs one by one so the crash is pinned on its case.
fn run_tflm_isolating_crashes(dir: &Path, jobs: &[serde_json::Value]) -> Vec<usize> {
    if run_tflm(dir, &serde_json::Value::Array(jobs.to_vec())) {
        return Vec::new();
    }
    let one = dir.join("one");
    std::fs::create_dir_all(&one).unwrap();
    (0..jobs.len()).filter(|&i| !run_tflm(&one, &serde_json::Value::Array(vec![jobs[i].clone()]))).collect()
}

/// Compares every intermediate tensor of every case with TFLite Micro's, naming the first
/// op that diverges in each failing case. Returns the number of tensors compared.
pub fn check_against_tflm(cases: &[Case]) -> usize {
    check_against_oracle(cases, false)
}

/// [`check_against_tflm`] against TensorFlow Lite's reference kernels, for ops TFLite Micro
/// does not have (TILE).
pub fn check_against_litert(cases: &[Case]) -> usize {
    check_against_oracle(cases, true)
}

fn check_against_oracle(cases: &[Case], litert: bool) -> usize {
    require_tflm();
    let oracle = if litert { "TensorFlow Lite" } else { "TFLite Micro" };
    let dir = scratch_dir("oracle");
    let mut ours = Vec::new();
    let mut jobs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let case_dir = dir.join(format!("case{i}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        std::fs::write(case_dir.join("model.tflite"), &case.model).unwrap();
        std::fs::write(case_dir.join("input.bin"), &case.tflm_input).unwrap();
        let (engine, mut tensors) = run_ours(case);
        // Tensors the loader made (a dilated conv's padding) have no TFLM counterpart.
        let file_tensors = model::schema::root(&case.model)
            .ok()
            .and_then(|m| m.subgraphs())
            .and_then(|s| s.iter().next())
            .and_then(|s| s.tensors())
            .map_or(0, |t| t.len());
        tensors.retain(|&t, _| t < file_tensors);
        jobs.push(serde_json::json!({
            "model": case_dir.join("model.tflite"),
            "input": case_dir.join("input.bin"),
            "out": case_dir.join("tflm"),
            "tensors": tensors.keys().collect::<Vec<_>>(),
            "litert": litert,
        }));
        ours.push((case_dir, engine, tensors));
    }
    let crashed = run_tflm_isolating_crashes(&dir, &jobs);

    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, (case, (case_dir, engine, tensors))) in cases.iter().zip(&ours).enumerate() {
        if crashed.contains(&i) {
            failures.push(format!("{}: {oracle}'s interpreter crashed on this model", case.name));
            continue;
        }
        if let Ok(err) = std::fs::read_to_string(case_dir.join("tflm/error.txt")) {
            failures.push(format!("{}: {oracle} could not run the model: {}", case.name, err.trim()));
            continue;
        }
        // Walk the ops in execution order so the first divergence is reported.
        let mut order: Vec<(Option<usize>, usize)> = vec![(None, engine.plan.input)];
        order.extend(engine.plan.steps.iter().map(|s| (Some(s.op), engine.graph.ops[s.op].outputs[0])));
        for (op, t) in order {
            let Some(mine) = tensors.get(&t) else { continue };
            let theirs = std::fs::read(case_dir.join(format!("tflm/t{t}.bin"))).unwrap_or_default();
            compared += 1;
            if *mine != theirs {
                let differing = mine.iter().zip(&theirs).filter(|(a, b)| a != b).count();
                let first = mine.iter().zip(&theirs).position(|(a, b)| a != b);
                let at = match op {
                    Some(i) => format!("op {i} ({})", engine.graph.ops[i].kind.name()),
                    None => "the input".into(),
                };
                failures.push(format!(
                    "{}: first divergence at {at}, tensor {t} ('{}'): {differing} of {} bytes differ ({oracle} has {} bytes), first at byte {first:?}",
                    case.name,
                    engine.graph.tensors[t].name,
                    mine.len(),
                    theirs.len()
                ));
                break;
            }
        }
    }
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from {oracle} (files kept in {}):\n{}",
        failures.len(),
        cases.len(),
        dir.display(),
        failures.join("\n")
    );
    compared
}
