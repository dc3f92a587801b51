#![cfg(target_arch = "wasm32")]
//! The wasm facade in a real browser (wasm-bindgen-test, headless Chromium): models in,
//! the session's report JSON and typed arrays out, every error a JsError.

use mcupatch::wasm::{catalog, feasibility, Session};
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VWW: &[u8] = include_bytes!("../models/visual_wake_words.tflite");

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn plan(session: &mut Session, settings: &str) -> Value {
    parse(&session.plan(settings).unwrap_or_else(|_| panic!("plan {settings}")))
}

#[wasm_bindgen_test]
fn the_catalog_lists_mcus_grids_and_architectures() {
    let c = parse(&catalog().unwrap());
    let mcus = c["mcus"].as_array().unwrap();
    assert!(mcus.iter().any(|m| m["name"] == "stm32f412" && m["sram"] == 256 * 1024 && m["flash"] == 1024 * 1024));
    assert_eq!(c["max_grid"], 8);
    assert!(c["architectures"].as_array().unwrap().iter().any(|a| a == "mbv2"));
}

#[wasm_bindgen_test]
fn vww_plans_and_runs_a_frame() {
    let mut session = Session::new(VWW).unwrap();
    let model = parse(&session.model().unwrap());
    assert_eq!(model["classifies_images"], true);
    assert_eq!(model["input"]["shape"], serde_json::json!([1, 96, 96, 3]));
    assert!(!model["splits"].as_array().unwrap().is_empty());
    let lbl = plan(&mut session, r#"{"sram": 262144}"#);
    assert_eq!(lbl["patched"]["peak"]["bytes"], 55_296);
    assert_eq!(lbl["schedule"]["stages"].as_array().unwrap().len(), 0);
    // What a run fills: the camera's int8 pixels, with the quantization the page decodes them by.
    assert_eq!(lbl["input"]["dtype"], "int8");
    assert!(lbl["input"]["quant"]["scale"].as_f64().unwrap() > 0.0);
    let patched =
        plan(&mut session, r#"{"sram": 20480, "patch": ["3x3"], "streamed_input": true, "in_place_depthwise": true}"#);
    assert_eq!(patched["patched"]["peak"]["bytes"], 18_432);
    assert_eq!(patched["board"]["fits_sram"], true);
    assert_eq!(patched["patches"].as_array().unwrap().len(), 9);
    assert!(patched["patched"]["steps"].as_array().unwrap().len() > 9 * 8);
    // A grey 64×48 frame: two probabilities, a label, the input as the network saw it.
    let frame = vec![128u8; 64 * 48 * 4];
    let run = parse(&session.run_rgba(&frame, 64, 48).unwrap());
    let scores: Vec<f64> = run["scores"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).collect();
    assert_eq!(scores.len(), 2);
    assert!((scores.iter().sum::<f64>() - 1.0).abs() < 0.02);
    assert!(["person", "non person"].contains(&run["label"].as_str().unwrap()));
    assert_eq!(run["outputs"][0]["int8"].as_array().unwrap().len(), 2);
    assert_eq!(session.last_input().len(), 96 * 96 * 3);
}

#[wasm_bindgen_test]
fn layer_by_layer_and_patches_agree_in_the_browser() {
    let mut session = Session::new(VWW).unwrap();
    let frame: Vec<u8> = (0..80 * 60 * 4).map(|i| (i * 37 % 251) as u8).collect();
    plan(&mut session, r#"{"sram": 262144}"#);
    let whole = parse(&session.run_rgba(&frame, 80, 60).unwrap());
    let input = session.last_input();
    plan(
        &mut session,
        r#"{"sram": 16384, "patch": ["4x4"], "streamed_input": true, "in_place_depthwise": true, "in_place_pointwise": true, "in_place_add": true}"#,
    );
    let patched = parse(&session.run_input(&input).unwrap());
    assert_eq!(patched["outputs"], whole["outputs"]);
}

#[wasm_bindgen_test]
fn conflicting_settings_are_resolved_and_explained() {
    let mut session = Session::new(VWW).unwrap();
    let split = parse(&session.model().unwrap())["splits"][0]["tensor"].as_u64().unwrap();
    let ignored = plan(&mut session, &format!(r#"{{"split": ["t{split}"]}}"#));
    assert_eq!(ignored["schedule"]["stages"].as_array().unwrap().len(), 0);
    assert!(!ignored["notes"].as_array().unwrap().is_empty());
    let auto_at = plan(&mut session, &format!(r#"{{"sram": 20480, "patch": ["auto"], "split": ["t{split}"]}}"#));
    assert_eq!(auto_at["schedule"]["stages"][0]["split"]["index"], split);
}

#[wasm_bindgen_test]
fn bad_input_is_a_js_error_not_a_panic() {
    assert!(Session::new(b"definitely not a model").is_err());
    assert!(Session::new(&VWW[..1000]).is_err());
    assert!(Session::zoo("resnet", 1.0, 224).is_err());
    let mut session = Session::new(VWW).unwrap();
    assert!(session.plan("{not json").is_err());
    assert!(session.plan(r#"{"patch": ["3by3"]}"#).is_err());
    assert!(session.plan(r#"{"patch": ["2x2"], "split": ["nope"]}"#).is_err());
    assert!(session.plan(r#"{"unknown_field": 1}"#).is_err());
    plan(&mut session, r#"{"sram": 262144}"#);
    assert!(session.run_rgba(&[0; 15], 2, 2).is_err(), "a short frame");
    assert!(session.run_input(&[0; 7]).is_err(), "a short input");
}

#[wasm_bindgen_test]
fn zoo_models_plan_in_the_browser() {
    let mut session = Session::zoo("mbv1", 0.25, 96).unwrap();
    let model = parse(&session.model().unwrap());
    assert_eq!(model["classifies_images"], false);
    let suggested = serde_json::to_string(&model["suggested"]).unwrap();
    let report = plan(&mut session, &suggested);
    let (lbl, patched) = (&report["layer_by_layer"]["peak"]["bytes"], &report["patched"]["peak"]["bytes"]);
    assert!(patched.as_u64() < lbl.as_u64(), "{patched} vs {lbl}");
    assert!(report["blocks"].as_array().unwrap().iter().any(|b| b["block"] == "block1"));
}

#[wasm_bindgen_test]
fn the_page_explanations_come_from_the_session() {
    let mut session = Session::new(VWW).unwrap();
    let report =
        plan(&mut session, r#"{"sram": 20480, "patch": ["3x3"], "streamed_input": true, "in_place_depthwise": true}"#);
    let frame: Vec<u8> = (0..96 * 96 * 4).map(|i| (i * 53 % 241) as u8).collect();
    session.run_rgba(&frame, 96, 96).unwrap();
    let exact = parse(&session.check_exact().unwrap());
    assert_eq!(exact["equal"], true);
    assert!(exact["bytes"].as_u64().unwrap() > 0);
    // Without halos the split tensor goes wrong; layer by layer is the plan's own reference.
    let broken = parse(&session.break_halos().unwrap());
    assert!(broken["differing_bytes"].as_u64().unwrap() > 0);
    assert_eq!(
        broken["layer_by_layer"]["outputs"],
        parse(&session.run_input(&session.last_input()).unwrap())["outputs"]
    );
    let sweep = parse(&session.sweep().unwrap());
    assert_eq!((sweep["rows"].as_u64(), sweep["cols"].as_u64()), (Some(3), Some(3)));
    assert!(sweep["grids"].as_array().unwrap().iter().any(|c| c["peak_bytes"] == 18_432));
    let heat = parse(&session.heat().unwrap());
    let extra = report["patched"]["macs"].as_u64().unwrap() - report["layer_by_layer"]["macs"].as_u64().unwrap();
    let (stage, lbl) = (heat["stage_macs"].as_u64().unwrap(), heat["stage_macs_layer_by_layer"].as_u64().unwrap());
    assert_eq!(stage - lbl, extra);
    let map = parse(
        &feasibility("mbv2", "[0.35]", "[96, 160]", r#"{"mcu": "stm32h743", "in_place_depthwise": true}"#).unwrap(),
    );
    assert_eq!(map["cells"].as_array().unwrap().len(), 2);
    assert!(feasibility("mbv2", "[0.35", "[96]", "{}").is_err());
    // Layer by layer has nothing to sweep or break.
    plan(&mut session, r#"{"sram": 262144}"#);
    assert!(session.sweep().is_err());
    assert!(session.break_halos().is_err());
}

/// The page's "Download for TFLite Micro": the same export the CLI writes, in the browser.
#[wasm_bindgen_test]
fn vww_exports_for_tflite_micro_in_the_browser() {
    let mut session = Session::new(VWW).unwrap();
    let model = session.export(r#"{"patch": ["auto"]}"#).unwrap();
    let library = mcupatch::session::Session::from_tflite(VWW)
        .unwrap()
        .export(&mcupatch::session::Settings { patch: vec!["auto".into()], ..Default::default() })
        .unwrap();
    assert_eq!(model, library.model, "the facade exports what the library does");
    let report = parse(&session.export_json().unwrap());
    assert_eq!(report["arena"]["total_bytes"], library.report.arena.total_bytes);
    // VWW's file takes a float frame, whose QUANTIZE no patch plan gets past: never more
    // arena than layer by layer (the int8-input gains are tests/export.rs's).
    let total = |figures: &Value| figures["total_bytes"].as_u64().unwrap();
    assert!(total(&report["arena"]) <= total(&report["layer_by_layer"]));
    assert!(session.export(r#"{"sram": -1}"#).is_err());
}
