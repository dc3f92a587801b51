//! A small TFLite writer for tests: builds real `.tflite` flatbuffers with the flatbuffers
//! builder, so that generated single-op and small-graph models run in both mcupatch and
//! TFLite Micro. Field slots follow `schema.fbs` (slot n at vtable offset 4 + 2n).

use flatbuffers::{FlatBufferBuilder, WIPOffset};

pub const F32: i8 = 0;
pub const I32: i8 = 2;
pub const I8: i8 = 9;

/// Option-table field values.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    I8(i8),
    I32(i32),
    F32(f32),
    Bool(bool),
}

#[derive(Clone, Debug, Default)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<i32>,
    pub dtype: i8,
    pub data: Option<Vec<u8>>,
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub axis: i32,
}

#[derive(Clone, Debug)]
pub struct OpSpec {
    pub builtin: i32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// Union tag and fields (slot, value) of the builtin options.
    pub options: Option<(u8, Vec<(u16, Field)>)>,
}

#[derive(Clone, Debug, Default)]
pub struct ModelSpec {
    pub tensors: Vec<TensorSpec>,
    pub ops: Vec<OpSpec>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
}

impl ModelSpec {
    /// Adds a tensor, returning its index.
    pub fn tensor(&mut self, t: TensorSpec) -> i32 {
        self.tensors.push(t);
        self.tensors.len() as i32 - 1
    }

    pub fn op(&mut self, builtin: i32, inputs: Vec<i32>, outputs: Vec<i32>, options: Option<(u8, Vec<(u16, Field)>)>) {
        self.ops.push(OpSpec { builtin, inputs, outputs, options });
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = FlatBufferBuilder::new();
        let slot = |n: u16| 4 + 2 * n;

        // Buffers: 0 is the empty sentinel, then one per constant tensor.
        let mut buffers = vec![{
            let s = b.start_table();
            b.end_table(s)
        }];
        let mut buffer_of = Vec::new();
        for t in &self.tensors {
            match &t.data {
                Some(d) => {
                    let v = b.create_vector(d);
                    let s = b.start_table();
                    b.push_slot_always::<WIPOffset<_>>(slot(0), v);
                    buffers.push(b.end_table(s));
                    buffer_of.push(buffers.len() as u32 - 1);
                }
                None => buffer_of.push(0),
            }
        }

        let mut tensors = Vec::new();
        for (t, &buffer) in self.tensors.iter().zip(&buffer_of) {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(&t.name);
            let quant = (!t.scales.is_empty()).then(|| {
                let scales = b.create_vector(&t.scales);
                let zps = b.create_vector(&t.zero_points);
                let s = b.start_table();
                b.push_slot_always::<WIPOffset<_>>(slot(2), scales);
                b.push_slot_always::<WIPOffset<_>>(slot(3), zps);
                b.push_slot_always::<i32>(slot(6), t.axis);
                b.end_table(s)
            });
            let s = b.start_table();
            b.push_slot_always::<WIPOffset<_>>(slot(0), shape);
            b.push_slot_always::<i8>(slot(1), t.dtype);
            b.push_slot_always::<u32>(slot(2), buffer);
            b.push_slot_always::<WIPOffset<_>>(slot(3), name);
            if let Some(q) = quant {
                b.push_slot_always::<WIPOffset<_>>(slot(4), q);
            }
            tensors.push(b.end_table(s));
        }

        let mut codes: Vec<i32> = Vec::new();
        let mut ops = Vec::new();
        for op in &self.ops {
            let index = codes.iter().position(|&c| c == op.builtin).unwrap_or_else(|| {
                codes.push(op.builtin);
                codes.len() - 1
            });
            let inputs = b.create_vector(&op.inputs);
            let outputs = b.create_vector(&op.outputs);
            let options = op.options.as_ref().map(|(tag, fields)| {
                let s = b.start_table();
                for &(n, v) in fields {
                    match v {
                        Field::I8(v) => b.push_slot_always::<i8>(slot(n), v),
                        Field::I32(v) => b.push_slot_always::<i32>(slot(n), v),
                        Field::F32(v) => b.push_slot_always::<f32>(slot(n), v),
                        Field::Bool(v) => b.push_slot_always::<bool>(slot(n), v),
                    }
                }
                (*tag, b.end_table(s))
            });
            let s = b.start_table();
            b.push_slot_always::<u32>(slot(0), index as u32);
            b.push_slot_always::<WIPOffset<_>>(slot(1), inputs);
            b.push_slot_always::<WIPOffset<_>>(slot(2), outputs);
            if let Some((tag, table)) = options {
                b.push_slot_always::<u8>(slot(3), tag);
                b.push_slot_always::<WIPOffset<_>>(slot(4), table);
            }
            ops.push(b.end_table(s));
        }

        let tensors = b.create_vector(&tensors);
        let inputs = b.create_vector(&self.inputs);
        let outputs = b.create_vector(&self.outputs);
        let ops = b.create_vector(&ops);
        let name = b.create_string("main");
        let s = b.start_table();
        b.push_slot_always::<WIPOffset<_>>(slot(0), tensors);
        b.push_slot_always::<WIPOffset<_>>(slot(1), inputs);
        b.push_slot_always::<WIPOffset<_>>(slot(2), outputs);
        b.push_slot_always::<WIPOffset<_>>(slot(3), ops);
        b.push_slot_always::<WIPOffset<_>>(slot(4), name);
        let subgraph = b.end_table(s);

        let codes: Vec<_> = codes
            .iter()
            .map(|&c| {
                let s = b.start_table();
                b.push_slot_always::<i8>(slot(0), c.min(127) as i8);
                b.push_slot_always::<i32>(slot(2), 1);
                b.push_slot_always::<i32>(slot(3), c);
                b.end_table(s)
            })
            .collect();
        let codes = b.create_vector(&codes);
        let subgraphs = b.create_vector(&[subgraph]);
        let buffers = b.create_vector(&buffers);
        let description = b.create_string("mcupatch test model");
        let s = b.start_table();
        b.push_slot_always::<u32>(slot(0), 3);
        b.push_slot_always::<WIPOffset<_>>(slot(1), codes);
        b.push_slot_always::<WIPOffset<_>>(slot(2), subgraphs);
        b.push_slot_always::<WIPOffset<_>>(slot(3), description);
        b.push_slot_always::<WIPOffset<_>>(slot(4), buffers);
        let model = b.end_table(s);
        b.finish(model, Some("TFL3"));
        b.finished_data().to_vec()
    }
}

// The schema's names for the numbers an operator's options are written with (schema.fbs).
// Each options table is a module named after it, holding its fields' slots (a field's place
// in the table's declaration, deprecated fields included); `builtin_options` holds the union
// tags that say which table an operator carries.

/// The `BuiltinOptions` union's tags: which options table follows an operator.
pub mod builtin_options {
    pub const CONV_2D_OPTIONS: u8 = 1;
    pub const DEPTHWISE_CONV_2D_OPTIONS: u8 = 2;
    pub const POOL_2D_OPTIONS: u8 = 5;
    pub const FULLY_CONNECTED_OPTIONS: u8 = 8;
    pub const SOFTMAX_OPTIONS: u8 = 9;
    pub const CONCATENATION_OPTIONS: u8 = 10;
    pub const ADD_OPTIONS: u8 = 11;
    pub const L2_NORM_OPTIONS: u8 = 12;
    pub const RESIZE_BILINEAR_OPTIONS: u8 = 15;
    pub const SPACE_TO_DEPTH_OPTIONS: u8 = 19;
    pub const MUL_OPTIONS: u8 = 21;
    pub const GATHER_OPTIONS: u8 = 23;
    pub const REDUCER_OPTIONS: u8 = 27;
    pub const SUB_OPTIONS: u8 = 28;
    pub const STRIDED_SLICE_OPTIONS: u8 = 32;
    pub const SPLIT_OPTIONS: u8 = 35;
    pub const TRANSPOSE_CONV_OPTIONS: u8 = 49;
    pub const SHAPE_OPTIONS: u8 = 55;
    pub const PACK_OPTIONS: u8 = 59;
    pub const UNPACK_OPTIONS: u8 = 64;
    pub const RESIZE_NEAREST_NEIGHBOR_OPTIONS: u8 = 74;
    pub const LEAKY_RELU_OPTIONS: u8 = 75;
    pub const SPLIT_V_OPTIONS: u8 = 79;
    pub const DEPTH_TO_SPACE_OPTIONS: u8 = 94;
}

/// `enum Padding`, the value of a `padding` field.
pub mod padding {
    pub const SAME: i8 = 0;
    pub const VALID: i8 = 1;
}

/// `enum ActivationFunctionType`, the value of a `fused_activation_function` field.
pub mod activation_function_type {
    pub const NONE: i8 = 0;
    pub const RELU: i8 = 1;
    pub const RELU_N1_TO_1: i8 = 2;
    pub const RELU6: i8 = 3;
}

/// `Conv2DOptions`.
pub mod conv_2d_options {
    pub const PADDING: u16 = 0;
    pub const STRIDE_W: u16 = 1;
    pub const STRIDE_H: u16 = 2;
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 3;
    pub const DILATION_W_FACTOR: u16 = 4;
    pub const DILATION_H_FACTOR: u16 = 5;
}

/// `DepthwiseConv2DOptions`.
pub mod depthwise_conv_2d_options {
    pub const PADDING: u16 = 0;
    pub const STRIDE_W: u16 = 1;
    pub const STRIDE_H: u16 = 2;
    pub const DEPTH_MULTIPLIER: u16 = 3;
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 4;
    pub const DILATION_W_FACTOR: u16 = 5;
    pub const DILATION_H_FACTOR: u16 = 6;
}

/// `TransposeConvOptions`.
pub mod transpose_conv_options {
    pub const PADDING: u16 = 0;
    pub const STRIDE_W: u16 = 1;
    pub const STRIDE_H: u16 = 2;
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 3;
}

/// `Pool2DOptions`.
pub mod pool_2d_options {
    pub const PADDING: u16 = 0;
    pub const STRIDE_W: u16 = 1;
    pub const STRIDE_H: u16 = 2;
    pub const FILTER_WIDTH: u16 = 3;
    pub const FILTER_HEIGHT: u16 = 4;
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 5;
}

/// `FullyConnectedOptions`.
pub mod fully_connected_options {
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 0;
    pub const KEEP_NUM_DIMS: u16 = 2;
}

/// `SoftmaxOptions`.
pub mod softmax_options {
    pub const BETA: u16 = 0;
}

/// `ConcatenationOptions`.
pub mod concatenation_options {
    pub const AXIS: u16 = 0;
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 1;
}

/// `AddOptions`.
pub mod add_options {
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 0;
}

/// `MulOptions`.
pub mod mul_options {
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 0;
}

/// `SubOptions`.
pub mod sub_options {
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 0;
}

/// `L2NormOptions`.
pub mod l2_norm_options {
    pub const FUSED_ACTIVATION_FUNCTION: u16 = 0;
}

/// `LeakyReluOptions`.
pub mod leaky_relu_options {
    pub const ALPHA: u16 = 0;
}

/// `ResizeBilinearOptions` (after the deprecated `new_height` and `new_width`).
pub mod resize_bilinear_options {
    pub const ALIGN_CORNERS: u16 = 2;
    pub const HALF_PIXEL_CENTERS: u16 = 3;
}

/// `ResizeNearestNeighborOptions`.
pub mod resize_nearest_neighbor_options {
    pub const ALIGN_CORNERS: u16 = 0;
    pub const HALF_PIXEL_CENTERS: u16 = 1;
}

/// `SpaceToDepthOptions`.
pub mod space_to_depth_options {
    pub const BLOCK_SIZE: u16 = 0;
}

/// `DepthToSpaceOptions`.
pub mod depth_to_space_options {
    pub const BLOCK_SIZE: u16 = 0;
}

/// `ReducerOptions` (MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN).
pub mod reducer_options {
    pub const KEEP_DIMS: u16 = 0;
}

/// `GatherOptions`.
pub mod gather_options {
    pub const AXIS: u16 = 0;
    pub const BATCH_DIMS: u16 = 1;
}

/// `StridedSliceOptions`.
pub mod strided_slice_options {
    pub const BEGIN_MASK: u16 = 0;
    pub const END_MASK: u16 = 1;
    pub const SHRINK_AXIS_MASK: u16 = 4;
    pub const OFFSET: u16 = 5;
}

/// `SplitOptions`.
pub mod split_options {
    pub const NUM_SPLITS: u16 = 0;
}

/// `SplitVOptions`.
pub mod split_v_options {
    pub const NUM_SPLITS: u16 = 0;
}

/// `ShapeOptions`.
pub mod shape_options {
    pub const OUT_TYPE: u16 = 0;
}

/// `PackOptions`.
pub mod pack_options {
    pub const VALUES_COUNT: u16 = 0;
    pub const AXIS: u16 = 1;
}

/// `UnpackOptions`.
pub mod unpack_options {
    pub const NUM: u16 = 0;
    pub const AXIS: u16 = 1;
}
