//! TFLite flatbuffer → [`Graph`]. The format is parsed here and then forgotten.
#![warn(clippy::indexing_slicing)]

use super::fold::{self, Action, FileOp, Fold, Split};
use super::limits::{self, limit};
use super::schema::{self, builtin, options_type, tensor_type};
use super::{Activation, ConvOptions, DType, Graph, OpKind, Padding, PoolOptions, Quant, SliceMasks, Tensor};
use crate::error::{Error, Result};
use flatbuffers::InvalidFlatbuffer;

/// Largest constant accepted (its bytes are in the file, which is at most
/// [`limits::MAX_MODEL_BYTES`]); also keeps the element count from overflowing.
const MAX_TENSOR_BYTES: usize = 1 << 30;

/// What the flatbuffer verifier found, as a sentence a user can act on: a file cut short
/// says so and by how much; a corrupt one names the field that failed, outermost first (the
/// verifier's own trace runs innermost first, one line per level).
fn verifier_error_in_words(error: &InvalidFlatbuffer, file_bytes: usize) -> String {
    use flatbuffers::ErrorTraceDetail::{TableField, UnionVariant, VectorElement};
    let field = |trace: &dyn AsRef<[flatbuffers::ErrorTraceDetail]>| {
        let mut path = String::new();
        for detail in trace.as_ref().iter().rev() {
            match detail {
                VectorElement { index, .. } => path.push_str(&format!("[{index}]")),
                TableField { field_name, .. } | UnionVariant { variant: field_name, .. } => {
                    path.push_str(if path.is_empty() { "" } else { "." });
                    path.push_str(field_name.as_ref());
                }
            }
        }
        match path.is_empty() {
            true => "its root table".to_string(),
            false => format!("its {path}"),
        }
    };
    match error {
        InvalidFlatbuffer::RangeOutOfBounds { range, error_trace } if range.end > file_bytes => format!(
            "the file is cut short: it has {file_bytes} bytes, but {} reaches byte {} (was it copied or downloaded whole?)",
            field(error_trace),
            range.end
        ),
        InvalidFlatbuffer::RangeOutOfBounds { error_trace, .. } => {
            format!("the file is corrupt: {} points outside the file", field(error_trace))
        }
        InvalidFlatbuffer::SignedOffsetOutOfBounds { position, error_trace, .. } => {
            format!("the file is corrupt: {} (byte {position}) points outside the file", field(error_trace))
        }
        InvalidFlatbuffer::Utf8Error { error_trace, .. } => {
            format!("the file is corrupt: the text of {} is not valid UTF-8", field(error_trace))
        }
        InvalidFlatbuffer::MissingNullTerminator { error_trace, .. } => {
            format!("the file is corrupt: the text of {} never ends", field(error_trace))
        }
        InvalidFlatbuffer::Unaligned { position, unaligned_type, error_trace } => format!(
            "the file is corrupt: {} at byte {position} is not aligned as a {unaligned_type} must be",
            field(error_trace)
        ),
        InvalidFlatbuffer::MissingRequiredField { required, error_trace } => {
            format!("the file is corrupt: {} lacks its required field {required}", field(error_trace))
        }
        InvalidFlatbuffer::InconsistentUnion { field: name, field_type, error_trace } => format!(
            "the file is corrupt: in {}, the options {name} do not match their type {field_type}",
            field(error_trace)
        ),
        InvalidFlatbuffer::TooManyTables | InvalidFlatbuffer::ApparentSizeTooLarge | InvalidFlatbuffer::DepthLimitReached => {
            "the file is corrupt: its tables are too many or nested too deep to be a model".to_string()
        }
    }
}

/// Parses and validates a `.tflite` model (its first subgraph): every index in range, every
/// size within [`limits`]. Each op is then checked against its tensors when it is prepared
/// ([`crate::kernels::Kernel::prepare`]).
pub fn load(bytes: &[u8]) -> Result<Graph> {
    limit("the model file (bytes)", bytes.len() as u64, limits::MAX_MODEL_BYTES)?;
    if bytes.len() < 8 {
        return Err(Error::Malformed(format!("{} bytes is too short for a flatbuffer", bytes.len())));
    }
    if bytes.get(4..8) != Some(b"TFL3".as_slice()) {
        return Err(Error::Malformed("missing the TFL3 file identifier".into()));
    }
    let model = schema::root(bytes).map_err(|e| Error::Malformed(verifier_error_in_words(&e, bytes.len())))?;
    let subgraph = model
        .subgraphs()
        .and_then(|s| (!s.is_empty()).then(|| s.get(0)))
        .ok_or_else(|| Error::Malformed("the model has no subgraph".into()))?;
    let buffers = model.buffers();
    let fb_tensors = subgraph.tensors().ok_or_else(|| Error::Malformed("the subgraph has no tensors".into()))?;
    limit("the number of tensors", fb_tensors.len() as u64, limits::MAX_TENSORS as u64)?;
    let fb_ops = subgraph.operators();
    limit("the number of ops", fb_ops.map_or(0, |o| o.len()) as u64, limits::MAX_OPS as u64)?;

    let mut tensors = Vec::with_capacity(fb_tensors.len());
    let mut dtype_codes = Vec::with_capacity(fb_tensors.len());
    let mut constant_bytes = 0u64;
    for (index, t) in fb_tensors.iter().enumerate() {
        let name = t.name().unwrap_or("").to_string();
        let terr = |msg: String| Error::Tensor { index, name: name.clone(), msg };
        let shape = match t.shape() {
            Some(s) => s
                .iter()
                .map(|d| usize::try_from(d).map_err(|_| terr(format!("negative dimension {d}"))))
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        if t.sparsity().is_some() {
            return Err(terr("sparse tensors are not supported".into()));
        }
        let code = t.dtype();
        dtype_codes.push(code);
        let dtype = match code {
            tensor_type::FLOAT32 => DType::F32,
            tensor_type::INT8 => DType::I8,
            tensor_type::INT32 => DType::I32,
            tensor_type::INT64 => DType::I64,
            // Checked when an op uses it, so the error can name the op.
            _ => DType::I8,
        };
        let data = read_buffer(bytes, buffers, t.buffer()).map_err(&terr)?;
        limits::check_tensor(index, &name, &shape, dtype, data.is_some())?;
        let elements = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .filter(|&n| n.saturating_mul(dtype.size()) <= MAX_TENSOR_BYTES)
            .ok_or_else(|| terr(format!("shape {shape:?} is too large")))?;
        let quant = match t.quantization() {
            Some(q) => read_quant(q, &shape).map_err(terr)?,
            None => None,
        };
        if let Some(d) = data {
            if d.len() != elements * dtype.size() {
                return Err(terr(format!(
                    "constant holds {} bytes, shape {shape:?} of {} needs {}",
                    d.len(),
                    dtype.name(),
                    elements * dtype.size()
                )));
            }
            // Tensors may share a buffer; each gets its own copy, so the copies are bounded.
            constant_bytes += d.len() as u64;
            limit("the constant bytes of all tensors", constant_bytes, limits::MAX_MODEL_BYTES)?;
        }
        if let (Some(q), DType::I8, None) = (&quant, dtype, data) {
            // A zero or subnormal scale turns every requantization into 0 or infinity.
            if let Some(s) = q.scales.iter().find(|s| !s.is_normal()) {
                return Err(terr(format!("activation scale {s:e} is not a positive normal number")));
            }
        }
        let tensor = Tensor { name, shape, dtype, quant, data: data.map(<[u8]>::to_vec) };
        tensors.push(tensor);
    }

    let tensor_index = |v: i32, what: &str| -> std::result::Result<usize, String> {
        usize::try_from(v)
            .ok()
            .filter(|&i| i < tensors.len())
            .ok_or_else(|| format!("{what} tensor index {v} is out of range (the model has {} tensors)", tensors.len()))
    };
    let indices = |v: Option<flatbuffers::Vector<i32>>, what: &str| -> Result<Vec<usize>> {
        v.map(|v| v.iter().map(|i| tensor_index(i, what).map_err(Error::Malformed)).collect()).unwrap_or(Ok(Vec::new()))
    };
    let inputs = indices(subgraph.inputs(), "graph input")?;
    let outputs = indices(subgraph.outputs(), "graph output")?;

    let opcodes = model.operator_codes();
    let mut ops = Vec::new();
    for (index, fb_op) in fb_ops.into_iter().flatten().enumerate() {
        let code_index = fb_op.opcode_index() as usize;
        let code = opcodes.filter(|c| code_index < c.len()).map(|c| c.get(code_index)).ok_or_else(|| Error::Op {
            index,
            op: "?".into(),
            msg: format!("operator code index {} is out of range", fb_op.opcode_index()),
        })?;
        let builtin = code.builtin_code().max(i32::from(code.deprecated_builtin_code()));
        let op_name = if builtin == 32 {
            format!("CUSTOM:{}", code.custom_code().unwrap_or("?"))
        } else {
            schema::builtin_name(builtin)
        };
        let oerr = |msg: String| Error::Op { index, op: op_name.clone(), msg };
        let action = read_kind(builtin, &fb_op).map_err(&oerr)?;
        let op_inputs = fb_op
            .inputs()
            .map(|v| {
                v.iter()
                    .map(|i| if i < 0 { Ok(None) } else { tensor_index(i, "input").map(Some) })
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .unwrap_or(Ok(Vec::new()))
            .map_err(&oerr)?;
        let op_outputs = fb_op
            .outputs()
            .map(|v| v.iter().map(|i| tensor_index(i, "output")).collect::<std::result::Result<Vec<_>, _>>())
            .unwrap_or(Ok(Vec::new()))
            .map_err(&oerr)?;
        // Indices were checked against the tensors just above.
        let used = op_inputs
            .iter()
            .flatten()
            .chain(&op_outputs)
            .filter_map(|&t| Some((t, dtype_codes.get(t)?, tensors.get(t)?)));
        for (t, &c, tensor) in used {
            if ![tensor_type::FLOAT32, tensor_type::INT8, tensor_type::INT32, tensor_type::INT64].contains(&c) {
                let name = match c {
                    tensor_type::UINT8 => "uint8".to_string(),
                    tensor_type::INT16 => "int16".to_string(),
                    other => format!("type code {other}"),
                };
                return Err(oerr(format!("tensor {t} ({}) has unsupported dtype {name}", tensor.name)));
            }
        }
        ops.push(FileOp { index, name: op_name, action, inputs: op_inputs, outputs: op_outputs });
    }
    let ops = fold::resolve(&mut tensors, ops, &outputs)?;
    let graph = Graph { tensors, ops, inputs, outputs };
    limits::check_graph(&graph)?;
    Ok(graph)
}

fn read_quant(q: schema::QuantizationParameters, shape: &[usize]) -> std::result::Result<Option<Quant>, String> {
    let scales: Vec<f32> = q.scale().map(|v| v.iter().collect()).unwrap_or_default();
    let zero_points: Vec<i64> = q.zero_point().map(|v| v.iter().collect()).unwrap_or_default();
    if scales.is_empty() {
        return Ok(None);
    }
    if q.details_type() != 0 {
        return Err("custom quantization is not supported".into());
    }
    if zero_points.len() != scales.len() {
        return Err(format!("{} scales but {} zero points", scales.len(), zero_points.len()));
    }
    if scales.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return Err("a quantization scale is negative or not finite".into());
    }
    let axis = usize::try_from(q.quantized_dimension()).map_err(|_| "negative quantized dimension".to_string())?;
    if scales.len() > 1 && shape.get(axis) != Some(&scales.len()) {
        return Err(format!("{} per-channel scales along axis {axis} of shape {shape:?}", scales.len()));
    }
    Ok(Some(Quant { scales, zero_points, axis }))
}

fn read_buffer<'a>(
    file: &'a [u8],
    buffers: Option<flatbuffers::Vector<'a, flatbuffers::ForwardsUOffset<schema::Buffer<'a>>>>,
    index: u32,
) -> std::result::Result<Option<&'a [u8]>, String> {
    let Some(buffers) = buffers else {
        return Ok(None);
    };
    if index as usize >= buffers.len() {
        return Err(format!("buffer index {index} is out of range ({} buffers)", buffers.len()));
    }
    let buffer = buffers.get(index as usize);
    if let Some(data) = buffer.data() {
        return Ok((!data.is_empty()).then(|| data.bytes()));
    }
    // Models above 2 GiB keep weights after the flatbuffer, addressed by offset and size.
    let (offset, size) = (buffer.offset(), buffer.size());
    if offset > 1 {
        let end = offset.checked_add(size).filter(|&e| e <= file.len() as u64);
        return match end {
            Some(end) => file
                .get(offset as usize..end as usize)
                .map(Some)
                .ok_or_else(|| format!("buffer {index} lies beyond the file")),
            None => Err(format!("buffer {index} at offset {offset} size {size} lies beyond the file")),
        };
    }
    Ok(None)
}

fn activation(code: i8) -> std::result::Result<Activation, String> {
    match code {
        0 => Ok(Activation::None),
        1 => Ok(Activation::Relu),
        2 => Ok(Activation::ReluN1To1),
        3 => Ok(Activation::Relu6),
        4 => Err("fused TANH activation is not supported".into()),
        other => Err(format!("fused activation {other} is not supported")),
    }
}

fn padding(code: i8) -> std::result::Result<Padding, String> {
    match code {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        other => Err(format!("padding {other} is not SAME or VALID")),
    }
}

fn positive(v: i32, what: &str) -> std::result::Result<usize, String> {
    usize::try_from(v).ok().filter(|&v| v > 0).ok_or_else(|| format!("{what} is {v}, must be positive"))
}

/// Reads the builtin's options table after checking the union tag names it.
fn options<'a, T>(op: &schema::Operator<'a>, tag: u8) -> std::result::Result<Option<T>, String>
where
    T: flatbuffers::Follow<'a, Inner = T> + flatbuffers::Verifiable,
{
    match op.builtin_options() {
        None => Ok(None),
        Some(_) if op.builtin_options_type() != tag => {
            Err(format!("builtin options of type {} where {tag} was expected", op.builtin_options_type()))
        }
        Some(t) => t.cast::<T>().map(Some).map_err(|e| {
            // Verified inside the file already read whole: nothing here is cut short.
            format!("malformed builtin options ({})", verifier_error_in_words(&e, usize::MAX))
        }),
    }
}

/// The options CONV_2D and DEPTHWISE_CONV_2D share, as (height, width) pairs.
fn conv_options(
    pad: i8,
    stride: (i32, i32),
    dilation: (i32, i32),
    act: i8,
) -> std::result::Result<ConvOptions, String> {
    Ok(ConvOptions {
        padding: padding(pad)?,
        stride: (positive(stride.0, "stride_h")?, positive(stride.1, "stride_w")?),
        dilation: (positive(dilation.0, "dilation_h")?, positive(dilation.1, "dilation_w")?),
        activation: activation(act)?,
    })
}

/// How mcupatch supports a builtin operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Support {
    /// A kernel runs it.
    Kernel,
    /// It runs as a RESHAPE (the bytes do not change).
    Reshape,
    /// Computed at load on constant shapes; it costs no arena bytes and no step.
    Folded,
    /// Around a convolution, the pair is recognised at load as the dilated convolution it is.
    DilatedConv,
    /// Each output is computed by a SLICE of its own.
    Slices,
    /// A kernel runs it; on constant shapes it is computed at load.
    KernelOrFolded,
}

impl Support {
    pub fn describe(self) -> &'static str {
        match self {
            Support::Kernel => "runs (int8)",
            Support::Reshape => "runs as RESHAPE",
            Support::Folded => "folded at load on constant shapes",
            Support::DilatedConv => "with the convolution it wraps, runs as a dilated convolution",
            Support::Slices => "runs as one SLICE per output",
            Support::KernelOrFolded => "runs (int8); folded at load on constant shapes",
        }
    }
}

/// Every builtin operator mcupatch accepts, and how; any other is refused at load, by name.
const SUPPORTED: &[(i32, Support)] = &[
    (builtin::ADD, Support::Kernel),
    (builtin::AVERAGE_POOL_2D, Support::Kernel),
    (builtin::CONCATENATION, Support::KernelOrFolded),
    (builtin::CONV_2D, Support::Kernel),
    (builtin::DEPTHWISE_CONV_2D, Support::Kernel),
    (builtin::DEQUANTIZE, Support::Kernel),
    (builtin::FULLY_CONNECTED, Support::Kernel),
    (builtin::L2_NORMALIZATION, Support::Kernel),
    (builtin::LOGISTIC, Support::Kernel),
    (builtin::MAX_POOL_2D, Support::Kernel),
    (builtin::MUL, Support::Kernel),
    (builtin::RELU, Support::Kernel),
    (builtin::RELU6, Support::Kernel),
    (builtin::RESHAPE, Support::Kernel),
    (builtin::SOFTMAX, Support::Kernel),
    (builtin::TANH, Support::Kernel),
    (builtin::PAD, Support::Kernel),
    (builtin::BATCH_TO_SPACE_ND, Support::DilatedConv),
    (builtin::SPACE_TO_BATCH_ND, Support::DilatedConv),
    (builtin::MEAN, Support::Kernel),
    (builtin::SUB, Support::Kernel),
    (builtin::SQUEEZE, Support::Reshape),
    (builtin::STRIDED_SLICE, Support::KernelOrFolded),
    (builtin::PRELU, Support::Kernel),
    (builtin::TRANSPOSE_CONV, Support::Kernel),
    (builtin::MAXIMUM, Support::Kernel),
    (builtin::MINIMUM, Support::Kernel),
    (builtin::PADV2, Support::Kernel),
    (builtin::EXPAND_DIMS, Support::Reshape),
    (builtin::SHAPE, Support::Folded),
    (builtin::PACK, Support::Folded),
    (builtin::LEAKY_RELU, Support::Kernel),
    (builtin::RESIZE_NEAREST_NEIGHBOR, Support::Kernel),
    (builtin::RESIZE_BILINEAR, Support::Kernel),
    (builtin::DEPTH_TO_SPACE, Support::Kernel),
    (builtin::SPACE_TO_DEPTH, Support::Kernel),
    (builtin::QUANTIZE, Support::Kernel),
    (builtin::HARD_SWISH, Support::Kernel),
    (builtin::GATHER, Support::KernelOrFolded),
    (builtin::TRANSPOSE, Support::Kernel),
    (builtin::SPLIT, Support::Slices),
    (builtin::SLICE, Support::Kernel),
    (builtin::TILE, Support::Kernel),
    (builtin::SUM, Support::Kernel),
    (builtin::REDUCE_MAX, Support::Kernel),
    (builtin::UNPACK, Support::Slices),
    (builtin::REDUCE_MIN, Support::Kernel),
    (builtin::SPLIT_V, Support::Slices),
    (builtin::REVERSE_V2, Support::Kernel),
    (builtin::BROADCAST_TO, Support::Kernel),
    (builtin::REDUCE_PROD, Support::Folded),
];

/// The builtin operators mcupatch accepts, by name, and how, sorted by name.
pub fn supported_ops() -> Vec<(String, Support)> {
    let mut ops: Vec<(String, Support)> = SUPPORTED.iter().map(|&(c, s)| (schema::builtin_name(c), s)).collect();
    ops.sort_by(|a, b| a.0.cmp(&b.0));
    ops
}

fn read_kind(code: i32, op: &schema::Operator) -> std::result::Result<Action, String> {
    let required = || "builtin options are missing".to_string();
    if code == 32 {
        return Err("custom operators are not supported".into());
    }
    if !SUPPORTED.iter().any(|&(c, _)| c == code) {
        return Err("unsupported builtin operator".into());
    }
    let fused = |code: Option<i8>| activation(code.unwrap_or(0));
    Ok(Action::Run(match code {
        builtin::CONV_2D => {
            let o = options::<schema::Conv2DOptions>(op, options_type::CONV_2D)?.ok_or_else(required)?;
            OpKind::Conv2d(conv_options(
                o.padding(),
                (o.stride_h(), o.stride_w()),
                (o.dilation_h_factor(), o.dilation_w_factor()),
                o.fused_activation_function(),
            )?)
        }
        builtin::TRANSPOSE_CONV => {
            let o = options::<schema::TransposeConvOptions>(op, options_type::TRANSPOSE_CONV)?.ok_or_else(required)?;
            OpKind::TransposeConv(conv_options(
                o.padding(),
                (o.stride_h(), o.stride_w()),
                (1, 1),
                o.fused_activation_function(),
            )?)
        }
        builtin::DEPTHWISE_CONV_2D => {
            let o =
                options::<schema::DepthwiseConv2DOptions>(op, options_type::DEPTHWISE_CONV_2D)?.ok_or_else(required)?;
            OpKind::DepthwiseConv2d {
                conv: conv_options(
                    o.padding(),
                    (o.stride_h(), o.stride_w()),
                    (o.dilation_h_factor(), o.dilation_w_factor()),
                    o.fused_activation_function(),
                )?,
                // 0 is written by some converters and means "derive from the shapes".
                depth_multiplier: usize::try_from(o.depth_multiplier())
                    .map_err(|_| format!("depth_multiplier is {}", o.depth_multiplier()))?,
            }
        }
        builtin::AVERAGE_POOL_2D | builtin::MAX_POOL_2D => {
            let o = options::<schema::Pool2DOptions>(op, options_type::POOL_2D)?.ok_or_else(required)?;
            let pool = PoolOptions {
                padding: padding(o.padding())?,
                stride: (positive(o.stride_h(), "stride_h")?, positive(o.stride_w(), "stride_w")?),
                filter: (positive(o.filter_height(), "filter_height")?, positive(o.filter_width(), "filter_width")?),
                activation: activation(o.fused_activation_function())?,
            };
            if code == builtin::MAX_POOL_2D {
                OpKind::MaxPool2d(pool)
            } else {
                OpKind::AveragePool2d(pool)
            }
        }
        builtin::FULLY_CONNECTED => {
            let o = options::<schema::FullyConnectedOptions>(op, options_type::FULLY_CONNECTED)?;
            if let Some(o) = o.filter(|o| o.weights_format() != 0) {
                return Err(format!("weights format {} is not supported (only DEFAULT)", o.weights_format()));
            }
            OpKind::FullyConnected {
                activation: activation(o.map_or(0, |o| o.fused_activation_function()))?,
                keep_num_dims: o.is_some_and(|o| o.keep_num_dims()),
            }
        }
        builtin::ADD => {
            let o = options::<schema::AddOptions>(op, options_type::ADD)?;
            OpKind::Add { activation: activation(o.map_or(0, |o| o.fused_activation_function()))? }
        }
        builtin::SOFTMAX => {
            let o = options::<schema::SoftmaxOptions>(op, options_type::SOFTMAX)?;
            OpKind::Softmax { beta: o.map_or(1.0, |o| o.beta()) }
        }
        builtin::CONCATENATION => {
            let o = options::<schema::ConcatenationOptions>(op, options_type::CONCATENATION)?.ok_or_else(required)?;
            OpKind::Concatenation { axis: o.axis(), activation: activation(o.fused_activation_function())? }
        }
        builtin::MEAN | builtin::SUM | builtin::REDUCE_MAX | builtin::REDUCE_MIN => {
            let o = options::<schema::ReducerOptions>(op, options_type::REDUCER)?;
            let keep_dims = o.is_some_and(|o| o.keep_dims());
            match code {
                builtin::SUM => OpKind::Sum { keep_dims },
                builtin::REDUCE_MAX => OpKind::ReduceMax { keep_dims },
                builtin::REDUCE_MIN => OpKind::ReduceMin { keep_dims },
                _ => OpKind::Mean { keep_dims },
            }
        }
        builtin::SLICE => OpKind::Slice,
        builtin::TILE => OpKind::Tile,
        builtin::TRANSPOSE => OpKind::Transpose,
        builtin::REVERSE_V2 => OpKind::ReverseV2,
        builtin::BROADCAST_TO => OpKind::BroadcastTo,
        builtin::GATHER => {
            let o = options::<schema::GatherOptions>(op, options_type::GATHER)?;
            OpKind::Gather { axis: o.map_or(0, |o| o.axis()), batch_dims: o.map_or(0, |o| o.batch_dims()) }
        }
        builtin::SPLIT => {
            let o = options::<schema::SplitOptions>(op, options_type::SPLIT)?.ok_or_else(required)?;
            return Ok(Action::Fold(Fold::Split(Split::Even { parts: o.num_splits() })));
        }
        builtin::SPLIT_V => return Ok(Action::Fold(Fold::Split(Split::Sizes))),
        builtin::UNPACK => {
            let o = options::<schema::UnpackOptions>(op, options_type::UNPACK)?;
            return Ok(Action::Fold(Fold::Split(Split::Unpack { axis: o.map_or(0, |o| o.axis()) })));
        }
        builtin::PAD | builtin::PADV2 => OpKind::Pad,
        builtin::RESHAPE | builtin::SQUEEZE | builtin::EXPAND_DIMS => OpKind::Reshape,
        builtin::QUANTIZE => OpKind::Quantize,
        builtin::DEQUANTIZE => OpKind::Dequantize,
        builtin::LOGISTIC => OpKind::Logistic,
        builtin::TANH => OpKind::Tanh,
        builtin::HARD_SWISH => OpKind::HardSwish,
        builtin::RELU => OpKind::Relu,
        builtin::RELU6 => OpKind::Relu6,
        builtin::LEAKY_RELU => {
            let o = options::<schema::LeakyReluOptions>(op, options_type::LEAKY_RELU)?.ok_or_else(required)?;
            OpKind::LeakyRelu { alpha: o.alpha() }
        }
        builtin::MUL => {
            let o = options::<schema::MulOptions>(op, options_type::MUL)?;
            OpKind::Mul { activation: fused(o.map(|o| o.fused_activation_function()))? }
        }
        builtin::SUB => {
            let o = options::<schema::SubOptions>(op, options_type::SUB)?;
            OpKind::Sub { activation: fused(o.map(|o| o.fused_activation_function()))? }
        }
        builtin::RESIZE_NEAREST_NEIGHBOR => {
            let o = options::<schema::ResizeNearestNeighborOptions>(op, options_type::RESIZE_NEAREST_NEIGHBOR)?;
            OpKind::ResizeNearestNeighbor {
                align_corners: o.is_some_and(|o| o.align_corners()),
                half_pixel_centers: o.is_some_and(|o| o.half_pixel_centers()),
            }
        }
        builtin::RESIZE_BILINEAR => {
            let o = options::<schema::ResizeBilinearOptions>(op, options_type::RESIZE_BILINEAR)?;
            OpKind::ResizeBilinear {
                align_corners: o.is_some_and(|o| o.align_corners()),
                half_pixel_centers: o.is_some_and(|o| o.half_pixel_centers()),
            }
        }
        builtin::DEPTH_TO_SPACE => {
            let o = options::<schema::DepthToSpaceOptions>(op, options_type::DEPTH_TO_SPACE)?.ok_or_else(required)?;
            OpKind::DepthToSpace { block: o.block_size() }
        }
        builtin::SPACE_TO_DEPTH => {
            // SpaceToDepthOptions has the same single field.
            let o = options::<schema::DepthToSpaceOptions>(op, options_type::SPACE_TO_DEPTH)?.ok_or_else(required)?;
            OpKind::SpaceToDepth { block: o.block_size() }
        }
        builtin::MAXIMUM => OpKind::Maximum,
        builtin::MINIMUM => OpKind::Minimum,
        builtin::PRELU => OpKind::Prelu,
        builtin::L2_NORMALIZATION => {
            let o = options::<schema::L2NormOptions>(op, options_type::L2_NORMALIZATION)?;
            OpKind::L2Normalization { activation: fused(o.map(|o| o.fused_activation_function()))? }
        }
        builtin::SHAPE => return Ok(Action::Fold(Fold::Shape)),
        builtin::REDUCE_PROD => return Ok(Action::Fold(Fold::ReduceProd)),
        builtin::STRIDED_SLICE => {
            let o = options::<schema::StridedSliceOptions>(op, options_type::STRIDED_SLICE)?;
            let masks = o.map_or(SliceMasks::default(), |o| SliceMasks {
                begin: o.begin_mask(),
                end: o.end_mask(),
                ellipsis: o.ellipsis_mask(),
                new_axis: o.new_axis_mask(),
                shrink_axis: o.shrink_axis_mask(),
                offset: o.offset(),
            });
            OpKind::StridedSlice(masks)
        }
        builtin::PACK => {
            let o = options::<schema::PackOptions>(op, options_type::PACK)?;
            return Ok(Action::Fold(Fold::Pack { axis: o.map_or(0, |o| o.axis()) }));
        }
        builtin::SPACE_TO_BATCH_ND => return Ok(Action::Fold(Fold::SpaceToBatch)),
        builtin::BATCH_TO_SPACE_ND => return Ok(Action::Fold(Fold::BatchToSpace)),
        _ => return Err("unsupported builtin operator".into()),
    }))
}
