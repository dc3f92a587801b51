//! RESIZE_NEAREST_NEIGHBOR of an int8 NHWC map (TFLM `reference_ops::ResizeNearestNeighbor`):
//! each output pixel copies the input pixel its coordinates map to, per axis, in float as
//! TFLite computes it. The map is monotonic, so an output region reads one input rectangle:
//! the op is spatially local (an upsampling head can sit in a patch stage).

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{AxisMap, Fmap, FmapMut, Hwc, Region};

#[derive(Debug, Clone)]
pub struct ResizeNearestNeighbor {
    pub input: Hwc,
    pub output: Hwc,
    /// For each output row (column), the input row (column) it copies.
    rows: Vec<usize>,
    cols: Vec<usize>,
    /// The same, as spans for the back-projection.
    row_map: AxisMap,
    col_map: AxisMap,
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
        let size = cx.integers(cx.input(1)?, "size")?;
        if size != [output.h as i64, output.w as i64] || input.c != output.c {
            return Err(cx.err(format!("size {size:?} does not give output {:?} from {:?}", y.shape, x.shape)));
        }
        let rows = nearest(input.h, output.h, align_corners, half_pixel_centers);
        let cols = nearest(input.w, output.w, align_corners, half_pixel_centers);
        let map = |axis: &[usize]| {
            AxisMap::new(axis.iter().map(|&i| (i, i)).collect())
                .ok_or_else(|| cx.err("the nearest-neighbour map is not monotonic"))
        };
        Ok(ResizeNearestNeighbor { input, output, row_map: map(&rows)?, col_map: map(&cols)?, rows, cols })
    }

    /// The input rectangle an output region copies from.
    pub fn input_region(&self, out: Region) -> Region {
        AxisMap::input_region(&self.row_map, &self.col_map, out)
    }
}

impl ResizeNearestNeighbor {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                out.pixel_mut(y, x).copy_from_slice(input.pixel(self.rows[y], self.cols[x]));
            }
        }
    }
}
