//! What the page teaches with, as real executions and plans of the current model: the
//! current plan against layer by layer byte for byte ([`Session::check_exact`]), the same
//! plan with its halos blanked ([`Session::break_halos`]), every grid at its split and its
//! grid at every split ([`Session::sweep`]), and how often each pixel is computed
//! ([`Session::heat`]).

use super::report::{CandidateReport, OutputKind, RunReport, TensorReport};
use super::{run_report, Session};
use crate::error::{Error, Result};
use crate::exec::{Config, Engine};
use crate::geometry::Region;
use crate::schedule::measure::Candidate;
use crate::schedule::request::every_grid_at;
use crate::schedule::search::{evaluate_all, grid_at_every_split};
use crate::schedule::{self, InputMode, Stage};
use serde::Serialize;

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

impl Session {
    /// Runs the current patch plan as it would run without halos — each patch sees only its
    /// own share of the input, the rest of its region blanked to the input's zero point —
    /// next to layer by layer, and shows where the split tensor goes wrong. A real execution,
    /// wrong by design: it is what the halo is for.
    pub fn break_halos(&mut self, input: &[u8]) -> Result<BrokenReport> {
        let (graph, kernels) = (self.graph.clone(), self.kernels.clone());
        let verdict = self.model.output == OutputKind::Classification;
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
        let (labels, fits) = (verdict.then_some(&current.labels[..]), current.fits);
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
        let Some(&Stage { split, rows, cols, .. }) = current.engine.schedule.stages.first() else {
            return Err(Error::Setting("layer by layer has no split or grid to sweep: choose a patch plan".into()));
        };
        let graph = &*self.graph;
        let kernels = &*self.kernels;
        let grids = every_grid_at(graph, kernels, split, input, in_place)?;
        let at_split = evaluate_all(graph, kernels, &grids, input, in_place)?;
        let splits = grid_at_every_split(graph, kernels, rows, cols, input, in_place)?;
        let at_grid = evaluate_all(graph, kernels, &splits, input, in_place)?;
        let report = |cs: Vec<Candidate>| cs.iter().map(|c| CandidateReport::of(graph, c, input)).collect();
        Ok(SweepReport { split, rows, cols, grids: report(at_split), splits: report(at_grid) })
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
}
