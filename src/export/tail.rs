//! The tail of TFLite Micro's arena: what its allocator keeps for the whole run besides the
//! tensors (the head), replayed allocation by allocation as the tflite-micro wheel makes
//! them (a 64-bit host build: pointers are 8 bytes, so an MCU's 32-bit build needs less).
//! The allocator stacks each allocation below the previous one, its start rounded down to
//! the allocation's alignment, from the arena's 16-aligned end, in this order:
//!
//! 1. its own objects (the allocator, the memory planner, the builtin-data allocator);
//! 2. one `TfLiteEvalTensor` per tensor, then one node and registration per op;
//! 3. each op's parsed builtin options, op by op;
//! 4. each op's kernel data (its `OpData`, 16-aligned), op by op, when the ops are
//!    initialised;
//! 5. what the ops' Prepare adds, op by op: a convolution's per-channel multipliers and
//!    shifts (one int32 array of each, 16-aligned, per output channel, even when the filter
//!    is quantized per tensor), a fully connected layer's when its filter is quantized per
//!    channel, an int8 transposed convolution's; a copy of the output's dims for the kernels
//!    that write them (GATHER, DEPTH_TO_SPACE, SPACE_TO_DEPTH, a RESHAPE to a shape with -1);
//! 6. a handle per kernel scratch buffer;
//! 7. the interpreter's inputs and outputs: an array of pointers, and per tensor a
//!    `TfLiteTensor` with, when quantized, its quantization and zero points.
//!
//! Every size and alignment was measured in the wheel (`tflite_micro`
//! 0.dev20261023182759, built with compression support, which widens some kernels' data)
//! by breaking in a debugger (gdb) on each persistent allocation of the MLTK models, VWW and
//! single-op models of each kind below (int8; CONV_2D and MEAN also float); the order and
//! alignments are those of TFLite Micro's `MicroInterpreter::AllocateTensors` and
//! `SingleArenaBufferAllocator`. The replay equals what the wheel records for each of them
//! and for every model the tests run. An op kind not in the table of `kind` makes the tail an
//! estimate.
//!
//! Before the head is laid out, TFLite Micro prepares the ops in the same space: its
//! bookkeeping of every tensor for the memory planner (and an op's temporary tensors while it
//! is prepared) needs up to about 72 B a tensor in the wheel. A tiny model's smallest working
//! arena is that plus the tail, not its head plus the tail.

use super::rewrite::ExportGraph;
use super::writer;
use crate::error::{Error, Result};
use crate::model::schema::{self, builtin, tensor_type};
use crate::model::{DType, OpKind, Tensor};

/// The allocator's own objects, each 8-aligned: the recording buffer allocator (104 B), the
/// greedy memory planner (72 B), the recording micro allocator (272 B), the builtin-data
/// allocator (16 B) and the subgraph's allocation record (24 B).
const ALLOCATOR: usize = 104 + 72 + 272 + 16 + 24;
/// A `TfLiteEvalTensor`.
const EVAL_TENSOR: usize = 24;
/// A node and its registration.
const NODE: usize = 64;
/// Kernel data is allocated 16-aligned (TFLite Micro's buffer alignment).
const KERNEL_ALIGN: usize = 16;
/// A scratch buffer's handle.
const SCRATCH_HANDLE: usize = 8;
/// A persistent `TfLiteTensor`, and the quantization record of a quantized one.
const TF_LITE_TENSOR: usize = 64;
const QUANTIZATION: usize = 24;
/// An unmeasured op's options and kernel data together: an estimate.
const UNMEASURED_OP: usize = 256;

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

/// What TFLite Micro allocates for one op of a builtin kind, beside per-channel arrays.
struct Kind {
    /// The parsed builtin options: bytes and alignment (none for kinds without a parser that
    /// allocates).
    options: Option<(usize, usize)>,
    /// The kernel's data, allocated when the op is initialised.
    kernel_data: Option<usize>,
    /// Kernel scratch buffers asked for in Prepare.
    scratch_buffers: usize,
}

/// The measured allocations of a builtin kind whose input is `int8` (or int16), `None` for a
/// kind not measured.
fn kind(code: i32, int8: bool) -> Option<Kind> {
    // (the options' bytes and alignment, the kernel data's bytes), as the wheel allocated
    // them for a single-op model of each kind.
    let (options, kernel_data) = match code {
        builtin::CONV_2D | builtin::DEPTHWISE_CONV_2D => (Some((28, 4)), Some(80)),
        builtin::FULLY_CONNECTED => (Some((32, 8)), Some(72)),
        builtin::AVERAGE_POOL_2D | builtin::MAX_POOL_2D => (Some((40, 4)), Some(32)),
        builtin::ADD => (Some((8, 4)), Some(60)),
        builtin::SUB => (Some((8, 4)), Some(52)),
        builtin::MUL => (Some((4, 4)), Some(36)),
        builtin::CONCATENATION => (Some((8, 4)), Some(80)),
        builtin::SOFTMAX => (Some((4, 4)), Some(80)),
        builtin::MEAN | builtin::SUM | builtin::REDUCE_MAX | builtin::REDUCE_MIN => (Some((1, 1)), Some(44)),
        builtin::STRIDED_SLICE => (Some((24, 4)), Some(84)),
        builtin::LEAKY_RELU => (Some((4, 4)), Some(24)),
        builtin::L2_NORMALIZATION => (Some((4, 4)), Some(4)),
        builtin::RESHAPE => (Some((36, 4)), None),
        builtin::PACK => (Some((8, 4)), None),
        builtin::SHAPE => (Some((4, 4)), None),
        builtin::PAD | builtin::PADV2 => (None, Some(56)),
        builtin::QUANTIZE | builtin::DEQUANTIZE => (None, Some(32)),
        builtin::RELU | builtin::PRELU => (None, Some(28)),
        builtin::HARD_SWISH => (None, Some(20)),
        builtin::LOGISTIC | builtin::TANH => (None, Some(16)),
        builtin::RELU6 => (None, Some(8)),
        builtin::SLICE | builtin::TRANSPOSE | builtin::MAXIMUM | builtin::MINIMUM => (None, None),
        builtin::TRANSPOSE_CONV => (Some((20, 4)), Some(88)),
        builtin::SQUEEZE => (Some((36, 4)), None),
        builtin::GATHER | builtin::UNPACK => (Some((8, 4)), None),
        builtin::DEPTH_TO_SPACE | builtin::SPACE_TO_DEPTH | builtin::SPLIT | builtin::SPLIT_V => (Some((4, 4)), None),
        builtin::RESIZE_BILINEAR | builtin::RESIZE_NEAREST_NEIGHBOR => (Some((2, 1)), None),
        builtin::SPACE_TO_BATCH_ND => (None, Some(4)),
        builtin::BATCH_TO_SPACE_ND | builtin::EXPAND_DIMS | builtin::BROADCAST_TO | builtin::REVERSE_V2 => (None, None),
        _ => return None,
    };
    // A reduction's index arrays, and for MEAN and SUM over int8 its int32 sums (a float
    // MEAN's two measured, SUM's from TFLite Micro's source); an int8 TRANSPOSE_CONV's int32
    // sums.
    let scratch_buffers = match code {
        builtin::MEAN | builtin::SUM => 2 + usize::from(int8),
        builtin::REDUCE_MAX | builtin::REDUCE_MIN => 2,
        builtin::TRANSPOSE_CONV => usize::from(int8),
        _ => 0,
    };
    Some(Kind { options, kernel_data, scratch_buffers })
}

/// The input an op of builtin `code` computes on: a TRANSPOSE_CONV's input 0 is the output
/// shape.
fn data_input(code: i32) -> usize {
    match code {
        builtin::TRANSPOSE_CONV => 2,
        _ => 0,
    }
}

/// The tensors of an op that decide what its Prepare allocates.
struct OpTensors<'a> {
    /// Its data input is int8 (or int16).
    int8: bool,
    /// The filter's (input 1's) shape and how many quantization scales it has.
    filter_shape: &'a [usize],
    filter_scales: usize,
    /// The output's rank, and whether its shape leaves a dimension (-1) to compute.
    output_rank: usize,
    output_stretched: bool,
}

/// One op as TFLite Micro's allocator sees it.
struct TailOp {
    code: i32,
    /// Its data input is int8 or int16.
    int8: bool,
    /// Channels of the per-channel multiplier and shift arrays its Prepare allocates (0 for
    /// none).
    per_channel: usize,
    /// The rank of the output whose dims its Prepare copies into the arena, to write them.
    copied_dims: Option<usize>,
}

impl TailOp {
    fn new(code: i32, t: &OpTensors) -> TailOp {
        let per_channel = match code {
            builtin::CONV_2D => t.filter_shape.first().copied().unwrap_or(0),
            builtin::DEPTHWISE_CONV_2D => t.filter_shape.get(3).copied().unwrap_or(0),
            // A float TRANSPOSE_CONV has none (TFLite Micro's source).
            builtin::TRANSPOSE_CONV if t.int8 => t.filter_shape.first().copied().unwrap_or(0),
            builtin::FULLY_CONNECTED if t.filter_scales > 1 => t.filter_scales,
            _ => 0,
        };
        let copied_dims = match code {
            builtin::DEPTH_TO_SPACE | builtin::SPACE_TO_DEPTH | builtin::GATHER => Some(t.output_rank),
            builtin::RESHAPE if t.output_stretched => Some(t.output_rank),
            _ => None,
        };
        TailOp { code, int8: t.int8, per_channel, copied_dims }
    }
}

/// TFLite Micro's allocator replayed: `bytes` is how far below the arena's end the last
/// allocation starts.
struct Stack {
    bytes: usize,
}

impl Stack {
    fn allocate(&mut self, bytes: usize, align: usize) {
        self.bytes = (self.bytes + bytes).next_multiple_of(align);
    }
}

/// The tail and the preparing space of a model of `tensors` tensors, its `ops`, and its
/// inputs and outputs given by their quantization scales (`None`: not quantized).
fn tail(tensors: usize, ops: &[TailOp], inputs: &[Option<usize>], outputs: &[Option<usize>]) -> Persistent {
    let mut stack = Stack { bytes: 0 };
    stack.allocate(ALLOCATOR, 8);
    stack.allocate(EVAL_TENSOR * tensors, 8);
    stack.allocate(NODE * ops.len(), 8);
    let kinds: Vec<Option<Kind>> = ops.iter().map(|op| kind(op.code, op.int8)).collect();
    for k in kinds.iter().flatten() {
        if let Some((bytes, align)) = k.options {
            stack.allocate(bytes, align);
        }
    }
    for k in &kinds {
        match k {
            Some(Kind { kernel_data: Some(bytes), .. }) => stack.allocate(*bytes, KERNEL_ALIGN),
            Some(_) => {}
            None => stack.allocate(UNMEASURED_OP, KERNEL_ALIGN),
        }
    }
    for op in ops {
        if op.per_channel > 0 {
            stack.allocate(4 * op.per_channel, KERNEL_ALIGN);
            stack.allocate(4 * op.per_channel, KERNEL_ALIGN);
        }
        if let Some(rank) = op.copied_dims {
            // A `TfLiteIntArray`: its length, then the dims.
            stack.allocate(4 + 4 * rank, KERNEL_ALIGN);
        }
    }
    let handles: usize = kinds.iter().flatten().map(|k| k.scratch_buffers).sum();
    if handles > 0 {
        stack.allocate(SCRATCH_HANDLE * handles, 8);
    }
    for tensors in [inputs, outputs] {
        stack.allocate(8 * tensors.len(), KERNEL_ALIGN);
        for scales in tensors {
            stack.allocate(TF_LITE_TENSOR, 8);
            if let Some(scales) = scales {
                stack.allocate(QUANTIZATION, 8);
                // A `TfLiteIntArray` of zero points: its length, then one int per scale.
                stack.allocate(4 + 4 * scales, 4);
            }
        }
    }
    Persistent { tail: stack.bytes, prepare: prepare(tensors), exact: kinds.iter().all(Option::is_some) }
}

/// What TFLite Micro needs of an arena besides the head.
#[derive(Debug, Clone, Copy)]
pub struct Persistent {
    /// The tail, for the whole run.
    pub tail: usize,
    /// The space preparing the ops takes where the head goes later.
    pub prepare: usize,
    /// Whether the tail is TFLite Micro's exactly: every op kind is measured.
    pub exact: bool,
}

/// The quantization scales TFLite Micro copies for an interpreter input or output: those
/// of a tensor with scales and zero points.
fn io_scales(t: &Tensor) -> Option<usize> {
    t.quant.as_ref().filter(|q| !q.scales.is_empty() && !q.zero_points.is_empty()).map(|q| q.scales.len())
}

/// TFLite Micro's tail for the exported graph `ex`.
pub fn of_graph(ex: &ExportGraph) -> Result<Persistent> {
    let tensor = |i: Option<&Option<usize>>| i.copied().flatten().and_then(|t| ex.tensors.get(t));
    let ops = ex
        .ops
        .iter()
        .map(|op| {
            let code = writer::builtin_code(op)?;
            let filter = tensor(op.inputs.get(1));
            let tensors = OpTensors {
                int8: tensor(op.inputs.get(data_input(code))).is_some_and(|t| t.dtype == DType::I8),
                filter_shape: filter.map_or(&[][..], |f| &f.shape[..]),
                filter_scales: filter.and_then(|f| f.quant.as_ref()).map_or(0, |q| q.scales.len()),
                output_rank: ex.tensors.get(op.output).map_or(0, |t| t.shape.len()),
                output_stretched: false,
            };
            Ok(TailOp::new(code, &tensors))
        })
        .collect::<Result<Vec<_>>>()?;
    let io = |ts: &[usize]| ts.iter().map(|&t| ex.tensors.get(t).and_then(io_scales)).collect::<Vec<_>>();
    Ok(tail(ex.tensors.len(), &ops, &io(&ex.inputs), &io(&ex.outputs)))
}

/// TFLite Micro's tail for the model file `bytes` as it is (ops the loader folds included).
pub fn of_file(bytes: &[u8]) -> Result<Persistent> {
    let model = schema::root(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
    let subgraph = model.subgraphs().and_then(|s| s.iter().next());
    let tensors = subgraph.and_then(|s| s.tensors());
    let tensor = |i: Option<i32>| {
        let i = usize::try_from(i?).ok()?;
        tensors.filter(|ts| i < ts.len()).map(|ts| ts.get(i))
    };
    let scales = |t: schema::Tensor| {
        let q = t.quantization()?;
        let (scales, zero_points) = (q.scale()?.len(), q.zero_point()?.len());
        (scales > 0 && zero_points > 0).then_some(scales)
    };
    let codes = model.operator_codes();
    let ops: Vec<TailOp> = subgraph
        .and_then(|s| s.operators())
        .into_iter()
        .flatten()
        .map(|op| {
            let code = codes.filter(|c| (op.opcode_index() as usize) < c.len()).map_or(-1, |c| {
                let code = c.get(op.opcode_index() as usize);
                code.builtin_code().max(i32::from(code.deprecated_builtin_code()))
            });
            let input = |k: usize| tensor(op.inputs().and_then(|v| (k < v.len()).then(|| v.get(k))));
            let output = tensor(op.outputs().and_then(|v| (!v.is_empty()).then(|| v.get(0))));
            let shape =
                |t: Option<schema::Tensor>| t.and_then(|t| t.shape()).map_or_else(Vec::new, |s| s.iter().collect());
            let (filter, output_shape) = (input(1), shape(output));
            let filter_shape: Vec<usize> = shape(filter).into_iter().map(|d| usize::try_from(d).unwrap_or(0)).collect();
            let tensors = OpTensors {
                int8: input(data_input(code))
                    .is_some_and(|t| matches!(t.dtype(), tensor_type::INT8 | tensor_type::INT16)),
                filter_shape: &filter_shape,
                filter_scales: filter.and_then(scales).unwrap_or(0),
                output_rank: output_shape.len(),
                output_stretched: output_shape.contains(&-1),
            };
            TailOp::new(code, &tensors)
        })
        .collect();
    let io = |list: Option<flatbuffers::Vector<i32>>| {
        list.into_iter().flatten().map(|t| tensor(Some(t)).and_then(scales)).collect::<Vec<_>>()
    };
    let (inputs, outputs) = (io(subgraph.and_then(|s| s.inputs())), io(subgraph.and_then(|s| s.outputs())));
    Ok(tail(tensors.map_or(0, |t| t.len()), &ops, &inputs, &outputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MLTK's micro-speech model as TFLite Micro's allocator sees it: 10 tensors; a CONV_2D
    /// of 8 filters, RESHAPE, a FULLY_CONNECTED quantized per tensor, SOFTMAX; an int8 input
    /// and output. The wheel records a tail of 1 616 B for it.
    #[test]
    fn micro_speech_takes_the_tail_the_wheel_records() {
        let op = |code, filter_shape, filter_scales, output_rank| {
            let tensors = OpTensors { int8: true, filter_shape, filter_scales, output_rank, output_stretched: false };
            TailOp::new(code, &tensors)
        };
        let ops = [
            op(builtin::CONV_2D, &[8, 10, 8, 1], 8, 4),
            op(builtin::RESHAPE, &[2], 0, 2),
            op(builtin::FULLY_CONNECTED, &[4, 4000], 1, 2),
            op(builtin::SOFTMAX, &[], 0, 2),
        ];
        let persistent = tail(10, &ops, &[Some(1)], &[Some(1)]);
        assert_eq!((persistent.tail, persistent.exact), (1616, true));
    }

    /// Alignment is where the replay differs from a sum: 4-aligned options leave the next
    /// 16-aligned kernel data to start lower.
    #[test]
    fn each_allocation_starts_at_its_alignment() {
        let mut stack = Stack { bytes: 8 };
        stack.allocate(4, 4);
        assert_eq!(stack.bytes, 12);
        stack.allocate(80, KERNEL_ALIGN);
        assert_eq!(stack.bytes, 96);
    }

    /// An op kind whose allocations were not measured makes the tail an estimate.
    #[test]
    fn an_unmeasured_op_makes_the_tail_an_estimate() {
        let tensors =
            OpTensors { int8: true, filter_shape: &[], filter_scales: 0, output_rank: 4, output_stretched: false };
        let ops = [TailOp::new(builtin::TILE, &tensors)];
        let persistent = tail(4, &ops, &[Some(1)], &[Some(1)]);
        assert!(!persistent.exact);
        assert!(persistent.tail > tail(4, &[], &[Some(1)], &[Some(1)]).tail + UNMEASURED_OP);
    }
}
