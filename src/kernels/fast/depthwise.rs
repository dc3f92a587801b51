//! DEPTHWISE_CONV_2D with a depth multiplier of 1 and a multiple of eight channels, eight
//! channels at a time, from a ring of *pair rows*: each input row a tap reads is widened
//! once into pairs, column `j` holding every channel of pixel `j` interleaved with the same
//! channel of the pixel one dilation to its right. Kernel taps `(ky, 2p)` and `(ky, 2p + 1)`
//! of an output pixel are then one pair of that row — one `madd` against the two taps'
//! filter values, with no per-tap gathering — and every output row (and, at stride 1, every
//! output pixel) that reads the row shares the widening. An odd last tap of a kernel row
//! pairs with a zero filter value. The input offset is folded into the bias (as in the
//! matrix product); columns and rows in the padding hold zero points, which contribute
//! nothing, as the reference's skipped taps do.
//!
//! In place (TinyEngine's order, where the output lands over its own input), the ring is
//! also filled with every input row an output row is about to overwrite before it is
//! written, so the outputs read only the ring.
//!
//! Out of place on AVX-512 VNNI, a region whose taps span two or more input rows an output
//! row (one-row steps, stride 2) skips the ring (module `direct`, below).

use super::{covers, isa, Isa, LaneStage, Lanes, Portable};
use crate::geometry::{Fmap, FmapMut, Region, Window};
use crate::quant::OutputStage;
use std::mem::MaybeUninit;
use std::ops::Range;

/// Most kernel taps (`kh·kw`) the fast path takes.
pub const MAX_TAPS: usize = 64;
/// int16 the ring of pair rows may hold on the stack (32 KiB).
const STACK_RING: usize = 16384;

#[derive(Debug, Clone)]
pub struct Depthwise {
    channels: usize,
    /// `(kh, kw)`
    kernel: (usize, usize),
    /// `[channels / 8][kh][kw / 2 rounded up][8 channels][2]`: a kernel row's taps in pairs,
    /// an odd last tap paired with a zero.
    filter: Vec<i16>,
    /// The same for sixteen channels a block (the whole blocks of sixteen), where this
    /// machine has AVX-512.
    #[cfg(target_arch = "x86_64")]
    filter16: Option<Vec<i16>>,
    /// `[kh·kw][channels]`, each weight `f` as the int16 pair `(f, 0)`: the filter of
    /// [`Depthwise::direct`], where this machine has AVX-512 VNNI.
    #[cfg(target_arch = "x86_64")]
    direct: Option<Vec<i32>>,
    /// `bias + input_offset·Σf` per channel: the taps then multiply the raw int8 inputs.
    bias: Vec<i32>,
    stage: LaneStage,
    /// Zero points, one pixel's worth: what the padding holds.
    padding: Vec<i8>,
}

/// Where a pass reads its input: region `held`, its first pixel's channel 0 at `at`, pixels
/// `stride` int8 apart.
#[derive(Clone, Copy)]
struct Source {
    at: *const i8,
    held: Region,
    stride: usize,
}

/// Where a pass writes: output pixel `(y, x)` at `at + ((y − y0)·width + x − x0)·stride`.
#[derive(Clone, Copy)]
struct Sink {
    at: *mut i8,
    y0: usize,
    x0: usize,
    width: usize,
    stride: usize,
}

impl Sink {
    #[inline(always)]
    unsafe fn pixel(&self, y: usize, x: usize) -> *mut i8 {
        self.at.add(((y - self.y0) * self.width + x - self.x0) * self.stride)
    }
}

/// A ring of `rows` pair rows (and one more, all padding) of `cols` columns of `n` channels.
#[derive(Clone, Copy)]
struct Ring {
    at: *mut i16,
    rows: usize,
    cols: usize,
    n: usize,
}

impl Ring {
    #[inline(always)]
    unsafe fn slot(&self, i: usize) -> *mut i16 {
        self.at.add(i * self.cols * self.n * 2)
    }
}

/// One call's passes: output rows `ys`, columns `xs`, from `source` to `sink` through
/// `ring` (whose `n` is the channels a pass), in place over `in_place`'s input if given.
struct Job {
    source: Source,
    ring: Ring,
    ys: Range<usize>,
    xs: Range<usize>,
    sink: Sink,
    in_place: Option<Region>,
}

impl Depthwise {
    /// `filter` is `[kh][kw][channels]`; `None` unless the shape suits the fast path.
    pub fn new(
        filter: &[i8],
        bias: &[i32],
        (kh, kw): (usize, usize),
        channels: usize,
        input_offset: i32,
        stage: &OutputStage,
    ) -> Option<Depthwise> {
        let taps = kh * kw;
        if channels == 0 || !channels.is_multiple_of(8) || taps == 0 || taps > MAX_TAPS {
            return None;
        }
        let pairs = kw.div_ceil(2);
        let pack = |lanes: usize| {
            let mut packed = vec![0i16; channels / lanes * lanes * kh * pairs * 2];
            for ky in 0..kh {
                for kx in 0..kw {
                    for c in 0..channels / lanes * lanes {
                        let at = (((c / lanes * kh + ky) * pairs + kx / 2) * lanes + c % lanes) * 2 + kx % 2;
                        packed[at] = i16::from(filter[(ky * kw + kx) * channels + c]);
                    }
                }
            }
            packed
        };
        // Wrapping, as the reference's int32 accumulation does.
        let folded = (0..channels)
            .map(|c| {
                let sum: i64 = (0..taps).map(|t| i64::from(filter[t * channels + c])).sum();
                (i64::from(bias[c]) + i64::from(input_offset) * sum) as i32
            })
            .collect();
        Some(Depthwise {
            channels,
            kernel: (kh, kw),
            filter: pack(8),
            #[cfg(target_arch = "x86_64")]
            filter16: super::avx512::detected().then(|| pack(16)),
            #[cfg(target_arch = "x86_64")]
            direct: super::avx512::detected().then(|| filter.iter().map(|&f| i32::from(f as i16 as u16)).collect()),
            bias: folded,
            stage: LaneStage::new(stage),
            padding: vec![(-input_offset) as i8; channels],
        })
    }

    /// Computes `region` of the output: `out` must hold `region` and `input` the region the
    /// window reads. `false` (nothing done) where not even one output pixel's pair rows fit
    /// the ring (very tall, dilated kernels).
    pub fn eval(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) -> bool {
        self.eval_on(isa(), window, input, out, region)
    }

    /// [`Depthwise::eval`] on instruction set `isa`, which must be available.
    pub fn eval_on(&self, isa: Isa, w: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) -> bool {
        let ch = self.channels;
        assert!(w.kernel == self.kernel && input.channels == ch);
        if region.area() == 0 {
            return true;
        }
        let held = input.region;
        assert!(covers(held, w.input_region(region)) && input.data.len() >= held.area() * ch);
        assert!(covers(out.region, region) && out.channels == ch && out.data.len() >= out.region.area() * ch);
        let source = Source { at: input.data.as_ptr(), held, stride: ch };
        let sink = Sink {
            at: out.data.as_mut_ptr(),
            y0: out.region.y0,
            x0: out.region.x0,
            width: out.region.width(),
            stride: ch,
        };
        #[cfg(target_arch = "x86_64")]
        if let (Isa::Avx512Vnni, Some(filter)) = (isa, &self.direct) {
            // The input rows the region's taps span, which the ring widens once each: where
            // that is two or more an output row, computing straight from them is faster.
            let span = (region.height() - 1) * w.stride.0 + (w.kernel.0 - 1) * w.dilation.0 + 1;
            if span >= 2 * region.height() {
                // SAFETY: the views hold what the window reads and the region (asserted
                // above); the backend is `isa`, available.
                unsafe { self.direct(filter, w, source, sink, region) };
                return true;
            }
        }
        let Some(rows) = self.ring_rows(w, held, region, false) else { return false };
        let mut stack = [MaybeUninit::<i16>::uninit(); STACK_RING];
        // As many channels a pass as the ring holds whole rows of; else eight, and as many
        // output columns a pass as fit.
        let whole = self.cols(w, region.width());
        let (n, width) = if (rows + 1) * whole * 16 <= STACK_RING {
            ((STACK_RING / ((rows + 1) * whole * 2) / 8 * 8).min(ch), region.width())
        } else {
            let cols = STACK_RING / ((rows + 1) * 16);
            let Some(more) = cols.checked_sub(self.cols(w, 1)) else { return false };
            (8, more / w.stride.1 + 1)
        };
        for x0 in (region.x0..region.x1).step_by(width) {
            let xs = x0..(x0 + width).min(region.x1);
            let ring = Ring { at: stack.as_mut_ptr().cast(), rows, cols: self.cols(w, xs.len()), n };
            // SAFETY: the views hold what the window reads and the region (asserted above);
            // the ring's rows fit the stack; the backend is `isa`, available.
            unsafe { self.passes(isa, w, &Job { source, ring, ys: region.y0..region.y1, xs, sink, in_place: None }) };
        }
        true
    }

    /// Ring columns output pixels `width` wide read: where each pair of a kernel row starts.
    fn cols(&self, w: &Window, width: usize) -> usize {
        (width - 1) * w.stride.1 + 2 * (self.kernel.1.div_ceil(2) - 1) * w.dilation.1 + 1
    }

    /// The pair rows the ring must hold for `region` of input region `held`: from the
    /// first row any later output reads to the last row built so far (what the row reads
    /// and, `in_place`, what its output overwrites); `None` if the output rows outrun the
    /// input (more output than input pixels per row, in place).
    fn ring_rows(&self, w: &Window, held: Region, region: Region, in_place: bool) -> Option<usize> {
        let mut built = held.y0;
        let mut most = 0;
        for oy in region.y0..region.y1 {
            let (first, last) = Self::tap_rows(w, oy, held);
            let overwritten = if in_place { Self::overwritten(held, region, oy) } else { held.y0 };
            built = built.max(last).max(overwritten);
            if built > held.y1 {
                return None;
            }
            if let Some(first) = first {
                most = most.max(built - first);
            }
        }
        Some(most.max(1))
    }

    /// The first input row output row `oy`'s taps read, if any, and one past the last (or
    /// `held.y0` if none).
    fn tap_rows(w: &Window, oy: usize, held: Region) -> (Option<usize>, usize) {
        let tap = |ky| Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
        let first = (0..w.kernel.0).find_map(tap);
        let last = (0..w.kernel.0).rev().find_map(tap).map_or(held.y0, |iy| iy + 1);
        (first, last)
    }

    /// In place, the input rows of `held` that output rows up to `oy` of `region` overwrite
    /// (output pixel `i` lands in input pixel `i`'s slot): one past the last.
    fn overwritten(held: Region, region: Region, oy: usize) -> usize {
        held.y0 + ((oy - region.y0 + 1) * region.width()).div_ceil(held.width())
    }

    /// TinyEngine's in-place depthwise convolution: `buf` holds input region `held` and
    /// receives output `region` over it (output pixel `i`, row-major, in input pixel `i`'s
    /// slot), a group of channels a pass, through a ring of pair rows (in `temp` if it is
    /// larger than the stack's). Needs no more output than input pixels; `false` (nothing
    /// done) where not even eight channels' rows fit the ring.
    pub fn in_place(
        &self,
        isa: Isa,
        w: &Window,
        buf: &mut [i8],
        held: Region,
        region: Region,
        temp: &mut [i8],
    ) -> bool {
        assert!(w.kernel == self.kernel && region.area() <= held.area());
        assert!(buf.len() >= held.area() * self.channels && covers(held, w.input_region(region)));
        if region.area() == 0 {
            return true;
        }
        let Some(rows) = self.ring_rows(w, held, region, true) else { return false };
        let mut stack = [MaybeUninit::<i16>::uninit(); STACK_RING];
        // The ring in `temp` where that holds more (from its first int16-aligned byte).
        let skip = temp.as_ptr().align_offset(2).min(temp.len());
        let (ring, capacity) = match (temp.len() - skip) / 2 {
            larger if larger > STACK_RING => (temp[skip..].as_mut_ptr().cast(), larger),
            _ => (stack.as_mut_ptr().cast(), STACK_RING),
        };
        let cols = self.cols(w, region.width());
        let n = (capacity / ((rows + 1) * cols * 2) / 8 * 8).min(self.channels);
        if n == 0 {
            return false;
        }
        let ch = self.channels;
        // One pointer for both: the writes go through the same provenance as the reads.
        let at = buf.as_mut_ptr();
        let source = Source { at: at.cast_const(), held, stride: ch };
        let sink = Sink { at, y0: region.y0, x0: region.x0, width: region.width(), stride: ch };
        let ring = Ring { at: ring, rows, cols, n };
        let (ys, xs) = (region.y0..region.y1, region.x0..region.x1);
        // SAFETY: `buf` holds `held`, which covers what the window reads, and the region's
        // pixels (no more than `held`'s); the ring's rows fit it; every input row is in the
        // ring before its slots are overwritten (`ring_rows`); the backend is `isa`.
        unsafe { self.passes(isa, w, &Job { source, ring, ys, xs, sink, in_place: Some(region) }) };
        true
    }

    /// [`Depthwise::pass`] for each group of `job.ring.n` channels (the last takes the rest),
    /// on instruction set `isa`.
    ///
    /// # Safety
    /// As [`Depthwise::pass`]'s; `isa` must be available.
    unsafe fn passes(&self, isa: Isa, w: &Window, job: &Job) {
        for c in (0..self.channels).step_by(job.ring.n) {
            let n = job.ring.n.min(self.channels - c);
            match isa {
                Isa::Portable => self.pass::<Portable, false>(w, job, c, n),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => self.pass_avx2(w, job, c, n),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512Vnni => self.pass_avx512(w, job, c, n),
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                Isa::Simd128 => self.pass::<super::wasm::Simd128, false>(w, job, c, n),
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_avx2(&self, w: &Window, job: &Job, c: usize, n: usize) {
        self.pass::<super::avx2::Avx2, false>(w, job, c, n)
    }

    /// [`Depthwise::pass`] with the output rows sixteen channels at a time (the ring is
    /// built on AVX2, as it is eight channels at a time).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl")]
    unsafe fn pass_avx512(&self, w: &Window, job: &Job, c: usize, n: usize) {
        self.pass::<super::avx2::Avx2, true>(w, job, c, n)
    }

    /// Channels `c..c + n` of `job`'s output rows and columns: each input row is built into
    /// the ring once, before the first output row that reads it (or, in place, overwrites
    /// it); then the row's outputs read the ring.
    ///
    /// # Safety
    /// `job.source` must hold every input pixel the window reads for the rows and columns,
    /// with the channels; `job.sink` every output pixel; the ring `ring.rows + 1` rows of
    /// `ring.cols ≥ self.cols(xs.len())` columns of `n` channels, and `ring.rows` at least
    /// [`Depthwise::ring_rows`]; the backend must be available.
    #[inline(always)]
    unsafe fn pass<L: Lanes, const WIDE: bool>(&self, w: &Window, job: &Job, c: usize, n: usize) {
        let Job { source, ring, ys, xs, sink, in_place } = job;
        let (source, sink, in_place, ys, xs) = (*source, *sink, *in_place, ys.clone(), xs.clone());
        let ring = Ring { n, ..*ring };
        let kh = self.kernel.0;
        let pairs = self.kernel.1.div_ceil(2);
        let held = source.held;
        // Ring column 0 is input column `xs.start·stride − pad_left`, possibly in the padding.
        let first_col = (xs.start * w.stride.1) as isize - w.pad_left as isize;
        let padding = self.padding.as_ptr().add(c);
        // The input pixel at row `iy`, column `ix` (channel `c`), or the padding's outside
        // `held` (only where the value is multiplied by zero, or is the padding).
        let pixel = |iy: usize, ix: isize| match usize::try_from(ix) {
            Ok(ix) if (held.x0..held.x1).contains(&ix) => {
                source.at.add(((iy - held.y0) * held.width() + ix - held.x0) * source.stride + c)
            }
            _ => padding,
        };
        // Pixels read ring columns `i·stride + 2p·dilation`: multiples of their greatest
        // common divisor, so at stride 2 only every other column is built.
        let every = gcd(w.stride.1, 2 * w.dilation.1);
        let build = |slot: *mut i16, row: Option<usize>| {
            for j in (0..ring.cols).step_by(every) {
                let ix = first_col + j as isize;
                let (a, b) = match row {
                    Some(iy) => (pixel(iy, ix), pixel(iy, ix + w.dilation.1 as isize)),
                    None => (padding, padding),
                };
                for b8 in (0..n).step_by(8) {
                    L::store_pairs(slot.add((j * n + b8) * 2), L::zip_i8(a.add(b8), b.add(b8)));
                }
            }
        };
        // The padding's row, built the first time a kernel row lies in the padding.
        let (pad_row, mut pad_built) = (ring.slot(ring.rows), false);
        let mut rows = [pad_row.cast_const(); MAX_TAPS];
        // Every row from the first the rows read, in order (not from the first `held` holds,
        // which in a patch may start well above): with a dilation, consecutive output rows
        // may read rows of alternate parity, so no row after it is skipped.
        let reads = w.input_region(Region { y0: ys.start, y1: ys.end, x0: xs.start, x1: xs.end });
        let mut built = reads.y0.max(held.y0);
        for oy in ys {
            let (_, last) = Self::tap_rows(w, oy, held);
            let overwritten = in_place.map_or(held.y0, |region| Self::overwritten(held, region, oy));
            while built < last.max(overwritten) {
                build(ring.slot((built - held.y0) % ring.rows), Some(built));
                built += 1;
            }
            for (ky, row) in rows.iter_mut().enumerate().take(kh) {
                *row = match Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h) {
                    Some(iy) => ring.slot((iy - held.y0) % ring.rows),
                    None if pad_built => pad_row,
                    None => {
                        build(pad_row, None);
                        pad_built = true;
                        pad_row
                    }
                };
            }
            // Constant kernel shapes let the taps' loops unroll, their filters stay in registers.
            // (No closure: it would not inherit the caller's instruction sets.)
            match (kh, pairs) {
                (3, 2) => {
                    let from = self.output_row_wide::<WIDE>(w, 3, 2, &rows, c, n, oy, xs.clone(), sink);
                    self.output_row::<L>(w, 3, 2, &rows, c, from..n, n, oy, xs.clone(), sink)
                }
                (5, 3) => {
                    let from = self.output_row_wide::<WIDE>(w, 5, 3, &rows, c, n, oy, xs.clone(), sink);
                    self.output_row::<L>(w, 5, 3, &rows, c, from..n, n, oy, xs.clone(), sink)
                }
                _ => {
                    let from = self.output_row_wide::<WIDE>(w, kh, pairs, &rows, c, n, oy, xs.clone(), sink);
                    self.output_row::<L>(w, kh, pairs, &rows, c, from..n, n, oy, xs.clone(), sink)
                }
            }
        }
    }

    /// Channels `c + blocks` of output row `oy` (of the `c..c + n` the ring holds), columns
    /// `xs`, from the pair rows its kernel rows read (`kh` rows of `pairs` pairs).
    ///
    /// # Safety
    /// As [`Depthwise::pass`]'s, with `rows` the row's pair rows.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn output_row<L: Lanes>(
        &self,
        w: &Window,
        kh: usize,
        pairs: usize,
        rows: &[*const i16; MAX_TAPS],
        c: usize,
        blocks: Range<usize>,
        n: usize,
        oy: usize,
        xs: Range<usize>,
        sink: Sink,
    ) {
        // Per pixel, a pair `p` of kernel row `ky` starts `2p·dilation` ring columns right of
        // the pixel's first, `stride` columns apart from pixel to pixel.
        let (step, pair_step) = (w.stride.1 * n * 2, 2 * w.dilation.1 * n * 2);
        for b8 in blocks.step_by(8) {
            let filter = self.filter.as_ptr().add((c + b8) * kh * pairs * 2);
            let bias = self.bias.as_ptr().add(c + b8);
            let mut out = sink.pixel(oy, xs.start).add(c + b8);
            for i in 0..xs.len() {
                let mut acc = L::load_acc(bias);
                for (ky, row) in rows.iter().enumerate().take(kh) {
                    let at = row.add(i * step + b8 * 2);
                    for p in 0..pairs {
                        let f = L::load_pairs(filter.add((ky * pairs + p) * 16));
                        acc = L::madd(acc, L::load_pairs(at.add(p * pair_step)), f);
                    }
                }
                L::requantize_store(acc, &self.stage, c + b8, out);
                out = out.add(sink.stride);
            }
        }
    }
}

impl Depthwise {
    /// [`Depthwise::output_row16`] where `WIDE` (and this is x86_64); else nothing, 0.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    unsafe fn output_row_wide<const WIDE: bool>(
        &self,
        w: &Window,
        kh: usize,
        pairs: usize,
        rows: &[*const i16; MAX_TAPS],
        c: usize,
        n: usize,
        oy: usize,
        xs: Range<usize>,
        sink: Sink,
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        if WIDE {
            return self.output_row16(w, kh, pairs, rows, c, n, oy, xs, sink);
        }
        0
    }

    /// [`Depthwise::output_row`] sixteen channels at a time on AVX-512, for the ring's whole
    /// blocks of sixteen (from a channel that starts one); returns where the blocks of eight
    /// left for it begin.
    ///
    /// # Safety
    /// As [`Depthwise::output_row`]'s; AVX-512 F and BW must be available.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn output_row16(
        &self,
        w: &Window,
        kh: usize,
        pairs: usize,
        rows: &[*const i16; MAX_TAPS],
        c: usize,
        n: usize,
        oy: usize,
        xs: Range<usize>,
        sink: Sink,
    ) -> usize {
        use std::arch::x86_64::*;
        let Some(filter16) = &self.filter16 else { return 0 };
        if !c.is_multiple_of(16) {
            return 0;
        }
        let (step, pair_step) = (w.stride.1 * n * 2, 2 * w.dilation.1 * n * 2);
        let whole = n / 16 * 16;
        for b in (0..whole).step_by(16) {
            let filter = filter16.as_ptr().add((c + b) * kh * pairs * 2);
            let bias = self.bias.as_ptr().add(c + b);
            let mut out = sink.pixel(oy, xs.start).add(c + b);
            for i in 0..xs.len() {
                let mut acc = _mm512_loadu_si512(bias.cast());
                for (ky, row) in rows.iter().enumerate().take(kh) {
                    let at = row.add(i * step + b * 2);
                    for p in 0..pairs {
                        let f = _mm512_loadu_si512(filter.add((ky * pairs + p) * 32).cast());
                        let x = _mm512_loadu_si512(at.add(p * pair_step).cast());
                        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, f));
                    }
                }
                super::avx512::requantize_store(acc, &self.stage, c + b, out, 16);
                out = out.add(sink.stride);
            }
        }
        whole
    }
}

/// The greatest common divisor of `a` and `b`.
fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Output pixels computed straight from the int8 input, on AVX-512 VNNI: each tap's
/// channels sign-extended to int32 lanes, which `vpdpwssd` multiplies as int16 pairs
/// (value, sign) with the pairs (weight, 0). Nothing is built first, where the ring widens
/// every input row the taps read: once a layer, but three rows for each one-row call of a
/// 3×3 kernel at stride 1 (a cached stage's steps), which took VWW's depthwise layers
/// 1.3–1.7× their time whole; this path takes them 1.05–1.15×. Inside the map four pixels of
/// a row go together and share the input columns their taps overlap on.
#[cfg(target_arch = "x86_64")]
mod direct {
    use super::super::avx2::Avx2;
    use super::super::{avx512, LaneStage, Lanes};
    use std::arch::x86_64::*;

    /// The channels of one register, and what the direct path does with them.
    pub(super) trait Block {
        const LANES: usize;
        type V: Copy;
        unsafe fn load_i32(p: *const i32) -> Self::V;
        /// `LANES` int8 at `p`, sign-extended to int32.
        unsafe fn input(p: *const i8) -> Self::V;
        /// `acc + x·f` lane by lane, `x` an int8 sign-extended, `f` a weight as (f, 0).
        unsafe fn dot(acc: Self::V, x: Self::V, f: Self::V) -> Self::V;
        unsafe fn store(acc: Self::V, stage: &LaneStage, c: usize, out: *mut i8);
    }

    /// Sixteen channels a register.
    pub(super) struct Wide;
    /// Eight channels a register (a layer's last eight, past its blocks of sixteen).
    pub(super) struct Narrow;

    impl Block for Wide {
        const LANES: usize = 16;
        type V = __m512i;
        #[inline(always)]
        unsafe fn load_i32(p: *const i32) -> __m512i {
            _mm512_loadu_si512(p.cast())
        }
        #[inline(always)]
        unsafe fn input(p: *const i8) -> __m512i {
            _mm512_cvtepi8_epi32(_mm_loadu_si128(p.cast()))
        }
        #[inline(always)]
        unsafe fn dot(acc: __m512i, x: __m512i, f: __m512i) -> __m512i {
            _mm512_dpwssd_epi32(acc, x, f)
        }
        #[inline(always)]
        unsafe fn store(acc: __m512i, stage: &LaneStage, c: usize, out: *mut i8) {
            avx512::requantize_store(acc, stage, c, out, 16)
        }
    }

    impl Block for Narrow {
        const LANES: usize = 8;
        type V = __m256i;
        #[inline(always)]
        unsafe fn load_i32(p: *const i32) -> __m256i {
            _mm256_loadu_si256(p.cast())
        }
        #[inline(always)]
        unsafe fn input(p: *const i8) -> __m256i {
            _mm256_cvtepi8_epi32(_mm_loadl_epi64(p.cast()))
        }
        #[inline(always)]
        unsafe fn dot(acc: __m256i, x: __m256i, f: __m256i) -> __m256i {
            _mm256_dpwssd_epi32(acc, x, f)
        }
        #[inline(always)]
        unsafe fn store(acc: __m256i, stage: &LaneStage, c: usize, out: *mut i8) {
            Avx2::requantize_store(acc, stage, c, out)
        }
    }
}

#[cfg(target_arch = "x86_64")]
use direct::Block;

#[cfg(target_arch = "x86_64")]
impl Depthwise {
    /// Output `region` straight from the int8 input, with the filter `filter` (`self.direct`).
    ///
    /// # Safety
    /// `source` must hold every input pixel the window reads for the region, `sink` every
    /// output pixel; AVX-512 F/BW/VL and VNNI must be available.
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn direct(&self, filter: &[i32], w: &Window, source: Source, sink: Sink, region: Region) {
        let (kh, kw) = self.kernel;
        let (held, stride) = (source.held, source.stride);
        let padding = self.padding.as_ptr();
        let row_step = w.dilation.0 * held.width() * stride;
        let xs = region.x0..region.x1;
        // The columns whose taps all lie inside the map.
        let span = (kw - 1) * w.dilation.1;
        let first = w.pad_left.div_ceil(w.stride.1).max(xs.start);
        let end = (w.in_w + w.pad_left).checked_sub(span).map_or(0, |e| e.div_ceil(w.stride.1)).min(xs.end).max(first);
        // Four pixels of a 3×3 kernel together where they share columns.
        let grouped = (kh, kw, w.dilation.1) == (3, 3, 1) && w.stride.1 <= 2;
        let mut rows = [None; MAX_TAPS];
        let mut taps = [padding; MAX_TAPS];
        for oy in region.y0..region.y1 {
            for (ky, row) in rows.iter_mut().enumerate().take(kh) {
                *row = Window::tap(oy, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h)
                    .map(|iy| source.at.add((iy - held.y0) * held.width() * stride));
            }
            // The first tap of pixel `ox`, where every row and column of its taps is inside.
            let top = rows[0].filter(|_| rows[..kh].iter().all(Option::is_some));
            let inside = |ox: usize| {
                top.filter(|_| (first..end).contains(&ox))
                    .map(|row| row.add((ox * w.stride.1 - w.pad_left - held.x0) * stride))
            };
            let mut ox = xs.start;
            while ox < xs.end {
                let out = sink.pixel(oy, ox);
                match inside(ox) {
                    Some(at) if grouped && ox + 4 <= end => {
                        match w.stride.1 {
                            1 => self.direct_group::<1>(filter, at, row_step, out),
                            _ => self.direct_group::<2>(filter, at, row_step, out),
                        }
                        ox += 4;
                        continue;
                    }
                    Some(at) => {
                        let tap = |t: usize| at.add((t / kw) * row_step + (t % kw) * w.dilation.1 * stride);
                        self.direct_pixel(filter, tap, out)
                    }
                    None => {
                        for kx in 0..kw {
                            let ix = Window::tap(ox, kx, w.stride.1, w.dilation.1, w.pad_left, w.in_w);
                            for ky in 0..kh {
                                taps[ky * kw + kx] = match (rows[ky], ix) {
                                    (Some(row), Some(ix)) => row.add((ix - held.x0) * stride),
                                    _ => padding,
                                };
                            }
                        }
                        self.direct_pixel(filter, |t| taps[t], out)
                    }
                }
                ox += 1;
            }
        }
    }

    /// Every channel of one output pixel from the pixels its taps read, tap `t`'s at `tap(t)`.
    #[inline(always)]
    unsafe fn direct_pixel(&self, filter: &[i32], tap: impl Fn(usize) -> *const i8, out: *mut i8) {
        let taps = self.kernel.0 * self.kernel.1;
        let (ch, mut c) = (self.channels, 0);
        while c + direct::Wide::LANES <= ch {
            self.pixel_block::<direct::Wide>(filter, &tap, taps, c, out);
            c += direct::Wide::LANES;
        }
        while c < ch {
            self.pixel_block::<direct::Narrow>(filter, &tap, taps, c, out);
            c += direct::Narrow::LANES;
        }
    }

    #[inline(always)]
    unsafe fn pixel_block<B: direct::Block>(
        &self,
        filter: &[i32],
        tap: impl Fn(usize) -> *const i8,
        taps: usize,
        c: usize,
        out: *mut i8,
    ) {
        let mut acc = B::load_i32(self.bias.as_ptr().add(c));
        for t in 0..taps {
            acc = B::dot(acc, B::input(tap(t).add(c)), B::load_i32(filter.as_ptr().add(t * self.channels + c)));
        }
        B::store(acc, &self.stage, c, out.add(c));
    }

    /// Four neighbouring output pixels of a 3×3 kernel (no dilation) at column stride `S`,
    /// the first's first tap at `at`, kernel rows `row_step` apart: each input column of a
    /// row is widened once for the pixels whose taps share it.
    #[inline(always)]
    unsafe fn direct_group<const S: usize>(&self, filter: &[i32], at: *const i8, row_step: usize, out: *mut i8) {
        let (ch, mut c) = (self.channels, 0);
        while c + direct::Wide::LANES <= ch {
            self.group_block::<direct::Wide, S>(filter, at, row_step, c, out);
            c += direct::Wide::LANES;
        }
        while c < ch {
            self.group_block::<direct::Narrow, S>(filter, at, row_step, c, out);
            c += direct::Narrow::LANES;
        }
    }

    #[inline(always)]
    unsafe fn group_block<B: direct::Block, const S: usize>(
        &self,
        filter: &[i32],
        at: *const i8,
        row_step: usize,
        c: usize,
        out: *mut i8,
    ) {
        let ch = self.channels;
        let bias = B::load_i32(self.bias.as_ptr().add(c));
        let mut acc = [bias; 4];
        for ky in 0..3 {
            let row = at.add(ky * row_step + c);
            let f: [B::V; 3] = std::array::from_fn(|kx| B::load_i32(filter.as_ptr().add((ky * 3 + kx) * ch + c)));
            // Pixel `p` reads columns `p·S + kx`.
            for col in 0..3 * S + 3 {
                let x = B::input(row.add(col * ch));
                for (p, acc) in acc.iter_mut().enumerate() {
                    if let Some(kx) = col.checked_sub(p * S).filter(|&kx| kx < 3) {
                        *acc = B::dot(*acc, x, f[kx]);
                    }
                }
            }
        }
        for (p, acc) in acc.into_iter().enumerate() {
            B::store(acc, &self.stage, c, out.add(p * ch + c));
        }
    }
}
