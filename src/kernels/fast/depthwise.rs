//! DEPTHWISE_CONV_2D with a depth multiplier of 1 and a multiple of eight channels, eight
//! channels at a time: the kernel taps are taken in pairs, each pair's two input pixels
//! (plus the input offset) interleaved against the pair's two filter taps. A tap in the
//! padding reads a pixel of zero points, which contributes nothing, as the reference's
//! skipped tap does.

use super::{isa, Isa, LaneStage, Lanes, Portable};
use crate::geometry::{Fmap, FmapMut, Region, Window};
use crate::kernels::OutputStage;

/// Most kernel taps (`kh·kw`) the fast path takes.
pub const MAX_TAPS: usize = 64;

#[derive(Debug, Clone)]
pub struct Depthwise {
    channels: usize,
    taps: usize,
    /// `[channels / 8][taps / 2][8 channels][2]`, zero-padded to an even tap count.
    filter: Vec<i16>,
    /// Padded to a multiple of eight.
    bias: Vec<i32>,
    stage: LaneStage,
    input_offset: i16,
    /// One pixel of zero points: what a tap in the padding reads.
    padding: Vec<i8>,
}

impl Depthwise {
    /// `filter` is `[kh·kw][channels]`; `None` unless the shape suits the fast path.
    pub fn new(
        filter: &[i8],
        bias: &[i32],
        channels: usize,
        input_offset: i32,
        stage: &OutputStage,
    ) -> Option<Depthwise> {
        let taps = filter.len() / channels.max(1);
        if channels == 0 || !channels.is_multiple_of(8) || taps == 0 || taps > MAX_TAPS {
            return None;
        }
        let pairs = taps.div_ceil(2);
        let mut packed = vec![0i16; channels * pairs * 2];
        for t in 0..taps {
            for c in 0..channels {
                packed[((c / 8 * pairs + t / 2) * 8 + c % 8) * 2 + t % 2] = i16::from(filter[t * channels + c]);
            }
        }
        Some(Depthwise {
            channels,
            taps,
            filter: packed,
            bias: bias.to_vec(),
            stage: LaneStage::new(stage),
            input_offset: input_offset as i16,
            padding: vec![(-input_offset) as i8; channels],
        })
    }

    /// Computes `region` of the output: `out` must hold `region` and `input` the region the
    /// window reads.
    pub fn eval(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_on(isa(), window, input, out, region)
    }

    /// [`Depthwise::eval`] on instruction set `isa`, which must be available.
    pub fn eval_on(&self, isa: Isa, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        assert!(window.kernel.0 * window.kernel.1 == self.taps && input.channels == self.channels);
        match isa {
            Isa::Portable => self.eval_with::<Portable>(window, input, out, region),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `isa()` found AVX2.
            Isa::Avx2 => unsafe { self.eval_avx2(window, input, out, region) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => self.eval_with::<super::wasm::Simd128>(window, input, out, region),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn eval_avx2(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_with::<super::avx2::Avx2>(window, input, out, region)
    }

    #[inline(always)]
    fn eval_with<L: Lanes>(&self, w: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let pairs = self.taps.div_ceil(2);
        let mut pixels = [self.padding.as_ptr(); MAX_TAPS + 1];
        for oy in region.y0..region.y1 {
            for ox in region.x0..region.x1 {
                let mut t = 0;
                for ky in 0..w.kernel.0 {
                    let iy = Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
                    for kx in 0..w.kernel.1 {
                        let ix = Window::tap(ox, kx, w.stride.1, w.dilation.1, w.pad_left, w.in_w);
                        pixels[t] = match (iy, ix) {
                            (Some(iy), Some(ix)) => input.pixel(iy, ix).as_ptr(),
                            _ => self.padding.as_ptr(),
                        };
                        t += 1;
                    }
                }
                // An odd last tap pairs with any pixel: its filter half is zero.
                pixels[self.taps] = pixels[0];
                let px = out.pixel_mut(oy, ox);
                for c in (0..self.channels).step_by(8) {
                    // SAFETY: every pointer is a whole pixel of `channels` int8 and
                    // `c + 8 <= channels`; the filter holds `pairs` pairs per block; `px`
                    // has `channels` int8; the backend was chosen by `isa()`.
                    unsafe {
                        let filter = self.filter.as_ptr().add(c * pairs * 2);
                        let mut acc = L::load_acc(self.bias.as_ptr().add(c));
                        for k in 0..pairs {
                            let x = L::zip_i8(pixels[2 * k].add(c), pixels[2 * k + 1].add(c), self.input_offset);
                            acc = L::madd(acc, x, L::load_pairs(filter.add(k * 16)));
                        }
                        L::requantize_store(acc, &self.stage, c, px.as_mut_ptr().add(c));
                    }
                }
            }
        }
    }
}
