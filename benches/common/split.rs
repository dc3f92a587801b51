//! Where an inference's time goes per op kind, shared by the native bench (inference.rs) and
//! the wasm one (wasm_split.rs), so both print the same split.

use mcupatch::exec::Engine;
use mcupatch::kernels::Kernel;
use mcupatch::model::Graph;
use mcupatch::schedule::search::{self, Candidate};
use mcupatch::schedule::{InPlace, InputMode};
use std::collections::BTreeMap;

/// The op kinds the per-kind split reports.
pub fn op_kind(kernel: &Kernel) -> &'static str {
    match kernel {
        Kernel::Conv2d(k) if k.input.c == 3 => "first conv (3 channels)",
        Kernel::Conv2d(k) if k.window.kernel == (1, 1) => "conv 1x1",
        Kernel::Conv2d(_) => "conv kxk",
        Kernel::DepthwiseConv2d(k) if k.window.kernel == (3, 3) => "depthwise 3x3",
        Kernel::DepthwiseConv2d(_) => "depthwise kxk",
        Kernel::Add(_) => "add",
        Kernel::FullyConnected(_) => "fully connected",
        Kernel::Pool2d(_) | Kernel::Mean(_) => "pool, mean",
        _ => "other",
    }
}

/// Time per op kind, ms: each step's `runs` durations (a step's input deliveries count with
/// it, `now` is a clock in ms) summarised by `summary`, summed per kind of the step's op.
pub fn per_op_kind(
    engine: &mut Engine,
    input: &[u8],
    runs: usize,
    now: impl Fn() -> f64,
    summary: impl Fn(Vec<f64>) -> f64,
) -> BTreeMap<&'static str, f64> {
    let steps: Vec<usize> = engine.plan.steps.iter().map(|s| s.op).collect();
    let mut per_step: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); steps.len()];
    for _ in 0..runs {
        let mut last = now();
        engine
            .run_stepwise(
                input,
                |_, _| {},
                |s| {
                    let t = now();
                    per_step[s].push(t - last);
                    last = t;
                },
            )
            .expect("runs");
    }
    let mut split = BTreeMap::new();
    for (op, times) in steps.iter().zip(per_step) {
        *split.entry(op_kind(&engine.kernels[*op])).or_insert(0.0) += summary(times);
    }
    split
}

/// The planner's smallest-peak plan and its cheapest plan under 32 KiB, the frame streamed
/// and depthwise convs in place (what the page shows).
pub fn plans(graph: &Graph) -> Vec<(String, Candidate)> {
    let kernels = Kernel::prepare_all(graph).expect("prepares");
    let input = InputMode { streamed: true, ..Default::default() };
    let in_place = InPlace { depthwise: true, ..InPlace::default() };
    let Ok(all) = search::explore(graph, &kernels, input, in_place) else { return Vec::new() };
    let mut chosen = Vec::new();
    if let Some(c) = all.iter().min_by_key(|c| (c.peak.bytes, c.macs)) {
        chosen.push(("smallest peak".to_string(), c.clone()));
    }
    if let Some((c, true)) = search::choose(&all, 32 * 1024) {
        chosen.push(("cheapest <32K".to_string(), c));
    }
    chosen
}
