//! LOGISTIC, int8 (TFLM `reference_integer_ops::Logistic`): the input rescaled to a
//! fixed-point value with 4 integer bits, gemmlowp's logistic, the result on scale 1/256 with
//! zero point -128; inputs beyond the range that rescaling can hold saturate.

use super::lut::Lut;
use super::prepare::Ctx;
use crate::error::Result;
use crate::model::Quant;
use crate::quant::fixed_point::{logistic_q4, rounding_divide_by_pot};
use crate::quant::Requant;

/// The input stage TFLM's LOGISTIC and TANH share: `input − zero point` taken to 4 integer
/// bits and passed to `inner`, saturating beyond the range that rescaling can hold.
pub fn saturating(xq: &Quant, inner: impl Fn(i32) -> i8 + 'static) -> Box<dyn Fn(i8) -> i8> {
    const INPUT_INTEGER_BITS: i32 = 4;
    let real = f64::from(xq.scale()) * f64::from(1u32 << (31 - INPUT_INTEGER_BITS));
    let (fraction, shift) = frexp(real);
    let multiplier = (fraction * 2f64.powi(31)).round() as i32;
    let radius = (15.0 * 2f64.powi(31 - INPUT_INTEGER_BITS) / 2f64.powi(shift)).floor() as i32;
    let (rescale, zero_point) = (Requant { multiplier, shift }, xq.zero_point());
    Box::new(move |v: i8| {
        let input = i32::from(v) - zero_point;
        if input <= -radius {
            i8::MIN
        } else if input >= radius {
            i8::MAX
        } else {
            inner(rescale.apply(input))
        }
    })
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
        Ok(saturating(xq, |q4| (rounding_divide_by_pot(logistic_q4(q4), 23) - 128).clamp(-128, 127) as i8))
    })
}
