//! What a user asks the planner for, and the schedule it stands for. The settings' words
//! (`--patch auto|RxC`, `--split opN|tN|strideN|NAME`, `--multi-stage`) are read once into a
//! [`PatchRequest`], with conflicts resolved the way a user means them and said in notes;
//! [`resolve`] turns a request into a schedule, searching where the planner chooses. The
//! session and the planner's tests both go through here.

use super::measure::{self, Candidate};
use super::search::{self, MAX_CACHED_BANDS, MAX_GRID};
use super::{layerwise, map_region, patch, Halo, InPlace, InputMode, Schedule, Stage};
use crate::error::{Error, Result};
use crate::kernels::Kernel;
use crate::model::limits::MAX_PLAN_WORK;
use crate::model::Graph;
use crate::zoo;
use serde::{Deserialize, Serialize};

/// What the user asked for, with the conflicts resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchRequest {
    /// No patch stage.
    LayerByLayer,
    /// The planner chooses everything (also several stages with `multi_stage`).
    Auto {
        /// Also plans of two or more stages.
        multi_stage: bool,
    },
    /// The planner chooses the grid for this split.
    AutoAt {
        /// The split tensor.
        split: usize,
    },
    /// The planner chooses the split for this grid.
    Grid {
        /// Patch rows.
        rows: usize,
        /// Patch columns.
        cols: usize,
    },
    /// Stages given in full.
    Stages(Vec<Stage>),
}

impl PatchRequest {
    /// Reads one `patch` entry per stage (`auto` or `RxC`) and one `split` per grid (see
    /// [`find_split`]); blank entries are ignored. Conflicts the user can only mean one way are
    /// resolved, with a note saying how; the others are errors.
    pub fn parse(
        graph: &Graph,
        patch: &[String],
        split: &[String],
        multi_stage: bool,
        notes: &mut Vec<String>,
    ) -> Result<PatchRequest> {
        let patches: Vec<&str> = patch.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        let splits = split
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| find_split(graph, p))
            .collect::<Result<Vec<usize>>>()?;
        let planner_chooses_stages = (patches.is_empty() || patches == ["auto"]) && splits.is_empty();
        if multi_stage && !planner_chooses_stages {
            notes.push("several stages are searched by auto without a split: the plan given is used as it is".into());
        }
        Ok(match (&patches[..], &splits[..]) {
            ([], []) if multi_stage => PatchRequest::Auto { multi_stage: true },
            ([], []) => PatchRequest::LayerByLayer,
            ([], _) => {
                notes.push("layer by layer has no patch stage: the split is ignored".into());
                PatchRequest::LayerByLayer
            }
            (["auto"], []) => PatchRequest::Auto { multi_stage },
            (["auto"], [split]) => PatchRequest::AutoAt { split: *split },
            ([grid], []) => {
                let (rows, cols) = parse_grid(grid)?;
                PatchRequest::Grid { rows, cols }
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
                    .map(|(g, &split)| parse_grid(g).map(|(rows, cols)| Stage::new(split, rows, cols)))
                    .collect::<Result<Vec<_>>>()?;
                PatchRequest::Stages(stages)
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
}

fn parse_grid(text: &str) -> Result<(usize, usize)> {
    let bad = || Error::Setting(format!("grid '{text}' is not auto or RxC (e.g. 3x3)"));
    let (r, c) = text.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (rows, cols): (usize, usize) = (r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?);
    if !(1..=MAX_CACHED_BANDS).contains(&rows) || !(1..=MAX_GRID).contains(&cols) {
        return Err(Error::Setting(format!(
            "grid '{text}': rows go from 1 to {MAX_CACHED_BANDS} and columns from 1 to {MAX_GRID}"
        )));
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
        if stride == 0 {
            return Err(Error::Setting(format!("split '{t}': a stride is at least 1 (stride2, stride8, …)")));
        }
        zoo::stride_split(graph, stride)
    } else if let Some(i) = t.strip_prefix('t').and_then(index).or_else(|| index(t)) {
        (i < graph.tensors.len()).then_some(i)
    } else {
        graph.tensors.iter().position(|x| x.name == t)
    };
    found
        .ok_or_else(|| Error::Setting(format!("no op output or tensor '{t}' (give opN, tN, strideN or a tensor name)")))
}

/// What the planner searched when it chose.
#[derive(Debug, Clone)]
pub struct Searched {
    /// Schedules the search covered: every one was planned for real, or provably could not
    /// enter the front (a lower bound on its peak says so).
    pub covered: usize,
    /// The op where the search stopped, its budget spent: deeper splits were not tried.
    pub stopped_at: Option<usize>,
    /// Those no other beats on both peak and MACs, by increasing peak.
    pub front: Vec<Candidate>,
}

/// A request's schedule, and what was searched to choose it.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The schedule to plan.
    pub schedule: Schedule,
    /// Present when the planner chose.
    pub search: Option<Searched>,
}

/// What patches do with the halo they share: the setting (`--halo`), a choice among
/// [`Halo`] kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HaloChoice {
    /// Recompute it (MCUNetV2), the default.
    #[default]
    Recompute,
    /// Remember it in rings ([`Halo::Cache`]).
    Cache,
    /// Either, per plan: the planner weighs both.
    Auto,
}

impl HaloChoice {
    /// The kinds of stage this choice allows.
    pub fn kinds(self) -> &'static [Halo] {
        match self {
            HaloChoice::Recompute => &[Halo::Recompute],
            HaloChoice::Cache => &[Halo::Cache],
            HaloChoice::Auto => &[Halo::Recompute, Halo::Cache],
        }
    }
}

/// Every schedule of `schedules` once for each kind of `halo`, every stage of it that kind.
fn with_halo(schedules: Vec<Schedule>, halo: HaloChoice) -> Vec<Schedule> {
    if halo == HaloChoice::Recompute {
        return schedules;
    }
    let of = |s: &Schedule, h: Halo| Schedule {
        stages: s.stages.iter().map(|&st| Stage { halo: h, ..st }).collect(),
        in_place: s.in_place,
    };
    schedules.iter().flat_map(|s| halo.kinds().iter().map(move |&h| of(s, h))).collect()
}

/// The schedule `request` stands for, its stages' halos as `halo` allows; where the planner
/// chooses, the cheapest plan within `budget` bytes (or the smallest peak if none fits).
/// Several stages (`multi_stage`) are grown from recomputing stages only; cached ones join
/// them as single stages.
pub fn resolve(
    graph: &Graph,
    kernels: &[Kernel],
    request: &PatchRequest,
    input: InputMode,
    in_place: InPlace,
    halo: HaloChoice,
    budget: usize,
) -> Result<Resolved> {
    let given = |stages: Vec<Stage>| Ok(Resolved { schedule: Schedule { stages, in_place }, search: None });
    let measure_all = |schedules: Vec<Schedule>| -> Result<(usize, Vec<Candidate>)> {
        let schedules = with_halo(schedules, halo);
        if halo != HaloChoice::Auto {
            let all = search::evaluate_all(graph, kernels, &schedules, input, in_place)?;
            return Ok((all.len(), all));
        }
        // Weighing both kinds, a cached stage whose rows a model's ops cannot keep is left out.
        let base = measure::layer_by_layer(graph, kernels, input, in_place)?.macs;
        let mut all = Vec::new();
        for schedule in &schedules {
            match measure::evaluate(graph, kernels, schedule, input, base) {
                Ok(candidate) => all.push(candidate),
                Err(_) if schedule.stages.iter().any(|st| st.halo == Halo::Cache) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((schedules.len(), all))
    };
    // Cached single stages beside the candidates found, where the halo may be cached.
    let with_cached = |(covered, found): (usize, Vec<Candidate>)| -> Result<(usize, Vec<Candidate>)> {
        if !halo.kinds().contains(&Halo::Cache) {
            return Ok((covered, found));
        }
        let cached = search::cached_single_stage_schedules(graph, kernels, input, in_place)?;
        let layerwise = measure::layer_by_layer(graph, kernels, input, in_place)?;
        let base = layerwise.macs;
        let known = match (halo, input.streamed) {
            (HaloChoice::Cache, false) => vec![layerwise],
            (HaloChoice::Cache, true) => Vec::new(),
            _ => found,
        };
        let covered = if halo == HaloChoice::Cache {
            cached.len() + usize::from(!input.streamed)
        } else {
            covered + cached.len()
        };
        Ok((covered, search::front_among(graph, kernels, input, base, known, &cached, true)?))
    };
    let (covered, candidates) = match request {
        PatchRequest::LayerByLayer => return given(Vec::new()),
        PatchRequest::Stages(stages) if halo != HaloChoice::Auto => {
            let kind = halo.kinds()[0];
            return given(stages.iter().map(|&st| Stage { halo: kind, ..st }).collect());
        }
        PatchRequest::Stages(stages) => measure_all(vec![Schedule { stages: stages.clone(), in_place }])?,
        PatchRequest::Auto { multi_stage: false } => {
            let singles = search::single_stage_schedules(graph, kernels, input, in_place)?.len();
            let found = match halo {
                HaloChoice::Cache => Vec::new(),
                _ => search::explore_front(graph, kernels, input, in_place)?,
            };
            with_cached((singles + usize::from(!input.streamed), found))?
        }
        PatchRequest::Auto { multi_stage: true } => {
            let found = search::multi_stage_search(graph, kernels, input, in_place, true, search::MAX_STAGES)?;
            with_cached((found.covered, found.candidates))?
        }
        &PatchRequest::AutoAt { split } => {
            if !search::splits(graph, kernels, input)?.contains(&split) {
                return Err(illegal_split(graph, kernels, split, input));
            }
            measure_all(every_grid_at(graph, kernels, split, input, in_place)?)?
        }
        &PatchRequest::Grid { rows, cols } => {
            let schedules = search::grid_at_every_split(graph, kernels, rows, cols, input, in_place)?;
            if schedules.is_empty() {
                return Err(Error::Setting(format!(
                    "no split has a map of at least {rows}×{cols} for a {rows}x{cols} grid"
                )));
            }
            measure_all(schedules)?
        }
    };
    let Some((choice, _)) = search::choose(&candidates, budget) else {
        // With a streamed input layer by layer is no candidate (nothing is streamed without
        // patches). A model with no legal patch plan at all (no [1, H, W, C] map to split,
        // e.g. an audio or dense model) was then refused; the planner's choice is layer by
        // layer with the frame whole, as with a whole input (the session notes it).
        if input.streamed && candidates.is_empty() && matches!(request, PatchRequest::Auto { .. }) {
            return given(Vec::new());
        }
        if let Some(least) = candidates.iter().map(|c| c.work).min() {
            return Err(Error::Setting(format!(
                "every plan would take more work than the engine runs: at least {least} of {MAX_PLAN_WORK} \
                 (MACs and steps); a coarser grid or layer by layer needs less"
            )));
        }
        return Err(Error::Setting("no patch plan is legal for this model".into()));
    };
    let front = search::pareto(&candidates);
    let stopped_at = match request {
        PatchRequest::Auto { .. } => search::searched_splits(graph, kernels, input)?.1,
        _ => None,
    };
    Ok(Resolved { schedule: choice.schedule, search: Some(Searched { covered, front, stopped_at }) })
}

/// One stage ending at `split` with every grid from 1×1 to the finest, row-major.
pub fn every_grid_at(
    graph: &Graph,
    kernels: &[Kernel],
    split: usize,
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Schedule>> {
    let map = map_region(graph, split).ok_or_else(|| illegal_split(graph, kernels, split, input))?;
    let grids = (1..=MAX_GRID.min(map.height())).flat_map(|r| (1..=MAX_GRID.min(map.width())).map(move |c| (r, c)));
    Ok(grids.map(|(rows, cols)| Schedule { stages: vec![Stage::new(split, rows, cols)], in_place }).collect())
}

/// Why no patch stage can end at `split`.
fn illegal_split(graph: &Graph, kernels: &[Kernel], split: usize, input: InputMode) -> Error {
    let name = &graph.tensors[split].name;
    let why = layerwise::entry(graph, input)
        .and_then(|(first_op, _)| patch::stage_ops(graph, kernels, first_op, split))
        .err()
        .map_or_else(|| "it is not a feature map a stage can end at".to_string(), |e| e.to_string());
    Error::Setting(format!("a patch stage cannot end at tensor {split} ({name}): {why}"))
}
