//! The weighted layers: CONV_2D and DEPTHWISE_CONV_2D (strided, dilated, padded either
//! way, per-channel or per-tensor), TRANSPOSE_CONV, dilated convs as converters wrap them in
//! SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND, the 1×1 convs other builders branch off with, and
//! FULLY_CONNECTED.

use super::writer::builtin_options::{
    CONV_2D_OPTIONS, DEPTHWISE_CONV_2D_OPTIONS, FULLY_CONNECTED_OPTIONS, TRANSPOSE_CONV_OPTIONS,
};
use super::writer::{
    conv_2d_options, depthwise_conv_2d_options, fully_connected_options, padding, transpose_conv_options, Field,
};
use super::{
    Gen, Map, Options, BATCH_TO_SPACE_ND, CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, SPACE_TO_BATCH_ND,
    TRANSPOSE_CONV,
};
use rand::Rng;

/// The options of a CONV_2D, or of a DEPTHWISE_CONV_2D with `depth_multiplier`: padding,
/// stride and dilation (both (h, w)), the fused activation; the dilation left out if `None`.
fn conv_options(
    depthwise: bool,
    padding: i8,
    stride: (usize, usize),
    depth_multiplier: usize,
    act: i8,
    dilation: Option<(usize, usize)>,
) -> Options {
    if depthwise {
        use depthwise_conv_2d_options as o;
        let mut fields = vec![
            (o::PADDING, Field::I8(padding)),
            (o::STRIDE_W, Field::I32(stride.1 as i32)),
            (o::STRIDE_H, Field::I32(stride.0 as i32)),
            (o::DEPTH_MULTIPLIER, Field::I32(depth_multiplier as i32)),
            (o::FUSED_ACTIVATION_FUNCTION, Field::I8(act)),
        ];
        if let Some(d) = dilation {
            fields.extend([
                (o::DILATION_W_FACTOR, Field::I32(d.1 as i32)),
                (o::DILATION_H_FACTOR, Field::I32(d.0 as i32)),
            ]);
        }
        (DEPTHWISE_CONV_2D_OPTIONS, fields)
    } else {
        use conv_2d_options as o;
        let mut fields = vec![
            (o::PADDING, Field::I8(padding)),
            (o::STRIDE_W, Field::I32(stride.1 as i32)),
            (o::STRIDE_H, Field::I32(stride.0 as i32)),
            (o::FUSED_ACTIVATION_FUNCTION, Field::I8(act)),
        ];
        if let Some(d) = dilation {
            fields.extend([
                (o::DILATION_W_FACTOR, Field::I32(d.1 as i32)),
                (o::DILATION_H_FACTOR, Field::I32(d.0 as i32)),
            ]);
        }
        (CONV_2D_OPTIONS, fields)
    }
}

impl Gen<'_> {
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
        let options = conv_options(depthwise, padding, stride, dm, act, Some(dilation));
        let code = if depthwise { DEPTHWISE_CONV_2D } else { CONV_2D };
        self.spec.op(code, vec![x.t, filter, bias], vec![y.t], Some(options));
        self.notes.push(format!(
            "{} k{k:?} s{stride:?} d{dilation:?} {} dm{dm} act{act} {}x{}x{}→{oh}x{ow}x{oc}{}",
            if depthwise { "dw" } else { "conv" },
            if padding == padding::SAME { "SAME" } else { "VALID" },
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
        use transpose_conv_options as o;
        let fields = vec![
            (o::PADDING, Field::I8(if same { padding::SAME } else { padding::VALID })),
            (o::STRIDE_W, Field::I32(stride.1 as i32)),
            (o::STRIDE_H, Field::I32(stride.0 as i32)),
            (o::FUSED_ACTIVATION_FUNCTION, Field::I8(act)),
        ];
        self.spec.op(TRANSPOSE_CONV, inputs, vec![y.t], Some((TRANSPOSE_CONV_OPTIONS, fields)));
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
        let options =
            (FULLY_CONNECTED_OPTIONS, vec![(fully_connected_options::FUSED_ACTIVATION_FUNCTION, Field::I8(act))]);
        self.spec.op(FULLY_CONNECTED, vec![x, filter, bias], vec![y], Some(options));
        self.notes.push(format!("fc {depth}→{units} act{act}{}", if per_channel { " per-channel" } else { "" }));
        (y, units, out_scale)
    }

    /// A CONV_2D of `x` with a 1×1 `filter` (and `bias`, -1 for none) into `y`: SAME, stride
    /// 1, fused activation `act`.
    pub(super) fn conv_1x1(&mut self, x: i32, filter: i32, bias: i32, y: i32, act: i8) {
        let options = conv_options(false, padding::SAME, (1, 1), 1, act, None);
        self.spec.op(CONV_2D, vec![x, filter, bias], vec![y], Some(options));
    }

    /// A 1×1 conv to `oc` channels with fused activation `act`.
    pub(super) fn pointwise(&mut self, x: Map, oc: usize, act: i8) -> Map {
        let w_scale = self.scale() * 0.1;
        let filter = self.int8_weights("pw_filter", vec![oc, 1, 1, x.c], vec![w_scale], 0);
        let bias = self.bias("pw_bias", oc, 500, x.scale, &[w_scale]);
        let out_scale = self.accumulator_scale(x.scale, w_scale, x.c);
        let y = self.out_map("pw_out", x.h, x.w, oc, out_scale);
        self.conv_1x1(x.t, filter, bias, y.t, act);
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
        let code = if depthwise { DEPTHWISE_CONV_2D } else { CONV_2D };
        let (oh, ow) = (ch * d.0 - crop_h, cw * d.1 - crop_w);
        let y = self.map("dilated", oh, ow, oc, out_scale, out_zp);
        if wrapped {
            let options = conv_options(depthwise, padding::VALID, (1, 1), 1, act, None);
            self.spec.op(code, vec![s2b, filter, bias], vec![conv_out], Some(options));
            self.spec.op(BATCH_TO_SPACE_ND, vec![conv_out, block, crops], vec![y.t], None);
        } else {
            let padding = if same { padding::SAME } else { padding::VALID };
            let options = conv_options(depthwise, padding, (1, 1), 1, act, Some(d));
            self.spec.op(code, vec![x.t, filter, bias], vec![y.t], Some(options));
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
}
