//! CONV_2D, int8 with per-channel weights (TFLM `reference_integer_ops::ConvPerChannel`).

use super::fast::gemm::Gemm;
use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{as_i8, Fmap, FmapMut, Hwc, Region, Window};
use crate::model::{ConvOptions, DType};
use crate::quant::OutputStage;

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
    /// The fast path, for ungrouped convolutions whose receptive field is not too deep.
    fast: Option<Gemm>,
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
        let filter = as_i8(filter).to_vec();
        let stage = OutputStage::new(xq, fq, yq, oc, o.activation);
        let fast =
            if groups == 1 { Gemm::for_conv(&filter, &bias, oc, xq.zero_point(), &stage, &window) } else { None };
        Ok(Conv2d {
            input,
            output,
            window,
            filter,
            bias,
            group_in: ic,
            group_out: oc / groups,
            input_offset: -xq.zero_point(),
            stage,
            fast,
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
        if let Some(fast) = &self.fast {
            return fast.eval_in_place(buf, region.area());
        }
        let (ic, oc) = (self.input.c, self.output.c);
        let temp = &mut temp[..oc];
        for p in 0..region.area() {
            let x = &buf[p * ic..(p + 1) * ic];
            for (c, t) in temp.iter_mut().enumerate() {
                let acc = self.bias[c].wrapping_add(dot_with_offset(
                    x,
                    &self.filter[c * ic..(c + 1) * ic],
                    self.input_offset,
                ));
                *t = self.stage.apply(acc, c);
            }
            buf[p * oc..(p + 1) * oc].copy_from_slice(temp);
        }
    }
}

impl Conv2d {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        match &self.fast {
            Some(fast) => fast.eval(&self.window, input, out, region),
            None => self.eval_reference(input, out, region),
        }
    }
}

impl Conv2d {
    /// The scalar reference: TFLM's loops, which every fast path must match byte for byte.
    pub fn eval_reference(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
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
                        acc = acc.wrapping_add(dot_with_offset(x, f, self.input_offset));
                    });
                    *o = self.stage.apply(acc, c);
                }
            }
        }
    }
}

/// Σ f·(x + offset), the inner product TFLM's reference kernels accumulate.
#[inline(always)]
/// TFLM's int32 accumulation, which wraps (as the fast paths' lanes do) where a model's
/// bias or depth takes it past int32.
pub fn dot_with_offset(x: &[i8], f: &[i8], offset: i32) -> i32 {
    x.iter().zip(f).fold(0i32, |acc, (&x, &f)| acc.wrapping_add(i32::from(f) * (i32::from(x) + offset)))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::kernels::fast::{available, testing};
    use crate::model::Padding;
    use proptest::prelude::*;
    use std::ops::RangeInclusive;

    /// A convolution, an input and an output region: everything random.
    #[derive(Debug)]
    struct Case {
        conv: Conv2d,
        input: Vec<i8>,
        region: Region,
    }

    fn case() -> impl Strategy<Value = Case> {
        case_of((1usize..=11, 1usize..=11, 1usize..=19, 1usize..=19))
    }

    /// Rows wider than the fast path widens at once (it then takes them a chunk at a time).
    fn wide_case() -> impl Strategy<Value = Case> {
        case_of((1usize..=3, 400usize..=800, 8usize..=24, 1usize..=9))
    }

    /// Convolutions of `(height, width, input channels, output channels)` from `dims`.
    fn case_of(
        dims: (RangeInclusive<usize>, RangeInclusive<usize>, RangeInclusive<usize>, RangeInclusive<usize>),
    ) -> impl Strategy<Value = Case> {
        let shape = (dims.0, dims.1, dims.2, dims.3, 1usize..=3, 1usize..=3, 1usize..=2, 1usize..=2);
        // Dilations drawn apart: a dilation down the rows alone keeps the row-by-row layout.
        (shape, any::<bool>(), (1usize..=2, 1usize..=2), -128i32..=127)
            .prop_filter_map("window fits", |((h, w, ic, oc, kh, kw, sy, sx), same, dilation, zp)| {
                let padding = if same { Padding::Same } else { Padding::Valid };
                let window = Window::new((h, w), (kh, kw), (sy, sx), dilation, padding)?;
                Some((window, ic, oc, zp))
            })
            .prop_flat_map(|(window, ic, oc, zp)| {
                let (kh, kw) = window.kernel;
                (
                    Just((window, ic, oc, zp)),
                    testing::bytes(oc * kh * kw * ic),
                    proptest::collection::vec(-(1i32 << 20)..(1 << 20), oc),
                    testing::stage(oc),
                    testing::bytes(window.in_h * window.in_w * ic),
                    (0..window.out_h, 0..window.out_h, 0..window.out_w, 0..window.out_w),
                )
            })
            .prop_map(|((window, ic, oc, zp), filter, bias, stage, input, (a, b, c, d))| {
                let region = Region { y0: a.min(b), y1: a.max(b) + 1, x0: c.min(d), x1: c.max(d) + 1 };
                Case { conv: conv(window, ic, oc, zp, filter, bias, stage), input, region }
            })
    }

    /// An ungrouped convolution over `window`, `ic` channels in and `oc` out, with its fast path.
    fn conv(
        window: Window,
        ic: usize,
        oc: usize,
        zp: i32,
        filter: Vec<i8>,
        bias: Vec<i32>,
        stage: OutputStage,
    ) -> Conv2d {
        let fast = Gemm::for_conv(&filter, &bias, oc, zp, &stage, &window);
        Conv2d {
            input: Hwc { h: window.in_h, w: window.in_w, c: ic },
            output: Hwc { h: window.out_h, w: window.out_w, c: oc },
            window,
            filter,
            bias,
            group_in: ic,
            group_out: oc,
            input_offset: -zp,
            stage,
            fast,
        }
    }

    /// A tall kernel dilated down the rows spans more input rows than the row buffer holds
    /// (8 taps 16 rows apart: 113 rows of 3·64 values), though its kernel rows alone fit;
    /// it must take the column layout, not overrun the buffer.
    #[test]
    fn tall_dilated_kernel_takes_the_columns() {
        let (h, w, ic, oc) = (120, 4, 64, 8);
        let window = Window::new((h, w), (8, 3), (1, 1), (16, 1), Padding::Same).expect("fits");
        let filter: Vec<i8> = (0..oc * 8 * 3 * ic).map(|i| (i * 37 % 251) as i8).collect();
        let stage =
            OutputStage { requant: vec![crate::quant::Requant::new(0.002); oc], offset: 1, min: -128, max: 127 };
        let conv = conv(window, ic, oc, 3, filter, vec![300; oc], stage);
        let input = (0..h * w * ic).map(|i| (i * 53 % 241) as i8).collect();
        let region = Region { y0: 50, y1: 62, x0: 0, x1: 4 };
        check(Case { conv, input, region }).expect("the fast path equals the reference");
    }

    proptest! {
        #![proptest_config(testing::config(600))]

        /// Any region of any convolution, from an input view of just the region it reads.
        #[test]
        fn fast_path_matches_reference(case in case()) {
            check(case)?;
        }
    }

    proptest! {
        #![proptest_config(testing::config(100))]

        #[test]
        fn fast_path_matches_reference_on_wide_rows(case in wide_case()) {
            check(case)?;
        }
    }

    /// The fast path (its field read row by row where the window allows, and gathered as
    /// columns) equals the reference byte for byte on every instruction set.
    fn check(case: Case) -> Result<(), TestCaseError> {
        let Case { conv, input, region } = case;
        let fast = conv.fast.as_ref().expect("receptive fields this small take the fast path");
        let oc = conv.output.c;
        let columns = Gemm::new(&conv.filter, &conv.bias, oc, -conv.input_offset, &conv.stage).expect("fits");
        let held = conv.window.input_region(region);
        let view: Vec<i8> = (held.y0..held.y1)
            .flat_map(|y| (held.x0..held.x1).flat_map(move |x| (0..conv.input.c).map(move |c| (y, x, c))))
            .map(|(y, x, c)| input[(y * conv.input.w + x) * conv.input.c + c])
            .collect();
        let input = Fmap { data: &view, region: held, channels: conv.input.c };
        let mut expected = vec![0i8; region.area() * oc];
        conv.eval_reference(&input, &mut FmapMut { data: &mut expected, region, channels: oc }, region);
        for (isa, gemm) in available().into_iter().flat_map(|isa| [(isa, fast), (isa, &columns)]) {
            let mut got = vec![0i8; region.area() * oc];
            gemm.eval_on(isa, &conv.window, &input, &mut FmapMut { data: &mut got, region, channels: oc }, region);
            prop_assert_eq!(&got, &expected, "{:?}", isa);
        }
        if conv.is_pointwise() && oc <= conv.input.c {
            for isa in available() {
                let mut buf = view.clone();
                fast.eval_in_place_on(isa, &mut buf, region.area());
                prop_assert_eq!(&buf[..expected.len()], &expected[..], "in place, {:?}", isa);
            }
        }
        Ok(())
    }
}
