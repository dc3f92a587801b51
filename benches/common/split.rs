//! Where an inference's time goes per op kind, shared by the native bench (inference.rs) and
//! the wasm one (wasm_split.rs), so both print the same split.

use mcupatch::exec::Engine;
use mcupatch::kernels::Kernel;
use mcupatch::model::Graph;
use mcupatch::schedule::measure::{self, Candidate};
use mcupatch::schedule::search;
use mcupatch::schedule::{self, InPlace, InputMode};
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

/// One op's time (ms, its steps' summaries added up), MACs and output pixels (recomputed
/// halos included).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpCost {
    pub ms: f64,
    pub macs: u64,
    pub pixels: u64,
}

/// Time and MACs per op of the graph: each step's `runs` durations (a step's input
/// deliveries count with it, `now` is a clock in ms) summarised by `summary`, added up per op.
pub fn per_op(
    engine: &mut Engine,
    input: &[u8],
    runs: usize,
    now: impl Fn() -> f64,
    summary: impl Fn(Vec<f64>) -> f64,
) -> Vec<OpCost> {
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
    let mut ops = vec![OpCost::default(); engine.graph.ops.len()];
    for (s, (op, times)) in steps.iter().zip(per_step).enumerate() {
        let output = engine.graph.ops[*op].outputs[0];
        let whole = schedule::map_region(&engine.graph, output).map_or(1, |r| r.area());
        ops[*op].ms += summary(times);
        ops[*op].macs += engine.step_macs(s);
        ops[*op].pixels += engine.plan.steps[s].region.map_or(whole, |r| r.area()) as u64;
    }
    ops
}

/// Time per op kind, ms, from [`per_op`].
pub fn per_op_kind(engine: &Engine, ops: &[OpCost]) -> BTreeMap<&'static str, f64> {
    let mut split = BTreeMap::new();
    for (kernel, cost) in engine.kernels.iter().zip(ops).filter(|(_, c)| c.ms > 0.0) {
        *split.entry(op_kind(kernel)).or_insert(0.0) += cost.ms;
    }
    split
}

/// A patch plan's MAC overhead priced at each op's own layer-by-layer time per MAC: the
/// time overhead the plan would have if every recomputed MAC cost what a MAC of its op costs
/// layer by layer (an op without MACs, such as a residual add, priced per output pixel).
/// Layers differ several-fold in time per MAC (a 3-channel first conv or an 8-channel
/// depthwise pays a requantization per handful of MACs), so this, not the plain MAC
/// overhead, is what a plan that costs just its MACs comes to.
pub fn priced_overhead(layerwise: &[OpCost], patched: &[OpCost]) -> f64 {
    let base: f64 = layerwise.iter().map(|c| c.ms).sum();
    let priced: f64 = layerwise
        .iter()
        .zip(patched)
        .map(|(l, p)| match l.macs {
            0 => l.ms * p.pixels as f64 / l.pixels.max(1) as f64,
            macs => l.ms * p.macs as f64 / macs as f64,
        })
        .sum();
    priced / base - 1.0
}

/// The planner's smallest-peak plan and its cheapest plan under 32 KiB, the frame streamed
/// and depthwise convs in place (what the page shows); beside them the cached plans
/// (`Halo::Cache`) that are cheapest within each of those peaks.
pub fn plans(graph: &Graph) -> Vec<(String, Candidate)> {
    let kernels = Kernel::prepare_all(graph).expect("prepares");
    let input = InputMode { streamed: true, ..Default::default() };
    let in_place = InPlace { depthwise: true, ..InPlace::default() };
    let Ok(all) = search::explore(graph, &kernels, input, in_place) else { return Vec::new() };
    let Ok(base) = measure::layer_by_layer(graph, &kernels, input, in_place).map(|c| c.macs) else { return Vec::new() };
    let cached: Vec<Candidate> = search::cached_single_stage_schedules(graph, &kernels, input, in_place)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| measure::evaluate(graph, &kernels, s, input, base).ok())
        .collect();
    let pick = |what: &str, from: &[Candidate], budget: usize| match search::choose(from, budget) {
        Some((c, true)) => Some((what.to_string(), c)),
        _ => None,
    };
    let mut chosen = Vec::new();
    if let Some(smallest) = all.iter().min_by_key(|c| (c.peak.bytes, c.macs)) {
        chosen.push(("smallest peak".to_string(), smallest.clone()));
        chosen.extend(pick("cached, cheapest within it", &cached, smallest.peak.bytes));
    }
    chosen.extend(pick("cheapest <32K", &all, 32 * 1024));
    chosen.extend(pick("cached, cheapest <32K", &cached, 32 * 1024));
    chosen
}
