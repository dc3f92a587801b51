//! The tail of TFLite Micro's arena: what its allocator keeps for the whole run besides the
//! tensors (the head). Measured with the tflite-micro wheel (a 64-bit host build: pointers
//! are 8 bytes, so an MCU's 32-bit build needs less) through its recording allocator: one
//! `TfLiteEvalTensor` (24 B) per tensor, one node and registration (64 B) per op, each op's
//! persistent kernel data (its `OpData`, its parsed options and, for a convolution or a
//! fully connected layer, 8 B of per-channel multiplier and shift per output channel, which
//! TFLite Micro allocates even for a per-tensor quantized one), and the interpreter's own. The
//! per-op figures are a least-squares fit to the MLTK models and to VWW's and the MLTK
//! models' patch exports, rounded up: the model exceeds every one measured, by 0.5–3 %.
//! The tests hold TFLite Micro's tail to at most this.
//!
//! Before the head is laid out, TFLite Micro prepares the ops in the same space: its
//! bookkeeping of every tensor for the memory planner (and an op's temporary tensors while it
//! is prepared) needs up to about 72 B a tensor in the wheel. A tiny model's smallest working
//! arena is that plus the tail, not its head plus the tail.

use super::rewrite::ExportGraph;
use super::writer;
use crate::error::{Error, Result};
use crate::model::schema::{self, builtin};
use crate::model::OpKind;

/// The interpreter's own allocations (its input and output `TfLiteTensor`s among them).
const BASE: usize = 640;
/// A `TfLiteEvalTensor`.
const PER_TENSOR: usize = 24;
/// A node and its registration.
const PER_OP: usize = 64;
/// Persistent data per output channel of a convolution or a fully connected layer: a
/// multiplier and a shift (a 1 000-class classifier's is 8 000 B, measured).
const PER_CHANNEL: usize = 8;
/// The persistent kernel data of an op the fit did not cover.
const OTHER_OP: usize = 256;

/// What preparing the ops needs a tensor, before the head is laid out (measured up to 72 B).
const PREPARE_PER_TENSOR: usize = 80;

/// The temporary space TFLite Micro needs while it prepares a model of `tensors` tensors.
fn prepare(tensors: usize) -> usize {
    PREPARE_PER_TENSOR * tensors
}

/// The scratch buffers the wheel's kernels of `ex` ask for, as (op index, bytes rounded to
/// 16 B): an int8 MEAN or SUM keeps an int32 sum per output element and two small index
/// arrays (16 B each in the wheel), as REDUCE_MAX and REDUCE_MIN may, and a TRANSPOSE_CONV an
/// int32 per output element and 16 B more. TFLite Micro places them itself, in the head, around the offline
/// plan (less than their sum is added when one fits a gap of the plan).
pub fn scratch_buffers(ex: &ExportGraph) -> Vec<(usize, usize)> {
    ex.ops
        .iter()
        .enumerate()
        .filter(|(_, op)| {
            matches!(
                op.kind,
                OpKind::Mean { .. }
                    | OpKind::Sum { .. }
                    | OpKind::ReduceMax { .. }
                    | OpKind::ReduceMin { .. }
                    | OpKind::TransposeConv(_)
            )
        })
        .flat_map(|(i, op)| {
            let sums = (4 * ex.tensors.get(op.output).map_or(0, |t| t.elements())).div_ceil(16) * 16;
            // A TRANSPOSE_CONV's buffer took 16 B more than its sums in the wheel (measured on
            // the converted Keras decoder: TFLM's own head 50 352 B, 16 B above the plan with
            // the sums alone).
            match op.kind {
                OpKind::TransposeConv(_) => vec![(i, sums + 16)],
                _ => vec![(i, sums), (i, 16), (i, 16)],
            }
        })
        .collect()
}

/// At most this much scratch is added to the offline plan's head: every scratch buffer.
pub fn scratch_bytes(ex: &ExportGraph) -> usize {
    scratch_buffers(ex).iter().map(|&(_, bytes)| bytes).sum()
}

/// The persistent kernel data of a builtin op, beside its per-channel data.
fn kernel_data(code: i32) -> usize {
    match code {
        builtin::CONV_2D | builtin::DEPTHWISE_CONV_2D | builtin::SOFTMAX => 112,
        builtin::FULLY_CONNECTED => 128,
        builtin::AVERAGE_POOL_2D | builtin::MAX_POOL_2D | builtin::CONCATENATION => 96,
        builtin::ADD | builtin::PAD | builtin::PADV2 => 80,
        builtin::QUANTIZE => 48,
        builtin::DEQUANTIZE => 32,
        builtin::SLICE => 16,
        builtin::RESHAPE | builtin::LOGISTIC => 192,
        _ => OTHER_OP,
    }
}

/// The tail and the preparing space of a model of `tensors` tensors and ops given as
/// (builtin code, output channels).
fn tail(tensors: usize, ops: impl Iterator<Item = (i32, usize)>) -> Persistent {
    let ops: usize = ops
        .map(|(code, channels)| {
            let per_channel = match code {
                builtin::CONV_2D | builtin::DEPTHWISE_CONV_2D | builtin::FULLY_CONNECTED => PER_CHANNEL * channels,
                _ => 0,
            };
            PER_OP + kernel_data(code) + per_channel
        })
        .sum();
    Persistent { tail: (BASE + PER_TENSOR * tensors + ops).div_ceil(16) * 16, prepare: prepare(tensors) }
}

/// What TFLite Micro needs of an arena besides the head.
#[derive(Debug, Clone, Copy)]
pub struct Persistent {
    /// The tail, for the whole run.
    pub tail: usize,
    /// The space preparing the ops takes where the head goes later.
    pub prepare: usize,
}

/// TFLite Micro's tail for the exported graph `ex`.
pub fn of_graph(ex: &ExportGraph) -> Result<Persistent> {
    let ops = ex
        .ops
        .iter()
        .map(|op| {
            let channels = ex.tensors.get(op.output).and_then(|t| t.shape.last().copied()).unwrap_or(0);
            writer::builtin_code(op).map(|code| (code, channels))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(tail(ex.tensors.len(), ops.into_iter()))
}

/// TFLite Micro's tail for the model file `bytes` as it is (ops the loader folds included).
pub fn of_file(bytes: &[u8]) -> Result<Persistent> {
    let model = schema::root(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let subgraph = model.subgraphs().and_then(|s| s.iter().next());
    let tensors = subgraph.and_then(|s| s.tensors());
    let codes = model.operator_codes();
    let ops = subgraph.and_then(|s| s.operators()).into_iter().flatten().map(|op| {
        let code = codes.filter(|c| (op.opcode_index() as usize) < c.len()).map_or(-1, |c| {
            let code = c.get(op.opcode_index() as usize);
            code.builtin_code().max(i32::from(code.deprecated_builtin_code()))
        });
        let output = op.outputs().and_then(|o| o.iter().next());
        let shape = output.and_then(|t| tensors.filter(|ts| (t as usize) < ts.len()).map(|ts| ts.get(t as usize)));
        let channels = shape.and_then(|t| t.shape()).and_then(|s| s.iter().next_back()).unwrap_or(0);
        (code, usize::try_from(channels).unwrap_or(0))
    });
    Ok(tail(tensors.map_or(0, |t| t.len()), ops))
}
