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
    /// Each channel's parameters repeated in eight lanes, for eight pixels of one channel.
    channel_stage: LaneStage,
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
            channel_stage: LaneStage::new(&OutputStage {
                requant: stage.requant.iter().flat_map(|&r| [r; 8]).collect(),
                ..stage.clone()
            }),
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

    /// Channel `c` of up to `count` output pixels `(oy, ox ..)`, eight at a time, from
    /// `plane` (that channel of input region `held`), for TinyEngine's in-place order: output
    /// pixel `i` goes to `out[slot + i·stride]`. Needs a horizontal stride of 1 or 2, a
    /// dilation of 1 and every pixel's taps inside the map horizontally. A last partial run
    /// reads past its row into the plane (the extra lanes are dropped). Returns the pixels
    /// computed: as many as the plane holds the runs of.
    #[allow(clippy::too_many_arguments)]
    pub fn in_place_runs(
        &self,
        isa: Isa,
        w: &Window,
        plane: &[i8],
        held: Region,
        c: usize,
        (oy, ox, count): (usize, usize, usize),
        out: &mut [i8],
        (slot, stride): (usize, usize),
    ) -> usize {
        let s = w.stride.1;
        let mut runs = count.div_ceil(8);
        assert!((s == 1 || s == 2) && w.dilation.1 == 1 && c < self.channels);
        // Every tap's first input pixel, and its step per run (0 for a row in the padding).
        let mut first = [(self.padding.as_ptr(), 0); MAX_TAPS + 1];
        for ky in 0..w.kernel.0 {
            let iy = Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
            for kx in 0..w.kernel.1 {
                if let Some(iy) = iy {
                    #[allow(clippy::expect_used)] // the held region covers every tap's input
                    let col = (s * ox + kx).checked_sub(w.pad_left + held.x0).expect("taps inside the map");
                    assert!(iy >= held.y0 && iy < held.y1 && col <= held.width());
                    let at = (iy - held.y0) * held.width() + col;
                    runs = runs.min(plane.len().saturating_sub(at) / (8 * s));
                    first[ky * w.kernel.1 + kx] = (plane[at..].as_ptr(), 8 * s);
                }
            }
        }
        first[self.taps] = first[0];
        let done = count.min(8 * runs);
        assert!(done == 0 || slot + (done - 1) * stride < out.len());
        match isa {
            // SAFETY: every tap reads `8·s·runs` int8 inside the plane or eight zero points
            // (checked above); `out` holds every slot (checked above).
            Isa::Portable => unsafe { self.runs_with::<Portable>(&first, c, done, s, out, slot, stride) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; `isa()` found AVX2.
            Isa::Avx2 => unsafe { self.runs_avx2(&first, c, done, s, out, slot, stride) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: as above; compiled with simd128.
            Isa::Simd128 => unsafe { self.runs_with::<super::wasm::Simd128>(&first, c, done, s, out, slot, stride) },
        }
        done
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn runs_avx2(
        &self,
        first: &[(*const i8, usize)],
        c: usize,
        pixels: usize,
        s: usize,
        out: &mut [i8],
        slot: usize,
        stride: usize,
    ) {
        self.runs_with::<super::avx2::Avx2>(first, c, pixels, s, out, slot, stride)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn runs_with<L: Lanes>(
        &self,
        first: &[(*const i8, usize)],
        c: usize,
        pixels: usize,
        s: usize,
        out: &mut [i8],
        slot: usize,
        stride: usize,
    ) {
        let pairs = self.taps.div_ceil(2);
        let bias = [self.bias[c]; 8];
        let filter = self.filter.as_ptr().add(((c / 8 * pairs) * 8 + c % 8) * 2);
        let mut lanes = [0i8; 8];
        for r in 0..pixels.div_ceil(8) {
            let mut acc = L::load_acc(bias.as_ptr());
            for k in 0..pairs {
                let (a, step_a) = first[2 * k];
                let (b, step_b) = first[2 * k + 1];
                let (a, b) = (a.add(r * step_a), b.add(r * step_b));
                let x =
                    if s == 1 { L::zip_i8(a, b, self.input_offset) } else { L::zip_i8_even(a, b, self.input_offset) };
                acc = L::madd(acc, x, L::splat_pair(filter.add(k * 16)));
            }
            L::requantize_store(acc, &self.channel_stage, 8 * c, lanes.as_mut_ptr());
            for (i, &v) in lanes.iter().enumerate().take(pixels - 8 * r) {
                out[slot + (8 * r + i) * stride] = v;
            }
        }
    }
}
