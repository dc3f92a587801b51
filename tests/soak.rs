#![cfg(not(target_arch = "wasm32"))]
//! The library in a long loop — load, plan (settings changing every few rounds), run — must
//! hold its memory flat. Minutes long, so not part of `make test`: `make soak`
//! (SOAK_ROUNDS sets the length).

mod common;

use mcupatch::exec::{Config, Engine};
use mcupatch::kernels::Kernel;
use mcupatch::model;
use mcupatch::schedule::search::{self, PatchRequest};
use mcupatch::schedule::{InPlace, InputMode};
use std::sync::Arc;

/// Resident set size in KiB (Linux).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("statm's resident field");
    pages * 4
}

#[test]
#[ignore = "minutes long: make soak"]
fn library_memory_stays_flat_over_a_long_loop() {
    let rounds: usize = std::env::var("SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let bytes = std::fs::read(common::root().join("models/visual_wake_words.tflite")).expect("run models/fetch");
    let settings = |round: usize| {
        let bit = |i: usize| (round / 50) >> i & 1 == 1;
        let in_place = InPlace { depthwise: bit(0), pointwise: bit(1), add: bit(2) };
        let input = InputMode { float_input: false, streamed: bit(3) };
        let request = if bit(4) || input.streamed {
            PatchRequest::Auto { multi_stage: false }
        } else {
            PatchRequest::LayerByLayer
        };
        (in_place, input, request)
    };
    let mut samples = Vec::new();
    let start = std::time::Instant::now();
    for round in 0..rounds {
        let graph = Arc::new(model::load(&bytes).unwrap());
        let kernels: Arc<[Kernel]> = Kernel::prepare_all(&graph).unwrap().into();
        let (in_place, input, request) = settings(round);
        let schedule = search::resolve(&graph, &kernels, &request, input, in_place, 256 * 1024).unwrap();
        let plan = mcupatch::schedule::plan(&graph, &kernels, &schedule, input).unwrap();
        let config = Config { capacity: 512 * 1024, input, schedule };
        let mut engine = Engine::with_plan(graph, kernels, plan, config).unwrap();
        let frame: Vec<u8> = (0..engine.input_tensor().bytes()).map(|i| (i * 7 + round) as u8).collect();
        for _ in 0..5 {
            engine.run(&frame).unwrap();
        }
        let _ = engine.trace();
        if round % (rounds / 20).max(1) == 0 {
            samples.push((round, rss_kib()));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("soak: {rounds} rounds (load, plan, 5 runs each) in {secs:.0} s; RSS KiB by round: {samples:?}");
    // After the first rounds warm the allocator, RSS may wander by allocator noise only.
    let settled: Vec<u64> = samples.iter().skip(samples.len() / 4).map(|&(_, r)| r).collect();
    let (lo, hi) = (settled.iter().min().unwrap(), settled.iter().max().unwrap());
    assert!(hi - lo < 8 * 1024, "RSS grew from {lo} KiB to {hi} KiB");
}
