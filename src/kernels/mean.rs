//! MEAN over height and width of an int8 NHWC map, in integer arithmetic as TFLite
//! Micro's current reference kernel does it: the input/output rescale and the division
//! by the element count are folded into one fixed-point multiplier.

use super::{integers, Ctx, Hwc};
use crate::error::Result;
use crate::quant::Requant;

#[derive(Debug, Clone)]
pub struct Mean {
    pub input: Hwc,
    input_zero_point: i32,
    output_zero_point: i32,
    rescale: Requant,
}

impl Mean {
    pub fn prepare(cx: &Ctx, keep_dims: bool) -> Result<Mean> {
        cx.expect_io(2..=2, 1)?;
        let (x, axes, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let input = cx.hwc(x, "input")?;
        let mut axes: Vec<i64> =
            integers(cx, axes, "axis")?.into_iter().map(|a| if a < 0 { a + 4 } else { a }).collect();
        axes.sort_unstable();
        axes.dedup();
        if axes != [1, 2] {
            return Err(cx.err(format!("only the mean over height and width (axes [1, 2]) is supported, got {axes:?}")));
        }
        let expected: &[usize] = if keep_dims { &[1, 1, 1, input.c] } else { &[1, input.c] };
        cx.expect_shape(y, expected, "output")?;
        Ok(Mean {
            input,
            input_zero_point: xq.zero_point(),
            output_zero_point: yq.zero_point(),
            rescale: divided_rescale(f64::from(xq.scale()) / f64::from(yq.scale()), input.h * input.w),
        })
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        let c = self.input.c;
        for (ch, o) in output.iter_mut().enumerate() {
            let sum: i32 = input.iter().skip(ch).step_by(c).map(|&v| i32::from(v) - self.input_zero_point).sum();
            let q = self.rescale.apply(sum) + self.output_zero_point;
            *o = q.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
        }
    }
}

/// The rescale `real / count` as TFLM builds it: the multiplier for `real` is widened by
/// `2^k` (k = floor(log2 count), at most 32 and at most 31 + its shift), divided by
/// `count` with truncation, and the shift lowered by k. The truncation is part of the
/// result: rounding the quotient instead changes outputs near .5.
fn divided_rescale(real: f64, count: usize) -> Requant {
    let base = Requant::new(real);
    let widen = (count.max(1).ilog2() as i32).min(32).min(31 + base.shift);
    let multiplier = (i64::from(base.multiplier) << widen) / count.max(1) as i64;
    Requant { multiplier: multiplier as i32, shift: base.shift - widen }
}
