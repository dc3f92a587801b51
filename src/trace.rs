//! The trace of a plan: what each step does to the arena, for the CLI's `--trace` and
//! the page's animation.

use crate::model::Graph;
use crate::schedule::{Buffer, BufferKind, Plan};
use serde::Serialize;

/// A buffer entering or leaving the arena.
#[derive(Debug, Clone, Serialize)]
pub struct BufferEvent {
    pub tensor: usize,
    pub name: String,
    pub offset: usize,
    pub size: usize,
    pub kind: BufferKind,
}

/// What one step does to the arena.
#[derive(Debug, Clone, Serialize)]
pub struct TraceStep {
    pub step: usize,
    pub op_index: usize,
    pub op: &'static str,
    /// Buffers whose lifetime starts at this step (placed before it runs).
    pub alloc: Vec<BufferEvent>,
    /// Buffers whose lifetime ends with this step.
    pub free: Vec<BufferEvent>,
    pub live_bytes: usize,
    /// Highest `offset + size` among the live buffers.
    pub extent: usize,
}

/// Every step of `plan`: the buffers it opens and closes, the live bytes and the extent.
pub fn steps(graph: &Graph, plan: &Plan) -> Vec<TraceStep> {
    let event = |b: &Buffer| BufferEvent {
        tensor: b.tensors[0],
        name: graph.tensors[b.tensors[0]].name.clone(),
        offset: b.offset,
        size: b.size,
        kind: b.kind,
    };
    plan.steps
        .iter()
        .enumerate()
        .map(|(i, s)| TraceStep {
            step: i,
            op_index: s.op,
            op: graph.ops[s.op].kind.name(),
            alloc: plan.buffers.iter().filter(|b| b.first == i).map(event).collect(),
            free: plan.buffers.iter().filter(|b| b.last == i).map(event).collect(),
            live_bytes: plan.live_bytes(i),
            extent: plan.extent_at(i),
        })
        .collect()
}
