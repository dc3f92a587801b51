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

/// The bands of one axis: every slot's span in each band, and per slot the sum of its
/// spans' lengths (what the bands compute of it) and the longest.
struct Bands {
    spans: Vec<Vec<Option<Span>>>,
    total: Vec<u64>,
    widest: Vec<usize>,
}

impl Bands {
    fn new(spans: Vec<Vec<Option<Span>>>, slots: usize) -> Bands {
        let lengths = |s: usize| spans.iter().map(move |b| b[s].map_or(0, length));
        let total = (0..slots).map(|s| lengths(s).map(|l| l as u64).sum()).collect();
        let widest = (0..slots).map(|s| lengths(s).max().unwrap_or(0)).collect();
        Bands { spans, total, widest }
    }
}

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
        let one_patch = Schedule { stages: vec![Stage::new(split, 1, 1)], in_place };
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

    /// The spans of every slot in each of `n` bands along `axis`, or `None` if a region
    /// of some band comes out empty (or `n` bands do not fit).
    fn bands(&self, kernels: &[Kernel], n: usize, axis: Axis) -> Option<Bands> {
        let (h, w, rows, cols) = match axis {
            Axis::Rows => (self.split.height(), 1, n, 1),
            Axis::Cols => (1, self.split.width(), 1, n),
        };
        let bands = patch::grid(h, w, rows, cols).ok()?;
        let spans = bands.into_iter().map(|r| self.spans(kernels, axis.span(r), axis)).collect::<Option<_>>()?;
        Some(Bands::new(spans, self.bytes_per_pixel.len()))
    }

    /// The MACs of the `rows` × `cols` plan and a lower bound on its peak; `None` when a
    /// region of some tile is empty (or the grid does not fit).
    pub fn estimate(&self, kernels: &[Kernel], rows: usize, cols: usize) -> Option<(u64, usize)> {
        self.estimate_all(kernels, &[(rows, cols)]).pop().flatten()
    }

    /// [`SplitCosts::estimate`] of each `(rows, cols)` grid, the bands of each row count
    /// and each column count worked out once for all the grids that share them.
    pub fn estimate_all(&self, kernels: &[Kernel], grids: &[(usize, usize)]) -> Vec<Option<(u64, usize)>> {
        let mut row_bands: HashMap<usize, Option<Bands>> = HashMap::new();
        let mut col_bands: HashMap<usize, Option<Bands>> = HashMap::new();
        for &(rows, cols) in grids {
            row_bands.entry(rows).or_insert_with(|| self.bands(kernels, rows, Axis::Rows));
            col_bands.entry(cols).or_insert_with(|| self.bands(kernels, cols, Axis::Cols));
        }
        grids
            .iter()
            .map(|(rows, cols)| match (&row_bands[rows], &col_bands[cols]) {
                (Some(ys), Some(xs)) => Some(self.estimate_over(ys, xs)),
                _ => None,
            })
            .collect()
    }

    /// The estimate of the grid whose tile rows span `ys` and whose tile columns span `xs`.
    fn estimate_over(&self, ys: &Bands, xs: &Bands) -> (u64, usize) {
        let (rows, cols) = (ys.spans.len(), xs.spans.len());
        let needed: Vec<&StageOp> = self.ops.iter().filter(|k| ys.spans[0][k.output].is_some()).collect();
        let macs = self.outside_macs
            + needed.iter().map(|k| k.macs_per_pixel * ys.total[k.output] * xs.total[k.output]).sum::<u64>();
        // At the step of each op in each tile, its output and its inputs are alive (an
        // in-place output shares its input's bytes, so count the larger of the two sides);
        // the stage output is alive from the first tile on, and the stage input held whole
        // until the last tile.
        let tiles = rows * cols;
        let bytes = |s: usize, y: usize, x: usize| match (s == self.split_slot, s == self.input_slot, self.input_whole)
        {
            (true, _, _) => self.split_bytes,
            (_, true, Some(whole)) => whole,
            _ => y * x * self.bytes_per_pixel[s],
        };
        let widest_bytes = |s: usize| bytes(s, ys.widest[s], xs.widest[s]);
        let live_at = |k: &StageOp, tile: usize, bytes_of: &dyn Fn(usize) -> usize| {
            let inputs: usize = k.inputs.iter().map(|&s| bytes_of(s)).sum();
            let mut live = bytes_of(k.output).max(inputs);
            if tile > 0 && k.output != self.split_slot {
                live += self.split_bytes;
            }
            if tile + 1 < tiles && !k.inputs.contains(&self.input_slot) {
                live += self.input_whole.unwrap_or(0);
            }
            live
        };
        // An op's most over all tiles is at most its widest spans' bytes in the first tile
        // or in tile 1 (a middle tile, where both held buffers count, when there are three
        // or more; the last when two; with one tile it over-counts, as a most may). Only the
        // ops whose most could raise the bound are gone through tile by tile, the likeliest
        // first: the bound is the same, found without visiting every tile of every op.
        let most = |k: &StageOp| live_at(k, 0, &widest_bytes).max(live_at(k, 1, &widest_bytes));
        let mut by_most: Vec<(usize, &StageOp)> = needed.iter().map(|&k| (most(k), k)).collect();
        by_most.sort_by_key(|&(most, _)| std::cmp::Reverse(most));
        let mut bound = self.outside_bound;
        for (most, k) in by_most {
            if most <= bound {
                break;
            }
            for (i, y) in ys.spans.iter().enumerate() {
                for (j, x) in xs.spans.iter().enumerate() {
                    let here = |s: usize| bytes(s, y[s].map_or(0, length), x[s].map_or(0, length));
                    bound = bound.max(live_at(k, i * cols + j, &here));
                }
            }
        }
        (macs, bound)
    }
}
