//! STRIDED_SLICE of an int8 tensor (TFLM `reference_ops::StridedSlice`): along each axis the
//! indices from begin to end by stride, resolved as [`SliceMasks::indices`] says; shrunk
//! axes are dropped from the output. Fewer begin/end/stride values than axes are refused,
//! as TFLM refuses them. Keras' `Cropping2D` and Python slicing of a map
//! emit it; on a map it is local like any slice. Of constant shape values it is folded at
//! load.

use super::prepare::Ctx;
use super::remap::{int8_io, AxisMap, Remap};
use crate::error::Result;
use crate::model::SliceMasks;

pub fn prepare(cx: &Ctx, masks: SliceMasks) -> Result<Remap> {
    let (x, y) = int8_io(cx, 4..=4)?;
    if masks.ellipsis != 0 || masks.new_axis != 0 {
        return Err(cx.err("ellipsis and new-axis masks are not supported"));
    }
    let (begin, end, strides) =
        (cx.integers(cx.input(1)?, "begin")?, cx.integers(cx.input(2)?, "end")?, cx.integers(cx.input(3)?, "strides")?);
    let rank = x.shape.len();
    if begin.len() != rank || end.len() != rank || strides.len() != rank {
        return Err(
            cx.err(format!("begin {begin:?}, end {end:?}, strides {strides:?} do not fit the input's rank {rank}"))
        );
    }
    if strides.contains(&0) {
        return Err(cx.err("a stride is 0"));
    }
    let mut axes = Vec::with_capacity(rank);
    let mut shape = Vec::with_capacity(rank);
    for (a, &dim) in x.shape.iter().enumerate() {
        let indices = masks.indices(a, dim, begin[a], end[a], strides[a]);
        if masks.shrinks(a) && indices.len() != 1 {
            return Err(cx.err(format!("axis {a} of {:?} shrinks at an index outside it", x.shape)));
        }
        if !masks.shrinks(a) {
            shape.push(indices.len());
        }
        axes.push(AxisMap { input_axis: a, indices });
    }
    cx.expect_shape(y, &shape, "output")?;
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
