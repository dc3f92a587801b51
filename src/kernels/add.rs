//! ADD of two int8 maps of the same shape with different scales
//! (TFLM `reference_integer_ops::Add`: both inputs rescaled to a common 2^20 fixed point).

use super::{Ctx, Hwc};
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Region};
use crate::model::Activation;
use crate::quant::{activation_range, Requant};

const LEFT_SHIFT: i32 = 20;

#[derive(Debug, Clone)]
pub struct Add {
    /// The map the element-wise sum runs over (a 1×1×N map for tensors of other ranks).
    pub map: Hwc,
    /// The tensors are [1, H, W, C] maps, so the sum can run region by region.
    pub spatial: bool,
    input_offsets: [i32; 2],
    input_requant: [Requant; 2],
    output_requant: Requant,
    output_offset: i32,
    min: i32,
    max: i32,
}

impl Add {
    pub fn prepare(cx: &Ctx, activation: Activation) -> Result<Add> {
        cx.expect_io(2..=2, 1)?;
        let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (aq, bq, yq) =
            (cx.int8_activation(a, "input 0")?, cx.int8_activation(b, "input 1")?, cx.int8_activation(y, "output")?);
        if a.shape != b.shape || a.shape != y.shape {
            return Err(
                cx.err(format!("broadcasting is not supported: shapes {:?} + {:?} -> {:?}", a.shape, b.shape, y.shape))
            );
        }
        // Element-wise ops see any shape as a 1×1×N map, so a region is a span of elements.
        let (map, spatial) = super::elementwise_map(&y.shape);
        let twice_max = 2.0 * f64::from(aq.scale().max(bq.scale()));
        let out_scale = twice_max / (f64::from(1u32 << LEFT_SHIFT) * f64::from(yq.scale()));
        let (min, max) = activation_range(activation, yq);
        Ok(Add {
            map,
            spatial,
            input_offsets: [-aq.zero_point(), -bq.zero_point()],
            input_requant: [
                Requant::new(f64::from(aq.scale()) / twice_max),
                Requant::new(f64::from(bq.scale()) / twice_max),
            ],
            output_requant: Requant::new(out_scale),
            output_offset: yq.zero_point(),
            min,
            max,
        })
    }

    #[inline(always)]
    fn add(&self, a: i8, b: i8) -> i8 {
        let scaled =
            |v: i8, i: usize| self.input_requant[i].apply((i32::from(v) + self.input_offsets[i]) << LEFT_SHIFT);
        let sum = scaled(a, 0) + scaled(b, 1);
        (self.output_requant.apply(sum) + self.output_offset).clamp(self.min, self.max) as i8
    }

    /// Computes `region` of the output from inputs that cover it.
    pub fn eval(&self, a: &Fmap<i8>, b: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let (pa, pb) = (a.pixel(y, x), b.pixel(y, x));
                for ((o, &va), &vb) in out.pixel_mut(y, x).iter_mut().zip(pa).zip(pb) {
                    *o = self.add(va, vb);
                }
            }
        }
    }

    /// Computes `region` in place over input `kept` (0 or 1), which `buf` holds for exactly
    /// that region: each element is read from both inputs just before its sum replaces it.
    pub fn eval_in_place(&self, other: &Fmap<i8>, buf: &mut FmapMut<i8>, kept: usize, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                for (o, &v) in buf.pixel_mut(y, x).iter_mut().zip(other.pixel(y, x)) {
                    *o = if kept == 0 { self.add(*o, v) } else { self.add(v, *o) };
                }
            }
        }
    }
}
