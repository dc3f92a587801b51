#![cfg(not(target_arch = "wasm32"))]
//! The library in a long loop, as the CLI and the page drive it through the session: load a
//! model, then rounds of camera frames run under the current plan, with the settings (MCU,
//! patch plan, split, accounting switches, pixel range) changing every few rounds, an
//! exactness check and a heat map now and then, and the model reloaded every so often. Its
//! resident memory must stay flat. Minutes long, so not part of `make test`: `make soak`
//! (SOAK_ROUNDS sets the length).

mod common;

use mcupatch::session::{Session, Settings};

/// Resident set size in KiB (Linux).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("statm's resident field");
    pages * 4
}

/// The settings of the `n`th change: every switch, MCU, patch plan and split takes its turn.
fn settings(n: usize) -> Settings {
    const MCUS: [&str; 4] = ["stm32f411", "stm32f746", "nrf52840", "esp32-s3"];
    const PATCHES: [&[&str]; 5] = [&[], &["auto"], &["2x2"], &["3x3"], &["4x4"]];
    const SPLITS: [&[&str]; 3] = [&[], &["stride8"], &["op4"]];
    let bit = |i: usize| n >> i & 1 == 1;
    let patch: Vec<String> = PATCHES[n % PATCHES.len()].iter().map(|p| p.to_string()).collect();
    // A patch plan at the planner's split, at the end of the stride-8 block, or after op 4.
    let split = match patch.is_empty() {
        true => Vec::new(),
        false => SPLITS[n / PATCHES.len() % SPLITS.len()].iter().map(|s| s.to_string()).collect(),
    };
    Settings {
        mcu: Some(MCUS[n % MCUS.len()].into()),
        float_input: bit(1),
        streamed_input: bit(2),
        in_place_depthwise: bit(0),
        in_place_pointwise: bit(3),
        in_place_add: bit(1),
        multi_stage: bit(4),
        patch,
        split,
        pixel_range: if bit(2) { Some([-1.0, 1.0]) } else { None },
        ..Settings::default()
    }
}

/// A camera frame (RGBA) whose pixels move with `frame`.
fn frame(width: usize, height: usize, frame: usize) -> Vec<u8> {
    (0..width * height * 4).map(|i| (i / 4 * 7 + i % 4 * 50 + frame * 3) as u8).collect()
}

#[test]
#[ignore = "minutes long: make soak"]
fn library_memory_stays_flat_over_a_long_loop() {
    let rounds: usize = std::env::var("SOAK_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let bytes = std::fs::read(common::root().join("models/visual_wake_words.tflite")).expect("run models/fetch");
    const FRAMES_PER_ROUND: usize = 5;
    const ROUNDS_PER_SETTING: usize = 10;
    const ROUNDS_PER_LOAD: usize = 100;
    let (width, height) = (160, 120);
    let mut session = Session::from_tflite(&bytes).unwrap();
    let (mut samples, mut plans, mut frames) = (Vec::new(), 0, 0);
    let start = std::time::Instant::now();
    for round in 0..rounds {
        if round > 0 && round % ROUNDS_PER_LOAD == 0 {
            session = Session::from_tflite(&bytes).unwrap();
        }
        if round % ROUNDS_PER_SETTING == 0 {
            let s = settings(round / ROUNDS_PER_SETTING);
            session.plan(&s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            plans += 1;
        }
        for f in 0..FRAMES_PER_ROUND {
            let input = session.rgba_input(&frame(width, height, round * FRAMES_PER_ROUND + f), 160, 120).unwrap();
            session.run(&input).unwrap();
            frames += 1;
        }
        if round % ROUNDS_PER_SETTING == 5 {
            let input = session.rgba_input(&frame(width, height, round), 160, 120).unwrap();
            assert!(session.check_exact(&input).unwrap().equal);
            let _ = session.heat().unwrap();
        }
        if round % (rounds / 20).max(1) == 0 || round + 1 == rounds {
            samples.push((round, rss_kib()));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let kib = |i: usize| samples[i].1;
    let (first, middle, last) = (kib(0), kib(samples.len() / 2), kib(samples.len() - 1));
    println!(
        "soak: {rounds} rounds, {plans} plans, {frames} frames in {secs:.0} s; \
         RSS start {first} KiB, middle {middle} KiB, end {last} KiB; by round: {samples:?}"
    );
    // After the first rounds warm the allocator, RSS may wander by allocator noise only.
    let settled: Vec<u64> = samples.iter().skip(samples.len() / 4).map(|&(_, r)| r).collect();
    let (lo, hi) = (settled.iter().min().unwrap(), settled.iter().max().unwrap());
    assert!(hi - lo < 8 * 1024, "RSS grew from {lo} KiB to {hi} KiB");
}
