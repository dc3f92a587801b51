#![cfg(target_arch = "wasm32")]
//! Where VWW's time goes per op kind in WebAssembly (simd128, headless Chromium through
//! wasm-bindgen-test): the same configurations and split as `make bench` prints natively
//! (benches/inference.rs), so the two can be read side by side. `make bench-wasm` runs it
//! after benches/wasm.mjs. Prints; asserts nothing.

#[path = "common/split.rs"]
mod split;

use mcupatch::exec::{Config, Engine};
use mcupatch::model;
use mcupatch::schedule::{InPlace, InputMode, Schedule};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VWW: &[u8] = include_bytes!("../models/visual_wake_words.tflite");
const RUNS: usize = 200;
/// Untimed inferences before each engine is timed.
const WARM_UP: usize = RUNS;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// The mean of the middle half: a browser's clock is coarse (5 µs even when cross-origin
/// isolated), which biases a median of short steps, and a plain mean takes in every time the
/// shared machine preempted the page.
fn interquartile_mean(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
    middle.iter().sum::<f64>() / middle.len() as f64
}

#[wasm_bindgen_test]
fn vww_time_per_op_kind() {
    let graph = model::load(VWW).expect("VWW loads");
    let engine =
        |input, schedule| Engine::new(graph.clone(), Config { capacity: 16 << 20, input, schedule }).expect("plans");
    let in_place = InPlace { depthwise: true, ..InPlace::default() };
    let mut configs = vec![
        ("layer by layer".to_string(), engine(InputMode::default(), Schedule::default())),
        (
            "layer by layer, in-place dw".to_string(),
            engine(InputMode::default(), Schedule { in_place, ..Schedule::default() }),
        ),
    ];
    for (what, c) in split::plans(&graph) {
        let grid: Vec<String> = c.schedule.stages.iter().map(|s| format!("{}x{}", s.rows, s.cols)).collect();
        let streamed = InputMode { streamed: true, ..Default::default() };
        configs.push((format!("{what} {}, in-place dw", grid.join("+")), engine(streamed, c.schedule)));
    }
    let mut rows: Vec<(String, BTreeMap<&str, f64>)> = Vec::new();
    for (label, mut e) in configs {
        // The int8 pixels the planned input takes (the model's own input is float).
        let input: Vec<u8> = (0..e.input_tensor().bytes()).map(|i| (i * 37 % 251) as u8).collect();
        // Untimed runs first: V8 swaps its baseline code for optimized code while it runs,
        // which otherwise lands in the first engine's timings (1.05 and 0.83 against 0.50 ms;
        // 50 runs were not always enough).
        for _ in 0..WARM_UP {
            e.run(&input).expect("runs");
        }
        let ops = split::per_op(&mut e, &input, RUNS, now, interquartile_mean);
        rows.push((label, split::per_op_kind(&e, &ops)));
    }
    let kinds: std::collections::BTreeSet<&str> = rows.iter().flat_map(|(_, s)| s.keys().copied()).collect();
    let isolated = js_sys_isolated();
    console_log!(
        "VWW in wasm, time per op kind, ms (sum of per-step interquartile means of {RUNS} runs; clock {isolated}):"
    );
    let mut header = format!("    {:32}", "");
    for k in &kinds {
        header += &format!(" {k:>14.14}");
    }
    console_log!("{header} {:>8}", "total");
    for (label, s) in &rows {
        let mut line = format!("    {label:32.32}");
        for k in &kinds {
            line += &format!(" {:>14.3}", s.get(k).copied().unwrap_or(0.0));
        }
        console_log!("{line} {:>8.3}", s.values().sum::<f64>());
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = crossOriginIsolated)]
    static CROSS_ORIGIN_ISOLATED: Option<bool>;
}

/// How fine the browser's clock is.
fn js_sys_isolated() -> &'static str {
    if CROSS_ORIGIN_ISOLATED.with(|v| v.unwrap_or(false)) {
        "cross-origin isolated, 5 µs"
    } else {
        "not isolated, 100 µs"
    }
}
