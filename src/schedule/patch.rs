//! Patch stages (MCUNetV2): the ops that compute a split tensor run once per tile of it.
//!
//! For each tile of the split tensor, the region every tensor of the stage must provide is
//! found by walking the stage backwards: an op's output region needs `input_region` of each
//! input (the tile plus the halo its window reaches), and a tensor read by several ops needs
//! the bounding box of their needs. Then the stage runs forwards over those regions with the
//! same kernels as layer by layer, each tile in a buffer of its own; the split tensor's tile
//! lands in its whole buffer. Padding stays decided in global coordinates, so every tile
//! is byte-identical to the same region of the whole computation.

use super::{
    activation_inputs, map_region, region_bytes, Access, BufferKind, Builder, Halo, PatchRef, PatchRegions, Stage, Step,
};
use crate::error::{Error, Result};
use crate::geometry::Region;
use crate::kernels::Kernel;
use crate::model::{DType, Graph};
use smallvec::{smallvec, SmallVec};
use std::ops::Range;

/// The ops of a patch stage and the one tensor it reads from before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageOps {
    pub ops: Range<usize>,
    pub input: usize,
}

fn setting(msg: String) -> Error {
    Error::Setting(msg)
}

/// The ops from `from_op` up to the one writing `split`, checked: leading ops that are not
/// spatially local run layer by layer before the stage; every other op
/// must be local, the stage must read exactly one tensor from before it, and nothing it
/// computes but the split may be read after it.
pub fn stage_ops(graph: &Graph, kernels: &[Kernel], from_op: usize, split: usize) -> Result<StageOps> {
    let name = |t: usize| &graph.tensors[t].name;
    let producer = (from_op..graph.ops.len())
        .find(|&op| graph.ops[op].outputs[0] == split)
        .ok_or_else(|| setting(format!("tensor {split} ({}) is not computed by an op of this stage", name(split))))?;
    if map_region(graph, split).is_none() || graph.tensors[split].dtype != DType::I8 {
        return Err(setting(format!("the split tensor {split} ({}) is not an int8 [1, H, W, C] map", name(split))));
    }
    let mut start = from_op;
    while start < producer && kernels[start].output_map().is_none() {
        start += 1;
    }
    let ops = start..producer + 1;
    // Marks by tensor, so that checking a stage costs one pass over the graph.
    let mut produced = vec![false; graph.tensors.len()];
    for op in ops.clone() {
        produced[graph.ops[op].outputs[0]] = true;
    }
    let mut inputs = Vec::new();
    // Name every op that cannot run patch by patch, with its reason.
    let whole: Vec<String> = ops
        .clone()
        .filter(|&op| kernels[op].output_map().is_none())
        .map(|op| format!("op {op} ({}) {}", graph.ops[op].kind.name(), kernels[op].not_local_reason()))
        .collect();
    if !whole.is_empty() {
        return Err(setting(format!(
            "{}, so the stage cannot run patch by patch: split at or before the input of the first",
            whole.join("; ")
        )));
    }
    for op in ops.clone() {
        for &t in graph.ops[op].inputs.iter().flatten() {
            if !graph.tensors[t].is_constant() && !produced[t] && !inputs.contains(&t) {
                inputs.push(t);
            }
        }
    }
    let [input] = inputs[..] else {
        return Err(setting(format!(
            "the stage ending at tensor {split} reads {} tensors from before it",
            inputs.len()
        )));
    };
    if map_region(graph, input).is_none() {
        return Err(setting(format!(
            "the stage input {input} ({}) is not an int8 or float32 [1, H, W, C] map",
            name(input)
        )));
    }
    let mut read_later = vec![false; graph.tensors.len()];
    for &t in graph.ops[ops.end..].iter().flat_map(|o| o.inputs.iter().flatten()).chain(&graph.outputs) {
        read_later[t] = true;
    }
    for op in ops.clone() {
        let t = graph.ops[op].outputs[0];
        if t != split && read_later[t] {
            return Err(setting(format!(
                "tensor {t} ({}), written by op {op}, is needed after the split: it cannot be computed in patches",
                name(t)
            )));
        }
    }
    Ok(StageOps { ops, input })
}

/// The tiles of a `rows` × `cols` grid over an `h` × `w` map: balanced, row-major, the
/// remainder spread so that no tile is more than one row or column larger than another.
pub fn grid(h: usize, w: usize, rows: usize, cols: usize) -> Result<Vec<Region>> {
    if rows == 0 || cols == 0 || rows > h || cols > w {
        return Err(setting(format!("a {rows}×{cols} grid does not fit a {h}×{w} map")));
    }
    let bound = |i: usize, n: usize, size: usize| i * size / n;
    Ok((0..rows)
        .flat_map(|r| {
            (0..cols).map(move |c| Region {
                y0: bound(r, rows, h),
                y1: bound(r + 1, rows, h),
                x0: bound(c, cols, w),
                x1: bound(c + 1, cols, w),
            })
        })
        .collect())
}

/// The tensors of a stage, numbered so that per-tile maps are plain vectors: op
/// `ops.start + i`'s output is slot `i`, the stage input the last slot.
pub struct StageTensors {
    /// For each tensor of the graph, its slot, or `usize::MAX` outside the stage.
    slot: Vec<usize>,
    ops: Range<usize>,
}

impl StageTensors {
    pub fn new(graph: &Graph, sops: &StageOps) -> StageTensors {
        let mut slot = vec![usize::MAX; graph.tensors.len()];
        for (i, op) in sops.ops.clone().enumerate() {
            slot[graph.ops[op].outputs[0]] = i;
        }
        slot[sops.input] = sops.ops.len();
        StageTensors { slot, ops: sops.ops.clone() }
    }

    fn slots(&self) -> usize {
        self.ops.len() + 1
    }

    /// The slot of tensor `t`, if the stage computes or reads it.
    fn slot(&self, t: usize) -> Option<usize> {
        self.slot.get(t).copied().filter(|&s| s != usize::MAX)
    }

    /// The region every tensor of the stage must provide for `tile` of the split tensor.
    pub fn needs(&self, graph: &Graph, kernels: &[Kernel], split: usize, tile: Region) -> Needs<'_> {
        let mut need = Needs { tensors: self, regions: vec![None; self.slots()] };
        need.set(split, tile);
        for op in self.ops.clone().rev() {
            let Some(out) = need.get(graph.ops[op].outputs[0]) else { continue };
            let region = kernels[op].input_region(out);
            for x in activation_inputs(graph, op) {
                let merged = need.get(x).map_or(region, |r| r.union(&region));
                need.set(x, merged);
            }
        }
        need
    }
}

/// The regions of one tile's stage tensors ([`StageTensors::needs`]).
pub struct Needs<'a> {
    tensors: &'a StageTensors,
    regions: Vec<Option<Region>>,
}

impl Needs<'_> {
    /// The region tensor `t` must provide, if the tile needs any of it.
    pub fn get(&self, t: usize) -> Option<Region> {
        self.tensors.slot(t).and_then(|s| self.regions[s])
    }

    fn set(&mut self, t: usize, region: Region) {
        // Every tensor a stage op reads or writes has a slot (`stage_ops` checked the stage).
        if let Some(s) = self.tensors.slot(t) {
            self.regions[s] = Some(region);
        }
    }
}

/// Adds the steps of stage `index`: every op of `sops` once per tile of `stage.split`.
/// With `streamed`, the stage input is delivered tile by tile instead of read whole.
///
/// With [`Halo::Recompute`] the patches run row-major, each with tile buffers of its own.
/// With [`Halo::Cache`] each column of patches runs top to bottom and every op's tile buffer
/// is a ring the column's patches share, sized for its largest region: before each patch an
/// op keeps the rows of its previous region that the new one still covers (moved to the
/// front) and computes only the rows after them. Rings are never in place (their old rows
/// must survive the op), and a streamed input is delivered whole for each patch.
pub(super) fn run_stage(b: &mut Builder, index: usize, stage: &Stage, sops: &StageOps, streamed: bool) -> Result<()> {
    let graph = b.graph;
    let split = stage.split;
    let whole_split =
        map_region(graph, split).ok_or_else(|| setting(format!("the split tensor {split} is not a map")))?;
    let tiles = grid(whole_split.height(), whole_split.width(), stage.rows, stage.cols)?;
    let input_whole = match (streamed, b.whole[sops.input]) {
        (true, _) => None,
        (false, Some(buffer)) => Some(Access { buffer, held: map_region(graph, sops.input) }),
        (false, None) => return Err(setting(format!("the stage input tensor {} is not in SRAM", sops.input))),
    };
    let tensors = StageTensors::new(graph, sops);
    let needs: Vec<Needs> = tiles.iter().map(|&tile| tensors.needs(graph, b.kernels, split, tile)).collect();
    let cached = stage.halo == Halo::Cache;
    let order: Vec<usize> = match cached {
        false => (0..tiles.len()).collect(),
        true => (0..stage.cols).flat_map(|c| (0..stage.rows).map(move |r| r * stage.cols + c)).collect(),
    };
    // The rings of the current column, by stage slot.
    let mut rings: Vec<Option<Access>> = vec![None; tensors.slots()];
    for (n, &i) in order.iter().enumerate() {
        let (tile, need) = (tiles[i], &needs[i]);
        let patch = PatchRef { stage: index, index: i, row: i / stage.cols, col: i % stage.cols };
        if patch.row == 0 {
            rings.fill(None);
        }
        let input = need.get(sops.input).unwrap_or_default();
        b.patches.push(PatchRegions { stage: index, index: i, tile, input });
        // The tiles of this patch opened so far, by stage slot.
        let mut held: Vec<Option<Access>> = vec![None; tensors.slots()];
        for op in sops.ops.clone() {
            let out = graph.ops[op].outputs[0];
            let Some(out_region) = need.get(out) else { continue };
            let mut inputs: SmallVec<[Access; 2]> = SmallVec::new();
            for &x in b.activation_inputs(op) {
                let access = match (x == sops.input, input_whole) {
                    (true, Some(whole)) => whole,
                    _ => {
                        let missing = || setting(format!("tensor {x}, read by op {op}, is not in the stage"));
                        let slot = tensors.slot(x).ok_or_else(missing)?;
                        match held[slot] {
                            Some(a) => a,
                            None => {
                                // Streamed: the camera delivers this patch's input region.
                                let r = need.get(x).ok_or_else(missing)?;
                                let buffer =
                                    b.open(smallvec![x], region_bytes(graph, x, r), BufferKind::InputTile, Some(r));
                                let a = Access { buffer, held: Some(r) };
                                held[slot] = Some(a);
                                a
                            }
                        }
                    }
                };
                b.touch(access.buffer);
                inputs.push(access);
            }
            let (mut scratch, mut keep, mut region) = (None, None, out_region);
            let output = if out == split {
                let buffer = match b.whole[split] {
                    Some(buffer) => buffer,
                    None => b.open(smallvec![split], graph.tensors[split].bytes(), BufferKind::StageOutput, None),
                };
                b.whole[split] = Some(buffer);
                // Every tile writes it: alive through this step even when nothing reads it later.
                b.touch(buffer);
                Access { buffer, held: Some(whole_split) }
            } else if cached {
                let slot = op - sops.ops.start;
                let buffer = match rings[slot] {
                    Some(ring) => {
                        let before = ring.held.unwrap_or_default();
                        (region, keep) = fresh_rows(graph, op, before, out_region)?;
                        b.touch(ring.buffer);
                        ring.buffer
                    }
                    None => {
                        let column = (0..stage.rows).map(|r| &needs[r * stage.cols + patch.col]);
                        let largest = column.filter_map(|n| n.get(out)).map(|r| region_bytes(graph, out, r)).max();
                        b.open(smallvec![out], largest.unwrap_or(0), BufferKind::PatchTile, Some(out_region))
                    }
                };
                let a = Access { buffer, held: Some(out_region) };
                (rings[slot], held[slot]) = (Some(a), Some(a));
                a
            } else {
                let (buffer, s) = b.open_output(op, &inputs, out_region, BufferKind::PatchTile);
                scratch = s;
                let a = Access { buffer, held: Some(out_region) };
                held[op - sops.ops.start] = Some(a);
                a
            };
            b.push(Step {
                op,
                region: Some(region),
                patch: Some(patch),
                inputs,
                output,
                scratch,
                keep,
                completes: out == split && n + 1 == order.len(),
            });
        }
    }
    Ok(())
}

/// The rows op `op` computes when its ring held `before` and must now hold `now` (the next
/// patch down the column), and the region whose rows it keeps, if any.
fn fresh_rows(graph: &Graph, op: usize, before: Region, now: Region) -> Result<(Region, Option<Region>)> {
    if (now.x0, now.x1) != (before.x0, before.x1) || now.y0 < before.y0 || now.y1 < before.y1 {
        return Err(setting(format!(
            "op {op} ({}) reads rows its previous patch has dropped, so its halo cannot be cached",
            graph.ops[op].kind.name()
        )));
    }
    let fresh = Region { y0: now.y0.max(before.y1), ..now };
    Ok((fresh, (now.y0 < before.y1).then_some(before)))
}
