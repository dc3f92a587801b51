//! The session: mcupatch's front door, and the only one its faces (the CLI, the wasm facade,
//! the page) use.
//!
//! A [`Session`] holds one model — a loaded .tflite or a zoo architecture — with its kernels
//! prepared once. [`Settings`] say what the user chose (the same fields as the CLI's flags and
//! the page's controls); [`Session::plan`] turns them into one [`PlanReport`] and makes that
//! plan current; [`Session::run`] runs it on an input and returns a [`RunReport`]. Every report
//! is plain data (`Serialize`): a face renders it as text, JSON or drawings and computes
//! nothing of its own. Conflicting settings are resolved the way a user means them, and the
//! report's `notes` say how.
//!
//! ```no_run
//! use mcupatch::session::{Session, Settings};
//! let bytes = std::fs::read("models/visual_wake_words.tflite")?;
//! let mut session = Session::from_tflite(&bytes)?;
//! let settings = Settings { mcu: Some("stm32f411".into()), patch: vec!["auto".into()], ..Settings::default() };
//! let plan = session.plan(&settings)?;
//! println!("peak {} B of {} B SRAM", plan.patched.peak.bytes, plan.board.sram);
//! let image = mcupatch::preprocess::decode(&std::fs::read("data/images/astronaut.png")?)?;
//! let input = session.image_input(&image)?;
//! println!("{}", session.run(&input)?.label);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::arena;
use crate::error::{Error, Result};
use crate::exec::{Config, Engine};
use crate::files;
use crate::kernels::Kernel;
use crate::model::{self, Graph, Tensor};
use crate::preprocess::{self, PixelRange};
use crate::quant::affine::AffineQuantize;
use crate::schedule::search::{self, Candidate, MAX_GRID};
use crate::schedule::{self, Plan, Schedule, Stage};
use crate::trace;
use crate::{labels, zoo};

// The engine's types the reports carry.
pub use crate::arena::{mcu, parse_size, Mcu};
pub use crate::exec::Output;
pub use crate::geometry::Region;
pub use crate::model::limits::MAX_MODEL_BYTES;
pub use crate::model::DType;
pub use crate::schedule::search::BlockMemory;
pub use crate::schedule::PatchRegions;
pub use crate::schedule::{BufferKind, InPlace, InputMode, PatchRef};
pub use crate::trace::{BufferEvent, TraceStep};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// SRAM when the settings name neither an MCU nor a size.
pub const DEFAULT_SRAM: usize = 256 * 1024;

/// What a user chooses: the memory, the accounting switches and the patch plan. Every face
/// sets these same fields (CLI flags, page controls, the URL hash); all have defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// An MCU preset ([`catalog`]): its SRAM and Flash, unless `sram` / `flash` are given.
    pub mcu: Option<String>,
    /// SRAM bytes (the arena's size); overrides the preset's.
    pub sram: Option<usize>,
    /// Flash bytes for the model's weights and graph; overrides the preset's.
    pub flash: Option<usize>,
    /// Keep the model's float input in SRAM and run its QUANTIZE op, as TFLite Micro does.
    pub float_input: bool,
    /// The camera delivers each patch's input region (MCUNetV2's assumption) instead of the
    /// whole frame sitting in SRAM; layer by layer has no patches, so it is ignored there.
    pub streamed_input: bool,
    /// In-place depthwise convolutions (TinyEngine): max(in, out) + one channel.
    pub in_place_depthwise: bool,
    /// In-place 1×1 convolutions that narrow the channels: in + one pixel.
    pub in_place_pointwise: bool,
    /// In-place residual adds: the sum overwrites the skip input.
    pub in_place_add: bool,
    /// One entry per patch stage: `auto` or a grid `RxC`; none is layer by layer.
    pub patch: Vec<String>,
    /// Where each stage ends: `opN`, `tN`, a tensor name, or `strideN` (the end of the first
    /// block at stride N); none lets the planner choose.
    pub split: Vec<String>,
    /// With `auto`: also consider plans of two or more patch stages (multi-stage fusion),
    /// grown a stage at a time from the front.
    pub multi_stage: bool,
    /// The real values of pixels 0 and 255 the model was trained on.
    pub pixel_range: [f32; 2],
    /// Class names of the first output (default: `person`, `no person` for two classes,
    /// else `class i`).
    pub labels: Option<Vec<String>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mcu: None,
            sram: None,
            flash: None,
            float_input: false,
            streamed_input: false,
            in_place_depthwise: false,
            in_place_pointwise: false,
            in_place_add: false,
            patch: Vec::new(),
            split: Vec::new(),
            multi_stage: false,
            pixel_range: [0.0, 255.0],
            labels: None,
        }
    }
}

impl Settings {
    fn in_place(&self) -> InPlace {
        InPlace { depthwise: self.in_place_depthwise, pointwise: self.in_place_pointwise, add: self.in_place_add }
    }

    /// The MCU preset named, the SRAM (the settings', the preset's or the default) and the
    /// Flash, if known.
    fn memories(&self) -> Result<(Option<Mcu>, usize, Option<usize>)> {
        let mcu = self.mcu.as_deref().filter(|m| !m.is_empty()).map(arena::mcu).transpose()?;
        let sram = self.sram.or(mcu.map(|m| m.sram)).unwrap_or(DEFAULT_SRAM);
        if sram == 0 || sram > arena::MAX_SRAM {
            return Err(Error::Setting(format!("SRAM {sram} B must be between 1 byte and {} B", arena::MAX_SRAM)));
        }
        Ok((mcu, sram, self.flash.or(mcu.map(|m| m.flash))))
    }

    fn pixel_range(&self) -> Result<PixelRange> {
        let [lo, hi] = self.pixel_range;
        PixelRange::parse(&format!("{lo},{hi}"))
    }
}

/// What the engine offers whatever the model: MCU presets, grid limits, zoo architectures.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// MCU presets: name, SRAM and Flash bytes.
    pub mcus: &'static [Mcu],
    /// SRAM when the settings name neither an MCU nor a size.
    pub default_sram: usize,
    /// Grids from 1×1 up to `max_grid` × `max_grid` (and never finer than the split map).
    pub max_grid: usize,
    /// The zoo architectures [`Session::from_zoo`] builds.
    pub architectures: &'static [&'static str],
}

/// MCU presets, grid limits and zoo architectures.
pub fn catalog() -> Catalog {
    Catalog { mcus: arena::MCUS, default_sram: DEFAULT_SRAM, max_grid: MAX_GRID, architectures: zoo::ARCHITECTURES }
}

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
    fn of(graph: &Graph, index: usize) -> TensorReport {
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
    /// The input is an image a camera frame can feed ([1, H, W, 3], int8 or float32) and the
    /// weights are real: a face may show a verdict.
    pub classifies_images: bool,
    /// Elements of the first output.
    pub classes: usize,
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
    fn of(graph: &Graph, schedule: &Schedule, input: InputMode) -> ScheduleReport {
        let stage = |st: &Stage| StageReport {
            split: TensorReport::of(graph, st.split),
            split_op: graph.ops.iter().position(|op| op.outputs.first() == Some(&st.split)).unwrap_or(0),
            rows: st.rows,
            cols: st.cols,
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
    fn of(graph: &Graph, c: &Candidate, input: InputMode) -> CandidateReport {
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
    /// Every op of the model with its MACs and bytes under this plan.
    pub ops: Vec<OpReport>,
    /// Present when the planner chose (`auto`).
    pub search: Option<SearchReport>,
}

/// The answer to [`Session::run`].
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Every model output, int8 and dequantized.
    pub outputs: Vec<Output>,
    /// The first output's real values, its best class, that class's name and score.
    pub scores: Vec<f32>,
    /// Index of the best score (the first on ties).
    pub class: usize,
    /// Its name (the settings' labels, or the default names).
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

/// The answer to [`Session::bench`]: wall time per inference of the current plan.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Inferences timed.
    pub runs: usize,
    /// Median milliseconds per inference.
    pub median_ms: f64,
    /// Fastest inference.
    pub min_ms: f64,
    /// Slowest inference.
    pub max_ms: f64,
    /// The plan's peak SRAM.
    pub peak_bytes: usize,
    /// Multiply-accumulates per inference.
    pub macs: u64,
}

/// The answer to [`Session::check_exact`]: the current plan against layer by layer on one input.
#[derive(Debug, Clone, Serialize)]
pub struct ExactnessReport {
    /// Every tensor both schedules hold whole is byte-identical.
    pub equal: bool,
    /// Tensors compared (inside a patch stage only the split tensor is ever whole).
    pub tensors: usize,
    /// Bytes compared.
    pub bytes: usize,
    /// Where they first differ (never, for a correct engine).
    pub first_difference: Option<Difference>,
}

/// The first byte where the current plan and layer by layer disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The tensor's index.
    pub tensor: usize,
    /// Its name.
    pub name: String,
    /// Byte offset within the tensor.
    pub byte: usize,
    /// The byte layer by layer wrote.
    pub layer_by_layer: u8,
    /// The byte the current plan wrote.
    pub patched: u8,
}

/// The answer to [`Session::break_halos`]: the current patch plan run with every patch seeing
/// only its own share of the input (halos blanked), next to layer by layer on the same input.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenReport {
    /// The first stage's split tensor, where the patches' results meet.
    pub split: TensorReport,
    /// Per pixel of the split tensor (row-major), how many of its channels differ from layer
    /// by layer.
    pub differing_channels: Vec<u32>,
    /// Pixels of the split tensor with any channel different.
    pub differing_pixels: usize,
    /// Bytes of the split tensor that differ.
    pub differing_bytes: usize,
    /// Layer by layer: the right answer.
    pub layer_by_layer: RunReport,
    /// The patch plan without halos: wrong by design.
    pub halos_blanked: RunReport,
}

/// The answer to [`Session::sweep`]: around the current plan's first stage, every grid at its
/// split and its grid at every split — why finer grids stop helping.
#[derive(Debug, Clone, Serialize)]
pub struct SweepReport {
    /// Tensor index of the current first stage's split.
    pub split: usize,
    /// Its grid's rows.
    pub rows: usize,
    /// Its grid's columns.
    pub cols: usize,
    /// Every grid from 1×1 to the finest at the current split, row-major.
    pub grids: Vec<CandidateReport>,
    /// The current grid at every split a stage can end at (where the grid fits), in op order.
    pub splits: Vec<CandidateReport>,
}

/// The answer to [`Session::heat`]: how many times the current plan computes each pixel of
/// every map inside its patch stages — the recomputed halos, pixel by pixel.
#[derive(Debug, Clone, Serialize)]
pub struct HeatReport {
    /// One per op inside a patch stage, in step order of first appearance.
    pub layers: Vec<LayerHeat>,
    /// How many patches read each pixel of each stage's input map (the halos' overlap).
    pub inputs: Vec<LayerHeat>,
    /// MACs the stages spend: `Σ count × macs_per_pixel` over `layers`.
    pub stage_macs: u64,
    /// MACs the same ops cost layer by layer; `stage_macs − stage_macs_layer_by_layer` is
    /// exactly the plan's extra MACs (`patched.macs − layer_by_layer.macs`).
    pub stage_macs_layer_by_layer: u64,
}

/// Counts over one map, row-major.
#[derive(Debug, Clone, Serialize)]
pub struct LayerHeat {
    /// The op that writes the map (for an input map: the stage's first op).
    pub op: usize,
    /// The map's tensor index and name.
    pub tensor: usize,
    /// The tensor's name.
    pub name: String,
    /// Map rows.
    pub height: usize,
    /// Map columns.
    pub width: usize,
    /// `height × width` counts, row-major.
    pub counts: Vec<u16>,
    /// The largest count.
    pub max: u16,
    /// MACs per output pixel of the op (0 for an input map).
    pub macs_per_pixel: u64,
}

/// The answer to [`feasibility`]: which sizes of a zoo architecture fit an MCU layer by
/// layer, which only with patches, which not at all.
#[derive(Debug, Clone, Serialize)]
pub struct FeasibilityReport {
    /// The architecture.
    pub arch: String,
    /// The MCU's memories (from the settings).
    pub sram: usize,
    /// Flash bytes, when known.
    pub flash: Option<usize>,
    /// The patch plan each cell is planned with (the settings' own, or MCUNetV2's 4×4 to
    /// the end of the first stride-8 block, streamed).
    pub patch: Vec<String>,
    /// See `patch`.
    pub split: Vec<String>,
    /// One per width × resolution, widths outer.
    pub cells: Vec<FeasibilityCell>,
}

/// One size of the architecture on the MCU.
#[derive(Debug, Clone, Serialize)]
pub struct FeasibilityCell {
    /// Width multiplier.
    pub width: f64,
    /// Input resolution.
    pub resolution: usize,
    /// Layer-by-layer MACs.
    pub macs: u64,
    /// Int8 weights (what Flash must hold).
    pub weight_bytes: usize,
    /// Peak SRAM layer by layer.
    pub layer_by_layer_peak: usize,
    /// Peak SRAM with the patch plan, and its MACs.
    pub patched_peak: usize,
    /// See `patched_peak`.
    pub patched_macs: u64,
    /// Fits SRAM (and Flash, when known) layer by layer.
    pub fits_layer_by_layer: bool,
    /// Fits SRAM (and Flash, when known) with the patch plan.
    pub fits_patched: bool,
}

/// Plans every `widths` × `resolutions` size of zoo architecture `arch` layer by layer and
/// with a patch plan, against the settings' MCU: the map of what patching makes fit.
pub fn feasibility(
    arch: &str,
    widths: &[f64],
    resolutions: &[usize],
    settings: &Settings,
) -> Result<FeasibilityReport> {
    const MAX_CELLS: usize = 400;
    if widths.len() * resolutions.len() > MAX_CELLS {
        return Err(Error::Setting(format!("at most {MAX_CELLS} sizes at once")));
    }
    let mut settings = settings.clone();
    if settings.patch.is_empty() || settings.patch == ["auto"] && settings.split.is_empty() {
        settings.patch = vec!["4x4".into()];
        settings.split = vec!["stride8".into()];
        settings.streamed_input = true;
    }
    let mut cells = Vec::new();
    let (mut sram, mut flash) = (DEFAULT_SRAM, None);
    for &width in widths {
        for &resolution in resolutions {
            let session = Session::from_zoo(arch, width, resolution, None)?;
            let cell = session.feasibility_cell(&settings)?;
            (sram, flash) = (cell.0, cell.1);
            cells.push(cell.2);
        }
    }
    Ok(FeasibilityReport { arch: arch.into(), sram, flash, patch: settings.patch, split: settings.split, cells })
}

/// What the user asked for, with the conflicts resolved.
enum Request {
    LayerByLayer,
    /// The planner chooses everything (also several stages with `multi_stage`).
    Auto {
        multi_stage: bool,
    },
    /// The planner chooses the grid for this split.
    AutoAt {
        split: usize,
    },
    /// The planner chooses the split for this grid.
    Grid {
        rows: usize,
        cols: usize,
    },
    Stages(Vec<Stage>),
}

/// The current plan and its settings.
struct Current {
    engine: Engine,
    /// Layer by layer with the same settings, for [`Session::check_exact`] (none when the
    /// plan is layer by layer itself).
    reference: Option<Engine>,
    /// The plan with halos blanked, for [`Session::break_halos`]: made on first use.
    broken: Option<Engine>,
    settings: Settings,
    pixel_range: PixelRange,
    labels: Vec<String>,
    fits: bool,
}

/// A model with its kernels prepared, and the current plan.
pub struct Session {
    graph: Arc<Graph>,
    kernels: Arc<[Kernel]>,
    model: ModelReport,
    current: Option<Current>,
    last_input: Vec<u8>,
}

impl Session {
    /// Loads a .tflite model; any defect is an error naming what is wrong.
    pub fn from_tflite(bytes: &[u8]) -> Result<Session> {
        Session::new(model::load(bytes)?, Source::Tflite { bytes: bytes.len() })
    }

    /// Loads the .tflite file at `path`, its size checked before a byte is read (devices,
    /// pipes and files over the model limit are refused).
    pub fn from_tflite_file(path: &std::path::Path) -> Result<Session> {
        Session::from_tflite(&files::read_file(path, model::limits::MAX_MODEL_BYTES)?)
    }

    /// Builds a zoo architecture (see [`catalog`]) with synthetic int8 weights; `blocks` is
    /// the MCUNet spec, e.g. `k3e1s1c16,k5e6s2c24`.
    pub fn from_zoo(arch: &str, width: f64, resolution: usize, blocks: Option<&str>) -> Result<Session> {
        let graph = zoo::Arch::parse(arch, width, resolution, blocks)?.build();
        Session::new(graph, Source::Zoo { arch: arch.to_string(), width, resolution })
    }

    fn new(graph: Graph, source: Source) -> Result<Session> {
        let kernels: Arc<[Kernel]> = Kernel::prepare_all(&graph)?.into();
        let model = model_report(&graph, &kernels, source)?;
        Ok(Session { graph: Arc::new(graph), kernels, model, current: None, last_input: Vec::new() })
    }

    /// The model: inputs, outputs, weights, the splits a patch stage may end at.
    pub fn model(&self) -> &ModelReport {
        &self.model
    }

    /// A tensor of the model by index.
    pub fn tensor(&self, index: usize) -> Result<TensorReport> {
        match index < self.graph.tensors.len() {
            true => Ok(TensorReport::of(&self.graph, index)),
            false => Err(Error::Setting(format!("no tensor {index}"))),
        }
    }

    /// Plans `settings` and makes the plan current. A plan that does not fit the SRAM is still
    /// made (and runs in an arena as large as it needs): the report's `board` says so.
    pub fn plan(&mut self, settings: &Settings) -> Result<PlanReport> {
        let graph = &*self.graph;
        let kernels = &*self.kernels;
        let mut notes = Vec::new();
        let pixel_range = settings.pixel_range()?;
        let (mcu, sram, flash) = settings.memories()?;
        let request = self.request(settings, &mut notes)?;
        let layer_by_layer = matches!(request, Request::LayerByLayer);
        let streamed = settings.streamed_input && !layer_by_layer;
        if settings.streamed_input && layer_by_layer {
            notes.push("layer by layer has no patches to stream: the whole frame is in SRAM".into());
        }
        let mut input = InputMode { float_input: settings.float_input, streamed };
        let in_place = settings.in_place();
        let (schedule, search) = self.resolve(&request, input, in_place, sram)?;
        if input.streamed && schedule.stages.is_empty() {
            notes.push("no patch plan is legal for this model: layer by layer, the whole frame in SRAM".into());
            input.streamed = false;
        }
        let whole_input = InputMode { streamed: false, ..input };
        let layerwise = Schedule { stages: Vec::new(), in_place };
        let lbl_plan = schedule::plan(graph, kernels, &layerwise, whole_input)?;
        let patched_plan = match schedule.stages.is_empty() {
            true => lbl_plan.clone(),
            false => schedule::plan(graph, kernels, &schedule, input)?,
        };
        let block = |op: usize| self.block(op);
        let comparison = search::compare_plans(graph, kernels, &lbl_plan, &patched_plan, &schedule, block)?;
        let patches = patched_plan.patches.clone();
        let sram_needed = patched_plan.extent;
        let fits_flash = flash.map(|f| self.model.flash_bytes <= f);
        let board = Board {
            mcu,
            sram,
            flash,
            sram_needed,
            flash_needed: self.model.flash_bytes,
            fits_sram: sram_needed <= sram,
            fits_flash,
            fits: sram_needed <= sram && fits_flash != Some(false),
        };
        let report = PlanReport {
            settings: settings.clone(),
            notes,
            board,
            schedule: ScheduleReport::of(graph, &schedule, input),
            input: TensorReport::of(graph, patched_plan.input),
            layer_by_layer: self.arena_report(&lbl_plan, &comparison.layer_by_layer),
            patched: self.arena_report(&patched_plan, &comparison.patched),
            stage_overhead: comparison.stage_overhead,
            blocks: comparison.blocks,
            patches,
            ops: self.op_reports(&patched_plan),
            search,
        };
        let reference = match schedule.stages.is_empty() {
            true => None,
            false => {
                let config = Config { capacity: lbl_plan.extent, input: whole_input, schedule: layerwise };
                Some(Engine::with_plan(self.graph.clone(), self.kernels.clone(), lbl_plan, config)?)
            }
        };
        let config = Config { capacity: sram.max(sram_needed), input, schedule };
        let engine = Engine::with_plan(self.graph.clone(), self.kernels.clone(), patched_plan, config)?;
        let classes = self.model.classes;
        let labels = settings.labels.clone().unwrap_or_else(|| labels::names(None, classes));
        self.current = Some(Current {
            engine,
            reference,
            broken: None,
            settings: settings.clone(),
            pixel_range,
            labels,
            fits: report.board.fits_sram,
        });
        Ok(report)
    }

    /// The settings of the current plan, if any.
    pub fn settings(&self) -> Option<&Settings> {
        self.current.as_ref().map(|c| &c.settings)
    }

    fn current(&mut self) -> Result<&mut Current> {
        if self.current.is_none() {
            self.plan(&Settings::default())?;
        }
        self.current.as_mut().ok_or_else(|| Error::Setting("no plan".into()))
    }

    /// The tensor a run fills under the current plan (int8 pixels, or the float input).
    pub fn input_tensor(&mut self) -> Result<TensorReport> {
        let t = self.current()?.engine.plan.input;
        Ok(TensorReport::of(&self.graph, t))
    }

    /// Raw input bytes as the model declares its input, as the bytes [`Session::run`] takes:
    /// the run's input tensor as they are, or the model's float32 input quantized with the
    /// run's int8 input parameters (what its QUANTIZE op does in TFLite Micro) when the run
    /// starts after that op.
    pub fn raw_input(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        let run_input = self.input_tensor()?;
        let declared = &self.model.input;
        if bytes.len() == run_input.bytes {
            return Ok(bytes.to_vec());
        }
        match (&run_input.quant, declared.dtype) {
            (Some(q), DType::F32) if bytes.len() == declared.bytes => {
                let quantize = AffineQuantize { scale: q.scale, zero_point: q.zero_point };
                let float = |b: &[u8]| {
                    let mut le = [0u8; 4];
                    le.copy_from_slice(b);
                    f32::from_le_bytes(le)
                };
                Ok(bytes.chunks_exact(4).map(|b| quantize.quantize(float(b)) as u8).collect())
            }
            _ => {
                let accepted = |t: &TensorReport| format!("{:?} of {} ({} bytes)", t.shape, t.dtype.name(), t.bytes);
                let quantized = match declared.index == run_input.index {
                    true => String::new(),
                    false => format!(" or, quantized, {}", accepted(&run_input)),
                };
                Err(Error::Input(format!(
                    "the input has {} bytes; the model's input is {}{quantized}",
                    bytes.len(),
                    accepted(declared)
                )))
            }
        }
    }

    /// The most bytes [`Session::raw_input`] takes: a reader's bound.
    pub fn raw_input_limit(&mut self) -> Result<usize> {
        Ok(self.input_tensor()?.bytes.max(self.model.input.bytes))
    }

    /// An image, centre-cropped and resized to the model's input and quantized with the
    /// input's parameters and the settings' pixel range: the bytes [`Session::run`] takes.
    pub fn image_input(&mut self, image: &RgbImage) -> Result<Vec<u8>> {
        let current = self.current()?;
        preprocess::image_input(image, current.engine.input_tensor(), current.pixel_range)
    }

    /// A camera frame (RGBA rows, `width` × `height`) as the bytes [`Session::run`] takes.
    pub fn rgba_input(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
        let current = self.current()?;
        preprocess::rgba_input(rgba, width, height, current.engine.input_tensor(), current.pixel_range)
    }

    /// Runs the current plan (planned with default settings if none was made) on `input`,
    /// the raw bytes of [`Session::input_tensor`].
    pub fn run(&mut self, input: &[u8]) -> Result<RunReport> {
        self.run_with(input, |_, _| {})
    }

    /// [`Session::run`], calling `on_tensor` with every whole tensor right after the step
    /// that completes it (the input first).
    pub fn run_with(&mut self, input: &[u8], on_tensor: impl FnMut(usize, &[u8])) -> Result<RunReport> {
        let current = self.current()?;
        let report = run_report(&mut current.engine, &current.labels, current.fits, input, on_tensor)?;
        self.last_input.clear();
        self.last_input.extend_from_slice(input);
        Ok(report)
    }

    /// Runs the current patch plan as it would run without halos — each patch sees only its
    /// own share of the input, the rest of its region blanked to the input's zero point —
    /// next to layer by layer, and shows where the split tensor goes wrong. A real execution,
    /// wrong by design: it is what the halo is for.
    pub fn break_halos(&mut self, input: &[u8]) -> Result<BrokenReport> {
        let (graph, kernels) = (self.graph.clone(), self.kernels.clone());
        let current = self.current()?;
        let (schedule, input_mode) = (current.engine.schedule.clone(), current.engine.input);
        let Some(&Stage { split, .. }) = schedule.stages.first() else {
            return Err(Error::Setting("layer by layer has no patches to break: choose a patch plan".into()));
        };
        if input_mode.float_input {
            return Err(Error::Setting("breaking the halos needs int8 camera pixels: turn off the float input".into()));
        }
        let broken = match current.broken.take() {
            Some(engine) => engine,
            None => {
                let streamed = InputMode { streamed: true, ..input_mode };
                let plan = schedule::plan(&graph, &kernels, &schedule, streamed)?;
                let config = Config { capacity: plan.extent, input: streamed, schedule };
                let mut engine = Engine::with_plan(graph.clone(), kernels, plan, config)?;
                engine.blank_input_halos()?;
                engine
            }
        };
        let broken = current.broken.insert(broken);
        let reference = current
            .reference
            .as_mut()
            .ok_or_else(|| Error::Setting("a patch plan keeps a layer-by-layer reference".into()))?;
        let (labels, fits) = (&current.labels, current.fits);
        let mut right = Vec::new();
        let layer_by_layer = run_report(reference, labels, fits, input, |t, bytes| {
            if t == split {
                right = bytes.to_vec();
            }
        })?;
        let mut wrong = Vec::new();
        let halos_blanked = run_report(broken, labels, fits, input, |t, bytes| {
            if t == split {
                wrong = bytes.to_vec();
            }
        })?;
        let channels = graph.tensors[split].shape.last().copied().unwrap_or(1).max(1);
        let differing_channels: Vec<u32> = right
            .chunks(channels)
            .zip(wrong.chunks(channels))
            .map(|(a, b)| a.iter().zip(b).filter(|(x, y)| x != y).count() as u32)
            .collect();
        Ok(BrokenReport {
            split: TensorReport::of(&graph, split),
            differing_pixels: differing_channels.iter().filter(|&&n| n > 0).count(),
            differing_bytes: differing_channels.iter().map(|&n| n as usize).sum(),
            differing_channels,
            layer_by_layer,
            halos_blanked,
        })
    }

    /// The bytes of the last input run: what the network saw.
    pub fn last_input(&self) -> &[u8] {
        &self.last_input
    }

    /// Runs `input` through the current plan and through layer by layer, and compares every
    /// tensor both hold whole, byte for byte.
    pub fn check_exact(&mut self, input: &[u8]) -> Result<ExactnessReport> {
        let current = self.current()?;
        let Some(reference) = current.reference.as_mut() else {
            let tensors = current.engine.graph.ops.len();
            return Ok(ExactnessReport { equal: true, tensors, bytes: 0, first_difference: None });
        };
        let mut expected: Vec<Option<Vec<u8>>> = vec![None; reference.graph.tensors.len()];
        reference.run_with(input, |t, bytes| expected[t] = Some(bytes.to_vec()))?;
        let graph = current.engine.graph.clone();
        let (mut tensors, mut bytes, mut first_difference) = (0, 0, None);
        current.engine.run_with(input, |t, got| {
            let Some(want) = &expected[t] else { return };
            tensors += 1;
            bytes += got.len();
            if first_difference.is_none() {
                if let Some(byte) = want.iter().zip(got).position(|(a, b)| a != b) {
                    first_difference = Some(Difference {
                        tensor: t,
                        name: graph.tensors[t].name.clone(),
                        byte,
                        layer_by_layer: want[byte],
                        patched: got[byte],
                    });
                }
            }
        })?;
        Ok(ExactnessReport { equal: first_difference.is_none(), tensors, bytes, first_difference })
    }

    /// Plans every grid at the current plan's first split and its grid at every split.
    pub fn sweep(&mut self) -> Result<SweepReport> {
        let current = self.current()?;
        let (input, in_place) = (current.engine.input, current.engine.schedule.in_place);
        let Some(&Stage { split, rows, cols }) = current.engine.schedule.stages.first() else {
            return Err(Error::Setting("layer by layer has no split or grid to sweep: choose a patch plan".into()));
        };
        let graph = &*self.graph;
        let at_split = self.evaluate_all(self.every_grid_at(split, input, in_place)?, input, in_place)?;
        let at_grid = self.evaluate_all(self.grid_at_every_split(rows, cols, input, in_place)?, input, in_place)?;
        let report = |cs: Vec<Candidate>| cs.iter().map(|c| CandidateReport::of(graph, c, input)).collect();
        Ok(SweepReport { split, rows, cols, grids: report(at_split), splits: report(at_grid) })
    }

    /// This model's cell of a [`feasibility`] map, with the SRAM and Flash it was held against.
    fn feasibility_cell(&self, settings: &Settings) -> Result<(usize, Option<usize>, FeasibilityCell)> {
        let (graph, kernels) = (&*self.graph, &*self.kernels);
        let mut notes = Vec::new();
        let (_, sram, flash) = settings.memories()?;
        let input = InputMode { float_input: settings.float_input, streamed: settings.streamed_input };
        let in_place = settings.in_place();
        let request = self.request(settings, &mut notes)?;
        let (schedule, _) = self.resolve(&request, input, in_place, sram)?;
        let layerwise = search::layer_by_layer(graph, kernels, input, in_place)?;
        // Nothing is streamed without a patch stage (see `resolve`): the frame is whole.
        let patched_input = InputMode { streamed: input.streamed && !schedule.stages.is_empty(), ..input };
        let patched = search::evaluate(graph, kernels, &schedule, patched_input, layerwise.macs)?;
        let fits_flash = flash.is_none_or(|f| self.model.flash_bytes <= f);
        let cell = FeasibilityCell {
            width: match &self.model.source {
                Source::Zoo { width, .. } => *width,
                Source::Tflite { .. } => 1.0,
            },
            resolution: self.model.input.shape.get(1).copied().unwrap_or(0),
            macs: layerwise.macs,
            weight_bytes: self.model.weight_bytes,
            layer_by_layer_peak: layerwise.peak.bytes,
            patched_peak: patched.peak.bytes,
            patched_macs: patched.macs,
            fits_layer_by_layer: layerwise.peak.bytes <= sram && fits_flash,
            fits_patched: patched.peak.bytes <= sram && fits_flash,
        };
        Ok((sram, flash, cell))
    }

    /// Counts, per pixel of every patch-stage map, how often the current plan computes it.
    pub fn heat(&mut self) -> Result<HeatReport> {
        let engine = &self.current()?.engine;
        let (graph, kernels, plan) = (&*engine.graph, &*engine.kernels, &engine.plan);
        let mut layers: Vec<LayerHeat> = Vec::new();
        let mut inputs: Vec<LayerHeat> = Vec::new();
        let blank = |op: usize, tensor: usize, macs_per_pixel: u64| -> Option<LayerHeat> {
            let map = schedule::map_region(graph, tensor)?;
            let (height, width) = (map.height(), map.width());
            let name = graph.tensors[tensor].name.clone();
            Some(LayerHeat { op, tensor, name, height, width, counts: vec![0; height * width], max: 0, macs_per_pixel })
        };
        let add = |heat: &mut LayerHeat, r: Region| {
            for y in r.y0..r.y1.min(heat.height) {
                for x in r.x0..r.x1.min(heat.width) {
                    let c = &mut heat.counts[y * heat.width + x];
                    *c = c.saturating_add(1);
                    heat.max = heat.max.max(*c);
                }
            }
        };
        for step in plan.steps.iter().filter(|s| s.patch.is_some()) {
            let (Some(region), Some(&out)) = (step.region, graph.ops[step.op].outputs.first()) else { continue };
            let index = match layers.iter().position(|l| l.op == step.op) {
                Some(i) => i,
                None => match blank(step.op, out, kernels[step.op].macs_per_pixel()) {
                    Some(heat) => {
                        layers.push(heat);
                        layers.len() - 1
                    }
                    None => continue,
                },
            };
            add(&mut layers[index], region);
        }
        // Each stage's input map: how many patches read each pixel (tile plus halo).
        let (engine_input, schedule) = (engine.input, &engine.schedule);
        let (mut next_op, _) = schedule::layerwise::entry(graph, engine_input)?;
        let regions = &engine.plan.patches;
        for (index, stage) in schedule.stages.iter().enumerate() {
            let ops = schedule::patch::stage_ops(graph, kernels, next_op, stage.split)?;
            if let Some(mut heat) = blank(ops.ops.start, ops.input, 0) {
                regions.iter().filter(|p| p.stage == index).for_each(|p| add(&mut heat, p.input));
                inputs.push(heat);
            }
            next_op = ops.ops.end;
        }
        let stage_macs =
            layers.iter().map(|l| l.counts.iter().map(|&c| u64::from(c)).sum::<u64>() * l.macs_per_pixel).sum();
        let stage_macs_layer_by_layer = layers.iter().map(|l| kernels[l.op].macs()).sum();
        Ok(HeatReport { layers, inputs, stage_macs, stage_macs_layer_by_layer })
    }

    /// Times `runs` inferences of the current plan on `input` (after one warm-up run).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn bench(&mut self, input: &[u8], runs: usize) -> Result<BenchReport> {
        if runs == 0 {
            return Err(Error::Setting("give at least one run".into()));
        }
        let current = self.current()?;
        current.engine.run(input)?;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = std::time::Instant::now();
            current.engine.run(input)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        Ok(BenchReport {
            runs,
            median_ms: times[runs / 2],
            min_ms: times[0],
            max_ms: times[runs - 1],
            peak_bytes: current.engine.plan.extent,
            macs: current.engine.macs(),
        })
    }

    /// The block an op belongs to: a zoo net's block name, or `opN`.
    fn block(&self, op: usize) -> String {
        match self.model.source {
            Source::Zoo { .. } => zoo::block_of(&self.graph, op).to_string(),
            Source::Tflite { .. } => format!("op{op}"),
        }
    }

    /// Reads the patch settings as a request, resolving conflicts as the user means them.
    fn request(&self, s: &Settings, notes: &mut Vec<String>) -> Result<Request> {
        let graph = &*self.graph;
        let patches: Vec<&str> = s.patch.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        let splits = s
            .split
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| find_split(graph, p))
            .collect::<Result<Vec<usize>>>()?;
        let planner_chooses_stages = (patches.is_empty() || patches == ["auto"]) && splits.is_empty();
        if s.multi_stage && !planner_chooses_stages {
            notes.push("several stages are searched by auto without a split: the plan given is used as it is".into());
        }
        Ok(match (&patches[..], &splits[..]) {
            ([], []) if s.multi_stage => Request::Auto { multi_stage: true },
            ([], []) => Request::LayerByLayer,
            ([], _) => {
                notes.push("layer by layer has no patch stage: the split is ignored".into());
                Request::LayerByLayer
            }
            (["auto"], []) => Request::Auto { multi_stage: s.multi_stage },
            (["auto"], [split]) => Request::AutoAt { split: *split },
            ([grid], []) => {
                let (rows, cols) = parse_grid(grid)?;
                Request::Grid { rows, cols }
            }
            (grids, splits) if grids.len() == splits.len() => {
                if grids.contains(&"auto") {
                    return Err(Error::Setting(
                        "auto chooses the grid of one stage; give a grid RxC for each of several stages".into(),
                    ));
                }
                let stages = grids
                    .iter()
                    .zip(splits)
                    .map(|(g, &split)| parse_grid(g).map(|(rows, cols)| Stage { split, rows, cols }))
                    .collect::<Result<Vec<_>>>()?;
                Request::Stages(stages)
            }
            (grids, splits) => {
                return Err(Error::Setting(format!(
                    "{} grids for {} splits: give one split per grid RxC (or one grid and no split)",
                    grids.len(),
                    splits.len()
                )))
            }
        })
    }

    /// The schedule a request stands for; where the planner chooses, the cheapest plan within
    /// `budget` bytes (or the smallest peak if none fits).
    fn resolve(
        &self,
        request: &Request,
        input: InputMode,
        in_place: InPlace,
        budget: usize,
    ) -> Result<(Schedule, Option<SearchReport>)> {
        let (graph, kernels) = (&*self.graph, &*self.kernels);
        let singles = || -> Result<usize> {
            Ok(search::single_stage_schedules(graph, kernels, input, in_place)?.len() + usize::from(!input.streamed))
        };
        let (covered, candidates) = match request {
            Request::LayerByLayer => return Ok((Schedule { stages: Vec::new(), in_place }, None)),
            Request::Stages(stages) => return Ok((Schedule { stages: stages.clone(), in_place }, None)),
            Request::Auto { multi_stage: false } => {
                (singles()?, search::explore_front(graph, kernels, input, in_place)?)
            }
            Request::Auto { multi_stage: true } => {
                let found = search::multi_stage_search(graph, kernels, input, in_place, true, search::MAX_STAGES)?;
                (found.covered, found.candidates)
            }
            &Request::AutoAt { split } => {
                if !search::splits(graph, kernels, input)?.contains(&split) {
                    return Err(self.illegal_split(split, input));
                }
                let all = self.evaluate_all(self.every_grid_at(split, input, in_place)?, input, in_place)?;
                (all.len(), all)
            }
            &Request::Grid { rows, cols } => {
                let schedules = self.grid_at_every_split(rows, cols, input, in_place)?;
                if schedules.is_empty() {
                    return Err(Error::Setting(format!(
                        "no split has a map of at least {rows}×{cols} for a {rows}x{cols} grid"
                    )));
                }
                let all = self.evaluate_all(schedules, input, in_place)?;
                (all.len(), all)
            }
        };
        let Some((choice, _)) = search::choose(&candidates, budget) else {
            // With a streamed input layer by layer is no candidate (nothing is streamed without
            // patches). A model with no legal patch plan at all (no [1, H, W, C] map to split,
            // e.g. an audio or dense model) was then refused; the planner's choice is layer by
            // layer with the frame whole, as with a whole input (`plan` notes it).
            if input.streamed && candidates.is_empty() && matches!(request, Request::Auto { .. }) {
                return Ok((Schedule { stages: Vec::new(), in_place }, None));
            }
            return Err(Error::Setting("no patch plan is legal for this model".into()));
        };
        let front = search::pareto(&candidates).iter().map(|c| CandidateReport::of(graph, c, input)).collect();
        Ok((choice.schedule, Some(SearchReport { candidates: covered, front })))
    }

    fn evaluate_all(&self, schedules: Vec<Schedule>, input: InputMode, in_place: InPlace) -> Result<Vec<Candidate>> {
        let (graph, kernels) = (&*self.graph, &*self.kernels);
        let base = search::layer_by_layer(graph, kernels, input, in_place)?.macs;
        schedules.iter().map(|s| search::evaluate(graph, kernels, s, input, base)).collect()
    }

    /// One stage ending at `split` with every grid from 1×1 to the finest, row-major.
    fn every_grid_at(&self, split: usize, input: InputMode, in_place: InPlace) -> Result<Vec<Schedule>> {
        let map = schedule::map_region(&self.graph, split).ok_or_else(|| self.illegal_split(split, input))?;
        let grids = (1..=MAX_GRID.min(map.height())).flat_map(|r| (1..=MAX_GRID.min(map.width())).map(move |c| (r, c)));
        Ok(grids.map(|(rows, cols)| Schedule { stages: vec![Stage { split, rows, cols }], in_place }).collect())
    }

    /// One `rows` × `cols` stage ending at every split whose map is at least that large.
    fn grid_at_every_split(
        &self,
        rows: usize,
        cols: usize,
        input: InputMode,
        in_place: InPlace,
    ) -> Result<Vec<Schedule>> {
        let graph = &*self.graph;
        let fits = |t: &usize| schedule::map_region(graph, *t).is_some_and(|m| m.height() >= rows && m.width() >= cols);
        let splits = search::splits(graph, &self.kernels, input)?.into_iter().filter(fits);
        Ok(splits.map(|split| Schedule { stages: vec![Stage { split, rows, cols }], in_place }).collect())
    }

    fn illegal_split(&self, split: usize, input: InputMode) -> Error {
        let graph = &*self.graph;
        let name = &graph.tensors[split].name;
        let why = schedule::layerwise::entry(graph, input)
            .and_then(|(first_op, _)| schedule::patch::stage_ops(graph, &self.kernels, first_op, split))
            .err()
            .map_or_else(|| "it is not a feature map a stage can end at".to_string(), |e| e.to_string());
        Error::Setting(format!("a patch stage cannot end at tensor {split} ({name}): {why}"))
    }

    fn arena_report(&self, plan: &Plan, measured: &Candidate) -> ArenaReport {
        let graph = &*self.graph;
        let buffers: Vec<BufferReport> =
            plan.buffers.iter().enumerate().map(|(id, b)| buffer_report(graph, id, b)).collect();
        let step = plan.peak_step();
        let mut live: Vec<BufferReport> =
            buffers.iter().filter(|b| b.first <= step && step <= b.last).cloned().collect();
        live.sort_by_key(|b| b.offset);
        let kernels = &*self.kernels;
        ArenaReport {
            peak: PeakReport {
                bytes: plan.extent,
                live_bytes: plan.live_bytes(step),
                step,
                op: measured.peak.op,
                op_name: measured.peak.op_name,
                patch: plan.steps.get(step).and_then(|s| s.patch),
                buffers: live,
            },
            macs: measured.macs,
            overhead: measured.overhead,
            input_patch: measured.input_patch,
            steps: trace::steps(graph, plan, |s| search::step_macs(plan, kernels, s)),
            buffers,
        }
    }

    fn op_reports(&self, plan: &Plan) -> Vec<OpReport> {
        let graph = &*self.graph;
        let mut plan_macs = vec![0u64; graph.ops.len()];
        let mut scheduled = vec![false; graph.ops.len()];
        for (s, step) in plan.steps.iter().enumerate() {
            plan_macs[step.op] += search::step_macs(plan, &self.kernels, s);
            scheduled[step.op] = true;
        }
        graph
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let activations = |ts: Vec<usize>| -> Vec<usize> {
                    ts.into_iter().filter(|&t| !graph.tensors[t].is_constant()).collect()
                };
                let ins = activations(op.inputs.iter().flatten().copied().collect());
                let outs = activations(op.outputs.clone());
                OpReport {
                    index: i,
                    op: op.kind.name(),
                    block: self.block(i),
                    inputs: ins.iter().map(|&t| graph.tensors[t].shape.clone()).collect(),
                    outputs: outs.iter().map(|&t| graph.tensors[t].shape.clone()).collect(),
                    macs: self.kernels[i].macs(),
                    plan_macs: plan_macs[i],
                    activation_bytes: ins.iter().chain(&outs).map(|&t| graph.tensors[t].bytes()).sum(),
                    weight_bytes: Kernel::weight_bytes(graph, op),
                    scheduled: scheduled[i],
                }
            })
            .collect()
    }
}

fn buffer_report(graph: &Graph, id: usize, b: &schedule::Buffer) -> BufferReport {
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

fn model_report(graph: &Graph, kernels: &[Kernel], source: Source) -> Result<ModelReport> {
    let input_index = *graph.inputs.first().ok_or_else(|| Error::Malformed("the model has no input tensor".into()))?;
    let input = TensorReport::of(graph, input_index);
    let outputs: Vec<TensorReport> = graph.outputs.iter().map(|&t| TensorReport::of(graph, t)).collect();
    let weight_bytes = graph.ops.iter().map(|op| Kernel::weight_bytes(graph, op)).sum();
    let flash_bytes = match source {
        Source::Tflite { bytes } => bytes,
        Source::Zoo { .. } => weight_bytes,
    };
    let image = matches!(input.shape[..], [1, _, _, 3]) && matches!(input.dtype, DType::I8 | DType::F32);
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
        classes: outputs.first().map_or(0, |o| o.shape.iter().product()),
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

fn parse_grid(text: &str) -> Result<(usize, usize)> {
    let bad = || Error::Setting(format!("grid '{text}' is not auto or RxC (e.g. 3x3)"));
    let (r, c) = text.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (rows, cols): (usize, usize) = (r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?);
    if !(1..=MAX_GRID).contains(&rows) || !(1..=MAX_GRID).contains(&cols) {
        return Err(Error::Setting(format!("grid '{text}': rows and columns go from 1 to {MAX_GRID}")));
    }
    Ok((rows, cols))
}

/// A split given as `opN` (the output of op N), `tN` or `N` (tensor N), `strideN` (the end
/// of the first block at stride N, for zoo nets) or a tensor name.
pub fn find_split(graph: &Graph, text: &str) -> Result<usize> {
    let t = text.trim();
    let index = |s: &str| s.parse::<usize>().ok();
    let found = if let Some(op) = t.strip_prefix("op").and_then(index) {
        graph.ops.get(op).and_then(|o| o.outputs.first().copied())
    } else if let Some(stride) = t.strip_prefix("stride").and_then(index) {
        zoo::stride_split(graph, stride)
    } else if let Some(i) = t.strip_prefix('t').and_then(index).or_else(|| index(t)) {
        (i < graph.tensors.len()).then_some(i)
    } else {
        graph.tensors.iter().position(|x| x.name == t)
    };
    found
        .ok_or_else(|| Error::Setting(format!("no op output or tensor '{t}' (give opN, tN, strideN or a tensor name)")))
}

/// Runs `engine` on `input` and names its verdict with `labels`.
fn run_report(
    engine: &mut Engine,
    labels: &[String],
    fits: bool,
    input: &[u8],
    on_tensor: impl FnMut(usize, &[u8]),
) -> Result<RunReport> {
    let outputs = engine.run_observed(input, on_tensor)?;
    let scores = outputs.first().map(|o| o.dequantized.clone()).unwrap_or_default();
    let class = labels::best(&scores).unwrap_or(0);
    let label = labels.get(class).cloned().unwrap_or_else(|| format!("class {class}"));
    Ok(RunReport {
        score: scores.get(class).copied().unwrap_or(0.0),
        scores,
        class,
        label,
        outputs,
        capacity: engine.capacity(),
        peak_bytes: engine.plan.extent,
        fits,
        macs: engine.macs(),
    })
}
