//! What a single-stage plan costs, known before it is drafted: its MACs exactly and a lower
//! bound on its peak, for every grid over one split from one analysis of that split.
//!
//! Region back-projection is separable: an op's input rows depend on its output rows only,
//! and columns on columns. So one backward pass per tile row and one per tile column give
//! the region of every tensor in every tile — as long as no region is empty, since a
//! bounding box ignores empty regions, which would tie the axes together; then there is no
//! estimate and only a draft tells. The steps outside the stage are the same for every
//! grid, so one draft (of the 1×1 grid) bounds them once.

use super::{draft, map_region, patch, pixel_bytes, InPlace, InputMode, Plan, Schedule, Stage};
use crate::arena::planner;
use crate::error::Result;
use crate::geometry::Region;
use crate::kernels::Kernel;
use crate::model::Graph;
use std::collections::HashMap;

/// One op of the stage, its tensors as slots: the output and the distinct activation inputs.
struct StageOp {
    op: usize,
    output: usize,
    inputs: Vec<usize>,
    macs_per_pixel: u64,
}

/// Rows `[a, b)` or columns of a map.
type Span = (usize, usize);

#[derive(Clone, Copy)]
enum Axis {
    Rows,
    Cols,
}

impl Axis {
    fn region(self, (a, b): Span) -> Region {
        match self {
            Axis::Rows => Region { y0: a, y1: b, x0: 0, x1: 1 },
            Axis::Cols => Region { y0: 0, y1: 1, x0: a, x1: b },
        }
    }

    fn span(self, r: Region) -> Span {
        match self {
            Axis::Rows => (r.y0, r.y1),
            Axis::Cols => (r.x0, r.x1),
        }
    }
}

fn length((a, b): Span) -> usize {
    b.saturating_sub(a)
}

/// A split's stage, analysed once for all its grids.
pub struct SplitCosts {
    ops: Vec<StageOp>,
    /// Bytes per pixel of each slot's tensor.
    bytes_per_pixel: Vec<usize>,
    split_slot: usize,
    input_slot: usize,
    split: Region,
    split_bytes: usize,
    /// The stage input's bytes when it is held whole in SRAM during the stage.
    input_whole: Option<usize>,
    /// MACs of the steps outside the stage, and the most bytes any of them holds.
    outside_macs: u64,
    outside_bound: usize,
}

impl SplitCosts {
    /// The stage ending at `split`, single, with the `input` mode and `in_place` settings.
    pub fn new(graph: &Graph, kernels: &[Kernel], split: usize, input: InputMode, in_place: InPlace) -> Result<Self> {
        let one_patch = Schedule { stages: vec![Stage { split, rows: 1, cols: 1 }], in_place };
        let d = draft(graph, kernels, &one_patch, input)?;
        let held = planner::held_bytes(&Plan::requests(&d.buffers));
        let outside: Vec<usize> = (0..d.steps.len()).filter(|&s| d.steps[s].patch.is_none()).collect();
        let outside_bound = outside.iter().filter_map(|&s| held.get(s)).copied().max().unwrap_or(0);
        let outside_macs = outside.iter().map(|&s| d.steps[s].macs(kernels)).sum();
        let (first_op, _) = super::layerwise::entry(graph, input)?;
        let sops = patch::stage_ops(graph, kernels, first_op, split)?;
        let mut slots: HashMap<usize, usize> = HashMap::new();
        let mut bytes_per_pixel = Vec::new();
        let mut slot = |t: usize| {
            *slots.entry(t).or_insert_with(|| {
                bytes_per_pixel.push(pixel_bytes(graph, t));
                bytes_per_pixel.len() - 1
            })
        };
        let input_slot = slot(sops.input);
        let ops: Vec<StageOp> = sops
            .ops
            .clone()
            .map(|op| {
                let mut inputs: Vec<usize> = super::activation_inputs(graph, op).into_iter().map(&mut slot).collect();
                inputs.sort_unstable();
                inputs.dedup();
                StageOp {
                    op,
                    output: slot(graph.ops[op].outputs[0]),
                    inputs,
                    macs_per_pixel: kernels[op].macs_per_pixel(),
                }
            })
            .collect();
        let split_slot = slot(split);
        let whole = |t: usize| map_region(graph, t).map(|r| r.area() * pixel_bytes(graph, t));
        Ok(SplitCosts {
            ops,
            bytes_per_pixel,
            split_slot,
            input_slot,
            split: map_region(graph, split).unwrap_or_default(),
            split_bytes: whole(split).unwrap_or(0),
            input_whole: if input.streamed { None } else { whole(sops.input) },
            outside_macs,
            outside_bound,
        })
    }

    /// The span of every slot that one tile row (or column) `tile` needs, or `None` if a
    /// region comes out empty.
    fn spans(&self, kernels: &[Kernel], tile: Span, axis: Axis) -> Option<Vec<Option<Span>>> {
        let mut span: Vec<Option<Span>> = vec![None; self.bytes_per_pixel.len()];
        span[self.split_slot] = Some(tile);
        for k in self.ops.iter().rev() {
            let Some(out) = span[k.output] else { continue };
            let need = axis.span(kernels[k.op].input_region(axis.region(out)));
            if length(out) == 0 || length(need) == 0 {
                return None;
            }
            for &x in &k.inputs {
                span[x] = Some(span[x].map_or(need, |(a, b)| (a.min(need.0), b.max(need.1))));
            }
        }
        Some(span)
    }

    /// The MACs of the `rows` × `cols` plan and a lower bound on its peak; `None` when a
    /// region of some tile is empty (or the grid does not fit).
    pub fn estimate(&self, kernels: &[Kernel], rows: usize, cols: usize) -> Option<(u64, usize)> {
        let (h, w) = (self.split.height(), self.split.width());
        let per = |bands: Vec<Region>, axis: Axis| -> Option<Vec<Vec<Option<Span>>>> {
            bands.into_iter().map(|r| self.spans(kernels, axis.span(r), axis)).collect()
        };
        let ys = per(patch::grid(h, 1, rows, 1).ok()?, Axis::Rows)?;
        let xs = per(patch::grid(1, w, 1, cols).ok()?, Axis::Cols)?;
        let needed: Vec<&StageOp> = self.ops.iter().filter(|k| ys[0][k.output].is_some()).collect();
        let total =
            |bands: &[Vec<Option<Span>>], s: usize| bands.iter().map(|b| b[s].map_or(0, length) as u64).sum::<u64>();
        let macs = self.outside_macs
            + needed.iter().map(|k| k.macs_per_pixel * total(&ys, k.output) * total(&xs, k.output)).sum::<u64>();
        // At the step of each op in each tile, its output and its inputs are alive (an
        // in-place output shares its input's bytes, so count the larger of the two sides);
        // the stage output is alive from the first tile on, and the stage input held whole
        // until the last tile.
        let mut bound = self.outside_bound;
        for (i, y) in ys.iter().enumerate() {
            for (j, x) in xs.iter().enumerate() {
                let tile = i * cols + j;
                let bytes = |s: usize| match (s == self.split_slot, s == self.input_slot, self.input_whole) {
                    (true, _, _) => self.split_bytes,
                    (_, true, Some(whole)) => whole,
                    _ => y[s].map_or(0, length) * x[s].map_or(0, length) * self.bytes_per_pixel[s],
                };
                for k in &needed {
                    let inputs: usize = k.inputs.iter().map(|&s| bytes(s)).sum();
                    let mut live = bytes(k.output).max(inputs);
                    if tile > 0 && k.output != self.split_slot {
                        live += self.split_bytes;
                    }
                    if tile + 1 < rows * cols && !k.inputs.contains(&self.input_slot) {
                        live += self.input_whole.unwrap_or(0);
                    }
                    bound = bound.max(live);
                }
            }
        }
        Some((macs, bound))
    }
}
