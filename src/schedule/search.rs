//! The patch planner: every legal split × grid is planned for real (buffers placed in the
//! arena, MACs counted per step), the Pareto front of peak SRAM against MACs is kept, and
//! the cheapest plan that fits a budget is chosen — or the smallest peak when none does.
//!
//! [`explore`] measures every plan; [`explore_front`] finds the same front and the same
//! choice while placing only the plans that can enter the front. Both draft each plan first
//! (its steps and buffer lifetimes, which give its MACs and a lower bound on its peak);
//! taking drafts by increasing MACs, a plan whose lower bound is not below the smallest peak
//! measured so far is beaten on both counts by that plan, so it is never placed. Plans are
//! measured in parallel natively (rayon) and one by one in wasm; results never depend on it.
//!
//! [`multi_stage_search`] grows plans of several stages from the front a stage at a time
//! (up to [`MAX_STAGES`]), exhaustively or pruned in the same way.

use super::costs::SplitCosts;
use super::measure::{evaluate, layer_by_layer, measure, steps_macs, Candidate};
use super::{draft, layerwise, patch, Halo, InPlace, InputMode, Schedule, Stage};
use crate::error::{Error, Result};
use crate::kernels::Kernel;
use crate::model::limits::MAX_PLAN_WORK;
use crate::model::Graph;

/// Grids from 1×1 up to this many rows and columns are tried.
pub const MAX_GRID: usize = 8;

/// The tensors a single patch stage can end at, in op order.
pub fn splits(graph: &Graph, kernels: &[Kernel], input: InputMode) -> Result<Vec<usize>> {
    Ok(splits_within(graph, kernels, input, u64::MAX)?.0)
}

/// How much estimating the search may do, counted in ops × grids: every grid of a split costs
/// the ops of its stage, so a deep network's cost grows with the square of its depth. The
/// splits are searched from the input on until it is spent (the memory-heavy part of a CNN
/// is its start); a deeper split is still planned when named. Every split of a 1 000-op chain
/// of 16×16 maps fits (32 M); one of 4 000 ops is searched to about op 1 100.
pub const SEARCH_BUDGET: u64 = 40_000_000;

/// The splits the search covers, in op order, and the op where it stopped when the
/// [`SEARCH_BUDGET`] ran out before the last one.
pub fn searched_splits(graph: &Graph, kernels: &[Kernel], input: InputMode) -> Result<(Vec<usize>, Option<usize>)> {
    splits_within(graph, kernels, input, SEARCH_BUDGET)
}

/// The splits, in op order, until searching them would spend more than `budget` (see
/// [`SEARCH_BUDGET`]), and the op where that happened.
fn splits_within(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    budget: u64,
) -> Result<(Vec<usize>, Option<usize>)> {
    let (first_op, _) = layerwise::entry(graph, input)?;
    let (mut spent, mut out) = (0u64, Vec::new());
    for op in first_op..graph.ops.len() {
        let t = graph.ops[op].outputs[0];
        let Some(map) = super::map_region(graph, t) else { continue };
        let grids = MAX_GRID.min(map.height()) * MAX_GRID.min(map.width());
        spent = spent.saturating_add((grids * (op - first_op + 1)) as u64);
        if spent > budget {
            return Ok((out, Some(op)));
        }
        if patch::stage_ops(graph, kernels, first_op, t).is_ok() {
            out.push(t);
        }
    }
    Ok((out, None))
}

/// Every single-stage schedule the search covers: each of [`searched_splits`] with each grid
/// up to [`MAX_GRID`].
pub fn single_stage_schedules(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Schedule>> {
    grids_at_searched_splits(
        graph,
        kernels,
        input,
        Stage { halo: Halo::Recompute, ..Stage::new(0, MAX_GRID, MAX_GRID) },
        in_place,
    )
}

/// The most row bands a cached stage is searched with: a band costs no recomputed rows, so
/// bands finer than a recomputing grid's pay (down to one row of a 16-row split).
pub const MAX_CACHED_BANDS: usize = 2 * MAX_GRID;

/// Every cached single stage the search covers: each of [`searched_splits`] with up to
/// [`MAX_CACHED_BANDS`] row bands and [`MAX_GRID`] columns.
pub fn cached_single_stage_schedules(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Schedule>> {
    grids_at_searched_splits(
        graph,
        kernels,
        input,
        Stage { halo: Halo::Cache, ..Stage::new(0, MAX_CACHED_BANDS, MAX_GRID) },
        in_place,
    )
}

/// Every grid up to `most`'s rows and columns (never finer than the map), of `most`'s halo,
/// at each of [`searched_splits`].
fn grids_at_searched_splits(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    most: Stage,
    in_place: InPlace,
) -> Result<Vec<Schedule>> {
    let mut out = Vec::new();
    for split in searched_splits(graph, kernels, input)?.0 {
        let r = super::map_region(graph, split)
            .ok_or_else(|| Error::Setting(format!("the split tensor {split} is not a map")))?;
        for rows in 1..=most.rows.min(r.height()) {
            for cols in 1..=most.cols.min(r.width()) {
                out.push(Schedule {
                    stages: vec![Stage { halo: most.halo, ..Stage::new(split, rows, cols) }],
                    in_place,
                });
            }
        }
    }
    Ok(out)
}

/// One `rows` × `cols` stage ending at every split whose map is at least that large.
pub fn grid_at_every_split(
    graph: &Graph,
    kernels: &[Kernel],
    rows: usize,
    cols: usize,
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Schedule>> {
    let fits = |t: &usize| super::map_region(graph, *t).is_some_and(|m| m.height() >= rows && m.width() >= cols);
    let splits = splits(graph, kernels, input)?.into_iter().filter(fits);
    Ok(splits.map(|split| Schedule { stages: vec![Stage::new(split, rows, cols)], in_place }).collect())
}

/// Every one of `schedules`, planned and measured against layer by layer's MACs.
pub fn evaluate_all(
    graph: &Graph,
    kernels: &[Kernel],
    schedules: &[Schedule],
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Candidate>> {
    let base = layer_by_layer(graph, kernels, input, in_place)?.macs;
    schedules.iter().map(|s| evaluate(graph, kernels, s, input, base)).collect()
}

/// The candidates no other candidate beats on both peak and MACs, by increasing peak.
pub fn pareto(candidates: &[Candidate]) -> Vec<Candidate> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by_key(|c| (c.peak.bytes, c.macs));
    let mut front: Vec<Candidate> = Vec::new();
    for c in sorted {
        if front.last().is_none_or(|best| c.macs < best.macs) {
            front.push(c.clone());
        }
    }
    front
}

/// The cheapest candidate (fewest MACs, then smallest peak) within `budget` bytes, or the
/// smallest peak when none fits; the flag says whether it fits. Plans over
/// [`MAX_PLAN_WORK`] are never chosen.
pub fn choose(candidates: &[Candidate], budget: usize) -> Option<(Candidate, bool)> {
    // A plan the engine would refuse to run is never the choice.
    let runnable = || candidates.iter().filter(|c| c.work <= MAX_PLAN_WORK);
    let fitting = runnable().filter(|c| c.peak.bytes <= budget).min_by_key(|c| (c.macs, c.peak.bytes));
    match fitting {
        Some(c) => Some((c.clone(), true)),
        None => runnable().min_by_key(|c| (c.peak.bytes, c.macs)).map(|c| (c.clone(), false)),
    }
}

/// Layer by layer and every single-stage plan, measured.
pub fn explore(graph: &Graph, kernels: &[Kernel], input: InputMode, in_place: InPlace) -> Result<Vec<Candidate>> {
    let layerwise = layer_by_layer(graph, kernels, input, in_place)?;
    let base = layerwise.macs;
    let schedules = single_stage_schedules(graph, kernels, input, in_place)?;
    let measured = map_all(&schedules, |schedule| evaluate(graph, kernels, schedule, input, base));
    let layerwise = (!input.streamed).then_some(Ok(layerwise));
    layerwise.into_iter().chain(measured).collect()
}

/// What [`explore`] finds that can matter: its candidates on the Pareto front (and maybe a
/// few more), so [`pareto`] gives the same front and [`choose`] the same plan at any budget.
pub fn explore_front(graph: &Graph, kernels: &[Kernel], input: InputMode, in_place: InPlace) -> Result<Vec<Candidate>> {
    let layerwise = layer_by_layer(graph, kernels, input, in_place)?;
    let base = layerwise.macs;
    let schedules = single_stage_schedules(graph, kernels, input, in_place)?;
    let known = if input.streamed { Vec::new() } else { vec![layerwise] };
    front_of(graph, kernels, input, base, known, &schedules, Failed::Stop)
}

/// `known` candidates, then those of `schedules` that can enter the Pareto front of all of
/// them: [`pareto`] of the result is the front of all, and [`choose`] picks the same plan at
/// any budget, though only the plans that can matter are placed. A schedule that cannot be
/// planned is an error, or with `skip_unplannable` left out (a cached stage whose rows a
/// model's ops cannot keep, say).
pub fn front_among(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    base: u64,
    known: Vec<Candidate>,
    schedules: &[Schedule],
    skip_unplannable: bool,
) -> Result<Vec<Candidate>> {
    let failed = if skip_unplannable { Failed::Skip } else { Failed::Stop };
    front_of(graph, kernels, input, base, known, schedules, failed)
}

/// What to do with a schedule that cannot be planned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failed {
    Stop,
    Skip,
}

/// `known` candidates, then those of `schedules` that can enter the Pareto front of all of
/// them, in that order; the others are drafted but never placed (see the module docs).
fn front_of(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    base: u64,
    known: Vec<Candidate>,
    schedules: &[Schedule],
    failed: Failed,
) -> Result<Vec<Candidate>> {
    let estimates = estimates(graph, kernels, input, schedules);
    // (MACs, index, peak lower bound), by increasing MACs then index: every plan met
    // earlier beats a later one with the same peak.
    let mut order: Vec<(u64, usize, usize)> =
        known.iter().enumerate().map(|(i, c)| (c.macs, i, c.peak.bytes)).collect();
    let mut drafted = vec![false; schedules.len()];
    for (j, e) in estimates.into_iter().enumerate() {
        match (e, failed) {
            (Ok(e), _) => {
                order.push((e.macs, known.len() + j, e.bound));
                drafted[j] = e.drafted;
            }
            (Err(_), Failed::Skip) => {}
            (Err(e), Failed::Stop) => return Err(e),
        }
    }
    order.sort_unstable();
    let mut measured: Vec<Option<Candidate>> = vec![None; schedules.len()];
    let mut lowest_peak = usize::MAX;
    let mut next = order.into_iter().peekable();
    while next.peek().is_some() {
        // A batch of plans that can still enter the front, drafted and placed together;
        // each with the lowest peak of the plans before it.
        let mut batch = Vec::new();
        for (_, i, bound) in next.by_ref() {
            if i < known.len() {
                lowest_peak = lowest_peak.min(bound);
            } else if bound < lowest_peak {
                batch.push((i - known.len(), lowest_peak));
                if batch.len() == parallelism() {
                    break;
                }
            }
        }
        let results = map_all(&batch, |&(j, lowest)| -> Result<Option<Candidate>> {
            let schedule = &schedules[j];
            let d = draft(graph, kernels, schedule, input)?;
            if !drafted[j] && d.peak_lower_bound() >= lowest {
                return Ok(None);
            }
            measure(graph, kernels, &d.place(), schedule, base).map(Some)
        });
        for ((j, _), result) in batch.into_iter().zip(results) {
            match (result, failed) {
                (Ok(c), _) => {
                    lowest_peak = lowest_peak.min(c.as_ref().map_or(usize::MAX, |c| c.peak.bytes));
                    measured[j] = c;
                }
                (Err(_), Failed::Skip) => {}
                (Err(e), Failed::Stop) => return Err(e),
            }
        }
    }
    Ok(known.into_iter().chain(measured.into_iter().flatten()).collect())
}

/// A plan's MACs and a lower bound on its peak, from its split's [`SplitCosts`] or else
/// from its draft.
struct Estimate {
    macs: u64,
    bound: usize,
    drafted: bool,
}

fn estimates(graph: &Graph, kernels: &[Kernel], input: InputMode, schedules: &[Schedule]) -> Vec<Result<Estimate>> {
    // The single-stage schedules by split, in order of first appearance: each split is
    // analysed once for all its grids, and its analysis dropped before the next one's (an
    // analysis holds every tensor's span in every band: megabytes on a long chain).
    let mut groups: Vec<((usize, InPlace), Vec<usize>)> = Vec::new();
    for (i, schedule) in schedules.iter().enumerate() {
        // Cached stages have no estimate: a draft tells their MACs and peak.
        let [stage] = schedule.stages[..] else { continue };
        if stage.halo != Halo::Recompute {
            continue;
        }
        let key = (stage.split, schedule.in_place);
        match groups.iter_mut().rev().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    let analysed = map_all(&groups, |&((split, in_place), ref members)| {
        let grids: Vec<(usize, usize)> =
            members.iter().map(|&i| (schedules[i].stages[0].rows, schedules[i].stages[0].cols)).collect();
        match SplitCosts::new(graph, kernels, split, input, in_place) {
            Ok(costs) => costs.estimate_all(kernels, &grids),
            Err(_) => vec![None; grids.len()],
        }
    });
    let mut estimated: Vec<Option<(u64, usize)>> = vec![None; schedules.len()];
    for ((_, members), found) in groups.iter().zip(analysed) {
        for (&i, e) in members.iter().zip(found) {
            estimated[i] = e;
        }
    }
    let jobs: Vec<(&Schedule, Option<(u64, usize)>)> = schedules.iter().zip(estimated).collect();
    map_all(&jobs, |&(schedule, estimated)| match estimated {
        Some((macs, bound)) => Ok(Estimate { macs, bound, drafted: false }),
        None => draft(graph, kernels, schedule, input).map(|d| Estimate {
            macs: steps_macs(&d.steps, kernels),
            bound: d.peak_lower_bound(),
            drafted: true,
        }),
    })
}

/// `f` of every item, in order: in parallel natively, one after another in wasm.
fn map_all<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        items.iter().map(f).collect()
    }
}

/// How many plans are placed at once: more keeps every thread busy, fewer prunes more.
fn parallelism() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        rayon::current_num_threads()
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// The most patch stages the multi-stage search grows a plan to.
pub const MAX_STAGES: usize = 4;

/// Schedules one stage longer than each of `seeds` (multi-stage fusion, msf-CNN): a further
/// stage after the seed's last, ending at every later tensor a stage can end at, with every
/// square grid.
pub fn next_stage_schedules(graph: &Graph, kernels: &[Kernel], seeds: &[Schedule]) -> Result<Vec<Schedule>> {
    let producer = |t: usize| graph.ops.iter().position(|op| op.outputs.first() == Some(&t));
    let mut out = Vec::new();
    for seed in seeds {
        let Some(after) = seed.stages.last().and_then(|last| producer(last.split)).map(|p| p + 1) else { continue };
        for op in &graph.ops[after..] {
            let Some(&split) = op.outputs.first() else { continue };
            let Some(r) = super::map_region(graph, split) else { continue };
            if patch::stage_ops(graph, kernels, after, split).is_err() {
                continue;
            }
            for n in 1..=MAX_GRID.min(r.height()).min(r.width()) {
                let mut stages = seed.stages.clone();
                stages.push(Stage::new(split, n, n));
                out.push(Schedule { stages, in_place: seed.in_place });
            }
        }
    }
    Ok(out)
}

/// What a multi-stage search found, and how many schedules it covered.
pub struct StageSearch {
    /// Every candidate measured ([`explore`]'s and the longer ones), or, pruned, those that
    /// can matter (see [`explore_front`]).
    pub candidates: Vec<Candidate>,
    /// Schedules considered: layer by layer, every single stage and every longer one grown.
    pub covered: usize,
}

/// [`explore`] (or, `pruned`, [`explore_front`]), then plans grown a stage at a time up to
/// `max_stages`: each round extends the Pareto front's longest schedules by one stage, and
/// stops when none of them is on the front.
pub fn multi_stage_search(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    in_place: InPlace,
    pruned: bool,
    max_stages: usize,
) -> Result<StageSearch> {
    let mut all = match pruned {
        true => explore_front(graph, kernels, input, in_place)?,
        false => explore(graph, kernels, input, in_place)?,
    };
    let mut covered = single_stage_schedules(graph, kernels, input, in_place)?.len() + usize::from(!input.streamed);
    let base = layer_by_layer(graph, kernels, input, in_place)?.macs;
    for stages in 1..max_stages {
        let seeds: Vec<Schedule> =
            pareto(&all).into_iter().map(|c| c.schedule).filter(|s| s.stages.len() == stages).collect();
        let schedules = next_stage_schedules(graph, kernels, &seeds)?;
        if schedules.is_empty() {
            break;
        }
        covered += schedules.len();
        all = match pruned {
            true => front_of(graph, kernels, input, base, all, &schedules, Failed::Skip)?,
            false => {
                let measured = map_all(&schedules, |s| evaluate(graph, kernels, s, input, base).ok());
                all.into_iter().chain(measured.into_iter().flatten()).collect()
            }
        };
    }
    Ok(StageSearch { candidates: all, covered })
}

/// Every plan of [`multi_stage_search`], measured: the reference the pruned search is tested
/// against.
pub fn explore_multi(graph: &Graph, kernels: &[Kernel], input: InputMode, in_place: InPlace) -> Result<Vec<Candidate>> {
    Ok(multi_stage_search(graph, kernels, input, in_place, false, MAX_STAGES)?.candidates)
}

/// [`explore_multi`] as [`explore_front`] is to [`explore`]: the same front and choice.
pub fn explore_multi_front(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    in_place: InPlace,
) -> Result<Vec<Candidate>> {
    Ok(multi_stage_search(graph, kernels, input, in_place, true, MAX_STAGES)?.candidates)
}
