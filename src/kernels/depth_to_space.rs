//! DEPTH_TO_SPACE and SPACE_TO_DEPTH of an int8 NHWC map (TFLM `reference_ops::DepthToSpace`,
//! `SpaceToDepth`): pixels move between a `block × block` patch of the map and the channels
//! of one pixel. Output pixel (y, x) reads input pixel (y / b, x / b) (depth to space) or the
//! input patch at (y·b, x·b) (space to depth), so both are spatially local.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region};

#[derive(Debug, Clone)]
pub struct DepthToSpace {
    pub input: Hwc,
    pub output: Hwc,
    block: usize,
    /// Depth to space (true) or space to depth.
    to_space: bool,
}

impl DepthToSpace {
    pub fn prepare(cx: &Ctx, block: i32, to_space: bool) -> Result<DepthToSpace> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        cx.same_quant(xq, yq, cx.op.kind.name())?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let b = usize::try_from(block).ok().filter(|&b| b > 0).ok_or_else(|| cx.err(format!("block size {block}")))?;
        let (small, large) = if to_space { (input, output) } else { (output, input) };
        if large.h != small.h * b || large.w != small.w * b || small.c != large.c * b * b {
            return Err(cx.err(format!("block {b} does not take {:?} to {:?}", x.shape, y.shape)));
        }
        Ok(DepthToSpace { input, output, block: b, to_space })
    }

    /// The input region an output region reads.
    pub fn input_region(&self, out: Region) -> Region {
        let b = self.block;
        if out.area() == 0 {
            return Region::default();
        }
        match self.to_space {
            true => Region { y0: out.y0 / b, y1: (out.y1 - 1) / b + 1, x0: out.x0 / b, x1: (out.x1 - 1) / b + 1 },
            false => Region { y0: out.y0 * b, y1: out.y1 * b, x0: out.x0 * b, x1: out.x1 * b },
        }
    }
}

impl DepthToSpace {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let b = self.block;
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                if self.to_space {
                    // Channels of the input pixel, in rows of the block: (y % b, x % b) picks a run.
                    let c = self.output.c;
                    let at = ((y % b) * b + x % b) * c;
                    out.pixel_mut(y, x).copy_from_slice(&input.pixel(y / b, x / b)[at..at + c]);
                } else {
                    let c = self.input.c;
                    let pixel = out.pixel_mut(y, x);
                    for dy in 0..b {
                        for dx in 0..b {
                            let at = (dy * b + dx) * c;
                            pixel[at..at + c].copy_from_slice(input.pixel(y * b + dy, x * b + dx));
                        }
                    }
                }
            }
        }
    }
}
