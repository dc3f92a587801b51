//! SUM, REDUCE_MAX and REDUCE_MIN of an int8 tensor over constant axes (TFLM `reduce.cc`):
//! negative axes count from the end, repeats count once; `keep_dims` keeps the reduced axes
//! as 1s.
//!
//! - REDUCE_MAX / REDUCE_MIN compare the stored values: TFLM requires one quantization.
//! - SUM adds the stored values in int32, subtracts `n · zp_in` (`n` the count summed) and
//!   requantizes by `scale_in / scale_out` with TFLM's fixed-point multiplier, then adds
//!   `zp_out` and clamps to int8. This is what the TFLite Micro the tests run computes (held
//!   to it on every case, sums far outside int8 included). TensorFlow Lite's reference
//!   `QuantizedMeanOrSum`, which older TFLM called, rescales in float instead and truncates
//!   to int8 without clamping (a sum outside int8 wraps around); the two differ by one near
//!   .5 and wherever the sum leaves int8.
//!
//! A reduction over the channels alone of a [1, H, W, C] map, keeping dims, is spatially
//! local (each pixel reduces its own channels); any other mixes the map.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};
use crate::quant::Requant;

/// Which reduction an op computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    Sum,
    Max,
    Min,
}

/// A reduction with its output stage.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reducer {
    Sum { offset: i32, rescale: Requant, output_zero_point: i32 },
    Max,
    Min,
}

#[derive(Debug, Clone)]
pub struct Reduce {
    reducer: Reducer,
    /// Per input axis, the stride of its output index (0 for a reduced axis).
    output_strides: Vec<usize>,
    input_shape: Vec<usize>,
    /// The [1, H, W, C] → [1, H, W, 1] form, when the op reduces the channels alone.
    pub map: Option<(Hwc, Hwc)>,
}

impl Reducer {
    fn start(self) -> i32 {
        match self {
            Reducer::Sum { .. } => 0,
            Reducer::Max => i32::from(i8::MIN),
            Reducer::Min => i32::from(i8::MAX),
        }
    }

    fn add(self, acc: i32, v: i8) -> i32 {
        let v = i32::from(v);
        match self {
            Reducer::Sum { .. } => acc.wrapping_add(v),
            Reducer::Max => acc.max(v),
            Reducer::Min => acc.min(v),
        }
    }

    fn finish(self, acc: i32) -> i8 {
        match self {
            Reducer::Sum { offset, rescale, output_zero_point } => {
                let q = rescale.apply(acc.wrapping_sub(offset)).saturating_add(output_zero_point);
                q.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
            }
            Reducer::Max | Reducer::Min => acc as i8,
        }
    }
}

impl Reduce {
    pub fn prepare(cx: &Ctx, reduction: Reduction, keep_dims: bool) -> Result<Reduce> {
        cx.expect_io(2..=2, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let rank = x.shape.len();
        let mut axes = cx
            .integers(cx.input(1)?, "axis")?
            .into_iter()
            .map(|a| super::remap::axis(cx, a, rank))
            .collect::<Result<Vec<_>>>()?;
        axes.sort_unstable();
        axes.dedup();
        let reduced = |a: usize| axes.contains(&a);
        let expected: Vec<usize> =
            (0..rank).filter(|&a| keep_dims || !reduced(a)).map(|a| if reduced(a) { 1 } else { x.shape[a] }).collect();
        cx.expect_shape(y, &expected, "output")?;
        let count: usize = axes.iter().map(|&a| x.shape[a]).product();
        if reduction != Reduction::Sum {
            cx.same_quant(xq, yq, cx.op.kind.name())?;
        }
        let reducer = match reduction {
            Reduction::Sum => Reducer::Sum {
                offset: (count as i32).wrapping_mul(xq.zero_point()),
                rescale: Requant::new(f64::from(xq.scale()) / f64::from(yq.scale())),
                output_zero_point: yq.zero_point(),
            },
            Reduction::Max => Reducer::Max,
            Reduction::Min => Reducer::Min,
        };
        let mut output_strides = vec![0; rank];
        let mut stride = 1;
        for a in (0..rank).rev().filter(|&a| !reduced(a)) {
            output_strides[a] = stride;
            stride *= x.shape[a];
        }
        let map = match (&x.shape[..], &axes[..], keep_dims) {
            ([1, h, w, c], [3], true) => Some((Hwc { h: *h, w: *w, c: *c }, Hwc { h: *h, w: *w, c: 1 })),
            _ => None,
        };
        Ok(Reduce { reducer, output_strides, input_shape: x.shape.clone(), map })
    }

    /// Reduces the whole input, in its order (the order TFLM adds in).
    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        let mut acc = vec![self.reducer.start(); output.len()];
        let mut index = vec![0; self.input_shape.len()];
        let mut at = 0;
        for &v in input {
            acc[at] = self.reducer.add(acc[at], v);
            for a in (0..index.len()).rev() {
                index[a] += 1;
                at += self.output_strides[a];
                if index[a] < self.input_shape[a] {
                    break;
                }
                at -= self.output_strides[a] * index[a];
                index[a] = 0;
            }
        }
        for (o, a) in output.iter_mut().zip(acc) {
            *o = self.reducer.finish(a);
        }
    }

    /// A region of the channel reduction's output map.
    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let acc = input.pixel(y, x).iter().fold(self.reducer.start(), |acc, &v| self.reducer.add(acc, v));
                out.pixel_mut(y, x)[0] = self.reducer.finish(acc);
            }
        }
    }
}
