//! LOGISTIC, int8 (TFLM `reference_integer_ops::Logistic`): the input rescaled to a
//! fixed-point value with 4 integer bits, gemmlowp's logistic, the result on scale 1/256 with
//! zero point -128; inputs beyond the range that rescaling can hold saturate.

use super::fixed_point::logistic_q4;
use super::lut::Lut;
use super::Ctx;
use crate::error::Result;
use crate::quant::{rounding_divide_by_pot, Requant};

/// The input stage TFLM's LOGISTIC and TANH share: `(multiplier, left shift)` taking
/// `input − zero point` to 4 integer bits, and the radius beyond which the result saturates.
pub fn input_stage(scale: f32) -> (Requant, i32) {
    const INPUT_INTEGER_BITS: i32 = 4;
    let real = f64::from(scale) * f64::from(1u32 << (31 - INPUT_INTEGER_BITS));
    let (fraction, shift) = frexp(real);
    let multiplier = (fraction * 2f64.powi(31)).round() as i32;
    let radius = (15.0 * 2f64.powi(31 - INPUT_INTEGER_BITS) / 2f64.powi(shift)).floor() as i32;
    (Requant { multiplier, shift }, radius)
}

/// C's `frexp` for positive finite values: `x = fraction · 2^exponent`, fraction in [0.5, 1).
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let exponent = x.abs().log2().floor() as i32 + 1;
    let fraction = x / 2f64.powi(exponent);
    // log2 can land one off near powers of two.
    match fraction.abs() {
        f if f >= 1.0 => (fraction / 2.0, exponent + 1),
        f if f < 0.5 => (fraction * 2.0, exponent - 1),
        _ => (fraction, exponent),
    }
}

pub fn prepare(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, yq| {
        if yq.zero_point() != -128 {
            return Err(cx.err(format!("output zero point is {}, TFLite requires -128", yq.zero_point())));
        }
        let (rescale, radius) = input_stage(xq.scale());
        let zero_point = xq.zero_point();
        Ok(Box::new(move |v: i8| {
            let input = i32::from(v) - zero_point;
            if input <= -radius {
                i8::MIN
            } else if input >= radius {
                i8::MAX
            } else {
                let q0 = logistic_q4(rescale.apply(input));
                (rounding_divide_by_pot(q0, 23) - 128).clamp(-128, 127) as i8
            }
        }))
    })
}
