//! Regions of feature maps and the geometry of sliding windows, decided once in global
//! coordinates so that a region computed for a patch is byte-identical to the same region
//! of the whole computation.
#![warn(clippy::indexing_slicing)]

use crate::model::Padding;

/// Rows `[y0, y1)` × columns `[x0, x1)` of a feature map, in global coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Region {
    pub y0: usize,
    pub y1: usize,
    pub x0: usize,
    pub x1: usize,
}

impl Region {
    pub fn whole(h: usize, w: usize) -> Region {
        Region { y0: 0, y1: h, x0: 0, x1: w }
    }
    pub fn height(&self) -> usize {
        self.y1 - self.y0
    }
    pub fn width(&self) -> usize {
        self.x1 - self.x0
    }
    pub fn area(&self) -> usize {
        self.height() * self.width()
    }
    /// The bounding box of both (an empty region adds nothing).
    pub fn union(&self, other: &Region) -> Region {
        match (self.area(), other.area()) {
            (0, _) => *other,
            (_, 0) => *self,
            _ => Region {
                y0: self.y0.min(other.y0),
                y1: self.y1.max(other.y1),
                x0: self.x0.min(other.x0),
                x1: self.x1.max(other.x1),
            },
        }
    }
}

/// The shape of a batch-1 NHWC feature map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hwc {
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

impl Hwc {
    pub fn whole(&self) -> Region {
        Region::whole(self.h, self.w)
    }
    pub fn view<'a>(&self, data: &'a [i8]) -> Fmap<'a, i8> {
        Fmap { data, region: self.whole(), channels: self.c }
    }
    pub fn view_mut<'a>(&self, data: &'a mut [i8]) -> FmapMut<'a, i8> {
        FmapMut { data, region: self.whole(), channels: self.c }
    }
    pub fn elements(&self) -> usize {
        self.h * self.w * self.c
    }
}

/// The map an element-wise op runs over: a [1, H, W, C] tensor's own (spatial: the op can
/// run region by region), else all elements as one 1×1×N pixel (the op runs whole).
pub fn elementwise_map(shape: &[usize]) -> (Hwc, bool) {
    match shape[..] {
        [1, h, w, c] => (Hwc { h, w, c }, true),
        _ => (Hwc { h: 1, w: 1, c: shape.iter().product() }, false),
    }
}

/// A 2-D sliding window (conv, depthwise conv, pool): sizes, stride, dilation and the
/// top/left padding TFLite derives from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub pad_top: usize,
    pub pad_left: usize,
}

impl Window {
    /// TFLite's output size and `ComputePaddingHeightWidth`; `None` if the window does not fit.
    pub fn new(
        input: (usize, usize),
        kernel: (usize, usize),
        stride: (usize, usize),
        dilation: (usize, usize),
        padding: Padding,
    ) -> Option<Window> {
        let axis = |size: usize, k: usize, s: usize, d: usize| -> Option<(usize, usize)> {
            let effective = (k - 1) * d + 1;
            let out = match padding {
                Padding::Same => size.div_ceil(s),
                Padding::Valid => (size + s).checked_sub(effective)? / s,
            };
            if out == 0 {
                return None;
            }
            let total = ((out - 1) * s + effective).saturating_sub(size);
            Some((out, total / 2))
        };
        let (out_h, pad_top) = axis(input.0, kernel.0, stride.0, dilation.0)?;
        let (out_w, pad_left) = axis(input.1, kernel.1, stride.1, dilation.1)?;
        Some(Window { in_h: input.0, in_w: input.1, out_h, out_w, kernel, stride, dilation, pad_top, pad_left })
    }

    /// The input rows (or columns) an output span `[o0, o1)` reads, clipped to the map. An
    /// empty span (a tile that lies wholly in a PAD's border) reads nothing.
    fn input_span(o0: usize, o1: usize, k: usize, s: usize, d: usize, pad: usize, size: usize) -> (usize, usize) {
        let first = (o0 * s).saturating_sub(pad);
        if o1 <= o0 {
            return (first.min(size), first.min(size));
        }
        let last = ((o1 - 1) * s + (k - 1) * d + 1).saturating_sub(pad).min(size);
        (first.min(last), last)
    }

    /// The input region an output region needs (the tile plus its halo), clipped to the map.
    pub fn input_region(&self, out: Region) -> Region {
        let (y0, y1) =
            Self::input_span(out.y0, out.y1, self.kernel.0, self.stride.0, self.dilation.0, self.pad_top, self.in_h);
        let (x0, x1) =
            Self::input_span(out.x0, out.x1, self.kernel.1, self.stride.1, self.dilation.1, self.pad_left, self.in_w);
        Region { y0, y1, x0, x1 }
    }

    /// Calls `f(ky, kx, iy, ix)` for every kernel tap of output pixel `(oy, ox)` that lands
    /// inside the input: taps in the padding are skipped, which is padding with the zero
    /// point, as TFLite's reference kernels do. Only the taps inside are visited, so a pooling
    /// window far larger than its input (a number in the file, with no weights behind it)
    /// costs what the input holds, not what the window declares.
    #[inline(always)]
    pub fn for_each_tap(&self, oy: usize, ox: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        let (sy, sx, dy, dx) = (self.stride.0, self.stride.1, self.dilation.0, self.dilation.1);
        let cols = Self::taps_inside(ox, self.kernel.1, sx, dx, self.pad_left, self.in_w);
        for ky in Self::taps_inside(oy, self.kernel.0, sy, dy, self.pad_top, self.in_h) {
            let iy = oy * sy + ky * dy - self.pad_top;
            for kx in cols.clone() {
                f(ky, kx, iy, ox * sx + kx * dx - self.pad_left);
            }
        }
    }

    /// The kernel taps `k < kernel` of output coordinate `o` whose input coordinate
    /// `o·s + k·d − pad` lies in `[0, size)` (the taps [`Window::tap`] maps to `Some`).
    #[inline(always)]
    fn taps_inside(o: usize, kernel: usize, s: usize, d: usize, pad: usize, size: usize) -> std::ops::Range<usize> {
        let start = o * s;
        let first = pad.saturating_sub(start).div_ceil(d);
        let end = (size + pad).saturating_sub(start).div_ceil(d);
        first.min(kernel)..end.min(kernel)
    }

    /// Input coordinate of kernel tap `k` for output coordinate `o` along one axis, if inside.
    #[inline(always)]
    pub fn tap(o: usize, k: usize, s: usize, d: usize, pad: usize, size: usize) -> Option<usize> {
        let i = (o * s + k * d).checked_sub(pad)?;
        (i < size).then_some(i)
    }
}

/// The geometry of a transposed convolution (TRANSPOSE_CONV): input pixel `i` spreads its
/// kernel over outputs `i·stride − pad + k`. The padding is TFLite's for a convolution over
/// the output's size (what TFLM's prepare computes). Gathered per output pixel, kernel tap
/// `k` of output `o` reads input `(o + pad − k) / stride` where that divides exactly and
/// lands inside the input; an output row may read no input at all (kernel < stride).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransposedWindow {
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel: (usize, usize),
    pub stride: (usize, usize),
    pub pad_top: usize,
    pub pad_left: usize,
}

impl TransposedWindow {
    /// `None` if the kernel does not fit the output as a VALID convolution would need.
    pub fn new(
        input: (usize, usize),
        output: (usize, usize),
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: Padding,
    ) -> Option<TransposedWindow> {
        let conv = Window::new(output, kernel, stride, (1, 1), padding)?;
        Some(TransposedWindow {
            in_h: input.0,
            in_w: input.1,
            out_h: output.0,
            out_w: output.1,
            kernel,
            stride,
            pad_top: conv.pad_top,
            pad_left: conv.pad_left,
        })
    }

    /// Input coordinate that kernel tap `k` of output coordinate `o` reads, if any.
    #[inline(always)]
    pub fn tap(o: usize, k: usize, s: usize, pad: usize, size: usize) -> Option<usize> {
        let v = (o + pad).checked_sub(k)?;
        (v % s == 0).then_some(v / s).filter(|&i| i < size)
    }

    /// The inputs `[a, b)` output span `[o0, o1)` reads (empty when it reads none).
    fn input_span(o0: usize, o1: usize, k: usize, s: usize, pad: usize, size: usize) -> (usize, usize) {
        if o1 <= o0 {
            return (0, 0);
        }
        // The first input whose last tap reaches o0, the last whose first tap is before o1.
        let first = (o0 + pad).saturating_sub(k - 1).div_ceil(s);
        let end = ((o1 - 1 + pad) / s + 1).min(size);
        (first.min(end), end)
    }

    /// The input region an output region reads.
    pub fn input_region(&self, out: Region) -> Region {
        let (y0, y1) = Self::input_span(out.y0, out.y1, self.kernel.0, self.stride.0, self.pad_top, self.in_h);
        let (x0, x1) = Self::input_span(out.x0, out.x1, self.kernel.1, self.stride.1, self.pad_left, self.in_w);
        Region { y0, y1, x0, x1 }
    }

    /// Calls `f(ky, kx, iy, ix)` for every kernel tap of output pixel `(oy, ox)` that reads
    /// an input pixel.
    #[inline(always)]
    pub fn for_each_tap(&self, oy: usize, ox: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        for ky in 0..self.kernel.0 {
            let Some(iy) = Self::tap(oy, ky, self.stride.0, self.pad_top, self.in_h) else { continue };
            for kx in 0..self.kernel.1 {
                if let Some(ix) = Self::tap(ox, kx, self.stride.1, self.pad_left, self.in_w) {
                    f(ky, kx, iy, ix);
                }
            }
        }
    }

    /// The taps that read an input pixel, over the whole output (rows × columns).
    pub fn taps(&self) -> u64 {
        let axis = |out: usize, k: usize, s: usize, pad: usize, size: usize| {
            (0..out).map(|o| (0..k).filter(|&k| Self::tap(o, k, s, pad, size).is_some()).count() as u64).sum::<u64>()
        };
        axis(self.out_h, self.kernel.0, self.stride.0, self.pad_top, self.in_h)
            * axis(self.out_w, self.kernel.1, self.stride.1, self.pad_left, self.in_w)
    }
}

/// The input rows (or columns) each output row of a resampling op reads: an inclusive span
/// per output coordinate, both ends non-decreasing (nearest-neighbour and bilinear resizes
/// map coordinates monotonically), so an output span reads one input span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisMap {
    spans: Vec<(usize, usize)>,
}

impl AxisMap {
    /// `None` unless every span is ordered and both ends never decrease.
    pub fn new(spans: Vec<(usize, usize)>) -> Option<AxisMap> {
        let ordered = spans.iter().all(|&(a, b)| a <= b);
        let monotonic = spans.windows(2).all(|w| matches!(w, [p, n] if p.0 <= n.0 && p.1 <= n.1));
        (ordered && monotonic).then_some(AxisMap { spans })
    }

    /// The input span `[a, b)` output span `[o0, o1)` reads; empty for an empty one.
    pub fn input_span(&self, o0: usize, o1: usize) -> (usize, usize) {
        match (self.spans.get(o0), o1.checked_sub(1).and_then(|l| self.spans.get(l))) {
            (Some(first), Some(last)) if o0 < o1 => (first.0, last.1 + 1),
            _ => (0, 0),
        }
    }

    /// The input region an output region of a resampling by `rows` and `cols` reads.
    pub fn input_region(rows: &AxisMap, cols: &AxisMap, out: Region) -> Region {
        let (y0, y1) = rows.input_span(out.y0, out.y1);
        let (x0, x1) = cols.input_span(out.x0, out.x1);
        Region { y0, y1, x0, x1 }
    }
}

/// A read-only view of a region of an HWC feature map, stored row-major.
#[derive(Clone, Copy)]
pub struct Fmap<'a, T> {
    pub data: &'a [T],
    pub region: Region,
    pub channels: usize,
}

impl<'a, T> Fmap<'a, T> {
    /// The channels of pixel `(y, x)` in global coordinates.
    #[inline(always)]
    // A plan invariant: kernels ask only for pixels of their region (a check would cost every tap).
    #[allow(clippy::indexing_slicing)]
    pub fn pixel(&self, y: usize, x: usize) -> &'a [T] {
        let i = ((y - self.region.y0) * self.region.width() + (x - self.region.x0)) * self.channels;
        &self.data[i..i + self.channels]
    }

    /// The pixels `x0..x1` of row `y`, one run of channels (global coordinates).
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // as `Fmap::pixel`
    pub fn row(&self, y: usize, x0: usize, x1: usize) -> &'a [T] {
        let i = ((y - self.region.y0) * self.region.width() + (x0 - self.region.x0)) * self.channels;
        &self.data[i..i + (x1 - x0) * self.channels]
    }
}

/// A writable view of a region of an HWC feature map, stored row-major.
pub struct FmapMut<'a, T> {
    pub data: &'a mut [T],
    pub region: Region,
    pub channels: usize,
}

impl<T> FmapMut<'_, T> {
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // as `Fmap::pixel`
    pub fn pixel_mut(&mut self, y: usize, x: usize) -> &mut [T] {
        let i = ((y - self.region.y0) * self.region.width() + (x - self.region.x0)) * self.channels;
        &mut self.data[i..i + self.channels]
    }

    /// The pixels `x0..x1` of row `y`, as [`Fmap::row`].
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // as `Fmap::pixel`
    pub fn row_mut(&mut self, y: usize, x0: usize, x1: usize) -> &mut [T] {
        let i = ((y - self.region.y0) * self.region.width() + (x0 - self.region.x0)) * self.channels;
        &mut self.data[i..i + (x1 - x0) * self.channels]
    }
}

/// Arena bytes (or a constant's) as the int8 values the views hold.
pub fn as_i8(bytes: &[u8]) -> &[i8] {
    bytemuck::cast_slice(bytes)
}

/// [`as_i8`], to write.
pub fn as_i8_mut(bytes: &mut [u8]) -> &mut [i8] {
    bytemuck::cast_slice_mut(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_inside_are_exactly_the_taps_that_land_in_the_input() {
        for (o, kernel, s, d, pad, size) in small_axes() {
            let walked: Vec<usize> = (0..kernel).filter(|&k| Window::tap(o, k, s, d, pad, size).is_some()).collect();
            let clipped: Vec<usize> = Window::taps_inside(o, kernel, s, d, pad, size).collect();
            assert_eq!(walked, clipped, "o {o} kernel {kernel} s {s} d {d} pad {pad} size {size}");
        }
    }

    /// Every small (output, kernel, stride, dilation, pad, size) combination.
    fn small_axes() -> impl Iterator<Item = (usize, usize, usize, usize, usize, usize)> {
        (0..6).flat_map(|o| {
            (1..8).flat_map(move |k| {
                (1..4).flat_map(move |s| {
                    (1..4).flat_map(move |d| (0..7).flat_map(move |p| (1..6).map(move |n| (o, k, s, d, p, n))))
                })
            })
        })
    }

    #[test]
    fn same_padding_matches_tflite() {
        // 96 → 48 with a 3×3 stride-2 kernel: total padding 1, TFLite pads 0 on top.
        let w = Window::new((96, 96), (3, 3), (2, 2), (1, 1), Padding::Same).unwrap();
        assert_eq!((w.out_h, w.pad_top), (48, 0));
        let w = Window::new((48, 48), (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
        assert_eq!((w.out_h, w.pad_top), (48, 1));
        let w = Window::new((10, 7), (3, 3), (1, 1), (2, 2), Padding::Same).unwrap();
        assert_eq!((w.out_h, w.out_w, w.pad_top, w.pad_left), (10, 7, 2, 2));
    }

    #[test]
    fn valid_padding_and_too_small_input() {
        let w = Window::new((7, 7), (3, 3), (2, 2), (1, 1), Padding::Valid).unwrap();
        assert_eq!((w.out_h, w.pad_top), (3, 0));
        assert!(Window::new((2, 2), (3, 3), (1, 1), (1, 1), Padding::Valid).is_none());
    }

    #[test]
    fn transposed_windows_read_what_their_taps_read() {
        // Every stride, kernel and padding on small maps: the back-projected region of every
        // output span holds exactly the inputs its taps read.
        for (s, k, input, padding) in (1..=3).flat_map(|s| {
            (1..=4).flat_map(move |k| (1..=5).flat_map(move |i| [(s, k, i, Padding::Same), (s, k, i, Padding::Valid)]))
        }) {
            let output = match padding {
                Padding::Same => input * s,
                Padding::Valid => (input - 1) * s + k,
            };
            let w = TransposedWindow::new((input, 1), (output, 1), (k, 1), (s, 1), padding).unwrap();
            for o0 in 0..output {
                for o1 in o0 + 1..=output {
                    let mut read: Vec<usize> = Vec::new();
                    for o in o0..o1 {
                        w.for_each_tap(o, 0, |_, _, iy, _| read.push(iy));
                    }
                    let r = w.input_region(Region { y0: o0, y1: o1, x0: 0, x1: 1 });
                    let (lo, hi) = (read.iter().min().copied(), read.iter().max().map(|m| m + 1));
                    let what = format!("s{s} k{k} in {input} out {output} {padding:?}, outputs {o0}..{o1}");
                    match (lo, hi) {
                        (Some(lo), Some(hi)) => assert_eq!((r.y0, r.y1), (lo, hi), "{what}"),
                        _ => assert_eq!(r.height(), 0, "{what}"),
                    }
                }
            }
        }
        // SAME 2× upsampling with a 3×3 kernel: TFLite pads the 8-pixel output's conv by 0
        // on top; output 0 reads input 0 (tap 0), output 1 reads input 0 (tap 1).
        let w = TransposedWindow::new((4, 4), (8, 8), (3, 3), (2, 2), Padding::Same).unwrap();
        assert_eq!(w.pad_top, 0);
        assert_eq!(w.input_region(Region { y0: 0, y1: 2, x0: 6, x1: 8 }), Region { y0: 0, y1: 1, x0: 2, x1: 4 });
        // A 1×1 kernel at stride 2 leaves odd outputs without input.
        let w = TransposedWindow::new((4, 4), (8, 8), (1, 1), (2, 2), Padding::Same).unwrap();
        assert_eq!(w.input_region(Region { y0: 3, y1: 4, x0: 0, x1: 8 }).height(), 0);
        assert_eq!(w.taps(), 16);
    }

    #[test]
    fn resampling_spans_back_project_to_one_input_span() {
        // 2× bilinear-like upsampling of 3 pixels: output o reads (o / 2, ⌈o / 2⌉).
        let spans: Vec<(usize, usize)> = (0..6usize).map(|o| (o / 2, o.div_ceil(2).min(2))).collect();
        let map = AxisMap::new(spans.clone()).unwrap();
        for a in 0..6 {
            for b in a + 1..=6 {
                let (i0, i1) = map.input_span(a, b);
                let read = spans.get(a..b).unwrap();
                assert!(read.iter().all(|&(lo, hi)| i0 <= lo && hi < i1), "{a}..{b}: {i0}..{i1}");
                assert_eq!((i0, i1), (read.first().unwrap().0, read.last().unwrap().1 + 1));
            }
        }
        assert_eq!(map.input_span(3, 3), (0, 0));
        assert_eq!(map.input_span(5, 9), (0, 0), "past the map");
        let r = AxisMap::input_region(
            &map,
            &AxisMap::new(vec![(0, 0), (0, 1), (1, 1)]).unwrap(),
            Region { y0: 2, y1: 4, x0: 1, x1: 3 },
        );
        assert_eq!(r, Region { y0: 1, y1: 3, x0: 0, x1: 2 });
        assert!(AxisMap::new(vec![(1, 1), (0, 1)]).is_none(), "decreasing");
        assert!(AxisMap::new(vec![(2, 1)]).is_none(), "unordered");
    }

    #[test]
    fn input_region_includes_halo_and_clips() {
        let w = Window::new((48, 48), (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
        let r = w.input_region(Region { y0: 0, y1: 12, x0: 12, x1: 24 });
        assert_eq!(r, Region { y0: 0, y1: 13, x0: 11, x1: 25 });
        let w = Window::new((96, 96), (3, 3), (2, 2), (1, 1), Padding::Same).unwrap();
        let r = w.input_region(Region { y0: 47, y1: 48, x0: 0, x1: 1 });
        assert_eq!(r, Region { y0: 94, y1: 96, x0: 0, x1: 3 });
    }
}
