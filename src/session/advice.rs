//! When no plan fits: where the smallest peak falls and why patches don't lower it, and the
//! cheapest change of settings that fits (a grid, a switch, a larger MCU).

use super::settings::Settings;
use super::Session;
use crate::arena::{self, Mcu};
use crate::error::Result;
use crate::schedule::measure::{self, Candidate};
use crate::schedule::request::PatchRequest;
use crate::schedule::{layerwise, patch, InputMode, Schedule};
use serde::Serialize;

/// Why the plan doesn't fit the SRAM, and what would.
#[derive(Debug, Clone, Serialize)]
pub struct FitAdvice {
    /// The plan's peak: with `auto`, the smallest the planner found under these settings.
    pub peak_bytes: usize,
    /// The op at the peak.
    pub peak_op: usize,
    /// That op's builtin name.
    pub peak_op_name: &'static str,
    /// Why patches don't lower the peak further, in words.
    pub why: String,
    /// The first change, in the order a user would try them (let the planner choose, several
    /// stages, each in-place switch, a streamed camera, all switches), whose plan fits.
    pub change: Option<FitChange>,
    /// The smallest MCU preset whose SRAM holds the plan's peak and whose Flash holds the model.
    pub mcu: Option<Mcu>,
}

/// A change of settings and the plan it gives.
#[derive(Debug, Clone, Serialize)]
pub struct FitChange {
    /// The change, in words (`--in-place-add`, say).
    pub what: String,
    /// The settings with the change made: apply them to get the plan.
    pub settings: Settings,
    /// That plan's peak SRAM.
    pub peak_bytes: usize,
    /// That plan's MACs over layer by layer's, minus one.
    pub overhead: f64,
}

/// The changes tried, cheapest first: the words and the change.
type Trial = (&'static str, fn(&mut Settings));

const TRIALS: [Trial; 7] = [
    ("let the planner choose the patch plan (--patch auto)", |_| {}),
    ("plan several patch stages (--multi-stage)", |s| s.multi_stage = true),
    ("run residual adds in place (--in-place-add)", |s| s.in_place_add = true),
    ("run narrowing 1×1 convolutions in place (--in-place-pointwise)", |s| s.in_place_pointwise = true),
    ("run depthwise convolutions in place (--in-place-depthwise)", |s| s.in_place_depthwise = true),
    ("stream each patch's input from the camera (--streamed-input)", |s| s.streamed_input = true),
    ("turn on every switch: several stages, in place, streamed input", |s| {
        s.multi_stage = true;
        s.in_place_add = true;
        s.in_place_pointwise = true;
        s.in_place_depthwise = true;
        s.streamed_input = true;
    }),
];

impl Session {
    /// Why `chosen` (planned from `settings`, with `input`) does not fit `sram`, and the
    /// cheapest change that fits.
    pub(super) fn fit_advice(
        &self,
        settings: &Settings,
        chosen: &Schedule,
        input: InputMode,
        sram: usize,
    ) -> Result<FitAdvice> {
        let layerwise = measure::layer_by_layer(&self.graph, &self.kernels, input, chosen.in_place)?;
        let measured = measure::evaluate(&self.graph, &self.kernels, chosen, input, layerwise.macs)?;
        let why = self.why_the_peak(&measured, input)?;
        let mut change = None;
        let auto = matches!(settings.request(&self.graph, &mut Vec::new())?, PatchRequest::Auto { .. });
        for (i, (what, apply)) in TRIALS.iter().enumerate().skip(usize::from(auto)) {
            let mut tried = Settings { patch: vec!["auto".into()], split: Vec::new(), ..settings.clone() };
            apply(&mut tried);
            if tried == *settings {
                continue;
            }
            let candidate = self.smallest_plan(&tried, sram)?;
            if candidate.peak.bytes <= sram {
                let (peak_bytes, overhead) = (candidate.peak.bytes, candidate.overhead);
                let what = match auto || i == 0 {
                    true => what.to_string(),
                    false => format!("{what}, and let the planner choose the patch plan (--patch auto)"),
                };
                change = Some(FitChange { what, settings: tried, peak_bytes, overhead });
                break;
            }
        }
        let flash = self.model.flash_bytes;
        let mcu =
            arena::MCUS.iter().filter(|m| m.sram >= measured.peak.bytes && m.flash >= flash).min_by_key(|m| m.sram);
        Ok(FitAdvice {
            peak_bytes: measured.peak.bytes,
            peak_op: measured.peak.op,
            peak_op_name: measured.peak.op_name,
            why,
            change,
            mcu: mcu.copied(),
        })
    }

    /// The plan `settings` resolve to for `sram`, measured.
    fn smallest_plan(&self, settings: &Settings, sram: usize) -> Result<Candidate> {
        let input = InputMode { float_input: settings.float_input, streamed: settings.streamed_input };
        let request = settings.request(&self.graph, &mut Vec::new())?;
        let (schedule, _) = self.resolve(&request, input, settings.in_place(), settings.halo, sram, &mut Vec::new())?;
        // Nothing is streamed without a patch stage: the frame is whole.
        let input = InputMode { streamed: input.streamed && !schedule.stages.is_empty(), ..input };
        let base = measure::layer_by_layer(&self.graph, &self.kernels, input, schedule.in_place)?.macs;
        measure::evaluate(&self.graph, &self.kernels, &schedule, input, base)
    }

    /// Where `measured`'s peak falls, in words, and what keeps patches from lowering it.
    fn why_the_peak(&self, measured: &Candidate, input: InputMode) -> Result<String> {
        let (graph, peak) = (&*self.graph, &measured.peak);
        let at = format!("op {} ({})", peak.op, peak.op_name);
        let (first_op, frame) = layerwise::entry(graph, input)?;
        let stages = &measured.schedule.stages;
        if let Some((stage, row, col)) = peak.patch {
            let grid = stages.get(stage).map_or(String::new(), |s| format!("{}×{} ", s.rows, s.cols));
            let whole_frame = match input.streamed {
                true => String::new(),
                false => format!(", beside the whole {} B input frame", graph.tensors[frame].bytes()),
            };
            return Ok(format!(
                "the peak falls inside patch {row},{col} of the {grid}patch stage, at {at}: one tile with its halo{whole_frame}"
            ));
        }
        let output = graph.ops.get(peak.op).and_then(|o| o.outputs.first()).copied();
        let reach = output.map(|t| patch::stage_ops(graph, &self.kernels, first_op, t));
        Ok(match (stages.is_empty(), reach) {
            (_, Some(Err(e))) => format!("the peak falls at {at}, which no patch stage can reach: {e}"),
            (true, _) => format!("the peak falls at {at}, layer by layer"),
            (false, _) => format!("the peak falls at {at}, after the patch stage: a deeper stage does not lower it"),
        })
    }
}
