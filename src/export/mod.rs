//! Deployable plans: a schedule of mcupatch's written as a `.tflite` that stock TensorFlow
//! Lite Micro runs in the arena mcupatch planned, bit for bit as the unchanged model.
//!
//! TFLite Micro's allocator looks for a model metadata entry named `OfflineMemoryAllocation`
//! whose buffer holds int32s `[version, subgraph, tensor count, one offset per tensor]`; a
//! tensor with an offset is placed there unconditionally and never checked, one with -1
//! (and every scratch buffer a kernel asks for) is placed by TFLM's own planner around them.
//! Every op runs (a float input and its QUANTIZE are kept), none in place.
//!
//! - Layer by layer, the model is kept byte for byte and the plan added as metadata
//!   ([`metadata`]).
//! - A patch plan is rewritten as standard ops ([`rewrite`]: SLICE, PAD, the stage's ops
//!   with VALID padding, CONCATENATION) into a fresh flatbuffer (`writer`).
//!
//! Either way the offsets come from one placement of the exported graph's tensors
//! ([`placement`]); its extent is TFLM's head. Each patch op adds to TFLM's persistent tail
//! ([`tail`]), so a patch plan is worth exporting only when head + tail falls: `auto` compares
//! every candidate by that total, layer by layer included.

pub mod kit;
pub mod metadata;
pub mod placement;
pub mod rewrite;
pub mod tail;
mod writer;

use crate::arena::planner::Request;
use crate::error::{Error, Result};
use crate::kernels::Kernel;
use crate::model::{self, Graph, Tensor};
use crate::schedule::request::{self, HaloChoice, PatchRequest};
use crate::schedule::{map_region, search, InPlace, InputMode, Schedule, Stage};
use placement::Layout;
use rewrite::ExportGraph;
use serde::Serialize;

pub use metadata::read_metadata;
pub(crate) use metadata::with_metadata;
pub use placement::PLANNED_ONLINE;

/// The metadata name TFLite Micro's allocator reads the offline plan from.
pub const METADATA_NAME: &str = "OfflineMemoryAllocation";
/// The offline plan format's version, its first int32.
const PLAN_VERSION: i32 = 1;
/// `auto` compares grids up to this many rows and columns: finer grids add more tail (each
/// patch copies the stage's ops) than they can save in the head.
pub const EXPORT_MAX_GRID: usize = 4;

/// TFLite Micro's arena for one model: the head (tensors, from the offline plan), the tail
/// (persistent allocations, replayed by [`tail`]) and the smallest arena that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArenaFigures {
    /// The offline plan's extent: the head TFLite Micro lays the tensors out in.
    pub head_bytes: usize,
    /// Kernel scratch buffers TFLite Micro places itself around the plan: at most this much
    /// more head.
    pub scratch_bytes: usize,
    pub tail_bytes: usize,
    /// Whether `tail_bytes` is TFLite Micro's exactly (it is an estimate when the model has
    /// an op kind whose allocations were not measured).
    pub tail_exact: bool,
    /// What preparing the ops takes where the head goes later (more than the head only for
    /// tiny models).
    pub prepare_bytes: usize,
    /// The arena to give TFLite Micro: the larger of head (with scratch) and preparing space,
    /// plus the tail.
    pub total_bytes: usize,
}

impl ArenaFigures {
    fn new(head_bytes: usize, scratch_bytes: usize, persistent: tail::Persistent) -> ArenaFigures {
        ArenaFigures {
            head_bytes,
            scratch_bytes,
            tail_bytes: persistent.tail,
            tail_exact: persistent.exact,
            prepare_bytes: persistent.prepare,
            total_bytes: (head_bytes + scratch_bytes).max(persistent.prepare) + persistent.tail,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The schedule exported, in words: `layer by layer` or its stages.
    pub plan: String,
    /// Its patch stages (none: layer by layer).
    pub stages: Vec<Stage>,
    /// Why this schedule: what `auto` compared, what could not be exported.
    pub notes: Vec<String>,
    /// TFLite Micro's arena for the exported model: the head exactly (the offline plan), the
    /// tail as replayed (exact unless `tail_exact` says otherwise).
    pub arena: ArenaFigures,
    /// The same for the layer-by-layer export of the model.
    pub layer_by_layer: ArenaFigures,
    /// TFLite Micro's own arena for the model as it is, without an offline plan: the head its
    /// greedy planner lays out (modelled; its kernels' scratch buffers may add up to
    /// `scratch_bytes`), the same tail.
    pub own: ArenaFigures,
    /// Schedules compared by exported total (1 when the schedule was given).
    pub candidates: usize,
    /// Ops in the exported model, and how many more than the original's.
    pub ops: usize,
    pub added_ops: isize,
    /// Tensors in the exported model (the plan holds one offset for each), and how many more.
    pub tensors: usize,
    pub added_tensors: usize,
    /// Tensors given an arena offset: the input and every op's output.
    pub planned: usize,
    /// The model's input is float: its QUANTIZE runs, as in TFLite Micro.
    pub float_input: bool,
    /// The arena offset of every tensor, [`PLANNED_ONLINE`] for those TFLM places itself.
    pub offsets: Vec<i32>,
    /// Size of the model read.
    pub model_bytes: usize,
    /// Size of the model written.
    pub exported_bytes: usize,
}

/// A model with its offline memory plan.
#[derive(Debug, Clone)]
pub struct Export {
    /// The `.tflite` bytes to deploy.
    pub model: Vec<u8>,
    /// What the plan holds.
    pub report: ExportReport,
}

/// One schedule as it would be exported: the graph, its placement and its tail.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub schedule: Schedule,
    pub graph: ExportGraph,
    pub layout: Layout,
    pub arena: ArenaFigures,
}

impl Candidate {
    /// Rewrites and places `schedule` for the model file `bytes` (an error names what cannot
    /// be exported).
    pub fn new(bytes: &[u8], graph: &Graph, kernels: &[Kernel], schedule: &Schedule) -> Result<Candidate> {
        match Candidate::below(bytes, graph, kernels, schedule, usize::MAX)? {
            Priced::Placed(c) => Ok(*c),
            Priced::Above { .. } => Err(Error::Setting("a candidate above usize::MAX (a bug)".into())),
        }
    }

    /// [`Candidate::new`], unless its arena is surely more than `limit`: its tail and the most
    /// bytes alive at one op already are (checked before the placement, the costly part).
    fn below(bytes: &[u8], graph: &Graph, kernels: &[Kernel], schedule: &Schedule, limit: usize) -> Result<Priced> {
        if schedule.in_place != InPlace::default() {
            return Err(Error::Setting(
                "TFLite Micro's kernels cannot run in place: export without the in-place settings".into(),
            ));
        }
        let ex = ExportGraph::new(graph, kernels, schedule)?;
        // Layer by layer the file is kept as it is, ops the loader folds included.
        let persistent = match schedule.stages.is_empty() {
            true => tail::of_file(bytes)?,
            false => tail::of_graph(&ex)?,
        };
        let requests = placement::requests(&ex)?;
        let bound = requests.live_bound().saturating_add(persistent.tail);
        if bound > limit {
            return Ok(Priced::Above { bound });
        }
        let layout = requests.place()?;
        let arena = ArenaFigures::new(layout.head, tail::scratch_bytes(&ex), persistent);
        Ok(Priced::Placed(Box::new(Candidate { schedule: schedule.clone(), graph: ex, layout, arena })))
    }
}

/// A candidate priced, or only bounded below when that shows it cannot win.
enum Priced {
    Placed(Box<Candidate>),
    Above { bound: usize },
}

impl Candidate {
    /// How `auto` orders candidates: the smallest arena, then the fewest ops and patch stages
    /// (a patch plan that saves nothing is not worth its rewrite).
    fn rank(&self) -> (usize, usize, usize) {
        let stages = self.schedule.stages.iter().filter(|s| s.rows * s.cols > 1).count();
        (self.arena.total_bytes, self.graph.ops.len(), stages)
    }
}

/// The schedules `request` stands for in an export: what it names, or for the planner's
/// choices every one it would compare (grids up to [`EXPORT_MAX_GRID`] for `auto`, and the
/// planner's own front).
pub fn schedules(graph: &Graph, kernels: &[Kernel], request: &PatchRequest, budget: usize) -> Result<Choices> {
    let input = InputMode { float_input: true, streamed: false };
    let none = InPlace::default();
    let coarse = |s: &Schedule| s.stages.iter().all(|st| st.rows <= EXPORT_MAX_GRID && st.cols <= EXPORT_MAX_GRID);
    let single = |s: &Schedule| s.stages.iter().all(|st| st.rows * st.cols > 1);
    let schedules = match request {
        PatchRequest::LayerByLayer => vec![Schedule::default()],
        PatchRequest::Stages(stages) => vec![Schedule { stages: stages.clone(), in_place: none }],
        &PatchRequest::Grid { rows, cols } => {
            let all = search::grid_at_every_split(graph, kernels, rows, cols, input, none)?;
            if all.is_empty() {
                return Err(Error::Setting(format!(
                    "no split has a map of at least {rows}×{cols} for a {rows}x{cols} grid"
                )));
            }
            all
        }
        &PatchRequest::AutoAt { split } => {
            let mut all = request::every_grid_at(graph, kernels, split, input, none)?;
            all.retain(|s| coarse(s) && single(s));
            all.push(Schedule::default());
            all
        }
        PatchRequest::Auto { .. } => {
            let mut all = search::single_stage_schedules(graph, kernels, input, none)?;
            all.retain(|s| coarse(s) && single(s));
            // A stage may also start at an earlier split (after the frame is gone): the ops
            // before it run layer by layer, as a stage of one patch.
            let splits = search::splits(graph, kernels, input)?;
            let later: Vec<Schedule> = all
                .iter()
                .flat_map(|s| {
                    let end = s.stages[0].split;
                    let before = splits.iter().take_while(move |&&t| t != end);
                    before.map(move |&start| Schedule {
                        stages: vec![Stage::new(start, 1, 1), s.stages[0]],
                        in_place: none,
                    })
                })
                .collect();
            all.extend(later);
            let planned = request::resolve(graph, kernels, request, input, none, HaloChoice::Recompute, budget)?;
            all.extend(planned.search.into_iter().flat_map(|s| s.front).map(|c| c.schedule));
            all.push(planned.schedule);
            all.push(Schedule::default());
            all
        }
    };
    Ok(Choices { schedules, front_stages: matches!(request, PatchRequest::Auto { .. }) })
}

/// `auto`'s second round puts a patch stage in front of the stages of the splits whose best
/// single-stage exports are the [`FRONT_SPLITS`] smallest, each with its [`FRONT_SPLIT_GRIDS`]
/// best grids: a first stage that ends where the maps are still large lets the second end
/// deeper, past the blocks whose expansions no single stage's head avoids (MobileNetV2-0.5
/// @128: 4×4 patches to block 1's output, then 2×2 to block 3's, need 0.69× TFLite Micro's
/// own arena; the best single stage 0.73×).
const FRONT_SPLITS: usize = 6;
const FRONT_SPLIT_GRIDS: usize = 3;
/// The grids the stage put in front is tried with: squares and row stripes.
const FRONT_GRIDS: [(usize, usize); 6] = [(2, 2), (3, 3), (4, 4), (2, 1), (3, 1), (4, 1)];

/// The schedules one export compares.
#[derive(Debug, Clone)]
pub struct Choices {
    pub schedules: Vec<Schedule>,
    /// Also try a patch stage in front of the best single patch stages (`auto`).
    pub front_stages: bool,
}

/// The schedule an export writes, chosen among [`Choices`] by [`Candidate::rank`].
#[derive(Debug)]
pub struct Chosen {
    pub best: Candidate,
    pub layer_by_layer: Candidate,
    /// TFLite Micro's own arena for the unchanged model ([`ExportReport::own`]).
    pub own: ArenaFigures,
    /// Schedules compared.
    pub compared: usize,
    /// What could not be exported among them.
    pub refused: Vec<Error>,
}

/// Rewrites, places and prices every schedule of `choices` for the model of `bytes` (loaded
/// as `graph`, its `kernels` prepared) and keeps the one TFLite Micro needs the smallest
/// arena for: what [`export`] writes and the planner's deployment target prices.
pub fn choose(bytes: &[u8], graph: &Graph, kernels: &[Kernel], choices: &Choices) -> Result<Chosen> {
    let original = graph;
    let layer_by_layer = Candidate::new(bytes, graph, kernels, &Schedule::default())?;
    // The candidates are rewritten without the weights' bytes (every rewrite would copy them;
    // the choice needs only shapes), the chosen one again with them.
    let weightless = Graph {
        tensors: graph
            .tensors
            .iter()
            .map(|t| Tensor { data: t.data.as_ref().map(|_| Vec::new()), ..t.clone() })
            .collect(),
        ops: graph.ops.clone(),
        inputs: graph.inputs.clone(),
        outputs: graph.outputs.clone(),
    };
    let graph = &weightless;
    let own = own_arena(&layer_by_layer)?;
    let mut chosen = Chosen { best: layer_by_layer.clone(), layer_by_layer, own, compared: 0, refused: Vec::new() };
    let mut best: Option<Box<Candidate>> = None;
    let mut singles: Vec<(usize, Stage)> = Vec::new();
    let mut consider = |schedule: &Schedule, chosen: &mut Chosen, singles: &mut Vec<(usize, Stage)>| {
        chosen.compared += 1;
        let limit = best.as_ref().map_or(usize::MAX, |b| b.arena.total_bytes);
        let candidate = match schedule.stages.is_empty() {
            true => Ok(Priced::Placed(Box::new(chosen.layer_by_layer.clone()))),
            false => Candidate::below(bytes, graph, kernels, schedule, limit),
        };
        // A stage's total, or its lower bound when it cannot win, ranks its split and grid
        // for the second round.
        let price = match &candidate {
            Ok(Priced::Placed(c)) => Some(c.arena.total_bytes),
            Ok(Priced::Above { bound }) => Some(*bound),
            Err(_) => None,
        };
        if let (Some(price), Some(&last)) = (price, schedule.stages.last()) {
            singles.push((price, last));
        }
        match candidate {
            Ok(Priced::Above { .. }) => {}
            Ok(Priced::Placed(c)) => {
                if best.as_ref().is_none_or(|b| c.rank() < b.rank()) {
                    best = Some(c);
                }
            }
            Err(e) => chosen.refused.push(e),
        }
    };
    for schedule in &choices.schedules {
        consider(schedule, &mut chosen, &mut singles);
    }
    if choices.front_stages {
        let input = InputMode { float_input: true, streamed: false };
        let splits = search::splits(graph, kernels, input)?;
        let fits = |t: usize, (rows, cols): (usize, usize)| {
            map_region(graph, t).is_some_and(|m| m.height() >= rows && m.width() >= cols)
        };
        let mut seconds: Vec<(usize, Stage)> = std::mem::take(&mut singles);
        seconds.retain(|(_, s)| s.rows * s.cols > 1);
        seconds.sort_by_key(|&(total, s)| (total, s.split, s.rows, s.cols));
        let mut best_splits: Vec<usize> = Vec::new();
        for &(_, s) in &seconds {
            if !best_splits.contains(&s.split) && best_splits.len() < FRONT_SPLITS {
                best_splits.push(s.split);
            }
        }
        let mut tried = Vec::new();
        for &split in &best_splits {
            let grids = seconds.iter().filter(|(_, s)| s.split == split).map(|&(_, s)| s);
            for second in grids.take(FRONT_SPLIT_GRIDS) {
                for &first in splits.iter().take_while(|&&t| t != split) {
                    for grid in FRONT_GRIDS.into_iter().filter(|&g| fits(first, g)) {
                        let schedule = Schedule {
                            stages: vec![Stage::new(first, grid.0, grid.1), second],
                            in_place: InPlace::default(),
                        };
                        if !tried.contains(&schedule.stages) {
                            tried.push(schedule.stages.clone());
                            consider(&schedule, &mut chosen, &mut singles);
                        }
                    }
                }
            }
        }
    }
    match best {
        Some(b) if b.schedule.stages.is_empty() => chosen.best = *b,
        Some(b) => chosen.best = Candidate::new(bytes, original, kernels, &b.schedule)?,
        None => {
            let first = chosen.refused.drain(..).next();
            return Err(first.unwrap_or_else(|| Error::Setting("no schedule to export".into())));
        }
    }
    Ok(chosen)
}

/// TFLite Micro's own arena for the model as it is, from its layer-by-layer candidate (the
/// unchanged graph): its greedy planner's head over every tensor, up to as much more as the
/// scratch buffers its kernels may ask for add when planned with them (whether an int8 MEAN
/// asks depends on its quantization), and the same tail.
fn own_arena(layer_by_layer: &Candidate) -> Result<ArenaFigures> {
    let ex = &layer_by_layer.graph;
    let scratch: Vec<Request> = tail::scratch_buffers(ex)
        .into_iter()
        .map(|(op, size)| Request { size, first: op, last: op, pinned: None })
        .collect();
    let requests = placement::own_requests(ex)?;
    // Greedy placement is not monotone: either may be the smaller.
    let (without, with) = (requests.greedy_extent(&[]), requests.greedy_extent(&scratch));
    let head = without.min(with);
    let a = layer_by_layer.arena;
    Ok(ArenaFigures::new(
        head,
        without.max(with) - head,
        tail::Persistent { tail: a.tail_bytes, prepare: a.prepare_bytes, exact: a.tail_exact },
    ))
}

/// Exports the model of `bytes` (loaded as `graph`, its `kernels` prepared) with the
/// schedule [`choose`] keeps; `notes` say why it was asked for. The session's
/// [`export`](crate::session::Session::export) is the door.
pub fn export(
    bytes: &[u8],
    graph: &Graph,
    kernels: &[Kernel],
    choices: &Choices,
    mut notes: Vec<String>,
) -> Result<Export> {
    let chosen = choose(bytes, graph, kernels, choices)?;
    if let Some(first) = chosen.refused.first() {
        notes.push(format!(
            "{} of the {} schedules compared cannot be exported, e.g. {first}",
            chosen.refused.len(),
            chosen.compared
        ));
    }
    if chosen.compared > 1 && chosen.best.schedule.stages.is_empty() {
        notes.push(format!(
            "no patch plan's exported head + tail beats layer by layer's {} B in TFLite Micro: exported layer by layer",
            chosen.layer_by_layer.arena.total_bytes
        ));
    }
    write(bytes, graph, &chosen, notes)
}

/// Writes the chosen candidate and reads it back.
fn write(bytes: &[u8], graph: &Graph, choice: &Chosen, notes: Vec<String>) -> Result<Export> {
    let chosen = &choice.best;
    let offsets = match chosen.schedule.stages.is_empty() {
        true => file_offsets(bytes, &chosen.layout.offsets)?,
        false => &chosen.layout.offsets[..],
    };
    let words: Vec<i32> =
        [PLAN_VERSION, 0, len_i32(offsets.len())?].into_iter().chain(offsets.iter().copied()).collect();
    let data: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let exported = match chosen.schedule.stages.is_empty() {
        true => with_metadata(bytes, METADATA_NAME, &data)?,
        false => writer::write(&chosen.graph, bytes, METADATA_NAME, &words)?,
    };
    let reloaded = model::load(&exported).and_then(|g| Kernel::prepare_all(&g).map(|_| g));
    if read_metadata(&exported, METADATA_NAME)? != Some(data.as_slice()) {
        return Err(Error::Malformed("the exported model's plan does not read back (a bug in the export)".into()));
    }
    if let Err(e) = reloaded {
        return Err(Error::Malformed(format!("the exported model does not load back ({e}): a bug in the export")));
    }
    let ex = &chosen.graph;
    let report = ExportReport {
        plan: describe(graph, &chosen.schedule),
        stages: chosen.schedule.stages.clone(),
        notes,
        arena: chosen.arena,
        layer_by_layer: choice.layer_by_layer.arena,
        own: choice.own,
        candidates: choice.compared,
        ops: ex.ops.len(),
        added_ops: ex.added_ops(graph),
        tensors: offsets.len(),
        added_tensors: offsets.len().saturating_sub(ex.original_tensors),
        planned: chosen.layout.planned,
        float_input: graph.inputs.iter().any(|&t| graph.tensors.get(t).is_some_and(|t| t.dtype == model::DType::F32)),
        offsets: offsets.to_vec(),
        model_bytes: bytes.len(),
        exported_bytes: exported.len(),
    };
    Ok(Export { model: exported, report })
}

/// The layer-by-layer plan's offsets for the tensors of the file as it is. Where the loader
/// rewrote an op (a SPLIT as one SLICE per output) it appended the constants it needed after
/// the file's tensors; TFLite Micro wants exactly one offset per tensor of the file.
fn file_offsets<'a>(bytes: &[u8], offsets: &'a [i32]) -> Result<&'a [i32]> {
    let model = model::schema::root(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let tensors = model.subgraphs().and_then(|s| s.iter().next()).and_then(|s| s.tensors()).map_or(0, |t| t.len());
    match offsets.split_at_checked(tensors) {
        Some((file, added)) if added.iter().all(|&o| o == PLANNED_ONLINE) => Ok(file),
        _ => Err(Error::Setting(format!(
            "the loader rewrote this model's ops into {} tensors where the file has {tensors}: its plan cannot be \
             written into the file as it is",
            offsets.len()
        ))),
    }
}

/// A schedule in words.
fn describe(graph: &Graph, schedule: &Schedule) -> String {
    if schedule.stages.is_empty() {
        return "layer by layer".into();
    }
    let stage = |s: &Stage| {
        let name = graph.tensors.get(s.split).map_or("", |t| t.name.as_str());
        match s.rows * s.cols {
            1 => format!("layer by layer up to tensor {} ({name})", s.split),
            _ => format!("{}x{} patches up to tensor {} ({name})", s.rows, s.cols, s.split),
        }
    };
    schedule.stages.iter().map(stage).collect::<Vec<_>>().join(", then ")
}

fn len_i32(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::Malformed(format!("{n} is too large for a TFLite Micro plan")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoo;

    /// A small MobileNetV2 with one stage ending at the first stride-4 block, as `rows`×`cols`.
    fn exported(rows: usize, cols: usize) -> (Graph, ExportGraph, Layout, usize) {
        let graph = zoo::Arch::parse("mbv2", 0.35, 48, None).unwrap().build();
        let kernels = Kernel::prepare_all(&graph).unwrap();
        let split = zoo::stride_split(&graph, 4).unwrap();
        let schedule = Schedule { stages: vec![Stage::new(split, rows, cols)], in_place: InPlace::default() };
        let ex = ExportGraph::new(&graph, &kernels, &schedule).unwrap();
        let layout = placement::place(&ex).unwrap();
        (graph, ex, layout, split)
    }

    /// Tensors whose bytes overlap while both are alive must be one inside the other (a
    /// stripe in its split tensor) or a RESHAPE's output over its input.
    #[test]
    fn no_two_live_tensors_share_bytes_unless_one_holds_the_other() {
        for (rows, cols) in [(2, 1), (3, 1), (2, 2), (1, 3), (3, 2)] {
            let (_, ex, layout, _) = exported(rows, cols);
            let n = ex.tensors.len();
            let (mut first, mut last) = (vec![usize::MAX; n], vec![0; n]);
            for &t in &ex.inputs {
                first[t] = 0;
            }
            for (i, op) in ex.ops.iter().enumerate() {
                for &t in op.inputs.iter().flatten().chain([&op.output]) {
                    (first[t], last[t]) = (first[t].min(i), last[t].max(i));
                }
            }
            for &t in &ex.outputs {
                last[t] = ex.ops.len();
            }
            let span = |t: usize| {
                let at = layout.offsets[t] as usize;
                at..at + ex.tensors[t].bytes()
            };
            let contains = |a: usize, b: usize| ex.inside[b].is_some_and(|(c, _)| c == a);
            let placed: Vec<usize> = (0..n).filter(|&t| layout.offsets[t] != PLANNED_ONLINE).collect();
            for &a in &placed {
                for &b in placed.iter().filter(|&&b| b > a) {
                    let live = first[a] <= last[b] && first[b] <= last[a];
                    let (x, y) = (span(a), span(b));
                    let overlap = x.start < y.end && y.start < x.end;
                    let reshape = ex.ops.iter().any(|op| {
                        op.kind == model::OpKind::Reshape
                            && [(a, b), (b, a)].iter().any(|&(i, o)| op.inputs[0] == Some(i) && op.output == o)
                    });
                    assert!(
                        !(live && overlap) || contains(a, b) || contains(b, a) || reshape,
                        "{rows}x{cols}: tensors {a} ({}) and {b} ({}) share bytes while alive",
                        ex.tensors[a].name,
                        ex.tensors[b].name
                    );
                }
            }
        }
    }

    #[test]
    fn stripes_lie_in_their_split_tensor_and_patches_share_weights() {
        let (graph, ex, layout, original_split) = exported(3, 1);
        // Tensors are renumbered when the stage's whole maps are dropped: find it by name.
        let name = &graph.tensors[original_split].name;
        let split = ex.tensors.iter().position(|t| &t.name == name).unwrap();
        let stripes: Vec<usize> = (0..ex.tensors.len()).filter(|&t| ex.inside[t].is_some()).collect();
        assert_eq!(stripes.len(), 3);
        let row_bytes = ex.tensors[split].bytes() / ex.tensors[split].shape[1];
        let mut y = 0;
        for &s in &stripes {
            assert_eq!(ex.inside[s], Some((split, y * row_bytes)));
            assert_eq!(layout.offsets[s], layout.offsets[split] + (y * row_bytes) as i32);
            y += ex.tensors[s].shape[1];
        }
        assert_eq!(y, ex.tensors[split].shape[1], "the stripes cover the split tensor");
        // Every patch's copy of an op reads the original's weights, by index.
        for op in ex.ops.iter().filter(|op| op.source.is_some()) {
            let original = &graph.ops[op.source.unwrap()];
            for (slot, t) in op.inputs.iter().enumerate().skip(1) {
                let Some(weights) = t.map(|t| &ex.tensors[t]).filter(|x| x.is_constant()) else { continue };
                let same = original.inputs[slot].map(|o| &graph.tensors[o].name);
                assert_eq!(Some(&weights.name), same, "op {:?}", op.source);
            }
        }
        // No weight tensor was copied: every constant is there once.
        let mut names: Vec<&str> = ex.tensors.iter().filter(|t| t.is_constant()).map(|t| t.name.as_str()).collect();
        let constants = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), constants);
        // One CONCATENATION joins the stripes along the height, in place.
        let joins: Vec<_> = ex.ops.iter().filter(|op| matches!(op.kind, model::OpKind::Concatenation { .. })).collect();
        assert_eq!(joins.len(), 1);
        assert!(matches!(joins[0].kind, model::OpKind::Concatenation { axis: 1, .. }) && joins[0].output == split);
    }
}
