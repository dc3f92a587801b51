//! Layer by layer, as TFLite Micro runs a model: one step per op computes its whole output,
//! each tensor alive from the step that writes it to the last step that reads it.

use super::{is_reshape, map_region, Access, BufferKind, Builder, InputMode, Step};
use crate::error::{Error, Result};
use crate::model::{DType, Graph, OpKind};
use smallvec::{smallvec, SmallVec};
use std::ops::Range;

/// The first op to run and the tensor the caller fills, for an input mode: a leading
/// QUANTIZE of a float input is skipped unless the float input is kept.
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

impl Builder<'_> {
    /// One whole-output step for each op in `ops`.
    pub(super) fn layer_by_layer(&mut self, ops: Range<usize>) -> Result<()> {
        let graph = self.graph;
        for op in ops {
            let mut inputs: SmallVec<[Access; 2]> = SmallVec::new();
            for &t in self.activation_inputs(op) {
                let b = self.whole[t].ok_or_else(|| {
                    self.op_error(op, format!("reads tensor {t} ({}) before any op writes it", graph.tensors[t].name))
                })?;
                self.touch(b);
                inputs.push(Access { buffer: b, held: map_region(graph, t) });
            }
            let out = graph.ops[op].outputs[0];
            if self.whole[out].is_some() {
                let msg = format!("writes tensor {out} ({}), which is already written", graph.tensors[out].name);
                return Err(self.op_error(op, msg));
            }
            let held = map_region(graph, out);
            let mut scratch = None;
            let buffer = match (inputs.first().copied(), held) {
                (Some(x), _) if is_reshape(graph, op) => {
                    self.buffers[x.buffer].tensors.push(out);
                    x.buffer
                }
                (_, Some(region)) => {
                    let (buffer, s) = self.open_output(op, &inputs, region, BufferKind::Activation);
                    scratch = s;
                    buffer
                }
                (_, None) => self.open(smallvec![out], graph.tensors[out].bytes(), BufferKind::Activation, None),
            };
            self.whole[out] = Some(buffer);
            let region = self.kernels[op].output_map().map(|m| m.whole());
            self.push(Step {
                op,
                region,
                patch: None,
                inputs,
                output: Access { buffer, held },
                scratch,
                keep: None,
                completes: true,
            });
        }
        Ok(())
    }
}
