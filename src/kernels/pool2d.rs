//! AVERAGE_POOL_2D and MAX_POOL_2D, int8 (TFLM `reference_integer_ops::AveragePool/MaxPool`).

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Hwc, Region, Window};
use crate::model::PoolOptions;
use crate::quant::activation_range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Average,
    Max,
}

#[derive(Debug, Clone)]
pub struct Pool2d {
    pub kind: PoolKind,
    pub input: Hwc,
    pub output: Hwc,
    pub window: Window,
    min: i32,
    max: i32,
}

impl Pool2d {
    pub fn prepare(cx: &Ctx, o: &PoolOptions, kind: PoolKind) -> Result<Pool2d> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        cx.same_quant(xq, yq, "pooling")?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let window = Window::new((input.h, input.w), o.filter, o.stride, (1, 1), o.padding)
            .ok_or_else(|| cx.err(format!("a {:?} window does not fit input {:?}", o.filter, x.shape)))?;
        cx.expect_shape(y, &[1, window.out_h, window.out_w, input.c], "output")?;
        let (min, max) = activation_range(o.activation, yq);
        Ok(Pool2d { kind, input, output, window, min, max })
    }
}

impl Pool2d {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    ///
    /// Up to `LANES` channels at a time in a stack array: no allocation, and per tap a loop
    /// over the channels the compiler vectorises.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        const LANES: usize = 64;
        let w = &self.window;
        let c = self.output.c;
        let init = if self.kind == PoolKind::Max { i32::from(i8::MIN) } else { 0 };
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                for start in (0..c).step_by(LANES) {
                    let n = LANES.min(c - start);
                    let mut acc = [init; LANES];
                    let acc = &mut acc[..n];
                    let mut count = 0i32;
                    w.for_each_tap(oy, ox, |_, _, iy, ix| {
                        count += 1;
                        let x = &input.pixel(iy, ix)[start..start + n];
                        match self.kind {
                            PoolKind::Average => acc.iter_mut().zip(x).for_each(|(a, &x)| *a += i32::from(x)),
                            PoolKind::Max => acc.iter_mut().zip(x).for_each(|(a, &x)| *a = (*a).max(i32::from(x))),
                        }
                    });
                    for (o, &a) in out.pixel_mut(oy, ox)[start..].iter_mut().zip(acc.iter()) {
                        let v = match self.kind {
                            // Round half away from zero; a window always covers at least one pixel.
                            PoolKind::Average if a > 0 => (a + count / 2) / count,
                            PoolKind::Average => (a - count / 2) / count,
                            PoolKind::Max => a,
                        };
                        *o = v.clamp(self.min, self.max) as i8;
                    }
                }
            }
        }
    }
}
