//! CONCATENATION of int8 tensors that share the output's quantization
//! (TFLM `reference_ops::Concatenation`: a copy of contiguous slabs).

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};
use crate::model::Activation;

#[derive(Debug, Clone)]
pub struct Concatenation {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Per input: elements of one slab (its axis size × the dimensions after the axis).
    pub slabs: Vec<usize>,
    /// For a concatenation of NHWC maps along channels (the spatially local case): the
    /// output map and each input's channel count.
    pub map: Option<Hwc>,
    pub channels: Option<Vec<usize>>,
}

impl Concatenation {
    pub fn prepare(cx: &Ctx, axis: i32, activation: Activation) -> Result<Concatenation> {
        if cx.op.inputs.is_empty() || cx.op.outputs.len() != 1 {
            return Err(cx.err("expects at least one input and one output"));
        }
        if activation != Activation::None {
            return Err(cx.err("a fused activation on CONCATENATION is not supported"));
        }
        let y = cx.output(0)?;
        let yq = cx.int8_activation(y, "output")?;
        let rank = y.shape.len() as i32;
        let axis = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&axis) {
            return Err(cx.err(format!("axis {axis} is out of range for rank {rank}")));
        }
        let axis = axis as usize;
        let mut slabs = Vec::new();
        let mut total = 0;
        for i in 0..cx.op.inputs.len() {
            let x = cx.input(i)?;
            let xq = cx.int8_activation(x, "input")?;
            cx.same_quant(xq, yq, "CONCATENATION (int8 requires equal scales and zero points)")?;
            let compatible = x.shape.len() == y.shape.len()
                && x.shape.iter().zip(&y.shape).enumerate().all(|(d, (a, b))| d == axis || a == b);
            if !compatible {
                return Err(cx.err(format!(
                    "input {i} shape {:?} does not fit output {:?} along axis {axis}",
                    x.shape, y.shape
                )));
            }
            total += x.shape[axis];
            slabs.push(x.shape[axis..].iter().product());
        }
        if total != y.shape[axis] {
            return Err(cx.err(format!("inputs add up to {total} along axis {axis}, output has {}", y.shape[axis])));
        }
        let along_channels = y.shape.len() == 4 && y.shape[0] == 1 && axis == 3;
        let (map, channels) = if along_channels {
            let channels =
                (0..cx.op.inputs.len()).map(|i| cx.input(i).map(|x| x.shape[3])).collect::<Result<Vec<_>>>()?;
            (Some(Hwc { h: y.shape[1], w: y.shape[2], c: y.shape[3] }), Some(channels))
        } else {
            (None, None)
        };
        Ok(Concatenation { outer: y.shape[..axis].iter().product(), slabs, map, channels })
    }

    pub fn eval(&self, inputs: &[&[u8]], output: &mut [u8]) {
        let mut o = 0;
        for k in 0..self.outer {
            for (input, &slab) in inputs.iter().zip(&self.slabs) {
                output[o..o + slab].copy_from_slice(&input[k * slab..(k + 1) * slab]);
                o += slab;
            }
        }
    }

    /// Computes `region` of a channel concatenation: each output pixel is the inputs'
    /// pixels side by side.
    pub fn eval_region(&self, inputs: &[Fmap<i8>], out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let mut px = out.pixel_mut(y, x);
                for input in inputs {
                    let (head, rest) = px.split_at_mut(input.channels);
                    head.copy_from_slice(input.pixel(y, x));
                    px = rest;
                }
            }
        }
    }
}
