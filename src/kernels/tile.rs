//! TILE of an int8 tensor (TensorFlow Lite `reference_ops::Tile`; TFLite Micro has no TILE):
//! each axis repeated `multiples` times, output index `i` reading input index `i mod d`.
//! A spatial tile is local, but a tile of the output that wraps around reads the whole input
//! axis. Keras' `UpSampling2D` (tf.repeat) emits it between two reshapes, which the loader
//! fuses into a repeat of the map ([`prepare_repeat`]): index `i` reads `i / k`, local too.

use super::prepare::Ctx;
use super::remap::{int8_io, AxisMap, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 2..=2)?;
    let multiples = cx.integers(cx.input(1)?, "multiples")?;
    if multiples.len() != x.shape.len() {
        return Err(cx.err(format!("multiples {multiples:?} do not match the input's rank {}", x.shape.len())));
    }
    // The output's shape first: a huge multiple is an error, not an allocation.
    let lengths = x
        .shape
        .iter()
        .zip(&multiples)
        .map(|(&dim, &m)| usize::try_from(m).ok().and_then(|m| dim.checked_mul(m)))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| cx.err(format!("multiples {multiples:?} do not tile {:?}", x.shape)))?;
    cx.expect_shape(y, &lengths, "output")?;
    let axes: Vec<AxisMap> = x
        .shape
        .iter()
        .zip(&lengths)
        .enumerate()
        .map(|(input_axis, (&dim, &len))| AxisMap { input_axis, indices: (0..len).map(|i| i % dim).collect() })
        .collect();
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}

/// A repeat of `axis` of a map, each index `times` times (tf.repeat as the loader fuses it).
pub fn prepare_repeat(cx: &Ctx, axis: usize, times: usize) -> Result<Remap> {
    let (x, y) = int8_io(cx, 1..=1)?;
    let mut axes = super::remap::identity(&x.shape);
    let Some(repeated) = axes.get_mut(axis) else {
        return Err(cx.err(format!("axis {axis} is outside {:?}", x.shape)));
    };
    repeated.indices = repeated.indices.iter().flat_map(|&i| std::iter::repeat_n(i, times)).collect();
    let lengths: Vec<usize> = axes.iter().map(|a| a.indices.len()).collect();
    cx.expect_shape(y, &lengths, "output")?;
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
