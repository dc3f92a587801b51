//! The Graph IR: what the engine needs of a TFLite model, parsed once and validated.

mod fold;
pub mod limits;
mod loader;
pub mod metadata;
pub mod schema;

pub use loader::{load, supported_ops, Support};

/// Reads a `.tflite` file (a regular file of at most [`limits::MAX_MODEL_BYTES`]) and loads it.
pub fn load_file(path: &std::path::Path) -> crate::Result<Graph> {
    load(&crate::files::read_file(path, limits::MAX_MODEL_BYTES)?)
}

/// Element types the engine distinguishes; anything else is refused at load time
/// unless it is a constant the engine never reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DType {
    #[serde(rename = "float32")]
    F32,
    #[serde(rename = "int8")]
    I8,
    #[serde(rename = "int32")]
    I32,
    #[serde(rename = "int64")]
    I64,
}

impl DType {
    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::F32 | DType::I32 => 4,
            DType::I64 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I8 => "int8",
            DType::I32 => "int32",
            DType::I64 => "int64",
        }
    }
}

/// Affine quantization: real = scale * (q - zero_point), per tensor or per channel along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quant {
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub axis: usize,
}

impl Quant {
    pub fn scale(&self) -> f32 {
        self.scales[0]
    }
    pub fn zero_point(&self) -> i32 {
        self.zero_points[0] as i32
    }
}

#[derive(Debug, Clone)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub quant: Option<Quant>,
    /// Constant data (weights, biases, shapes), little-endian; `None` for activations.
    pub data: Option<Vec<u8>>,
}

impl Tensor {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn bytes(&self) -> usize {
        self.elements() * self.dtype.size()
    }
    pub fn is_constant(&self) -> bool {
        self.data.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Padding {
    Same,
    Valid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Activation {
    None,
    Relu,
    ReluN1To1,
    Relu6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvOptions {
    pub padding: Padding,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub activation: Activation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    pub padding: Padding,
    pub stride: (usize, usize),
    pub filter: (usize, usize),
    pub activation: Activation,
}

/// STRIDED_SLICE's bit masks (one bit per axis) and `offset` flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceMasks {
    pub begin: i32,
    pub end: i32,
    pub ellipsis: i32,
    pub new_axis: i32,
    pub shrink_axis: i32,
    pub offset: bool,
}

impl SliceMasks {
    fn bit(mask: i32, axis: usize) -> bool {
        axis < 32 && mask & (1 << axis) != 0
    }

    /// Whether axis `axis` is sliced to one index and dropped from the output.
    pub fn shrinks(&self, axis: usize) -> bool {
        SliceMasks::bit(self.shrink_axis, axis)
    }

    /// The input indices STRIDED_SLICE keeps along axis `axis` of length `size`, from `begin`
    /// to `end` by `stride` (not 0), as TFLite's `StridedSliceStartForAxis` /
    /// `StridedSliceEndForAxis` resolve them: negative values count from the end, then clamp
    /// to the axis; a masked begin or end is the axis' first or last (in the stride's
    /// direction); a shrunk axis keeps the one index at `begin`; with `offset`, `end` is
    /// relative to `begin`.
    pub fn indices(&self, axis: usize, size: usize, begin: i64, end: i64, stride: i64) -> Vec<usize> {
        let n = size as i64;
        let (low, high) = if stride > 0 { (0, n) } else { (-1, n - 1) };
        let resolve = |v: i64| (if v < 0 { v + n } else { v }).clamp(low, high);
        let start = match SliceMasks::bit(self.begin, axis) {
            true if stride > 0 => 0,
            true => n - 1,
            false => resolve(begin),
        };
        let stop = if self.shrinks(axis) {
            if start >= n {
                start
            } else {
                start + 1
            }
        } else {
            match SliceMasks::bit(self.end, axis) {
                true if stride > 0 => n,
                true => -1,
                false => resolve(if self.offset { end + start } else { end }),
            }
        };
        let mut out = Vec::new();
        let mut i = start;
        while (stride > 0 && i < stop) || (stride < 0 && i > stop) {
            out.extend(usize::try_from(i).ok().filter(|&i| i < size));
            i += stride;
        }
        out
    }
}

/// The ops mcupatch executes, with their typed options. (Stride, dilation and filter
/// sizes are (height, width).) `Repeat` is a TILE of tf.repeat's EXPAND_DIMS → TILE →
/// RESHAPE of a map (or of its batch-1 chain, RESHAPE → TILE → RESHAPE → TILE → RESHAPE),
/// fused at load: each index of `axis` `times` times. `TransposeConv` has dilation 1.
#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    Conv2d(ConvOptions),
    TransposeConv(ConvOptions),
    DepthwiseConv2d { conv: ConvOptions, depth_multiplier: usize },
    FullyConnected { activation: Activation, keep_num_dims: bool },
    Add { activation: Activation },
    AveragePool2d(PoolOptions),
    MaxPool2d(PoolOptions),
    Mean { keep_dims: bool },
    Pad,
    Reshape,
    Softmax { beta: f32 },
    Concatenation { axis: i32, activation: Activation },
    Quantize,
    Dequantize,
    Logistic,
    Tanh,
    HardSwish,
    Relu,
    Relu6,
    LeakyRelu { alpha: f32 },
    Mul { activation: Activation },
    Sub { activation: Activation },
    Maximum,
    Minimum,
    Prelu,
    L2Normalization { activation: Activation },
    ResizeNearestNeighbor { align_corners: bool, half_pixel_centers: bool },
    ResizeBilinear { align_corners: bool, half_pixel_centers: bool },
    DepthToSpace { block: i32 },
    SpaceToDepth { block: i32 },
    Slice,
    StridedSlice(SliceMasks),
    Tile,
    Repeat { axis: usize, times: usize },
    Transpose,
    ReverseV2,
    BroadcastTo,
    Gather { axis: i32, batch_dims: i32 },
    Sum { keep_dims: bool },
    ReduceMax { keep_dims: bool },
    ReduceMin { keep_dims: bool },
}

impl OpKind {
    /// The TFLite builtin name.
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::Conv2d(_) => "CONV_2D",
            OpKind::TransposeConv(_) => "TRANSPOSE_CONV",
            OpKind::DepthwiseConv2d { .. } => "DEPTHWISE_CONV_2D",
            OpKind::FullyConnected { .. } => "FULLY_CONNECTED",
            OpKind::Add { .. } => "ADD",
            OpKind::AveragePool2d(_) => "AVERAGE_POOL_2D",
            OpKind::MaxPool2d(_) => "MAX_POOL_2D",
            OpKind::Mean { .. } => "MEAN",
            OpKind::Pad => "PAD",
            OpKind::Reshape => "RESHAPE",
            OpKind::Softmax { .. } => "SOFTMAX",
            OpKind::Concatenation { .. } => "CONCATENATION",
            OpKind::Quantize => "QUANTIZE",
            OpKind::Dequantize => "DEQUANTIZE",
            OpKind::Logistic => "LOGISTIC",
            OpKind::Tanh => "TANH",
            OpKind::HardSwish => "HARD_SWISH",
            OpKind::Relu => "RELU",
            OpKind::Relu6 => "RELU6",
            OpKind::LeakyRelu { .. } => "LEAKY_RELU",
            OpKind::Mul { .. } => "MUL",
            OpKind::Sub { .. } => "SUB",
            OpKind::Maximum => "MAXIMUM",
            OpKind::Minimum => "MINIMUM",
            OpKind::Prelu => "PRELU",
            OpKind::L2Normalization { .. } => "L2_NORMALIZATION",
            OpKind::ResizeNearestNeighbor { .. } => "RESIZE_NEAREST_NEIGHBOR",
            OpKind::ResizeBilinear { .. } => "RESIZE_BILINEAR",
            OpKind::DepthToSpace { .. } => "DEPTH_TO_SPACE",
            OpKind::SpaceToDepth { .. } => "SPACE_TO_DEPTH",
            OpKind::Slice => "SLICE",
            OpKind::StridedSlice(_) => "STRIDED_SLICE",
            OpKind::Tile | OpKind::Repeat { .. } => "TILE",
            OpKind::Transpose => "TRANSPOSE",
            OpKind::ReverseV2 => "REVERSE_V2",
            OpKind::BroadcastTo => "BROADCAST_TO",
            OpKind::Gather { .. } => "GATHER",
            OpKind::Sum { .. } => "SUM",
            OpKind::ReduceMax { .. } => "REDUCE_MAX",
            OpKind::ReduceMin { .. } => "REDUCE_MIN",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: OpKind,
    /// Tensor indices; `None` where the model leaves an optional input out (e.g. no bias).
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<usize>,
}

impl Op {
    /// The index of input `i`, if present.
    pub fn input(&self, i: usize) -> Option<usize> {
        self.inputs.get(i).copied().flatten()
    }
}

/// One subgraph of a TFLite model, validated: indices in range, shapes consistent.
#[derive(Debug, Clone)]
pub struct Graph {
    pub tensors: Vec<Tensor>,
    pub ops: Vec<Op>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
}

impl Graph {
    /// Tensor indices that are computed at run time (not constants), in first-use order.
    pub fn activations(&self) -> Vec<usize> {
        let mut seen = vec![false; self.tensors.len()];
        let mut order = Vec::new();
        let all = self
            .inputs
            .iter()
            .chain(self.ops.iter().flat_map(|op| op.inputs.iter().flatten().chain(op.outputs.iter())));
        for &t in all {
            if !seen[t] && !self.tensors[t].is_constant() {
                seen[t] = true;
                order.push(t);
            }
        }
        order
    }
}
