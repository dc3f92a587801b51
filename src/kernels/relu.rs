//! RELU and RELU6, int8 (TFLM `ReluQuantized`, `Relu6Quantized`). RELU requantizes to the
//! output's scale, then clamps at the output's zero; RELU6 clamps the input's own values at
//! its zero and its 6 and leaves the scale alone, as TFLM does.

use super::lut::Lut;
use super::prepare::Ctx;
use crate::error::Result;
use crate::quant::Requant;

pub fn prepare_relu(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, yq| {
        let rescale = Requant::new(f64::from(xq.scale()) / f64::from(yq.scale()));
        let (input_zero, output_zero) = (xq.zero_point(), yq.zero_point());
        let min = output_zero.max(-128);
        Ok(Box::new(move |v: i8| (output_zero + rescale.apply(i32::from(v) - input_zero)).clamp(min, 127) as i8))
    })
}

pub fn prepare_relu6(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, _| {
        let zero = xq.zero_point();
        let six = ((6.0f32 / xq.scale()).round() as i32).saturating_add(zero).clamp(-128, 127);
        Ok(Box::new(move |v: i8| {
            let v = i32::from(v);
            (if v > six {
                six
            } else if v < zero {
                zero
            } else {
                v
            }) as i8
        }))
    })
}
