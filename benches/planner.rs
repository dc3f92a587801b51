//! The planner (`cargo bench --bench planner`): every VWW plan placed, the pruned search for
//! the VWW front, MobileNetV2-1.0 @224 "auto", and the cost curve over chains of 25 to 4 000
//! small ops (the loader's limit is 4 096). The peer, timed in the same run, is the exhaustive
//! search (every plan placed); the ratio is printed, nothing is asserted.

use criterion::{criterion_group, Criterion};
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, Graph};
use mcupatch::schedule::request::{self, HaloChoice, PatchRequest};
use mcupatch::schedule::search;
use mcupatch::schedule::{InPlace, InputMode};
use mcupatch::zoo::Arch;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The page's default: the frame streamed, in-place depthwise, 256 KiB of SRAM.
const STREAMED: InputMode = InputMode { float_input: false, streamed: true };
const DEPTHWISE: InPlace = InPlace { depthwise: true, pointwise: false, add: false };
const SRAM: usize = 256 * 1024;
const AUTO: PatchRequest = PatchRequest::Auto { multi_stage: false };

fn vww() -> (Graph, Vec<Kernel>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/visual_wake_words.tflite");
    let graph = model::load(&std::fs::read(path).expect("run models/fetch first")).expect("VWW loads");
    let kernels = Kernel::prepare_all(&graph).expect("VWW prepares");
    (graph, kernels)
}

fn mobilenet_v2() -> (Graph, Vec<Kernel>) {
    let graph = Arch::parse("mbv2", 1.0, 224, None).expect("a zoo net").build();
    let kernels = Kernel::prepare_all(&graph).expect("zoo nets prepare");
    (graph, kernels)
}

/// About `ops` small ops in a chain: a stem, then 16×16×8 residual blocks (depthwise 3×3,
/// 1×1, add), then the head.
fn chain(ops: usize) -> (Graph, Vec<Kernel>) {
    let spec = vec!["k3e1s1c8"; ops.saturating_sub(4) / 3].join(",");
    let graph = Arch::parse("mcunet", 0.25, 32, Some(&spec)).expect("a chain").build();
    let kernels = Kernel::prepare_all(&graph).expect("zoo nets prepare");
    (graph, kernels)
}

fn auto((graph, kernels): &(Graph, Vec<Kernel>), input: InputMode, in_place: InPlace) {
    request::resolve(graph, kernels, &AUTO, input, in_place, HaloChoice::Recompute, SRAM).expect("a plan");
}

fn planner(c: &mut Criterion) {
    let mut group = c.benchmark_group("planner");
    group.sample_size(10);
    let net = vww();
    group.bench_function("vww_every_plan_placed", |b| {
        b.iter(|| search::explore(&net.0, &net.1, STREAMED, DEPTHWISE).expect("plans"))
    });
    group.bench_function("vww_front", |b| {
        b.iter(|| search::explore_front(&net.0, &net.1, STREAMED, DEPTHWISE).expect("plans"))
    });
    group.bench_function("vww_auto", |b| b.iter(|| auto(&net, STREAMED, DEPTHWISE)));
    let net = mobilenet_v2();
    group.bench_function("mobilenet_v2_auto", |b| b.iter(|| auto(&net, InputMode::default(), InPlace::default())));
    for ops in [25, 50, 100, 200] {
        let net = chain(ops);
        group.bench_function(format!("chain_{ops}_auto"), |b| {
            b.iter(|| auto(&net, InputMode::default(), InPlace::default()))
        });
    }
    group.finish();
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(runs: usize, f: impl Fn()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// The cost curve: the pruned search next to the exhaustive one, per op and candidate.
fn curve() {
    println!("\nplanner cost curve (median of 3; the exhaustive search places every plan, once):");
    println!(
        "{:>5} {:>10} {:>12} {:>14} {:>16} {:>8}",
        "ops", "plans", "auto ms", "exhaustive ms", "auto ns/(op·plan)", "ratio"
    );
    // Up to the loader's limit of 4 096 ops: how the planner's time grows with depth.
    for ops in [25, 50, 100, 200, 400, 1000, 2000, 4000] {
        let net = chain(ops);
        let (graph, kernels) = &net;
        let (input, in_place) = (InputMode::default(), InPlace::default());
        let plans = search::single_stage_schedules(graph, kernels, input, in_place).expect("plans").len() + 1;
        let fast = time(3, || auto(&net, input, in_place));
        // Past 100 ops the exhaustive search takes minutes.
        let full =
            (ops <= 100).then(|| time(1, || drop(search::explore(graph, kernels, input, in_place).expect("plans"))));
        let per = fast.as_nanos() as f64 / (graph.ops.len() * plans) as f64;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:>5} {:>10} {:>12.1} {:>14} {:>16.1} {:>8}",
            graph.ops.len(),
            plans,
            ms(fast),
            full.map_or("-".into(), |d| format!("{:.1}", ms(d))),
            per,
            full.map_or("-".into(), |d| format!("{:.3}", fast.as_secs_f64() / d.as_secs_f64()))
        );
    }
    let net = mobilenet_v2();
    let (input, in_place) = (InputMode::default(), InPlace::default());
    let fast = time(3, || auto(&net, input, in_place));
    let full = time(1, || drop(search::explore(&net.0, &net.1, input, in_place).expect("plans")));
    println!(
        "MobileNetV2-1.0 @224 auto: {:.1} ms, exhaustive {:.1} ms, ratio {:.3}",
        fast.as_secs_f64() * 1e3,
        full.as_secs_f64() * 1e3,
        fast.as_secs_f64() / full.as_secs_f64()
    );
}

criterion_group!(benches, planner);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --all-targets` runs benches once as a smoke test: the exhaustive peer,
    // minutes long, belongs to `cargo bench` only.
    if std::env::args().any(|a| a == "--bench") {
        curve();
    }
}
