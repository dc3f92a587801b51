//! CONV_2D (ungrouped, any kernel, stride, dilation, padding) as an int8 matrix product:
//! each output pixel's receptive field — `kh·kw·ic` int8 values, the zero point where the
//! window hangs over the padding — widened to int16, times the filter packed as pairs of
//! input channels for eight output channels at a time, accumulated in int32 with the
//! zero-point correction folded into the bias.
//!
//! The field is read in one of two layouts. A 1×1 convolution reads the pixel itself, and a
//! dilated or very tall kernel one column of im2col, gathered per pixel. Any other kernel
//! reads its rows straight from the input rows, widened once per output row (with the
//! zero point in the padding) and shared by every pixel of the row: the filter is packed
//! row by row, each kernel row's `kw·ic` values padded to an even count with a zero weight,
//! so a pair never straddles two rows. A thin layer's field is short (27 values for a
//! 3-channel 3×3 kernel), and gathering it per pixel cost as much as its arithmetic.
//!
//! Two products read those fields ([`Field`]): int16 pairs times int16 weights (`madd`, on
//! any [`Lanes`] backend), and, with AVX-512 VNNI, bytes offset by 128 in quads times int8
//! weights (`vpdpbusd`, sixteen channels a register, see [`vnni`]); one layout of fields, so
//! one way of reading them.

mod pack;
#[cfg(target_arch = "x86_64")]
mod vnni;

use super::{covers, isa, Isa, LaneStage, Lanes, Portable};
use crate::geometry::{Fmap, FmapMut, Region, Window};
use std::marker::PhantomData;
use std::mem::MaybeUninit;

/// Longest receptive field (`kh·kw·ic`) the fast path takes; longer ones use the reference.
pub const MAX_DEPTH: usize = 2048;
/// Output pixels computed together (they share each filter load).
const PIXELS: usize = 4;
/// Tallest kernel read row by row; taller ones are gathered as columns.
const MAX_ROWS: usize = 16;
/// Int16 of widened input rows one call may hold (on the stack).
const ROW_BUFFER: usize = 16384;

/// A filter prepared for the matrix product.
#[derive(Debug, Clone)]
pub struct Gemm {
    /// `kh·kw·ic`
    depth: usize,
    /// `rows·row_pairs`
    pairs: usize,
    /// 1 (the field is one run of `depth` values) or `kh` (read row by row).
    rows: usize,
    /// Pairs per row of the field: its `depth / rows` values, rounded up to even.
    row_pairs: usize,
    channels: usize,
    /// `[channels / 8][pairs][8 channels][2]`, zero-padded.
    filter: Vec<i16>,
    /// `bias − zp·Σf` per output channel, padded to a multiple of eight.
    bias: Vec<i32>,
    stage: LaneStage,
    zero_point: i16,
    /// The filter for the VNNI product, where this machine has it and the weights are int8.
    #[cfg(target_arch = "x86_64")]
    vnni: Option<vnni::Packed>,
}

/// Values a column holds past the deepest receptive field: [`widen`] writes sixteen at a time.
const SLACK: usize = 16;
/// Most values past a field's end that its last pair or quad reads ([`Field::OVER`]).
const MAX_OVER: usize = 3;
/// One receptive field.
type Column<E> = [MaybeUninit<E>; MAX_DEPTH + SLACK];
/// The columns of the pixels computed together.
type Columns<E> = [Column<E>; PIXELS];

/// Where the fields of `M` pixels are: row `r` of pixel `m`'s starts at `rows[r] + at[m]`
/// (values; a one-run field has only row 0).
struct Fields<E, const M: usize> {
    rows: [*const E; MAX_ROWS],
    at: [usize; M],
}

/// The field rows of `columns` (one run each), and where column `m`'s starts.
fn column_rows<E>(columns: &Columns<E>) -> ([*const E; MAX_ROWS], impl Fn(usize) -> usize) {
    let mut rows = [std::ptr::null(); MAX_ROWS];
    rows[0] = columns.as_ptr().cast();
    (rows, |m| m * (MAX_DEPTH + SLACK))
}

/// How a product holds the receptive fields and multiplies them with the packed filter.
///
/// # Safety
/// `load` and `multiply` may only be called where the product's instruction set is
/// available; `multiply` reads `OVER` values past each field row (written as zeros or
/// belonging to the next pixel, against zero weights).
unsafe trait Field {
    /// What a field holds per input value.
    type Elem: Copy;
    /// Values past a field row's end its last pair or quad reads.
    const OVER: usize;
    /// The input zero point as a field holds it: what the padding holds.
    fn padding(gemm: &Gemm) -> Self::Elem;
    fn zero() -> Self::Elem;
    /// The first `n` int8 of `src` at `dst`, as a field holds them; up to `SLACK − 1` values
    /// past `n` may be written too.
    unsafe fn load(src: &[i8], n: usize, dst: *mut Self::Elem);
    /// `n` copies of `value` at `dst`.
    #[inline(always)]
    unsafe fn fill(dst: *mut Self::Elem, n: usize, value: Self::Elem) {
        std::slice::from_raw_parts_mut(dst, n).fill(value)
    }
    /// Every output channel of `M` pixels from their fields; `outs[m]` receives pixel `m`.
    unsafe fn multiply<const M: usize>(gemm: &Gemm, fields: &Fields<Self::Elem, M>, outs: [*mut i8; M]);
}

/// Int16 pairs times the int16 filter, by `madd` on backend `L`.
struct Pairs<L>(PhantomData<L>);

unsafe impl<L: Lanes> Field for Pairs<L> {
    type Elem = i16;
    const OVER: usize = 1;
    #[inline(always)]
    fn padding(gemm: &Gemm) -> i16 {
        gemm.zero_point
    }
    #[inline(always)]
    fn zero() -> i16 {
        0
    }
    #[inline(always)]
    unsafe fn load(src: &[i8], n: usize, dst: *mut i16) {
        widen::<L>(src, n, dst)
    }
    #[inline(always)]
    unsafe fn multiply<const M: usize>(gemm: &Gemm, fields: &Fields<i16, M>, outs: [*mut i8; M]) {
        gemm.multiply::<L, M>(fields, outs)
    }
}

impl Gemm {
    /// Computes `region` of the output: `out` must hold `region` and `input` the region the
    /// window reads.
    pub fn eval(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_on(isa(), window, input, out, region)
    }

    /// [`Gemm::eval`] on instruction set `isa`, which must be available.
    pub fn eval_on(&self, isa: Isa, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        assert!(covers(out.region, region), "region {region:?} outside the output view");
        assert!(out.channels == self.channels && out.data.len() >= out.region.area() * self.channels);
        match isa {
            // SAFETY: the output view holds `region` (checked above); the portable backend
            // needs no instruction set.
            Isa::Portable => unsafe { self.eval_with::<Pairs<Portable>>(window, input, out, region) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; `isa` found VNNI and the weights are packed for it.
            Isa::Avx512Vnni if self.vnni.is_some() => unsafe { self.eval_vnni(window, input, out, region) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; `isa` found AVX2 (which the VNNI backend includes).
            Isa::Avx2 | Isa::Avx512Vnni => unsafe { self.eval_avx2(window, input, out, region) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            // SAFETY: as above; compiled with simd128.
            Isa::Simd128 => unsafe { self.eval_with::<Pairs<super::wasm::Simd128>>(window, input, out, region) },
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn eval_avx2(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_with::<Pairs<super::avx2::Avx2>>(window, input, out, region)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn eval_vnni(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_with::<vnni::Quads>(window, input, out, region)
    }

    #[inline(always)]
    unsafe fn eval_with<F: Field>(&self, window: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        if self.rows > 1 {
            return self.eval_by_rows::<F>(window, input, out, region);
        }
        if window.kernel == (1, 1) && window.stride == (1, 1) && (window.pad_top, window.pad_left) == (0, 0) {
            // A pointwise convolution: each row of the region is a run of pixels in and out.
            let (r, ic) = (input.region, input.channels);
            assert!(covers(r, region) && ic == self.depth && input.data.len() >= r.area() * ic);
            for y in region.y0..region.y1 {
                let src = input.data.as_ptr().add(((y - r.y0) * r.width() + (region.x0 - r.x0)) * ic);
                let at = ((y - out.region.y0) * out.region.width() + (region.x0 - out.region.x0)) * self.channels;
                self.pixels_with::<F>(src, out.data.as_mut_ptr().add(at), region.width());
            }
            return;
        }
        let mut columns: Columns<F::Elem> = [[MaybeUninit::uninit(); MAX_DEPTH + SLACK]; PIXELS];
        let width = region.width();
        let base = out.data.as_mut_ptr();
        let pixel_out = |p: usize| {
            let (y, x) = (region.y0 + p / width, region.x0 + p % width);
            base.add(((y - out.region.y0) * out.region.width() + (x - out.region.x0)) * self.channels)
        };
        let area = region.area();
        let mut p = 0;
        while p < area {
            let n = PIXELS.min(area - p);
            for (m, column) in columns.iter_mut().enumerate().take(n) {
                let q = p + m;
                self.receptive_field::<F>(window, input, region.y0 + q / width, region.x0 + q % width, column);
            }
            let (rows, at) = column_rows(&columns);
            self.multiply_some::<F>(n, rows, at, |m| pixel_out(p + m));
            p += n;
        }
    }

    /// [`Gemm::eval_with`] for a field read row by row, a band of output rows at a time:
    /// the input rows the band's kernel rows read are widened once (the zero point where
    /// the window hangs over the padding), a chunk of output columns at a time, one after
    /// another at a fixed pitch, so each pixel's field row `ky` lies `ky·dilation` rows
    /// below its first. The band's pixels are multiplied four at a time across its rows. A
    /// region under eight pixels wide takes two rows a band, so a tile two pixels wide still
    /// fills the groups of four (ResNet-8's 4×8 plan 0.596 → 0.575 ms); wider ones take one,
    /// as two cost the first conv's whole rows 7 % through code layout.
    #[inline(always)]
    unsafe fn eval_by_rows<F: Field>(&self, w: &Window, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let (kh, kw) = w.kernel;
        let (ic, s, r) = (input.channels, w.stride.1, input.region);
        let (sy, dy) = (w.stride.0, w.dilation.0);
        assert!(kh == self.rows && kw * ic * kh == self.depth && w.dilation.1 == 1);
        assert!(covers(r, w.input_region(region)) && input.data.len() >= r.area() * ic);
        // Input rows a band of `band` output rows reads; each holds the input columns of a
        // chunk of output columns, the values a row's last pair or quad reads past them
        // (times zero weights) and the widening's overrun. Two output rows a band where a row
        // of the chunk still fits, else one (`for_conv` checked that it does).
        let span = |band: usize| (kh - 1) * dy + 1 + (band - 1) * sy;
        let fits =
            |band: usize| ((ROW_BUFFER / span(band)).saturating_sub(SLACK + F::OVER) / ic).checked_sub(kw).is_some();
        let band = if region.height() > 1 && region.width() < 2 * PIXELS && fits(2) { 2 } else { 1 };
        let pitch = ROW_BUFFER / span(band);
        let chunk = ((pitch - SLACK - F::OVER) / ic - kw) / s + 1;
        let mut buffer = [MaybeUninit::<F::Elem>::uninit(); ROW_BUFFER];
        let slots = buffer.as_mut_ptr().cast::<F::Elem>();
        let at_row = |i: usize| slots.add(i * pitch);
        let mut fields_rows = [std::ptr::null::<F::Elem>(); MAX_ROWS];
        for (ky, row) in fields_rows.iter_mut().enumerate().take(kh) {
            *row = at_row(ky * dy).cast_const();
        }
        let base = out.data.as_mut_ptr();
        let pixel_out = |y: usize, x: usize| {
            base.add(((y - out.region.y0) * out.region.width() + (x - out.region.x0)) * self.channels)
        };
        let fill = |dst: *mut F::Elem, n: usize| F::fill(dst, n, F::padding(self));
        for oy in (region.y0..region.y1).step_by(band) {
            let rows = band.min(region.y1 - oy);
            let mut a = region.x0;
            while a < region.x1 {
                let b = (a + chunk).min(region.x1);
                // Input columns `a·s − pad_left ..` of the chunk; those inside the map.
                let cols = (b - a - 1) * s + kw;
                let lo = w.pad_left.saturating_sub(a * s).min(cols);
                let hi = (w.in_w + w.pad_left).saturating_sub(a * s).min(cols).max(lo);
                // Input row `oy·sy − pad_top + i` into slot `i`; rows above or below the map
                // are the padding.
                for i in 0..span(rows) {
                    let dst = at_row(i);
                    match (oy * sy + i).checked_sub(w.pad_top).filter(|&iy| iy < w.in_h) {
                        None => fill(dst, cols * ic),
                        Some(iy) => {
                            fill(dst, lo * ic);
                            if hi > lo {
                                let ix = a * s + lo - w.pad_left;
                                let start = ((iy - r.y0) * r.width() + (ix - r.x0)) * ic;
                                F::load(&input.data[start..], (hi - lo) * ic, dst.add(lo * ic));
                            }
                            fill(dst.add(hi * ic), (cols - hi) * ic);
                        }
                    }
                    std::slice::from_raw_parts_mut(dst.add(cols * ic), F::OVER).fill(F::zero());
                }
                // The band's pixels row by row: pixel `q` is row `q / width`, column
                // `q % width` (no division in a band of one row, where a pixel of the
                // 3-channel first conv costs about as much as one).
                let width = b - a;
                let place = |q: usize| match rows {
                    1 => (q, 0),
                    _ => (q % width, q / width),
                };
                let field = |q: usize| {
                    let (x, y) = place(q);
                    y * sy * pitch + x * s * ic
                };
                let px = |q: usize| {
                    let (x, y) = place(q);
                    pixel_out(oy + y, a + x)
                };
                // The groups of four outside the dispatch on the count: through it, the first
                // conv's whole rows ran 3 % slower.
                let pixels = rows * width;
                let mut q = 0;
                while q + PIXELS <= pixels {
                    let fields = Fields { rows: fields_rows, at: std::array::from_fn(|m| field(q + m)) };
                    F::multiply::<PIXELS>(self, &fields, std::array::from_fn(|m| px(q + m)));
                    q += PIXELS;
                }
                if q < pixels {
                    self.multiply_some::<F>(pixels - q, fields_rows, |m| field(q + m), |m| px(q + m));
                }
                a = b;
            }
        }
    }

    /// A 1×1 stride-1 convolution in place: `buf` holds `pixels` input pixels of `ic`
    /// channels and receives the output pixels over them. Each block of pixels is widened
    /// before its outputs are written, and with no more output than input channels an
    /// output pixel covers only input pixels of its own block or before.
    pub fn eval_in_place(&self, buf: &mut [i8], pixels: usize) {
        self.eval_in_place_on(isa(), buf, pixels)
    }

    /// [`Gemm::eval_in_place`] on instruction set `isa`, which must be available.
    pub fn eval_in_place_on(&self, isa: Isa, buf: &mut [i8], pixels: usize) {
        assert!(self.channels <= self.depth && buf.len() >= pixels * self.depth);
        let at = buf.as_mut_ptr();
        // SAFETY: `buf` holds every input pixel and so every (narrower) output pixel.
        unsafe { self.pixels_on(isa, at, at, pixels) }
    }

    /// A matrix product over whole rows (a fully connected layer): `input` holds rows of
    /// `depth` int8, `output` receives rows of `channels`.
    pub fn eval_rows(&self, input: &[i8], output: &mut [i8]) {
        self.eval_rows_on(isa(), input, output)
    }

    /// [`Gemm::eval_rows`] on instruction set `isa`, which must be available.
    pub fn eval_rows_on(&self, isa: Isa, input: &[i8], output: &mut [i8]) {
        let rows = input.len() / self.depth;
        assert!(input.len() == rows * self.depth && output.len() >= rows * self.channels);
        // SAFETY: the slices hold every row (checked above) and do not overlap.
        unsafe { self.pixels_on(isa, input.as_ptr(), output.as_mut_ptr(), rows) }
    }

    /// `pixels` pixels of `depth` int8 from `src`, their outputs to `dst` (which may be `src`:
    /// see [`Gemm::eval_in_place`]).
    unsafe fn pixels_on(&self, isa: Isa, src: *const i8, dst: *mut i8, pixels: usize) {
        match isa {
            Isa::Portable => self.pixels_with::<Pairs<Portable>>(src, dst, pixels),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni if self.vnni.is_some() => self.pixels_vnni(src, dst, pixels),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512Vnni => self.pixels_avx2(src, dst, pixels),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => self.pixels_with::<Pairs<super::wasm::Simd128>>(src, dst, pixels),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pixels_avx2(&self, src: *const i8, dst: *mut i8, pixels: usize) {
        self.pixels_with::<Pairs<super::avx2::Avx2>>(src, dst, pixels)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni")]
    unsafe fn pixels_vnni(&self, src: *const i8, dst: *mut i8, pixels: usize) {
        self.pixels_with::<vnni::Quads>(src, dst, pixels)
    }

    #[inline(always)]
    unsafe fn pixels_with<F: Field>(&self, src: *const i8, dst: *mut i8, pixels: usize) {
        let mut columns: Columns<F::Elem> = [[MaybeUninit::uninit(); MAX_DEPTH + SLACK]; PIXELS];
        let (ic, oc) = (self.depth, self.channels);
        let mut p = 0;
        while p < pixels {
            let n = PIXELS.min(pixels - p);
            for (m, column) in columns.iter_mut().enumerate().take(n) {
                // The pixels from this one on are readable.
                let rest = std::slice::from_raw_parts(src.add((p + m) * ic), (pixels - p - m) * ic);
                F::load(rest, ic, column.as_mut_ptr().cast());
                column[ic..ic + F::OVER].fill(MaybeUninit::new(F::zero()));
            }
            let (rows, at) = column_rows(&columns);
            self.multiply_some::<F>(n, rows, at, |m| dst.add((p + m) * oc));
            p += n;
        }
    }

    /// Writes the receptive field of output pixel `(y, x)` to `column` as `F` holds it,
    /// padded with the zero point, then the zeros its last pair or quad reads.
    #[inline(always)]
    fn receptive_field<F: Field>(
        &self,
        w: &Window,
        input: &Fmap<i8>,
        y: usize,
        x: usize,
        column: &mut [MaybeUninit<F::Elem>],
    ) {
        let (kh, kw) = w.kernel;
        let ic = input.channels;
        let span = kw * ic;
        let dst: *mut F::Elem = column.as_mut_ptr().cast();
        // The input column of the first tap when every tap of the row lies inside the map.
        let inside = (x * w.stride.1).checked_sub(w.pad_left).filter(|&x0| x0 + (kw - 1) * w.dilation.1 < w.in_w);
        for ky in 0..kh {
            let at = ky * span;
            let iy = Window::tap(y, ky, w.stride.0, w.dilation.0, w.pad_top, w.in_h);
            // SAFETY: `at + span <= depth <= MAX_DEPTH`, and the column has `SLACK` more.
            unsafe {
                match (iy, inside) {
                    (None, _) => F::fill(dst.add(at), span, F::padding(self)),
                    (Some(iy), Some(x0)) if w.dilation.1 == 1 => {
                        // The row's taps are one run of pixels.
                        let r = input.region;
                        let start = ((iy - r.y0) * r.width() + (x0 - r.x0)) * ic;
                        F::load(&input.data[start..], span, dst.add(at));
                    }
                    (Some(iy), _) => {
                        for kx in 0..kw {
                            match Window::tap(x, kx, w.stride.1, w.dilation.1, w.pad_left, w.in_w) {
                                Some(ix) => {
                                    let r = input.region;
                                    let start = ((iy - r.y0) * r.width() + (ix - r.x0)) * ic;
                                    F::load(&input.data[start..], ic, dst.add(at + kx * ic))
                                }
                                None => F::fill(dst.add(at + kx * ic), ic, F::padding(self)),
                            }
                        }
                    }
                }
            }
        }
        column[self.depth..self.depth + F::OVER].fill(MaybeUninit::new(F::zero()));
    }

    /// [`Field::multiply`] for `n` pixels (1 to [`PIXELS`]) together: pixel `m`'s field row
    /// `r` starts at `rows[r] + at(m)`, its output at `out(m)`. A row's last pixels share
    /// their filter loads as its groups of four do.
    #[inline(always)]
    unsafe fn multiply_some<F: Field>(
        &self,
        n: usize,
        rows: [*const F::Elem; MAX_ROWS],
        at: impl Fn(usize) -> usize,
        out: impl Fn(usize) -> *mut i8,
    ) {
        match n {
            PIXELS => {
                F::multiply::<PIXELS>(self, &Fields { rows, at: std::array::from_fn(&at) }, std::array::from_fn(&out))
            }
            3 => F::multiply::<3>(self, &Fields { rows, at: std::array::from_fn(&at) }, std::array::from_fn(&out)),
            2 => F::multiply::<2>(self, &Fields { rows, at: std::array::from_fn(&at) }, std::array::from_fn(&out)),
            _ => F::multiply::<1>(self, &Fields { rows, at: [at(0)] }, [out(0)]),
        }
    }

    /// [`Field::multiply`] on int16 pairs.
    #[inline(always)]
    unsafe fn multiply<L: Lanes, const M: usize>(&self, fields: &Fields<i16, M>, outs: [*mut i8; M]) {
        let blocks = self.channels.div_ceil(8);
        let mut b = 0;
        if L::WIDE {
            while b + 2 <= blocks {
                self.multiply_blocks::<L, M, 2>(fields, &outs, b);
                b += 2;
            }
        }
        while b < blocks {
            self.multiply_blocks::<L, M, 1>(fields, &outs, b);
            b += 1;
        }
    }

    /// Output channels `8·b0 .. 8·(b0 + B)` of `M` pixels.
    #[inline(always)]
    unsafe fn multiply_blocks<L: Lanes, const M: usize, const B: usize>(
        &self,
        fields: &Fields<i16, M>,
        outs: &[*mut i8; M],
        b0: usize,
    ) {
        let mut acc = [[L::zero(); B]; M];
        let stride = self.pairs * 16;
        let filter = self.filter.as_ptr().add(b0 * stride);
        for (r, &row) in fields.rows.iter().enumerate().take(self.rows) {
            let (filter, pixels) = (filter.add(r * self.row_pairs * 16), fields.at.map(|at| row.add(at)));
            for k in 0..self.row_pairs {
                let mut w = [L::zero_pairs(); B];
                for (j, w) in w.iter_mut().enumerate() {
                    *w = L::load_pairs(filter.add(j * stride + k * 16));
                }
                for m in 0..M {
                    let x = L::splat_pair(pixels[m].add(2 * k));
                    for j in 0..B {
                        acc[m][j] = L::madd(acc[m][j], x, w[j]);
                    }
                }
            }
        }
        for m in 0..M {
            for (j, &a) in acc[m].iter().enumerate() {
                let c = (b0 + j) * 8;
                let a = L::add(a, L::load_acc(self.bias.as_ptr().add(c)));
                if c + 8 <= self.channels {
                    L::requantize_store(a, &self.stage, c, outs[m].add(c));
                } else {
                    let mut tail = [0i8; 8];
                    L::requantize_store(a, &self.stage, c, tail.as_mut_ptr());
                    std::ptr::copy_nonoverlapping(tail.as_ptr(), outs[m].add(c), self.channels - c);
                }
            }
        }
    }
}

/// Widens the first `n` int8 of `src` to int16 at `dst`, sixteen or eight at a time where
/// `src` has that many, so up to `SLACK − 1` int16 past `n` are written too.
///
/// # Safety
/// `dst` must hold `n + SLACK` int16; the backend must be available.
#[inline(always)]
unsafe fn widen<L: Lanes>(src: &[i8], n: usize, dst: *mut i16) {
    let (at, readable) = (src.as_ptr(), src.len());
    assert!(n <= readable);
    let mut i = 0;
    while i < n && i + 16 <= readable {
        L::widen16(at.add(i), dst.add(i));
        i += 16;
    }
    while i < n && i + 8 <= readable {
        L::widen8(at.add(i), dst.add(i));
        i += 8;
    }
    while i < n {
        *dst.add(i) = i16::from(*at.add(i));
        i += 1;
    }
}
