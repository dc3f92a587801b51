//! QUANTIZE: float32 → int8 at the model's input (TFLM `reference_ops::AffineQuantize`), or
//! int8 → int8 with new parameters, which converters insert between ops whose scales differ
//! (TFLM `reference_ops::Requantize`). Both are element-wise: over a [1, H, W, C] map they
//! run region by region, so a float input can be streamed patch by patch like an int8 one.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{as_i8, elementwise_map, Fmap, FmapMut, Hwc, Region};
use crate::model::DType;
use crate::quant::Requant;

#[derive(Debug, Clone)]
pub struct Quantize {
    /// The map it runs over (a 1×1×N map for tensors of other ranks), element by element;
    /// region by region when `spatial` (the tensors are [1, H, W, C] maps).
    pub map: Hwc,
    pub spatial: bool,
    pub source: Source,
}

/// What the input is.
#[derive(Debug, Clone)]
pub enum Source {
    Float(AffineQuantize),
    Int8 { input_offset: i32, rescale: Requant, output_zero_point: i32 },
}

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
    fn quantize_bytes(&self, bytes: &[u8], out: &mut [i8]) {
        for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = self.quantize(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
    }
}

impl Quantize {
    pub fn prepare(cx: &Ctx) -> Result<Quantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let yq = cx.int8_activation(y, "output")?;
        if x.shape != y.shape {
            return Err(cx.err(format!("input {:?} and output {:?} differ in shape", x.shape, y.shape)));
        }
        let source = match x.dtype {
            DType::F32 => Source::Float(AffineQuantize { scale: yq.scale(), zero_point: yq.zero_point() }),
            DType::I8 => {
                let xq = cx.int8_activation(x, "input")?;
                Source::Int8 {
                    input_offset: -xq.zero_point(),
                    rescale: Requant::new(f64::from(xq.scale()) / f64::from(yq.scale())),
                    output_zero_point: yq.zero_point(),
                }
            }
            other => return Err(cx.err(format!("only float32 or int8 → int8 is supported, input is {}", other.name()))),
        };
        let (map, spatial) = elementwise_map(&y.shape);
        Ok(Quantize { map, spatial, source })
    }

    /// The input map as the executor views it: a float32 map's pixels are seen as bytes,
    /// 4 a channel.
    pub fn input_map(&self) -> Hwc {
        match self.source {
            Source::Float(_) => Hwc { c: 4 * self.map.c, ..self.map },
            Source::Int8 { .. } => self.map,
        }
    }

    /// The whole output from the whole input (its raw bytes).
    pub fn eval(&self, input: &[u8], output: &mut [i8]) {
        let mut out = self.map.view_mut(output);
        self.eval_region(&self.input_map().view(as_i8(input)), &mut out, self.map.whole());
    }

    /// Quantizes `region`; `input` views the input as [`Quantize::input_map`] does.
    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        // A row of the region is one run of values in both views.
        for y in region.y0..region.y1 {
            let (o, v) = (out.row_mut(y, region.x0, region.x1), input.row(y, region.x0, region.x1));
            match &self.source {
                Source::Float(q) => q.quantize_bytes(bytemuck::cast_slice(v), o),
                Source::Int8 { input_offset, rescale, output_zero_point } => {
                    for (o, &v) in o.iter_mut().zip(v) {
                        *o = rescale
                            .apply(i32::from(v) + input_offset)
                            .wrapping_add(*output_zero_point)
                            .clamp(-128, 127) as i8;
                    }
                }
            }
        }
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
