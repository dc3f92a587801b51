//! Plans: the ordered steps of an inference and every buffer they use, placed in the arena.
//!
//! A plan is built in two parts that share one builder: patch stages (`patch.rs`), which
//! compute a split tensor tile by tile, and layer-by-layer runs (`layerwise.rs`) for the ops
//! around them. Every step names the buffers it reads and writes and which part of the map
//! each holds, so the executor needs no other bookkeeping; every buffer's lifetime is the
//! steps between its first write and its last read, and the arena planner gives it an offset.

pub mod layerwise;
pub mod patch;
pub mod search;

use crate::arena::planner::{self, Request, Strategy};
use crate::error::{Error, Result};
use crate::geometry::Region;
use crate::kernels::Kernel;
use crate::model::{DType, Graph, OpKind};
use serde::Serialize;

/// What a buffer holds, for accounting and for the page's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BufferKind {
    /// The whole model input, written by the caller (the camera) before the first step.
    Input,
    /// The part of the model input one patch needs, delivered by the camera (streamed input).
    InputTile,
    /// A whole intermediate tensor.
    Activation,
    /// One patch's region of a tensor inside a patch stage.
    PatchTile,
    /// The whole output of a patch stage, filled tile by tile.
    StageOutput,
    /// A kernel's temporary (the one-channel buffer of an in-place depthwise conv).
    Scratch,
    /// A model output, kept until the end.
    Output,
}

/// One arena buffer: the tensors that share it (a RESHAPE or an in-place depthwise conv
/// reuses its input's buffer), its size and the steps during which it is alive, inclusive.
#[derive(Debug, Clone, Serialize)]
pub struct Buffer {
    pub tensors: Vec<usize>,
    pub size: usize,
    pub first: usize,
    pub last: usize,
    pub kind: BufferKind,
    pub offset: usize,
    /// For a tile: the region of the map it holds (of its first tensor).
    pub region: Option<Region>,
}

/// The patch a step belongs to: stage `stage`, patch `index` (row-major) at `row`, `col`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PatchRef {
    pub stage: usize,
    pub index: usize,
    pub row: usize,
    pub col: usize,
}

/// Where a step reads or writes a tensor: a buffer, and the region of the map it holds
/// there (`None` for a tensor that is not a feature map).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Access {
    pub buffer: usize,
    pub held: Option<Region>,
}

/// One step: an op computing a region of its output (the whole output, layer by layer).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub op: usize,
    /// The output region computed; `None` for ops that are not spatially local.
    pub region: Option<Region>,
    pub patch: Option<PatchRef>,
    /// One access per activation input of the op, in order.
    pub inputs: Vec<Access>,
    pub output: Access,
    /// The one-channel temporary of an in-place depthwise conv (whose output then shares
    /// its input's buffer).
    pub scratch: Option<usize>,
    /// This step writes the last part of its output tensor: the whole tensor is ready.
    pub completes: bool,
}

/// How the model input reaches SRAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InputMode {
    /// Keep the model's float input buffer and run its QUANTIZE op, as TFLM does. Off by
    /// default: the camera delivers int8 pixels (the QUANTIZE's own parameters) directly.
    pub float_input: bool,
    /// The camera delivers each patch's input region when the first patch stage needs it
    /// (MCUNetV2's assumption), instead of the whole frame sitting in SRAM.
    pub streamed: bool,
}

/// One patch stage: the split tensor that ends it and the grid of patches over that tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub split: usize,
    pub rows: usize,
    pub cols: usize,
}

/// What to run patch by patch, and how: no stages is layer by layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub stages: Vec<Stage>,
    /// TinyEngine's in-place depthwise conv: the output overwrites the input channel by
    /// channel, costing max(in, out) + one channel instead of in + out.
    pub in_place_depthwise: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub buffers: Vec<Buffer>,
    /// The tensor the caller fills.
    pub input: usize,
    /// Highest `offset + size`: the SRAM the plan needs.
    pub extent: usize,
    pub strategy: Strategy,
    /// The buffer the caller's whole input is copied into (none with a streamed input).
    pub input_buffer: Option<usize>,
}

impl Plan {
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

    /// The step where the extent peaks (the first such step).
    pub fn peak_step(&self) -> usize {
        let extents: Vec<usize> = (0..self.steps.len()).map(|s| self.extent_at(s)).collect();
        let max = extents.iter().copied().max().unwrap_or(0);
        extents.iter().position(|&e| e == max).unwrap_or(0)
    }
}

/// Builds a plan for `graph` with prepared `kernels`.
pub fn plan(graph: &Graph, kernels: &[Kernel], schedule: &Schedule, input: InputMode) -> Result<Plan> {
    let (first_op, input_tensor) = layerwise::entry(graph, input)?;
    let mut b = Builder::new(graph, kernels, schedule.in_place_depthwise);
    if input.streamed && schedule.stages.is_empty() {
        return Err(Error::Setting("a streamed input needs a patch stage (the camera delivers patches)".into()));
    }
    if !input.streamed {
        b.whole[input_tensor] =
            Some(b.open(vec![input_tensor], graph.tensors[input_tensor].bytes(), BufferKind::Input, None));
    }
    let mut next_op = first_op;
    for (index, stage) in schedule.stages.iter().enumerate() {
        let sops = patch::stage_ops(graph, kernels, next_op, stage.split)?;
        b.layer_by_layer(next_op..sops.ops.start)?;
        let streamed = input.streamed && index == 0;
        if streamed && sops.input != input_tensor {
            return Err(Error::Setting(
                "a streamed input needs the first patch stage to start at the model input".into(),
            ));
        }
        let read_later = (sops.ops.end..graph.ops.len()).find(|&op| graph.ops[op].inputs.contains(&Some(input_tensor)));
        if let (true, Some(op)) = (streamed, read_later) {
            let name = graph.ops[op].kind.name();
            return Err(Error::Setting(format!(
                "op {op} ({name}) reads the model input after the patch stage, so the input cannot be streamed"
            )));
        }
        patch::run_stage(&mut b, index, stage, &sops, streamed)?;
        next_op = sops.ops.end;
    }
    b.layer_by_layer(next_op..graph.ops.len())?;
    b.finish(input_tensor)
}

/// Collects steps and buffers; shared by the layer-by-layer and the patch parts of a plan.
pub(crate) struct Builder<'g> {
    graph: &'g Graph,
    kernels: &'g [Kernel],
    in_place_depthwise: bool,
    steps: Vec<Step>,
    buffers: Vec<Buffer>,
    /// For each tensor, the buffer holding it whole, once written.
    whole: Vec<Option<usize>>,
    /// For each tensor, the last op that reads it (`usize::MAX` for model outputs).
    last_reader: Vec<usize>,
}

impl<'g> Builder<'g> {
    fn new(graph: &'g Graph, kernels: &'g [Kernel], in_place_depthwise: bool) -> Builder<'g> {
        let mut last_reader = vec![0; graph.tensors.len()];
        for (i, op) in graph.ops.iter().enumerate() {
            for &t in op.inputs.iter().flatten() {
                last_reader[t] = last_reader[t].max(i);
            }
        }
        for &t in &graph.outputs {
            last_reader[t] = usize::MAX;
        }
        Builder {
            graph,
            kernels,
            in_place_depthwise,
            steps: Vec::new(),
            buffers: Vec::new(),
            whole: vec![None; graph.tensors.len()],
            last_reader,
        }
    }

    /// The index the next pushed step will have.
    fn now(&self) -> usize {
        self.steps.len()
    }

    /// A new buffer whose lifetime starts at the next step.
    fn open(&mut self, tensors: Vec<usize>, size: usize, kind: BufferKind, region: Option<Region>) -> usize {
        let now = self.now();
        self.buffers.push(Buffer { tensors, size, first: now, last: now, kind, offset: 0, region });
        self.buffers.len() - 1
    }

    /// Keeps `buffer` alive through the next step.
    fn touch(&mut self, buffer: usize) {
        let now = self.now();
        let b = &mut self.buffers[buffer];
        b.last = b.last.max(now);
    }

    fn op_error(&self, op: usize, msg: String) -> Error {
        Error::Op { index: op, op: self.graph.ops[op].kind.name().into(), msg }
    }

    fn activation_inputs(&self, op: usize) -> Vec<usize> {
        activation_inputs(self.graph, op)
    }

    /// Whether `op` may overwrite its input `x` in place: a depth-multiplier-1 depthwise conv
    /// that is the last reader of `x`, with no more output pixels than `x` holds in `held`.
    fn can_run_in_place(&self, op: usize, x: usize, held: Region, out: Region) -> bool {
        let Kernel::DepthwiseConv2d(k) = &self.kernels[op] else { return false };
        self.in_place_depthwise && k.depth_multiplier == 1 && self.last_reader[x] == op && out.area() <= held.area()
    }

    /// Makes `out` share `x`'s buffer for an in-place depthwise conv; returns the scratch.
    fn share_in_place(&mut self, buffer: usize, out: usize, out_bytes: usize, held: Region) -> usize {
        let b = &mut self.buffers[buffer];
        b.tensors.push(out);
        b.size = b.size.max(out_bytes);
        self.open(Vec::new(), held.area(), BufferKind::Scratch, None)
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// Model outputs stay alive to the end; then every buffer gets its offset.
    fn finish(mut self, input: usize) -> Result<Plan> {
        let last = self.steps.len().saturating_sub(1);
        for &t in &self.graph.outputs {
            let b = self.whole[t].ok_or_else(|| {
                Error::Malformed(format!("output tensor {t} ({}) is never written", self.graph.tensors[t].name))
            })?;
            self.buffers[b].last = last;
            self.buffers[b].kind = BufferKind::Output;
        }
        let placement = planner::place(&Plan::requests(&self.buffers));
        for (b, &o) in self.buffers.iter_mut().zip(&placement.offsets) {
            b.offset = o;
        }
        let input_buffer = self.whole[input].filter(|&b| self.buffers[b].kind == BufferKind::Input);
        Ok(Plan {
            steps: self.steps,
            buffers: self.buffers,
            input,
            extent: placement.extent,
            strategy: placement.strategy,
            input_buffer,
        })
    }
}

/// The activation (non-constant) inputs of `op`, in order.
pub fn activation_inputs(graph: &Graph, op: usize) -> Vec<usize> {
    graph.ops[op].inputs.iter().flatten().copied().filter(|&t| !graph.tensors[t].is_constant()).collect()
}

/// The whole-map region of a tensor, if it is a batch-1 NHWC int8 map.
pub fn map_region(graph: &Graph, t: usize) -> Option<Region> {
    let tensor = &graph.tensors[t];
    match tensor.shape[..] {
        [1, h, w, _] if tensor.dtype == DType::I8 => Some(Region::whole(h, w)),
        _ => None,
    }
}

/// Bytes of `region` of map tensor `t`.
fn region_bytes(graph: &Graph, t: usize, region: Region) -> usize {
    region.area() * graph.tensors[t].shape[3]
}

/// Whether `op` is a RESHAPE (its output shares its input's buffer).
fn is_reshape(graph: &Graph, op: usize) -> bool {
    graph.ops[op].kind == OpKind::Reshape
}
