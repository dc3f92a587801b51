//! REVERSE_V2 of an int8 tensor (TFLM `reference_ops::Reverse`): the axes listed (negative
//! counting from the end) run backwards. TFLM refuses axes that are not a run of
//! neighbours (its eval fails), so mcupatch does too. A flip of rows or columns of a map is
//! local.

use super::prepare::Ctx;
use super::remap::{axis, identity, int8_io, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    cx.expect_shape(y, &x.shape, "output")?;
    let written = cx.integers(cx.input(1)?, "axis")?;
    let mut reversed = written.iter().map(|&a| axis(cx, a, x.shape.len())).collect::<Result<Vec<_>>>()?;
    reversed.sort_unstable();
    if reversed.windows(2).any(|w| w[0] + 1 != w[1]) {
        return Err(cx.err(format!("axes {written:?} are not neighbours (TFLM reverses only a run of axes)")));
    }
    let mut axes = identity(&x.shape);
    for a in reversed {
        axes[a].indices.reverse();
    }
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
