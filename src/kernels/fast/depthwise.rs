//! DEPTHWISE_CONV_2D with a depth multiplier of 1 and a multiple of eight channels, eight
//! channels at a time: the kernel taps are taken in pairs, each pair's two input pixels
//! interleaved against the pair's two filter taps, the input offset folded into the bias (as
//! in the matrix product). A tap in the padding reads a pixel of zero points, which
//! contributes nothing, as the reference's skipped tap does.
//!
//! In place (TinyEngine's order, where the output lands over its own input), the same row
//! kernel runs block by block of eight channels: each input row's eight channels are
//! gathered into a ring of rows before any output overwrites them, and the outputs read the
//! ring.

use super::{covers, isa, Isa, LaneStage, Lanes, Portable};
use crate::geometry::{Fmap, FmapMut, Region, Window};
use crate::kernels::OutputStage;
use std::mem::MaybeUninit;
use std::ops::Range;

/// Most kernel taps (`kh·kw`) the fast path takes.
pub const MAX_TAPS: usize = 64;
/// Bytes of the stack the in-place path's ring of rows may use when `temp` is too small.
const STACK_RING: usize = 8192;

/// The in-place path's passes over input region `held`, output `region`: `group` channels
/// each (a multiple of eight; the last pass takes the rest), through a ring of `rows` rows of
/// `group`-channel pixels.
struct Passes {
    held: Region,
    region: Region,
    rows: usize,
    group: usize,
}

/// Where each kernel tap of an output pixel reads (one more after the last, for an odd last
/// tap to pair with) and how far each moves from one interior pixel to the next: set once
/// per call, as filling them anew for every row cost small tiles more than their pixels.
struct Taps {
    at: [*const i8; MAX_TAPS + 1],
    step: [usize; MAX_TAPS + 1],
}

impl Taps {
    fn new() -> Taps {
        Taps { at: [std::ptr::null(); MAX_TAPS + 1], step: [0; MAX_TAPS + 1] }
    }
}

#[derive(Debug, Clone)]
pub struct Depthwise {
    channels: usize,
    taps: usize,
    /// `[channels / 8][taps / 2][8 channels][2]`, zero-padded to an even tap count.
    filter: Vec<i16>,
    /// `bias + input_offset·Σf` per channel: the taps then multiply the raw int8 inputs.
    bias: Vec<i32>,
    stage: LaneStage,
    /// Zero points, one pixel's worth: what a tap in the padding reads.
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
        // Wrapping, as the reference's int32 accumulation does.
        let folded = (0..channels)
            .map(|c| {
                let sum: i64 = (0..taps).map(|t| i64::from(filter[t * channels + c])).sum();
                (i64::from(bias[c]) + i64::from(input_offset) * sum) as i32
            })
            .collect();
        Some(Depthwise {
            channels,
            taps,
            filter: packed,
            bias: folded,
            stage: LaneStage::new(stage),
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
        if region.area() == 0 {
            return;
        }
        let ch = self.channels;
        let held = input.region;
        assert!(covers(held, w.input_region(region)) && input.data.len() >= held.area() * ch);
        assert!(covers(out.region, region) && out.channels == ch && out.data.len() >= out.region.area() * ch);
        let mut rows = [None; MAX_TAPS];
        let (interior, mut scratch) = (Self::interior(w), Taps::new());
        for oy in region.y0..region.y1 {
            for (ky, row) in rows.iter_mut().enumerate().take(w.kernel.0) {
                // SAFETY: the held region covers every tap (asserted above).
                *row = Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h)
                    .map(|iy| unsafe { input.data.as_ptr().add((iy - held.y0) * held.width() * ch) });
            }
            let at = ((oy - out.region.y0) * out.region.width() + (region.x0 - out.region.x0)) * ch;
            // SAFETY: the output view holds `region` (asserted above).
            let out_row = unsafe { out.data.as_mut_ptr().add(at) };
            // SAFETY: every row holds the held columns' pixels of `ch` int8; the output view
            // holds the row's `region.width()` pixels after `out_row`; the backend was chosen
            // by `isa()`.
            unsafe {
                self.row::<L>(w, &interior, &mut scratch, &rows, held.x0, ch, 0..ch, region.x0..region.x1, out_row, ch)
            };
        }
    }

    /// Output columns whose taps all lie inside the map horizontally (found once per call:
    /// the divisions cost small tiles a noticeable share).
    fn interior(w: &Window) -> Range<usize> {
        let (s, dx, kw) = (w.stride.1, w.dilation.1, w.kernel.1);
        w.pad_left.div_ceil(s)..(w.in_w + w.pad_left).checked_sub((kw - 1) * dx + 1).map_or(0, |last| last / s + 1)
    }

    /// Output pixels `xs` of one output row, channels `blocks` (a range of eight-channel
    /// blocks' channels): kernel row `ky` reads input row `rows[ky]` (a pointer to its pixel
    /// at column `x0`, channel `blocks.start`, pixels `stride` bytes apart), or the padding if
    /// `None`; output pixel `ox` goes to `out + (ox − xs.start)·out_stride`.
    ///
    /// # Safety
    /// Every row must hold every column a tap of `xs` reads inside the map, with the
    /// channels of `blocks`; `out` the pixels of `xs`; the backend must be available.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn row<L: Lanes>(
        &self,
        w: &Window,
        interior: &Range<usize>,
        taps: &mut Taps,
        rows: &[Option<*const i8>; MAX_TAPS],
        x0: usize,
        stride: usize,
        blocks: Range<usize>,
        xs: Range<usize>,
        out: *mut i8,
        out_stride: usize,
    ) {
        let (kh, kw) = w.kernel;
        let (s, dx) = (w.stride.1, w.dilation.1);
        let padding = self.padding.as_ptr().add(blocks.start);
        let Taps { at: pixels, step } = taps;
        // The interior pixels of `xs`: their taps are found once, then move `s` input pixels a
        // step (the padding rows' stay), which spares thin layers a pointer set-up per pixel
        // that cost as much as their arithmetic.
        let lo = xs.start.max(interior.start).min(xs.end);
        let inner = lo..xs.end.min(interior.end).max(lo);
        if !inner.is_empty() {
            let first = s * inner.start - w.pad_left - x0;
            for (ky, row) in rows.iter().enumerate().take(kh) {
                for kx in 0..kw {
                    (pixels[ky * kw + kx], step[ky * kw + kx]) = match row {
                        Some(at) => (at.add((first + kx * dx) * stride), s * stride),
                        None => (padding, 0),
                    };
                }
            }
            (pixels[self.taps], step[self.taps]) = (pixels[0], step[0]);
            for ox in inner.clone() {
                self.pixel::<L>(pixels, blocks.clone(), out.add((ox - xs.start) * out_stride));
                for (p, &d) in pixels.iter_mut().zip(step.iter()).take(self.taps + 1) {
                    *p = p.wrapping_add(d);
                }
            }
        }
        for ox in (xs.start..inner.start).chain(inner.end.max(xs.start)..xs.end) {
            for (ky, row) in rows.iter().enumerate().take(kh) {
                for kx in 0..kw {
                    let ix = Window::tap(ox, kx, s, dx, w.pad_left, w.in_w);
                    pixels[ky * kw + kx] = match (row, ix) {
                        (Some(at), Some(ix)) => at.add((ix - x0) * stride),
                        _ => padding,
                    };
                }
            }
            pixels[self.taps] = pixels[0];
            self.pixel::<L>(pixels, blocks.clone(), out.add((ox - xs.start) * out_stride));
        }
    }

    /// One output pixel, channels `blocks`, from the pixels its taps read (`pixels[t]` at
    /// channel `blocks.start`; one more after the last tap, which an odd last tap pairs with:
    /// its filter half is zero).
    ///
    /// # Safety
    /// As [`Depthwise::row`]'s, for this pixel.
    #[inline(always)]
    unsafe fn pixel<L: Lanes>(&self, pixels: &[*const i8; MAX_TAPS + 1], blocks: Range<usize>, px: *mut i8) {
        let pairs = self.taps.div_ceil(2);
        for c in blocks.clone().step_by(8) {
            let at = c - blocks.start;
            let filter = self.filter.as_ptr().add(c * pairs * 2);
            let mut acc = L::load_acc(self.bias.as_ptr().add(c));
            for k in 0..pairs {
                let x = L::zip_i8(pixels[2 * k].add(at), pixels[2 * k + 1].add(at));
                acc = L::madd(acc, x, L::load_pairs(filter.add(k * 16)));
            }
            L::requantize_store(acc, &self.stage, c, px.add(at));
        }
    }

    /// The rows of eight-channel pixels the in-place path's ring must hold for `region` of
    /// input region `held`: from the first row any later output reads to the last row
    /// gathered so far (what the row reads, and what its output overwrites); `None` if the
    /// output rows outrun the input (more output than input pixels per row).
    fn ring_rows(w: &Window, held: Region, region: Region) -> Option<usize> {
        let (ow, hw) = (region.width(), held.width());
        let tap = |oy, ky| Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
        let mut gathered = held.y0;
        let mut most = 0;
        for oy in region.y0..region.y1 {
            let first = (0..w.kernel.0).find_map(|ky| tap(oy, ky));
            let last = (0..w.kernel.0).rev().find_map(|ky| tap(oy, ky)).map_or(held.y0, |iy| iy + 1);
            let overwritten = held.y0 + ((oy - region.y0 + 1) * ow).div_ceil(hw);
            gathered = gathered.max(last).max(overwritten);
            if gathered > held.y1 {
                return None;
            }
            if let Some(first) = first {
                most = most.max(gathered - first);
            }
        }
        Some(most.max(1))
    }

    /// TinyEngine's in-place depthwise convolution: `buf` holds input region `held` and
    /// receives output `region` over it (output pixel `i`, row-major, in input pixel `i`'s
    /// slot). Block by block of eight channels, each input row's block is gathered into a
    /// ring of rows (in `temp` if it is large enough, else on the stack) before an output
    /// overwrites it or a tap reads it, and the row kernel reads the ring. Needs no more
    /// output than input pixels; `false` (nothing done) where the ring fits neither.
    pub fn in_place(
        &self,
        isa: Isa,
        w: &Window,
        buf: &mut [i8],
        held: Region,
        region: Region,
        temp: &mut [i8],
    ) -> bool {
        assert!(w.kernel.0 * w.kernel.1 == self.taps && region.area() <= held.area());
        assert!(buf.len() >= held.area() * self.channels && covers(held, w.input_region(region)));
        let Some(rows) = Self::ring_rows(w, held, region) else { return false };
        // As many channels per pass as the larger of `temp` and the stack holds rows of (the
        // stack's left uninitialised: every ring row is written before it is read).
        let mut stack = [MaybeUninit::<i8>::uninit(); STACK_RING];
        let (ring, capacity) = if temp.len() > STACK_RING {
            (temp.as_mut_ptr(), temp.len())
        } else {
            (stack.as_mut_ptr().cast(), STACK_RING)
        };
        let group = (capacity / (rows * held.width() * 8) * 8).min(self.channels);
        if group == 0 {
            return false;
        }
        let passes = Passes { held, region, rows, group };
        match isa {
            // SAFETY: checked above; the ring holds every row a tap reads (`ring_rows`).
            Isa::Portable => unsafe { self.in_place_with::<Portable>(w, buf, ring, &passes) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; `isa()` found AVX2.
            Isa::Avx2 => unsafe { self.in_place_avx2(w, buf, ring, &passes) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: as above; compiled with simd128.
            Isa::Simd128 => unsafe { self.in_place_with::<super::wasm::Simd128>(w, buf, ring, &passes) },
        }
        true
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn in_place_avx2(&self, w: &Window, buf: &mut [i8], ring: *mut i8, passes: &Passes) {
        self.in_place_with::<super::avx2::Avx2>(w, buf, ring, passes)
    }

    /// The in-place passes through `ring`, which holds `passes.rows` rows of
    /// `passes.group`-channel pixels.
    #[inline(always)]
    unsafe fn in_place_with<L: Lanes>(&self, w: &Window, buf: &mut [i8], ring: *mut i8, passes: &Passes) {
        let &Passes { held, region, rows, group } = passes;
        let (ch, hw, ow) = (self.channels, held.width(), region.width());
        let base = buf.as_mut_ptr();
        let tap = |oy, ky| Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
        let mut taps = [None; MAX_TAPS];
        let (interior, mut scratch) = (Self::interior(w), Taps::new());
        for c in (0..ch).step_by(group) {
            let n = group.min(ch - c);
            let slot = |iy: usize| ring.add((iy - held.y0) % rows * hw * n);
            let mut gathered = held.y0;
            for oy in region.y0..region.y1 {
                let last = (0..w.kernel.0).rev().find_map(|ky| tap(oy, ky)).map_or(held.y0, |iy| iy + 1);
                let overwritten = held.y0 + ((oy - region.y0 + 1) * ow).div_ceil(hw);
                while gathered < last.max(overwritten) {
                    let from = base.add((gathered - held.y0) * hw * ch + c);
                    if n == ch {
                        std::ptr::copy_nonoverlapping(from, slot(gathered), hw * ch);
                    } else {
                        for x in 0..hw {
                            std::ptr::copy_nonoverlapping(from.add(x * ch), slot(gathered).add(x * n), n);
                        }
                    }
                    gathered += 1;
                }
                for (ky, t) in taps.iter_mut().enumerate().take(w.kernel.0) {
                    *t = tap(oy, ky).map(|iy| slot(iy).cast_const());
                }
                let out = base.add((oy - region.y0) * ow * ch + c);
                self.row::<L>(w, &interior, &mut scratch, &taps, held.x0, n, c..c + n, region.x0..region.x1, out, ch);
            }
        }
    }
}
