//! Which sizes of a zoo architecture fit an MCU layer by layer, which only with patches, which
//! not at all.

use super::report::Source;
use super::settings::{Settings, DEFAULT_SRAM};
use super::Session;
use crate::error::{Error, Result};
use crate::schedule::measure;
use crate::schedule::InputMode;
use serde::Serialize;

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

impl Session {
    /// This model's cell of a [`feasibility`] map, with the SRAM and Flash it was held against.
    fn feasibility_cell(&self, settings: &Settings) -> Result<(usize, Option<usize>, FeasibilityCell)> {
        let (graph, kernels) = (&*self.graph, &*self.kernels);
        let mut notes = Vec::new();
        let (_, sram, flash) = settings.memories()?;
        let input = InputMode { float_input: settings.float_input, streamed: settings.streamed_input };
        let in_place = settings.in_place();
        let request = settings.request(graph, &mut notes)?;
        let (schedule, _) = self.resolve(&request, input, in_place, settings.halo, sram, &mut notes)?;
        let layerwise = measure::layer_by_layer(graph, kernels, input, in_place)?;
        // Nothing is streamed without a patch stage (see `resolve`): the frame is whole.
        let patched_input = InputMode { streamed: input.streamed && !schedule.stages.is_empty(), ..input };
        let patched = measure::evaluate(graph, kernels, &schedule, patched_input, layerwise.macs)?;
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
}
