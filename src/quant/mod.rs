//! Quantization exactly as TFLite Micro's int8 reference kernels do it: real values to int8
//! and back ([`affine`]), the requantization of an int32 accumulator to int8 ([`Requant`],
//! [`OutputStage`]) and the clamps of fused activations. The fixed-point arithmetic under
//! them, gemmlowp's double rounding (a rounding doubling high multiply, then a rounding
//! shift) and its transcendental functions, is in [`fixed_point`].
#![warn(clippy::indexing_slicing)]

pub mod affine;
pub mod fixed_point;

use crate::model::{Activation, Quant};
use fixed_point::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul};

/// A real multiplier `m` as `multiplier · 2^shift / 2^31` with `multiplier` in [2^30, 2^31).
/// Multipliers below 2^-31 · 0.5 cannot be represented and become 0, as in TFLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requant {
    pub multiplier: i32,
    pub shift: i32,
}

impl Requant {
    /// TFLite's `QuantizeMultiplier`.
    pub fn new(real: f64) -> Requant {
        if real == 0.0 || !real.is_finite() {
            return Requant { multiplier: 0, shift: 0 };
        }
        let (fraction, mut shift) = frexp(real);
        let mut q = (fraction * (1i64 << 31) as f64).round() as i64;
        if q == 1i64 << 31 {
            q /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Requant { multiplier: 0, shift: 0 };
        }
        if shift > 30 {
            return Requant { multiplier: i32::MAX, shift: 30 };
        }
        Requant { multiplier: q as i32, shift }
    }

    /// TFLite's `MultiplyByQuantizedMultiplier`.
    #[inline(always)]
    pub fn apply(self, x: i32) -> i32 {
        let left = self.shift.max(0);
        let right = (-self.shift).max(0);
        rounding_divide_by_pot(
            saturating_rounding_doubling_high_mul(x.wrapping_shl(left as u32), self.multiplier),
            right,
        )
    }
}

/// Decomposes `x` into a fraction in [0.5, 1) and a power of two, like C's `frexp`.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 {
        return (0.0, 0);
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    if exponent == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(x * (1u64 << 54) as f64);
        return (f, e - 54);
    }
    let e = exponent - 1022;
    let fraction = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (fraction, e)
}

/// The int8 clamp range of a fused activation, TFLite's `CalculateActivationRangeQuantized`.
pub fn activation_range(activation: Activation, out: &Quant) -> (i32, i32) {
    let (scale, zp) = (out.scale(), out.zero_point());
    // TfLiteRound on float, as TFLite computes it.
    // Saturating: with a tiny scale the bound lies beyond int32 and clamps nothing.
    let quantize = |f: f32| zp.saturating_add((f / scale).round() as i32);
    let (qmin, qmax) = (i32::from(i8::MIN), i32::from(i8::MAX));
    match activation {
        Activation::None => (qmin, qmax),
        Activation::Relu => (qmin.max(quantize(0.0)), qmax),
        Activation::Relu6 => (qmin.max(quantize(0.0)), qmax.min(quantize(6.0))),
        Activation::ReluN1To1 => (qmin.max(quantize(-1.0)), qmax.min(quantize(1.0))),
    }
}

/// Requantization of an int32 accumulator to the int8 output: TFLM's output stage.
#[derive(Debug, Clone)]
pub struct OutputStage {
    /// One multiplier per output channel (per-channel weights) or a single one.
    pub requant: Vec<Requant>,
    pub offset: i32,
    pub min: i32,
    pub max: i32,
}

impl OutputStage {
    /// Per-channel (or per-tensor) multipliers `input_scale · weight_scale[c] / output_scale`.
    // The loader and the kernels' preparation checked the weights' scales: one, or one per
    // output channel.
    #[allow(clippy::indexing_slicing)]
    pub fn new(input: &Quant, weights: &Quant, output: &Quant, channels: usize, activation: Activation) -> OutputStage {
        let requant = (0..channels)
            .map(|c| {
                let ws = if weights.scales.len() > 1 { weights.scales[c] } else { weights.scales[0] };
                Requant::new(f64::from(input.scale()) * f64::from(ws) / f64::from(output.scale()))
            })
            .collect();
        let (min, max) = activation_range(activation, output);
        OutputStage { requant, offset: output.zero_point(), min, max }
    }

    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // a kernel asks only for its own channels (a check would cost every output)
    pub fn apply(&self, acc: i32, channel: usize) -> i8 {
        let r = self.requant[channel];
        r.apply(acc).wrapping_add(self.offset).clamp(self.min, self.max) as i8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_multiplier_known_values() {
        assert_eq!(Requant::new(0.5), Requant { multiplier: 1 << 30, shift: 0 });
        assert_eq!(Requant::new(1.0), Requant { multiplier: 1 << 30, shift: 1 });
        assert_eq!(Requant::new(0.75), Requant { multiplier: 3 << 29, shift: 0 });
        assert_eq!(Requant::new(2f64.powi(-40)), Requant { multiplier: 0, shift: 0 });
        // Rounds up to 2^31 → renormalised.
        assert_eq!(Requant::new(1.0 - 1e-12), Requant { multiplier: 1 << 30, shift: 1 });
    }

    #[test]
    fn multiply_rounds_like_gemmlowp() {
        let half = Requant::new(0.5);
        assert_eq!(half.apply(3), 2);
        // The doubling high multiply nudges negative halves toward zero.
        assert_eq!(half.apply(-3), -1);
        assert_eq!(half.apply(2), 1);
        assert_eq!(Requant::new(0.25).apply(-6), -2);
        assert_eq!(Requant::new(0.0).apply(12345), 0);
    }

    #[test]
    fn frexp_matches_libm() {
        for x in [1.0, 0.3, 1e-10, 123456.789, 3.0e-300] {
            let (f, e) = frexp(x);
            assert!((0.5..1.0).contains(&f), "{x}");
            assert_eq!(f * 2f64.powi(e), x);
        }
    }
}
