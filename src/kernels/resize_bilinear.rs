//! RESIZE_BILINEAR of an int8 NHWC map, as TFLM runs it (`reference_ops::ResizeBilinearInteger`):
//! no float at all. Each axis maps an output coordinate to a source position in 1/1024ths of
//! an input pixel (the scale rounded to 10 fractional bits); the two input pixels around it
//! are weighted by their distance, the four products summed in int64 in 1/2²⁰ths and rounded
//! half away from zero. The raw int8 codes are interpolated: like TFLM, no requantization.
//!
//! Output coordinates map to input coordinates monotonically, so an output region reads one
//! input rectangle: the op is spatially local and runs in patch stages.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{AxisMap, Fmap, FmapMut, Hwc, Region};

/// One in TFLM's 10-bit fixed point.
const ONE: i64 = 1 << 10;

/// The two input coordinates one output coordinate interpolates between, and the weight of
/// the upper one in 1/1024ths (the lower one weighs the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tap {
    lower: usize,
    upper: usize,
    upper_weight: i64,
}

#[derive(Debug, Clone)]
pub struct ResizeBilinear {
    pub input: Hwc,
    pub output: Hwc,
    rows: Vec<Tap>,
    cols: Vec<Tap>,
    /// The taps' spans, for the back-projection.
    row_map: AxisMap,
    col_map: AxisMap,
}

/// TFLM's `ComputeInterpolationValuesInteger` for every output coordinate along one axis, or
/// `None` where TFLM would read outside the input (its lower bound is not clamped from
/// above: a 1-pixel axis resized to 1025 to 2048 pixels reads pixel 1) or overflow int32.
fn taps(input: usize, output: usize, align_corners: bool, half_pixel_centers: bool) -> Option<Vec<Tap>> {
    let (input, output) = (i64::try_from(input).ok()?, i64::try_from(output).ok()?);
    // The scale, rounded to 10 fractional bits.
    let scale = match align_corners && output > 1 {
        true => (ONE * (input - 1) + (output - 1) / 2) / (output - 1),
        false => (ONE * input + output / 2) / output,
    };
    let int32 = |v: i64| i32::try_from(v).is_ok();
    (0..output)
        .map(|o| {
            let scaled = match half_pixel_centers {
                true => o * scale + scale / 2 - ONE / 2,
                false => o * scale,
            };
            // Both divisions truncate toward zero, as C++'s do.
            let lower = (scaled / ONE).max(0);
            let upper = ((scaled + ONE - 1) / ONE).min(input - 1);
            let fits = int32(o * scale) && int32(scaled + ONE) && lower < input;
            fits.then(|| Tap {
                lower: lower as usize,
                upper: upper.max(0) as usize,
                upper_weight: scaled - ONE * lower,
            })
        })
        .collect()
}

impl ResizeBilinear {
    pub fn prepare(cx: &Ctx, align_corners: bool, half_pixel_centers: bool) -> Result<Self> {
        cx.expect_io(2..=2, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        // TFLM interpolates the codes and never looks at the scales: neither does mcupatch
        // (converters give input and output the same parameters).
        cx.int8_activation(x, "input")?;
        cx.int8_activation(y, "output")?;
        if align_corners && half_pixel_centers {
            return Err(cx.err("align_corners and half_pixel_centers are both set (TFLM refuses it)"));
        }
        let (input, output) = (cx.hwc(x, "input")?, cx.hwc(y, "output")?);
        let size = cx.integers(cx.input(1)?, "size")?;
        if size != [output.h as i64, output.w as i64] || input.c != output.c {
            return Err(cx.err(format!("size {size:?} does not give output {:?} from {:?}", y.shape, x.shape)));
        }
        let axis = |i: usize, o: usize, what: &str| {
            taps(i, o, align_corners, half_pixel_centers).ok_or_else(|| {
                cx.err(format!("resizing {what} {i} to {o}: TFLM's fixed-point positions leave the input"))
            })
        };
        let (rows, cols) = (axis(input.h, output.h, "height")?, axis(input.w, output.w, "width")?);
        let map = |taps: &[Tap]| {
            AxisMap::new(taps.iter().map(|t| (t.lower, t.upper)).collect())
                .ok_or_else(|| cx.err("the interpolation positions are not monotonic"))
        };
        Ok(ResizeBilinear { input, output, row_map: map(&rows)?, col_map: map(&cols)?, rows, cols })
    }

    /// The input rectangle an output region interpolates from.
    pub fn input_region(&self, out: Region) -> Region {
        AxisMap::input_region(&self.row_map, &self.col_map, out)
    }
}

impl ResizeBilinear {
    /// Computes `region` of the output; `input` must cover the input region it reads.
    pub fn eval(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for (y, ty) in (region.y0..region.y1).zip(&self.rows[region.y0..region.y1]) {
            let (wy1, wy0) = (ty.upper_weight, ONE - ty.upper_weight);
            for (x, tx) in (region.x0..region.x1).zip(&self.cols[region.x0..region.x1]) {
                let (wx1, wx0) = (tx.upper_weight, ONE - tx.upper_weight);
                let (p00, p10) = (input.pixel(ty.lower, tx.lower), input.pixel(ty.upper, tx.lower));
                let (p01, p11) = (input.pixel(ty.lower, tx.upper), input.pixel(ty.upper, tx.upper));
                let o = out.pixel_mut(y, x);
                for c in 0..o.len() {
                    let v = |p: &[i8]| i64::from(p[c]);
                    let sum = v(p00) * wy0 * wx0 + v(p10) * wy1 * wx0 + v(p01) * wy0 * wx1 + v(p11) * wy1 * wx1;
                    let round = if sum > 0 { 1 << 19 } else { -(1 << 19) };
                    // TFLM's static_cast to int8 keeps the low byte.
                    o[c] = ((sum + round) / (1 << 20)) as i8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_follow_tflm_fixed_point() {
        // 2 → 4 without options: scale 512, positions 0, 0.5, 1, 1.5 (the last clamped).
        let t = taps(2, 4, false, false).unwrap();
        let got: Vec<_> = t.iter().map(|t| (t.lower, t.upper, t.upper_weight)).collect();
        assert_eq!(got, [(0, 0, 0), (0, 1, 512), (1, 1, 0), (1, 1, 512)]);
        // Half-pixel centres start before pixel 0: the lower bound clamps to 0 and the
        // negative position stays as a weight (both taps are pixel 0, so it cancels).
        let t = taps(2, 4, false, true).unwrap();
        assert_eq!((t[0].lower, t[0].upper, t[0].upper_weight), (0, 0, -256));
        // Corners aligned: the last output sits on the last input.
        let t = taps(3, 5, true, false).unwrap();
        assert_eq!((t[4].lower, t[4].upper, t[4].upper_weight), (2, 2, 0));
        // TFLM would read pixel 1 of a 1-pixel axis.
        assert!(taps(1, 2000, false, false).is_none());
    }

    #[test]
    fn input_regions_cover_every_tap() {
        let t = taps(7, 19, false, true).unwrap();
        let map = AxisMap::new(t.iter().map(|t| (t.lower, t.upper)).collect()).unwrap();
        let (input, output) = (Hwc { h: 7, w: 7, c: 1 }, Hwc { h: 19, w: 19, c: 1 });
        let k = ResizeBilinear { input, output, rows: t.clone(), cols: t, row_map: map.clone(), col_map: map };
        for a in 0..19 {
            for b in a + 1..=19 {
                let r = k.input_region(Region { y0: a, y1: b, x0: a, x1: b });
                for tap in &k.rows[a..b] {
                    assert!((r.y0..r.y1).contains(&tap.lower) && (r.y0..r.y1).contains(&tap.upper), "{a}..{b}: {r:?}");
                }
            }
        }
        assert_eq!(k.input_region(Region { y0: 0, y1: 19, x0: 0, x1: 19 }), Region::whole(7, 7));
        assert_eq!(k.input_region(Region { y0: 3, y1: 3, x0: 0, x1: 1 }).height(), 0);
    }
}
