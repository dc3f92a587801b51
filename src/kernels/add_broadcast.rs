//! ADD with a constant or broadcast operand, int8 (TFLM `reference_integer_ops::BroadcastAdd6DSlow`,
//! whose per-element `AddFunc` is [`super::add::Add`]'s): both inputs rescaled to a common
//! 2^20 fixed point, summed, requantized. Keras' Rescaling (x · scale + offset, the
//! preprocessing of keras.applications' MobileNetV3 and EfficientNet) converts to a MUL and
//! an ADD of constants; the broadcasting itself is [`super::elementwise::Binary`]'s.

use crate::model::{Activation, Quant};
use crate::quant::{activation_range, Requant};

const LEFT_SHIFT: i32 = 20;

#[derive(Debug, Clone)]
pub struct BroadcastAdd {
    input_offsets: [i32; 2],
    input_requant: [Requant; 2],
    output_requant: Requant,
    output_offset: i32,
    min: i32,
    max: i32,
}

impl BroadcastAdd {
    pub fn new([a, b]: [&Quant; 2], y: &Quant, activation: Activation) -> BroadcastAdd {
        let twice_max = 2.0 * f64::from(a.scale().max(b.scale()));
        let (min, max) = activation_range(activation, y);
        BroadcastAdd {
            input_offsets: [-a.zero_point(), -b.zero_point()],
            input_requant: [
                Requant::new(f64::from(a.scale()) / twice_max),
                Requant::new(f64::from(b.scale()) / twice_max),
            ],
            output_requant: Requant::new(twice_max / (f64::from(1u32 << LEFT_SHIFT) * f64::from(y.scale()))),
            output_offset: y.zero_point(),
            min,
            max,
        }
    }

    #[inline(always)]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let scaled =
            |v: i8, i: usize| self.input_requant[i].apply((i32::from(v) + self.input_offsets[i]) << LEFT_SHIFT);
        let sum = scaled(a, 0) + scaled(b, 1);
        self.output_requant.apply(sum).wrapping_add(self.output_offset).clamp(self.min, self.max) as i8
    }
}
