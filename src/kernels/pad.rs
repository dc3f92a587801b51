//! PAD / PADV2 over height and width of an int8 NHWC map (TFLM `reference_ops::Pad`).

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};
use crate::model::DType;

#[derive(Debug, Clone)]
pub struct Pad {
    pub input: Hwc,
    pub output: Hwc,
    pub top: usize,
    pub left: usize,
    value: i8,
}

impl Pad {
    pub fn prepare(cx: &Ctx) -> Result<Pad> {
        cx.expect_io(2..=3, 1)?;
        let (x, p, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        cx.same_quant(xq, yq, "PAD")?;
        let input = cx.hwc(x, "input")?;
        let pads = cx.integers(p, "paddings")?;
        let largest = crate::model::limits::MAX_DIMENSION as i64;
        if p.shape != [4, 2] || pads.len() != 8 || pads.iter().any(|&v| !(0..=largest).contains(&v)) {
            return Err(cx.err(format!(
                "paddings must be a [4, 2] constant of values in 0..={largest}, got {pads:?} of shape {:?}",
                p.shape
            )));
        }
        if pads[0] != 0 || pads[1] != 0 || pads[6] != 0 || pads[7] != 0 {
            return Err(cx.err("only height and width padding is supported"));
        }
        let [top, bottom, left, right] = [pads[2], pads[3], pads[4], pads[5]].map(|v| v as usize);
        let output = Hwc { h: input.h + top + bottom, w: input.w + left + right, c: input.c };
        cx.expect_shape(y, &[1, output.h, output.w, output.c], "output")?;
        let value = match cx.optional_input(2) {
            Some(v) => {
                let data = cx.constant(v, DType::I8, "constant_values")?;
                if data.len() != 1 {
                    return Err(cx.err("constant_values must hold one value"));
                }
                data[0] as i8
            }
            None => yq.zero_point() as i8,
        };
        Ok(Pad { input, output, top, left, value })
    }

    /// The input region an output region copies from, clipped to the input.
    pub fn input_region(&self, out: Region) -> Region {
        let clip = |v: usize, pad: usize, size: usize| v.saturating_sub(pad).min(size);
        Region {
            y0: clip(out.y0, self.top, self.input.h),
            y1: clip(out.y1, self.top, self.input.h),
            x0: clip(out.x0, self.left, self.input.w),
            x1: clip(out.x1, self.left, self.input.w),
        }
    }
}

impl Pad {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                let src = oy
                    .checked_sub(self.top)
                    .zip(ox.checked_sub(self.left))
                    .filter(|&(iy, ix)| iy < self.input.h && ix < self.input.w);
                let px = out.pixel_mut(oy, ox);
                match src {
                    Some((iy, ix)) => px.copy_from_slice(input.pixel(iy, ix)),
                    None => px.fill(self.value),
                }
            }
        }
    }
}
