//! The page's wasm-bindgen facade over [`crate::session`]: bytes, strings and typed arrays in,
//! the session's report JSON or typed arrays out. No logic of its own.

use crate::session::{self, Settings};
use wasm_bindgen::prelude::*;

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn json(value: &impl serde::Serialize) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(js)
}

/// MCU presets, grid limits and zoo architectures, as JSON ([`session::Catalog`]).
#[wasm_bindgen]
pub fn catalog() -> Result<String, JsError> {
    json(&session::catalog())
}

/// Plans every width × resolution of zoo architecture `arch` (JSON arrays) layer by layer and
/// with a patch plan against the settings' MCU, as JSON ([`session::FeasibilityReport`]).
#[wasm_bindgen]
pub fn feasibility(arch: &str, widths: &str, resolutions: &str, settings: &str) -> Result<String, JsError> {
    let widths: Vec<f64> = serde_json::from_str(widths).map_err(|e| js(format!("bad widths: {e}")))?;
    let resolutions: Vec<usize> = serde_json::from_str(resolutions).map_err(|e| js(format!("bad resolutions: {e}")))?;
    let settings = Settings::from_json(settings).map_err(js)?;
    json(&session::feasibility(arch, &widths, &resolutions, &settings).map_err(js)?)
}

/// A model and its current plan ([`session::Session`]).
#[wasm_bindgen]
pub struct Session {
    inner: session::Session,
    /// The current plan's report, kept for [`Session::plan_json`]: a download is the report
    /// drawn, not a new plan.
    report: Option<session::PlanReport>,
    /// The last export's report, kept for [`Session::export_json`].
    export: Option<session::ExportReport>,
}

#[wasm_bindgen]
impl Session {
    /// Loads a .tflite model; any defect is an error naming what is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8]) -> Result<Session, JsError> {
        #[cfg(feature = "panic-hook")]
        console_error_panic_hook::set_once();
        Ok(Session { inner: session::Session::from_tflite(model_bytes).map_err(js)?, report: None, export: None })
    }

    /// Builds a zoo architecture (`mbv2`, `mbv2-rd`, `mbv1`) with synthetic weights.
    pub fn zoo(arch: &str, width: f64, resolution: usize) -> Result<Session, JsError> {
        Ok(Session {
            inner: session::Session::from_zoo(arch, width, resolution, None).map_err(js)?,
            report: None,
            export: None,
        })
    }

    /// The model report as JSON ([`session::ModelReport`]).
    pub fn model(&self) -> Result<String, JsError> {
        json(self.inner.model())
    }

    /// Plans the settings (JSON of [`session::Settings`]) and returns the plan report as JSON
    /// ([`session::PlanReport`]); the plan becomes current.
    pub fn plan(&mut self, settings: &str) -> Result<String, JsError> {
        let settings = Settings::from_json(settings).map_err(js)?;
        self.report = None;
        let report = self.inner.plan(&settings).map_err(js)?;
        let answer = json(&report);
        self.report = Some(report);
        answer
    }

    /// The current plan's report as `mcupatch plan --json` prints it (pretty JSON, without
    /// the CLI's final newline).
    pub fn plan_json(&self) -> Result<String, JsError> {
        let report = self.report.as_ref().ok_or_else(|| js("no plan yet"))?;
        serde_json::to_string_pretty(report).map_err(js)
    }

    /// The model rewritten for stock TFLite Micro under the settings (JSON of
    /// [`session::Settings`], as `mcupatch export` takes them): the `.tflite` bytes to deploy.
    /// Its report is [`Session::export_json`].
    pub fn export(&mut self, settings: &str) -> Result<Vec<u8>, JsError> {
        let settings = Settings::from_json(settings).map_err(js)?;
        let exported = self.inner.export(&settings).map_err(js)?;
        self.export = Some(exported.report);
        Ok(exported.model)
    }

    /// The last export's report as `mcupatch export --json` prints it
    /// ([`session::ExportReport`]: the arena TFLite Micro needs, head, tail and total).
    pub fn export_json(&self) -> Result<String, JsError> {
        let report = self.export.as_ref().ok_or_else(|| js("no export yet"))?;
        serde_json::to_string_pretty(report).map_err(js)
    }

    /// Runs one camera frame (RGBA rows, `width` × `height`) through the current plan; returns
    /// the run report as JSON ([`session::RunReport`]).
    pub fn run_rgba(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<String, JsError> {
        let input = self.inner.rgba_input(rgba, width, height).map_err(js)?;
        json(&self.inner.run(&input).map_err(js)?)
    }

    /// Runs raw input bytes (the input tensor's, e.g. int8 pixels) through the current plan;
    /// returns the run report as JSON.
    pub fn run_input(&mut self, input: &[u8]) -> Result<String, JsError> {
        json(&self.inner.run(input).map_err(js)?)
    }

    /// Runs the last input through the current plan and layer by layer and compares every
    /// tensor both hold whole; returns the exactness report as JSON.
    pub fn check_exact(&mut self) -> Result<String, JsError> {
        let input = self.inner.last_input().to_vec();
        json(&self.inner.check_exact(&input).map_err(js)?)
    }

    /// Every grid at the current plan's split and its grid at every split, as JSON
    /// ([`session::SweepReport`]).
    pub fn sweep(&mut self) -> Result<String, JsError> {
        json(&self.inner.sweep().map_err(js)?)
    }

    /// How often the current plan computes each pixel of every patch-stage map, as JSON
    /// ([`session::HeatReport`]).
    pub fn heat(&mut self) -> Result<String, JsError> {
        json(&self.inner.heat().map_err(js)?)
    }

    /// Runs the last input through the current patch plan with its halos blanked (each patch
    /// sees only its own share of the input: wrong by design) and layer by layer; returns the
    /// split tensor's difference map and both outputs as JSON ([`session::BrokenReport`]).
    pub fn break_halos(&mut self) -> Result<String, JsError> {
        let input = self.inner.last_input().to_vec();
        json(&self.inner.break_halos(&input).map_err(js)?)
    }

    /// The last input run, as the network saw it (the input tensor's bytes).
    pub fn last_input(&self) -> Vec<u8> {
        self.inner.last_input().to_vec()
    }
}
