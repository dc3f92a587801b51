//! The page's thin wasm-bindgen facade: the engine behind a struct, plain data out (typed
//! arrays per frame, one JSON summary per plan). All logic lives in the library.

use crate::exec::{Config, Engine};
use crate::kernels::Kernel;
use crate::model::{self, Graph};
use crate::schedule::search::{self, PatchRequest};
use crate::schedule::{InPlace, InputMode};
use crate::{labels, preprocess, zoo};
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::prelude::*;

/// What the page's controls set.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct Settings {
    sram: usize,
    /// "" (layer by layer), "auto", or "RxC".
    patch: String,
    /// "" (the planner's split for the grid), "opN", "tN" or a tensor name.
    split: String,
    multi_stage: bool,
    in_place_depthwise: bool,
    in_place_pointwise: bool,
    in_place_add: bool,
    streamed_input: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sram: 256 * 1024,
            patch: String::new(),
            split: String::new(),
            multi_stage: false,
            in_place_depthwise: false,
            in_place_pointwise: false,
            in_place_add: false,
            streamed_input: false,
        }
    }
}

/// A model, its current plan, and the last frame's result.
#[wasm_bindgen]
pub struct Demo {
    graph: Graph,
    kernels: Vec<Kernel>,
    /// Zoo models group ops by block for the per-block chart; others by op.
    zoo: bool,
    engine: Option<Engine>,
    scores: Vec<f32>,
    int8: Vec<i8>,
    input: Vec<u8>,
}

fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Demo {
    /// Loads a .tflite model; any defect is an error naming what is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(model_bytes: &[u8]) -> Result<Demo, JsError> {
        #[cfg(feature = "panic-hook")]
        console_error_panic_hook::set_once();
        Demo::from_graph(model::load(model_bytes).map_err(js)?, false)
    }

    /// Builds a zoo architecture (`mbv2`, `mbv2-rd`, `mbv1`) with synthetic weights.
    pub fn zoo(arch: &str, width: f64, resolution: usize) -> Result<Demo, JsError> {
        Demo::from_graph(zoo::Arch::parse(arch, width, resolution, None).map_err(js)?.build(), true)
    }

    fn from_graph(graph: Graph, zoo: bool) -> Result<Demo, JsError> {
        let kernels = Kernel::prepare_all(&graph).map_err(js)?;
        Ok(Demo { graph, kernels, zoo, engine: None, scores: Vec::new(), int8: Vec::new(), input: Vec::new() })
    }

    /// Plans with `settings` (JSON: sram, patch, split, multi_stage, in_place_depthwise,
    /// in_place_pointwise, in_place_add, streamed_input) and returns the plan as JSON:
    /// peak and where, MACs, the trace, the patches' regions and the per-block memory.
    pub fn configure(&mut self, settings: &str) -> Result<String, JsError> {
        let s: Settings = serde_json::from_str(settings).map_err(|e| js(format!("bad settings: {e}")))?;
        let input = InputMode { float_input: false, streamed: s.streamed_input };
        let in_place =
            InPlace { depthwise: s.in_place_depthwise, pointwise: s.in_place_pointwise, add: s.in_place_add };
        let patches: Vec<String> = [s.patch.clone()].into_iter().filter(|p| !p.is_empty()).collect();
        let splits: Vec<String> = [s.split.clone()].into_iter().filter(|p| !p.is_empty()).collect();
        let request = PatchRequest::parse(&self.graph, &patches, &splits, s.multi_stage).map_err(js)?;
        let g = &self.graph;
        let schedule = search::resolve(g, &self.kernels, &request, input, in_place, s.sram).map_err(js)?;
        let block = |op: usize| match self.zoo {
            true => zoo::block_of(g, op).to_string(),
            false => format!("{op} {}", g.ops[op].kind.name()),
        };
        let comparison = search::compare(g, &self.kernels, &schedule, input, block).map_err(js)?;
        let needed = comparison.patched.peak.bytes;
        // A plan that does not fit still runs, in an arena as large as it needs: the page
        // shows the MCU's SRAM as a limit line and says it does not fit.
        let config = Config { capacity: s.sram.max(needed), input, schedule: schedule.clone() };
        let engine = Engine::new(g.clone(), config).map_err(js)?;
        let regions = search::patch_regions(g, &self.kernels, &schedule, input).map_err(js)?;
        let input_tensor = engine.input_tensor();
        let summary = json!({
            "sram": s.sram,
            "fits": needed <= s.sram,
            "input_shape": input_tensor.shape,
            "input_dtype": input_tensor.dtype,
            "stages": schedule.stages.iter().map(|st| json!({
                "split": st.split,
                "rows": st.rows,
                "cols": st.cols,
                "shape": g.tensors[st.split].shape,
            })).collect::<Vec<_>>(),
            "layer_by_layer": comparison.layer_by_layer,
            "patched": comparison.patched,
            "stage_overhead": comparison.stage_overhead,
            "blocks": comparison.blocks,
            "patches": regions,
            "trace": engine.trace(),
            "ops": g.ops.iter().map(|o| o.kind.name()).collect::<Vec<_>>(),
        });
        self.engine = Some(engine);
        Ok(summary.to_string())
    }

    /// The tensors a patch stage can end at, as JSON: index, op, name, shape.
    pub fn splits(&self) -> Result<String, JsError> {
        let g = &self.graph;
        let list = search::splits(g, &self.kernels, InputMode::default()).map_err(js)?;
        let items: Vec<_> = list
            .iter()
            .map(|&t| {
                let op = g.ops.iter().position(|o| o.outputs[0] == t);
                json!({ "tensor": t, "op": op, "name": g.tensors[t].name, "shape": g.tensors[t].shape })
            })
            .collect();
        Ok(serde_json::Value::Array(items).to_string())
    }

    /// Runs one camera frame (RGBA) through the current plan; returns the class scores.
    pub fn run_rgba(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<Vec<f32>, JsError> {
        let engine = self.engine.as_mut().ok_or_else(|| js("call configure first"))?;
        let input =
            preprocess::rgba_input(rgba, width, height, engine.input_tensor(), Default::default()).map_err(js)?;
        let outputs = engine.run(&input).map_err(js)?;
        let first = outputs.first().ok_or_else(|| js("the model has no output"))?;
        self.scores = first.dequantized.clone();
        self.int8 = first.int8.clone();
        self.input = input;
        Ok(self.scores.clone())
    }

    /// The label of the last frame's best score (`person` / `no person` for two classes).
    pub fn label(&self) -> String {
        let best = labels::best(&self.scores).unwrap_or(0);
        labels::names(None, self.scores.len()).get(best).cloned().unwrap_or_default()
    }

    /// The last frame's int8 output.
    pub fn output_int8(&self) -> Vec<i8> {
        self.int8.clone()
    }

    /// The last frame as the model saw it: the input tensor's bytes (int8 pixels).
    pub fn input_bytes(&self) -> Vec<u8> {
        self.input.clone()
    }
}
