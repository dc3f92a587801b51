//! L2_NORMALIZATION, int8, over the last axis (TFLM `reference_integer_ops::L2Normalization`):
//! each pixel's offset values are divided by the root of their sum of squares, in TFLite's
//! fixed point ([`fixed_point::inv_sqrt_multiplier`]); the output is in 1/128ths whatever
//! the output tensor's parameters say, as TFLM writes it. Over a [1, H, W, C] map each pixel
//! is its own: the op runs region by region.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};
use crate::model::Activation;
use crate::quant::{fixed_point, Requant};

#[derive(Debug, Clone)]
pub struct L2Normalization {
    /// The normalized rows as pixels: a [1, H, W, C] tensor's map, else 1 × rows × last axis.
    pub map: Hwc,
    pub spatial: bool,
    input_offset: i32,
}

/// The output's fixed scale: 2^-7.
const OUTPUT_FRACTION_BITS: i32 = 7;

impl L2Normalization {
    pub fn prepare(cx: &Ctx, activation: Activation) -> Result<Self> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let xq = cx.int8_activation(x, "input")?;
        cx.int8_activation(y, "output")?;
        if activation != Activation::None {
            return Err(cx.err(format!("fused activation {activation:?} is not supported (TFLM refuses it)")));
        }
        if x.shape != y.shape || x.shape.is_empty() || x.shape.len() > 4 {
            return Err(
                cx.err(format!("input {:?} and output {:?} must be one shape of rank 1 to 4", x.shape, y.shape))
            );
        }
        let (map, spatial) = match x.shape[..] {
            [1, h, w, c] => (Hwc { h, w, c }, true),
            [.., c] => (Hwc { h: 1, w: x.elements() / c.max(1), c }, false),
            [] => unreachable!("checked above"),
        };
        Ok(L2Normalization { map, spatial, input_offset: -xq.zero_point() })
    }

    /// The whole output from the whole input.
    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        let mut out = self.map.view_mut(output);
        self.eval_region(&self.map.view(input), &mut out, self.map.whole());
    }

    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let pixel = input.pixel(y, x);
                let offset = |v: i8| i32::from(v) + self.input_offset;
                let squares = pixel.iter().fold(0i32, |acc, &v| acc.wrapping_add(offset(v) * offset(v)));
                let (multiplier, shift) = fixed_point::inv_sqrt_multiplier(squares);
                let rescale = Requant { multiplier, shift: shift + OUTPUT_FRACTION_BITS };
                for (o, &v) in out.pixel_mut(y, x).iter_mut().zip(pixel) {
                    *o = rescale.apply(offset(v)).clamp(-128, 127) as i8;
                }
            }
        }
    }
}
