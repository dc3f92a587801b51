//! RESIZE_NEAREST_NEIGHBOR of an int8 NHWC map (TFLM `reference_ops::ResizeNearestNeighbor`):
//! each output pixel copies the input pixel its coordinates map to, per axis, in float as
//! TFLite computes it. The map is monotonic, so an output region reads one input rectangle:
//! the op is spatially local (an upsampling head can sit in a patch stage).

use super::{Ctx, Hwc, RegionKernel};
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Region};

#[derive(Debug, Clone)]
pub struct ResizeNearestNeighbor {
    pub input: Hwc,
    pub output: Hwc,
    /// For each output row (column), the input row (column) it copies.
    rows: Vec<usize>,
    cols: Vec<usize>,
}

/// TFLite's `GetNearestNeighbor` for every output coordinate along one axis.
fn nearest(input: usize, output: usize, align_corners: bool, half_pixel_centers: bool) -> Vec<usize> {
    let scale = if align_corners && output > 1 {
        (input - 1) as f32 / (output - 1) as f32
    } else {
        input as f32 / output as f32
    };
    let offset = if half_pixel_centers { 0.5f32 } else { 0.0 };
    (0..output)
        .map(|o| {
            let v = (o as f32 + offset) * scale;
            let i = if align_corners { v.round() as i64 } else { v.floor() as i64 };
            i.clamp(0, input as i64 - 1) as usize
        })
        .collect()
}

impl ResizeNearestNeighbor {
    pub fn prepare(cx: &Ctx, align_corners: bool, half_pixel_centers: bool) -> Result<Self> {
        cx.expect_io(2..=2, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        cx.same_quant(xq, yq, "RESIZE_NEAREST_NEIGHBOR")?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let size = super::integers(cx, cx.input(1)?, "size")?;
        if size != [output.h as i64, output.w as i64] || input.c != output.c {
            return Err(cx.err(format!("size {size:?} does not give output {:?} from {:?}", y.shape, x.shape)));
        }
        Ok(ResizeNearestNeighbor {
            input,
            output,
            rows: nearest(input.h, output.h, align_corners, half_pixel_centers),
            cols: nearest(input.w, output.w, align_corners, half_pixel_centers),
        })
    }

    /// The input rectangle an output region copies from.
    pub fn input_region(&self, out: Region) -> Region {
        let span = |map: &[usize], a: usize, b: usize| match (map.get(a), b.checked_sub(1).and_then(|l| map.get(l))) {
            (Some(&first), Some(&last)) if a < b => (first, last + 1),
            _ => (0, 0),
        };
        let (y0, y1) = span(&self.rows, out.y0, out.y1);
        let (x0, x1) = span(&self.cols, out.x0, out.x1);
        Region { y0, y1, x0, x1 }
    }
}

impl RegionKernel for ResizeNearestNeighbor {
    fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                out.pixel_mut(y, x).copy_from_slice(input.pixel(self.rows[y], self.cols[x]));
            }
        }
    }
}
