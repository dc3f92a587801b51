//! ADD of two int8 maps of the same shape with different scales
//! (TFLM `reference_integer_ops::Add`: both inputs rescaled to a common 2^20 fixed point).

use super::add_sub::AddSub;
use super::fast::elementwise::AddLanes;
use super::fast::{isa, Isa};
use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{elementwise_map, Fmap, FmapMut, Hwc, Region};
use crate::model::Activation;

#[derive(Debug, Clone)]
pub struct Add {
    /// The map the element-wise sum runs over (a 1×1×N map for tensors of other ranks).
    pub map: Hwc,
    /// The tensors are [1, H, W, C] maps, so the sum can run region by region.
    pub spatial: bool,
    /// The arithmetic of one element (the scalar reference's).
    arithmetic: AddSub,
    /// The fast path, eight elements at a time (every ADD takes it).
    lanes: AddLanes,
}

impl Add {
    pub fn prepare(cx: &Ctx, activation: Activation) -> Result<Add> {
        cx.expect_io(2..=2, 1)?;
        let (a, b, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (aq, bq, yq) =
            (cx.int8_activation(a, "input 0")?, cx.int8_activation(b, "input 1")?, cx.int8_activation(y, "output")?);
        if a.shape != b.shape || a.shape != y.shape {
            return Err(
                cx.err(format!("broadcasting is not supported: shapes {:?} + {:?} -> {:?}", a.shape, b.shape, y.shape))
            );
        }
        // Element-wise ops see any shape as a 1×1×N map, so a region is a span of elements.
        let (map, spatial) = elementwise_map(&y.shape);
        let arithmetic = AddSub::add([aq, bq], yq, activation);
        Ok(Add { map, spatial, lanes: arithmetic.lanes(), arithmetic })
    }

    #[inline(always)]
    fn add(&self, a: i8, b: i8) -> i8 {
        self.arithmetic.apply(a, b)
    }

    /// Computes `region` of the output from inputs that cover it, row by row through the
    /// fast path, the last few elements of a row through [`Add::add`].
    pub fn eval(&self, a: &Fmap<i8>, b: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        self.eval_on(isa(), a, b, out, region)
    }

    /// [`Add::eval`] on instruction set `isa`, which must be available.
    pub fn eval_on(&self, isa: Isa, a: &Fmap<i8>, b: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            let (ra, rb) = (row(a.data, a.region, a.channels, y, region), row(b.data, b.region, b.channels, y, region));
            let ro = row_mut(out, y, region);
            let done = self.lanes.eval_on(isa, ra, rb, ro);
            for ((o, &va), &vb) in ro[done..].iter_mut().zip(&ra[done..]).zip(&rb[done..]) {
                *o = self.add(va, vb);
            }
        }
    }

    /// Computes `region` in place over input `kept` (0 or 1), which `buf` holds for exactly
    /// that region: each element is read from both inputs just before its sum replaces it.
    pub fn eval_in_place(&self, other: &Fmap<i8>, buf: &mut FmapMut<i8>, kept: usize, region: Region) {
        self.eval_in_place_on(isa(), other, buf, kept, region)
    }

    /// [`Add::eval_in_place`] on instruction set `isa`, which must be available.
    pub fn eval_in_place_on(&self, isa: Isa, other: &Fmap<i8>, buf: &mut FmapMut<i8>, kept: usize, region: Region) {
        for y in region.y0..region.y1 {
            let ro = row(other.data, other.region, other.channels, y, region);
            let rb = row_mut(buf, y, region);
            let done = self.lanes.eval_in_place_on(isa, rb, ro, kept);
            for (o, &v) in rb[done..].iter_mut().zip(&ro[done..]) {
                *o = if kept == 0 { self.add(*o, v) } else { self.add(v, *o) };
            }
        }
    }

    /// The scalar reference: TFLM's loop, which the fast path must match byte for byte.
    pub fn eval_reference(&self, a: &Fmap<i8>, b: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let (pa, pb) = (a.pixel(y, x), b.pixel(y, x));
                for ((o, &va), &vb) in out.pixel_mut(y, x).iter_mut().zip(pa).zip(pb) {
                    *o = self.add(va, vb);
                }
            }
        }
    }
}

/// Row `y` of `region`'s columns in a view of `held` (channels innermost): one span.
fn row(data: &[i8], held: Region, channels: usize, y: usize, region: Region) -> &[i8] {
    let start = ((y - held.y0) * held.width() + (region.x0 - held.x0)) * channels;
    &data[start..start + region.width() * channels]
}

fn row_mut<'a>(view: &'a mut FmapMut<i8>, y: usize, region: Region) -> &'a mut [i8] {
    let (held, channels) = (view.region, view.channels);
    let start = ((y - held.y0) * held.width() + (region.x0 - held.x0)) * channels;
    &mut view.data[start..start + region.width() * channels]
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::kernels::fast::available;
    use proptest::prelude::*;

    fn add(scales: [f64; 3], zero_points: [i32; 3], (min, max): (i32, i32), map: Hwc) -> Add {
        let q = |i: usize| crate::model::Quant {
            scales: vec![scales[i] as f32],
            zero_points: vec![i64::from(zero_points[i])],
            axis: 0,
        };
        let arithmetic = AddSub::add([&q(0), &q(1)], &q(2), Activation::None).clamped(min, max);
        Add { map, spatial: true, lanes: arithmetic.lanes(), arithmetic }
    }

    proptest! {
        #![proptest_config(crate::kernels::fast::testing::config(500))]

        /// Any region of any ADD (scales a thousandfold apart, any zero points and clamp):
        /// the fast path, in place over either input too, equals the reference byte for
        /// byte on every instruction set.
        #[test]
        fn fast_path_matches_reference(
            (h, w, c) in (1usize..=6, 1usize..=9, 1usize..=21),
            scales in proptest::array::uniform3(-10.0f64..0.0),
            zero_points in proptest::array::uniform3(-128i32..=127),
            clamp in (-128i32..=127, -128i32..=127),
            seed in any::<u64>(),
            corners in (0usize..6, 0usize..6, 0usize..9, 0usize..9),
        ) {
            let map = Hwc { h, w, c };
            let k = add(scales.map(|e| 2f64.powf(e)), zero_points, (clamp.0.min(clamp.1), clamp.0.max(clamp.1)), map);
            let bytes = |salt: u64| -> Vec<i8> {
                (0..map.elements() as u64).map(|i| ((i ^ salt).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as i8).collect()
            };
            let (a, b) = (bytes(seed), bytes(!seed));
            let (y0, y1) = (corners.0 % h, corners.1 % h);
            let (x0, x1) = (corners.2 % w, corners.3 % w);
            let region = Region { y0: y0.min(y1), y1: y0.max(y1) + 1, x0: x0.min(x1), x1: x0.max(x1) + 1 };
            let mut expected = vec![0i8; map.elements()];
            k.eval_reference(&map.view(&a), &map.view(&b), &mut map.view_mut(&mut expected), region);
            for isa in available() {
            let mut got = vec![0i8; map.elements()];
            k.eval_on(isa, &map.view(&a), &map.view(&b), &mut map.view_mut(&mut got), region);
            prop_assert_eq!(&got, &expected, "{:?}", isa);
            for kept in 0..2 {
                let mut buf = if kept == 0 { a.clone() } else { b.clone() };
                let other = if kept == 0 { &b } else { &a };
                k.eval_in_place_on(isa, &map.view(other), &mut map.view_mut(&mut buf), kept, region);
                let inside = |i: usize| {
                    let (y, x) = (i / c / w, i / c % w);
                    region.y0 <= y && y < region.y1 && region.x0 <= x && x < region.x1
                };
                let want: Vec<i8> = (0..buf.len()).map(|i| if inside(i) { expected[i] } else { [&a, &b][kept][i] }).collect();
                prop_assert_eq!(&buf, &want, "in place over input {}, {:?}", kept, isa);
            }
            }
        }
    }
}
