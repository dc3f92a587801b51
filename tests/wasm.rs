#![cfg(target_arch = "wasm32")]
//! The wasm facade in a real browser (wasm-bindgen-test, headless Chromium): models in,
//! JSON plans and typed arrays out, every error a JsError.

use mcupatch::wasm::Demo;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VWW: &[u8] = include_bytes!("../models/visual_wake_words.tflite");

fn plan(demo: &mut Demo, settings: &str) -> serde_json::Value {
    serde_json::from_str(&demo.configure(settings).unwrap_or_else(|_| panic!("configure {settings}"))).unwrap()
}

#[wasm_bindgen_test]
fn vww_plans_and_runs_a_frame() {
    let mut demo = Demo::new(VWW).unwrap();
    let lbl = plan(&mut demo, r#"{"sram": 262144}"#);
    assert_eq!(lbl["patched"]["peak"]["bytes"], 55_296);
    let patched =
        plan(&mut demo, r#"{"sram": 20480, "patch": "3x3", "streamed_input": true, "in_place_depthwise": true}"#);
    assert_eq!(patched["patched"]["peak"]["bytes"], 18_432);
    assert_eq!(patched["fits"], true);
    assert_eq!(patched["patches"].as_array().unwrap().len(), 9);
    assert!(patched["trace"].as_array().unwrap().len() > 9 * 8);
    // A grey 64×48 frame: scores come back as a Float32Array of two probabilities.
    let frame = vec![128u8; 64 * 48 * 4];
    let scores = demo.run_rgba(&frame, 64, 48).unwrap();
    assert_eq!(scores.len(), 2);
    assert!((scores.iter().sum::<f32>() - 1.0).abs() < 0.02);
    assert!(["person", "no person"].contains(&demo.label().as_str()));
    assert_eq!(demo.output_int8().len(), 2);
    assert_eq!(demo.input_bytes().len(), 96 * 96 * 3);
}

#[wasm_bindgen_test]
fn layer_by_layer_and_patches_agree_in_the_browser() {
    let mut demo = Demo::new(VWW).unwrap();
    let frame: Vec<u8> = (0..80 * 60 * 4).map(|i| (i * 37 % 251) as u8).collect();
    plan(&mut demo, r#"{"sram": 262144}"#);
    demo.run_rgba(&frame, 80, 60).unwrap();
    let whole = demo.output_int8();
    plan(
        &mut demo,
        r#"{"sram": 16384, "patch": "4x4", "streamed_input": true, "in_place_depthwise": true, "in_place_pointwise": true, "in_place_add": true}"#,
    );
    demo.run_rgba(&frame, 80, 60).unwrap();
    assert_eq!(demo.output_int8(), whole);
}

#[wasm_bindgen_test]
fn bad_input_is_a_js_error_not_a_panic() {
    assert!(Demo::new(b"definitely not a model").is_err());
    assert!(Demo::new(&VWW[..1000]).is_err());
    assert!(Demo::zoo("resnet", 1.0, 224).is_err());
    let mut demo = Demo::new(VWW).unwrap();
    assert!(demo.run_rgba(&[0; 16], 2, 2).is_err(), "no plan yet");
    assert!(demo.configure("{not json").is_err());
    assert!(demo.configure(r#"{"patch": "3by3"}"#).is_err());
    assert!(demo.configure(r#"{"patch": "2x2", "split": "nope"}"#).is_err());
    plan(&mut demo, r#"{"sram": 262144}"#);
    assert!(demo.run_rgba(&[0; 15], 2, 2).is_err(), "a short frame");
}

#[wasm_bindgen_test]
fn zoo_models_plan_in_the_browser() {
    let mut demo = Demo::zoo("mbv1", 0.25, 96).unwrap();
    let splits: serde_json::Value = serde_json::from_str(&demo.splits().unwrap()).unwrap();
    let split = splits.as_array().unwrap().iter().find(|s| s["shape"][1] == 12).unwrap()["tensor"].as_u64().unwrap();
    let summary =
        plan(&mut demo, &format!(r#"{{"sram": 65536, "patch": "3x3", "split": "t{split}", "streamed_input": true}}"#));
    let (lbl, patched) = (&summary["layer_by_layer"]["peak"]["bytes"], &summary["patched"]["peak"]["bytes"]);
    assert!(patched.as_u64() < lbl.as_u64(), "{patched} vs {lbl}");
    assert!(summary["blocks"].as_array().unwrap().iter().any(|b| b["block"] == "block1"));
}
