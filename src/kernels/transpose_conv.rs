//! TRANSPOSE_CONV, int8 with per-channel weights (TFLM `reference_integer_ops::TransposeConv`).
//! TFLM scatters: every input pixel adds its products into an int32 scratch copy of the whole
//! output, then the bias is added and each sum requantized. The sums are the same gathered
//! per output pixel (int32 addition wraps the same in any order), which is what makes the op
//! spatially local: an output region reads only the inputs whose kernels reach it
//! ([`TransposedWindow`]), so it runs in patch stages with no output-sized scratch.
//! TFLM ignores input 0 (the output shape) and takes the shape of the output tensor.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{as_i8, Fmap, FmapMut, Hwc, Region, TransposedWindow};
use crate::model::{ConvOptions, DType};
use crate::quant::OutputStage;

#[derive(Debug, Clone)]
pub struct TransposeConv {
    pub input: Hwc,
    pub output: Hwc,
    pub window: TransposedWindow,
    /// `[out_c][kh][kw][in_c]`
    filter: Vec<i8>,
    bias: Vec<i32>,
    input_offset: i32,
    stage: OutputStage,
}

impl TransposeConv {
    pub fn prepare(cx: &Ctx, o: &ConvOptions) -> Result<TransposeConv> {
        cx.expect_io(3..=4, 1)?;
        let (shape, f, x, y) = (cx.input(0)?, cx.input(1)?, cx.input(2)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let filter = cx.constant(f, DType::I8, "filter")?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let shape = cx.integers(shape, "output shape")?;
        if !shape.iter().map(|&d| usize::try_from(d).ok()).eq(y.shape.iter().map(|&d| Some(d))) {
            return Err(cx.err(format!("output shape {shape:?} differs from the output's {:?}", y.shape)));
        }
        let [oc, kh, kw, ic] = f.shape[..] else {
            return Err(cx.err(format!("filter has shape {:?}, expected [O, KH, KW, I]", f.shape)));
        };
        if oc != output.c || ic != input.c || kh == 0 || kw == 0 {
            return Err(
                cx.err(format!("filter {:?} does not fit input {:?} and output {:?}", f.shape, x.shape, y.shape))
            );
        }
        let fq = cx.filter_quant(f, 0, oc)?;
        let window = TransposedWindow::new((input.h, input.w), (output.h, output.w), (kh, kw), o.stride, o.padding)
            .ok_or_else(|| cx.err(format!("a {kh}×{kw} kernel does not fit output {:?}", y.shape)))?;
        Ok(TransposeConv {
            input,
            output,
            window,
            filter: as_i8(filter).to_vec(),
            bias: cx.bias_at(3, oc)?,
            input_offset: -xq.zero_point(),
            stage: OutputStage::new(xq, fq, yq, oc, o.activation),
        })
    }

    /// The products that land inside the output (TFLM skips the others).
    pub fn macs(&self) -> u64 {
        self.window.taps() * (self.input.c * self.output.c) as u64
    }
}

impl TransposeConv {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let (ic, (kh, kw)) = (self.input.c, self.window.kernel);
        let mut acc = vec![0i32; self.output.c];
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                acc.copy_from_slice(&self.bias);
                self.window.for_each_tap(oy, ox, |ky, kx, iy, ix| {
                    let pixel = input.pixel(iy, ix);
                    for (oc, sum) in acc.iter_mut().enumerate() {
                        let taps = &self.filter[((oc * kh + ky) * kw + kx) * ic..][..ic];
                        for (&v, &w) in pixel.iter().zip(taps) {
                            *sum = sum.wrapping_add((i32::from(v) + self.input_offset) * i32::from(w));
                        }
                    }
                });
                for (c, (o, &sum)) in out.pixel_mut(oy, ox).iter_mut().zip(&acc).enumerate() {
                    *o = self.stage.apply(sum, c);
                }
            }
        }
    }
}
