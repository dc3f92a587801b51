//! Runs a plan: every kernel reads and writes byte ranges of the one arena.

use crate::arena::Arena;
use crate::error::{Error, Result};
use crate::geometry::{as_i8, as_i8_mut, Fmap, FmapMut, Region};
use crate::kernels::Kernel;
use crate::model::{DType, Graph, OpKind, Tensor};
use crate::quant::affine::AffineDequantize;
use crate::schedule::{self, Access, BufferKind, InputMode, Plan, Schedule};
use crate::trace::{self, TraceStep};
use serde::Serialize;
use smallvec::SmallVec;
use std::ops::Range;
use std::sync::Arc;

/// How to run a model.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// SRAM bytes: the arena's size.
    pub capacity: usize,
    pub input: InputMode,
    pub schedule: Schedule,
}

/// A model prepared to run in a fixed-size arena.
pub struct Engine {
    pub graph: Arc<Graph>,
    pub kernels: Arc<[Kernel]>,
    pub plan: Plan,
    pub schedule: Schedule,
    pub input: InputMode,
    arena: Arena,
    /// For each step, the input tiles the camera delivers right before it (streamed input).
    loads: Vec<Vec<usize>>,
    /// Per buffer, with halos blanked ([`Engine::blank_input_halos`]): the part of an input
    /// tile's region its patch keeps; the rest is set to the input's zero point.
    kept: Vec<Option<Region>>,
    /// The byte blanked halo pixels read.
    blank: u8,
    /// For each step, its arena ranges and views, worked out once: running a step
    /// allocates nothing but the rare multi-input op's list of reads.
    io: Vec<StepIo>,
}

/// Where a step reads and writes.
struct StepIo {
    /// The arena bytes of each activation input.
    inputs: Vec<Range<usize>>,
    output: Range<usize>,
    /// The channels of each input map (local ops).
    channels: Vec<usize>,
    /// The channels of the output map (local ops).
    out_channels: usize,
    /// A ring's output: the arena bytes of the rows of its previous region that it still
    /// holds, and where they move before the step writes (the ring's front).
    ring_keeps: Option<(Range<usize>, usize)>,
}

/// One model output, as int8 and as real values.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub tensor: usize,
    pub int8: Vec<i8>,
    pub dequantized: Vec<f32>,
}

impl Engine {
    pub fn new(graph: Graph, config: Config) -> Result<Engine> {
        let kernels: Arc<[Kernel]> = Kernel::prepare_all(&graph)?.into();
        let plan = schedule::plan(&graph, &kernels, &config.schedule, config.input)?;
        Engine::with_plan(Arc::new(graph), kernels, plan, config)
    }

    /// An engine for a plan already made (of `config.schedule` and `config.input`) with
    /// kernels already prepared: nothing is prepared or planned again.
    pub fn with_plan(graph: Arc<Graph>, kernels: Arc<[Kernel]>, plan: Plan, config: Config) -> Result<Engine> {
        crate::model::limits::check_arena(config.capacity)?;
        let work = plan.work(&graph);
        let what = "the work of one inference under this plan, in loop iterations (a coarser grid or an earlier \
                    split recomputes less)";
        crate::model::limits::limit(what, work, crate::model::limits::MAX_PLAN_WORK)?;
        if plan.extent > config.capacity {
            // Name the first step whose buffers do not fit.
            let step = (0..plan.steps.len()).find(|&s| plan.extent_at(s) > config.capacity).unwrap_or(0);
            let index = plan.steps.get(step).map_or(0, |s| s.op);
            return Err(Error::ArenaTooSmall {
                index,
                op: graph.ops.get(index).map_or("?", |o| o.kind.name()).into(),
                needed: plan.extent_at(step).max(plan.extent),
                capacity: config.capacity,
            });
        }
        let mut loads = vec![Vec::new(); plan.steps.len()];
        for (i, b) in plan.buffers.iter().enumerate() {
            if b.kind == BufferKind::InputTile {
                loads[b.first].push(i);
            }
        }
        let io = plan
            .steps
            .iter()
            .map(|step| {
                let xs = schedule::activation_inputs(&graph, step.op);
                StepIo {
                    inputs: step.inputs.iter().zip(&xs).map(|(&a, &t)| range(&graph, &plan, a, t)).collect(),
                    output: range(&graph, &plan, step.output, graph.ops[step.op].outputs[0]),
                    channels: kernels[step.op].input_maps().iter().map(|m| m.c).collect(),
                    out_channels: kernels[step.op].output_map().map_or(0, |m| m.c),
                    ring_keeps: ring_keeps(&graph, &plan, step),
                }
            })
            .collect();
        Ok(Engine {
            graph,
            kernels,
            plan,
            schedule: config.schedule,
            input: config.input,
            arena: Arena::new(config.capacity),
            loads,
            kept: Vec::new(),
            blank: 0,
            io,
        })
    }

    pub fn capacity(&self) -> usize {
        self.arena.capacity()
    }

    /// The tensor the caller fills: int8 pixels, or the float input with `float_input`.
    pub fn input_tensor(&self) -> &Tensor {
        &self.graph.tensors[self.plan.input]
    }

    /// The arena bytes of `access` to tensor `t`.
    fn range(&self, access: Access, t: usize) -> Range<usize> {
        range(&self.graph, &self.plan, access, t)
    }

    /// Runs once on `input` (the raw bytes of [`Engine::input_tensor`]); calls `on_tensor`
    /// with every whole tensor right after the step that completes it.
    pub fn run_with(&mut self, input: &[u8], on_tensor: impl FnMut(usize, &[u8])) -> Result<()> {
        self.run_stepwise(input, on_tensor, |_| {})
    }

    /// [`Engine::run_with`], also calling `after_step` with each step's index right after it
    /// ran (its input deliveries included): what a profiler times steps by.
    pub fn run_stepwise(
        &mut self,
        input: &[u8],
        mut on_tensor: impl FnMut(usize, &[u8]),
        mut after_step: impl FnMut(usize),
    ) -> Result<()> {
        let expected = self.input_tensor().bytes();
        if input.len() != expected {
            return Err(Error::Input(format!(
                "input has {} bytes, the model's input {:?} of {} needs {expected}",
                input.len(),
                self.input_tensor().shape,
                self.input_tensor().dtype.name()
            )));
        }
        match self.plan.input_buffer {
            Some(b) => {
                let range = self.range(
                    Access { buffer: b, held: schedule::map_region(&self.graph, self.plan.input) },
                    self.plan.input,
                );
                self.arena.slice_mut(range.clone()).copy_from_slice(input);
                on_tensor(self.plan.input, self.arena.slice(range));
            }
            None => on_tensor(self.plan.input, input),
        }
        for s in 0..self.plan.steps.len() {
            for i in 0..self.loads[s].len() {
                self.deliver(input, self.loads[s][i]);
            }
            self.run_step(s);
            after_step(s);
            let step = &self.plan.steps[s];
            if step.completes {
                let out = self.graph.ops[step.op].outputs[0];
                let range = self.range(step.output, out);
                on_tensor(out, self.arena.slice(range));
            }
        }
        Ok(())
    }

    /// Breaks the plan on purpose: each patch keeps only its own share of the input (the
    /// input rows and columns in proportion to its tile of the stage's split tensor, so the
    /// shares tile the frame without overlap) and sees the rest of its delivered region, its
    /// halo, as the input's zero point — what padding reads. Everything else runs as planned,
    /// so the outputs show what the halo is for. Needs a streamed input.
    pub fn blank_input_halos(&mut self) -> Result<()> {
        let (input, plan, graph) = (&self.graph.tensors[self.plan.input], &self.plan, &self.graph);
        let (Some(whole), true) = (schedule::map_region(graph, plan.input), self.input.streamed) else {
            return Err(Error::Setting("blanking halos needs the camera to stream patches of a map input".into()));
        };
        if input.dtype != DType::I8 {
            return Err(Error::Setting(
                "blanking halos needs int8 camera pixels (the zero point is an int8 code)".into(),
            ));
        }
        let zero_point = input.quant.as_ref().map_or(0, |q| q.zero_point());
        if !(-128..=127).contains(&zero_point) {
            return Err(Error::Setting(format!("the input's zero point {zero_point} is not int8")));
        }
        let mut kept = vec![None; plan.buffers.len()];
        for (i, b) in plan.buffers.iter().enumerate().filter(|(_, b)| b.kind == BufferKind::InputTile) {
            let patch = plan.steps.get(b.first).and_then(|s| s.patch);
            let stage = patch.and_then(|p| self.schedule.stages.get(p.stage));
            let (Some(patch), Some(stage), Some(split)) =
                (patch, stage, stage.and_then(|st| schedule::map_region(graph, st.split)))
            else {
                continue;
            };
            let tile = plan
                .steps
                .iter()
                .find(|s| s.patch == Some(patch) && graph.ops[s.op].outputs.first() == Some(&stage.split))
                .and_then(|s| s.region);
            // The share of `whole` that tile edge `edge` of `of` maps to.
            let share =
                |edge: usize, of: usize, whole: usize| if edge >= of { whole } else { edge * whole / of.max(1) };
            kept[i] = tile.map(|t| Region {
                y0: share(t.y0, split.height(), whole.height()),
                y1: share(t.y1, split.height(), whole.height()),
                x0: share(t.x0, split.width(), whole.width()),
                x1: share(t.x1, split.width(), whole.width()),
            });
        }
        self.blank = zero_point as i8 as u8;
        self.kept = kept;
        Ok(())
    }

    /// The camera writes input tile `buffer`'s region of the frame into it.
    // The expects below hold for every plan `schedule::plan` builds (tiles hold regions,
    // in-place outputs are pinned to an input); no input reaches them otherwise.
    #[allow(clippy::expect_used)]
    fn deliver(&mut self, frame: &[u8], buffer: usize) {
        let b = &self.plan.buffers[buffer];
        let region = b.region.expect("input tiles hold a region");
        let (w, c) = (self.input_tensor().shape[2], schedule::pixel_bytes(&self.graph, self.plan.input));
        let row = region.width() * c;
        let dst = self.arena.slice_mut(b.offset..b.offset + region.height() * row);
        for (y, line) in (region.y0..region.y1).zip(dst.chunks_exact_mut(row.max(1))) {
            let from = (y * w + region.x0) * c;
            line.copy_from_slice(&frame[from..from + row]);
            if let Some(keep) = self.kept.get(buffer).copied().flatten() {
                for (x, pixel) in (region.x0..region.x1).zip(line.chunks_exact_mut(c.max(1))) {
                    if !(keep.y0..keep.y1).contains(&y) || !(keep.x0..keep.x1).contains(&x) {
                        pixel.fill(self.blank);
                    }
                }
            }
        }
    }

    #[allow(clippy::expect_used)] // as in `deliver`
    fn run_step(&mut self, s: usize) {
        let step = &self.plan.steps[s];
        let op = &self.graph.ops[step.op];
        let kernel = &self.kernels[step.op];
        let io = &self.io[s];
        let pinned = self.plan.buffers[step.output.buffer].pinned;
        if let Some((kept, front)) = io.ring_keeps.clone() {
            self.arena.copy_within(kept, front);
        }
        if step.region.is_some_and(|r| r.area() == 0) {
            return; // a tile that lies wholly in another op's padding
        }
        match (step.region, pinned) {
            (Some(region), Some(anchor)) => {
                // In place: the output starts where input `kept`'s buffer does; the kernel
                // knows how to overwrite it, with the step's scratch (which the plan gives only to
                // one-input ops) or reading the other inputs.
                let kept = step.inputs.iter().position(|a| a.buffer == anchor).expect("pinned to an input");
                let held = step.inputs[kept].held.expect("in-place ops read maps");
                let buffer = &self.plan.buffers[anchor];
                let buf_range = buffer.offset..buffer.offset + buffer.size;
                let channels = io.channels[kept];
                match step.scratch.map(|t| &self.plan.buffers[t]) {
                    Some(temp) => {
                        let (buf, temp) = self.arena.pair_mut(buf_range, temp.offset..temp.offset + temp.size);
                        let mut buf = FmapMut { data: as_i8_mut(buf), region: held, channels };
                        kernel.eval_in_place(&mut buf, kept, &[], as_i8_mut(temp), region);
                    }
                    None => {
                        let others: SmallVec<[usize; 2]> = (0..step.inputs.len()).filter(|&i| i != kept).collect();
                        let ranges: SmallVec<[Range<usize>; 2]> =
                            others.iter().map(|&i| io.inputs[i].clone()).collect();
                        let (reads, buf) = self.arena.io(&ranges, buf_range);
                        let views: SmallVec<[Fmap<i8>; 2]> = reads
                            .iter()
                            .zip(&others)
                            .map(|(data, &i)| input_view(data, &step.inputs[i], io.channels[i]))
                            .collect();
                        let mut buf = FmapMut { data: as_i8_mut(buf), region: held, channels };
                        kernel.eval_in_place(&mut buf, kept, &views, &mut [], region);
                    }
                }
            }
            (Some(region), None) => {
                let (out_held, out_channels) = (step.output.held.expect("map"), io.out_channels);
                // `pair_mut` refuses an empty input range that starts where the output does.
                match &io.inputs[..] {
                    [only] if !only.is_empty() => {
                        let (read, write) = self.arena.pair_mut(only.clone(), io.output.clone());
                        let mut out = FmapMut { data: as_i8_mut(write), region: out_held, channels: out_channels };
                        kernel.eval_region(&[input_view(read, &step.inputs[0], io.channels[0])], &mut out, region);
                    }
                    _ => {
                        let (reads, write) = self.arena.io(&io.inputs, io.output.clone());
                        let views: SmallVec<[Fmap<i8>; 2]> = reads
                            .iter()
                            .zip(&step.inputs)
                            .zip(&io.channels)
                            .map(|((data, a), &channels)| input_view(data, a, channels))
                            .collect();
                        let mut out = FmapMut { data: as_i8_mut(write), region: out_held, channels: out_channels };
                        kernel.eval_region(&views, &mut out, region);
                    }
                }
            }
            (None, _) if op.kind == OpKind::Reshape && step.inputs[0].buffer == step.output.buffer => {
                // Aliased: the bytes are already where the output lives.
            }
            (None, _) => {
                let (reads, write) = self.arena.io(&io.inputs, io.output.clone());
                kernel.eval(&reads, write);
            }
        }
    }

    /// Runs once and returns the model outputs.
    pub fn run(&mut self, input: &[u8]) -> Result<Vec<Output>> {
        self.run_observed(input, |_, _| {})
    }

    /// [`Engine::run`], also calling `on_tensor` as [`Engine::run_with`] does.
    pub fn run_observed(&mut self, input: &[u8], mut on_tensor: impl FnMut(usize, &[u8])) -> Result<Vec<Output>> {
        // A float output written by DEQUANTIZE reports the int8 tensor it came from.
        let sources: Vec<(usize, usize)> = self
            .graph
            .outputs
            .iter()
            .map(|&t| {
                let producer = self.graph.ops.iter().find(|op| op.outputs.contains(&t));
                match producer {
                    Some(op) if op.kind == OpKind::Dequantize => (t, op.inputs[0].unwrap_or(t)),
                    _ => (t, t),
                }
            })
            .collect();
        let mut captured: Vec<Option<Vec<u8>>> = vec![None; sources.len()];
        self.run_with(input, |t, bytes| {
            on_tensor(t, bytes);
            for (i, &(_, src)) in sources.iter().enumerate() {
                if src == t {
                    captured[i] = Some(bytes.to_vec());
                }
            }
        })?;
        let mut outputs = Vec::new();
        for ((out, src), bytes) in sources.into_iter().zip(captured) {
            let bytes = bytes.unwrap_or_default();
            let tensor = &self.graph.tensors[src];
            let int8: Vec<i8> = match tensor.dtype {
                DType::I8 => as_i8(&bytes).to_vec(),
                _ => Vec::new(),
            };
            let dequantized = match &tensor.quant {
                Some(q) if tensor.dtype == DType::I8 => {
                    let values = AffineDequantize::new(q);
                    int8.iter().map(|&v| values.dequantize(v)).collect()
                }
                _ => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            };
            outputs.push(Output { tensor: out, int8, dequantized });
        }
        Ok(outputs)
    }

    /// The arena events of the plan, step by step.
    pub fn trace(&self) -> Vec<TraceStep> {
        trace::steps(&self.graph, &self.plan, |s| self.step_macs(s))
    }

    /// Multiply-accumulates of one step: its region's share of the op's.
    pub fn step_macs(&self, s: usize) -> u64 {
        schedule::measure::step_macs(&self.plan, &self.kernels, s)
    }

    /// Total multiply-accumulates of the steps (recomputed halos included).
    pub fn macs(&self) -> u64 {
        schedule::measure::macs(&self.plan, &self.kernels)
    }
}

/// Where step `step`'s ring keeps the rows of its previous region that it still holds: their
/// arena bytes, and the ring's front they move to.
fn ring_keeps(graph: &Graph, plan: &Plan, step: &schedule::Step) -> Option<(Range<usize>, usize)> {
    let (before, now) = (step.keep?, step.output.held?);
    let row = before.width() * schedule::pixel_bytes(graph, graph.ops[step.op].outputs[0]);
    let front = plan.buffers[step.output.buffer].offset;
    Some((front + (now.y0 - before.y0) * row..front + before.height() * row, front))
}

/// The arena bytes of `access` to tensor `t`: the held region of a map, or the tensor.
fn range(graph: &Graph, plan: &Plan, access: Access, t: usize) -> Range<usize> {
    let tensor = &graph.tensors[t];
    let bytes = match access.held {
        Some(r) => r.area() * schedule::pixel_bytes(graph, t),
        None => tensor.bytes(),
    };
    let start = plan.buffers[access.buffer].offset;
    start..start + bytes
}

/// An input map's held region in the arena bytes `data`.
#[allow(clippy::expect_used)] // a plan invariant, as in `deliver`
fn input_view<'a>(data: &'a [u8], access: &Access, channels: usize) -> Fmap<'a, i8> {
    Fmap { data: as_i8(data), region: access.held.expect("local ops read maps"), channels }
}
