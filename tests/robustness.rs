#![cfg(not(target_arch = "wasm32"))]
//! Bad input gets a clear error, never a panic: mutated, truncated and random model bytes,
//! unsupported ops, inputs of the wrong size, undecodable images, arenas too small.

mod common;

use common::gen::Gen;
use common::root;
use mcupatch::exec::{Config, Engine};
use mcupatch::schedule::InputMode;
use mcupatch::{model, preprocess, Error};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn vww_bytes() -> Vec<u8> {
    std::fs::read(root().join("models/visual_wake_words.tflite")).expect("run models/fetch")
}

/// A small generated CNN: conv, depthwise, pool, add, mean, fully connected, softmax.
fn small_model() -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut g = Gen::new(&mut rng);
    let x = g.input(10, 3);
    let x = g.conv(x, false);
    let x = g.conv(x, true);
    let x = g.residual_add(x);
    let x = g.pool(x, false);
    let (m, c, s) = g.mean(x);
    let (logits, units, _) = g.fully_connected(m, 1, c, s);
    let probs = g.softmax(logits, vec![1, units]);
    g.finish(probs).0
}

/// Loads, prepares and runs whatever the bytes describe (and with `plan`, plans every patch
/// schedule of it first); only errors may come back.
fn load_prepare_run(bytes: &[u8], capacity: usize, plan: bool) -> Result<(), Error> {
    let graph = model::load(bytes)?;
    if let (true, Ok(kernels)) = (plan, mcupatch::kernels::Kernel::prepare_all(&graph)) {
        let in_place = mcupatch::schedule::InPlace { depthwise: true, pointwise: true, add: true };
        mcupatch::schedule::search::explore(&graph, &kernels, InputMode::default(), in_place)?;
    }
    let mut engine = Engine::new(graph, Config { capacity, input: InputMode::default(), ..Default::default() })?;
    let input = vec![0u8; engine.input_tensor().bytes()];
    engine.run(&input)?;
    Ok(())
}

/// A fixed seed keeps CI deterministic; set PROPTEST_RNG_SEED=random (or a number) to
/// explore other mutations locally.
fn config() -> ProptestConfig {
    let seed = match std::env::var("PROPTEST_RNG_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse().expect("PROPTEST_RNG_SEED is a number or 'random'")),
        None => RngSeed::Fixed(0x6d63_7570),
    };
    ProptestConfig { rng_seed: seed, failure_persistence: None, ..ProptestConfig::default() }
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(at, value) in edits {
        let n = bytes.len();
        bytes[at % n] = value;
    }
    if let Some(cut) = cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..config() })]

    #[test]
    fn mutated_small_models_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..12), cut in prop::option::weighted(0.2, any::<usize>())) {
        let _ = load_prepare_run(&mutate(small_model(), &edits, cut), 1 << 20, true);
    }

    #[test]
    fn random_bytes_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(model::load(&bytes).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..config() })]

    /// Edits land in the header, tables and vectors of the real model (its first 4 KiB and
    /// the flatbuffer's tail, where the schema's tables sit) as well as in weights.
    #[test]
    fn mutated_vww_never_panics(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6), near_tables in any::<bool>()) {
        let mut bytes = vww_bytes();
        let n = bytes.len();
        let edits: Vec<(usize, u8)> =
            edits.into_iter().map(|(at, v)| (if near_tables { if at % 2 == 0 { at % 4096 } else { n - 1 - at % 8192 } } else { at }, v)).collect();
        bytes = mutate(bytes, &edits, None);
        let _ = load_prepare_run(&bytes, 256 * 1024, false);
    }
}

#[test]
fn truncated_vww_is_refused_with_a_clear_error() {
    let bytes = vww_bytes();
    let mut lengths: Vec<usize> = (0..64).collect();
    lengths.extend((1..200).map(|i| i * bytes.len() / 200));
    for len in lengths {
        let err = load_prepare_run(&bytes[..len], 256 * 1024, false).expect_err("a truncated model must be refused");
        let text = err.to_string();
        assert!(!text.is_empty() && text.len() < 400, "{len}: unclear error: {text}");
    }
}

#[test]
fn unsupported_op_is_named() {
    // A model with one EXP (builtin 47), which mcupatch does not support.
    let err = model::load(&common::unsupported_model())
        .and_then(|g| Engine::new(g, Config { capacity: 1 << 20, input: InputMode::default(), ..Default::default() }));
    let text = err.err().expect("EXP is refused").to_string();
    assert!(text.contains("op 0") && text.contains("EXP") && text.contains("unsupported"), "{text}");
}

#[test]
fn arena_too_small_names_op_and_bytes() {
    let graph = model::load(&vww_bytes()).unwrap();
    let err = Engine::new(graph, Config { capacity: 32 * 1024, input: InputMode::default(), ..Default::default() })
        .err()
        .expect("too small");
    let text = err.to_string();
    assert!(text.contains("needs") && text.contains("32768") && text.contains("op "), "{text}");
}

#[test]
fn wrong_input_size_and_bad_images_are_errors() {
    let graph = model::load(&vww_bytes()).unwrap();
    let mut engine =
        Engine::new(graph, Config { capacity: 256 * 1024, input: InputMode::default(), ..Default::default() }).unwrap();
    let err = engine.run(&[0u8; 100]).expect_err("100 bytes is not a 96×96×3 input");
    assert!(err.to_string().contains("27648"), "{err}");
    assert!(preprocess::decode(b"not an image").is_err());
    assert!(preprocess::decode(&[0x89, b'P', b'N', b'G', 0, 0]).is_err());
}

/// Found by the property test: a zero point outside int8 made the activation clamp's
/// bounds cross (min 128 > max 127) and panic.
#[test]
fn zero_point_outside_int8_is_refused() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut g = Gen::new(&mut rng);
    let x = g.input(6, 2);
    let y = g.conv(x, false);
    g.spec.tensors[y.t as usize].zero_points = vec![200];
    let (bytes, _) = g.finish(y.t);
    let err = load_prepare_run(&bytes, 1 << 20, true).expect_err("zero point 200 is refused");
    assert!(err.to_string().contains("zero point 200"), "{err}");
}

/// The planner and the comparison on degenerate but valid models: a lone float QUANTIZE
/// (nothing left to run once the camera delivers int8) and a lone convolution.
#[test]
fn planner_handles_tiny_models() {
    use mcupatch::kernels::Kernel;
    use mcupatch::schedule::{search, InPlace, InputMode, Schedule};
    let mut rng = StdRng::seed_from_u64(11);
    let mut g = Gen::new(&mut rng);
    let x = g.float_input(5, 2);
    let (quantize_only, _) = g.finish(x.t);
    let mut rng = StdRng::seed_from_u64(12);
    let mut g = Gen::new(&mut rng);
    let x = g.input(5, 2);
    let y = g.conv(x, false);
    let (conv_only, _) = g.finish(y.t);
    for bytes in [quantize_only, conv_only] {
        let graph = model::load(&bytes).unwrap();
        let kernels = Kernel::prepare_all(&graph).unwrap();
        let all = search::explore(&graph, &kernels, InputMode::default(), InPlace::default()).unwrap();
        assert!(!all.is_empty());
        let c =
            mcupatch::schedule::measure::compare(&graph, &kernels, &Schedule::default(), InputMode::default(), |op| {
                op.to_string()
            });
        assert!(c.is_ok());
    }
}
