//! PRELU, int8 (TFLM `reference_ops::BroadcastPrelu4DSlow`): a non-negative offset input is
//! rescaled by `input scale / output scale`; a negative one is multiplied by its offset alpha
//! (broadcast, usually one per channel) and rescaled by `input scale · alpha scale / output
//! scale`. Two multipliers, as TFLM's prepare computes them (in double).

use crate::model::Quant;
use crate::quant::Requant;

#[derive(Debug, Clone)]
pub struct Prelu {
    input_offset: i32,
    alpha_offset: i32,
    identity: Requant,
    leak: Requant,
    output_offset: i32,
}

impl Prelu {
    pub fn new([x, alpha]: [&Quant; 2], y: &Quant) -> Prelu {
        let (xs, alpha_scale, ys) = (f64::from(x.scale()), f64::from(alpha.scale()), f64::from(y.scale()));
        Prelu {
            input_offset: -x.zero_point(),
            alpha_offset: -alpha.zero_point(),
            identity: Requant::new(xs / ys),
            leak: Requant::new(xs * alpha_scale / ys),
            output_offset: y.zero_point(),
        }
    }

    #[inline(always)]
    pub fn apply(&self, x: i8, alpha: i8) -> i8 {
        let input = i32::from(x) + self.input_offset;
        let scaled = match input >= 0 {
            true => self.identity.apply(input),
            false => self.leak.apply(input * (i32::from(alpha) + self.alpha_offset)),
        };
        (scaled + self.output_offset).clamp(-128, 127) as i8
    }
}
