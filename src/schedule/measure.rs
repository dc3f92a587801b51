//! What a plan costs: its MACs step by step, where its peak falls, the largest input region
//! one patch reads, the SRAM each block needs, and a patch plan next to layer by layer. The
//! planner ([`super::search`]) ranks plans by these figures; the session's reports carry them.

use super::{plan, InPlace, InputMode, Plan, Schedule, Step};
use crate::error::Result;
use crate::kernels::Kernel;
use crate::model::Graph;
use serde::Serialize;

/// Multiply-accumulates of every step of `plan`: each region's share of its op's.
pub fn step_macs(plan: &Plan, kernels: &[Kernel], step: usize) -> u64 {
    plan.steps[step].macs(kernels)
}

pub fn macs(plan: &Plan, kernels: &[Kernel]) -> u64 {
    steps_macs(&plan.steps, kernels)
}

pub(super) fn steps_macs(steps: &[Step], kernels: &[Kernel]) -> u64 {
    steps.iter().map(|s| s.macs(kernels)).sum()
}

/// Where a plan's peak falls.
#[derive(Debug, Clone, Serialize)]
pub struct Peak {
    pub bytes: usize,
    pub step: usize,
    pub op: usize,
    pub op_name: &'static str,
    /// `(stage, row, col)` when the peak falls inside a patch stage.
    pub patch: Option<(usize, usize, usize)>,
}

/// One planned schedule and what it costs.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub schedule: Schedule,
    pub peak: Peak,
    pub macs: u64,
    /// MACs over layer by layer's, minus one.
    pub overhead: f64,
    /// The largest input region one patch of the first stage reads (height, width).
    pub input_patch: Option<(usize, usize)>,
    /// The plan's work ([`Plan::work`]), which the engine holds to
    /// [`MAX_PLAN_WORK`](crate::model::limits::MAX_PLAN_WORK).
    pub work: u64,
}

/// Plans `schedule` and measures it.
pub fn evaluate(
    graph: &Graph,
    kernels: &[Kernel],
    schedule: &Schedule,
    input: InputMode,
    base_macs: u64,
) -> Result<Candidate> {
    measure(graph, kernels, &plan(graph, kernels, schedule, input)?, schedule, base_macs)
}

/// Layer by layer (the whole input in SRAM) with the in-place settings, measured: its MACs
/// are the base every patch plan's overhead is counted against.
pub fn layer_by_layer(graph: &Graph, kernels: &[Kernel], input: InputMode, in_place: InPlace) -> Result<Candidate> {
    let schedule = Schedule { stages: Vec::new(), in_place };
    let whole_input = InputMode { streamed: false, ..input };
    let p = plan(graph, kernels, &schedule, whole_input)?;
    let base = macs(&p, kernels);
    measure(graph, kernels, &p, &schedule, base)
}

/// Measures plan `p` of `schedule`.
pub(super) fn measure(
    graph: &Graph,
    kernels: &[Kernel],
    p: &Plan,
    schedule: &Schedule,
    base_macs: u64,
) -> Result<Candidate> {
    let step = p.peak_step();
    // A model whose only op is the skipped input QUANTIZE has no steps: op 0 stands in.
    let (op, patch) = p.steps.get(step).map_or((0, None), |s| (s.op, s.patch));
    let macs = macs(p, kernels);
    Ok(Candidate {
        schedule: schedule.clone(),
        peak: Peak {
            bytes: p.extent,
            step,
            op,
            op_name: graph.ops[op].kind.name(),
            patch: patch.map(|q| (q.stage, q.row, q.col)),
        },
        macs,
        overhead: macs as f64 / base_macs.max(1) as f64 - 1.0,
        input_patch: input_patch(p),
        work: p.work(graph),
    })
}

/// The largest region of its input one patch of the first stage of plan `p` reads.
pub fn input_patch(p: &Plan) -> Option<(usize, usize)> {
    let first_stage = p.patches.iter().filter(|q| q.stage == 0);
    first_stage.map(|q| (q.input.height(), q.input.width())).max_by_key(|&(h, w)| h * w)
}

/// The most bytes live at any step of each group of ops (a block), in op order: how much
/// SRAM each block needs under a plan — the bars of MCUNetV2's Figure 1.
pub fn memory_by_group(plan: &Plan, group: impl Fn(usize) -> String) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for (step, usage) in plan.steps.iter().zip(plan.usage()) {
        let name = group(step.op);
        let live = usage.live;
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, peak)) => *peak = (*peak).max(live),
            None => out.push((name, live)),
        }
    }
    out
}

/// One block's SRAM under both schedules (a bar pair of MCUNetV2's Figure 1).
#[derive(Debug, Clone, Serialize)]
pub struct BlockMemory {
    pub block: String,
    pub layer_by_layer: usize,
    pub patched: usize,
}

/// A patch schedule next to layer by layer on the same model and in-place settings.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub layer_by_layer: Candidate,
    pub patched: Candidate,
    /// MACs of the patch stages' ops, patched over layer by layer, minus one.
    pub stage_overhead: f64,
    pub blocks: Vec<BlockMemory>,
}

/// Plans `schedule` and layer by layer, and compares them block by block (`block(op)`).
pub fn compare(
    graph: &Graph,
    kernels: &[Kernel],
    schedule: &Schedule,
    input: InputMode,
    block: impl Fn(usize) -> String,
) -> Result<Comparison> {
    let whole_input = InputMode { streamed: false, ..input };
    let layerwise = Schedule { stages: Vec::new(), in_place: schedule.in_place };
    let lbl_plan = plan(graph, kernels, &layerwise, whole_input)?;
    let patched_plan = plan(graph, kernels, schedule, input)?;
    compare_plans(graph, kernels, &lbl_plan, &patched_plan, schedule, block)
}

/// [`compare`] for plans already made: `lbl_plan` layer by layer (whole input, the same
/// in-place settings) and `patched_plan` of `schedule`.
pub fn compare_plans(
    graph: &Graph,
    kernels: &[Kernel],
    lbl_plan: &Plan,
    patched_plan: &Plan,
    schedule: &Schedule,
    block: impl Fn(usize) -> String,
) -> Result<Comparison> {
    let layerwise = Schedule { stages: Vec::new(), in_place: schedule.in_place };
    let base = macs(lbl_plan, kernels);
    let (mut stage_patched, mut stage_ops) = (0u64, Vec::new());
    for (s, step) in patched_plan.steps.iter().enumerate() {
        if step.patch.is_some() {
            stage_patched += step_macs(patched_plan, kernels, s);
            if !stage_ops.contains(&step.op) {
                stage_ops.push(step.op);
            }
        }
    }
    let stage_base: u64 = stage_ops.iter().map(|&op| kernels[op].macs()).sum();
    let lbl_blocks = memory_by_group(lbl_plan, &block);
    let patched_blocks = memory_by_group(patched_plan, &block);
    let blocks = lbl_blocks
        .into_iter()
        .map(|(name, lbl)| {
            let patched = patched_blocks.iter().find(|(n, _)| *n == name).map_or(0, |&(_, b)| b);
            BlockMemory { block: name, layer_by_layer: lbl, patched }
        })
        .collect();
    Ok(Comparison {
        layer_by_layer: measure(graph, kernels, lbl_plan, &layerwise, base)?,
        patched: measure(graph, kernels, patched_plan, schedule, base)?,
        stage_overhead: stage_patched as f64 / stage_base.max(1) as f64 - 1.0,
        blocks,
    })
}
