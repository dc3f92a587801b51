//! SOFTMAX, int8 in and out, along the last axis (TFLM `reference_ops::Softmax` on int8,
//! which computes exp and the reciprocal in gemmlowp fixed point).

use super::prepare::Ctx;
use crate::error::Result;
use crate::quant::fixed_point::{
    exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1, rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul as mul,
};
use crate::quant::Requant;

/// Integer bits of the scaled input differences and of the sum of exponentials.
const DIFF_INTEGER_BITS: i32 = 5;
const ACCUM_INTEGER_BITS: i32 = 12;

#[derive(Debug, Clone)]
pub struct Softmax {
    pub depth: usize,
    input_multiplier: i32,
    input_left_shift: i32,
    diff_min: i32,
}

impl Softmax {
    pub fn prepare(cx: &Ctx, beta: f32) -> Result<Softmax> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        if x.shape != y.shape || x.shape.is_empty() {
            return Err(cx.err(format!("input {:?} and output {:?} must have the same shape", x.shape, y.shape)));
        }
        if yq.zero_point() != -128 || (yq.scale() - 1.0 / 256.0).abs() > 1.0 / 256.0 * 1e-3 {
            return Err(cx.err("int8 softmax output must have scale 1/256 and zero point -128"));
        }
        // TFLite's PreprocessSoftmaxScaling and CalculateInputRadius.
        let real = (f64::from(beta) * f64::from(xq.scale()) * f64::from(1u32 << (31 - DIFF_INTEGER_BITS)))
            .min(f64::from(i32::MAX));
        let r = Requant::new(real);
        if r.shift < 0 {
            return Err(cx.err("softmax input scale × beta is too small"));
        }
        let max_input_rescaled = f64::from((1 << DIFF_INTEGER_BITS) - 1) * (1i64 << (31 - DIFF_INTEGER_BITS)) as f64
            / (1i64 << r.shift) as f64;
        Ok(Softmax {
            depth: *x.shape.last().unwrap_or(&1),
            input_multiplier: r.multiplier,
            input_left_shift: r.shift,
            diff_min: -(max_input_rescaled.floor() as i32),
        })
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        for (row, out) in input.chunks_exact(self.depth).zip(output.chunks_exact_mut(self.depth)) {
            let max = row.iter().copied().max().map_or(0, i32::from);
            let scaled = |v: i8| -> Option<i32> {
                let diff = i32::from(v) - max;
                (diff >= self.diff_min)
                    .then(|| mul(diff.wrapping_mul(1 << self.input_left_shift), self.input_multiplier))
            };
            let sum_of_exps = row
                .iter()
                .filter_map(|&v| scaled(v))
                .map(|d| rounding_divide_by_pot(exp_on_negative_values(d, DIFF_INTEGER_BITS), ACCUM_INTEGER_BITS))
                .fold(0i32, i32::wrapping_add);
            let (reciprocal, bits_over_unit) = reciprocal(sum_of_exps, ACCUM_INTEGER_BITS);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = match scaled(v) {
                    Some(d) => {
                        let unsat = rounding_divide_by_pot(
                            mul(reciprocal, exp_on_negative_values(d, DIFF_INTEGER_BITS)),
                            bits_over_unit + 31 - 8,
                        );
                        (unsat - 128).clamp(-128, 127) as i8
                    }
                    None => -128,
                };
            }
        }
    }
}

/// TFLite's `GetReciprocal`: 1/x for x in Q(integer_bits), as a Q0.31 value and a shift.
fn reciprocal(x: i32, integer_bits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros() as i32;
    let bits_over_unit = integer_bits - headroom_plus_one;
    let shifted_sum_minus_one = ((x as u32).wrapping_shl(headroom_plus_one as u32)).wrapping_sub(1u32 << 31) as i32;
    (one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), bits_over_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_of_zero_and_minus_one() {
        assert_eq!(exp_on_negative_values(0, DIFF_INTEGER_BITS), i32::MAX);
        let e = exp_on_negative_values(-(1 << 26), DIFF_INTEGER_BITS) as f64 / 2f64.powi(31);
        assert!((e - (-1f64).exp()).abs() < 1e-6, "{e}");
    }

    #[test]
    fn reciprocal_of_two() {
        // 2.0 in Q12.19 → 1.0 in Q0.31, one bit over unit: 1.0 · 2^-1.
        let (r, bits) = reciprocal(2 << 19, 12);
        let value = r as f64 / 2f64.powi(31) / 2f64.powi(bits);
        assert!((value - 0.5).abs() < 1e-6, "{value}");
    }
}
