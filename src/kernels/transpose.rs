//! TRANSPOSE of an int8 tensor (TFLM `reference_ops::Transpose`): output axis `j` is input
//! axis `perm[j]`. Local when batch and channels stay in place (height and width swapped).

use super::prepare::Ctx;
use super::remap::{int8_io, AxisMap, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    let rank = x.shape.len();
    // TFLM (and TFLite) refuse negative axes here.
    let written = cx.integers(cx.input(1)?, "perm")?;
    let perm: Vec<usize> = written.iter().filter_map(|&a| usize::try_from(a).ok()).collect();
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    if sorted != (0..rank).collect::<Vec<_>>() {
        return Err(cx.err(format!("perm {written:?} is not a permutation of the input's axes 0..{rank}")));
    }
    let axes: Vec<AxisMap> =
        perm.iter().map(|&input_axis| AxisMap { input_axis, indices: (0..x.shape[input_axis]).collect() }).collect();
    let lengths: Vec<usize> = axes.iter().map(|a| a.indices.len()).collect();
    cx.expect_shape(y, &lengths, "output")?;
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
