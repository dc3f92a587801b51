//! Joint search (MCUNetV2's third part): architectures of a MobileNetV2-style space, each with
//! its best patch schedule, under an MCU's SRAM and Flash.
//!
//! Every architecture is built (synthetic int8 weights), planned layer by layer and with a
//! patch stage ending after each block whose map is at least 1/16 of the input (square grids
//! 2×2 … 8×8), and measured for real. No accuracy is trained here: the proxy for capacity is
//! MACs (`--objective macs`), or the input resolution under a MAC budget
//! (`--objective resolution`).

use crate::error::{Error, Result};
use crate::kernels::Kernel;
use crate::schedule::measure::{self, Candidate};
use crate::schedule::search::{self, MAX_GRID};
use crate::schedule::{self, InPlace, InputMode, Schedule, Stage};
use crate::zoo::{self, Arch, Block};
use serde::{Deserialize, Serialize};

/// MobileNetV2's inverted-residual groups: (channels, repeats, first stride).
const GROUPS: [(usize, usize, usize); 7] =
    [(16, 1, 1), (24, 2, 2), (32, 3, 2), (64, 4, 2), (96, 3, 1), (160, 3, 2), (320, 1, 1)];

/// The architectures to search: every combination of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Space {
    /// Width multipliers (channels scaled as MobileNet does).
    pub widths: Vec<f64>,
    /// Input resolutions.
    pub resolutions: Vec<usize>,
    /// Depthwise kernel sizes (one for the whole network).
    pub kernels: Vec<usize>,
    /// Expansion ratios of the inverted residuals (the first block keeps 1).
    pub expands: Vec<usize>,
    /// Blocks per group as a fraction of MobileNetV2's (1.0: 1,2,3,4,3,3,1; at least one each).
    pub depths: Vec<f64>,
    /// Classes of the classifier (its weights count against Flash).
    pub classes: usize,
}

impl Default for Space {
    fn default() -> Self {
        Space {
            widths: vec![0.35, 0.5, 0.75, 1.0],
            resolutions: (6..=14).map(|i| i * 16).collect(),
            kernels: vec![3, 5, 7],
            expands: vec![3, 4, 6],
            depths: vec![0.5, 1.0],
            classes: 1000,
        }
    }
}

/// One architecture of the space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ArchPoint {
    /// Width multiplier.
    pub width: f64,
    /// Input resolution.
    pub resolution: usize,
    /// Depthwise kernel size.
    pub kernel: usize,
    /// Expansion ratio.
    pub expand: usize,
    /// Depth as a fraction of MobileNetV2's.
    pub depth: f64,
    /// Classifier classes.
    pub classes: usize,
}

impl ArchPoint {
    /// The network's blocks (after a 3×3 stride-2 stem of `stem()` channels).
    pub fn blocks(&self) -> Vec<Block> {
        let mut out = Vec::new();
        for (g, &(channels, repeats, stride)) in GROUPS.iter().enumerate() {
            let n = ((repeats as f64 * self.depth).round() as usize).max(1);
            for r in 0..n {
                out.push(Block {
                    kernel: self.kernel,
                    expand: if g == 0 { 1 } else { self.expand },
                    stride: if r == 0 { stride } else { 1 },
                    channels: zoo::scaled(channels, self.width),
                });
            }
        }
        out
    }

    /// Stem channels.
    pub fn stem(&self) -> usize {
        zoo::scaled(32, self.width)
    }

    /// The blocks as `mcupatch analyze --arch mcunet --blocks …` takes them.
    pub fn spec(&self) -> String {
        let block = |b: &Block| format!("k{}e{}s{}c{}", b.kernel, b.expand, b.stride, b.channels);
        self.blocks().iter().map(block).collect::<Vec<_>>().join(",")
    }

    fn arch(&self) -> Arch {
        Arch::McuNet {
            resolution: self.resolution,
            stem: self.stem(),
            blocks: self.blocks(),
            head: None,
            classes: self.classes,
        }
    }
}

/// What the architectures must fit and how they are ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    /// SRAM bytes.
    pub sram: usize,
    /// Flash bytes for the int8 weights (and biases).
    pub flash: usize,
    /// Accounting switches for every plan.
    pub in_place: InPlace,
    /// The camera streams each patch's input region.
    pub streamed_input: bool,
    /// The most MAC overhead a patch plan may cost (e.g. 0.2 for +20 %).
    pub max_overhead: Option<f64>,
    /// Also plans of several patch stages, grown from each network's front (up to
    /// [`search::MAX_STAGES`]).
    pub multi_stage: bool,
    /// What to maximise.
    pub objective: Objective,
    /// With [`Objective::Resolution`]: the most MACs an architecture may have (its own,
    /// layer by layer).
    pub mac_budget: Option<u64>,
}

impl Default for Goal {
    fn default() -> Self {
        Goal {
            sram: 256 * 1024,
            flash: 1 << 20,
            in_place: InPlace { depthwise: true, pointwise: false, add: false },
            streamed_input: true,
            max_overhead: None,
            multi_stage: false,
            objective: Objective::Macs,
            mac_budget: None,
        }
    }
}

/// What the search maximises among the architectures that fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// The most MACs (the capacity proxy).
    Macs,
    /// The largest input resolution within the MAC budget (then the most MACs).
    Resolution,
}

/// One patch stage of a measured plan.
#[derive(Debug, Clone, Serialize)]
pub struct StagePoint {
    /// The split tensor's name, where the stage ends.
    pub split: String,
    /// Its shape.
    pub split_shape: Vec<usize>,
    /// Grid rows.
    pub rows: usize,
    /// Grid columns.
    pub cols: usize,
}

/// One measured plan of one architecture.
#[derive(Debug, Clone, Serialize)]
pub struct PlanPoint {
    /// Its patch stages, in order (none: layer by layer).
    pub stages: Vec<StagePoint>,
    /// Peak SRAM.
    pub peak_bytes: usize,
    /// MACs, recomputed halos included.
    pub macs: u64,
    /// MACs over layer by layer's, minus one.
    pub overhead: f64,
}

/// One architecture, measured.
#[derive(Debug, Clone, Serialize)]
pub struct ArchResult {
    /// Where it lies in the space.
    pub arch: ArchPoint,
    /// Its blocks, for `analyze --arch mcunet --blocks`.
    pub spec: String,
    /// Layer-by-layer MACs.
    pub macs: u64,
    /// Int8 weights and int32 biases: what Flash holds.
    pub weight_bytes: usize,
    /// Layer by layer.
    pub layer_by_layer: PlanPoint,
    /// The cheapest plan that fits the SRAM within the overhead cap, or the smallest peak.
    pub best: PlanPoint,
    /// Fits SRAM and Flash layer by layer.
    pub fits_layer_by_layer: bool,
    /// Fits SRAM and Flash with `best`.
    pub fits: bool,
}

/// The answer to [`search`].
#[derive(Debug, Clone, Serialize)]
pub struct JointReport {
    /// The goal searched for.
    pub goal: Goal,
    /// Architectures built and planned.
    pub architectures: usize,
    /// Plans measured in all.
    pub plans: usize,
    /// Architectures that fit (with their best plan).
    pub fitting: usize,
    /// Those that fit only with patches.
    pub fitting_only_with_patches: usize,
    /// Among those that fit: none has both more MACs (the network's own) and a smaller peak.
    /// By increasing peak.
    pub front: Vec<ArchResult>,
    /// The objective's choice.
    pub best: Option<ArchResult>,
    /// The largest resolution that fits layer by layer, and with patches.
    pub largest_resolution_layer_by_layer: Option<usize>,
    /// See `largest_resolution_layer_by_layer`.
    pub largest_resolution_patched: Option<usize>,
    /// The same, for each width of the space.
    pub by_width: Vec<WidthLimits>,
}

/// The largest resolutions that fit at one width.
#[derive(Debug, Clone, Serialize)]
pub struct WidthLimits {
    /// Width multiplier.
    pub width: f64,
    /// Largest resolution that fits layer by layer.
    pub layer_by_layer: Option<usize>,
    /// Largest resolution that fits with patches.
    pub patched: Option<usize>,
}

/// Every architecture of `space`, in a fixed order.
pub fn architectures(space: &Space) -> Vec<ArchPoint> {
    let mut out = Vec::new();
    for &width in &space.widths {
        for &resolution in &space.resolutions {
            for &kernel in &space.kernels {
                for &expand in &space.expands {
                    for &depth in &space.depths {
                        out.push(ArchPoint { width, resolution, kernel, expand, depth, classes: space.classes });
                    }
                }
            }
        }
    }
    out
}

/// Most architectures one search may build.
pub const MAX_ARCHITECTURES: usize = 20_000;

fn check(space: &Space) -> Result<()> {
    let bad = |msg: String| Err(Error::Setting(msg));
    if space.widths.iter().any(|&w| !(w > 0.0 && w <= 2.0)) {
        return bad("widths must be in (0, 2]".into());
    }
    if space.resolutions.iter().any(|r| !(32..=512).contains(r)) {
        return bad("resolutions must be in 32..=512".into());
    }
    if space.kernels.iter().any(|k| ![3, 5, 7].contains(k)) {
        return bad("kernel sizes are 3, 5 or 7".into());
    }
    if space.expands.iter().any(|e| !(1..=8).contains(e)) || space.depths.iter().any(|&d| !(d > 0.0 && d <= 2.0)) {
        return bad("expansion ratios must be in 1..=8 and depths in (0, 2]".into());
    }
    if !(1..=10_000).contains(&space.classes) {
        return bad("classes must be in 1..=10000".into());
    }
    let n = architectures(space).len();
    if n == 0 || n > MAX_ARCHITECTURES {
        return bad(format!("the space has {n} architectures; give 1 to {MAX_ARCHITECTURES}"));
    }
    Ok(())
}

/// Builds and plans one architecture; returns it and the number of plans measured.
pub fn evaluate(arch: ArchPoint, goal: &Goal) -> Result<(ArchResult, usize)> {
    let graph = arch.arch().build();
    let kernels = Kernel::prepare_all(&graph)?;
    let input = InputMode { float_input: false, streamed: goal.streamed_input };
    let layerwise = measure::layer_by_layer(&graph, &kernels, input, goal.in_place)?;
    // Patch stages end after a block whose map is at least 1/16 of the input's side.
    let min_side = arch.resolution.div_ceil(16);
    let block_ends: Vec<usize> = (0..graph.ops.len())
        .filter(|&op| {
            let name = zoo::block_of(&graph, op);
            name.starts_with("block") && graph.ops.get(op + 1).is_none_or(|_| zoo::block_of(&graph, op + 1) != name)
        })
        .map(|op| graph.ops[op].outputs[0])
        .filter(|&t| schedule::map_region(&graph, t).is_some_and(|m| m.height() >= min_side))
        .collect();
    let legal = search::splits(&graph, &kernels, input)?;
    let mut singles = Vec::new();
    for &split in block_ends.iter().filter(|t| legal.contains(t)) {
        let side = schedule::map_region(&graph, split).map_or(0, |m| m.height().min(m.width()));
        for n in 2..=MAX_GRID.min(side) {
            singles.push(Schedule { stages: vec![Stage::new(split, n, n)], in_place: goal.in_place });
        }
    }
    let known = if goal.streamed_input { Vec::new() } else { vec![layerwise.clone()] };
    // Every plan counts as measured (layer by layer too, once more as the reference); only
    // those that can enter the front are placed, and the front and the choice are all's.
    let mut plans = known.len() + singles.len() + 1;
    let mut candidates = search::front_among(&graph, &kernels, input, layerwise.macs, known, &singles, false)?;
    // Several stages: each round grows the front's longest plans by a stage ending at a
    // block end after theirs.
    for stages in 1..search::MAX_STAGES {
        if !goal.multi_stage {
            break;
        }
        let seeds: Vec<Schedule> =
            search::pareto(&candidates).into_iter().map(|c| c.schedule).filter(|s| s.stages.len() == stages).collect();
        let mut longer = search::next_stage_schedules(&graph, &kernels, &seeds)?;
        longer.retain(|s| s.stages.last().is_some_and(|st| block_ends.contains(&st.split) && st.rows >= 2));
        if longer.is_empty() {
            break;
        }
        plans += longer.len();
        candidates = search::front_among(&graph, &kernels, input, layerwise.macs, candidates, &longer, false)?;
    }
    let within_cap = |c: &Candidate| goal.max_overhead.is_none_or(|cap| c.overhead <= cap + 1e-12);
    let allowed: Vec<Candidate> = candidates.into_iter().filter(within_cap).collect();
    let best = search::choose(&allowed, goal.sram).map_or_else(|| layerwise.clone(), |(c, _)| c);
    let weight_bytes: usize = graph.ops.iter().map(|op| Kernel::weight_bytes(&graph, op)).sum();
    let flash_ok = weight_bytes <= goal.flash;
    let point = |c: &Candidate| PlanPoint {
        stages: c
            .schedule
            .stages
            .iter()
            .map(|s| StagePoint {
                split: graph.tensors[s.split].name.clone(),
                split_shape: graph.tensors[s.split].shape.clone(),
                rows: s.rows,
                cols: s.cols,
            })
            .collect(),
        peak_bytes: c.peak.bytes,
        macs: c.macs,
        overhead: c.overhead,
    };
    let result = ArchResult {
        arch,
        spec: arch.spec(),
        macs: layerwise.macs,
        weight_bytes,
        fits_layer_by_layer: flash_ok && layerwise.peak.bytes <= goal.sram,
        fits: flash_ok && best.peak.bytes <= goal.sram,
        layer_by_layer: point(&layerwise),
        best: point(&best),
    };
    Ok((result, plans))
}

/// Searches `space` for the architectures that fit `goal`, each with its best schedule;
/// `progress(done, total)` is called as architectures finish. Deterministic: the same space
/// and goal give the same report, whatever the number of threads.
pub fn search(space: &Space, goal: &Goal, progress: impl Fn(usize, usize) + Sync) -> Result<JointReport> {
    check(space)?;
    if let Some(cap) = goal.max_overhead.filter(|cap| !(cap.is_finite() && *cap >= 0.0)) {
        // NaN compares false with every overhead, and would silently drop every patch plan.
        return Err(Error::Setting(format!("the MAC overhead cap {cap} is not a number of percent from 0 up")));
    }
    let archs = architectures(space);
    let results = evaluate_all(&archs, goal, &progress)?;
    let plans = results.iter().map(|(_, p)| p).sum();
    let results: Vec<ArchResult> = results.into_iter().map(|(r, _)| r).collect();
    let fitting: Vec<&ArchResult> = results.iter().filter(|r| r.fits).collect();
    let mut sorted = fitting.clone();
    // Capacity is the network's own MACs; the halos a plan recomputes are its cost, capped by
    // `max_overhead`, not capacity.
    sorted.sort_by(|a, b| a.best.peak_bytes.cmp(&b.best.peak_bytes).then(b.macs.cmp(&a.macs)));
    let mut front: Vec<ArchResult> = Vec::new();
    for r in sorted {
        if front.last().is_none_or(|f| r.macs > f.macs) {
            front.push(r.clone());
        }
    }
    let best = match goal.objective {
        Objective::Macs => fitting.iter().max_by_key(|r| (r.macs, std::cmp::Reverse(r.best.peak_bytes))),
        Objective::Resolution => fitting
            .iter()
            .filter(|r| goal.mac_budget.is_none_or(|b| r.macs <= b))
            .max_by_key(|r| (r.arch.resolution, r.macs)),
    }
    .map(|r| (*r).clone());
    let largest = |ok: &dyn Fn(&ArchResult) -> bool| results.iter().filter(|r| ok(r)).map(|r| r.arch.resolution).max();
    let by_width = space
        .widths
        .iter()
        .map(|&width| WidthLimits {
            width,
            layer_by_layer: largest(&|r| r.arch.width == width && r.fits_layer_by_layer),
            patched: largest(&|r| r.arch.width == width && r.fits),
        })
        .collect();
    Ok(JointReport {
        goal: goal.clone(),
        architectures: results.len(),
        plans,
        fitting: fitting.len(),
        fitting_only_with_patches: fitting.iter().filter(|r| !r.fits_layer_by_layer).count(),
        front,
        best,
        largest_resolution_layer_by_layer: largest(&|r| r.fits_layer_by_layer),
        largest_resolution_patched: largest(&|r| r.fits),
        by_width,
    })
}

/// One architecture's result and the plans it took.
#[cfg(not(target_arch = "wasm32"))]
type Evaluated = Result<(ArchResult, usize)>;

/// Evaluates every architecture, natively on every core (results in input order).
#[cfg(not(target_arch = "wasm32"))]
fn evaluate_all(
    archs: &[ArchPoint],
    goal: &Goal,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<Vec<(ArchResult, usize)>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(archs.len()).max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let mut slots: Vec<Option<Evaluated>> = (0..archs.len()).map(|_| None).collect();
    let chunks: Vec<Vec<(usize, Evaluated)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&arch) = archs.get(i) else { break out };
                        out.push((i, evaluate(arch, goal)));
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1, archs.len());
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_default()).collect()
    });
    for (i, r) in chunks.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().map(|s| s.unwrap_or_else(|| Err(Error::Setting("a search worker stopped".into())))).collect()
}

#[cfg(target_arch = "wasm32")]
fn evaluate_all(
    archs: &[ArchPoint],
    goal: &Goal,
    progress: &(impl Fn(usize, usize) + Sync),
) -> Result<Vec<(ArchResult, usize)>> {
    archs
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let r = evaluate(a, goal);
            progress(i + 1, archs.len());
            r
        })
        .collect()
}
