//! Data movement by index maps, the kernel SLICE, TILE, TRANSPOSE and GATHER (and SPLIT,
//! SPLIT_V and UNPACK, which the loader turns into one SLICE per output) share: output
//! element `(i_0, …, i_{r-1})` copies the input element whose coordinate along input axis
//! `axis_j` is `index_j[i_j]`, for every output axis `j` (the `axis_j` a permutation of the
//! input's axes). A slice's indices are a range, a tile's wrap around, a gather's are its
//! positions, a transpose permutes the axes; every value is copied as stored, as TFLite
//! Micro's kernels copy it.
//!
//! On a [1, H, W, C] map whose batch and channel axes stay in place (a channel SLICE or
//! SPLIT, a crop, a spatial TILE or GATHER, a TRANSPOSE of height and width), an output
//! region reads the input rectangle its row and column indices span: the op is spatially
//! local and can sit in a patch stage. Any other (moving channels into space, rank ≠ 4)
//! runs whole.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};
use crate::model::Tensor;

/// One output axis: the input axis it walks and the input coordinate of each of its indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisMap {
    pub input_axis: usize,
    pub indices: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Remap {
    /// Per output axis, the input offset (in elements) of each of its indices.
    offsets: Vec<Vec<usize>>,
    /// The map form, when the op is spatially local.
    pub spatial: Option<SpatialRemap>,
}

/// A remap of a [1, H, W, C] map to a [1, h, w, c] map that keeps batch and channels.
#[derive(Debug, Clone)]
pub struct SpatialRemap {
    pub input: Hwc,
    pub output: Hwc,
    /// The input coordinate each output row and column reads along the axis it walks.
    along_rows: Vec<usize>,
    along_cols: Vec<usize>,
    /// Output rows walk input columns and the other way round (a transpose of H and W).
    swapped: bool,
    /// The input channel of each output channel, and its first one when they are a run.
    channels: Vec<usize>,
    channel_run: Option<usize>,
}

/// The first value when `v` counts up by one from it.
fn run_start(v: &[usize]) -> Option<usize> {
    let first = *v.first()?;
    v.iter().enumerate().all(|(k, &i)| i == first + k).then_some(first)
}

/// The smallest range holding the values of `map` at `a..b`.
fn span(map: &[usize], a: usize, b: usize) -> (usize, usize) {
    let values = map.get(a..b).unwrap_or_default();
    match (values.iter().min(), values.iter().max()) {
        (Some(&lo), Some(&hi)) => (lo, hi + 1),
        _ => (0, 0),
    }
}

impl Remap {
    /// The remap of an input of `input_shape` by `axes` (one per output axis, each input axis
    /// walked once, every index inside its axis: the callers check both), written to an output
    /// tensor of `output_shape` (the axes' lengths, or the same elements with unit axes
    /// dropped or indices axes unflattened).
    pub fn new(input_shape: &[usize], axes: &[AxisMap], output_shape: &[usize]) -> Remap {
        let mut strides = vec![1; input_shape.len()];
        for a in (0..input_shape.len().saturating_sub(1)).rev() {
            strides[a] = strides[a + 1] * input_shape[a + 1];
        }
        let offsets = axes.iter().map(|m| m.indices.iter().map(|&i| i * strides[m.input_axis]).collect()).collect();
        let lengths: Vec<usize> = axes.iter().map(|m| m.indices.len()).collect();
        let spatial = match (input_shape, output_shape, axes) {
            ([1, h, w, c], [1, ..], [b, rows, cols, chans])
                if lengths == output_shape && b.input_axis == 0 && chans.input_axis == 3 =>
            {
                Some(SpatialRemap {
                    input: Hwc { h: *h, w: *w, c: *c },
                    output: Hwc { h: lengths[1], w: lengths[2], c: lengths[3] },
                    along_rows: rows.indices.clone(),
                    along_cols: cols.indices.clone(),
                    swapped: rows.input_axis == 2,
                    channels: chans.indices.clone(),
                    channel_run: run_start(&chans.indices),
                })
            }
            _ => None,
        };
        Remap { offsets, spatial }
    }

    /// Computes the whole output from the whole input.
    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        let Some((last, outer)) = self.offsets.split_last() else {
            output.copy_from_slice(&input[..output.len()]); // a scalar
            return;
        };
        let run = run_start(last);
        let mut index = vec![0; outer.len()];
        for chunk in output.chunks_exact_mut(last.len().max(1)) {
            let base: usize = outer.iter().zip(&index).map(|(o, &i)| o[i]).sum();
            match run {
                Some(first) => chunk.copy_from_slice(&input[base + first..base + first + chunk.len()]),
                None => chunk.iter_mut().zip(last).for_each(|(o, &off)| *o = input[base + off]),
            }
            for j in (0..outer.len()).rev() {
                index[j] += 1;
                if index[j] < outer[j].len() {
                    break;
                }
                index[j] = 0;
            }
        }
    }
}

impl SpatialRemap {
    /// The input rectangle an output region reads.
    pub fn input_region(&self, out: Region) -> Region {
        let (a, b) = (span(&self.along_rows, out.y0, out.y1), span(&self.along_cols, out.x0, out.x1));
        let ((y0, y1), (x0, x1)) = if self.swapped { (b, a) } else { (a, b) };
        Region { y0, y1, x0, x1 }
    }

    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let (r, c) = (self.along_rows[y], self.along_cols[x]);
                let from = if self.swapped { input.pixel(c, r) } else { input.pixel(r, c) };
                let to = out.pixel_mut(y, x);
                match self.channel_run {
                    Some(first) => to.copy_from_slice(&from[first..first + to.len()]),
                    None => to.iter_mut().zip(&self.channels).for_each(|(o, &k)| *o = from[k]),
                }
            }
        }
    }
}

/// The int8 input and output of a data-movement op, checked: it copies values as stored,
/// so both must have one quantization.
pub fn int8_io<'g>(cx: &Ctx<'g>, inputs: std::ops::RangeInclusive<usize>) -> Result<(&'g Tensor, &'g Tensor)> {
    cx.expect_io(inputs, 1)?;
    let (x, y) = (cx.input(0)?, cx.output(0)?);
    let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
    cx.same_quant(xq, yq, cx.op.kind.name())?;
    Ok((x, y))
}

/// Axis `a` of a rank-`rank` tensor, negative counting from the end.
pub fn axis(cx: &Ctx, a: i64, rank: usize) -> Result<usize> {
    let resolved = if a < 0 { a + rank as i64 } else { a };
    usize::try_from(resolved)
        .ok()
        .filter(|&r| r < rank)
        .ok_or_else(|| cx.err(format!("axis {a} is outside rank {rank}")))
}

/// The identity map of every input axis.
pub fn identity(shape: &[usize]) -> Vec<AxisMap> {
    shape.iter().enumerate().map(|(input_axis, &d)| AxisMap { input_axis, indices: (0..d).collect() }).collect()
}
