//! Real values to int8 and back with a tensor's scale and zero point, rounded and computed in
//! the precision TFLite Micro uses: float32 for QUANTIZE, double for DEQUANTIZE.

use crate::model::Quant;

/// Real value → int8: `round(v / scale) + zero_point`, clamped.
#[derive(Debug, Clone, Copy)]
pub struct AffineQuantize {
    pub scale: f32,
    pub zero_point: i32,
}

impl AffineQuantize {
    /// Quantizes one value exactly as TFLM does: `v / scale` rounded half away from zero
    /// (`TfLiteRound`); values beyond int32 saturate (found by fuzzing: 1e30 plus a positive
    /// zero point overflowed and wrapped to -128).
    ///
    /// The rounding is spelled out rather than `f32::round`, which compiles to a call of
    /// libm's `roundf` per value and keeps the loop from vectorising: the truncation
    /// (saturating, NaN to 0) plus one step where the fraction, exact by Sterbenz's lemma,
    /// reaches a half. Equal to `(v / scale).round() as i32` for every float (tested).
    #[inline(always)]
    pub fn quantize(&self, v: f32) -> i8 {
        let q = v / self.scale;
        let t = q as i32;
        let fraction = q - t as f32;
        let rounded = if fraction >= 0.5 {
            t.saturating_add(1)
        } else if fraction <= -0.5 {
            t.saturating_sub(1)
        } else {
            t
        };
        rounded.saturating_add(self.zero_point).clamp(-128, 127) as i8
    }

    /// Quantizes little-endian float32 bytes into `out`, one value per 4 bytes.
    #[allow(clippy::indexing_slicing)] // `chunks_exact(4)` yields four bytes
    pub fn quantize_bytes(&self, bytes: &[u8], out: &mut [i8]) {
        for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = self.quantize(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
    }
}

/// Int8 → real value: `scale · (v − zero_point)` in double precision, as TFLM's
/// `reference_ops::Dequantize` computes it, rounded once to float32.
#[derive(Debug, Clone, Copy)]
pub struct AffineDequantize {
    pub scale: f64,
    pub zero_point: i32,
}

impl AffineDequantize {
    pub fn new(q: &Quant) -> AffineDequantize {
        AffineDequantize { scale: f64::from(q.scale()), zero_point: q.zero_point() }
    }

    pub fn dequantize(&self, v: i8) -> f32 {
        (self.scale * f64::from(i32::from(v) - self.zero_point)) as f32
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// TFLM's formula as written: `round(v / scale) + zero_point`, with `f32::round`.
    fn reference(q: &AffineQuantize, v: f32) -> i8 {
        ((v / q.scale).round() as i32).saturating_add(q.zero_point).clamp(-128, 127) as i8
    }

    #[test]
    fn rounds_half_away_from_zero_at_the_edges() {
        let q = AffineQuantize { scale: 1.0, zero_point: 0 };
        let below_half = f32::from_bits(0.5f32.to_bits() - 1);
        for v in [0.5, -0.5, 2.5, -2.5, 1.5, below_half, -below_half, 127.5, -128.5, 126.49999, f32::NAN] {
            assert_eq!(q.quantize(v), reference(&q, v), "{v}");
        }
        let wide = AffineQuantize { scale: 1e-30, zero_point: 100 };
        for v in [f32::INFINITY, f32::NEG_INFINITY, 3e38, -3e38, 2147483648.0, -2147483648.0, 8388608.5] {
            assert_eq!(wide.quantize(v), reference(&wide, v), "{v}");
            let unit = AffineQuantize { scale: 1.0, zero_point: -5 };
            assert_eq!(unit.quantize(v), reference(&unit, v), "{v}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Every float (any bit pattern: NaNs, infinities, subnormals) at any scale and zero
        /// point quantizes as TFLM's `round` does.
        #[test]
        fn quantize_equals_the_rounding_formula(bits in any::<u32>(), scale_bits in any::<u32>(), zero_point in -300i32..300) {
            let scale = f32::from_bits(scale_bits).abs();
            prop_assume!(scale.is_finite() && scale > 0.0);
            let v = f32::from_bits(bits);
            let q = AffineQuantize { scale, zero_point };
            prop_assert_eq!(q.quantize(v), reference(&q, v));
        }

        /// Values near integers and halves, where rounding decides.
        #[test]
        fn quantize_near_halves(n in -300i32..300, nudge in -4i32..=4, scale in 0.001f32..10.0, zero_point in -128i32..=127) {
            let half = (n as f32 + 0.5) * scale;
            let v = f32::from_bits((half.to_bits() as i32 + nudge) as u32);
            let q = AffineQuantize { scale, zero_point };
            prop_assert_eq!(q.quantize(v), reference(&q, v));
        }
    }
}
