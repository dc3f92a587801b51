//! Quantization at the model's edges and between ops: a float input QUANTIZEd to int8, an
//! int8 → int8 QUANTIZE to new parameters, and DEQUANTIZE to a float output.

use super::writer::{TensorSpec, F32};
use super::{Gen, Map, DEQUANTIZE, QUANTIZE};
use rand::Rng;

impl Gen<'_> {
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
}
