//! MEAN over height and width of an int8 NHWC map, in integer arithmetic as TFLite
//! Micro's current reference kernel does it: the input/output rescale and the division
//! by the element count are folded into one fixed-point multiplier.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::Hwc;
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
            cx.integers(axes, "axis")?.into_iter().map(|a| if a < 0 { a + 4 } else { a }).collect();
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

    /// One pass over the pixels, summing up to `LANES` channels at a time (a loop the
    /// compiler vectorises), then `Σ(x − zp) = Σx − count·zp` rescaled per channel.
    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        const LANES: usize = 64;
        let c = self.input.c;
        let count = (self.input.h * self.input.w) as i32;
        for (start, out) in (0..c).step_by(LANES).zip(output.chunks_mut(LANES)) {
            let mut sums = [0i32; LANES];
            let sums = &mut sums[..out.len()];
            for px in input.chunks_exact(c) {
                for (s, &v) in sums.iter_mut().zip(&px[start..]) {
                    *s = s.wrapping_add(i32::from(v));
                }
            }
            for (o, &s) in out.iter_mut().zip(sums.iter()) {
                *o = self.output(s.wrapping_sub(count.wrapping_mul(self.input_zero_point)));
            }
        }
    }

    /// The scalar reference: TFLM's loop, which the fast path must match byte for byte.
    pub fn eval_reference(&self, input: &[i8], output: &mut [i8]) {
        let c = self.input.c;
        for (ch, o) in output.iter_mut().enumerate() {
            let sum: i32 = input.iter().skip(ch).step_by(c).map(|&v| i32::from(v) - self.input_zero_point).sum();
            *o = self.output(sum);
        }
    }

    fn output(&self, sum: i32) -> i8 {
        let q = self.rescale.apply(sum).wrapping_add(self.output_zero_point);
        q.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::kernels::fast::testing::config(300))]

        /// Any map (past one block of channels), any quantization: the one-pass sums equal
        /// the reference byte for byte.
        #[test]
        fn fast_path_matches_reference(
            (h, w, c) in (1usize..=9, 1usize..=9, 1usize..=150),
            zero_points in (-128i32..=127, -128i32..=127),
            exponent in -8.0f64..3.0,
            seed in any::<u64>(),
        ) {
            let input = Hwc { h, w, c };
            let mean = Mean {
                input,
                input_zero_point: zero_points.0,
                output_zero_point: zero_points.1,
                rescale: divided_rescale(2f64.powf(exponent), h * w),
            };
            let x: Vec<i8> = (0..input.elements() as u64)
                .map(|i| ((i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as i8)
                .collect();
            let (mut got, mut expected) = (vec![0i8; c], vec![0i8; c]);
            mean.eval(&x, &mut got);
            mean.eval_reference(&x, &mut expected);
            prop_assert_eq!(got, expected);
        }
    }
}
