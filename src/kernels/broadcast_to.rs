//! BROADCAST_TO of an int8 tensor (TFLM `reference_ops::BroadcastTo`): the input's shape,
//! padded with leading 1s to the output's rank, stretched along every axis of length 1 to
//! the output's length there. Local on maps (a broadcast pixel reads pixel 0).

use super::prepare::Ctx;
use super::remap::{int8_io, AxisMap, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    let shape = cx.integers(cx.input(1)?, "shape")?;
    let target: Vec<usize> = shape.iter().filter_map(|&d| usize::try_from(d).ok()).collect();
    let rank = target.len();
    if target.len() != shape.len() || rank < x.shape.len() {
        return Err(cx.err(format!("cannot broadcast {:?} to {shape:?}", x.shape)));
    }
    cx.expect_shape(y, &target, "output")?;
    // The input seen at the output's rank: leading axes of length 1.
    let padded: Vec<usize> = std::iter::repeat_n(1, rank - x.shape.len()).chain(x.shape.iter().copied()).collect();
    let axes = padded
        .iter()
        .zip(&target)
        .enumerate()
        .map(|(input_axis, (&from, &to))| match (from, to) {
            (f, t) if f == t => Ok(AxisMap { input_axis, indices: (0..t).collect() }),
            (1, t) => Ok(AxisMap { input_axis, indices: vec![0; t] }),
            _ => Err(cx.err(format!("cannot broadcast {:?} to {target:?}", x.shape))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Remap::new(&padded, &axes, &y.shape))
}
