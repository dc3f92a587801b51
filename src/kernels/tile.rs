//! TILE of an int8 tensor (TensorFlow Lite `reference_ops::Tile`; TFLite Micro has no TILE):
//! each axis repeated `multiples` times, output index `i` reading input index `i mod d`.
//! Keras' `UpSampling2D` emits it. A spatial tile is local, but a tile of the output that
//! wraps around reads the whole input axis.

use super::remap::{int8_io, AxisMap, Remap};
use super::{integers, Ctx};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    let multiples = integers(cx, cx.input(1)?, "multiples")?;
    if multiples.len() != x.shape.len() {
        return Err(cx.err(format!("multiples {multiples:?} do not match the input's rank {}", x.shape.len())));
    }
    let axes = x
        .shape
        .iter()
        .zip(&multiples)
        .enumerate()
        .map(|(input_axis, (&dim, &m))| {
            let m = usize::try_from(m).map_err(|_| cx.err(format!("multiple {m} is negative")))?;
            Ok(AxisMap { input_axis, indices: (0..dim * m).map(|i| i % dim).collect() })
        })
        .collect::<Result<Vec<_>>>()?;
    let lengths: Vec<usize> = axes.iter().map(|a| a.indices.len()).collect();
    cx.expect_shape(y, &lengths, "output")?;
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
