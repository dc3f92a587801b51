//! Plans: the ordered steps of an inference and every buffer they use, placed in the arena.
//!
//! A plan is built in two parts that share one builder: patch stages (`patch.rs`), which
//! compute a split tensor tile by tile, and layer-by-layer runs (`layerwise.rs`) for the ops
//! around them. Every step names the buffers it reads and writes and which part of the map
//! each holds, so the executor needs no other bookkeeping; every buffer's lifetime is the
//! steps between its first write and its last read, and the arena planner gives it an offset.

pub mod costs;
pub mod layerwise;
pub mod measure;
pub mod patch;
pub mod request;
mod rings;
pub mod search;

use crate::arena::planner::{self, Request, Strategy};
use crate::error::{Error, Result};
use crate::geometry::Region;
use crate::kernels::Kernel;
use crate::model::{limits, DType, Graph, OpKind};
use serde::Serialize;
use smallvec::{smallvec, SmallVec};

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
    /// A kernel's temporary (for an in-place depthwise or 1×1 conv).
    Scratch,
    /// A model output, kept until the end.
    Output,
}

/// One arena buffer: the tensors that share it (a RESHAPE reuses its input's buffer), its
/// size and the steps during which it is alive, inclusive.
#[derive(Debug, Clone, Serialize)]
pub struct Buffer {
    pub tensors: SmallVec<[usize; 1]>,
    pub size: usize,
    pub first: usize,
    pub last: usize,
    pub kind: BufferKind,
    pub offset: usize,
    /// For a tile: the region of the map it holds (of its first tensor).
    pub region: Option<Region>,
    /// The output of an in-place op starts where its input's buffer does (this one); the two
    /// overlap during that op's step only.
    pub pinned: Option<usize>,
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
    pub inputs: SmallVec<[Access; 2]>,
    pub output: Access,
    /// The temporary of an in-place op (whose output then shares its input's buffer): one
    /// channel for a depthwise conv, one pixel for a 1×1 conv.
    pub scratch: Option<usize>,
    /// This step writes the last part of its output tensor: the whole tensor is ready.
    pub completes: bool,
    /// A ring's previous region (see [`Halo::Cache`]): before the step, the rows of it that
    /// the output's held region still covers move to the front of the output buffer; the
    /// step computes its region, the rows after them.
    pub keep: Option<Region>,
}

impl Step {
    /// Its multiply-accumulates: its region's share of its op's.
    pub fn macs(&self, kernels: &[Kernel]) -> u64 {
        let kernel = &kernels[self.op];
        self.region.map_or(kernel.macs(), |r| kernel.macs_per_pixel() * r.area() as u64)
    }
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

/// One patch stage: the split tensor that ends it, the grid of patches over that tensor and
/// what happens to the halo two neighbouring patches share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub split: usize,
    pub rows: usize,
    pub cols: usize,
    pub halo: Halo,
}

impl Stage {
    /// MCUNetV2's stage: every patch recomputes its halo.
    pub fn new(split: usize, rows: usize, cols: usize) -> Stage {
        Stage { split, rows, cols, halo: Halo::Recompute }
    }
}

/// What a patch does with the rows it shares with the patch above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Halo {
    /// Recomputes them (MCUNetV2): every patch is independent, row-major.
    #[default]
    Recompute,
    /// Remembers them: each column of patches runs top to bottom as row bands, every op
    /// computing one row at a time on demand into a ring that keeps only the rows its
    /// readers still need (`rings.rs`); column halos, between columns, are still recomputed.
    Cache,
}

/// Which ops may overwrite their input (when nothing reads it later).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct InPlace {
    /// TinyEngine's in-place depthwise conv: the output overwrites the input channel by
    /// channel, costing max(in, out) + one channel instead of in + out.
    pub depthwise: bool,
    /// 1×1 convs that narrow the channels (an inverted residual's projection): the output
    /// overwrites the input pixel by pixel, costing in + one pixel instead of in + out.
    pub pointwise: bool,
    /// Residual adds write the sum over the input nothing reads later (the skip).
    pub add: bool,
}

/// What to run patch by patch, and how: no stages is layer by layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub stages: Vec<Stage>,
    pub in_place: InPlace,
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
    /// Every patch of every stage, with the region of its stage input it reads.
    pub patches: Vec<PatchRegions>,
}

/// One patch of a stage: its tile of the split tensor and the region of the stage input it
/// reads (the tile's receptive field: the tile plus the halo).
#[derive(Debug, Clone, Serialize)]
pub struct PatchRegions {
    pub stage: usize,
    pub index: usize,
    pub tile: Region,
    pub input: Region,
}

impl Plan {
    /// An upper bound of the inner-loop iterations of one inference under this plan: each
    /// step's region's share of its op's work ([`limits::op_work`]) plus [`limits::STEP_WORK`]
    /// — what [`limits::MAX_PLAN_WORK`] bounds for every schedule, recomputed halos included.
    pub fn work(&self, graph: &Graph) -> u64 {
        let share = |step: &Step| {
            let whole = limits::op_work(graph, step.op);
            let map = graph.ops[step.op].outputs.first().and_then(|&t| map_region(graph, t));
            match (step.region, map) {
                (Some(r), Some(m)) if m.area() > 0 => {
                    (u128::from(whole) * r.area() as u128 / m.area() as u128).try_into().unwrap_or(u64::MAX)
                }
                _ => whole,
            }
        };
        self.steps.iter().fold(0u64, |sum, step| sum.saturating_add(share(step)).saturating_add(limits::STEP_WORK))
    }

    /// What the planner is asked to place: each buffer's size and lifetime.
    pub fn requests(buffers: &[Buffer]) -> Vec<Request> {
        buffers.iter().map(|b| Request { size: b.size, first: b.first, last: b.last, pinned: b.pinned }).collect()
    }

    /// Buffers alive at `step`.
    pub fn live(&self, step: usize) -> impl Iterator<Item = &Buffer> {
        self.buffers.iter().filter(move |b| b.first <= step && step <= b.last)
    }

    /// Bytes in use at `step`: the sizes of the live buffers, an in-place output counted
    /// once with the input it overlaps.
    pub fn live_bytes(&self, step: usize) -> usize {
        self.live(step)
            .map(|b| match b.pinned.map(|a| &self.buffers[a]) {
                Some(a) if a.first <= step && step <= a.last => b.size.saturating_sub(a.size),
                _ => b.size,
            })
            .sum()
    }

    /// Highest `offset + size` among the buffers alive at `step`.
    pub fn extent_at(&self, step: usize) -> usize {
        self.live(step).map(|b| b.offset + b.size).max().unwrap_or(0)
    }

    /// [`Plan::live_bytes`] and [`Plan::extent_at`] of every step, in one sweep over the
    /// buffers' lifetimes (instead of a scan of every buffer per step).
    pub fn usage(&self) -> Vec<StepUsage> {
        let mut usage = vec![StepUsage::default(); self.steps.len()];
        for b in &self.buffers {
            let overwritten = b.pinned.map(|a| &self.buffers[a]);
            for (s, u) in usage.iter_mut().enumerate().take(b.last + 1).skip(b.first) {
                u.extent = u.extent.max(b.offset + b.size);
                u.live += match overwritten {
                    Some(a) if a.first <= s && s <= a.last => b.size.saturating_sub(a.size),
                    _ => b.size,
                };
            }
        }
        usage
    }

    /// Where the plan peaks: the step with the highest extent, and among those the most
    /// live bytes (the first such step).
    pub fn peak_step(&self) -> usize {
        self.usage()
            .iter()
            .enumerate()
            .max_by_key(|&(s, u)| (u.extent, u.live, std::cmp::Reverse(s)))
            .map_or(0, |(s, _)| s)
    }
}

/// What one step of a plan holds: the bytes of its live buffers and their highest end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepUsage {
    pub live: usize,
    pub extent: usize,
}

/// Builds a plan for `graph` with prepared `kernels`.
pub fn plan(graph: &Graph, kernels: &[Kernel], schedule: &Schedule, input: InputMode) -> Result<Plan> {
    Ok(draft(graph, kernels, schedule, input)?.place())
}

/// A plan whose buffers have their sizes and lifetimes but no offsets yet: enough to count
/// its MACs and bound its peak before paying for the placement.
#[derive(Debug, Clone)]
pub struct Draft {
    pub steps: Vec<Step>,
    pub buffers: Vec<Buffer>,
    input: usize,
    input_buffer: Option<usize>,
    patches: Vec<PatchRegions>,
}

impl Draft {
    /// No placement can need fewer bytes than this (see [`planner::lower_bound`]).
    pub fn peak_lower_bound(&self) -> usize {
        planner::lower_bound(&Plan::requests(&self.buffers))
    }

    /// Gives every buffer its offset.
    pub fn place(mut self) -> Plan {
        let placement = planner::place(&Plan::requests(&self.buffers));
        for (b, &o) in self.buffers.iter_mut().zip(&placement.offsets) {
            b.offset = o;
        }
        Plan {
            steps: self.steps,
            buffers: self.buffers,
            input: self.input,
            extent: placement.extent,
            strategy: placement.strategy,
            input_buffer: self.input_buffer,
            patches: self.patches,
        }
    }
}

/// The steps and buffers of a plan, not yet placed.
pub fn draft(graph: &Graph, kernels: &[Kernel], schedule: &Schedule, input: InputMode) -> Result<Draft> {
    let (first_op, input_tensor) = layerwise::entry(graph, input)?;
    let activation: Vec<Vec<usize>> = (0..graph.ops.len()).map(|op| activation_inputs(graph, op)).collect();
    let mut b = Builder::new(graph, kernels, schedule, &activation);
    if input.streamed && schedule.stages.is_empty() {
        return Err(Error::Setting("a streamed input needs a patch stage (the camera delivers patches)".into()));
    }
    if !input.streamed {
        b.whole[input_tensor] =
            Some(b.open(smallvec![input_tensor], graph.tensors[input_tensor].bytes(), BufferKind::Input, None));
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
    schedule: &'g Schedule,
    steps: Vec<Step>,
    buffers: Vec<Buffer>,
    /// For each tensor, the buffer holding it whole, once written.
    whole: Vec<Option<usize>>,
    /// For each tensor, the last op that reads it (`usize::MAX` for model outputs).
    last_reader: Vec<usize>,
    /// Each op's [`activation_inputs`], found once per plan rather than at every step.
    activation: &'g [Vec<usize>],
    patches: Vec<PatchRegions>,
}

impl<'g> Builder<'g> {
    fn new(
        graph: &'g Graph,
        kernels: &'g [Kernel],
        schedule: &'g Schedule,
        activation: &'g [Vec<usize>],
    ) -> Builder<'g> {
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
            schedule,
            steps: Vec::new(),
            buffers: Vec::new(),
            whole: vec![None; graph.tensors.len()],
            last_reader,
            activation,
            patches: Vec::new(),
        }
    }

    /// The index the next pushed step will have.
    fn now(&self) -> usize {
        self.steps.len()
    }

    /// A new buffer whose lifetime starts at the next step.
    fn open(&mut self, tensors: SmallVec<[usize; 1]>, size: usize, kind: BufferKind, region: Option<Region>) -> usize {
        let now = self.now();
        self.buffers.push(Buffer { tensors, size, first: now, last: now, kind, offset: 0, region, pinned: None });
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

    fn activation_inputs(&self, op: usize) -> &'g [usize] {
        &self.activation[op]
    }

    /// Which input `op` may overwrite with its output region `out`, and the scratch bytes it
    /// needs, if the schedule allows it and nothing reads that input later: a depthwise conv
    /// with depth multiplier 1 and no more output than input pixels (one channel of scratch),
    /// a 1×1 stride-1 conv to no more channels than it reads (one pixel of scratch), or an
    /// add over an input holding exactly its region (no scratch).
    /// In a patch step (`tiles_only`), only tiles of this patch may be overwritten: whole
    /// buffers hold what every patch reads.
    fn in_place(&self, op: usize, inputs: &[Access], out: Region, tiles_only: bool) -> Option<(usize, usize)> {
        let xs = self.activation_inputs(op);
        let free = |i: usize| {
            let kind = self.buffers[inputs[i].buffer].kind;
            let overwritable = match tiles_only {
                true => matches!(kind, BufferKind::PatchTile | BufferKind::InputTile),
                false => kind != BufferKind::Input,
            };
            overwritable && self.last_reader[xs[i]] == op
        };
        let held = |i: usize| inputs[i].held.unwrap_or_default();
        let opts = self.schedule.in_place;
        match &self.kernels[op] {
            Kernel::DepthwiseConv2d(k) if opts.depthwise && k.depth_multiplier == 1 && free(0) => {
                (out.area() <= held(0).area()).then_some((0, held(0).area()))
            }
            Kernel::Conv2d(k) if opts.pointwise && k.is_pointwise() && free(0) && out == held(0) => {
                (k.output.c <= k.input.c).then_some((0, k.output.c))
            }
            Kernel::Add(_) if opts.add => (0..2).find(|&i| free(i) && held(i) == out && xs[0] != xs[1]).map(|i| (i, 0)),
            _ => None,
        }
    }

    /// Opens the output buffer of `op`: at its input buffer's offset when the op can run in
    /// place (with its scratch, if any), else anywhere. Returns the buffer and the scratch.
    fn open_output(
        &mut self,
        op: usize,
        inputs: &[Access],
        region: Region,
        kind: BufferKind,
    ) -> (usize, Option<usize>) {
        let out = self.graph.ops[op].outputs[0];
        let held = (kind == BufferKind::PatchTile).then_some(region);
        let bytes = region_bytes(self.graph, out, region);
        let buffer = self.open(smallvec![out], bytes, kind, held);
        let tiles_only = kind == BufferKind::PatchTile;
        let Some((i, scratch)) = self.in_place(op, inputs, region, tiles_only) else { return (buffer, None) };
        self.buffers[buffer].pinned = Some(inputs[i].buffer);
        let scratch = (scratch > 0).then(|| self.open(SmallVec::new(), scratch, BufferKind::Scratch, None));
        (buffer, scratch)
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }

    /// Model outputs stay alive to the end.
    fn finish(mut self, input: usize) -> Result<Draft> {
        let last = self.steps.len().saturating_sub(1);
        for &t in &self.graph.outputs {
            let b = self.whole[t].ok_or_else(|| {
                Error::Malformed(format!("output tensor {t} ({}) is never written", self.graph.tensors[t].name))
            })?;
            self.buffers[b].last = last;
            self.buffers[b].kind = BufferKind::Output;
        }
        let input_buffer = self.whole[input].filter(|&b| self.buffers[b].kind == BufferKind::Input);
        Ok(Draft { steps: self.steps, buffers: self.buffers, input, input_buffer, patches: self.patches })
    }
}

/// The activation (non-constant) inputs of `op`, in order.
pub fn activation_inputs(graph: &Graph, op: usize) -> Vec<usize> {
    graph.ops[op].inputs.iter().flatten().copied().filter(|&t| !graph.tensors[t].is_constant()).collect()
}

/// The whole-map region of a tensor, if it is a batch-1 NHWC map: int8, or the float32
/// input a QUANTIZE reads (which a patch stage can stream too).
pub fn map_region(graph: &Graph, t: usize) -> Option<Region> {
    let tensor = &graph.tensors[t];
    match tensor.shape[..] {
        [1, h, w, _] if matches!(tensor.dtype, DType::I8 | DType::F32) => Some(Region::whole(h, w)),
        _ => None,
    }
}

/// Bytes of one pixel of map tensor `t`: its channels times its element size (4 for a
/// float32 map).
pub fn pixel_bytes(graph: &Graph, t: usize) -> usize {
    let tensor = &graph.tensors[t];
    tensor.shape[3] * tensor.dtype.size()
}

/// Bytes of `region` of map tensor `t`.
fn region_bytes(graph: &Graph, t: usize, region: Region) -> usize {
    region.area() * pixel_bytes(graph, t)
}

/// Whether `op` is a RESHAPE (its output shares its input's buffer).
fn is_reshape(graph: &Graph, op: usize) -> bool {
    graph.ops[op].kind == OpKind::Reshape
}
