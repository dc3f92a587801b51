//! ADD with a constant or broadcast operand, and SUB, int8 (TFLM `BroadcastAdd6DSlow`, whose
//! per-element `AddFunc` is [`super::add::Add`]'s, and `reference_ops::Sub` /
//! `BroadcastQuantSubSlow`): both inputs rescaled to a common 2^20 fixed point, summed or
//! subtracted, requantized. Keras' Rescaling (x · scale + offset, the preprocessing of
//! keras.applications' MobileNetV3 and EfficientNet) converts to a MUL and an ADD of
//! constants; the broadcasting itself is [`super::elementwise::Binary`]'s.

use super::fast::elementwise::{AddLanes, LEFT_SHIFT};
use crate::model::{Activation, Quant};
use crate::quant::{activation_range, Requant};

#[derive(Debug, Clone)]
pub struct AddSub {
    /// SUB (`a − b`) rather than ADD.
    subtract: bool,
    input_offsets: [i32; 2],
    input_requant: [Requant; 2],
    output_requant: Requant,
    output_offset: i32,
    min: i32,
    max: i32,
}

impl AddSub {
    pub fn add(inputs: [&Quant; 2], y: &Quant, activation: Activation) -> AddSub {
        AddSub::new(false, inputs, y, activation)
    }

    pub fn sub(inputs: [&Quant; 2], y: &Quant, activation: Activation) -> AddSub {
        AddSub::new(true, inputs, y, activation)
    }

    fn new(subtract: bool, [a, b]: [&Quant; 2], y: &Quant, activation: Activation) -> AddSub {
        let twice_max = 2.0 * f64::from(a.scale().max(b.scale()));
        let (min, max) = activation_range(activation, y);
        AddSub {
            subtract,
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

    /// The same arithmetic clamped to `[min, max]` instead of the activation's range.
    #[cfg(test)]
    pub fn clamped(self, min: i32, max: i32) -> AddSub {
        AddSub { min, max, ..self }
    }

    /// ADD's fast path, eight elements at a time.
    pub fn lanes(&self) -> AddLanes {
        debug_assert!(!self.subtract);
        let (offset, min, max) = (self.output_offset, self.min, self.max);
        AddLanes::new(self.input_offsets, self.input_requant, self.output_requant, offset, min, max)
    }

    #[inline(always)]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let scaled =
            |v: i8, i: usize| self.input_requant[i].apply((i32::from(v) + self.input_offsets[i]) << LEFT_SHIFT);
        let (a, b) = (scaled(a, 0), scaled(b, 1));
        let result = if self.subtract { a - b } else { a + b };
        self.output_requant.apply(result).wrapping_add(self.output_offset).clamp(self.min, self.max) as i8
    }
}
