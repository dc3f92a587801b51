//! LEAKY_RELU, int8 (TFLM `reference_ops::QuantizeLeakyRelu`): non-negative inputs rescaled by
//! `input scale / output scale`, negative ones by `input scale · alpha / output scale`
//! (that product taken in float32, as TFLM's prepare does).

use super::lut::Lut;
use super::prepare::Ctx;
use crate::error::Result;
use crate::quant::Requant;

pub fn prepare(cx: &Ctx, alpha: f32) -> Result<Lut> {
    Lut::prepare(cx, |xq, yq| {
        let identity = Requant::new(f64::from(xq.scale() / yq.scale()));
        let leak = Requant::new(f64::from(xq.scale() * alpha / yq.scale()));
        let (input_zero, output_zero) = (xq.zero_point(), yq.zero_point());
        Ok(Box::new(move |v: i8| {
            let input = i32::from(v) - input_zero;
            let rescale = if input >= 0 { identity } else { leak };
            (output_zero + rescale.apply(input)).clamp(-128, 127) as i8
        }))
    })
}
