//! Random int8 models for conformance: single ops and small graphs over every supported op
//! and variant, with random shapes, strides, paddings, dilations, scales and zero points.
//!
//! [`Gen`] holds the model being built and the draws every op shares (scales, zero points,
//! weights, biases, paddings); each op family adds its builders in a file of its own:
//! [`conv`] (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, dilated convs as converters wrap
//! them, FULLY_CONNECTED), [`pool`] (pooling and reductions), [`elementwise`] (binary ops
//! and the blocks built on them), [`activation`] (LUT activations, PRELU, L2_NORMALIZATION,
//! SOFTMAX), [`shape`] (reshapes, and the shape arithmetic and tiling converters emit),
//! [`movement`] (padding, concatenation, slicing, splitting, transposing, gathering,
//! resizing) and [`quantize`] (QUANTIZE, DEQUANTIZE). Options are written with the
//! schema's names from [`super::writer`].

mod activation;
mod conv;
mod elementwise;
mod movement;
mod pool;
mod quantize;
mod shape;

use super::writer::{self, activation_function_type, padding, Field, ModelSpec, TensorSpec, I32, I8};
use rand::rngs::StdRng;
use rand::Rng;

pub use mcupatch::model::schema::builtin::*;

/// `BuiltinOperator` EXP: an op outside mcupatch's set (its builtin table has no name for it).
pub const EXP: i32 = 47;

/// An operator's options: the `BuiltinOptions` tag and the table's fields (slot, value).
type Options = (u8, Vec<(u16, Field)>);

/// A feature map being built: its tensor index, NHWC shape and quantization.
#[derive(Clone, Copy, Debug)]
pub struct Map {
    pub t: i32,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub scale: f32,
    pub zp: i64,
}

pub struct Gen<'r> {
    pub rng: &'r mut StdRng,
    pub spec: ModelSpec,
    pub notes: Vec<String>,
}

impl<'r> Gen<'r> {
    pub fn new(rng: &'r mut StdRng) -> Self {
        Gen { rng, spec: ModelSpec::default(), notes: Vec::new() }
    }

    fn scale(&mut self) -> f32 {
        // Log-uniform in [0.002, 0.2].
        (0.002f32.ln() + self.rng.gen::<f32>() * (100f32).ln()).exp()
    }

    fn zp(&mut self) -> i64 {
        self.rng.gen_range(-128..=127)
    }

    pub fn activation_tensor(&mut self, name: &str, shape: Vec<usize>, scale: f32, zp: i64) -> i32 {
        self.spec.tensor(TensorSpec {
            name: name.into(),
            shape: shape.iter().map(|&d| d as i32).collect(),
            dtype: I8,
            scales: vec![scale],
            zero_points: vec![zp],
            ..Default::default()
        })
    }

    pub fn map(&mut self, name: &str, h: usize, w: usize, c: usize, scale: f32, zp: i64) -> Map {
        let t = self.activation_tensor(name, vec![1, h, w, c], scale, zp);
        Map { t, h, w, c, scale, zp }
    }

    /// A fresh output map with random quantization.
    fn out_map(&mut self, name: &str, h: usize, w: usize, c: usize, scale: f32) -> Map {
        let zp = self.zp();
        self.map(name, h, w, c, scale, zp)
    }

    /// The model input: random size and quantization.
    pub fn input(&mut self, max_hw: usize, max_c: usize) -> Map {
        let (h, w, c) = (self.rng.gen_range(1..=max_hw), self.rng.gen_range(1..=max_hw), self.rng.gen_range(1..=max_c));
        let (scale, zp) = (self.scale(), self.zp());
        let m = self.map("input", h, w, c, scale, zp);
        self.spec.inputs = vec![m.t];
        m
    }

    /// A random `fused_activation_function`.
    fn activation_code(&mut self) -> i8 {
        use activation_function_type::{NONE, RELU, RELU6, RELU_N1_TO_1};
        [NONE, RELU, RELU_N1_TO_1, RELU6][self.rng.gen_range(0..4)]
    }

    fn int8_weights(&mut self, name: &str, shape: Vec<usize>, scales: Vec<f32>, axis: i32) -> i32 {
        let n: usize = shape.iter().product();
        let data: Vec<u8> = (0..n).map(|_| self.rng.gen_range(-127i8..=127) as u8).collect();
        let zps = vec![0; scales.len()];
        self.spec.tensor(TensorSpec {
            name: name.into(),
            shape: shape.iter().map(|&d| d as i32).collect(),
            dtype: I8,
            data: Some(data),
            scales,
            zero_points: zps,
            axis,
        })
    }

    /// An int32 bias quantized as converters emit it (scale = input scale × filter scale,
    /// per channel when the filter is): TFLM refuses a fully connected op whose bias scale
    /// is off by more than 2 % of the output scale.
    fn bias(&mut self, name: &str, n: usize, magnitude: i32, input_scale: f32, filter_scales: &[f32]) -> i32 {
        let data: Vec<u8> = (0..n).flat_map(|_| self.rng.gen_range(-magnitude..=magnitude).to_le_bytes()).collect();
        let scales: Vec<f32> = filter_scales.iter().map(|s| s * input_scale).collect();
        let zero_points = vec![0; scales.len()];
        self.spec.tensor(TensorSpec {
            name: name.into(),
            shape: vec![n as i32],
            dtype: I32,
            data: Some(data),
            scales,
            zero_points,
            axis: 0,
        })
    }

    pub fn int32_const(&mut self, name: &str, shape: Vec<i32>, values: &[i32]) -> i32 {
        let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.spec.tensor(TensorSpec { name: name.into(), shape, dtype: I32, data: Some(data), ..Default::default() })
    }

    /// An int8 constant of `shape` with random values and the given quantization.
    pub fn int8_const(&mut self, name: &str, shape: Vec<usize>, scale: f32, zp: i64) -> i32 {
        let n: usize = shape.iter().product();
        let data: Vec<u8> = (0..n).map(|_| self.rng.gen::<u8>()).collect();
        self.spec.tensor(TensorSpec {
            name: name.into(),
            shape: shape.iter().map(|&d| d as i32).collect(),
            dtype: I8,
            data: Some(data),
            scales: vec![scale],
            zero_points: vec![zp],
            axis: 0,
        })
    }

    /// Output scale so that accumulators of `terms` products land mostly inside int8.
    fn accumulator_scale(&mut self, input_scale: f32, weight_scale: f32, terms: usize) -> f32 {
        let spread = (terms as f32).sqrt() * 127.0 * 40.0 / 127.0;
        input_scale * weight_scale * spread * self.rng.gen_range(0.5..3.0)
    }

    /// SAME or VALID, falling back to SAME when VALID leaves no output.
    fn padding(&mut self, size: (usize, usize), effective: (usize, usize)) -> i8 {
        if self.rng.gen_bool(0.5) && size.0 >= effective.0 && size.1 >= effective.1 {
            padding::VALID
        } else {
            padding::SAME
        }
    }

    fn out_size(size: usize, effective: usize, stride: usize, padding: i8) -> usize {
        if padding == padding::SAME {
            size.div_ceil(stride)
        } else {
            (size - effective) / stride + 1
        }
    }

    /// An axis of a rank-`rank` tensor, written negative now and then.
    fn written_axis(&mut self, a: usize, rank: usize) -> i32 {
        if self.rng.gen_bool(0.3) {
            a as i32 - rank as i32
        } else {
            a as i32
        }
    }

    pub fn finish(&mut self, output: i32) -> (Vec<u8>, String) {
        self.spec.outputs = vec![output];
        (self.spec.to_bytes(), self.notes.join(" → "))
    }
}
