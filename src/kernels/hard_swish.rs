//! HARD_SWISH, int8 (TFLM `reference_ops::HardSwish`): `x · relu6(x + 3) / 6` in int16
//! fixed point — the input on a 2^7 finer scale, a "relu-ish" factor in [0, 1] from the input
//! rescaled so that 3.0 is 2^15, and a truncating (not rounding) final multiply, as TFLM
//! chose to cancel the rounding bias of the first.

use super::lut::Lut;
use super::prepare::Ctx;
use crate::error::Result;
use crate::quant::Requant;

/// gemmlowp's int16 `SaturatingRoundingDoublingHighMul`.
fn rounding_high_mul(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let ab = i32::from(a) * i32::from(b);
    let nudge = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    ((ab + nudge) / (1 << 15)) as i16
}

/// TFLite's `SaturatingDoublingHighMul`: the same, truncating toward zero.
fn truncating_high_mul(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b)) / (1 << 15)) as i16
}

/// gemmlowp's `RoundingDivideByPOT` on int16.
/// The mask is truncated to int16 and the shift done in int, as in C++: exponents of 16 and
/// more (tiny scales) shift everything out.
fn rounding_divide_by_pot(x: i16, exponent: i32) -> i16 {
    let mask = ((1i64 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1).wrapping_add(i16::from(x < 0));
    ((i32::from(x) >> exponent) as i16).wrapping_add(i16::from(remainder > threshold))
}

fn saturating_left_shift(x: i16, amount: i32) -> i16 {
    (i64::from(x) << amount).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// TFLite's `DownScaleInt32ToInt16Multiplier`.
fn to_int16(multiplier: i32) -> i16 {
    const ROUNDING: i32 = 1 << 15;
    if multiplier >= i32::MAX - ROUNDING {
        return i16::MAX;
    }
    ((multiplier + ROUNDING) >> 16) as i16
}

pub fn prepare(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, yq| {
        let hires_input_scale = (1.0f32 / 128.0) * xq.scale();
        let reluish_scale = 3.0f32 / 32768.0;
        let output = Requant::new(f64::from(hires_input_scale / yq.scale()));
        let reluish = Requant::new(f64::from(hires_input_scale / reluish_scale));
        if output.shift > 0 {
            return Err(cx.err("output scale is below input scale / 128, which TFLite refuses"));
        }
        let (output_multiplier, reluish_multiplier) = (to_int16(output.multiplier), to_int16(reluish.multiplier));
        let (input_zero, output_zero) = (xq.zero_point(), yq.zero_point());
        Ok(Box::new(move |v: i8| {
            let hires = ((i32::from(v) - input_zero) * 128) as i16;
            let preshift_output = rounding_high_mul(hires, output_multiplier);
            let mut relu = hires;
            if reluish.shift > 0 {
                relu = saturating_left_shift(relu, reluish.shift - 1);
            }
            relu = rounding_high_mul(relu, reluish_multiplier);
            if reluish.shift > 0 {
                relu = saturating_left_shift(relu, 1);
            }
            if reluish.shift < 0 {
                relu = rounding_divide_by_pot(relu, -reluish.shift);
            }
            let relu = ((i32::from(relu) + (1 << 15)) >> 1) as i16;
            let out = rounding_divide_by_pot(truncating_high_mul(relu, preshift_output), -output.shift);
            // TFLM adds the zero point in int16.
            i32::from((i32::from(out) + output_zero) as i16).clamp(-128, 127) as i8
        }))
    })
}
