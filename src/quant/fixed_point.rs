//! gemmlowp's fixed-point arithmetic on raw int32 values, as TFLite Micro's int8 kernels use
//! it: the rounding primitives under every requantization, and the transcendental functions
//! of LOGISTIC, TANH, SOFTMAX and L2_NORMALIZATION (`gemmlowp::logistic`, `gemmlowp::tanh`
//! over `FixedPoint<int32_t, 4>`). A raw value with `n` integer bits means
//! `raw / 2^(31 − n)`. Additions wrap, as the C++ does on every platform TFLM runs on.

use saturating_rounding_doubling_high_mul as mul;

/// gemmlowp's `SaturatingRoundingDoublingHighMul`.
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge = if ab >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
    // C++ integer division truncates toward zero, as does Rust's.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: round half away from zero.
#[inline(always)]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// gemmlowp's `SaturatingRoundingMultiplyByPOT`: a saturating left shift or a rounding
/// right shift.
pub fn multiply_by_pot(x: i32, exponent: i32) -> i32 {
    match exponent {
        0 => x,
        e if e > 0 => {
            let threshold = (1i32 << (31 - e)) - 1;
            if x > threshold {
                i32::MAX
            } else if x < -threshold {
                i32::MIN
            } else {
                x << e
            }
        }
        e => rounding_divide_by_pot(x, -e),
    }
}

/// (a + b) / 2, rounded half away from zero.
fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    ((sum + if sum >= 0 { 1 } else { -1 }) / 2) as i32
}

/// exp(a) for a in [-1/4, 0), both with 0 integer bits.
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = multiply_by_pot(x4, -2);
    let tail = multiply_by_pot(mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2), -1);
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(tail)))
}

/// exp(a) for a ≤ 0 with `integer_bits`; the result has 0 integer bits.
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    let fractional = 31 - integer_bits;
    let one_quarter = 1i32 << (fractional - 2);
    let a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(multiply_by_pot(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(-2^e) for e = -2 ..= 4, with 0 integer bits.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent && remainder & (1 << (fractional + exponent)) != 0 {
            result = mul(result, multiplier);
        }
    }
    if integer_bits > 5 && a < -(1 << (36 - integer_bits)) {
        result = 0;
    }
    if a == 0 {
        i32::MAX
    } else {
        result
    }
}

/// The Newton–Raphson reciprocal of gemmlowp: 1 / (1 + a) for a in (0, 1), as a value with
/// 2 integer bits.
fn reciprocal_of_one_plus(a: i32) -> i32 {
    const FORTY_EIGHT_OVER_17: i32 = 1_515_870_810;
    const MINUS_32_OVER_17: i32 = -1_010_580_540;
    const ONE_F2: i32 = 1 << 29;
    let half_denominator = rounding_half_sum(a, i32::MAX);
    let mut x = FORTY_EIGHT_OVER_17.wrapping_add(mul(half_denominator, MINUS_32_OVER_17));
    for _ in 0..3 {
        let one_minus_half_denominator_times_x = ONE_F2.wrapping_sub(mul(half_denominator, x));
        x = x.wrapping_add(multiply_by_pot(mul(x, one_minus_half_denominator_times_x), 2));
    }
    x
}

/// gemmlowp's `one_over_one_plus_x_for_x_in_0_1`: 1 / (1 + a) for a in [0, 1), both with 0
/// integer bits.
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    // The reciprocal has 2 integer bits: `ExactMulByPot<-1>` reads it with 1, and
    // `Rescale<0>` shifts it left by one.
    multiply_by_pot(reciprocal_of_one_plus(a), 1)
}

/// 1 / (1 + exp(-a)) for a with 4 integer bits; the result has 0 integer bits.
pub fn logistic_q4(a: i32) -> i32 {
    let magnitude = if a > 0 { a } else { a.wrapping_neg() };
    // 1 / (1 + x) with x = exp(-|a|).
    let positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(magnitude.wrapping_neg(), 4));
    match a {
        0 => 1 << 30,
        a if a > 0 => positive,
        _ => i32::MAX.wrapping_sub(positive),
    }
}

/// tanh(a) for a with 4 integer bits; the result has 0 integer bits.
pub fn tanh_q4(a: i32) -> i32 {
    let negative = if a < 0 { a } else { a.wrapping_neg() };
    // (1 − x) / (1 + x) with x = exp(2·negative): exp over 5 integer bits doubles the value.
    let x = exp_on_negative_values(negative, 5);
    let t = multiply_by_pot(reciprocal_of_one_plus(x).wrapping_sub(1 << 29), 2);
    match a {
        0 => 0,
        a if a < 0 => t.wrapping_neg(),
        _ => t,
    }
}

/// TFLite's `GetInvSqrtQuantizedMultiplierExp` with its reverse shift (-1): 1/√`input` as a
/// multiplier and a left shift for [`crate::quant::Requant`]. Five Newton–Raphson steps in
/// 3 integer bits from x = 1 on the input scaled into [2^27, 2^29); inputs of 0 and 1 give
/// the largest multiplier, as TFLite does to avoid its overflow.
pub fn inv_sqrt_multiplier(input: i32) -> (i32, i32) {
    if input <= 1 {
        return (i32::MAX, 0);
    }
    let (mut input, mut shift) = (input, 11);
    while input >= 1 << 29 {
        input /= 4;
        shift += 1;
    }
    let pairs = ((input as u32).leading_zeros() - 1) / 2 - 1;
    shift -= pairs as i32;
    input <<= 2 * pairs;
    const ONE: i32 = 1 << 28; // 1.0 with 3 integer bits
    const THREE_HALVES: i32 = (1 << 28) + (1 << 27);
    const HALF_SQRT_2: i32 = 1_518_500_250; // √2 / 2 with 0 integer bits
    let half_input = multiply_by_pot(input >> 1, -1);
    let mut x = ONE;
    for _ in 0..5 {
        let x3 = multiply_by_pot(mul(mul(x, x), x), 6);
        x = multiply_by_pot(mul(THREE_HALVES, x).wrapping_sub(mul(half_input, x3)), 3);
    }
    let mut multiplier = mul(x, HALF_SQRT_2);
    if shift < 0 {
        multiplier = multiplier.wrapping_shl((-shift) as u32);
        shift = 0;
    }
    (multiplier, -shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(raw: i32) -> f64 {
        f64::from(raw) / 2f64.powi(31)
    }

    #[test]
    fn doubling_high_mul_saturates() {
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
    }

    #[test]
    fn logistic_and_tanh_approximate_the_real_functions() {
        for i in -100..=100 {
            let x = f64::from(i) * 0.15;
            let raw = (x * 2f64.powi(27)).round() as i32;
            assert!((real(logistic_q4(raw)) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6, "logistic({x})");
            assert!((real(tanh_q4(raw)) - x.tanh()).abs() < 1e-6, "tanh({x})");
        }
        assert_eq!(logistic_q4(0), 1 << 30);
        assert_eq!(tanh_q4(0), 0);
    }

    #[test]
    fn inv_sqrt_multiplier_approximates_one_over_the_root() {
        for n in (2..5000).chain((1..200).map(|i| i * 1_000_003)).chain([i32::MAX]) {
            let (multiplier, shift) = inv_sqrt_multiplier(n);
            let got = real(multiplier) * 2f64.powi(shift);
            let want = 1.0 / f64::from(n).sqrt();
            assert!((got / want - 1.0).abs() < 1e-5, "1/√{n}: {got} vs {want}");
        }
        assert_eq!(inv_sqrt_multiplier(0), (i32::MAX, 0));
        assert_eq!(inv_sqrt_multiplier(1), (i32::MAX, 0));
    }
}
