//! MUL, int8 (TFLM `reference_integer_ops::Mul` / `BroadcastMul4DSlow`): the product of the
//! offset inputs, requantized by `s1 · s2 / s_out`, clamped to the fused activation.

use crate::model::{Activation, Quant};
use crate::quant::{activation_range, Requant};

#[derive(Debug, Clone)]
pub struct Mul {
    input_offsets: [i32; 2],
    requant: Requant,
    output_offset: i32,
    min: i32,
    max: i32,
}

impl Mul {
    pub fn new([a, b]: [&Quant; 2], y: &Quant, activation: Activation) -> Mul {
        let (min, max) = activation_range(activation, y);
        Mul {
            input_offsets: [-a.zero_point(), -b.zero_point()],
            requant: Requant::new(f64::from(a.scale()) * f64::from(b.scale()) / f64::from(y.scale())),
            output_offset: y.zero_point(),
            min,
            max,
        }
    }

    #[inline(always)]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let product = (i32::from(a) + self.input_offsets[0]) * (i32::from(b) + self.input_offsets[1]);
        (self.output_offset + self.requant.apply(product)).clamp(self.min, self.max) as i8
    }
}
