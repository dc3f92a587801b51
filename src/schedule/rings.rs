//! Cached stages ([`Halo::Cache`]): each column of the grid runs top to bottom, row by row,
//! remembering the halo instead of recomputing it.
//!
//! Every op's output in the stage lives in a ring: a buffer of its own that holds a window
//! of consecutive rows of the column. The split tensor is computed band by band (the grid's
//! tiles down the column), on demand: before an op computes its next output row, the
//! producers of the rows it reads compute those, one row at a time. So every row is
//! computed once per column, and a ring holds only the rows its readers still need — about
//! k + s − 1 for a k×k window of stride s, more where two readers run apart (a skip
//! connection). Only the column halos, shared by neighbouring columns, are recomputed.
//!
//! Before a step writes a new row, the rows its ring still holds move to the ring's front
//! (`Step::keep`); a row is dropped once no later step of the column reads it.

use super::patch::{deliver, split_output, StageOps, StageTensors};
use super::{region_bytes, Access, BufferKind, Builder, Halo, PatchRef, PatchRegions, Stage, Step};
use crate::error::{Error, Result};
use crate::geometry::Region;
use smallvec::{smallvec, SmallVec};

/// One step of a column before its buffers are placed: `op` computes `rows` of its output
/// for the tile `band` of the column, reading `reads` of its activation inputs.
struct RowStep {
    op: usize,
    band: usize,
    rows: Region,
    reads: SmallVec<[Region; 2]>,
}

/// A column's steps in the order demand finds them.
struct Column<'a, 'g> {
    b: &'a Builder<'g>,
    sops: &'a StageOps,
    tensors: &'a StageTensors,
    /// Every stage tensor's region over the whole column: its columns, and the first row
    /// any step reads.
    extent: Vec<Option<Region>>,
    /// The row each stage tensor is computed to, by slot.
    done: Vec<usize>,
    steps: Vec<RowStep>,
}

impl Column<'_, '_> {
    fn slot(&self, x: usize) -> Result<usize> {
        self.tensors.slot(x).ok_or_else(|| Error::Setting(format!("tensor {x} is not in the stage")))
    }

    /// Computes tensor `x` down to row `end` (exclusive), a row at a time.
    fn produce(&mut self, x: usize, end: usize, band: usize) -> Result<()> {
        if x == self.sops.input {
            return Ok(()); // in SRAM whole, or delivered by the camera when read
        }
        let slot = self.slot(x)?;
        let Some(extent) = self.extent[slot] else {
            return Err(Error::Setting(format!("tensor {x} is read outside the region its stage computes")));
        };
        while self.done[slot] < end {
            let y0 = self.done[slot];
            self.compute(self.sops.ops.start + slot, Region { y0, y1: y0 + 1, ..extent }, band)?;
        }
        Ok(())
    }

    /// Op `op` computes `rows`, its inputs' rows computed first.
    fn compute(&mut self, op: usize, rows: Region, band: usize) -> Result<()> {
        let read = self.b.kernels[op].input_region(rows);
        for &x in self.b.activation_inputs(op) {
            self.produce(x, read.y1, band)?;
        }
        let reads = smallvec![read; self.b.activation_inputs(op).len()];
        self.steps.push(RowStep { op, band, rows, reads });
        self.done[op - self.sops.ops.start] = rows.y1;
        Ok(())
    }
}

/// Adds the steps of cached stage `index` over `tiles` (row-major, `stage.rows` ×
/// `stage.cols`), a column at a time; `input_whole` is the stage input's whole buffer, or
/// `None` when the camera delivers the rows each step reads.
pub(super) fn run_stage(
    b: &mut Builder,
    index: usize,
    stage: &Stage,
    sops: &StageOps,
    tiles: &[Region],
    input_whole: Option<Access>,
) -> Result<()> {
    debug_assert_eq!(stage.halo, Halo::Cache);
    let (graph, split) = (b.graph, stage.split);
    let whole_split = super::map_region(graph, split).unwrap_or_default();
    let tensors = StageTensors::new(graph, sops);
    let split_op = sops.ops.end - 1;
    for col in 0..stage.cols {
        let band_tiles: Vec<Region> = (0..stage.rows).map(|r| tiles[r * stage.cols + col]).collect();
        let (first, last) = (band_tiles[0], band_tiles[stage.rows - 1]);
        let whole_column = Region { y1: last.y1, ..first };
        let need = tensors.needs(graph, b.kernels, split, whole_column);
        let extent: Vec<Option<Region>> = (0..tensors.slots())
            .map(|s| need.get(if s < sops.ops.len() { graph.ops[sops.ops.start + s].outputs[0] } else { sops.input }))
            .collect();
        let done = extent.iter().map(|r| r.map_or(0, |r| r.y0)).collect();
        let mut column = Column { b, sops, tensors: &tensors, extent, done, steps: Vec::new() };
        for (band, &tile) in band_tiles.iter().enumerate() {
            column.compute(split_op, tile, band)?;
        }
        let steps = column.steps;
        let rings = place_rings(b, &tensors, sops, &steps);
        let context = Emit { index, stage, sops, tensors: &tensors, input_whole, whole_split };
        context.push(b, &steps, &rings, col, &band_tiles)?;
    }
    Ok(())
}

/// What each op output's ring holds after each step that writes it (the rows still read
/// later, and the new ones), by step; and each ring's size, by slot.
struct Rings {
    held: Vec<Option<Region>>,
    size: Vec<usize>,
}

fn place_rings(b: &Builder, tensors: &StageTensors, sops: &StageOps, steps: &[RowStep]) -> Rings {
    let graph = b.graph;
    let slots = tensors.slots();
    // The first row a later step reads, by slot, walking the column backwards.
    let mut first_read: Vec<Option<usize>> = vec![None; slots];
    let mut held = vec![None; steps.len()];
    let mut size = vec![0; slots];
    for (i, step) in steps.iter().enumerate().rev() {
        let slot = step.op - sops.ops.start;
        let y0 = first_read[slot].map_or(step.rows.y0, |r| r.min(step.rows.y0));
        let ring = Region { y0, ..step.rows };
        size[slot] = size[slot].max(region_bytes(graph, graph.ops[step.op].outputs[0], ring));
        held[i] = Some(ring);
        for (&x, read) in b.activation_inputs(step.op).iter().zip(&step.reads) {
            if let (Some(s), true) = (tensors.slot(x), read.area() > 0) {
                first_read[s] = Some(first_read[s].map_or(read.y0, |r| r.min(read.y0)));
            }
        }
    }
    Rings { held, size }
}

/// What pushing a column's steps needs to know about its stage.
struct Emit<'a> {
    index: usize,
    stage: &'a Stage,
    sops: &'a StageOps,
    tensors: &'a StageTensors,
    input_whole: Option<Access>,
    whole_split: Region,
}

impl Emit<'_> {
    /// Pushes column `col`'s steps, opening its rings.
    fn push(&self, b: &mut Builder, steps: &[RowStep], rings: &Rings, col: usize, band_tiles: &[Region]) -> Result<()> {
        let Emit { index, stage, sops, tensors, input_whole, whole_split } = *self;
        let split_op = sops.ops.end - 1;
        let mut current: Vec<Option<Access>> = vec![None; sops.ops.len()];
        let mut band = None;
        for (i, step) in steps.iter().enumerate() {
            let tile_index = step.band * stage.cols + col;
            if band != Some(step.band) {
                band = Some(step.band);
                // The stage input this band reads: its steps' reads of it.
                let input = steps
                    .iter()
                    .filter(|s| s.band == step.band)
                    .flat_map(|s| b.activation_inputs(s.op).iter().zip(&s.reads))
                    .filter(|(&x, _)| x == sops.input)
                    .fold(Region::default(), |acc, (_, r)| acc.union(r));
                let tile = band_tiles[step.band];
                b.patches.push(PatchRegions { stage: index, index: tile_index, tile, input });
            }
            let mut inputs: SmallVec<[Access; 2]> = SmallVec::new();
            for (&x, &read) in b.activation_inputs(step.op).iter().zip(&step.reads) {
                let access = match (x == sops.input, input_whole) {
                    (true, Some(whole)) => whole,
                    (true, None) => deliver(b, x, read),
                    (false, _) => {
                        let slot = tensors.slot(x).filter(|&s| s < current.len()).ok_or_else(|| {
                            Error::Setting(format!("tensor {x}, read by op {}, is not in the stage", step.op))
                        })?;
                        // Read before its first row is computed, the read lies wholly in the
                        // reader's padding: the ring opens empty.
                        let ring = current[slot]
                            .unwrap_or_else(|| open_ring(b, sops, rings, slot, Region { y1: read.y0, ..read }));
                        current[slot] = Some(ring);
                        ring
                    }
                };
                b.touch(access.buffer);
                inputs.push(access);
            }
            let slot = step.op - sops.ops.start;
            let (output, keep) = if step.op == split_op {
                (split_output(b, stage.split, whole_split), None)
            } else {
                let now = rings.held[i].unwrap_or_default();
                let before = current[slot].unwrap_or_else(|| open_ring(b, sops, rings, slot, now));
                let was = before.held.unwrap_or_default();
                let (buffer, keep) = (before.buffer, (was.area() > 0 && now.y0 < was.y1).then_some(was));
                b.touch(buffer);
                let a = Access { buffer, held: Some(now) };
                current[slot] = Some(a);
                (a, keep)
            };
            let last_band = step.band + 1 == stage.rows && col + 1 == stage.cols;
            b.push(Step {
                op: step.op,
                region: Some(step.rows),
                patch: Some(PatchRef { stage: index, index: tile_index, row: step.band, col }),
                inputs,
                output,
                scratch: None,
                keep,
                completes: step.op == split_op && last_band,
            });
        }
        Ok(())
    }
}

/// Opens the ring of stage slot `slot`, holding `held`.
fn open_ring(b: &mut Builder, sops: &StageOps, rings: &Rings, slot: usize, held: Region) -> Access {
    let tensor = b.graph.ops[sops.ops.start + slot].outputs[0];
    let buffer = b.open(smallvec![tensor], rings.size[slot], BufferKind::PatchTile, Some(held));
    Access { buffer, held: Some(held) }
}
