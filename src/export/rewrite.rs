//! A patch plan as a graph of standard ops that stock TFLite Micro runs exactly.
//!
//! Every op outside a patch stage is kept as it is. A stage's ops run once per patch, each on
//! the region of its input the patch needs: the region is cut from the tensor holding it with
//! SLICE, the part of the op's SAME padding that falls inside the patch is written out as
//! PAD, and the op itself runs with VALID padding on the result. Padding is decided in global
//! coordinates, so the patch computes exactly the bytes of the same region of the whole map:
//!
//! - A convolution (or depthwise convolution) skips the taps outside the map, which is the
//!   same as reading the input's zero point there; int8 PAD pads with its output's zero
//!   point, which is the input's (PAD keeps the quantization).
//! - MAX_POOL_2D skips those taps too: PADV2 with -128, which no window's maximum is below.
//! - AVERAGE_POOL_2D divides by the taps inside the map only: no explicit padding gives that
//!   divisor, so such a pool with padding on a patch refuses the plan (end the stage before it).
//!
//! The patches' tiles of the split tensor are then joined by CONCATENATION. Row stripes are
//! contiguous in NHWC: each stripe is written where it lies inside the split tensor (see
//! [`ExportGraph::inside`]) and the concatenation along the height copies each onto itself,
//! which TFLite Micro does correctly; it corrupts an in-place concatenation along the width,
//! so the tiles of a band of columns are copied into their band first. No other op shares
//! bytes with its input (TFLite Micro's kernels are not written for aliasing), except a
//! RESHAPE's output, which TFLite Micro itself leaves on its input's bytes.

use crate::error::{Error, Result};
use crate::geometry::{Region, Window};
use crate::kernels::pool2d::PoolKind;
use crate::kernels::Kernel;
use crate::model::{ConvOptions, DType, Graph, OpKind, Padding, PoolOptions, Tensor};
use crate::schedule::patch::{self, StageOps, StageTensors};
use crate::schedule::{layerwise, map_region, InputMode, Schedule, Stage};
use std::collections::HashMap;

/// TFLite Micro's CONCATENATION takes at most this many inputs.
pub const MAX_CONCAT_INPUTS: usize = 10;

/// One op of the exported graph.
#[derive(Debug, Clone)]
pub struct ExOp {
    pub kind: OpKind,
    /// Tensor indices of the exported graph; `None` for an optional input left out.
    pub inputs: Vec<Option<usize>>,
    pub output: usize,
    /// The op of the original graph this one computes (all or a patch of), if any: SLICE,
    /// PAD and CONCATENATION added by the rewrite have none.
    pub source: Option<usize>,
}

/// The exported graph: the original's tensors first (same indices), then the tensors the
/// rewrite adds.
#[derive(Debug, Clone)]
pub struct ExportGraph {
    pub tensors: Vec<Tensor>,
    pub ops: Vec<ExOp>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
    /// Tensors whose bytes lie inside another tensor's: the container and the byte offset
    /// (a row stripe of a split tensor, written in place).
    pub inside: Vec<Option<(usize, usize)>>,
    /// How many of the tensors are the original graph's (the rest the rewrite added).
    pub original_tensors: usize,
    /// Constant int32 tensors added (slice corners, paddings), by content, shared.
    constants: HashMap<(Vec<usize>, Vec<u8>), usize>,
}

/// What one activation input of a patch op reads: a region of its tensor (clipped to the
/// map) and the padding around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Read {
    region: Region,
    /// Top, bottom, left, right.
    pads: [usize; 4],
    /// What the padding holds.
    fill: Fill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// The zero point (PAD), as a convolution's skipped taps read.
    ZeroPoint,
    /// The lowest int8 value (PADV2), which a maximum never picks.
    Lowest,
}

impl ExportGraph {
    /// Rewrites `graph` as `schedule` runs it, every op run as TFLite Micro runs it (a float
    /// input's QUANTIZE included, nothing in place).
    pub fn new(graph: &Graph, kernels: &[Kernel], schedule: &Schedule) -> Result<ExportGraph> {
        let every_op = InputMode { float_input: true, streamed: false };
        let (first_op, _) = layerwise::entry(graph, every_op)?;
        let mut ex = ExportGraph {
            tensors: graph.tensors.clone(),
            ops: Vec::new(),
            inputs: graph.inputs.clone(),
            outputs: graph.outputs.clone(),
            inside: vec![None; graph.tensors.len()],
            original_tensors: graph.tensors.len(),
            constants: HashMap::new(),
        };
        let mut next_op = first_op;
        for stage in &schedule.stages {
            let mut sops = patch::stage_ops(graph, kernels, next_op, stage.split)?;
            // A float input's QUANTIZE runs whole before the patches: the patches then cut
            // int8 tiles (a float tile is 4 bytes a channel, and mcupatch's own SLICE, which
            // reads the export back, is int8 only).
            let first = sops.ops.start;
            if graph.ops[first].kind == OpKind::Quantize && graph.tensors[sops.input].dtype == DType::F32 {
                sops = StageOps { ops: first + 1..sops.ops.end, input: graph.ops[first].outputs[0] };
            }
            // One patch is the whole map: the ops as they are (a stage that ends here lets the
            // next one start after the frame is gone).
            if stage.rows * stage.cols == 1 || sops.ops.is_empty() {
                ex.copy_ops(graph, next_op..sops.ops.end);
            } else {
                ex.copy_ops(graph, next_op..sops.ops.start);
                ex.stage(graph, kernels, stage, &sops)?;
            }
            next_op = sops.ops.end;
        }
        ex.copy_ops(graph, next_op..graph.ops.len());
        if !schedule.stages.is_empty() {
            ex.drop_unused();
        }
        Ok(ex)
    }

    /// Drops the tensors no op uses (the stage's whole intermediate maps, computed only in
    /// patches now): TFLite Micro would keep a `TfLiteEvalTensor` for each, and plans an
    /// unused activation itself, outside the offline plan.
    fn drop_unused(&mut self) {
        let mut used = vec![false; self.tensors.len()];
        let read = self.ops.iter().flat_map(|op| op.inputs.iter().flatten().chain([&op.output]));
        for &t in read.chain(&self.inputs).chain(&self.outputs) {
            used[t] = true;
        }
        let mut renumber = vec![usize::MAX; self.tensors.len()];
        let mut kept = 0;
        for (t, &u) in used.iter().enumerate() {
            if u {
                renumber[t] = kept;
                kept += 1;
            }
        }
        let mut t = 0;
        self.tensors.retain(|_| (used[t], t += 1).0);
        let mut t = 0;
        self.inside.retain(|_| (used[t], t += 1).0);
        for op in &mut self.ops {
            op.inputs.iter_mut().flatten().for_each(|t| *t = renumber[*t]);
            op.output = renumber[op.output];
        }
        for t in self.inputs.iter_mut().chain(&mut self.outputs) {
            *t = renumber[*t];
        }
        for (container, _) in self.inside.iter_mut().flatten() {
            *container = renumber[*container];
        }
        self.constants.values_mut().for_each(|t| *t = renumber[*t]);
        self.original_tensors = used.iter().take(self.original_tensors).filter(|&&u| u).count();
    }

    /// Ops the rewrite added (slices, pads, concatenations and every patch's copy of a stage
    /// op beyond the one the original graph has).
    pub fn added_ops(&self, graph: &Graph) -> isize {
        self.ops.len() as isize - graph.ops.len() as isize
    }

    fn copy_ops(&mut self, graph: &Graph, ops: std::ops::Range<usize>) {
        for op in ops {
            let o = &graph.ops[op];
            self.ops.push(ExOp {
                kind: o.kind.clone(),
                inputs: o.inputs.clone(),
                output: o.outputs[0],
                source: Some(op),
            });
        }
    }

    fn add_tensor(&mut self, tensor: Tensor) -> usize {
        self.tensors.push(tensor);
        self.inside.push(None);
        self.tensors.len() - 1
    }

    /// A tensor like map tensor `like` holding `region` of it.
    fn region_tensor(&mut self, like: usize, region: Region, name: String) -> usize {
        let t = &self.tensors[like];
        let shape = vec![1, region.height(), region.width(), t.shape[3]];
        let tensor = Tensor { name, shape, dtype: t.dtype, quant: t.quant.clone(), data: None };
        self.add_tensor(tensor)
    }

    /// A constant int32 tensor, shared with any other of the same shape and values.
    fn int32_constant(&mut self, shape: Vec<usize>, values: &[usize]) -> Result<usize> {
        let mut data = Vec::with_capacity(4 * values.len());
        for &v in values {
            let v = i32::try_from(v).map_err(|_| Error::Setting(format!("{v} does not fit an int32 constant")))?;
            data.extend_from_slice(&v.to_le_bytes());
        }
        let key = (shape.clone(), data.clone());
        if let Some(&t) = self.constants.get(&key) {
            return Ok(t);
        }
        let name = format!("mcupatch/const{}", self.constants.len());
        let t = self.add_tensor(Tensor { name, shape, dtype: DType::I32, quant: None, data: Some(data) });
        self.constants.insert(key, t);
        Ok(t)
    }

    /// The stage's ops once per patch, then the tiles joined into the split tensor.
    fn stage(&mut self, graph: &Graph, kernels: &[Kernel], stage: &Stage, sops: &StageOps) -> Result<()> {
        let split = stage.split;
        let whole = map_region(graph, split)
            .ok_or_else(|| Error::Setting(format!("the split tensor {split} is not a [1, H, W, C] map")))?;
        let tiles = patch::grid(whole.height(), whole.width(), stage.rows, stage.cols)?;
        if stage.rows > MAX_CONCAT_INPUTS || stage.cols > MAX_CONCAT_INPUTS {
            return Err(Error::Setting(format!(
                "a {}x{} grid joins more than the {MAX_CONCAT_INPUTS} inputs TFLite Micro's CONCATENATION takes",
                stage.rows, stage.cols
            )));
        }
        let stage_tensors = StageTensors::new(graph, sops);
        let input_whole = map_region(graph, sops.input)
            .ok_or_else(|| Error::Setting(format!("the stage input {} is not a [1, H, W, C] map", sops.input)))?;
        let mut tile_tensors = Vec::with_capacity(tiles.len());
        for (index, &tile) in tiles.iter().enumerate() {
            let need = stage_tensors.needs(graph, kernels, split, tile);
            // Per original tensor, the exported tensor holding this patch's region of it.
            let mut held: HashMap<usize, (usize, Region)> = HashMap::from([(sops.input, (sops.input, input_whole))]);
            // The cuts made for this patch: a map read twice the same way is cut once.
            let mut cuts: Vec<(usize, Read, usize)> = Vec::new();
            for op in sops.ops.clone() {
                let out = graph.ops[op].outputs[0];
                let Some(region) = need.get(out) else { continue };
                let (kind, reads) = patch_op(graph, kernels, op, region)?;
                let mut reads = reads.into_iter();
                let mut inputs = Vec::with_capacity(graph.ops[op].inputs.len());
                for (slot, &x) in graph.ops[op].inputs.iter().enumerate() {
                    let input = match x {
                        Some(t) if !graph.tensors[t].is_constant() => {
                            let read =
                                reads.next().ok_or_else(|| op_error(graph, op, "reads more maps than it has"))?;
                            let &(tensor, holds) = held.get(&t).ok_or_else(|| {
                                op_error(graph, op, &format!("reads tensor {t}, which no op of the stage computes"))
                            })?;
                            Some(match cuts.iter().find(|&&(t, r, _)| (t, r) == (tensor, read)) {
                                Some(&(.., c)) => c,
                                None => {
                                    let c = self.cut(graph, op, tensor, holds, read, index)?;
                                    cuts.push((tensor, read, c));
                                    c
                                }
                            })
                        }
                        // A PAD's paddings are the part of its border inside this patch.
                        Some(_) if slot == 1 && matches!(kernels[op], Kernel::Pad(_)) => {
                            let Kernel::Pad(k) = &kernels[op] else { unreachable!("matched above") };
                            Some(self.paddings(pad_op_border(k, region))?)
                        }
                        other => other,
                    };
                    inputs.push(input);
                }
                let name = format!("{}/patch{index}", graph.tensors[out].name);
                let output = self.region_tensor(out, region, name);
                self.ops.push(ExOp { kind, inputs, output, source: Some(op) });
                held.insert(out, (output, region));
                if out == split {
                    tile_tensors.push(output);
                }
            }
        }
        self.join(graph, split, stage, &tiles, &tile_tensors)
    }

    /// The exported tensor holding `read` of a map: `tensor` (holding `holds`) sliced to the
    /// region and padded as the read says (each step only where needed).
    fn cut(
        &mut self,
        graph: &Graph,
        op: usize,
        tensor: usize,
        holds: Region,
        read: Read,
        patch: usize,
    ) -> Result<usize> {
        let r = read.region;
        if r.area() == 0 || r.y0 < holds.y0 || r.x0 < holds.x0 || r.y1 > holds.y1 || r.x1 > holds.x1 {
            return Err(op_error(
                graph,
                op,
                &format!(
                    "a patch reads rows {}..{} × columns {}..{} of a map, outside what it holds",
                    r.y0, r.y1, r.x0, r.x1
                ),
            ));
        }
        let base = self.tensors[tensor].name.clone();
        let mut x = tensor;
        if r != holds {
            let channels = self.tensors[tensor].shape[3];
            let begin = self.int32_constant(vec![4], &[0, r.y0 - holds.y0, r.x0 - holds.x0, 0])?;
            let size = self.int32_constant(vec![4], &[1, r.height(), r.width(), channels])?;
            let y = self.region_tensor(tensor, r, format!("{base}/patch{patch}/slice"));
            self.ops.push(ExOp {
                kind: OpKind::Slice,
                inputs: vec![Some(x), Some(begin), Some(size)],
                output: y,
                source: None,
            });
            x = y;
        }
        if read.pads != [0; 4] {
            let [top, bottom, left, right] = read.pads;
            let padded = Region { y0: 0, y1: r.height() + top + bottom, x0: 0, x1: r.width() + left + right };
            let paddings = self.paddings(read.pads)?;
            let y = self.region_tensor(tensor, padded, format!("{base}/patch{patch}/pad"));
            let mut inputs = vec![Some(x), Some(paddings)];
            if read.fill == Fill::Lowest {
                inputs.push(Some(self.lowest(tensor)));
            }
            self.ops.push(ExOp { kind: OpKind::Pad, inputs, output: y, source: None });
            x = y;
        }
        Ok(x)
    }

    /// PADV2's pad value for map `tensor`: -128 with the map's quantization, one constant
    /// shared by every pad of maps quantized alike.
    fn lowest(&mut self, tensor: usize) -> usize {
        let quant = self.tensors[tensor].quant.clone();
        let lowest = Tensor {
            name: format!("{}/lowest", self.tensors[tensor].name),
            shape: vec![1],
            dtype: DType::I8,
            quant,
            data: Some(vec![i8::MIN as u8]),
        };
        let same = |t: &Tensor| {
            t.is_constant() && (&t.shape, &t.data, &t.quant) == (&lowest.shape, &lowest.data, &lowest.quant)
        };
        match self.tensors.iter().skip(self.original_tensors).position(same) {
            Some(i) => self.original_tensors + i,
            None => self.add_tensor(lowest),
        }
    }

    /// PAD's [4, 2] paddings of a map: none on the batch and channel axes.
    fn paddings(&mut self, [top, bottom, left, right]: [usize; 4]) -> Result<usize> {
        self.int32_constant(vec![4, 2], &[0, 0, top, bottom, left, right, 0, 0])
    }

    /// Joins the tiles (row-major) into the split tensor: each band of columns copied into
    /// its band along the width, the bands (or the tiles of a single column) concatenated
    /// along the height in place inside the split tensor.
    fn join(&mut self, graph: &Graph, split: usize, stage: &Stage, tiles: &[Region], tensors: &[usize]) -> Result<()> {
        let row_bytes = graph.tensors[split].bytes() / graph.tensors[split].shape[1];
        let concat = |axis| OpKind::Concatenation { axis, activation: crate::model::Activation::None };
        let mut bands = Vec::with_capacity(stage.rows);
        for (row, (band_tiles, band_tensors)) in tiles.chunks(stage.cols).zip(tensors.chunks(stage.cols)).enumerate() {
            let first = band_tiles.first().ok_or_else(|| Error::Setting("a grid band has no tiles".into()))?;
            let band = match (stage.cols, stage.rows) {
                (1, _) => band_tensors[0],
                (_, 1) => split,
                _ => {
                    let region = Region { x0: 0, x1: graph.tensors[split].shape[2], ..*first };
                    let name = format!("{}/band{row}", graph.tensors[split].name);
                    self.region_tensor(split, region, name)
                }
            };
            if stage.cols > 1 {
                let inputs = band_tensors.iter().map(|&t| Some(t)).collect();
                self.ops.push(ExOp { kind: concat(2), inputs, output: band, source: None });
            }
            if stage.rows > 1 {
                self.inside[band] = Some((split, first.y0 * row_bytes));
                bands.push(band);
            }
        }
        if stage.rows > 1 {
            let inputs = bands.into_iter().map(Some).collect();
            self.ops.push(ExOp { kind: concat(1), inputs, output: split, source: None });
        }
        Ok(())
    }
}

fn op_error(graph: &Graph, op: usize, msg: &str) -> Error {
    Error::Op { index: op, op: graph.ops[op].kind.name().into(), msg: msg.to_string() }
}

/// The op computing `region` of stage op `op`'s output on a patch, and what each of its
/// activation inputs reads; an op without such a form is an error naming it.
fn patch_op(graph: &Graph, kernels: &[Kernel], op: usize, region: Region) -> Result<(OpKind, Vec<Read>)> {
    let kind = &graph.ops[op].kind;
    let same_map = |n: usize| vec![Read { region, pads: [0; 4], fill: Fill::ZeroPoint }; n];
    let activations = graph.ops[op].inputs.iter().flatten().filter(|&&t| !graph.tensors[t].is_constant()).count();
    let shapes_match = graph.ops[op]
        .inputs
        .iter()
        .flatten()
        .filter(|&&t| !graph.tensors[t].is_constant())
        .all(|&t| graph.tensors[t].shape == graph.tensors[graph.ops[op].outputs[0]].shape);
    let cannot = |why: &str| {
        op_error(
            graph,
            op,
            &format!("{why}, so it cannot run on a patch in TFLite Micro: end the patch stage before it"),
        )
    };
    let valid_conv = |o: &ConvOptions| ConvOptions { padding: Padding::Valid, ..*o };
    let valid_pool = |o: &PoolOptions| PoolOptions { padding: Padding::Valid, ..*o };
    Ok(match (&kernels[op], kind) {
        (Kernel::Conv2d(k), OpKind::Conv2d(o)) => {
            (OpKind::Conv2d(valid_conv(o)), vec![window_read(&k.window, region, Fill::ZeroPoint)])
        }
        (Kernel::DepthwiseConv2d(k), OpKind::DepthwiseConv2d { conv, depth_multiplier }) => (
            OpKind::DepthwiseConv2d { conv: valid_conv(conv), depth_multiplier: *depth_multiplier },
            vec![window_read(&k.window, region, Fill::ZeroPoint)],
        ),
        (Kernel::Pool2d(k), OpKind::MaxPool2d(o)) if k.kind == PoolKind::Max => {
            (OpKind::MaxPool2d(valid_pool(o)), vec![window_read(&k.window, region, Fill::Lowest)])
        }
        (Kernel::Pool2d(k), OpKind::AveragePool2d(o)) => {
            let read = window_read(&k.window, region, Fill::ZeroPoint);
            if read.pads != [0; 4] {
                return Err(cannot("its SAME padding reaches into a patch and its divisor counts only the pixels inside the map, which no explicit PAD reproduces"));
            }
            (OpKind::AveragePool2d(valid_pool(o)), vec![read])
        }
        (Kernel::Pad(k), OpKind::Pad) => {
            let read = Read { region: k.input_region(region), pads: [0; 4], fill: Fill::ZeroPoint };
            if read.region.area() == 0 {
                return Err(cannot("a patch lies wholly in its border"));
            }
            (OpKind::Pad, vec![read])
        }
        (Kernel::Add(_), OpKind::Add { .. })
        | (Kernel::Quantize(_), OpKind::Quantize)
        | (
            Kernel::Lut(_),
            OpKind::Relu
            | OpKind::Relu6
            | OpKind::Logistic
            | OpKind::Tanh
            | OpKind::HardSwish
            | OpKind::LeakyRelu { .. },
        ) if shapes_match => (kind.clone(), same_map(activations)),
        (Kernel::Binary(_), OpKind::Mul { .. } | OpKind::Sub { .. } | OpKind::Maximum | OpKind::Minimum)
            if shapes_match =>
        {
            (kind.clone(), same_map(activations))
        }
        (Kernel::Concatenation(_), OpKind::Concatenation { axis: 3 | -1, .. }) => (kind.clone(), same_map(activations)),
        _ => return Err(cannot("the export has no patch form of it")),
    })
}

/// What a window op's output `region` reads: its input rows and columns clipped to the map,
/// and the padding the clip cut off (the op's SAME padding inside this patch).
fn window_read(w: &Window, region: Region, fill: Fill) -> Read {
    let axis = |o0: usize, o1: usize, k: usize, s: usize, d: usize, pad: usize, size: usize| {
        let start = o0 * s;
        let end = (o1 - 1) * s + (k - 1) * d + 1;
        let before = pad.saturating_sub(start);
        let after = end.saturating_sub(pad + size);
        let (first, last) = (start.saturating_sub(pad).min(size), end.saturating_sub(pad).min(size));
        (first, last, before, after)
    };
    let (y0, y1, top, bottom) = axis(region.y0, region.y1, w.kernel.0, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
    let (x0, x1, left, right) = axis(region.x0, region.x1, w.kernel.1, w.stride.1, w.dilation.1, w.pad_left, w.in_w);
    Read { region: Region { y0, y1, x0, x1 }, pads: [top, bottom, left, right], fill }
}

/// The part of a PAD op's border that output `region` covers: top, bottom, left, right.
fn pad_op_border(k: &crate::kernels::pad::Pad, region: Region) -> [usize; 4] {
    let before = |o0: usize, o1: usize, pad: usize| o1.min(pad).saturating_sub(o0);
    let after = |o0: usize, o1: usize, end: usize| o1.saturating_sub(o0.max(end));
    [
        before(region.y0, region.y1, k.top),
        after(region.y0, region.y1, k.top + k.input.h),
        before(region.x0, region.x1, k.left),
        after(region.x0, region.x1, k.left + k.input.w),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Window;

    #[test]
    fn window_reads_pad_only_at_the_border() {
        // 3×3 stride 2 SAME on 8 rows: out 4, total padding 1 (0 top, 1 bottom).
        let w = Window::new((8, 8), (3, 3), (2, 2), (1, 1), Padding::Same).unwrap();
        let top = window_read(&w, Region { y0: 0, y1: 2, x0: 0, x1: 4 }, Fill::ZeroPoint);
        assert_eq!((top.region, top.pads), (Region { y0: 0, y1: 5, x0: 0, x1: 8 }, [0, 0, 0, 1]));
        let bottom = window_read(&w, Region { y0: 2, y1: 4, x0: 1, x1: 2 }, Fill::ZeroPoint);
        assert_eq!((bottom.region, bottom.pads), (Region { y0: 4, y1: 8, x0: 2, x1: 5 }, [0, 1, 0, 0]));
        // 3×3 stride 1 SAME: one row of padding on each side.
        let w = Window::new((6, 6), (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
        let first = window_read(&w, Region { y0: 0, y1: 3, x0: 3, x1: 6 }, Fill::ZeroPoint);
        assert_eq!((first.region, first.pads), (Region { y0: 0, y1: 4, x0: 2, x1: 6 }, [1, 0, 0, 1]));
    }
}
