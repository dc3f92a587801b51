//! What a user chooses ([`Settings`]: the same fields as the CLI's flags, the page's controls
//! and its URL), and what the engine offers whatever the model ([`Catalog`]).

use crate::arena::{self, Mcu};
use crate::error::{Error, Result};
use crate::model::Graph;
use crate::preprocess::PixelRange;
use crate::schedule::request::{HaloChoice, PatchRequest};
use crate::schedule::search::MAX_GRID;
use crate::schedule::InPlace;
use crate::zoo;
use serde::{Deserialize, Serialize};

/// SRAM when the settings name neither an MCU nor a size.
pub const DEFAULT_SRAM: usize = 256 * 1024;

/// What a user chooses: the memory, the accounting switches and the patch plan. Every face
/// sets these same fields (CLI flags, page controls, the URL hash); all have defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// What patches do with the halo they share: recompute it (MCUNetV2, the default),
    /// remember it in rings down each column (`cache`), or let the planner weigh both.
    pub halo: HaloChoice,
    /// The real values of pixels 0 and 255 the model was trained on; none (the default) takes
    /// the model's own rule ([`crate::preprocess::InputRange::of_model`]: its metadata, else
    /// its int8 input's representable range, else 0..255).
    pub pixel_range: Option<[f32; 2]>,
    /// Class names of the first output (default: the model's own, from its metadata, else
    /// `class i`).
    pub labels: Option<Vec<String>>,
    /// The runtime the plan is for: mcupatch's own arena (the default), or stock TFLite
    /// Micro, where the planner chooses as `export` does and the report prices the export.
    pub target: Target,
}

/// The runtime a plan is chosen and priced for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// mcupatch's arena: the planner's peak, with its accounting switches.
    #[default]
    Mcupatch,
    /// Stock TFLite Micro running the exported model: its head (the offline plan), the tail
    /// its copied ops add and its kernels' scratch ([`crate::export`]).
    TfliteMicro,
}

impl Settings {
    /// These settings as stock TFLite Micro can run them, `notes` saying what changed: nothing
    /// in place, the input whole, every halo recomputed.
    pub(super) fn for_tflite_micro(&self, notes: &mut Vec<String>) -> Settings {
        let mut settings = self.clone();
        settings.patch.retain(|p| p.trim() != "layer-by-layer");
        if settings.in_place() != InPlace::default() || settings.streamed_input {
            notes.push(
                "TFLite Micro runs nothing in place and takes its input whole: the in-place and streamed settings \
                 are ignored"
                    .into(),
            );
            settings.streamed_input = false;
            (settings.in_place_depthwise, settings.in_place_pointwise, settings.in_place_add) = (false, false, false);
        }
        if settings.halo != HaloChoice::Recompute {
            notes.push("stock TFLite Micro has no rings to remember rows in: every stage recomputes its halo".into());
            settings.halo = HaloChoice::Recompute;
        }
        settings
    }

    pub(super) fn in_place(&self) -> InPlace {
        InPlace { depthwise: self.in_place_depthwise, pointwise: self.in_place_pointwise, add: self.in_place_add }
    }

    /// The MCU preset named, the SRAM (the settings', the preset's or the default) and the
    /// Flash, if known.
    pub(super) fn memories(&self) -> Result<(Option<Mcu>, usize, Option<usize>)> {
        let mcu = self.mcu.as_deref().filter(|m| !m.is_empty()).map(arena::mcu).transpose()?;
        let sram = self.sram.or(mcu.map(|m| m.sram)).unwrap_or(DEFAULT_SRAM);
        if sram == 0 || sram > arena::MAX_SRAM {
            return Err(Error::Setting(format!("SRAM {sram} B must be between 1 byte and {} B", arena::MAX_SRAM)));
        }
        Ok((mcu, sram, self.flash.or(mcu.map(|m| m.flash))))
    }

    /// The patch settings read as a request, conflicts resolved as the user means them.
    pub(super) fn request(&self, graph: &Graph, notes: &mut Vec<String>) -> Result<PatchRequest> {
        PatchRequest::parse(graph, &self.patch, &self.split, self.multi_stage, notes)
    }

    /// The user's pixel range, checked, if one is given.
    pub(super) fn pixel_range(&self) -> Result<Option<PixelRange>> {
        self.pixel_range.map(|[lo, hi]| PixelRange::parse(&format!("{lo},{hi}"))).transpose()
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

impl Settings {
    /// Settings from JSON (the page's and the URL's form), with a sentence naming the setting
    /// at fault and what it takes, not serde's position in the text.
    pub fn from_json(text: &str) -> Result<Settings> {
        let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| Error::Setting(format!("the settings are not a JSON object of settings: {e}")))?;
        for (key, value) in &fields {
            let alone = serde_json::Value::Object([(key.clone(), value.clone())].into_iter().collect());
            if let Err(e) = serde_json::from_value::<Settings>(alone) {
                return Err(Error::Setting(match what_it_takes(key) {
                    Some(takes) => format!("setting {key} takes {takes}, not {value}"),
                    None => format!("settings: {e}"),
                }));
            }
        }
        serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| Error::Setting(format!("settings: {e}")))
    }
}

/// What a setting's value must be, in words; `None` for a key that is no setting (serde's
/// message then lists the settings).
fn what_it_takes(key: &str) -> Option<String> {
    Some(match key {
        "sram" | "flash" => format!("a whole number of bytes from 1 to {}", arena::MAX_SRAM),
        "mcu" => format!("one of {}", arena::MCUS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")),
        "float_input" | "streamed_input" | "in_place_depthwise" | "in_place_pointwise" | "in_place_add"
        | "multi_stage" => "true or false".into(),
        "patch" => "a list of `auto` or grids RxC".into(),
        "split" => "a list of splits (opN, tN, strideN or a tensor name)".into(),
        "pixel_range" => "two numbers, the real values of pixels 0 and 255".into(),
        "halo" => "recompute, cache or auto".into(),
        "labels" => "a list of class names".into(),
        _ => return None,
    })
}
