//! One-input activations as lookup tables (LOGISTIC, TANH, HARD_SWISH, RELU, RELU6,
//! LEAKY_RELU), PRELU with a constant alpha, L2_NORMALIZATION and SOFTMAX, each with the
//! output quantization TFLite requires or converters emit.

use super::writer::activation_function_type::NONE;
use super::writer::builtin_options::{L2_NORM_OPTIONS, LEAKY_RELU_OPTIONS, SOFTMAX_OPTIONS};
use super::writer::{l2_norm_options, leaky_relu_options, softmax_options, Field};
use super::{Gen, Map, L2_NORMALIZATION, LEAKY_RELU, LOGISTIC, PRELU, RELU6, SOFTMAX, TANH};
use rand::Rng;

impl Gen<'_> {
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
            (LEAKY_RELU_OPTIONS, vec![(leaky_relu_options::ALPHA, Field::F32(alpha))])
        });
        self.spec.op(code, vec![x.t], vec![y.t], options);
        self.notes.push(mcupatch::model::schema::builtin_name(code));
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
        let options = (L2_NORM_OPTIONS, vec![(l2_norm_options::FUSED_ACTIVATION_FUNCTION, Field::I8(NONE))]);
        self.spec.op(L2_NORMALIZATION, vec![x], vec![y], Some(options));
        self.notes.push("L2_NORMALIZATION".into());
        y
    }

    pub fn softmax(&mut self, x: i32, shape: Vec<usize>) -> i32 {
        let beta = if self.rng.gen_bool(0.5) { 1.0 } else { self.rng.gen_range(0.3..2.0) };
        let y = self.activation_tensor("softmax", shape, 1.0 / 256.0, -128);
        self.spec.op(
            SOFTMAX,
            vec![x],
            vec![y],
            Some((SOFTMAX_OPTIONS, vec![(softmax_options::BETA, Field::F32(beta))])),
        );
        self.notes.push(format!("softmax beta {beta:.3}"));
        y
    }
}
