//! Random int8 models for conformance: single ops and small graphs over every supported op
//! and variant, with random shapes, strides, paddings, dilations, scales and zero points.

use super::writer::{Field, ModelSpec, TensorSpec, F32, I32, I8};
use rand::rngs::StdRng;
use rand::Rng;

pub use mcupatch::model::schema::builtin::*;

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

    fn activation_code(&mut self) -> i8 {
        [0, 1, 2, 3][self.rng.gen_range(0..4)]
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

    /// Output scale so that accumulators of `terms` products land mostly inside int8.
    fn accumulator_scale(&mut self, input_scale: f32, weight_scale: f32, terms: usize) -> f32 {
        let spread = (terms as f32).sqrt() * 127.0 * 40.0 / 127.0;
        input_scale * weight_scale * spread * self.rng.gen_range(0.5..3.0)
    }

    /// SAME or VALID, falling back to SAME when VALID leaves no output.
    fn padding(&mut self, size: (usize, usize), effective: (usize, usize)) -> i8 {
        if self.rng.gen_bool(0.5) && size.0 >= effective.0 && size.1 >= effective.1 {
            1
        } else {
            0
        }
    }

    fn out_size(size: usize, effective: usize, stride: usize, padding: i8) -> usize {
        if padding == 0 {
            size.div_ceil(stride)
        } else {
            (size - effective) / stride + 1
        }
    }

    pub fn conv(&mut self, x: Map, depthwise: bool) -> Map {
        // Kernels no larger than the map: TFLM's depthwise kernel crashes on a 4×5 filter
        // over a 1×1 map.
        let k = (self.rng.gen_range(1..=5.min(x.h)), self.rng.gen_range(1..=5.min(x.w)));
        let stride = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let dilation =
            if self.rng.gen_bool(0.3) { (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3)) } else { (1, 1) };
        let effective = ((k.0 - 1) * dilation.0 + 1, (k.1 - 1) * dilation.1 + 1);
        let padding = self.padding((x.h, x.w), effective);
        let (oh, ow) =
            (Self::out_size(x.h, effective.0, stride.0, padding), Self::out_size(x.w, effective.1, stride.1, padding));
        let (dm, groups) = if depthwise { (self.rng.gen_range(1..=3), 1) } else { (1, 1) };
        let oc = if depthwise { x.c * dm } else { self.rng.gen_range(1..=12) };
        let per_channel = self.rng.gen_bool(0.8);
        let base = self.scale() * 0.1;
        let scales: Vec<f32> =
            if per_channel { (0..oc).map(|_| base * self.rng.gen_range(0.2..2.0)).collect() } else { vec![base] };
        let terms = k.0 * k.1 * if depthwise { 1 } else { x.c / groups };
        let out_scale = self.accumulator_scale(x.scale, base, terms);
        let act = self.activation_code();
        let filter = if depthwise {
            self.int8_weights("dw_filter", vec![1, k.0, k.1, oc], scales.clone(), 3)
        } else {
            self.int8_weights("filter", vec![oc, k.0, k.1, x.c], scales.clone(), 0)
        };
        // TFLM's depthwise kernel dereferences a missing bias in Prepare and crashes, so
        // only plain convolutions go without one.
        let with_bias = depthwise || self.rng.gen_bool(0.85);
        let bias = if with_bias { self.bias("bias", oc, 2000, x.scale, &scales) } else { -1 };
        let y = self.out_map(if depthwise { "dw_out" } else { "conv_out" }, oh, ow, oc, out_scale);
        let mut fields =
            vec![(0, Field::I8(padding)), (1, Field::I32(stride.1 as i32)), (2, Field::I32(stride.0 as i32))];
        if depthwise {
            fields.extend([
                (3, Field::I32(dm as i32)),
                (4, Field::I8(act)),
                (5, Field::I32(dilation.1 as i32)),
                (6, Field::I32(dilation.0 as i32)),
            ]);
        } else {
            fields.extend([
                (3, Field::I8(act)),
                (4, Field::I32(dilation.1 as i32)),
                (5, Field::I32(dilation.0 as i32)),
            ]);
        }
        let (code, tag) = if depthwise { (DEPTHWISE_CONV_2D, 2) } else { (CONV_2D, 1) };
        self.spec.op(code, vec![x.t, filter, bias], vec![y.t], Some((tag, fields)));
        self.notes.push(format!(
            "{} k{k:?} s{stride:?} d{dilation:?} {} dm{dm} act{act} {}x{}x{}→{oh}x{ow}x{oc}{}",
            if depthwise { "dw" } else { "conv" },
            if padding == 0 { "SAME" } else { "VALID" },
            x.h,
            x.w,
            x.c,
            if per_channel { " per-channel" } else { "" }
        ));
        y
    }

    /// TRANSPOSE_CONV as Keras' Conv2DTranspose converts: stride 1–3, SAME (output = input ·
    /// stride) or VALID (output = (input − 1) · stride + kernel), kernels smaller or larger
    /// than the stride, per-channel or per-tensor weights, with or without a bias.
    pub fn transpose_conv(&mut self, x: Map) -> Map {
        let k = (self.rng.gen_range(1..=4), self.rng.gen_range(1..=4));
        let stride = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let same = self.rng.gen_bool(0.5);
        let (oh, ow) = if same {
            (x.h * stride.0, x.w * stride.1)
        } else {
            ((x.h - 1) * stride.0 + k.0, (x.w - 1) * stride.1 + k.1)
        };
        let oc = self.rng.gen_range(1..=8);
        let per_channel = self.rng.gen_bool(0.8);
        let base = self.scale() * 0.1;
        let scales: Vec<f32> =
            if per_channel { (0..oc).map(|_| base * self.rng.gen_range(0.2..2.0)).collect() } else { vec![base] };
        let terms = (k.0 * k.1 * x.c).div_ceil(stride.0 * stride.1);
        let out_scale = self.accumulator_scale(x.scale, base, terms);
        let filter = self.int8_weights("tconv_filter", vec![oc, k.0, k.1, x.c], scales.clone(), 0);
        let with_bias = self.rng.gen_bool(0.7);
        let shape = self.int32_const("output_shape", vec![4], &[1, oh as i32, ow as i32, oc as i32]);
        let act = self.activation_code();
        let mut inputs = vec![shape, filter, x.t];
        if with_bias {
            inputs.push(self.bias("bias", oc, 2000, x.scale, &scales));
        }
        let y = self.out_map("tconv_out", oh, ow, oc, out_scale);
        let padding = if same { 0 } else { 1 };
        let fields = vec![
            (0, Field::I8(padding)),
            (1, Field::I32(stride.1 as i32)),
            (2, Field::I32(stride.0 as i32)),
            (3, Field::I8(act)),
        ];
        self.spec.op(TRANSPOSE_CONV, inputs, vec![y.t], Some((49, fields)));
        self.notes.push(format!(
            "tconv k{k:?} s{stride:?} {} act{act} {}x{}x{}→{oh}x{ow}x{oc}{}{}",
            if same { "SAME" } else { "VALID" },
            x.h,
            x.w,
            x.c,
            if per_channel { " per-channel" } else { "" },
            if with_bias { "" } else { " no bias" }
        ));
        y
    }

    pub fn pool(&mut self, x: Map, max: bool) -> Map {
        let k = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let stride = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let padding = self.padding((x.h, x.w), k);
        let (oh, ow) = (Self::out_size(x.h, k.0, stride.0, padding), Self::out_size(x.w, k.1, stride.1, padding));
        let act = self.activation_code();
        let y = self.map(if max { "max_pool" } else { "avg_pool" }, oh, ow, x.c, x.scale, x.zp);
        let fields = vec![
            (0, Field::I8(padding)),
            (1, Field::I32(stride.1 as i32)),
            (2, Field::I32(stride.0 as i32)),
            (3, Field::I32(k.1 as i32)),
            (4, Field::I32(k.0 as i32)),
            (5, Field::I8(act)),
        ];
        self.spec.op(if max { MAX_POOL_2D } else { AVERAGE_POOL_2D }, vec![x.t], vec![y.t], Some((5, fields)));
        self.notes.push(format!("{} k{k:?} s{stride:?} act{act}", if max { "maxpool" } else { "avgpool" }));
        y
    }

    /// ADD of `x` with a fresh 1×1 conv branch of it (a residual block), different scales.
    pub fn residual_add(&mut self, x: Map) -> Map {
        let w_scale = self.scale() * 0.1;
        let branch_scale = self.accumulator_scale(x.scale, w_scale, x.c);
        let filter = self.int8_weights("branch_filter", vec![x.c, 1, 1, x.c], vec![w_scale], 0);
        let branch = self.out_map("branch", x.h, x.w, x.c, branch_scale);
        self.spec.op(
            CONV_2D,
            vec![x.t, filter, -1],
            vec![branch.t],
            Some((1, vec![(0, Field::I8(0)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(0))])),
        );
        let out_scale = (x.scale.max(branch.scale)) * self.rng.gen_range(0.8..2.5);
        let act = self.activation_code();
        let y = self.out_map("add", x.h, x.w, x.c, out_scale);
        self.spec.op(ADD, vec![x.t, branch.t], vec![y.t], Some((11, vec![(0, Field::I8(act))])));
        self.notes.push(format!("add act{act}"));
        y
    }

    pub fn pad(&mut self, x: Map) -> Map {
        let p: Vec<usize> = (0..4).map(|_| self.rng.gen_range(0..=2)).collect();
        let paddings =
            self.int32_const("paddings", vec![4, 2], &[0, 0, p[0] as i32, p[1] as i32, p[2] as i32, p[3] as i32, 0, 0]);
        let y = self.map("pad", x.h + p[0] + p[1], x.w + p[2] + p[3], x.c, x.scale, x.zp);
        if self.rng.gen_bool(0.5) {
            self.spec.op(PAD, vec![x.t, paddings], vec![y.t], None);
            self.notes.push(format!("pad {p:?}"));
        } else {
            let value: i8 = self.rng.gen();
            let v = self.spec.tensor(TensorSpec {
                name: "pad_value".into(),
                shape: vec![],
                dtype: I8,
                data: Some(vec![value as u8]),
                scales: vec![x.scale],
                zero_points: vec![x.zp],
                axis: 0,
            });
            self.spec.op(PADV2, vec![x.t, paddings, v], vec![y.t], None);
            self.notes.push(format!("padv2 {p:?} value {value}"));
        }
        y
    }

    /// Concatenates `x` with a 1×1 conv branch of it along channels (same quantization).
    pub fn concat(&mut self, x: Map) -> Map {
        let extra = self.rng.gen_range(1..=6);
        let w_scale = self.scale() * 0.1;
        let filter = self.int8_weights("concat_branch_filter", vec![extra, 1, 1, x.c], vec![w_scale], 0);
        let branch = self.map("concat_branch", x.h, x.w, extra, x.scale, x.zp);
        self.spec.op(
            CONV_2D,
            vec![x.t, filter, -1],
            vec![branch.t],
            Some((1, vec![(0, Field::I8(0)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(0))])),
        );
        let y = self.map("concat", x.h, x.w, x.c + extra, x.scale, x.zp);
        let axis = if self.rng.gen_bool(0.5) { 3 } else { -1 };
        self.spec.op(
            CONCATENATION,
            vec![x.t, branch.t],
            vec![y.t],
            Some((10, vec![(0, Field::I32(axis)), (1, Field::I8(0))])),
        );
        self.notes.push(format!("concat +{extra} axis {axis}"));
        y
    }

    /// MEAN over H, W; returns the output tensor (rank 2 or 4) and channel count.
    pub fn mean(&mut self, x: Map) -> (i32, usize, f32) {
        let keep = self.rng.gen_bool(0.5);
        let axes = if self.rng.gen_bool(0.5) { vec![1, 2] } else { vec![2, 1] };
        let axis = self.int32_const("axes", vec![2], &axes);
        let scale = x.scale * self.rng.gen_range(0.5..2.0);
        let zp = self.zp();
        let shape = if keep { vec![1, 1, 1, x.c] } else { vec![1, x.c] };
        let y = self.activation_tensor("mean", shape, scale, zp);
        self.spec.op(MEAN, vec![x.t, axis], vec![y], Some((27, vec![(0, Field::Bool(keep))])));
        self.notes.push(format!("mean keep_dims {keep}"));
        (y, x.c, scale)
    }

    /// RESHAPE to [1, n] of a tensor with `n` elements.
    pub fn flatten(&mut self, t: i32, n: usize, scale: f32, zp: i64) -> i32 {
        let shape = self.int32_const("shape", vec![2], &[1, n as i32]);
        let y = self.activation_tensor("flatten", vec![1, n], scale, zp);
        self.spec.op(RESHAPE, vec![t, shape], vec![y], None);
        self.notes.push("reshape".into());
        y
    }

    pub fn fully_connected(&mut self, x: i32, batches: usize, depth: usize, scale: f32) -> (i32, usize, f32) {
        let units = self.rng.gen_range(1..=10);
        let per_channel = self.rng.gen_bool(0.3);
        let base = self.scale() * 0.1;
        let scales: Vec<f32> =
            if per_channel { (0..units).map(|_| base * self.rng.gen_range(0.3..2.0)).collect() } else { vec![base] };
        let filter = self.int8_weights("fc_weights", vec![units, depth], scales.clone(), 0);
        let bias = if self.rng.gen_bool(0.8) { self.bias("fc_bias", units, 3000, scale, &scales) } else { -1 };
        let out_scale = self.accumulator_scale(scale, base, depth);
        let zp = self.zp();
        let y = self.activation_tensor("fc", vec![batches, units], out_scale, zp);
        let act = self.activation_code();
        self.spec.op(FULLY_CONNECTED, vec![x, filter, bias], vec![y], Some((8, vec![(0, Field::I8(act))])));
        self.notes.push(format!("fc {depth}→{units} act{act}{}", if per_channel { " per-channel" } else { "" }));
        (y, units, out_scale)
    }

    pub fn softmax(&mut self, x: i32, shape: Vec<usize>) -> i32 {
        let beta = if self.rng.gen_bool(0.5) { 1.0 } else { self.rng.gen_range(0.3..2.0) };
        let y = self.activation_tensor("softmax", shape, 1.0 / 256.0, -128);
        self.spec.op(SOFTMAX, vec![x], vec![y], Some((9, vec![(0, Field::F32(beta))])));
        self.notes.push(format!("softmax beta {beta:.3}"));
        y
    }

    /// Float input → QUANTIZE → int8 map (the model's input becomes float).
    pub fn float_input(&mut self, max_hw: usize, max_c: usize) -> Map {
        let (h, w, c) = (self.rng.gen_range(1..=max_hw), self.rng.gen_range(1..=max_hw), self.rng.gen_range(1..=max_c));
        let f = self.spec.tensor(TensorSpec {
            name: "float_input".into(),
            shape: vec![1, h as i32, w as i32, c as i32],
            dtype: F32,
            ..Default::default()
        });
        self.spec.inputs = vec![f];
        let (scale, zp) = (self.scale() * 20.0, self.zp());
        let q = self.map("quantized", h, w, c, scale, zp);
        self.spec.op(QUANTIZE, vec![f], vec![q.t], None);
        self.notes.push("quantize".into());
        q
    }

    /// int8 → int8 QUANTIZE to new parameters (as converters insert before a concat).
    pub fn requantize(&mut self, x: Map) -> Map {
        let scale = x.scale * self.rng.gen_range(0.3..3.0);
        let zp = self.zp();
        let y = self.map("requantized", x.h, x.w, x.c, scale, zp);
        self.spec.op(QUANTIZE, vec![x.t], vec![y.t], None);
        self.notes.push(format!("requantize ×{:.2}", scale / x.scale));
        y
    }

    pub fn dequantize(&mut self, x: i32, shape: Vec<i32>) -> i32 {
        let y = self.spec.tensor(TensorSpec { name: "dequantized".into(), shape, dtype: F32, ..Default::default() });
        self.spec.op(DEQUANTIZE, vec![x], vec![y], None);
        self.notes.push("dequantize".into());
        y
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

    /// A one-input activation (LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU) with the
    /// output quantization TFLite requires or converters emit.
    pub fn activation(&mut self, x: Map, code: i32) -> Map {
        let (scale, zp) = match code {
            LOGISTIC => (1.0 / 256.0, -128),
            TANH => (1.0 / 128.0, 0),
            RELU6 => (x.scale, x.zp),
            // TFLM refuses an output scale below input scale / 128.
            _ => (x.scale * self.rng.gen_range(0.3..3.0), self.zp()),
        };
        let y = self.map("activation", x.h, x.w, x.c, scale, zp);
        let options = (code == LEAKY_RELU).then(|| {
            let alpha = self.rng.gen_range(0.01..0.5f32);
            self.notes.push(format!("alpha {alpha:.3}"));
            (75, vec![(0, Field::F32(alpha))])
        });
        self.spec.op(code, vec![x.t], vec![y.t], options);
        self.notes.push(mcupatch::model::schema::builtin_name(code));
        y
    }

    /// MUL, SUB, MAXIMUM or MINIMUM of `x` with a second operand: a 1×1 conv branch of `x`,
    /// or a constant of `x`'s shape or broadcast along some dimensions.
    pub fn binary(&mut self, x: Map, code: i32) -> Map {
        let same_quant = code == MAXIMUM || code == MINIMUM;
        let (other_scale, other_zp) = if same_quant { (x.scale, x.zp) } else { (self.scale() * 10.0, self.zp()) };
        let other = if self.rng.gen_bool(0.5) {
            let shape = vec![
                1,
                if self.rng.gen_bool(0.5) { x.h } else { 1 },
                if self.rng.gen_bool(0.5) { x.w } else { 1 },
                if self.rng.gen_bool(0.7) { x.c } else { 1 },
            ];
            self.notes.push(format!("constant {shape:?}"));
            self.int8_const("operand", shape, other_scale, other_zp)
        } else {
            let w_scale = self.scale() * 0.1;
            let filter = self.int8_weights("operand_filter", vec![x.c, 1, 1, x.c], vec![w_scale], 0);
            let branch = self.map("operand", x.h, x.w, x.c, other_scale, other_zp);
            self.spec.op(
                CONV_2D,
                vec![x.t, filter, -1],
                vec![branch.t],
                Some((1, vec![(0, Field::I8(0)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(0))])),
            );
            branch.t
        };
        let (scale, zp) = match code {
            MUL => (x.scale * other_scale * self.rng.gen_range(20.0..200.0), self.zp()),
            SUB | ADD => (x.scale.max(other_scale) * self.rng.gen_range(0.8..2.5), self.zp()),
            _ => (x.scale, x.zp),
        };
        let y = self.map("binary", x.h, x.w, x.c, scale, zp);
        let act = self.activation_code();
        let options = match code {
            MUL => Some((21, vec![(0, Field::I8(act))])),
            SUB => Some((28, vec![(0, Field::I8(act))])),
            ADD => Some((11, vec![(0, Field::I8(act))])),
            _ => None,
        };
        let swap = self.rng.gen_bool(0.3);
        let inputs = if swap { vec![other, x.t] } else { vec![x.t, other] };
        self.spec.op(code, inputs, vec![y.t], options);
        self.notes.push(format!(
            "{} act{act}{}",
            mcupatch::model::schema::builtin_name(code),
            if swap { " swapped" } else { "" }
        ));
        y
    }

    /// PRELU with a constant alpha as Keras' PReLU converts: one per element ([H, W, C], no
    /// shared axes), per channel ([1, 1, C] or [C]) or one for all.
    pub fn prelu(&mut self, x: Map) -> Map {
        let shape = match self.rng.gen_range(0..4) {
            0 => vec![x.h, x.w, x.c],
            1 => vec![1, 1, x.c],
            2 => vec![x.c],
            _ => vec![1],
        };
        let (alpha_scale, alpha_zp) = (self.rng.gen_range(0.0005..0.01f32), self.zp());
        let alpha = self.int8_const("alpha", shape.clone(), alpha_scale, alpha_zp);
        let (scale, zp) = (x.scale * self.rng.gen_range(0.3..3.0), self.zp());
        let y = self.map("prelu", x.h, x.w, x.c, scale, zp);
        self.spec.op(PRELU, vec![x.t, alpha], vec![y.t], None);
        self.notes.push(format!("PRELU alpha {shape:?}"));
        y
    }

    /// L2_NORMALIZATION over the last axis of `x` (of `shape`), with the output parameters
    /// TFLite requires (scale 1/128, zero point 0).
    pub fn l2_normalization(&mut self, x: i32, shape: Vec<usize>) -> i32 {
        let y = self.activation_tensor("l2_normalized", shape, 1.0 / 128.0, 0);
        self.spec.op(L2_NORMALIZATION, vec![x], vec![y], Some((12, vec![(0, Field::I8(0))])));
        self.notes.push("L2_NORMALIZATION".into());
        y
    }

    /// A squeeze-and-excitation block: MEAN (keep dims) → 1×1 conv + RELU → 1×1 conv →
    /// LOGISTIC or HARD_SWISH → MUL broadcasting the [1, 1, 1, C] gate over `x`.
    pub fn squeeze_excite(&mut self, x: Map) -> Map {
        let axis = self.int32_const("axes", vec![2], &[1, 2]);
        let (scale, zp) = (x.scale * self.rng.gen_range(0.5..2.0), self.zp());
        let pooled = self.map("se_pool", 1, 1, x.c, scale, zp);
        self.spec.op(MEAN, vec![x.t, axis], vec![pooled.t], Some((27, vec![(0, Field::Bool(true))])));
        let reduced = self.rng.gen_range(1..=4);
        let squeezed = self.pointwise(pooled, reduced, 1);
        let expanded = self.pointwise(squeezed, x.c, 0);
        let hard = self.rng.gen_bool(0.5);
        let gate = self.activation(expanded, if hard { HARD_SWISH } else { LOGISTIC });
        let (scale, zp) = (x.scale * self.rng.gen_range(0.5..1.5), self.zp());
        let y = self.map("se_out", x.h, x.w, x.c, scale, zp);
        self.spec.op(MUL, vec![x.t, gate.t], vec![y.t], Some((21, vec![(0, Field::I8(0))])));
        self.notes.push("se mul".into());
        y
    }

    /// A 1×1 conv to `oc` channels with fused activation `act`.
    fn pointwise(&mut self, x: Map, oc: usize, act: i8) -> Map {
        let w_scale = self.scale() * 0.1;
        let filter = self.int8_weights("pw_filter", vec![oc, 1, 1, x.c], vec![w_scale], 0);
        let bias = self.bias("pw_bias", oc, 500, x.scale, &[w_scale]);
        let out_scale = self.accumulator_scale(x.scale, w_scale, x.c);
        let y = self.out_map("pw_out", x.h, x.w, oc, out_scale);
        self.spec.op(
            CONV_2D,
            vec![x.t, filter, bias],
            vec![y.t],
            Some((1, vec![(0, Field::I8(0)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(act))])),
        );
        y
    }

    /// RESIZE_NEAREST_NEIGHBOR or RESIZE_BILINEAR to a random size (an upsampling ×2 half the time), with
    /// random align_corners / half_pixel_centers (not both, as TensorFlow requires).
    pub fn resize(&mut self, x: Map, bilinear: bool) -> Map {
        let (h, w) = if self.rng.gen_bool(0.5) {
            (2 * x.h, 2 * x.w)
        } else {
            (self.rng.gen_range(1..=2 * x.h + 1), self.rng.gen_range(1..=2 * x.w + 1))
        };
        let (align, half) = match self.rng.gen_range(0..3) {
            0 => (false, false),
            1 => (true, false),
            _ => (false, true),
        };
        let size = self.int32_const("size", vec![2], &[h as i32, w as i32]);
        let y = self.map("resized", h, w, x.c, x.scale, x.zp);
        // ResizeBilinearOptions keeps two deprecated size fields before the flags.
        let (code, tag, first) = if bilinear { (RESIZE_BILINEAR, 15, 2) } else { (RESIZE_NEAREST_NEIGHBOR, 74, 0) };
        self.spec.op(
            code,
            vec![x.t, size],
            vec![y.t],
            Some((tag, vec![(first, Field::Bool(align)), (first + 1, Field::Bool(half))])),
        );
        let name = if bilinear { "bilinear" } else { "nearest" };
        self.notes.push(format!("resize {name} {}x{}→{h}x{w} align {align} half {half}", x.h, x.w));
        y
    }

    /// DEPTH_TO_SPACE (a conv to b²·c channels first) or SPACE_TO_DEPTH (the map cropped by
    /// a VALID pool to a multiple of the block) with block 2 or 3.
    pub fn depth_space(&mut self, x: Map, to_space: bool) -> Map {
        let b = self.rng.gen_range(2..=3);
        let (code, y) = if to_space {
            let c = self.rng.gen_range(1..=3);
            let w_scale = self.scale() * 0.1;
            let filter = self.int8_weights("d2s_filter", vec![b * b * c, 1, 1, x.c], vec![w_scale], 0);
            let scale = self.accumulator_scale(x.scale, w_scale, x.c);
            let deep = self.out_map("deep", x.h, x.w, b * b * c, scale);
            self.spec.op(
                CONV_2D,
                vec![x.t, filter, -1],
                vec![deep.t],
                Some((1, vec![(0, Field::I8(0)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(0))])),
            );
            let y = self.map("depth_to_space", x.h * b, x.w * b, c, deep.scale, deep.zp);
            self.spec.op(DEPTH_TO_SPACE, vec![deep.t], vec![y.t], Some((94, vec![(0, Field::I32(b as i32))])));
            (DEPTH_TO_SPACE, y)
        } else {
            let y = self.map("space_to_depth", x.h / b, x.w / b, x.c * b * b, x.scale, x.zp);
            self.spec.op(SPACE_TO_DEPTH, vec![x.t], vec![y.t], Some((19, vec![(0, Field::I32(b as i32))])));
            (SPACE_TO_DEPTH, y)
        };
        self.notes.push(format!("{} block {b}", mcupatch::model::schema::builtin_name(code)));
        y
    }

    /// Keras' flatten with a free batch dimension: SHAPE → STRIDED_SLICE (the batch) → PACK
    /// with -1 → RESHAPE to [1, n].
    pub fn dynamic_flatten(&mut self, x: Map) -> i32 {
        self.dynamic_flatten_with(x, STRIDED_SLICE)
    }

    /// [`Gen::dynamic_flatten`] taking the batch out of the shape with `code`: STRIDED_SLICE
    /// or GATHER (at position 0).
    pub fn dynamic_flatten_with(&mut self, x: Map, code: i32) -> i32 {
        let shape =
            self.spec.tensor(TensorSpec { name: "shape".into(), shape: vec![4], dtype: I32, ..Default::default() });
        self.spec.op(SHAPE, vec![x.t], vec![shape], Some((55, vec![(0, Field::I8(I32))])));
        let batch =
            self.spec.tensor(TensorSpec { name: "batch".into(), shape: vec![], dtype: I32, ..Default::default() });
        match code {
            GATHER => {
                let position = self.int32_const("position", vec![], &[0]);
                self.spec.op(GATHER, vec![shape, position], vec![batch], Some((23, vec![(0, Field::I32(0))])));
            }
            _ => {
                let (begin, end, strides) = (
                    self.int32_const("begin", vec![1], &[0]),
                    self.int32_const("end", vec![1], &[1]),
                    self.int32_const("strides", vec![1], &[1]),
                );
                self.spec.op(
                    STRIDED_SLICE,
                    vec![shape, begin, end, strides],
                    vec![batch],
                    Some((32, vec![(4, Field::I32(1))])),
                );
            }
        }
        let minus_one = self.int32_const("minus_one", vec![], &[-1]);
        let packed =
            self.spec.tensor(TensorSpec { name: "packed".into(), shape: vec![2], dtype: I32, ..Default::default() });
        self.spec.op(
            PACK,
            vec![batch, minus_one],
            vec![packed],
            Some((59, vec![(0, Field::I32(2)), (1, Field::I32(0))])),
        );
        let n = x.h * x.w * x.c;
        let y = self.activation_tensor("flatten", vec![1, n], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, packed], vec![y], None);
        self.notes.push(format!("shape→{}→pack→reshape", mcupatch::model::schema::builtin_name(code)));
        y
    }

    /// A Keras `Dense` on a map's reshape with a free batch dimension: SHAPE → STRIDED_SLICE
    /// (the batch, and the other dimensions) → REDUCE_PROD (their count) → CONCATENATION →
    /// RESHAPE to [1, n]: what the loader folds into one constant shape.
    pub fn dynamic_flatten_by_product(&mut self, x: Map) -> i32 {
        let shape =
            self.spec.tensor(TensorSpec { name: "shape".into(), shape: vec![4], dtype: I32, ..Default::default() });
        self.spec.op(SHAPE, vec![x.t], vec![shape], Some((55, vec![(0, Field::I8(I32))])));
        let slice = |g: &mut Self, name: &str, from: i32, to: i32| {
            let (begin, end, strides) = (
                g.int32_const("begin", vec![1], &[from]),
                g.int32_const("end", vec![1], &[to]),
                g.int32_const("strides", vec![1], &[1]),
            );
            let part = g.spec.tensor(TensorSpec {
                name: name.into(),
                shape: vec![to - from],
                dtype: I32,
                ..Default::default()
            });
            g.spec.op(STRIDED_SLICE, vec![shape, begin, end, strides], vec![part], None);
            part
        };
        let batch = slice(self, "batch", 0, 1);
        let rest = slice(self, "rest", 1, 4);
        let axis = self.int32_const("axis", vec![1], &[0]);
        let count =
            self.spec.tensor(TensorSpec { name: "count".into(), shape: vec![1], dtype: I32, ..Default::default() });
        self.spec.op(REDUCE_PROD, vec![rest, axis], vec![count], Some((27, vec![(0, Field::Bool(true))])));
        let joined =
            self.spec.tensor(TensorSpec { name: "joined".into(), shape: vec![2], dtype: I32, ..Default::default() });
        self.spec.op(
            CONCATENATION,
            vec![batch, count],
            vec![joined],
            Some((10, vec![(0, Field::I32(0)), (1, Field::I8(0))])),
        );
        let y = self.activation_tensor("flatten", vec![1, x.h * x.w * x.c], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, joined], vec![y], None);
        self.notes.push("shape→strided_slice→reduce_prod→concatenation→reshape".into());
        y
    }

    /// A dilated conv as converters write it: SPACE_TO_BATCH_ND → CONV_2D or
    /// DEPTHWISE_CONV_2D (VALID, stride 1) → BATCH_TO_SPACE_ND; with `wrapped` false, the
    /// same conv (same random draws) as one dilated CONV_2D / DEPTHWISE_CONV_2D. `valid`
    /// forces VALID (when it fits): TFLite Micro pads SPACE_TO_BATCH_ND with uninitialised
    /// memory, so only unpadded forms have a defined TFLM output.
    pub fn wrapped_dilated_conv(&mut self, x: Map, depthwise: bool, wrapped: bool, valid: bool) -> Map {
        let d = (self.rng.gen_range(2..=3), self.rng.gen_range(2..=3));
        let k = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let effective = ((k.0 - 1) * d.0 + 1, (k.1 - 1) * d.1 + 1);
        let fits = x.h >= effective.0 && x.w >= effective.1;
        let same = !((self.rng.gen_bool(0.4) || valid) && fits);
        // TensorFlow's required_space_to_batch_paddings: the base padding, then enough at
        // the end to make the padded size a multiple of the block, cropped off after.
        let axis = |size: usize, eff: usize, block: usize| {
            let (top, bottom) = if same { ((eff - 1) / 2, eff - 1 - (eff - 1) / 2) } else { (0, 0) };
            let padded = size + top + bottom;
            let extra = (block - padded % block) % block;
            (top, bottom + extra, extra, (padded + extra) / block)
        };
        let (top, bottom, crop_h, sh) = axis(x.h, effective.0, d.0);
        let (left, right, crop_w, sw) = axis(x.w, effective.1, d.1);
        let block = self.int32_const("block", vec![2], &[d.0 as i32, d.1 as i32]);
        let paddings =
            self.int32_const("paddings", vec![2, 2], &[top as i32, bottom as i32, left as i32, right as i32]);
        let crops = self.int32_const("crops", vec![2, 2], &[0, crop_h as i32, 0, crop_w as i32]);
        let batches = d.0 * d.1;
        let s2b = self.activation_tensor("space_to_batch", vec![batches, sh, sw, x.c], x.scale, x.zp);
        if wrapped {
            self.spec.op(SPACE_TO_BATCH_ND, vec![x.t, block, paddings], vec![s2b], None);
        }
        let (ch, cw) = (sh - k.0 + 1, sw - k.1 + 1);
        let oc = if depthwise { x.c } else { self.rng.gen_range(1..=8) };
        let base = self.scale() * 0.1;
        let scales: Vec<f32> = (0..oc).map(|_| base * self.rng.gen_range(0.2..2.0)).collect();
        let filter = if depthwise {
            self.int8_weights("dw_filter", vec![1, k.0, k.1, oc], scales.clone(), 3)
        } else {
            self.int8_weights("filter", vec![oc, k.0, k.1, x.c], scales.clone(), 0)
        };
        let bias = self.bias("bias", oc, 2000, x.scale, &scales);
        let terms = k.0 * k.1 * if depthwise { 1 } else { x.c };
        let out_scale = self.accumulator_scale(x.scale, base, terms);
        let out_zp = self.zp();
        let conv_out = self.activation_tensor("batched_conv", vec![batches, ch, cw, oc], out_scale, out_zp);
        let act = self.activation_code();
        let (code, tag, fields) = if depthwise {
            (
                DEPTHWISE_CONV_2D,
                2,
                vec![
                    (0, Field::I8(1)),
                    (1, Field::I32(1)),
                    (2, Field::I32(1)),
                    (3, Field::I32(1)),
                    (4, Field::I8(act)),
                ],
            )
        } else {
            (CONV_2D, 1, vec![(0, Field::I8(1)), (1, Field::I32(1)), (2, Field::I32(1)), (3, Field::I8(act))])
        };
        let (oh, ow) = (ch * d.0 - crop_h, cw * d.1 - crop_w);
        let y = self.map("dilated", oh, ow, oc, out_scale, out_zp);
        if wrapped {
            self.spec.op(code, vec![s2b, filter, bias], vec![conv_out], Some((tag, fields)));
            self.spec.op(BATCH_TO_SPACE_ND, vec![conv_out, block, crops], vec![y.t], None);
        } else {
            let mut fields = fields;
            fields[0] = (0, Field::I8(if same { 0 } else { 1 }));
            let last = fields.len();
            fields.extend([(last as u16, Field::I32(d.1 as i32)), (last as u16 + 1, Field::I32(d.0 as i32))]);
            self.spec.op(code, vec![x.t, filter, bias], vec![y.t], Some((tag, fields)));
        }
        self.notes.push(format!(
            "{}{} k{k:?} d{d:?} {} act{act} {}x{}x{}→{oh}x{ow}x{oc}",
            if wrapped { "space_to_batch " } else { "dilated " },
            if depthwise { "dw" } else { "conv" },
            if same { "SAME" } else { "VALID" },
            x.h,
            x.w,
            x.c
        ));
        y
    }

    /// An axis of a rank-`rank` tensor, written negative now and then.
    fn written_axis(&mut self, a: usize, rank: usize) -> i32 {
        if self.rng.gen_bool(0.3) {
            a as i32 - rank as i32
        } else {
            a as i32
        }
    }

    /// RESHAPE of `t` to `shape` (same quantization).
    fn reshape(&mut self, t: i32, shape: Vec<usize>, scale: f32, zp: i64) -> i32 {
        let dims: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
        let s = self.int32_const("shape", vec![dims.len() as i32], &dims);
        let y = self.activation_tensor("reshaped", shape, scale, zp);
        self.spec.op(RESHAPE, vec![t, s], vec![y], None);
        y
    }

    /// SLICE of a random box of `x` (sizes of -1 now and then), or of its channels only.
    pub fn slice(&mut self, x: Map) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let channels_only = self.rng.gen_bool(0.3);
        let (mut begin, mut size, mut out) = (vec![0i32; 4], vec![0i32; 4], [1usize; 4]);
        for a in 0..4 {
            let d = dims[a];
            let (b, s) = if a == 0 || (channels_only && a < 3) {
                (0, d)
            } else {
                let b = self.rng.gen_range(0..d);
                (b, self.rng.gen_range(1..=d - b))
            };
            begin[a] = b as i32;
            size[a] = if b + s == d && self.rng.gen_bool(0.3) { -1 } else { s as i32 };
            out[a] = s;
        }
        let (bt, st) = (self.int32_const("begin", vec![4], &begin), self.int32_const("size", vec![4], &size));
        let y = self.map("slice", out[1], out[2], out[3], x.scale, x.zp);
        self.spec.op(SLICE, vec![x.t, bt, st], vec![y.t], None);
        self.notes.push(format!("slice {:?} begin {begin:?} size {size:?}", dims));
        y
    }

    /// SPLIT (equal parts) or SPLIT_V (given sizes, one of -1 now and then) of `x` along a
    /// random axis, its parts concatenated back in reverse order (one left unread now and
    /// then): every part is compared.
    pub fn split(&mut self, x: Map, sizes: bool) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let d = dims[a];
        let parts: Vec<usize> = if sizes {
            let n = self.rng.gen_range(1..=d.min(4));
            let mut cuts: Vec<usize> = (1..d).collect();
            while cuts.len() > n - 1 {
                let i = self.rng.gen_range(0..cuts.len());
                cuts.remove(i);
            }
            let bounds: Vec<usize> = std::iter::once(0).chain(cuts).chain(std::iter::once(d)).collect();
            bounds.windows(2).map(|w| w[1] - w[0]).collect()
        } else {
            let divisors: Vec<usize> = (1..=d.min(5)).filter(|&n| d.is_multiple_of(n)).collect();
            let n = divisors[self.rng.gen_range(0..divisors.len())];
            vec![d / n; n]
        };
        let outputs: Vec<Map> = parts
            .iter()
            .map(|&p| {
                let mut shape = dims;
                shape[a] = p;
                self.map("part", shape[1], shape[2], shape[3], x.scale, x.zp)
            })
            .collect();
        let axis_value = self.written_axis(a, 4);
        let axis = self.int32_const("split_axis", vec![], &[axis_value]);
        let ts: Vec<i32> = outputs.iter().map(|m| m.t).collect();
        if sizes {
            let mut given: Vec<i32> = parts.iter().map(|&p| p as i32).collect();
            if self.rng.gen_bool(0.3) {
                let i = self.rng.gen_range(0..given.len());
                given[i] = -1;
            }
            let st = self.int32_const("size_splits", vec![given.len() as i32], &given);
            self.spec.op(SPLIT_V, vec![x.t, st, axis], ts, Some((79, vec![(0, Field::I32(parts.len() as i32))])));
            self.notes.push(format!("split_v {dims:?} axis {axis_value} sizes {given:?}"));
        } else {
            self.spec.op(SPLIT, vec![axis, x.t], ts, Some((35, vec![(0, Field::I32(parts.len() as i32))])));
            self.notes.push(format!("split {dims:?} axis {axis_value} into {}", parts.len()));
        }
        let mut kept: Vec<Map> = outputs.into_iter().rev().collect();
        if kept.len() > 1 && self.rng.gen_bool(0.3) {
            let i = self.rng.gen_range(0..kept.len());
            kept.remove(i);
            self.notes.push(format!("part {i} unread"));
        }
        let total: usize = kept.iter().map(|m| [1, m.h, m.w, m.c][a]).sum();
        let mut shape = dims;
        shape[a] = total;
        let y = self.map("rejoined", shape[1], shape[2], shape[3], x.scale, x.zp);
        let ins = kept.iter().map(|m| m.t).collect();
        self.spec.op(CONCATENATION, ins, vec![y.t], Some((10, vec![(0, Field::I32(a as i32)), (1, Field::I8(0))])));
        y
    }

    /// UNPACK of `x` along a random axis, each part reshaped back and the parts concatenated
    /// in reverse order: a flip of that axis.
    pub fn unpack(&mut self, x: Map) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let part_shape: Vec<usize> = (0..4).filter(|&i| i != a).map(|i| dims[i]).collect();
        let parts: Vec<i32> =
            (0..dims[a]).map(|_| self.activation_tensor("unpacked", part_shape.clone(), x.scale, x.zp)).collect();
        let axis = self.written_axis(a, 4);
        self.spec.op(
            UNPACK,
            vec![x.t],
            parts.clone(),
            Some((64, vec![(0, Field::I32(dims[a] as i32)), (1, Field::I32(axis))])),
        );
        let mut unit = dims;
        unit[a] = 1;
        let back: Vec<i32> = parts.iter().rev().map(|&p| self.reshape(p, unit.to_vec(), x.scale, x.zp)).collect();
        let y = self.map("flipped", x.h, x.w, x.c, x.scale, x.zp);
        self.spec.op(CONCATENATION, back, vec![y.t], Some((10, vec![(0, Field::I32(a as i32)), (1, Field::I8(0))])));
        self.notes.push(format!("unpack {dims:?} axis {axis}"));
        y
    }

    /// TILE of `x` by random multiples (batch too, now and then); returns the tensor and its
    /// shape.
    pub fn tile(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let multiples: Vec<usize> =
            (0..4).map(|a| if a == 0 && self.rng.gen_bool(0.8) { 1 } else { self.rng.gen_range(1..=3) }).collect();
        let shape: Vec<usize> = dims.iter().zip(&multiples).map(|(d, m)| d * m).collect();
        let values: Vec<i32> = multiples.iter().map(|&m| m as i32).collect();
        let mt = self.int32_const("multiples", vec![4], &values);
        let y = self.activation_tensor("tiled", shape.clone(), x.scale, x.zp);
        self.spec.op(TILE, vec![x.t, mt], vec![y], None);
        self.notes.push(format!("tile {dims:?} by {multiples:?}"));
        (y, shape)
    }

    /// TRANSPOSE of `x`: height and width swapped half the time, else any permutation.
    pub fn transpose(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let perm: Vec<usize> = if self.rng.gen_bool(0.5) {
            vec![0, 2, 1, 3]
        } else {
            let mut p = vec![0, 1, 2, 3];
            for i in (1..4).rev() {
                let j = self.rng.gen_range(0..=i);
                p.swap(i, j);
            }
            p
        };
        let shape: Vec<usize> = perm.iter().map(|&a| dims[a]).collect();
        // Negative axes are refused here (by TFLM too).
        let values: Vec<i32> = perm.iter().map(|&a| a as i32).collect();
        let pt = self.int32_const("perm", vec![4], &values);
        let y = self.activation_tensor("transposed", shape.clone(), x.scale, x.zp);
        self.spec.op(TRANSPOSE, vec![x.t, pt], vec![y], None);
        self.notes.push(format!("transpose {dims:?} perm {values:?}"));
        (y, shape)
    }

    /// GATHER along a random axis at random positions (repeats allowed): a vector of them
    /// mostly, a scalar or a matrix now and then.
    pub fn gather(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let positions_shape: Vec<usize> = match self.rng.gen_range(0..6) {
            0 => vec![],
            1 => vec![2, self.rng.gen_range(1..=3)],
            _ => vec![self.rng.gen_range(1..=dims[a] + 2)],
        };
        let n: usize = positions_shape.iter().product();
        let positions: Vec<i32> = (0..n).map(|_| self.rng.gen_range(0..dims[a]) as i32).collect();
        let shape_i32: Vec<i32> = positions_shape.iter().map(|&d| d as i32).collect();
        let pt = self.int32_const("positions", shape_i32, &positions);
        let shape: Vec<usize> = dims[..a].iter().chain(&positions_shape).chain(&dims[a + 1..]).copied().collect();
        let y = self.activation_tensor("gathered", shape.clone(), x.scale, x.zp);
        let axis = self.written_axis(a, 4);
        self.spec.op(GATHER, vec![x.t, pt], vec![y], Some((23, vec![(0, Field::I32(axis)), (1, Field::I32(0))])));
        self.notes.push(format!("gather {dims:?} axis {axis} at {positions:?}"));
        (y, shape)
    }

    /// SUM, REDUCE_MAX or REDUCE_MIN over one or two random axes (negative and repeated now
    /// and then; TFLM's SUM resolves at most two), keep_dims random. A SUM's output scale is
    /// random around the sum's range, `wide` makes it far narrower so that most results
    /// clamp; returns the tensor and its shape.
    pub fn reduce(&mut self, x: Map, code: i32, wide: bool) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let mut axes: Vec<usize> = vec![self.rng.gen_range(0..4)];
        if self.rng.gen_bool(0.5) {
            axes.push(self.rng.gen_range(0..4));
        }
        let mut written: Vec<i32> = axes.iter().map(|&a| self.written_axis(a, 4)).collect();
        if self.rng.gen_bool(0.15) {
            written.push(written[0]);
        }
        let mut keep = self.rng.gen_bool(0.5);
        if self.rng.gen_bool(0.25) {
            // Over the channels alone, keeping dims: the spatially local form.
            (axes, written, keep) = (vec![3], vec![self.written_axis(3, 4)], true);
        }
        let shape: Vec<usize> =
            (0..4).filter(|a| keep || !axes.contains(a)).map(|a| if axes.contains(&a) { 1 } else { dims[a] }).collect();
        let count: usize = (0..4).filter(|a| axes.contains(a)).map(|a| dims[a]).product();
        let (scale, zp) = match code {
            SUM if wide => (x.scale * self.rng.gen_range(0.01..0.5), self.zp()),
            SUM => (x.scale * (count as f32).sqrt() * self.rng.gen_range(0.5..3.0), self.zp()),
            _ => (x.scale, x.zp),
        };
        let at = self.int32_const("axes", vec![written.len() as i32], &written);
        let y = self.activation_tensor("reduced", shape.clone(), scale, zp);
        self.spec.op(code, vec![x.t, at], vec![y], Some((27, vec![(0, Field::Bool(keep))])));
        self.notes
            .push(format!("{} {dims:?} axes {written:?} keep {keep}", mcupatch::model::schema::builtin_name(code)));
        (y, shape)
    }

    /// STRIDED_SLICE of `x`: per axis a random begin, end (negative now and then) and stride
    /// (negative now and then), random begin/end masks, now and then a shrunk axis or
    /// `offset`; drawn again until no axis is empty. The output shape comes from the library's resolution of the indices, which
    /// TFLM then checks byte by byte.
    pub fn strided_slice(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        loop {
            let masks = mcupatch::model::SliceMasks {
                begin: self.rng.gen_range(0..16),
                end: self.rng.gen_range(0..16),
                shrink_axis: if self.rng.gen_bool(0.2) { 1 << self.rng.gen_range(0..4) } else { 0 },
                offset: self.rng.gen_bool(0.1),
                ..Default::default()
            };
            let mut values = Vec::new();
            for &d in &dims {
                let d = d as i32;
                let stride = [1, 1, 1, 2, -1, -2][self.rng.gen_range(0..6)];
                let end = if masks.offset { self.rng.gen_range(0..=d) } else { self.rng.gen_range(-d..=d) };
                values.push((self.rng.gen_range(-d..d), end, stride));
            }
            let lengths: Vec<usize> = (0..4)
                .map(|a| {
                    let (b, e, st) = values[a];
                    masks.indices(a, dims[a], b.into(), e.into(), st.into()).len()
                })
                .collect();
            if lengths.contains(&0) || (0..4).any(|a| masks.shrinks(a) && lengths[a] != 1) {
                continue;
            }
            let shape: Vec<usize> = (0..4).filter(|&a| !masks.shrinks(a)).map(|a| lengths[a]).collect();
            let column = |k: usize| values.iter().map(|v| [v.0, v.1, v.2][k]).collect::<Vec<i32>>();
            let (begin, end, strides) = (column(0), column(1), column(2));
            let (b, e, st) = (
                self.int32_const("begin", vec![4], &begin),
                self.int32_const("end", vec![4], &end),
                self.int32_const("strides", vec![4], &strides),
            );
            let y = self.activation_tensor("strided_slice", shape.clone(), x.scale, x.zp);
            let fields = vec![
                (0, Field::I32(masks.begin)),
                (1, Field::I32(masks.end)),
                (4, Field::I32(masks.shrink_axis)),
                (5, Field::Bool(masks.offset)),
            ];
            self.spec.op(STRIDED_SLICE, vec![x.t, b, e, st], vec![y], Some((32, fields)));
            self.notes.push(format!(
                "strided_slice {dims:?} begin {begin:?} end {end:?} strides {strides:?} masks b{} e{} s{} offset {} → {shape:?}",
                masks.begin, masks.end, masks.shrink_axis, masks.offset
            ));
            return (y, shape);
        }
    }

    /// tf.repeat of axis `a` (1..=3) `k` times, as the converter writes it for Keras'
    /// `UpSampling2D`: EXPAND_DIMS (a unit axis after `a`) → TILE → RESHAPE, the reshape's
    /// shape constant or, with `free_batch`, built at run time from SHAPE → STRIDED_SLICE
    /// (the axes before `a`) → CONCATENATION with the constant rest.
    pub fn repeat(&mut self, x: Map, a: usize, k: usize, free_batch: bool) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let mut expanded: Vec<usize> = dims.to_vec();
        expanded.insert(a + 1, 1);
        let axis = self.int32_const("expand_axis", vec![], &[a as i32 + 1]);
        let t1 = self.activation_tensor("expanded", expanded.clone(), x.scale, x.zp);
        self.spec.op(EXPAND_DIMS, vec![x.t, axis], vec![t1], None);
        let mut multiples = vec![1i32; 5];
        multiples[a + 1] = k as i32;
        let mt = self.int32_const("multiples", vec![5], &multiples);
        let mut tiled = expanded;
        tiled[a + 1] = k;
        let t2 = self.activation_tensor("tiled", tiled, x.scale, x.zp);
        self.spec.op(TILE, vec![t1, mt], vec![t2], None);
        let mut out = dims;
        out[a] *= k;
        let shape_values: Vec<i32> = out.iter().map(|&d| d as i32).collect();
        let shape = if free_batch {
            let shape =
                self.spec.tensor(TensorSpec { name: "shape".into(), shape: vec![4], dtype: I32, ..Default::default() });
            self.spec.op(SHAPE, vec![x.t], vec![shape], Some((55, vec![(0, Field::I8(I32))])));
            let (b, e, st) = (
                self.int32_const("begin", vec![1], &[0]),
                self.int32_const("end", vec![1], &[a as i32]),
                self.int32_const("strides", vec![1], &[1]),
            );
            let head = self.spec.tensor(TensorSpec {
                name: "leading".into(),
                shape: vec![a as i32],
                dtype: I32,
                ..Default::default()
            });
            self.spec.op(STRIDED_SLICE, vec![shape, b, e, st], vec![head], Some((32, vec![])));
            let rest = self.int32_const("rest", vec![4 - a as i32], &shape_values[a..]);
            let joined = self.spec.tensor(TensorSpec {
                name: "new_shape".into(),
                shape: vec![4],
                dtype: I32,
                ..Default::default()
            });
            self.spec.op(
                CONCATENATION,
                vec![head, rest],
                vec![joined],
                Some((10, vec![(0, Field::I32(0)), (1, Field::I8(0))])),
            );
            joined
        } else {
            self.int32_const("new_shape", vec![4], &shape_values)
        };
        let y = self.map("repeated", out[1], out[2], out[3], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![t2, shape], vec![y.t], None);
        self.notes.push(format!("repeat {dims:?} axis {a} ×{k} free batch {free_batch}"));
        y
    }

    /// REVERSE_V2 of `x` along a random run of neighbouring axes (TFLM reverses no other),
    /// in random order and negative now and then.
    pub fn reverse(&mut self, x: Map) -> Map {
        let first = self.rng.gen_range(1..4);
        let last = self.rng.gen_range(first..4);
        let mut axes: Vec<i32> = (first..=last).map(|a| self.written_axis(a, 4)).collect();
        if self.rng.gen_bool(0.5) {
            axes.reverse();
        }
        let at = self.int32_const("axes", vec![axes.len() as i32], &axes);
        let y = self.map("reversed", x.h, x.w, x.c, x.scale, x.zp);
        self.spec.op(REVERSE_V2, vec![x.t, at], vec![y.t], None);
        self.notes.push(format!("reverse_v2 {:?} axes {axes:?}", [1, x.h, x.w, x.c]));
        y
    }

    /// BROADCAST_TO of a model input with random unit axes to random lengths along them (and
    /// a leading axis now and then); returns the tensor and its shape.
    pub fn broadcast_to(&mut self) -> (i32, Vec<usize>) {
        let dims: Vec<usize> =
            (0..3).map(|_| if self.rng.gen_bool(0.5) { 1 } else { self.rng.gen_range(2..=5) }).collect();
        let (scale, zp) = (self.scale(), self.zp());
        let x = self.map("input", dims[0], dims[1], dims[2], scale, zp);
        self.spec.inputs = vec![x.t];
        let mut shape: Vec<usize> = std::iter::once(1)
            .chain(dims.iter().map(|&d| if d == 1 { self.rng.gen_range(1..=4) } else { d }))
            .collect();
        if self.rng.gen_bool(0.2) {
            shape.insert(0, 2);
        }
        let values: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
        let st = self.int32_const("shape", vec![values.len() as i32], &values);
        let y = self.activation_tensor("broadcast", shape.clone(), scale, zp);
        self.spec.op(BROADCAST_TO, vec![x.t, st], vec![y], None);
        self.notes.push(format!("broadcast_to {:?} → {shape:?}", [1, x.h, x.w, x.c]));
        (y, shape)
    }

    /// Keras' `UpSampling2D` as TensorFlow 2.21 converts it with a fixed batch of 1: a
    /// RESHAPE inserting a unit axis after the first repeated axis, then per repeat (axis `a`,
    /// 1..=3, `k` times) a TILE of that unit axis and a RESHAPE that merges it into `a` and,
    /// between two TILEs, inserts the next one's unit axis; for rows then columns:
    /// [1,H,W,C] → [1,H,1,W,C] → TILE → [1,H,k,W,C] → [1,kH,W,1,C] → TILE → [1,kH,W,k,C] →
    /// [1,kH,kW,C]. No rank-4 map lies between the TILEs.
    pub fn repeat_chain(&mut self, x: Map, repeats: &[(usize, usize)]) -> Map {
        let as_i32 = |dims: &[usize]| dims.iter().map(|&d| d as i32).collect::<Vec<i32>>();
        let with_unit = |dims: &[usize], a: usize| {
            let mut expanded = dims.to_vec();
            expanded.insert(a + 1, 1);
            expanded
        };
        let mut dims = vec![1, x.h, x.w, x.c];
        let mut expanded = with_unit(&dims, repeats[0].0);
        let shape = self.int32_const("expanded_shape", vec![5], &as_i32(&expanded));
        let mut t = self.activation_tensor("expanded", expanded.clone(), x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, shape], vec![t], None);
        for (i, &(a, k)) in repeats.iter().enumerate() {
            let mut multiples = vec![1i32; 5];
            multiples[a + 1] = k as i32;
            let mt = self.int32_const("multiples", vec![5], &multiples);
            let mut tiled = expanded.clone();
            tiled[a + 1] = k;
            let t2 = self.activation_tensor("tiled", tiled, x.scale, x.zp);
            self.spec.op(TILE, vec![t, mt], vec![t2], None);
            dims[a] *= k;
            // Merge the tiled axis, and insert the next repeat's unit axis if there is one.
            expanded = repeats.get(i + 1).map_or_else(|| dims.clone(), |&(next, _)| with_unit(&dims, next));
            let shape = self.int32_const("new_shape", vec![expanded.len() as i32], &as_i32(&expanded));
            t = self.activation_tensor("repeated", expanded.clone(), x.scale, x.zp);
            self.spec.op(RESHAPE, vec![t2, shape], vec![t], None);
        }
        self.notes.push(format!("repeat chain [1, {}, {}, {}] {repeats:?}", x.h, x.w, x.c));
        Map { t, h: dims[1], w: dims[2], c: dims[3], scale: x.scale, zp: x.zp }
    }

    pub fn finish(&mut self, output: i32) -> (Vec<u8>, String) {
        self.spec.outputs = vec![output];
        (self.spec.to_bytes(), self.notes.join(" → "))
    }
}
