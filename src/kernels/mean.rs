//! MEAN over height and width of an int8 NHWC map (TFLM's `QuantizedMeanOrSum`, which
//! divides and rescales in float32).

use super::{integers, Ctx, Hwc};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Mean {
    pub input: Hwc,
    input_zero_point: i32,
    output_zero_point: i32,
    scale: f32,
}

impl Mean {
    pub fn prepare(cx: &Ctx, keep_dims: bool) -> Result<Mean> {
        cx.expect_io(2..=2, 1)?;
        let (x, axes, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let input = cx.hwc(x, "input")?;
        let mut axes: Vec<i64> = integers(cx, axes, "axis")?.into_iter().map(|a| if a < 0 { a + 4 } else { a }).collect();
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
            scale: xq.scale() / yq.scale(),
        })
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        let c = self.input.c;
        let count = (self.input.h * self.input.w) as f32;
        let bias = -(self.input_zero_point as f32) * self.scale;
        for (ch, o) in output.iter_mut().enumerate() {
            let sum: i32 = input.iter().skip(ch).step_by(c).map(|&v| i32::from(v)).sum();
            let mean = sum as f32 / count;
            let q = (mean * self.scale + bias).round() + self.output_zero_point as f32;
            *o = q.clamp(f32::from(i8::MIN), f32::from(i8::MAX)) as i8;
        }
    }
}
