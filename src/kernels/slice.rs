//! SLICE of an int8 tensor (TFLM `reference_ops::Slice`): the box `begin .. begin + size`
//! (a size of -1 runs to the end of its axis), copied. SPLIT, SPLIT_V and UNPACK arrive here
//! as one SLICE per output (the loader rewrites them), an UNPACK's output without the unit
//! axis it unpacked.

use super::prepare::Ctx;
use super::remap::{int8_io, AxisMap, Remap};
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<Remap> {
    let (x, y) = int8_io(cx, 3..=3)?;
    let begin = cx.integers(cx.input(1)?, "begin")?;
    let size = cx.integers(cx.input(2)?, "size")?;
    if begin.len() != x.shape.len() || size.len() != x.shape.len() {
        return Err(
            cx.err(format!("begin {begin:?} and size {size:?} do not match the input's rank {}", x.shape.len()))
        );
    }
    let axes = x
        .shape
        .iter()
        .zip(begin.iter().zip(&size))
        .enumerate()
        .map(|(input_axis, (&dim, (&b, &s)))| {
            let start = usize::try_from(b).ok().filter(|&b| b <= dim);
            let end = match s {
                -1 => start.map(|_| dim),
                s => usize::try_from(s).ok().and_then(|s| start?.checked_add(s)).filter(|&e| e <= dim),
            };
            match (start, end) {
                (Some(start), Some(end)) => Ok(AxisMap { input_axis, indices: (start..end).collect() }),
                _ => Err(cx.err(format!("begin {begin:?}, size {size:?} reach outside the input {:?}", x.shape))),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let lengths: Vec<usize> = axes.iter().map(|a| a.indices.len()).collect();
    let squeezed = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
    if y.shape != lengths && squeezed(&y.shape) != squeezed(&lengths) {
        return Err(cx.err(format!("the slice is {lengths:?}, its output '{}' is {:?}", y.name, y.shape)));
    }
    Ok(Remap::new(&x.shape, &axes, &y.shape))
}
