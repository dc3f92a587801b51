//! GATHER of an int8 tensor at constant positions (TFLM `Gather`): along `axis`, the output
//! holds the input's slices at the positions, which must lie inside the axis (TFLM fails
//! the op otherwise). Positions of rank k replace the axis with k axes, flattened here into
//! one (the bytes are the same). A GATHER of constant shape values is folded at load.

use super::prepare::Ctx;
use super::remap::{axis, int8_io, AxisMap, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx, gather_axis: i32, batch_dims: i32) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    let positions = cx.input(1)?;
    if batch_dims != 0 {
        return Err(cx.err(format!("batch_dims {batch_dims} is not supported (only 0)")));
    }
    let a = axis(cx, i64::from(gather_axis), x.shape.len())?;
    let dim = x.shape[a];
    let indices = cx
        .integers(positions, "positions")?
        .into_iter()
        .map(|p| {
            usize::try_from(p)
                .ok()
                .filter(|&p| p < dim)
                .ok_or_else(|| cx.err(format!("position {p} is outside axis {a} of {:?}", x.shape)))
        })
        .collect::<Result<Vec<_>>>()?;
    let expected: Vec<usize> = x.shape[..a].iter().chain(&positions.shape).chain(&x.shape[a + 1..]).copied().collect();
    cx.expect_shape(y, &expected, "output")?;
    let mut axes = super::remap::identity(&x.shape);
    axes[a] = AxisMap { input_axis: a, indices };
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
