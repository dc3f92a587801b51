//! Int8 kernels, one op a file, bit-exact with TFLite Micro's reference kernels.
//!
//! Each kernel is prepared once from the graph (`prepare`: validate shapes and types,
//! compute multipliers, padding and clamps — may fail) and then evaluated (`eval`: plain
//! loops that cannot fail). Spatial kernels compute an output region `[y0,y1)×[x0,x1)` from
//! an input view that knows its origin, so layer-by-layer execution (the region is the whole
//! output) and patch-based execution (the region is a tile) share them unchanged.

pub mod add;
pub mod add_sub;
pub mod broadcast_to;
pub mod concatenation;
pub mod conv2d;
pub mod depth_to_space;
pub mod depthwise_conv2d;
pub mod dequantize;
pub mod elementwise;
pub mod fast;
pub mod fully_connected;
pub mod gather;
pub mod hard_swish;
pub mod l2_normalization;
pub mod leaky_relu;
mod locality;
pub mod logistic;
pub mod lut;
pub mod maximum_minimum;
pub mod mean;
pub mod mul;
pub mod pad;
pub mod pool2d;
pub mod prelu;
pub mod prepare;
pub mod quantize;
pub mod reduce;
pub mod relu;
pub mod remap;
pub mod reshape;
pub mod resize_bilinear;
pub mod resize_nearest_neighbor;
pub mod reverse;
pub mod slice;
pub mod softmax;
pub mod strided_slice;
pub mod tanh;
pub mod tile;
pub mod transpose;
pub mod transpose_conv;

use crate::error::Result;
use crate::geometry::{as_i8, as_i8_mut, Fmap, FmapMut, Region};
use crate::model::{Graph, Op, OpKind};
use prepare::Ctx;

/// A prepared op, ready to run.
#[derive(Debug, Clone)]
pub enum Kernel {
    Conv2d(conv2d::Conv2d),
    TransposeConv(transpose_conv::TransposeConv),
    DepthwiseConv2d(depthwise_conv2d::DepthwiseConv2d),
    FullyConnected(fully_connected::FullyConnected),
    Add(add::Add),
    Pool2d(pool2d::Pool2d),
    Mean(mean::Mean),
    Pad(pad::Pad),
    Reshape,
    Softmax(softmax::Softmax),
    Concatenation(concatenation::Concatenation),
    Quantize(quantize::Quantize),
    Dequantize(dequantize::Dequantize),
    /// A one-input element-wise activation, tabulated.
    Lut(lut::Lut),
    /// A two-input element-wise op with broadcasting.
    Binary(elementwise::Binary),
    ResizeNearestNeighbor(resize_nearest_neighbor::ResizeNearestNeighbor),
    ResizeBilinear(resize_bilinear::ResizeBilinear),
    L2Normalization(l2_normalization::L2Normalization),
    /// DEPTH_TO_SPACE and SPACE_TO_DEPTH.
    DepthToSpace(depth_to_space::DepthToSpace),
    /// Data movement by index maps: SLICE (and the parts of SPLIT, SPLIT_V and UNPACK),
    /// STRIDED_SLICE, TILE, TRANSPOSE, GATHER, REVERSE_V2 and BROADCAST_TO.
    Remap(remap::Remap),
    /// SUM, REDUCE_MAX and REDUCE_MIN.
    Reduce(reduce::Reduce),
}

impl Kernel {
    /// Validates op `index` of `graph` and precomputes everything its evaluation needs.
    pub fn prepare(graph: &Graph, index: usize) -> Result<Kernel> {
        let cx = Ctx { graph, index, op: &graph.ops[index] };
        // Every kernel walks its tensors in rows of a dimension: none may be empty.
        for &t in cx.op.inputs.iter().flatten().chain(&cx.op.outputs) {
            let tensor = &graph.tensors[t];
            if !tensor.is_constant() && tensor.elements() == 0 {
                return Err(cx.err(format!("tensor {t} ('{}') of shape {:?} is empty", tensor.name, tensor.shape)));
            }
        }
        Ok(match &cx.op.kind {
            OpKind::Conv2d(o) => Kernel::Conv2d(conv2d::Conv2d::prepare(&cx, o)?),
            OpKind::TransposeConv(o) => Kernel::TransposeConv(transpose_conv::TransposeConv::prepare(&cx, o)?),
            OpKind::DepthwiseConv2d { conv, depth_multiplier } => {
                Kernel::DepthwiseConv2d(depthwise_conv2d::DepthwiseConv2d::prepare(&cx, conv, *depth_multiplier)?)
            }
            OpKind::FullyConnected { activation, keep_num_dims } => {
                Kernel::FullyConnected(fully_connected::FullyConnected::prepare(&cx, *activation, *keep_num_dims)?)
            }
            OpKind::Add { activation } => {
                // Two maps of one shape take the fast path; a constant or broadcast operand
                // (Keras' Rescaling, a BatchNorm after an Add) the broadcasting element-wise op.
                // Two constants are refused by ADD's own checks.
                let map = |i| cx.optional_input(i).filter(|t| !t.is_constant()).map(|t| &t.shape);
                let broadcast = match (map(0), map(1)) {
                    (Some(a), Some(b)) => a != b,
                    (a, b) => a.is_some() != b.is_some(),
                };
                match broadcast {
                    true => Kernel::Binary(elementwise::Binary::prepare(&cx, |xs, y| {
                        elementwise::BinaryOp::AddSub(add_sub::AddSub::add(xs, y, *activation))
                    })?),
                    false => Kernel::Add(add::Add::prepare(&cx, *activation)?),
                }
            }
            OpKind::AveragePool2d(o) => Kernel::Pool2d(pool2d::Pool2d::prepare(&cx, o, pool2d::PoolKind::Average)?),
            OpKind::MaxPool2d(o) => Kernel::Pool2d(pool2d::Pool2d::prepare(&cx, o, pool2d::PoolKind::Max)?),
            OpKind::Mean { keep_dims } => Kernel::Mean(mean::Mean::prepare(&cx, *keep_dims)?),
            OpKind::Pad => Kernel::Pad(pad::Pad::prepare(&cx)?),
            OpKind::Reshape => {
                reshape::prepare(&cx)?;
                Kernel::Reshape
            }
            OpKind::Softmax { beta } => Kernel::Softmax(softmax::Softmax::prepare(&cx, *beta)?),
            OpKind::Concatenation { axis, activation } => {
                Kernel::Concatenation(concatenation::Concatenation::prepare(&cx, *axis, *activation)?)
            }
            OpKind::Quantize => Kernel::Quantize(quantize::Quantize::prepare(&cx)?),
            OpKind::Dequantize => Kernel::Dequantize(dequantize::Dequantize::prepare(&cx)?),
            OpKind::Logistic => Kernel::Lut(logistic::prepare(&cx)?),
            OpKind::Tanh => Kernel::Lut(tanh::prepare(&cx)?),
            OpKind::HardSwish => Kernel::Lut(hard_swish::prepare(&cx)?),
            OpKind::Relu => Kernel::Lut(relu::prepare_relu(&cx)?),
            OpKind::Relu6 => Kernel::Lut(relu::prepare_relu6(&cx)?),
            OpKind::LeakyRelu { alpha } => Kernel::Lut(leaky_relu::prepare(&cx, *alpha)?),
            OpKind::Mul { activation } => Kernel::Binary(elementwise::Binary::prepare(&cx, |xs, y| {
                elementwise::BinaryOp::Mul(mul::Mul::new(xs, y, *activation))
            })?),
            OpKind::Sub { activation } => Kernel::Binary(elementwise::Binary::prepare(&cx, |xs, y| {
                elementwise::BinaryOp::AddSub(add_sub::AddSub::sub(xs, y, *activation))
            })?),
            OpKind::Maximum => {
                Kernel::Binary(elementwise::Binary::prepare(&cx, |_, _| elementwise::BinaryOp::Maximum)?)
            }
            OpKind::Minimum => {
                Kernel::Binary(elementwise::Binary::prepare(&cx, |_, _| elementwise::BinaryOp::Minimum)?)
            }
            OpKind::L2Normalization { activation } => {
                Kernel::L2Normalization(l2_normalization::L2Normalization::prepare(&cx, *activation)?)
            }
            OpKind::Prelu => Kernel::Binary(elementwise::Binary::prepare(&cx, |xs, y| {
                elementwise::BinaryOp::Prelu(prelu::Prelu::new(xs, y))
            })?),
            OpKind::ResizeNearestNeighbor { align_corners, half_pixel_centers } => Kernel::ResizeNearestNeighbor(
                resize_nearest_neighbor::ResizeNearestNeighbor::prepare(&cx, *align_corners, *half_pixel_centers)?,
            ),
            OpKind::ResizeBilinear { align_corners, half_pixel_centers } => Kernel::ResizeBilinear(
                resize_bilinear::ResizeBilinear::prepare(&cx, *align_corners, *half_pixel_centers)?,
            ),
            OpKind::DepthToSpace { block } => {
                Kernel::DepthToSpace(depth_to_space::DepthToSpace::prepare(&cx, *block, true)?)
            }
            OpKind::SpaceToDepth { block } => {
                Kernel::DepthToSpace(depth_to_space::DepthToSpace::prepare(&cx, *block, false)?)
            }
            OpKind::Slice => Kernel::Remap(slice::prepare(&cx)?),
            OpKind::StridedSlice(masks) => Kernel::Remap(strided_slice::prepare(&cx, *masks)?),
            OpKind::Tile => Kernel::Remap(tile::prepare(&cx)?),
            OpKind::Repeat { axis, times } => Kernel::Remap(tile::prepare_repeat(&cx, *axis, *times)?),
            OpKind::Transpose => Kernel::Remap(transpose::prepare(&cx)?),
            OpKind::ReverseV2 => Kernel::Remap(reverse::prepare(&cx)?),
            OpKind::BroadcastTo => Kernel::Remap(broadcast_to::prepare(&cx)?),
            OpKind::Gather { axis, batch_dims } => Kernel::Remap(gather::prepare(&cx, *axis, *batch_dims)?),
            OpKind::Sum { keep_dims } => {
                Kernel::Reduce(reduce::Reduce::prepare(&cx, reduce::Reduction::Sum, *keep_dims)?)
            }
            OpKind::ReduceMax { keep_dims } => {
                Kernel::Reduce(reduce::Reduce::prepare(&cx, reduce::Reduction::Max, *keep_dims)?)
            }
            OpKind::ReduceMin { keep_dims } => {
                Kernel::Reduce(reduce::Reduce::prepare(&cx, reduce::Reduction::Min, *keep_dims)?)
            }
        })
    }

    /// Every op of `graph`, prepared.
    pub fn prepare_all(graph: &Graph) -> Result<Vec<Kernel>> {
        (0..graph.ops.len()).map(|i| Kernel::prepare(graph, i)).collect()
    }

    /// Multiply-accumulates for the whole output (0 for data-movement ops).
    pub fn macs(&self) -> u64 {
        match self {
            Kernel::Conv2d(k) => k.macs(),
            Kernel::TransposeConv(k) => k.macs(),
            Kernel::DepthwiseConv2d(k) => k.macs(),
            Kernel::FullyConnected(k) => k.macs(),
            _ => 0,
        }
    }

    /// Bytes of constant data (weights, biases) the op reads from Flash.
    pub fn weight_bytes(graph: &Graph, op: &Op) -> usize {
        op.inputs.iter().flatten().filter_map(|&t| graph.tensors[t].data.as_ref()).map(Vec::len).sum()
    }

    /// Computes the whole output of a non-local op from whole inputs (byte slices of the
    /// arena). Local ops run through [`Kernel::eval_region`].
    pub fn eval(&self, inputs: &[&[u8]], output: &mut [u8]) {
        match self {
            Kernel::FullyConnected(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Mean(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Softmax(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Concatenation(k) => k.eval(inputs, output),
            Kernel::Reshape => reshape::eval(inputs[0], output),
            Kernel::Quantize(k) => k.eval(inputs[0], as_i8_mut(output)),
            Kernel::Dequantize(k) => k.eval(as_i8(inputs[0]), output),
            Kernel::Lut(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::L2Normalization(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Remap(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Reduce(k) => k.eval(as_i8(inputs[0]), as_i8_mut(output)),
            Kernel::Binary(k) => {
                let xs: Vec<&[i8]> = inputs.iter().map(|x| as_i8(x)).collect();
                k.eval(&xs, as_i8_mut(output))
            }
            Kernel::Add(k) => {
                let m = k.map;
                k.eval(
                    &m.view(as_i8(inputs[0])),
                    &m.view(as_i8(inputs[1])),
                    &mut m.view_mut(as_i8_mut(output)),
                    m.whole(),
                )
            }
            Kernel::Conv2d(_)
            | Kernel::TransposeConv(_)
            | Kernel::DepthwiseConv2d(_)
            | Kernel::Pool2d(_)
            | Kernel::Pad(_)
            | Kernel::ResizeNearestNeighbor(_)
            | Kernel::ResizeBilinear(_)
            | Kernel::DepthToSpace(_) => {
                let Some(shape) = self.output_map() else { return }; // local ops always have one
                let views: Vec<Fmap<i8>> =
                    inputs.iter().zip(self.input_maps()).map(|(data, m)| m.view(as_i8(data))).collect();
                let mut out = shape.view_mut(as_i8_mut(output));
                self.eval_region(&views, &mut out, shape.whole());
            }
        }
    }

    /// Computes `region` of a local op's output from inputs that cover `input_region(region)`.
    pub fn eval_region(&self, inputs: &[Fmap<i8>], out: &mut FmapMut<i8>, region: Region) {
        match self {
            Kernel::Conv2d(k) => k.eval(&inputs[0], out, region),
            Kernel::TransposeConv(k) => k.eval(&inputs[0], out, region),
            Kernel::DepthwiseConv2d(k) => k.eval(&inputs[0], out, region),
            Kernel::Pool2d(k) => k.eval(&inputs[0], out, region),
            Kernel::Pad(k) => k.eval(&inputs[0], out, region),
            Kernel::Add(k) => k.eval(&inputs[0], &inputs[1], out, region),
            Kernel::Concatenation(k) => k.eval_region(inputs, out, region),
            Kernel::Quantize(k) => k.eval_region(&inputs[0], out, region),
            Kernel::Lut(k) => k.eval_region(&inputs[0], out, region),
            Kernel::L2Normalization(k) => k.eval_region(&inputs[0], out, region),
            Kernel::Binary(k) => k.eval_region(inputs, out, region),
            Kernel::ResizeNearestNeighbor(k) => k.eval(&inputs[0], out, region),
            Kernel::ResizeBilinear(k) => k.eval(&inputs[0], out, region),
            Kernel::DepthToSpace(k) => k.eval(&inputs[0], out, region),
            Kernel::Remap(remap::Remap { spatial: Some(s), .. }) => s.eval(&inputs[0], out, region),
            Kernel::Reduce(k) => k.eval_region(&inputs[0], out, region),
            _ => unreachable!("eval_region is only called for local ops"),
        }
    }

    /// Computes `region` of the output over input `kept`, whose buffer `buf` holds that
    /// input's region and receives the output: for the ops the plan runs in place, a
    /// depthwise or 1×1 conv staging values in `temp` (the step's scratch), or an ADD
    /// reading its other summand from `others`.
    pub fn eval_in_place(
        &self,
        buf: &mut FmapMut<i8>,
        kept: usize,
        others: &[Fmap<i8>],
        temp: &mut [i8],
        region: Region,
    ) {
        match self {
            Kernel::DepthwiseConv2d(k) => k.eval_in_place(buf.data, buf.region, region, temp),
            Kernel::Conv2d(k) => k.eval_in_place(buf.data, region, temp),
            Kernel::Add(k) => k.eval_in_place(&others[0], buf, kept, region),
            _ => unreachable!("only depthwise and 1×1 convs and adds run in place"),
        }
    }
}
