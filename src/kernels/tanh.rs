//! TANH, int8 (TFLM `reference_integer_ops::Tanh`): LOGISTIC's input stage, gemmlowp's tanh,
//! the result on scale 1/128 with zero point 0 (TFLM adds no output zero point).

use super::fixed_point::tanh_q4;
use super::logistic::input_stage;
use super::lut::Lut;
use super::Ctx;
use crate::error::Result;
use crate::quant::rounding_divide_by_pot;

pub fn prepare(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, _| {
        let (rescale, radius) = input_stage(xq.scale());
        let zero_point = xq.zero_point();
        Ok(Box::new(move |v: i8| {
            let input = i32::from(v) - zero_point;
            if input <= -radius {
                i8::MIN
            } else if input >= radius {
                i8::MAX
            } else {
                rounding_divide_by_pot(tanh_q4(rescale.apply(input)), 24).clamp(-128, 127) as i8
            }
        }))
    })
}
