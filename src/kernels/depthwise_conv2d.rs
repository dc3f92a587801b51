//! DEPTHWISE_CONV_2D, int8 per-channel, any depth multiplier
//! (TFLM `reference_integer_ops::DepthwiseConvPerChannel`).

use super::fast::depthwise::Depthwise;
use super::fast::{self, Isa};
use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{as_i8, Fmap, FmapMut, Hwc, Region, Window};
use crate::model::{ConvOptions, DType};
use crate::quant::OutputStage;

#[derive(Debug, Clone)]
pub struct DepthwiseConv2d {
    pub input: Hwc,
    pub output: Hwc,
    pub window: Window,
    pub depth_multiplier: usize,
    /// `[kh][kw][out_c]`
    filter: Vec<i8>,
    bias: Vec<i32>,
    input_offset: i32,
    stage: OutputStage,
    /// The fast path, for a depth multiplier of 1 and a multiple of eight channels.
    fast: Option<Depthwise>,
}

impl DepthwiseConv2d {
    pub fn prepare(cx: &Ctx, o: &ConvOptions, depth_multiplier: usize) -> Result<DepthwiseConv2d> {
        cx.expect_io(2..=3, 1)?;
        let (x, f, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let filter = cx.constant(f, DType::I8, "filter")?;
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let [1, kh, kw, oc] = f.shape[..] else {
            return Err(cx.err(format!("filter has shape {:?}, expected [1, KH, KW, O]", f.shape)));
        };
        let dm = if depth_multiplier == 0 { oc / input.c } else { depth_multiplier };
        if oc != output.c || oc != input.c * dm || kh == 0 || kw == 0 {
            return Err(cx.err(format!(
                "filter {:?} with depth multiplier {dm} does not fit input {:?} and output {:?}",
                f.shape, x.shape, y.shape
            )));
        }
        let fq = cx.filter_quant(f, 3, oc)?;
        let window = Window::new((input.h, input.w), (kh, kw), o.stride, o.dilation, o.padding)
            .ok_or_else(|| cx.err(format!("a {kh}×{kw} window does not fit input {:?}", x.shape)))?;
        cx.expect_shape(y, &[1, window.out_h, window.out_w, oc], "output")?;
        let bias = cx.bias(oc)?;
        let filter = as_i8(filter).to_vec();
        let stage = OutputStage::new(xq, fq, yq, oc, o.activation);
        let fast = if dm == 1 { Depthwise::new(&filter, &bias, (kh, kw), oc, -xq.zero_point(), &stage) } else { None };
        Ok(DepthwiseConv2d {
            input,
            output,
            window,
            depth_multiplier: dm,
            filter,
            bias,
            input_offset: -xq.zero_point(),
            stage,
            fast,
        })
    }

    pub fn macs(&self) -> u64 {
        let (kh, kw) = self.window.kernel;
        (self.output.elements() * kh * kw) as u64
    }

    /// TinyEngine's in-place depthwise convolution: `buf` holds `in_region` of the input and
    /// receives `out_region` of the output over it, channel by channel. Each input channel is
    /// first copied to `temp` (one channel of `in_region`); the output pixels of that channel
    /// then land in slots of input pixels whose channel was already copied, so nothing still
    /// needed is overwritten. Needs a depth multiplier of 1 and no more output pixels than
    /// input pixels. The arithmetic is the same as [`DepthwiseConv2d::eval`]'s; the fast path
    /// computes eight channels at a time from a ring of input rows (the same result: every
    /// input byte is read before its slot is overwritten).
    pub fn eval_in_place(&self, buf: &mut [i8], in_region: Region, out_region: Region, temp: &mut [i8]) {
        self.eval_in_place_on(fast::isa(), buf, in_region, out_region, temp)
    }

    /// [`DepthwiseConv2d::eval_in_place`] on instruction set `isa`, which must be available.
    pub fn eval_in_place_on(&self, isa: Isa, buf: &mut [i8], in_region: Region, out_region: Region, temp: &mut [i8]) {
        debug_assert!(self.depth_multiplier == 1 && out_region.area() <= in_region.area());
        let done = self.fast.as_ref().is_some_and(|f| f.in_place(isa, &self.window, buf, in_region, out_region, temp));
        if !done {
            self.in_place_reference(buf, in_region, out_region, temp);
        }
    }

    /// The scalar in-place loops, which the fast path must match byte for byte.
    fn in_place_reference(&self, buf: &mut [i8], in_region: Region, out_region: Region, temp: &mut [i8]) {
        let w = &self.window;
        let kw = w.kernel.1;
        let c_count = self.output.c;
        let temp = &mut temp[..in_region.area()];
        for c in 0..c_count {
            for (t, px) in temp.iter_mut().zip(buf.chunks_exact(c_count)) {
                *t = px[c];
            }
            let mut slot = c;
            for oy in out_region.y0..out_region.y1 {
                for ox in out_region.x0..out_region.x1 {
                    let mut acc = self.bias[c];
                    w.for_each_tap(oy, ox, |ky, kx, iy, ix| {
                        let x = temp[(iy - in_region.y0) * in_region.width() + (ix - in_region.x0)];
                        let tap =
                            i32::from(self.filter[(ky * kw + kx) * c_count + c]) * (i32::from(x) + self.input_offset);
                        acc = acc.wrapping_add(tap);
                    });
                    buf[slot] = self.stage.apply(acc, c);
                    slot += c_count;
                }
            }
        }
    }
}

impl DepthwiseConv2d {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        if !self.fast.as_ref().is_some_and(|fast| fast.eval(&self.window, input, out, region)) {
            self.eval_reference(input, out, region);
        }
    }
}

impl DepthwiseConv2d {
    /// The scalar reference: TFLM's loops, which every fast path must match byte for byte.
    pub fn eval_reference(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let w = &self.window;
        let kw = w.kernel.1;
        let (oc, dm) = (self.output.c, self.depth_multiplier);
        let mut acc = vec![0i32; oc];
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                acc.copy_from_slice(&self.bias);
                w.for_each_tap(oy, ox, |ky, kx, iy, ix| {
                    let x = input.pixel(iy, ix);
                    let f = &self.filter[(ky * kw + kx) * oc..][..oc];
                    if dm == 1 {
                        for ((a, &f), &x) in acc.iter_mut().zip(f).zip(x) {
                            *a += i32::from(f) * (i32::from(x) + self.input_offset);
                        }
                    } else {
                        for (c, (a, &f)) in acc.iter_mut().zip(f).enumerate() {
                            *a += i32::from(f) * (i32::from(x[c / dm]) + self.input_offset);
                        }
                    }
                });
                for (c, (o, &a)) in out.pixel_mut(oy, ox).iter_mut().zip(&acc).enumerate() {
                    *o = self.stage.apply(a, c);
                }
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::kernels::fast::{available, testing};
    use crate::model::Padding;
    use proptest::prelude::*;

    #[derive(Debug)]
    struct Case {
        conv: DepthwiseConv2d,
        input: Vec<i8>,
        region: Region,
    }

    fn case() -> impl Strategy<Value = Case> {
        // Wide maps with tall kernels give rings of rows too large for the stack.
        let width = prop_oneof![3 => 1usize..=20, 1 => 60usize..=150];
        let shape = (1usize..=11, width, 1usize..=4, 1usize..=5, 1usize..=5, 1usize..=2, 1usize..=2);
        (shape, any::<bool>(), 1usize..=2, -128i32..=127)
            .prop_filter_map("window fits", |((h, w, blocks, kh, kw, sy, sx), same, dilation, zp)| {
                let padding = if same { Padding::Same } else { Padding::Valid };
                let window = Window::new((h, w), (kh, kw), (sy, sx), (dilation, dilation), padding)?;
                Some((window, blocks * 8, zp))
            })
            .prop_flat_map(|(window, c, zp)| {
                let (kh, kw) = window.kernel;
                (
                    Just((window, c, zp)),
                    testing::bytes(kh * kw * c),
                    proptest::collection::vec(-(1i32 << 20)..(1 << 20), c),
                    testing::stage(c),
                    testing::bytes(window.in_h * window.in_w * c),
                    (0..window.out_h, 0..window.out_h, 0..window.out_w, 0..window.out_w),
                )
            })
            .prop_map(|((window, c, zp), filter, bias, stage, input, (a, b, x0, x1))| {
                let region = Region { y0: a.min(b), y1: a.max(b) + 1, x0: x0.min(x1), x1: x0.max(x1) + 1 };
                Case { conv: conv(window, c, zp, filter, bias, stage), input, region }
            })
    }

    fn conv(window: Window, c: usize, zp: i32, filter: Vec<i8>, bias: Vec<i32>, stage: OutputStage) -> DepthwiseConv2d {
        let fast = Depthwise::new(&filter, &bias, window.kernel, c, -zp, &stage);
        DepthwiseConv2d {
            input: Hwc { h: window.in_h, w: window.in_w, c },
            output: Hwc { h: window.out_h, w: window.out_w, c },
            window,
            depth_multiplier: 1,
            filter,
            bias,
            input_offset: -zp,
            stage,
            fast,
        }
    }

    /// A shrunk failure, pinned: a region whose columns all lie left of the first interior
    /// column (5×5 kernel, dilation 2, four columns of padding). An edge loop that ran up
    /// to the interior instead of the region's end wrote past the output.
    #[test]
    fn region_wholly_in_the_left_padding() {
        let window = Window::new((9, 6), (5, 5), (2, 1), (2, 2), Padding::Same).expect("fits");
        let c = 8;
        let filter = (0..25 * c).map(|i| (i * 37 % 251) as i8).collect();
        let stage = OutputStage { requant: vec![crate::quant::Requant::new(0.01); c], offset: 3, min: -128, max: 127 };
        let input = (0..9 * 6 * c).map(|i| (i * 53 % 241) as i8).collect();
        let region = Region { y0: 2, y1: 3, x0: 1, x1: 3 };
        let case = Case { conv: conv(window, c, -5, filter, vec![100; c], stage), input, region };
        check(case).expect("the fast path equals the reference");
    }

    /// A shrunk failure, pinned: with a dilation of 2, output row 3 reads input rows 1, 3
    /// and 5 and row 4 reads rows 0, 2 and 4. A ring that skipped to each output row's
    /// first tap row never built row 0.
    #[test]
    fn dilated_rows_of_alternate_parity() {
        let window = Window::new((6, 10), (5, 4), (1, 2), (2, 2), Padding::Same).expect("fits");
        let c = 32;
        let filter = (0..20 * c).map(|i| (i * 29 % 253) as i8).collect();
        let stage =
            OutputStage { requant: vec![crate::quant::Requant::new(0.003); c], offset: -7, min: -128, max: 127 };
        let input = (0..6 * 10 * c).map(|i| (i * 41 % 239) as i8).collect();
        let region = Region { y0: 3, y1: 5, x0: 0, x1: 4 };
        let case = Case { conv: conv(window, c, 9, filter, vec![-50; c], stage), input, region };
        check(case).expect("the fast path equals the reference");
    }

    /// One- and two-row regions of 3×3 kernels at strides 1 and 2, each row's pixels four at
    /// a time inside the map (AVX-512 VNNI computes those straight from the input), with a
    /// block of sixteen channels and one of eight.
    #[test]
    fn short_regions_of_3x3_kernels() {
        for (stride, padding, rows) in
            [(1, Padding::Same, 1), (1, Padding::Valid, 2), (2, Padding::Same, 1), (2, Padding::Same, 3)]
        {
            let window = Window::new((9, 23), (3, 3), (stride, stride), (1, 1), padding).expect("fits");
            let c = 24;
            let filter: Vec<i8> = (0..9 * c).map(|i| (i * 61 % 255) as i8).collect();
            let stage =
                OutputStage { requant: vec![crate::quant::Requant::new(0.004); c], offset: -3, min: -128, max: 127 };
            let input: Vec<i8> = (0..9 * 23 * c).map(|i| (i * 43 % 247) as i8).collect();
            for y0 in 0..window.out_h.saturating_sub(rows - 1) {
                let region = Region { y0, y1: y0 + rows, x0: 0, x1: window.out_w };
                let case = Case {
                    conv: conv(window, c, 11, filter.clone(), vec![700; c], stage.clone()),
                    input: input.clone(),
                    region,
                };
                check(case).expect("the fast path equals the reference");
            }
        }
    }

    proptest! {
        #![proptest_config(testing::config(600))]

        /// Any region of any depthwise convolution with a multiple of eight channels, from
        /// an input view of just the region it reads: the fast path equals the reference
        /// byte for byte on every instruction set.
        #[test]
        fn fast_path_matches_reference(case in case()) {
            check(case)?;
        }
    }

    /// The fast path equals the reference byte for byte on every instruction set, out of
    /// place and in place.
    fn check(case: Case) -> Result<(), TestCaseError> {
        let Case { conv, input, region } = case;
        let fast = conv.fast.as_ref().expect("eight-channel blocks take the fast path");
        let held = conv.window.input_region(region);
        let c = conv.input.c;
        let view: Vec<i8> = (held.y0..held.y1)
            .flat_map(|y| (held.x0..held.x1).flat_map(move |x| (0..c).map(move |k| (y, x, k))))
            .map(|(y, x, k)| input[(y * conv.input.w + x) * c + k])
            .collect();
        let input = Fmap { data: &view, region: held, channels: c };
        let mut expected = vec![0i8; region.area() * c];
        conv.eval_reference(&input, &mut FmapMut { data: &mut expected, region, channels: c }, region);
        for isa in available() {
            let mut got = vec![0i8; region.area() * c];
            let done =
                fast.eval_on(isa, &conv.window, &input, &mut FmapMut { data: &mut got, region, channels: c }, region);
            prop_assert!(done, "the ring holds a pixel's rows");
            prop_assert_eq!(&got, &expected, "{:?}", isa);
        }
        // In place (TinyEngine's order), the reference's loops against the fast runs.
        if region.area() <= held.area() {
            let mut temp = vec![0i8; held.area()];
            let mut want = view.clone();
            conv.in_place_reference(&mut want, held, region, &mut temp);
            prop_assert_eq!(&want[..expected.len()], &expected[..], "reference in place");
            for isa in available() {
                let mut buf = view.clone();
                conv.eval_in_place_on(isa, &mut buf, held, region, &mut temp);
                prop_assert_eq!(&buf, &want, "in place, {:?}", isa);
                // The ring of rows in a `temp` larger than the stack's ring.
                let mut buf = view.clone();
                let mut large = vec![0i8; 1 << 18];
                prop_assert!(fast.in_place(isa, &conv.window, &mut buf, held, region, &mut large));
                prop_assert_eq!(&buf, &want, "in place, ring in temp, {:?}", isa);
            }
        }
        Ok(())
    }
}
