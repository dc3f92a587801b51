//! TANH, int8 (TFLM `reference_integer_ops::Tanh`): LOGISTIC's input stage, gemmlowp's tanh,
//! the result on scale 1/128 with zero point 0 (TFLM adds no output zero point).

use super::logistic::saturating;
use super::lut::Lut;
use super::prepare::Ctx;
use crate::error::Result;
use crate::quant::fixed_point::{rounding_divide_by_pot, tanh_q4};

pub fn prepare(cx: &Ctx) -> Result<Lut> {
    Lut::prepare(cx, |xq, _| Ok(saturating(xq, |q4| rounding_divide_by_pot(tanh_q4(q4), 24).clamp(-128, 127) as i8)))
}
