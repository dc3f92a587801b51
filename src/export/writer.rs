//! The exported graph as a fresh `.tflite` flatbuffer: operator codes, one subgraph, its
//! tensors with their quantization, its operators with their builtin options written anew
//! per op type, the buffers (every constant's bytes once: tensors with equal contents share
//! a buffer, the patches' copies of an op share its weight tensors by index) and the
//! metadata: the original model's entries plus the offline memory plan.
//!
//! Field numbers are the order of the fields in TFLite's schema.fbs (a table's field `n` is
//! at vtable offset `4 + 2n`).

use super::rewrite::{ExOp, ExportGraph};
use crate::error::{Error, Result};
use crate::model::schema::{self, builtin, options_type, tensor_type};
use crate::model::{Activation, ConvOptions, DType, OpKind, Padding, PoolOptions};
use flatbuffers::{FlatBufferBuilder, PushAlignment, UnionWIPOffset, WIPOffset};
use std::collections::HashMap;

/// `Model.version` of the schema written.
const SCHEMA_VERSION: u32 = 3;
/// The largest builtin code the one-byte `deprecated_builtin_code` holds; larger codes put
/// this placeholder there.
const PLACEHOLDER_FOR_GREATER_OP_CODES: i32 = 127;

/// A table's field `n`.
const fn field(n: u16) -> u16 {
    4 + 2 * n
}

/// Aligns the builder's next write to 16 bytes (a zero-sized push): TFLite Micro reads
/// weights and the offline plan in place.
struct Align16;

impl flatbuffers::Push for Align16 {
    type Output = ();
    unsafe fn push(&self, _dst: &mut [u8], _written_len: usize) {}
    fn size() -> usize {
        0
    }
    fn alignment() -> PushAlignment {
        PushAlignment::new(16)
    }
}

/// A byte vector whose data starts on a 16-byte boundary of the finished buffer.
fn aligned_bytes<'a>(fbb: &mut FlatBufferBuilder<'a>, data: &[u8]) -> WIPOffset<flatbuffers::Vector<'a, u8>> {
    // The buffer is written back to front and finished at a multiple of its largest
    // alignment: the data starts 16-aligned when the bytes after it are a multiple of 16.
    fbb.push(Align16);
    for _ in 0..(16 - data.len() % 16) % 16 {
        fbb.push(0u8);
    }
    fbb.create_vector(data)
}

/// Writes `ex` with the offline plan `plan_words` ([version, subgraph, count, offsets…]) as
/// metadata `plan_name`, keeping the metadata entries of the original model `original`.
pub fn write(ex: &ExportGraph, original: &[u8], plan_name: &str, plan_words: &[i32]) -> Result<Vec<u8>> {
    let model = schema::root(original).map_err(|e| Error::Malformed(e.to_string()))?;
    let mut fbb = FlatBufferBuilder::with_capacity(original.len() + 4096);

    // Buffers: 0 is the empty buffer by convention; every distinct constant once.
    let mut buffers = vec![buffer(&mut fbb, None)];
    let mut buffer_of: HashMap<&[u8], u32> = HashMap::new();
    let mut tensor_buffer = vec![0u32; ex.tensors.len()];
    for (t, tensor) in ex.tensors.iter().enumerate() {
        let Some(data) = tensor.data.as_deref() else { continue };
        let index = match buffer_of.get(data) {
            Some(&i) => i,
            None => {
                let i = count_u32(buffers.len())?;
                buffers.push(buffer(&mut fbb, Some(data)));
                buffer_of.insert(data, i);
                i
            }
        };
        tensor_buffer[t] = index;
    }

    // Metadata: the original entries (their data copied), then the plan.
    let mut entries = Vec::new();
    for entry in model.metadata().into_iter().flatten().filter(|m| m.name() != Some(plan_name)) {
        let data = super::metadata::read_metadata(original, entry.name().unwrap_or(""))?;
        if let (Some(name), Some(data)) = (entry.name(), data) {
            entries.push((name.to_string(), data.to_vec()));
        }
    }
    entries.push((plan_name.to_string(), plan_words.iter().flat_map(|w| w.to_le_bytes()).collect()));
    let mut metadata = Vec::with_capacity(entries.len());
    for (name, data) in &entries {
        let index = count_u32(buffers.len())?;
        buffers.push(buffer(&mut fbb, Some(data)));
        let name = fbb.create_string(name);
        let start = fbb.start_table();
        fbb.push_slot_always(field(0), name);
        fbb.push_slot::<u32>(field(1), index, 0);
        metadata.push(fbb.end_table(start));
    }

    let tensors =
        ex.tensors.iter().zip(&tensor_buffer).map(|(t, &b)| tensor(&mut fbb, t, b)).collect::<Result<Vec<_>>>()?;

    // Operator codes, in order of first use.
    let mut codes: Vec<i32> = Vec::new();
    let mut operators = Vec::with_capacity(ex.ops.len());
    for op in &ex.ops {
        let code = builtin_code(op)?;
        let (options_tag, options) = options(&mut fbb, &op.kind);
        let index = match codes.iter().position(|&c| c == code) {
            Some(i) => i,
            None => {
                codes.push(code);
                codes.len() - 1
            }
        };
        let inputs: Vec<i32> = op.inputs.iter().map(|t| t.map_or(Ok(-1), index_i32)).collect::<Result<_>>()?;
        let inputs = fbb.create_vector(&inputs);
        let outputs = fbb.create_vector(&[index_i32(op.output)?]);
        let start = fbb.start_table();
        fbb.push_slot::<u32>(field(0), count_u32(index)?, 0);
        fbb.push_slot_always(field(1), inputs);
        fbb.push_slot_always(field(2), outputs);
        if let Some(options) = options {
            fbb.push_slot::<u8>(field(3), options_tag, 0);
            fbb.push_slot_always(field(4), options);
        }
        operators.push(fbb.end_table(start));
    }
    let operator_codes: Vec<_> = codes
        .iter()
        .map(|&code| {
            let start = fbb.start_table();
            fbb.push_slot::<i8>(field(0), code.min(PLACEHOLDER_FOR_GREATER_OP_CODES) as i8, 0);
            fbb.push_slot::<i32>(field(2), 1, 1);
            fbb.push_slot::<i32>(field(3), code, 0);
            fbb.end_table(start)
        })
        .collect();

    let tensors = fbb.create_vector(&tensors);
    let inputs = fbb.create_vector(&ex.inputs.iter().map(|&t| index_i32(t)).collect::<Result<Vec<_>>>()?);
    let outputs = fbb.create_vector(&ex.outputs.iter().map(|&t| index_i32(t)).collect::<Result<Vec<_>>>()?);
    let operators = fbb.create_vector(&operators);
    let name = fbb.create_string("main");
    let start = fbb.start_table();
    fbb.push_slot_always(field(0), tensors);
    fbb.push_slot_always(field(1), inputs);
    fbb.push_slot_always(field(2), outputs);
    fbb.push_slot_always(field(3), operators);
    fbb.push_slot_always(field(4), name);
    let subgraph = fbb.end_table(start);

    let operator_codes = fbb.create_vector(&operator_codes);
    let subgraphs = fbb.create_vector(&[subgraph]);
    let description = fbb.create_string("mcupatch patch plan export");
    let buffers = fbb.create_vector(&buffers);
    let metadata = fbb.create_vector(&metadata);
    let start = fbb.start_table();
    fbb.push_slot::<u32>(field(0), SCHEMA_VERSION, 0);
    fbb.push_slot_always(field(1), operator_codes);
    fbb.push_slot_always(field(2), subgraphs);
    fbb.push_slot_always(field(3), description);
    fbb.push_slot_always(field(4), buffers);
    fbb.push_slot_always(field(6), metadata);
    let root = fbb.end_table(start);
    fbb.finish(root, Some("TFL3"));
    Ok(fbb.finished_data().to_vec())
}

fn count_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Setting(format!("{n} entries are too many for a .tflite")))
}

fn index_i32(t: usize) -> Result<i32> {
    i32::try_from(t).map_err(|_| Error::Setting(format!("tensor index {t} is too large for a .tflite")))
}

fn buffer<'a>(fbb: &mut FlatBufferBuilder<'a>, data: Option<&[u8]>) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let data = data.map(|d| aligned_bytes(fbb, d));
    let start = fbb.start_table();
    if let Some(data) = data {
        fbb.push_slot_always(field(0), data);
    }
    fbb.end_table(start)
}

fn tensor<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    t: &crate::model::Tensor,
    buffer: u32,
) -> Result<WIPOffset<flatbuffers::TableFinishedWIPOffset>> {
    let shape: Vec<i32> = t.shape.iter().map(|&d| index_i32(d)).collect::<Result<_>>()?;
    let shape = fbb.create_vector(&shape);
    let name = fbb.create_string(&t.name);
    let quantization = t.quant.as_ref().map(|q| {
        let scale = fbb.create_vector(&q.scales);
        let zero_point = fbb.create_vector(&q.zero_points);
        let start = fbb.start_table();
        fbb.push_slot_always(field(2), scale);
        fbb.push_slot_always(field(3), zero_point);
        fbb.push_slot::<i32>(field(6), q.axis as i32, 0);
        fbb.end_table(start)
    });
    let dtype = match t.dtype {
        DType::F32 => tensor_type::FLOAT32,
        DType::I8 => tensor_type::INT8,
        DType::I32 => tensor_type::INT32,
        DType::I64 => tensor_type::INT64,
    };
    let start = fbb.start_table();
    fbb.push_slot_always(field(0), shape);
    fbb.push_slot::<i8>(field(1), dtype, 0);
    fbb.push_slot::<u32>(field(2), buffer, 0);
    fbb.push_slot_always(field(3), name);
    if let Some(q) = quantization {
        fbb.push_slot_always(field(4), q);
    }
    Ok(fbb.end_table(start))
}

fn activation(a: Activation) -> i8 {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::ReluN1To1 => 2,
        Activation::Relu6 => 3,
    }
}

fn padding(p: Padding) -> i8 {
    match p {
        Padding::Same => 0,
        Padding::Valid => 1,
    }
}

type Options = Option<WIPOffset<UnionWIPOffset>>;

/// A table of scalar fields, each `(field number, value)`; every value is written, defaults
/// included, so that no reader's idea of a default matters.
fn scalars(fbb: &mut FlatBufferBuilder, fields: &[(u16, Scalar)]) -> Options {
    let start = fbb.start_table();
    for &(n, value) in fields {
        match value {
            Scalar::I8(v) => fbb.push_slot_always(field(n), v),
            Scalar::I32(v) => fbb.push_slot_always(field(n), v),
            Scalar::F32(v) => fbb.push_slot_always(field(n), v),
            Scalar::Bool(v) => fbb.push_slot_always(field(n), v),
        }
    }
    Some(fbb.end_table(start).as_union_value())
}

#[derive(Clone, Copy)]
enum Scalar {
    I8(i8),
    I32(i32),
    F32(f32),
    Bool(bool),
}

fn dim(v: usize) -> Scalar {
    Scalar::I32(v as i32)
}

/// Conv2DOptions and DepthwiseConv2DOptions.
fn conv(fbb: &mut FlatBufferBuilder, o: &ConvOptions, depth_multiplier: Option<usize>) -> Options {
    use Scalar::I8;
    let (h, w) = (o.stride, o.dilation);
    match depth_multiplier {
        None => scalars(
            fbb,
            &[
                (0, I8(padding(o.padding))),
                (1, dim(h.1)),
                (2, dim(h.0)),
                (3, I8(activation(o.activation))),
                (4, dim(w.1)),
                (5, dim(w.0)),
            ],
        ),
        Some(m) => scalars(
            fbb,
            &[
                (0, I8(padding(o.padding))),
                (1, dim(h.1)),
                (2, dim(h.0)),
                (3, dim(m)),
                (4, I8(activation(o.activation))),
                (5, dim(w.1)),
                (6, dim(w.0)),
            ],
        ),
    }
}

fn pool(fbb: &mut FlatBufferBuilder, o: &PoolOptions) -> Options {
    use Scalar::I8;
    scalars(
        fbb,
        &[
            (0, I8(padding(o.padding))),
            (1, dim(o.stride.1)),
            (2, dim(o.stride.0)),
            (3, dim(o.filter.1)),
            (4, dim(o.filter.0)),
            (5, I8(activation(o.activation))),
        ],
    )
}

/// The builtin code an exported op is written with; an op the writer does not know is an
/// error naming it.
pub fn builtin_code(op: &ExOp) -> Result<i32> {
    Ok(match &op.kind {
        OpKind::Conv2d(_) => builtin::CONV_2D,
        OpKind::DepthwiseConv2d { .. } => builtin::DEPTHWISE_CONV_2D,
        OpKind::AveragePool2d(_) => builtin::AVERAGE_POOL_2D,
        OpKind::MaxPool2d(_) => builtin::MAX_POOL_2D,
        OpKind::FullyConnected { .. } => builtin::FULLY_CONNECTED,
        OpKind::Add { .. } => builtin::ADD,
        OpKind::Mul { .. } => builtin::MUL,
        OpKind::Sub { .. } => builtin::SUB,
        OpKind::Concatenation { .. } => builtin::CONCATENATION,
        OpKind::Softmax { .. } => builtin::SOFTMAX,
        OpKind::Mean { .. } => builtin::MEAN,
        OpKind::Sum { .. } => builtin::SUM,
        OpKind::ReduceMax { .. } => builtin::REDUCE_MAX,
        OpKind::ReduceMin { .. } => builtin::REDUCE_MIN,
        OpKind::LeakyRelu { .. } => builtin::LEAKY_RELU,
        OpKind::L2Normalization { .. } => builtin::L2_NORMALIZATION,
        // TFLite Micro's RESHAPE takes the output tensor's shape: no options needed.
        OpKind::Reshape => builtin::RESHAPE,
        // PAD pads with the zero point; with a third input (the value) it is PADV2.
        OpKind::Pad if op.inputs.len() > 2 => builtin::PADV2,
        OpKind::Pad => builtin::PAD,
        OpKind::Slice => builtin::SLICE,
        OpKind::Quantize => builtin::QUANTIZE,
        OpKind::Dequantize => builtin::DEQUANTIZE,
        OpKind::Logistic => builtin::LOGISTIC,
        OpKind::Tanh => builtin::TANH,
        OpKind::HardSwish => builtin::HARD_SWISH,
        OpKind::Relu => builtin::RELU,
        OpKind::Relu6 => builtin::RELU6,
        OpKind::Maximum => builtin::MAXIMUM,
        OpKind::Minimum => builtin::MINIMUM,
        OpKind::Prelu => builtin::PRELU,
        OpKind::Transpose => builtin::TRANSPOSE,
        other => {
            return Err(Error::Setting(format!(
                "the patch export cannot write a {} op yet: export this model layer by layer",
                other.name()
            )))
        }
    })
}

/// An op's options' union tag and its options (none for ops without options).
fn options(fbb: &mut FlatBufferBuilder, kind: &OpKind) -> (u8, Options) {
    use options_type as tag;
    use Scalar::{Bool, F32, I32, I8};
    let act = |a: &Activation| I8(activation(*a));
    match kind {
        OpKind::Conv2d(o) => (tag::CONV_2D, conv(fbb, o, None)),
        OpKind::DepthwiseConv2d { conv: o, depth_multiplier } => {
            (tag::DEPTHWISE_CONV_2D, conv(fbb, o, Some(*depth_multiplier)))
        }
        OpKind::AveragePool2d(o) | OpKind::MaxPool2d(o) => (tag::POOL_2D, pool(fbb, o)),
        OpKind::FullyConnected { activation: a, keep_num_dims } => {
            (tag::FULLY_CONNECTED, scalars(fbb, &[(0, act(a)), (1, I8(0)), (2, Bool(*keep_num_dims))]))
        }
        OpKind::Add { activation: a } => (tag::ADD, scalars(fbb, &[(0, act(a))])),
        OpKind::Mul { activation: a } => (tag::MUL, scalars(fbb, &[(0, act(a))])),
        OpKind::Sub { activation: a } => (tag::SUB, scalars(fbb, &[(0, act(a))])),
        OpKind::Concatenation { axis, activation: a } => {
            (tag::CONCATENATION, scalars(fbb, &[(0, I32(*axis)), (1, act(a))]))
        }
        OpKind::Softmax { beta } => (tag::SOFTMAX, scalars(fbb, &[(0, F32(*beta))])),
        OpKind::Mean { keep_dims }
        | OpKind::Sum { keep_dims }
        | OpKind::ReduceMax { keep_dims }
        | OpKind::ReduceMin { keep_dims } => (tag::REDUCER, scalars(fbb, &[(0, Bool(*keep_dims))])),
        OpKind::LeakyRelu { alpha } => (tag::LEAKY_RELU, scalars(fbb, &[(0, F32(*alpha))])),
        OpKind::L2Normalization { activation: a } => (tag::L2_NORMALIZATION, scalars(fbb, &[(0, act(a))])),
        _ => (0, None),
    }
}
