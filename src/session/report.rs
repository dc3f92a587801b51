//! The typed reports a session answers with: plain data (`Serialize`) that a face renders as
//! text, JSON or drawings, computing nothing of its own.

use super::advice::FitAdvice;
use super::settings::Settings;
use crate::arena::Mcu;
use crate::error::{Error, Result};
use crate::exec::Output;
use crate::export::ArenaFigures;
use crate::geometry::Region;
use crate::kernels::Kernel;
use crate::labels;
use crate::latency::Estimate;
use crate::model::metadata::ModelMetadata;
use crate::model::{DType, Graph, Tensor};
use crate::preprocess::InputRange;
use crate::schedule::measure::{BlockMemory, Candidate};
use crate::schedule::search::{self, MAX_GRID};
use crate::schedule::{self, BufferKind, Halo, InPlace, InputMode, PatchRef, PatchRegions, Plan, Schedule, Stage};
use crate::trace::TraceStep;
use crate::zoo;
use serde::Serialize;

/// Where a session's model came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A .tflite file of `bytes` bytes: its weights are real.
    Tflite {
        /// The file's size.
        bytes: usize,
    },
    /// A zoo architecture with synthetic weights: only memory, MACs and exactness mean
    /// anything; there is no verdict to show.
    Zoo {
        /// The architecture's name (see [`Catalog::architectures`]).
        arch: String,
        /// Its width multiplier.
        width: f64,
        /// Its input resolution.
        resolution: usize,
    },
}

/// Affine quantization of a tensor: real = scale × (q − zero_point).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QuantReport {
    /// Real value of one step of the integer.
    pub scale: f32,
    /// The integer that stands for real zero.
    pub zero_point: i32,
}

/// A tensor as a face shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorReport {
    /// Index in the model's tensor list.
    pub index: usize,
    /// The name the converter gave it.
    pub name: String,
    /// Its shape, batch first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Bytes of the whole tensor.
    pub bytes: usize,
    /// Quantization (per-tensor, or the first channel's), if any.
    pub quant: Option<QuantReport>,
}

impl TensorReport {
    pub(super) fn of(graph: &Graph, index: usize) -> TensorReport {
        let t = &graph.tensors[index];
        TensorReport {
            index,
            name: t.name.clone(),
            shape: t.shape.clone(),
            dtype: t.dtype,
            bytes: t.bytes(),
            quant: t.quant.as_ref().map(|q| QuantReport { scale: q.scale(), zero_point: q.zero_point() }),
        }
    }
}

/// A tensor a patch stage can end at.
#[derive(Debug, Clone, Serialize)]
pub struct SplitReport {
    /// The split tensor's index.
    pub tensor: usize,
    /// The op that writes it.
    pub op: usize,
    /// The tensor's name.
    pub name: String,
    /// Its shape, [1, H, W, C].
    pub shape: Vec<usize>,
    /// The finest grid over it: rows × cols (at most [`MAX_GRID`], at most the map's size).
    pub max_rows: usize,
    /// See `max_rows`.
    pub max_cols: usize,
}

/// What a model's first output is, and so whether a run gives a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// Scores of two or more classes (every dimension but the last is 1): a verdict, the
    /// best class's name and score.
    Classification,
    /// A [1, H, W, C] map with H and W above 1 (segmentation, a heat map): no verdict.
    Map,
    /// Anything else (a detector's boxes, one value, an embedding of odd shape): no verdict.
    Other,
}

impl OutputKind {
    /// The kind of an output of `shape`.
    pub fn of(shape: &[usize]) -> OutputKind {
        match shape {
            [1, h, w, _] if *h > 1 && *w > 1 => OutputKind::Map,
            [rest @ .., classes] if *classes >= 2 && rest.iter().all(|&d| d == 1) => OutputKind::Classification,
            _ => OutputKind::Other,
        }
    }
}

/// What a session knows of its model before any plan.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Where the model came from.
    pub source: Source,
    /// Number of ops.
    pub ops: usize,
    /// The model's input and outputs as the file declares them.
    pub input: TensorReport,
    /// The model outputs as the file declares them.
    pub outputs: Vec<TensorReport>,
    /// The input is an image a camera frame can feed ([1, H, W, 3] RGB or [1, H, W, 1]
    /// grayscale of at least 16 pixels a side, int8 or float32, and no audio front end in its
    /// metadata) and the weights are real; whether a run gives a verdict is `output`'s to say.
    pub classifies_images: bool,
    /// Elements of the first output.
    pub classes: usize,
    /// What the first output is: a classification (a run's verdict), a map, or other tensors.
    pub output: OutputKind,
    /// The first output's class names as shown (the model's metadata's, underscores as spaces,
    /// else `class i`), one per class for a classification, else none.
    pub labels: Vec<String>,
    /// The real values pixels 0..255 become, by the model's own rule (its metadata, else its
    /// int8 input's representable range, else 0..255): what a plan uses unless the settings
    /// give a `pixel_range`.
    pub input_range: InputRange,
    /// The metadata format the class names or the normalisation came from (`MLTK`), if any.
    pub metadata: Option<&'static str>,
    /// Bytes of every constant tensor the ops read (weights, biases).
    pub weight_bytes: usize,
    /// What Flash must hold: the .tflite file (weights and graph), or the weights of a zoo net.
    pub flash_bytes: usize,
    /// The tensors a single patch stage can end at (int8 input), in op order.
    pub splits: Vec<SplitReport>,
    /// Settings a face should open this model with.
    pub suggested: Settings,
}

/// The chosen MCU's memories against what the plan and the model need.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The preset named in the settings, if any.
    pub mcu: Option<Mcu>,
    /// SRAM bytes: the arena's size.
    pub sram: usize,
    /// Flash bytes, when known (a preset, or `flash` in the settings).
    pub flash: Option<usize>,
    /// The plan's peak SRAM.
    pub sram_needed: usize,
    /// Bytes Flash must hold (see [`ModelReport::flash_bytes`]).
    pub flash_needed: usize,
    /// The plan's peak fits the SRAM.
    pub fits_sram: bool,
    /// `None` when no Flash size is known.
    pub fits_flash: Option<bool>,
    /// Fits SRAM, and Flash when its size is known.
    pub fits: bool,
}

/// One patch stage of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    /// The tensor that ends the stage, held whole in SRAM.
    pub split: TensorReport,
    /// The op that writes the split tensor (the stage's last op).
    pub split_op: usize,
    /// Patch rows over the split tensor.
    pub rows: usize,
    /// Patch columns over the split tensor.
    pub cols: usize,
    /// Recomputed halos (MCUNetV2) or rows remembered in rings down each column.
    pub halo: Halo,
}

/// The schedule a plan runs.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleReport {
    /// No stages: layer by layer.
    pub stages: Vec<StageReport>,
    /// Which ops overwrite their input.
    pub in_place: InPlace,
    /// How the input reaches SRAM: float or int8, whole or streamed per patch.
    pub input: InputMode,
}

impl ScheduleReport {
    pub(super) fn of(graph: &Graph, schedule: &Schedule, input: InputMode) -> ScheduleReport {
        let stage = |st: &Stage| StageReport {
            split: TensorReport::of(graph, st.split),
            split_op: graph.ops.iter().position(|op| op.outputs.first() == Some(&st.split)).unwrap_or(0),
            rows: st.rows,
            cols: st.cols,
            halo: st.halo,
        };
        ScheduleReport { stages: schedule.stages.iter().map(stage).collect(), in_place: schedule.in_place, input }
    }
}

/// One arena buffer with its placement and lifetime.
#[derive(Debug, Clone, Serialize)]
pub struct BufferReport {
    /// Index in the plan's buffer list (steps' events name it).
    pub id: usize,
    /// What it holds: input, input tile, activation, patch tile, stage output, scratch, output.
    pub kind: BufferKind,
    /// The tensors it holds (none for a kernel's scratch); `name` is the first one's.
    pub tensors: Vec<usize>,
    /// The first tensor's name, or `scratch`.
    pub name: String,
    /// The shape of what it holds: a tile's region × channels, or the whole tensor.
    pub shape: Vec<usize>,
    /// Its size in bytes.
    pub bytes: usize,
    /// Where it starts in the arena.
    pub offset: usize,
    /// The first and last steps it is alive, inclusive.
    pub first: usize,
    /// See `first`.
    pub last: usize,
    /// For a tile, the region of the map it holds.
    pub region: Option<Region>,
    /// An in-place output starts at this buffer's offset (its input's).
    pub pinned: Option<usize>,
}

/// Where a plan peaks and what is live there.
#[derive(Debug, Clone, Serialize)]
pub struct PeakReport {
    /// Highest `offset + size` of the plan: the SRAM it needs.
    pub bytes: usize,
    /// Bytes live at the peak step (the rest of `bytes` is fragmentation).
    pub live_bytes: usize,
    /// The step (index into `steps`) where the extent peaks.
    pub step: usize,
    /// The op that step runs.
    pub op: usize,
    /// That op's builtin name.
    pub op_name: &'static str,
    /// The patch that step computes, inside a patch stage.
    pub patch: Option<PatchRef>,
    /// The buffers live at the peak step, lowest offset first.
    pub buffers: Vec<BufferReport>,
}

/// One plan in detail: its steps, buffers and peak, for the arena pictures.
#[derive(Debug, Clone, Serialize)]
pub struct ArenaReport {
    /// Where the plan peaks.
    pub peak: PeakReport,
    /// Multiply-accumulates of every step (recomputed halos included).
    pub macs: u64,
    /// MACs over layer by layer's, minus one (the recomputed halos).
    pub overhead: f64,
    /// The largest input region one patch of the first stage reads (height, width).
    pub input_patch: Option<(usize, usize)>,
    /// Every step: op, region, patch, the buffers it opens and closes, live bytes, extent, MACs.
    pub steps: Vec<TraceStep>,
    /// Every buffer with its offset and lifetime.
    pub buffers: Vec<BufferReport>,
}

/// One schedule the planner considered, measured.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateReport {
    /// The schedule planned.
    pub schedule: ScheduleReport,
    /// Its peak SRAM.
    pub peak_bytes: usize,
    /// The op at its peak.
    pub peak_op: usize,
    /// That op's builtin name.
    pub peak_op_name: &'static str,
    /// `(stage, row, col)` when the peak falls inside a patch stage.
    pub peak_patch: Option<(usize, usize, usize)>,
    /// Its multiply-accumulates.
    pub macs: u64,
    /// MACs over layer by layer's, minus one.
    pub overhead: f64,
    /// The largest input region one patch of the first stage reads (height, width).
    pub input_patch: Option<(usize, usize)>,
}

impl CandidateReport {
    pub(super) fn of(graph: &Graph, c: &Candidate, input: InputMode) -> CandidateReport {
        CandidateReport {
            schedule: ScheduleReport::of(graph, &c.schedule, input),
            peak_bytes: c.peak.bytes,
            peak_op: c.peak.op,
            peak_op_name: c.peak.op_name,
            peak_patch: c.peak.patch,
            macs: c.macs,
            overhead: c.overhead,
            input_patch: c.input_patch,
        }
    }
}

/// What the planner searched when asked to choose.
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    /// Schedules the search covered: every one was planned for real, or provably could not
    /// enter the front (a lower bound on its peak, from its MACs and buffer sizes, says so).
    pub candidates: usize,
    /// Those no other beats on both peak and MACs, by increasing peak.
    pub front: Vec<CandidateReport>,
}

/// One op: shapes, MACs and bytes.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    /// Index in the model's op list.
    pub index: usize,
    /// Builtin name.
    pub op: &'static str,
    /// The zoo block it belongs to, or `opN` for a loaded model.
    pub block: String,
    /// Shapes of its activation inputs.
    pub inputs: Vec<Vec<usize>>,
    /// Shapes of its outputs.
    pub outputs: Vec<Vec<usize>>,
    /// Layer by layer.
    pub macs: u64,
    /// Under this plan (a patch stage recomputes halos).
    pub plan_macs: u64,
    /// Activation bytes it reads and writes, whole.
    pub activation_bytes: usize,
    /// Bytes of the constant tensors it reads (weights, biases).
    pub weight_bytes: usize,
    /// False for the input QUANTIZE the camera's int8 pixels replace.
    pub scheduled: bool,
}

/// The ring of one tensor in a cached stage ([`Halo::Cache`]): the buffer each column of the
/// stage keeps its rows in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RingReport {
    /// The stage's index in the schedule.
    pub stage: usize,
    /// The tensor whose rows it holds.
    pub tensor: usize,
    /// The most rows it holds at once.
    pub rows: usize,
    /// Its size (the widest column's).
    pub bytes: usize,
}

impl RingReport {
    /// The rings of `plan`'s cached stages, in the order the stages compute them.
    pub(super) fn of(graph: &Graph, plan: &Plan, schedule: &Schedule) -> Vec<RingReport> {
        let mut rings: Vec<RingReport> = Vec::new();
        for step in &plan.steps {
            let Some(patch) = step.patch else { continue };
            let buffer = &plan.buffers[step.output.buffer];
            if schedule.stages[patch.stage].halo != Halo::Cache || buffer.kind != BufferKind::PatchTile {
                continue;
            }
            let ring = RingReport {
                stage: patch.stage,
                tensor: graph.ops[step.op].outputs[0],
                rows: step.output.held.map_or(0, |r| r.height()),
                bytes: buffer.size,
            };
            match rings.iter_mut().find(|r| (r.stage, r.tensor) == (ring.stage, ring.tensor)) {
                Some(r) => (r.rows, r.bytes) = (r.rows.max(ring.rows), r.bytes.max(ring.bytes)),
                None => rings.push(ring),
            }
        }
        rings
    }
}

/// The answer to [`Session::plan`]: the plan made current, next to layer by layer.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The settings as given.
    pub settings: Settings,
    /// How conflicting settings were resolved, in words.
    pub notes: Vec<String>,
    /// The chosen MCU's memories against what the plan and the model need.
    pub board: Board,
    /// The schedule planned and made current.
    pub schedule: ScheduleReport,
    /// The tensor a run fills: what the network sees.
    pub input: TensorReport,
    /// The real values an image's pixels become in this plan, and the rule that chose them
    /// (`settings` when the settings give a `pixel_range`).
    pub input_range: InputRange,
    /// The same model layer by layer (whole input in SRAM, the same in-place switches).
    pub layer_by_layer: ArenaReport,
    /// The chosen plan (equal to `layer_by_layer` when it has no stages).
    pub patched: ArenaReport,
    /// MACs of the patch stages' ops, patched over layer by layer, minus one.
    pub stage_overhead: f64,
    /// Memory per block (MCUNetV2's Figure 1 bars).
    pub blocks: Vec<BlockMemory>,
    /// Every patch of every stage: its tile of the split tensor and the input region it reads.
    pub patches: Vec<PatchRegions>,
    /// The rings of the cached stages: for each tensor a cached stage computes (but its split),
    /// the most rows its ring holds.
    pub rings: Vec<RingReport>,
    /// Every op of the model with its MACs and bytes under this plan.
    pub ops: Vec<OpReport>,
    /// Present when the planner chose (`auto`).
    pub search: Option<SearchReport>,
    /// Present when the plan does not fit the SRAM: why, and the cheapest change that fits.
    pub advice: Option<FitAdvice>,
    /// One inference's time under stock TFLite Micro with CMSIS-NN on the MCU named (else
    /// MLPerf Tiny's reference board): an estimate fitted to published results, with its
    /// basis and error ([`crate::latency`]).
    pub latency: Option<Estimate>,
    /// Why there is no estimate (no published result for the MCU's core), when there is none.
    pub latency_unknown: Option<String>,
    /// With `target: tflite-micro`: the arena stock TFLite Micro needs for this plan exported,
    /// beside its own for the unchanged model.
    pub tflite_micro: Option<TfliteMicroReport>,
}

/// What stock TFLite Micro needs for a plan exported as `export` writes it (the plan chosen
/// as `export` chooses), next to what it needs for the model as it is.
#[derive(Debug, Clone, Serialize)]
pub struct TfliteMicroReport {
    /// The exported model's arena: head (the offline plan, exact), kernel scratch, tail
    /// (the tflite-micro wheel's allocations replayed), total.
    pub exported: ArenaFigures,
    /// The layer-by-layer export's.
    pub layer_by_layer: ArenaFigures,
    /// TFLite Micro's own for the unchanged model: its greedy planner's head (modelled), the
    /// same tail.
    pub own: ArenaFigures,
    /// Schedules compared by exported total (1 when the settings name one).
    pub compared: usize,
}

/// The answer to [`Session::run`].
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Every model output, int8 and dequantized.
    pub outputs: Vec<Output>,
    /// The first output's real values, its best class, that class's name and score.
    pub scores: Vec<f32>,
    /// The first output is a classification ([`ModelReport::output`]): `class`, `label` and
    /// `score` name the verdict. Without one they are 0, empty and 0.
    pub verdict: bool,
    /// Index of the best score (the first on ties).
    pub class: usize,
    /// Its name (the settings' labels, or the model's).
    pub label: String,
    /// Its score.
    pub score: f32,
    /// The arena the run used: the MCU's SRAM, or the plan's peak when that is larger
    /// (then `fits` is false).
    pub capacity: usize,
    /// The plan's peak SRAM.
    pub peak_bytes: usize,
    /// The plan fits the MCU's SRAM.
    pub fits: bool,
    /// Multiply-accumulates of one inference under the plan.
    pub macs: u64,
}

pub(super) fn buffer_report(graph: &Graph, id: usize, b: &schedule::Buffer) -> BufferReport {
    let tensor: Option<&Tensor> = b.tensors.first().map(|&t| &graph.tensors[t]);
    let shape = match (tensor, b.region) {
        (Some(t), Some(r)) => vec![r.height(), r.width(), t.shape.last().copied().unwrap_or(1)],
        (Some(t), None) => t.shape.clone(),
        (None, _) => vec![b.size],
    };
    BufferReport {
        id,
        kind: b.kind,
        tensors: b.tensors.to_vec(),
        name: tensor.map_or_else(|| "scratch".to_string(), |t| t.name.clone()),
        shape,
        bytes: b.size,
        offset: b.offset,
        first: b.first,
        last: b.last,
        region: b.region,
        pinned: b.pinned,
    }
}

pub(super) fn model_report(
    graph: &Graph,
    kernels: &[Kernel],
    source: Source,
    metadata: &ModelMetadata,
) -> Result<ModelReport> {
    let input_index = *graph.inputs.first().ok_or_else(|| Error::Malformed("the model has no input tensor".into()))?;
    let input = TensorReport::of(graph, input_index);
    let outputs: Vec<TensorReport> = graph.outputs.iter().map(|&t| TensorReport::of(graph, t)).collect();
    let weight_bytes = graph.ops.iter().map(|op| Kernel::weight_bytes(graph, op)).sum();
    let flash_bytes = match source {
        Source::Tflite { bytes } => bytes,
        Source::Zoo { .. } => weight_bytes,
    };
    let image = graph.tensors.get(input_index).is_some_and(|t| crate::preprocess::image_size(t).is_ok())
        && matches!(input.dtype, DType::I8 | DType::F32)
        && !metadata.audio;
    // The int8 tensor a run fills by default (the model's input, or its QUANTIZE's output).
    let quantized = schedule::layerwise::entry(graph, InputMode::default()).ok().map(|(_, t)| &graph.tensors[t]);
    let input_range = InputRange::of_model(metadata, quantized);
    let classes: usize = outputs.first().map_or(0, |o| o.shape.iter().product());
    let output = match outputs.first().map_or(OutputKind::Other, |o| OutputKind::of(&o.shape)) {
        // Metadata naming another number of classes than the output has (a fingerprint
        // model's 16-value embedding with 2 names): not scores of those classes.
        OutputKind::Classification if metadata.classes.as_ref().is_some_and(|n| n.len() != classes) => {
            OutputKind::Other
        }
        kind => kind,
    };
    let labels = match output {
        OutputKind::Classification => labels::names(metadata.classes.as_deref().unwrap_or_default(), classes),
        _ => Vec::new(),
    };
    let splits = search::splits(graph, kernels, InputMode::default())?
        .into_iter()
        .filter_map(|t| {
            let map = schedule::map_region(graph, t)?;
            Some(SplitReport {
                tensor: t,
                op: graph.ops.iter().position(|op| op.outputs.first() == Some(&t))?,
                name: graph.tensors[t].name.clone(),
                shape: graph.tensors[t].shape.clone(),
                max_rows: MAX_GRID.min(map.height()),
                max_cols: MAX_GRID.min(map.width()),
            })
        })
        .collect();
    let suggested = match source {
        // Zoo nets are large: MCUNetV2's plan (4×4 to the end of the first stride-8 block).
        Source::Zoo { .. } => match zoo::stride_split(graph, 8) {
            Some(t) => Settings {
                patch: vec!["4x4".into()],
                split: vec![format!("t{t}")],
                streamed_input: true,
                in_place_depthwise: true,
                ..Settings::default()
            },
            None => Settings::default(),
        },
        Source::Tflite { .. } => Settings::default(),
    };
    Ok(ModelReport {
        classifies_images: image && matches!(source, Source::Tflite { .. }),
        classes,
        output,
        labels,
        input_range,
        metadata: metadata.format,
        ops: graph.ops.len(),
        source,
        input,
        outputs,
        weight_bytes,
        flash_bytes,
        splits,
        suggested,
    })
}
