//! Plans: the ordered steps of an inference and every buffer they use, placed in the arena.

pub mod layerwise;

use crate::arena::planner::{self, Request, Strategy};
use crate::geometry::Region;
use serde::Serialize;

/// What a buffer holds, for accounting and for the page's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BufferKind {
    /// The model input the camera (or the caller) writes.
    Input,
    Activation,
    /// A model output, kept until the end.
    Output,
}

/// One arena buffer: the tensors that share it (a RESHAPE aliases its input), its size and
/// the steps during which it is alive, inclusive.
#[derive(Debug, Clone, Serialize)]
pub struct Buffer {
    pub tensors: Vec<usize>,
    pub size: usize,
    pub first: usize,
    pub last: usize,
    pub kind: BufferKind,
    pub offset: usize,
}

/// One step: an op computing a region of its output (the whole output, layer by layer).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub op: usize,
    pub region: Option<Region>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub buffers: Vec<Buffer>,
    /// For each tensor of the graph, the buffer holding it while alive.
    pub tensor_buffer: Vec<Option<usize>>,
    /// The tensor the caller fills before the first step.
    pub input: usize,
    /// Highest `offset + size`: the SRAM the plan needs.
    pub extent: usize,
    pub strategy: Strategy,
}

impl Plan {
    /// Places the buffers (fills in their offsets and the extent).
    fn place(steps: Vec<Step>, mut buffers: Vec<Buffer>, tensor_buffer: Vec<Option<usize>>, input: usize) -> Plan {
        let placement = planner::place(&Self::requests(&buffers));
        for (b, &o) in buffers.iter_mut().zip(&placement.offsets) {
            b.offset = o;
        }
        Plan { steps, buffers, tensor_buffer, input, extent: placement.extent, strategy: placement.strategy }
    }

    /// What the planner is asked to place: each buffer's size and lifetime.
    pub fn requests(buffers: &[Buffer]) -> Vec<Request> {
        buffers.iter().map(|b| Request { size: b.size, first: b.first, last: b.last }).collect()
    }

    /// Buffers alive at `step`.
    pub fn live(&self, step: usize) -> impl Iterator<Item = &Buffer> {
        self.buffers.iter().filter(move |b| b.first <= step && step <= b.last)
    }

    /// Sum of the sizes of the buffers alive at `step`.
    pub fn live_bytes(&self, step: usize) -> usize {
        self.live(step).map(|b| b.size).sum()
    }

    /// Highest `offset + size` among the buffers alive at `step`.
    pub fn extent_at(&self, step: usize) -> usize {
        self.live(step).map(|b| b.offset + b.size).max().unwrap_or(0)
    }

    /// The arena byte range of tensor `t` (it must have a buffer).
    pub fn range(&self, t: usize) -> std::ops::Range<usize> {
        let b = &self.buffers[self.tensor_buffer[t].expect("tensor has a buffer")];
        b.offset..b.offset + b.size
    }
}
