//! DEPTHWISE_CONV_2D with a depth multiplier of 1 and a multiple of eight channels, eight
//! channels at a time: the kernel taps are taken in pairs, each pair's two input pixels
//! interleaved against the pair's two filter taps, the input offset folded into the bias (as
//! in the matrix product). A tap in the padding reads a pixel of zero points, which
//! contributes nothing, as the reference's skipped tap does.

use super::{covers, isa, Isa, LaneStage, Lanes, Portable};
use crate::geometry::{Fmap, FmapMut, Region, Window};
use crate::kernels::OutputStage;

/// Most kernel taps (`kh·kw`) the fast path takes.
pub const MAX_TAPS: usize = 64;
/// Output pixels of a row the in-place path computes per chunk.
const CHUNK: usize = 64;
/// Most kernel rows the in-place path takes (their chunk copies live on the stack).
const MAX_ROWS: usize = 16;
/// Bytes of a chunk's input row: two columns a pixel at stride 2, plus the kernel's reach.
const ROW: usize = 2 * CHUNK + 64;
/// Bytes of the stack the in-place path uses: a padded plane, or `MAX_ROWS` chunk rows.
const PLANE: usize = 8192;
const _: () = assert!(ROW * MAX_ROWS <= PLANE);
/// Zero points past a padded plane's last row, where the last lanes of a line read.
const SLACK: usize = 32;

/// The input plane an in-place output region reads, padded with zero points: rows and
/// columns from the first tap of the region's first pixel to the last tap of its last.
struct Padded {
    region: Region,
    /// Global row and column of the plane's first byte (negative in the padding).
    y0: isize,
    x0: isize,
    rows: usize,
    width: usize,
}

impl Padded {
    fn new(w: &Window, region: Region) -> Option<Padded> {
        if region.area() == 0 {
            return None;
        }
        let span = |o0: usize, o1: usize, s: usize, k: usize, d: usize, pad: usize| {
            let first = (s * o0) as isize - pad as isize;
            (first, s * (o1 - 1 - o0) + (k - 1) * d + 1)
        };
        let (y0, rows) = span(region.y0, region.y1, w.stride.0, w.kernel.0, w.dilation.0, w.pad_top);
        let (x0, width) = span(region.x0, region.x1, w.stride.1, w.kernel.1, w.dilation.1, w.pad_left);
        Some(Padded { region, y0, x0, rows, width })
    }

    fn bytes(&self) -> usize {
        self.rows * self.width + SLACK
    }

    /// Writes the plane from `plane` (one channel of input region `held`), zero points
    /// wherever `held` does not reach (the padding, and bytes only dropped lanes read).
    fn fill(&self, plane: &[i8], held: Region, zero_point: i8, stack: &mut [i8; PLANE]) {
        let (hx0, hx1) = (held.x0 as isize - self.x0, held.x1 as isize - self.x0);
        let (lo, hi) = (hx0.clamp(0, self.width as isize) as usize, hx1.clamp(0, self.width as isize) as usize);
        for (r, row) in stack.chunks_exact_mut(self.width).take(self.rows).enumerate() {
            let y = self.y0 + r as isize;
            if y >= held.y0 as isize && y < held.y1 as isize && lo < hi {
                let from = (y as usize - held.y0) * held.width() + (self.x0 + lo as isize) as usize - held.x0;
                row[..lo].fill(zero_point);
                row[lo..hi].copy_from_slice(&plane[from..from + hi - lo]);
                row[hi..].fill(zero_point);
            } else {
                row.fill(zero_point);
            }
        }
        stack[self.rows * self.width..self.bytes()].fill(zero_point);
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
    /// Each channel's parameters repeated in eight lanes, for eight pixels of one channel.
    channel_stage: LaneStage,
    zero_point: i8,
    /// Zero points, one pixel's and one chunk row's worth: what a tap in the padding reads.
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
            channel_stage: LaneStage::new(&OutputStage {
                requant: stage.requant.iter().flat_map(|&r| [r; 8]).collect(),
                ..stage.clone()
            }),
            zero_point: (-input_offset) as i8,
            padding: vec![(-input_offset) as i8; channels.max(ROW)],
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
        let (kh, kw) = w.kernel;
        let (s, dx) = (w.stride.1, w.dilation.1);
        let ch = self.channels;
        let held = input.region;
        assert!(covers(held, w.input_region(region)) && input.data.len() >= held.area() * ch);
        // Output columns whose taps all lie inside the map horizontally.
        let interior =
            w.pad_left.div_ceil(s)..(w.in_w + w.pad_left).checked_sub((kw - 1) * dx + 1).map_or(0, |last| last / s + 1);
        let pairs = self.taps.div_ceil(2);
        let mut pixels = [self.padding.as_ptr(); MAX_TAPS + 1];
        // Each kernel row's input row (its pixel at column `held.x0`), or none in the padding.
        let mut rows = [None; MAX_TAPS];
        for oy in region.y0..region.y1 {
            for (ky, row) in rows.iter_mut().enumerate().take(kh) {
                *row = Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h)
                    .map(|iy| (iy - held.y0) * held.width() * ch);
            }
            for ox in region.x0..region.x1 {
                if interior.contains(&ox) {
                    let x0 = s * ox - w.pad_left - held.x0;
                    for (ky, row) in rows.iter().enumerate().take(kh) {
                        for kx in 0..kw {
                            // SAFETY: the held region covers every tap (asserted above).
                            pixels[ky * kw + kx] = match row {
                                Some(at) => unsafe { input.data.as_ptr().add(at + (x0 + kx * dx) * ch) },
                                None => self.padding.as_ptr(),
                            };
                        }
                    }
                } else {
                    for (ky, row) in rows.iter().enumerate().take(kh) {
                        for kx in 0..kw {
                            let ix = Window::tap(ox, kx, s, dx, w.pad_left, w.in_w);
                            pixels[ky * kw + kx] = match (row, ix) {
                                // SAFETY: as above.
                                (Some(at), Some(ix)) => unsafe { input.data.as_ptr().add(at + (ix - held.x0) * ch) },
                                _ => self.padding.as_ptr(),
                            };
                        }
                    }
                }
                // An odd last tap pairs with any pixel: its filter half is zero.
                pixels[self.taps] = pixels[0];
                let px = out.pixel_mut(oy, ox);
                for c in (0..ch).step_by(8) {
                    // SAFETY: every pointer is a whole pixel of `channels` int8 and
                    // `c + 8 <= channels`; the filter holds `pairs` pairs per block; `px`
                    // has `channels` int8; the backend was chosen by `isa()`.
                    unsafe {
                        let filter = self.filter.as_ptr().add(c * pairs * 2);
                        let mut acc = L::load_acc(self.bias.as_ptr().add(c));
                        for k in 0..pairs {
                            let x = L::zip_i8(pixels[2 * k].add(c), pixels[2 * k + 1].add(c));
                            acc = L::madd(acc, x, L::load_pairs(filter.add(k * 16)));
                        }
                        L::requantize_store(acc, &self.stage, c, px.as_mut_ptr().add(c));
                    }
                }
            }
        }
    }

    /// Whether [`Depthwise::in_place`] takes this window.
    pub fn takes_in_place(&self, w: &Window) -> bool {
        w.stride.1 <= 2 && w.kernel.0 <= MAX_ROWS && (w.kernel.1 - 1) * w.dilation.1 <= ROW - 2 * CHUNK
    }

    /// TinyEngine's in-place depthwise convolution: `buf` holds input region `held` and
    /// receives output `region` over it, channel by channel. Each channel goes to `temp` (one
    /// plane of `held`), then its output pixels, eight at a time, land in slots whose channel
    /// was already copied. Each output row is done in chunks of up to `CHUNK` pixels; a
    /// chunk's input row is read in place, or, where the chunk hangs over the padding or the
    /// plane's end, from a copy on the stack padded with zero points. Needs
    /// [`Depthwise::takes_in_place`], no more output than input pixels and a `temp` of
    /// `held.area()` bytes.
    pub fn in_place(&self, isa: Isa, w: &Window, buf: &mut [i8], held: Region, region: Region, temp: &mut [i8]) {
        self.in_place_within(isa, w, buf, held, region, temp, PLANE)
    }

    /// [`Depthwise::in_place`], padding whole planes only up to `plane` bytes (the tests
    /// take both paths with 0).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn in_place_within(
        &self,
        isa: Isa,
        w: &Window,
        buf: &mut [i8],
        held: Region,
        region: Region,
        temp: &mut [i8],
        plane: usize,
    ) {
        let c = self.channels;
        assert!(self.takes_in_place(w) && w.kernel.0 * w.kernel.1 == self.taps);
        assert!(region.area() <= held.area() && buf.len() >= held.area() * c && temp.len() >= held.area());
        let padded = Padded::new(w, region).filter(|p| p.bytes() <= plane.min(PLANE));
        match isa {
            // SAFETY: checked above; every read the chunks make is bounded in `channel`
            // and `channel_padded`.
            Isa::Portable => unsafe { self.in_place_with::<Portable>(w, buf, held, region, temp, padded) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; `isa()` found AVX2.
            Isa::Avx2 => unsafe { self.in_place_avx2(w, buf, held, region, temp, padded) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: as above; compiled with simd128.
            Isa::Simd128 => unsafe { self.in_place_with::<super::wasm::Simd128>(w, buf, held, region, temp, padded) },
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn in_place_avx2(
        &self,
        w: &Window,
        buf: &mut [i8],
        held: Region,
        region: Region,
        temp: &mut [i8],
        padded: Option<Padded>,
    ) {
        self.in_place_with::<super::avx2::Avx2>(w, buf, held, region, temp, padded)
    }

    #[inline(always)]
    unsafe fn in_place_with<L: Lanes>(
        &self,
        w: &Window,
        buf: &mut [i8],
        held: Region,
        region: Region,
        temp: &mut [i8],
        padded: Option<Padded>,
    ) {
        let channels = self.channels;
        let plane = &mut temp[..held.area()];
        let mut stack = [0i8; PLANE];
        for c in 0..channels {
            let src = buf.as_ptr().add(c);
            for (i, t) in plane.iter_mut().enumerate() {
                *t = *src.add(i * channels);
            }
            match &padded {
                Some(p) => {
                    p.fill(plane, held, self.zero_point, &mut stack);
                    self.channel_padded::<L>(w, p, &stack, c, buf);
                }
                None => self.channel::<L>(w, plane, held, c, region, buf, &mut stack),
            }
        }
    }

    /// Channel `c` of `p`'s output region from `p`'s padded plane in `stack`: output pixel
    /// `i` (row-major) goes to `out[c + i·channels]`. At stride 1 the rows run as one line
    /// (the pixels between two rows are computed and dropped), so short rows fill the lanes.
    #[inline(always)]
    unsafe fn channel_padded<L: Lanes>(&self, w: &Window, p: &Padded, stack: &[i8; PLANE], c: usize, out: &mut [i8]) {
        let (kh, kw) = w.kernel;
        let (sy, sx) = w.stride;
        let pairs = self.taps.div_ceil(2);
        let bias = [self.bias[c]; 8];
        let filter = self.filter.as_ptr().add(((c / 8 * pairs) * 8 + c % 8) * 2);
        let (oh, ow, width) = (p.region.height(), p.region.width(), p.width);
        let mut taps = [stack.as_ptr(); MAX_TAPS + 1];
        for ky in 0..kh {
            for kx in 0..kw {
                taps[ky * kw + kx] = stack.as_ptr().add(ky * w.dilation.0 * width + kx * w.dilation.1);
            }
        }
        taps[self.taps] = taps[0];
        // Lines: one of `(oh − 1)·width + ow` pixels at stride 1, else one per output row.
        let (lines, line_len, line_step) =
            if sy == 1 && sx == 1 { (1, (oh - 1) * width + ow, 0) } else { (oh, ow, sy * width) };
        let mut lanes = [0i8; 8];
        let (mut y, mut x) = (0, 0);
        assert!(c + (oh * ow).saturating_sub(1) * self.channels < out.len());
        for line in 0..lines {
            let runs = line_len.div_ceil(8);
            // The furthest byte this line reads stays inside the stack plane.
            assert!(
                line * line_step + (taps[self.taps - 1].offset_from(stack.as_ptr()) as usize) + 8 * sx * runs <= PLANE
            );
            for r in 0..runs {
                let at = line * line_step + 8 * sx * r;
                let mut acc = L::load_acc(bias.as_ptr());
                for k in 0..pairs {
                    let (a, b) = (taps[2 * k].add(at), taps[2 * k + 1].add(at));
                    let v = if sx == 1 { L::zip_i8(a, b) } else { L::zip_i8_even(a, b) };
                    acc = L::madd(acc, v, L::splat_pair(filter.add(k * 16)));
                }
                L::requantize_store(acc, &self.channel_stage, 8 * c, lanes.as_mut_ptr());
                for &v in lanes.iter().take(line_len - 8 * r) {
                    if x < ow {
                        *out.get_unchecked_mut(c + (y * ow + x) * self.channels) = v;
                    }
                    x += 1;
                    if x == if lines == 1 { width } else { ow } {
                        (y, x) = (y + 1, 0);
                    }
                }
            }
        }
    }

    /// Channel `c` of output `region` from `plane` (that channel of input region `held`):
    /// output pixel `i` (row-major) goes to `out[c + i·channels]`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn channel<L: Lanes>(
        &self,
        w: &Window,
        plane: &[i8],
        held: Region,
        c: usize,
        region: Region,
        out: &mut [i8],
        rows: &mut [i8; PLANE],
    ) {
        let (kh, kw) = w.kernel;
        let (s, dx) = (w.stride.1, w.dilation.1);
        let pairs = self.taps.div_ceil(2);
        let bias = [self.bias[c]; 8];
        let filter = self.filter.as_ptr().add(((c / 8 * pairs) * 8 + c % 8) * 2);
        let zero_point = self.zero_point;
        let hw = held.width() as isize;
        let mut taps = [self.padding.as_ptr(); MAX_TAPS + 1];
        let mut lanes = [0i8; 8];
        let mut slot = c;
        for oy in region.y0..region.y1 {
            let mut ox = region.x0;
            while ox < region.x1 {
                let n = CHUNK.min(region.x1 - ox);
                let runs = n.div_ceil(8);
                // The chunk reads input columns `first ..` of each row: `real` of them for its
                // pixels, `reach` with the lanes of a last partial run.
                let first = (s * ox) as isize - w.pad_left as isize;
                let real = (s * (n - 1) + (kw - 1) * dx + 1) as isize;
                let reach = (kw - 1) * dx + 8 * s * runs;
                for ky in 0..kh {
                    let row = match Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h) {
                        None => self.padding.as_ptr(),
                        Some(iy) => {
                            assert!(iy >= held.y0 && iy < held.y1, "the held region covers every tap");
                            let start = (iy - held.y0) as isize * hw;
                            let (lo, hi) = (first - held.x0 as isize, first + real - held.x0 as isize);
                            if lo >= 0 && hi <= hw && start + lo + reach as isize <= plane.len() as isize {
                                plane.as_ptr().offset(start + lo)
                            } else {
                                let copy = &mut rows[ky * ROW..][..reach];
                                for (j, v) in copy.iter_mut().enumerate() {
                                    let x = lo + j as isize;
                                    *v = if (0..hw).contains(&x) { plane[(start + x) as usize] } else { zero_point };
                                }
                                copy.as_ptr()
                            }
                        }
                    };
                    for kx in 0..kw {
                        taps[ky * kw + kx] = row.add(kx * dx);
                    }
                }
                // An odd last tap pairs with any pixel: its filter half is zero.
                taps[self.taps] = taps[0];
                assert!(slot + (n - 1) * self.channels < out.len());
                for r in 0..runs {
                    let mut acc = L::load_acc(bias.as_ptr());
                    for k in 0..pairs {
                        let (a, b) = (taps[2 * k].add(8 * s * r), taps[2 * k + 1].add(8 * s * r));
                        let x = if s == 1 { L::zip_i8(a, b) } else { L::zip_i8_even(a, b) };
                        acc = L::madd(acc, x, L::splat_pair(filter.add(k * 16)));
                    }
                    L::requantize_store(acc, &self.channel_stage, 8 * c, lanes.as_mut_ptr());
                    for (i, &v) in lanes.iter().enumerate().take(n - 8 * r) {
                        *out.get_unchecked_mut(slot + (8 * r + i) * self.channels) = v;
                    }
                }
                slot += n * self.channels;
                ox += n;
            }
        }
    }
}
