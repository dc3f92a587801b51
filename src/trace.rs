//! The trace of a plan: what each step does to the arena, for the CLI's `--trace` and
//! the page's animation.

use crate::geometry::Region;
use crate::model::Graph;
use crate::schedule::{Buffer, BufferKind, PatchRef, Plan};
use serde::Serialize;

/// A buffer entering or leaving the arena.
#[derive(Debug, Clone, Serialize)]
pub struct BufferEvent {
    pub buffer: usize,
    /// The tensors it holds (none for a scratch buffer); `name` is the first one's.
    pub tensors: Vec<usize>,
    pub name: String,
    pub offset: usize,
    pub size: usize,
    pub kind: BufferKind,
    /// For a tile, the region of the map it holds.
    pub region: Option<Region>,
}

/// What one step does to the arena.
#[derive(Debug, Clone, Serialize)]
pub struct TraceStep {
    pub step: usize,
    pub op_index: usize,
    pub op: &'static str,
    /// The output region computed (the whole map layer by layer, a tile in a patch stage).
    pub region: Option<Region>,
    pub patch: Option<PatchRef>,
    /// Buffers whose lifetime starts at this step (placed before it runs).
    pub alloc: Vec<BufferEvent>,
    /// Buffers whose lifetime ends with this step.
    pub free: Vec<BufferEvent>,
    pub live_bytes: usize,
    /// Highest `offset + size` among the live buffers.
    pub extent: usize,
    pub macs: u64,
}

/// Every step of `plan`: the buffers it opens and closes, the live bytes and the extent;
/// `macs(step)` gives each step's multiply-accumulates.
pub fn steps(graph: &Graph, plan: &Plan, macs: impl Fn(usize) -> u64) -> Vec<TraceStep> {
    let event = |(i, b): (usize, &Buffer)| BufferEvent {
        buffer: i,
        tensors: b.tensors.to_vec(),
        name: b.tensors.first().map_or_else(|| "scratch".into(), |&t| graph.tensors[t].name.clone()),
        offset: b.offset,
        size: b.size,
        kind: b.kind,
        region: b.region,
    };
    // The buffers each step opens and closes, and every step's usage, in one sweep each: a
    // scan of every buffer per step was quadratic (a 300-op chain in 8×8 patches: 20 000
    // steps and buffers, seconds).
    let mut opened = vec![Vec::new(); plan.steps.len()];
    let mut closed = vec![Vec::new(); plan.steps.len()];
    for (i, b) in plan.buffers.iter().enumerate() {
        if let Some(at) = opened.get_mut(b.first) {
            at.push(event((i, b)));
        }
        if let Some(at) = closed.get_mut(b.last) {
            at.push(event((i, b)));
        }
    }
    let usage = plan.usage();
    plan.steps
        .iter()
        .zip(usage)
        .zip(opened.into_iter().zip(closed))
        .enumerate()
        .map(|(i, ((s, usage), (alloc, free)))| TraceStep {
            step: i,
            op_index: s.op,
            op: graph.ops[s.op].kind.name(),
            region: s.region,
            patch: s.patch,
            alloc,
            free,
            live_bytes: usage.live,
            extent: usage.extent,
            macs: macs(i),
        })
        .collect()
}
