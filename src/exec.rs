//! Runs a plan: every kernel reads and writes byte ranges of the one arena.

use crate::arena::Arena;
use crate::error::{Error, Result};
use crate::kernels::{as_i8, Kernel};
use crate::model::{DType, Graph, OpKind, Tensor};
use crate::schedule::{layerwise, Plan};
use crate::trace::{self, TraceStep};
use serde::Serialize;

/// How to run a model.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// SRAM bytes: the arena's size.
    pub capacity: usize,
    pub input: layerwise::InputMode,
}

/// A model prepared to run in a fixed-size arena.
pub struct Engine {
    pub graph: Graph,
    pub kernels: Vec<Kernel>,
    pub plan: Plan,
    arena: Arena,
}

/// One model output, as int8 and as real values.
#[derive(Debug, Clone, Serialize)]
pub struct Output {
    pub tensor: usize,
    pub int8: Vec<i8>,
    pub dequantized: Vec<f32>,
}

impl Engine {
    pub fn new(graph: Graph, config: Config) -> Result<Engine> {
        let kernels = (0..graph.ops.len()).map(|i| Kernel::prepare(&graph, i)).collect::<Result<Vec<_>>>()?;
        let plan = layerwise::plan(&graph, config.input)?;
        if plan.extent > config.capacity {
            // Name the first step whose buffers do not fit.
            let step = (0..plan.steps.len()).find(|&s| plan.extent_at(s) > config.capacity).unwrap_or(0);
            let index = plan.steps.get(step).map_or(0, |s| s.op);
            return Err(Error::ArenaTooSmall {
                index,
                op: graph.ops.get(index).map_or("?", |o| o.kind.name()).into(),
                needed: plan.extent_at(step).max(plan.extent),
                capacity: config.capacity,
            });
        }
        Ok(Engine { graph, kernels, plan, arena: Arena::new(config.capacity) })
    }

    pub fn capacity(&self) -> usize {
        self.arena.capacity()
    }

    /// The tensor the caller fills: int8 pixels, or the float input with `float_input`.
    pub fn input_tensor(&self) -> &Tensor {
        &self.graph.tensors[self.plan.input]
    }

    /// Runs once on `input` (the raw bytes of [`Engine::input_tensor`]); calls `on_tensor`
    /// with every tensor right after the step that writes it.
    pub fn run_with(&mut self, input: &[u8], mut on_tensor: impl FnMut(usize, &[u8])) -> Result<()> {
        let expected = self.input_tensor().bytes();
        if input.len() != expected {
            return Err(Error::Input(format!(
                "input has {} bytes, the model's input {:?} of {} needs {expected}",
                input.len(),
                self.input_tensor().shape,
                self.input_tensor().dtype.name()
            )));
        }
        let input_range = self.plan.range(self.plan.input);
        self.arena.slice_mut(input_range.clone()).copy_from_slice(input);
        on_tensor(self.plan.input, self.arena.slice(input_range));
        for step in &self.plan.steps {
            let op = &self.graph.ops[step.op];
            let inputs: Vec<_> = op
                .inputs
                .iter()
                .flatten()
                .filter(|&&t| !self.graph.tensors[t].is_constant())
                .map(|&t| self.plan.range(t))
                .collect();
            let out = self.plan.range(op.outputs[0]);
            if op.kind == OpKind::Reshape && inputs.first() == Some(&out) {
                // Aliased: the bytes are already where the output lives.
            } else {
                let (reads, write) = self.arena.io(&inputs, out.clone());
                self.kernels[step.op].eval(&reads, write);
            }
            on_tensor(op.outputs[0], self.arena.slice(out));
        }
        Ok(())
    }

    /// Runs once and returns the model outputs.
    pub fn run(&mut self, input: &[u8]) -> Result<Vec<Output>> {
        // A float output written by DEQUANTIZE reports the int8 tensor it came from.
        let sources: Vec<(usize, usize)> = self
            .graph
            .outputs
            .iter()
            .map(|&t| {
                let producer = self.graph.ops.iter().find(|op| op.outputs.contains(&t));
                match producer {
                    Some(op) if op.kind == OpKind::Dequantize => (t, op.inputs[0].unwrap_or(t)),
                    _ => (t, t),
                }
            })
            .collect();
        let mut captured: Vec<Option<Vec<u8>>> = vec![None; sources.len()];
        self.run_with(input, |t, bytes| {
            for (i, &(_, src)) in sources.iter().enumerate() {
                if src == t {
                    captured[i] = Some(bytes.to_vec());
                }
            }
        })?;
        let mut outputs = Vec::new();
        for ((out, src), bytes) in sources.into_iter().zip(captured) {
            let bytes = bytes.unwrap_or_default();
            let tensor = &self.graph.tensors[src];
            let int8: Vec<i8> = match tensor.dtype {
                DType::I8 => as_i8(&bytes).to_vec(),
                _ => Vec::new(),
            };
            let dequantized = match &tensor.quant {
                Some(q) if tensor.dtype == DType::I8 => int8
                    .iter()
                    .map(|&v| (f64::from(q.scale()) * f64::from(i32::from(v) - q.zero_point())) as f32)
                    .collect(),
                _ => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            };
            outputs.push(Output { tensor: out, int8, dequantized });
        }
        Ok(outputs)
    }

    /// The arena events of the plan, step by step.
    pub fn trace(&self) -> Vec<TraceStep> {
        trace::steps(&self.graph, &self.plan)
    }

    /// Total multiply-accumulates of the steps.
    pub fn macs(&self) -> u64 {
        self.plan.steps.iter().map(|s| self.kernels[s.op].macs()).sum()
    }
}
