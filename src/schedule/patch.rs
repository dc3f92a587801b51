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

    pub(super) fn slots(&self) -> usize {
        self.ops.len() + 1
    }

    /// The slot of tensor `t`, if the stage computes or reads it.
    pub(super) fn slot(&self, t: usize) -> Option<usize> {
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
/// With [`Halo::Recompute`] the patches run row-major, each with tile buffers of its own;
/// [`Halo::Cache`] stages run row by row through rings (`rings.rs`).
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
    if stage.halo == Halo::Cache {
        return super::rings::run_stage(b, index, stage, sops, &tiles, input_whole);
    }
    let tensors = StageTensors::new(graph, sops);
    let needs: Vec<Needs> = tiles.iter().map(|&tile| tensors.needs(graph, b.kernels, split, tile)).collect();
    for (i, (&tile, need)) in tiles.iter().zip(&needs).enumerate() {
        let patch = PatchRef { stage: index, index: i, row: i / stage.cols, col: i % stage.cols };
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
                                let a = deliver(b, x, need.get(x).ok_or_else(missing)?);
                                held[slot] = Some(a);
                                a
                            }
                        }
                    }
                };
                b.touch(access.buffer);
                inputs.push(access);
            }
            let mut scratch = None;
            let output = if out == split {
                split_output(b, split, whole_split)
            } else {
                let (buffer, s) = b.open_output(op, &inputs, out_region, BufferKind::PatchTile);
                scratch = s;
                let a = Access { buffer, held: Some(out_region) };
                held[op - sops.ops.start] = Some(a);
                a
            };
            b.push(Step {
                op,
                region: Some(out_region),
                patch: Some(patch),
                inputs,
                output,
                scratch,
                keep: None,
                completes: out == split && i + 1 == tiles.len(),
            });
        }
    }
    Ok(())
}

/// The camera's delivery of `region` of the stage input `x` (streamed input).
pub(super) fn deliver(b: &mut Builder, x: usize, region: Region) -> Access {
    let buffer = b.open(smallvec![x], region_bytes(b.graph, x, region), BufferKind::InputTile, Some(region));
    Access { buffer, held: Some(region) }
}

/// The whole buffer of split tensor `split`, which every tile of the stage writes: opened by
/// the first and alive through each (even when nothing reads it later).
pub(super) fn split_output(b: &mut Builder, split: usize, whole_split: Region) -> Access {
    let buffer = match b.whole[split] {
        Some(buffer) => buffer,
        None => b.open(smallvec![split], b.graph.tensors[split].bytes(), BufferKind::StageOutput, None),
    };
    b.whole[split] = Some(buffer);
    b.touch(buffer);
    Access { buffer, held: Some(whole_split) }
}
