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
//! Its rooms: `settings` (what a user chooses, and the catalog of MCUs and limits), `report`
//! (the typed reports), `explain` (what the page teaches with: exactness, broken halos, the
//! sweep, the recompute heat), `feasibility` (which sizes of a zoo net fit an MCU), `bench`,
//! and [`joint`] (architectures × patch plans that fit). The words of the settings become a
//! request the planner resolves (`schedule::request`), the same code its tests check.
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

// The browser times itself (its clock is coarse and its own): natively only.
mod advice;
#[cfg(not(target_arch = "wasm32"))]
mod bench;
mod explain;
mod feasibility;
pub mod joint;
mod report;
mod settings;

pub use advice::{FitAdvice, FitChange};
#[cfg(not(target_arch = "wasm32"))]
pub use bench::{BenchReport, BENCH_BUDGET_SECONDS, DEFAULT_BENCH_RUNS, MAX_BENCH_RUNS};
pub use explain::{BrokenReport, Difference, ExactnessReport, HeatReport, LayerHeat, SweepReport};
pub use feasibility::{feasibility, FeasibilityCell, FeasibilityReport};
pub use report::{
    ArenaReport, Board, BufferReport, CandidateReport, ModelReport, OpReport, OutputKind, PeakReport, PlanReport,
    QuantReport, RingReport, RunReport, ScheduleReport, SearchReport, Source, SplitReport, StageReport, TensorReport,
    TfliteMicroReport,
};
pub use settings::{catalog, Catalog, Settings, Target, DEFAULT_SRAM};

use crate::error::{Error, Result};
use crate::exec::{Config, Engine};
use crate::export;
use crate::files;
use crate::kernels::Kernel;
use crate::model::{self, Graph};
use crate::preprocess::{self, InputRange};
use crate::quant::affine::AffineQuantize;
use crate::schedule::measure::{self, Candidate};
use crate::schedule::request::{self, PatchRequest};
use crate::schedule::search;
use crate::schedule::{self, Plan, Schedule};
use crate::trace;
use crate::{labels, latency, zoo};
use report::{buffer_report, model_report};

// The engine's types the reports carry.
pub use crate::arena::{mcu, parse_size, Mcu};
pub use crate::exec::Output;
pub use crate::export::kit::KitFile;
pub use crate::export::{ArenaFigures, Export, ExportReport, METADATA_NAME};
pub use crate::geometry::Region;
pub use crate::model::limits::MAX_MODEL_BYTES;
pub use crate::model::DType;
pub use crate::schedule::measure::BlockMemory;
pub use crate::schedule::request::{find_split, HaloChoice};
pub use crate::schedule::PatchRegions;
pub use crate::schedule::{BufferKind, Halo, InPlace, InputMode, PatchRef};
pub use crate::trace::{BufferEvent, TraceStep};
use image::RgbImage;
use std::sync::Arc;

/// The current plan and its settings.
struct Current {
    engine: Engine,
    /// Layer by layer with the same settings, for [`Session::check_exact`] (none when the
    /// plan is layer by layer itself).
    reference: Option<Engine>,
    /// The plan with halos blanked, for [`Session::break_halos`]: made on first use.
    broken: Option<Engine>,
    settings: Settings,
    input_range: InputRange,
    labels: Vec<String>,
    fits: bool,
}

/// A model with its kernels prepared, and the current plan.
pub struct Session {
    /// The .tflite file the model came from (none for a zoo net): what an export rewrites.
    tflite: Option<Arc<[u8]>>,
    graph: Arc<Graph>,
    kernels: Arc<[Kernel]>,
    model: ModelReport,
    current: Option<Current>,
    last_input: Vec<u8>,
    /// The model's metadata describes an audio front end: its input is no image.
    audio: bool,
}

impl Session {
    /// Loads a .tflite model; any defect is an error naming what is wrong.
    pub fn from_tflite(bytes: &[u8]) -> Result<Session> {
        let metadata = model::metadata::read(bytes);
        let mut session = Session::new(model::load(bytes)?, Source::Tflite { bytes: bytes.len() }, &metadata)?;
        session.audio = metadata.audio;
        session.tflite = Some(bytes.into());
        Ok(session)
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
        Session::new(graph, Source::Zoo { arch: arch.to_string(), width, resolution }, &Default::default())
    }

    fn new(graph: Graph, source: Source, metadata: &model::metadata::ModelMetadata) -> Result<Session> {
        let kernels: Arc<[Kernel]> = Kernel::prepare_all(&graph)?.into();
        let model = model_report(&graph, &kernels, source, metadata)?;
        let graph = Arc::new(graph);
        Ok(Session { tflite: None, graph, kernels, model, current: None, last_input: Vec::new(), audio: false })
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
    pub fn plan(&mut self, given: &Settings) -> Result<PlanReport> {
        let graph = &*self.graph;
        let kernels = &*self.kernels;
        let mut notes = Vec::new();
        let settings = &match given.target {
            Target::Mcupatch => given.clone(),
            Target::TfliteMicro => Settings {
                // TFLite Micro keeps a float input and runs its QUANTIZE.
                float_input: graph.inputs.iter().any(|&t| graph.tensors.get(t).is_some_and(|t| t.dtype == DType::F32)),
                ..given.for_tflite_micro(&mut notes)
            },
        };
        let input_range = settings.pixel_range()?.map_or(self.model.input_range, InputRange::settings);
        let (mcu, sram, flash) = settings.memories()?;
        let mut request = settings.request(graph, &mut notes)?;
        let mut tflite_micro = None;
        if given.target == Target::TfliteMicro {
            // The schedule export would write, chosen as it chooses: by TFLite Micro's arena.
            let chosen = self.tflite_micro_choice(&request, sram)?;
            request = match chosen.best.schedule.stages.is_empty() {
                true => PatchRequest::LayerByLayer,
                false => PatchRequest::Stages(chosen.best.schedule.stages.clone()),
            };
            tflite_micro = Some(TfliteMicroReport {
                exported: chosen.best.arena,
                layer_by_layer: chosen.layer_by_layer.arena,
                own: chosen.own,
                compared: chosen.compared,
            });
        }
        let layer_by_layer = matches!(request, PatchRequest::LayerByLayer);
        let streamed = settings.streamed_input && !layer_by_layer;
        if settings.streamed_input && layer_by_layer {
            notes.push("layer by layer has no patches to stream: the whole frame is in SRAM".into());
        }
        let mut input = InputMode { float_input: settings.float_input, streamed };
        let in_place = settings.in_place();
        let (schedule, search) = self.resolve(&request, input, in_place, settings.halo, sram, &mut notes)?;
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
        let comparison = measure::compare_plans(graph, kernels, &lbl_plan, &patched_plan, &schedule, block)?;
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
        let advice = match board.fits_sram {
            true => None,
            false => Some(self.fit_advice(settings, &schedule, input, sram)?),
        };
        let ops = self.op_reports(&patched_plan);
        let (latency, latency_unknown) = match on_board(mcu, &ops) {
            Ok(estimate) => (Some(estimate), None),
            Err(Error::Setting(why)) => (None, Some(why)),
            Err(e) => return Err(e),
        };
        let report = PlanReport {
            settings: given.clone(),
            notes,
            board,
            schedule: ScheduleReport::of(graph, &schedule, input),
            input: TensorReport::of(graph, patched_plan.input),
            input_range,
            layer_by_layer: self.arena_report(&lbl_plan, &comparison.layer_by_layer),
            patched: self.arena_report(&patched_plan, &comparison.patched),
            stage_overhead: comparison.stage_overhead,
            blocks: comparison.blocks,
            patches,
            rings: RingReport::of(graph, &patched_plan, &schedule),
            ops,
            search,
            advice,
            latency,
            latency_unknown,
            tflite_micro,
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
        let labels = match &settings.labels {
            Some(given) => labels::names(given, self.model.classes),
            None => self.model.labels.clone(),
        };
        self.current = Some(Current {
            engine,
            reference,
            broken: None,
            settings: given.clone(),
            input_range,
            labels,
            fits: report.board.fits_sram,
        });
        Ok(report)
    }

    /// The model exported for stock TFLite Micro with the schedule `settings` ask for (the
    /// same patch, split and memory settings as [`Session::plan`]; `layer-by-layer` or no
    /// patch setting exports layer by layer): its arena plan written in as TFLite Micro's
    /// offline memory plan, a patch plan rewritten as standard ops. Where the planner chooses,
    /// the schedule with the smallest exported head + tail wins, layer by layer included.
    pub fn export(&self, settings: &Settings) -> Result<Export> {
        let bytes = self.tflite.as_deref().ok_or_else(|| {
            Error::Setting("a zoo architecture has no .tflite file to export: load a model file".into())
        })?;
        let mut notes = Vec::new();
        let settings = settings.for_tflite_micro(&mut notes);
        let request = settings.request(&self.graph, &mut notes)?;
        let (_, sram, _) = settings.memories()?;
        let choices = export::schedules(&self.graph, &self.kernels, &request, sram)?;
        let mut exported = export::export(bytes, &self.graph, &self.kernels, &choices, notes)?;
        let arena = exported.report.arena.total_bytes;
        if arena > sram {
            exported
                .report
                .notes
                .push(format!("TFLite Micro needs an arena of about {arena} B, more than the {sram} B of SRAM"));
        }
        Ok(exported)
    }

    /// The schedule `export` would write for `request` and what TFLite Micro needs for it.
    fn tflite_micro_choice(&self, request: &PatchRequest, sram: usize) -> Result<export::Chosen> {
        let bytes = self.tflite.as_deref().ok_or_else(|| {
            Error::Setting("a zoo architecture has no .tflite file to deploy to TFLite Micro: load a model file".into())
        })?;
        let choices = export::schedules(&self.graph, &self.kernels, request, sram)?;
        export::choose(bytes, &self.graph, &self.kernels, &choices)
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

    /// An image, centre-cropped to the input's aspect, resized to its H×W (luminance for a
    /// one-channel input), its pixels mapped to the plan's input range and quantized with the
    /// input's parameters: the bytes [`Session::run`] takes.
    pub fn image_input(&mut self, image: &RgbImage) -> Result<Vec<u8>> {
        self.takes_images()?;
        let current = self.current()?;
        preprocess::image_input(image, current.engine.input_tensor(), &current.input_range)
    }

    /// A camera frame (RGBA rows, `width` × `height`) as the bytes [`Session::run`] takes.
    pub fn rgba_input(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
        self.takes_images()?;
        let current = self.current()?;
        preprocess::rgba_input(rgba, width, height, current.engine.input_tensor(), &current.input_range)
    }

    /// Refuses an image for a model whose metadata describes an audio front end.
    fn takes_images(&self) -> Result<()> {
        match self.audio {
            true => Err(Error::Input(format!(
                "the model's metadata describes an audio front end (MLTK's fe.* parameters): its input {:?} is a spectrogram, not an image; feed it with --input-raw",
                self.model.input.shape
            ))),
            false => Ok(()),
        }
    }

    /// Runs the current plan (planned with default settings if none was made) on `input`,
    /// the raw bytes of [`Session::input_tensor`].
    pub fn run(&mut self, input: &[u8]) -> Result<RunReport> {
        self.run_with(input, |_, _| {})
    }

    /// [`Session::run`], calling `on_tensor` with every whole tensor right after the step
    /// that completes it (the input first).
    pub fn run_with(&mut self, input: &[u8], on_tensor: impl FnMut(usize, &[u8])) -> Result<RunReport> {
        let verdict = self.model.output == OutputKind::Classification;
        let current = self.current()?;
        let labels = verdict.then_some(&current.labels[..]);
        let report = run_report(&mut current.engine, labels, current.fits, input, on_tensor)?;
        self.last_input.clear();
        self.last_input.extend_from_slice(input);
        Ok(report)
    }

    /// The bytes of the last input run: what the network saw.
    pub fn last_input(&self) -> &[u8] {
        &self.last_input
    }

    /// The schedule `request` stands for (see [`request::resolve`]), with what the planner
    /// searched as a report, and a note when its budget ended the search early.
    fn resolve(
        &self,
        request: &PatchRequest,
        input: InputMode,
        in_place: InPlace,
        halo: HaloChoice,
        budget: usize,
        notes: &mut Vec<String>,
    ) -> Result<(Schedule, Option<SearchReport>)> {
        let graph = &*self.graph;
        let resolved = request::resolve(graph, &self.kernels, request, input, in_place, halo, budget)?;
        if let Some(op) = resolved.search.as_ref().and_then(|s| s.stopped_at) {
            notes.push(format!(
                "the planner searched stages ending before op {op} of {}: deeper ones would pass its budget of \
                 {} op estimates (give a split to plan one of them)",
                graph.ops.len(),
                search::SEARCH_BUDGET
            ));
        }
        let search = resolved.search.map(|s| SearchReport {
            candidates: s.covered,
            front: s.front.iter().map(|c| CandidateReport::of(graph, c, input)).collect(),
        });
        Ok((resolved.schedule, search))
    }

    /// The block an op belongs to: a zoo net's block name, or `opN`.
    fn block(&self, op: usize) -> String {
        match self.model.source {
            Source::Zoo { .. } => zoo::block_of(&self.graph, op).to_string(),
            Source::Tflite { .. } => format!("op{op}"),
        }
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
            steps: trace::steps(graph, plan, |s| measure::step_macs(plan, kernels, s)),
            buffers,
        }
    }

    fn op_reports(&self, plan: &Plan) -> Vec<OpReport> {
        let graph = &*self.graph;
        let mut plan_macs = vec![0u64; graph.ops.len()];
        let mut scheduled = vec![false; graph.ops.len()];
        for (s, step) in plan.steps.iter().enumerate() {
            plan_macs[step.op] += measure::step_macs(plan, &self.kernels, s);
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

/// Runs `engine` on `input` and names its verdict with `labels` (none: the first output is
/// not a classification, and the report gives no verdict).
fn run_report(
    engine: &mut Engine,
    labels: Option<&[String]>,
    fits: bool,
    input: &[u8],
    on_tensor: impl FnMut(usize, &[u8]),
) -> Result<RunReport> {
    // Such a graph plans (its arena is real) but a run would print a verdict from nothing.
    if engine.graph.outputs.is_empty() {
        return Err(Error::Malformed("the model declares no outputs: a run has nothing to give".into()));
    }
    let outputs = engine.run_observed(input, on_tensor)?;
    let scores = outputs.first().map(|o| o.dequantized.clone()).unwrap_or_default();
    let (class, label, score) = match labels {
        Some(labels) => {
            let class = labels::best(&scores).unwrap_or(0);
            let label = labels.get(class).cloned().unwrap_or_else(|| format!("class {class}"));
            (class, label, scores.get(class).copied().unwrap_or(0.0))
        }
        None => (0, String::new(), 0.0),
    };
    Ok(RunReport {
        verdict: labels.is_some(),
        score,
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

/// The board a plan's time is estimated on when no MCU is named: MLPerf Tiny's reference
/// (a Cortex-M4F at 120 MHz).
pub const REFERENCE_BOARD: &str = "Nucleo-L4R5ZI";

/// The estimated time of the plan's `ops` under stock TFLite Micro with CMSIS-NN on the named
/// MCU (or [`REFERENCE_BOARD`]): what `export` deploys.
fn on_board(mcu: Option<Mcu>, ops: &[OpReport]) -> Result<latency::Estimate> {
    let board = latency::board(mcu.map_or(REFERENCE_BOARD, |m| m.name))?;
    let macs: Vec<_> = ops.iter().map(|op| (latency::OpClass::of_builtin(op.op), op.plan_macs)).collect();
    latency::estimate(&board, latency::Runtime::TflmCmsisNn, &macs)
}
