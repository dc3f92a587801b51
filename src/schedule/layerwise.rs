//! Layer-by-layer schedule, as TFLite Micro runs a model: one step per op, each tensor
//! alive from the step that writes it to the last step that reads it.

use super::{Buffer, BufferKind, Plan, Step};
use crate::error::{Error, Result};
use crate::model::{DType, Graph, OpKind};

/// How the model input reaches SRAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputMode {
    /// Keep the model's float input buffer and run its QUANTIZE op, as TFLM does. Off by
    /// default: the camera delivers int8 pixels (the QUANTIZE's own parameters) directly.
    pub float_input: bool,
}

/// The ops to run, and the tensor the caller fills, for an input mode.
pub fn entry(graph: &Graph, mode: InputMode) -> Result<(usize, usize)> {
    let [input] = graph.inputs[..] else {
        return Err(Error::Input(format!(
            "models with {} inputs are not supported (one image input)",
            graph.inputs.len()
        )));
    };
    let first = graph.ops.first().ok_or_else(|| Error::Malformed("the model has no operators".into()))?;
    let quantizes_input = first.kind == OpKind::Quantize && first.input(0) == Some(input);
    let only_reader = graph.ops.iter().skip(1).all(|op| !op.inputs.contains(&Some(input)));
    if !mode.float_input && quantizes_input && only_reader && graph.tensors[input].dtype == DType::F32 {
        return Ok((1, first.outputs[0]));
    }
    Ok((0, input))
}

pub fn plan(graph: &Graph, mode: InputMode) -> Result<Plan> {
    let (first_op, input) = entry(graph, mode)?;
    let steps: Vec<Step> = (first_op..graph.ops.len()).map(|op| Step { op, region: None }).collect();
    let last_step = steps.len().saturating_sub(1);
    let mut tensor_buffer: Vec<Option<usize>> = vec![None; graph.tensors.len()];
    let mut buffers: Vec<Buffer> = Vec::new();
    let open =
        |t: usize, step: usize, kind: BufferKind, buffers: &mut Vec<Buffer>, tensor_buffer: &mut Vec<Option<usize>>| {
            tensor_buffer[t] = Some(buffers.len());
            buffers.push(Buffer {
                tensors: vec![t],
                size: graph.tensors[t].bytes(),
                first: step,
                last: step,
                kind,
                offset: 0,
            });
        };
    open(input, 0, BufferKind::Input, &mut buffers, &mut tensor_buffer);
    for (step, s) in steps.iter().enumerate() {
        let op = &graph.ops[s.op];
        for &t in op.inputs.iter().flatten() {
            if graph.tensors[t].is_constant() {
                continue;
            }
            let b = tensor_buffer[t].ok_or_else(|| Error::Op {
                index: s.op,
                op: op.kind.name().into(),
                msg: format!("reads tensor {t} ({}) before any op writes it", graph.tensors[t].name),
            })?;
            buffers[b].last = step;
        }
        for &t in &op.outputs {
            if tensor_buffer[t].is_some() {
                return Err(Error::Op {
                    index: s.op,
                    op: op.kind.name().into(),
                    msg: format!("writes tensor {t} ({}), which is already written", graph.tensors[t].name),
                });
            }
            let aliased = match (&op.kind, op.input(0)) {
                (OpKind::Reshape, Some(src)) => tensor_buffer[src],
                _ => None,
            };
            match aliased {
                Some(b) => {
                    buffers[b].tensors.push(t);
                    tensor_buffer[t] = Some(b);
                }
                None => open(t, step, BufferKind::Activation, &mut buffers, &mut tensor_buffer),
            }
        }
    }
    for &t in &graph.outputs {
        let b = tensor_buffer[t].ok_or_else(|| {
            Error::Malformed(format!("output tensor {t} ({}) is never written", graph.tensors[t].name))
        })?;
        buffers[b].last = last_step;
        buffers[b].kind = BufferKind::Output;
    }
    Ok(Plan::place(steps, buffers, tensor_buffer, input))
}
