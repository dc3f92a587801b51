//! CONV_2D, int8 with per-channel weights (TFLM `reference_integer_ops::ConvPerChannel`).

use super::{Ctx, Hwc, OutputStage, RegionKernel};
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Region, Window};
use crate::model::{ConvOptions, DType};

#[derive(Debug, Clone)]
pub struct Conv2d {
    pub input: Hwc,
    pub output: Hwc,
    pub window: Window,
    /// `[out_c][kh][kw][in_c / groups]`
    filter: Vec<i8>,
    bias: Vec<i32>,
    group_in: usize,
    group_out: usize,
    input_offset: i32,
    stage: OutputStage,
}

impl Conv2d {
    pub fn prepare(cx: &Ctx, o: &ConvOptions) -> Result<Conv2d> {
        cx.expect_io(2..=3, 1)?;
        let (x, f, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let filter = cx.constant(f, DType::I8, "filter")?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let [oc, kh, kw, ic] = f.shape[..] else {
            return Err(cx.err(format!("filter has shape {:?}, expected [O, KH, KW, I]", f.shape)));
        };
        if oc != output.c || ic == 0 || input.c % ic != 0 || kh == 0 || kw == 0 {
            return Err(
                cx.err(format!("filter {:?} does not fit input {:?} and output {:?}", f.shape, x.shape, y.shape))
            );
        }
        let groups = input.c / ic;
        if oc % groups != 0 {
            return Err(cx.err(format!("{oc} output channels do not split into {groups} groups")));
        }
        let fq = cx.filter_quant(f, 0, oc)?;
        let window = Window::new((input.h, input.w), (kh, kw), o.stride, o.dilation, o.padding)
            .ok_or_else(|| cx.err(format!("a {kh}×{kw} window does not fit input {:?}", x.shape)))?;
        cx.expect_shape(y, &[1, window.out_h, window.out_w, oc], "output")?;
        let bias = cx.bias(oc)?;
        Ok(Conv2d {
            input,
            output,
            window,
            filter: super::as_i8(filter).to_vec(),
            bias,
            group_in: ic,
            group_out: oc / groups,
            input_offset: -xq.zero_point(),
            stage: OutputStage::new(xq, fq, yq, oc, o.activation),
        })
    }

    pub fn macs(&self) -> u64 {
        let (kh, kw) = self.window.kernel;
        (self.output.elements() * kh * kw * self.group_in) as u64
    }
}

impl Conv2d {
    /// A 1×1, stride-1, ungrouped convolution: each output pixel reads only its own pixel.
    pub fn is_pointwise(&self) -> bool {
        self.window.kernel == (1, 1) && self.window.stride == (1, 1) && self.group_in == self.input.c
    }

    /// A pointwise conv in place: `buf` holds `region` of the input and receives the same
    /// region of the output. Pixel by pixel, the output goes to `temp` and then over the
    /// buffer's start: with no more output than input channels, output pixel `p` covers
    /// only input pixels up to `p`, all of them already read. Same arithmetic as `eval`.
    pub fn eval_in_place(&self, buf: &mut [i8], region: Region, temp: &mut [i8]) {
        debug_assert!(self.is_pointwise() && self.output.c <= self.input.c);
        let (ic, oc) = (self.input.c, self.output.c);
        let temp = &mut temp[..oc];
        for p in 0..region.area() {
            let x = &buf[p * ic..(p + 1) * ic];
            for (c, t) in temp.iter_mut().enumerate() {
                let acc = self.bias[c] + dot_with_offset(x, &self.filter[c * ic..(c + 1) * ic], self.input_offset);
                *t = self.stage.apply(acc, c);
            }
            buf[p * oc..(p + 1) * oc].copy_from_slice(temp);
        }
    }
}

impl RegionKernel for Conv2d {
    fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let w = &self.window;
        let (kh, kw) = w.kernel;
        let ic = self.group_in;
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                let px = out.pixel_mut(oy, ox);
                for (c, o) in px.iter_mut().enumerate() {
                    let group_base = (c / self.group_out) * ic;
                    let mut acc = self.bias[c];
                    w.for_each_tap(oy, ox, |ky, kx, iy, ix| {
                        let x = &input.pixel(iy, ix)[group_base..group_base + ic];
                        let f = &self.filter[((c * kh + ky) * kw + kx) * ic..][..ic];
                        acc += dot_with_offset(x, f, self.input_offset);
                    });
                    *o = self.stage.apply(acc, c);
                }
            }
        }
    }
}

/// Σ f·(x + offset), the inner product TFLM's reference kernels accumulate.
#[inline(always)]
pub fn dot_with_offset(x: &[i8], f: &[i8], offset: i32) -> i32 {
    x.iter().zip(f).map(|(&x, &f)| i32::from(f) * (i32::from(x) + offset)).sum()
}
