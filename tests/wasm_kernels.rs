#![cfg(target_arch = "wasm32")]
//! The simd128 fast paths in a real browser (wasm-bindgen-test, headless Chromium): every
//! convolution, depthwise convolution (also in place), ADD, MEAN and FULLY_CONNECTED layer of
//! the VWW person detector and of MobileNetV2-0.35 @96, on pseudo-random inputs, over the
//! whole map and over tiles read from views of just the region they need, byte for byte
//! against the scalar reference kernels. (The native proptests cover AVX2 and the portable
//! lanes; this is where simd128 runs.)

use mcupatch::geometry::{Fmap, FmapMut, Hwc, Region};
use mcupatch::kernels::fast::gemm::Gemm;
use mcupatch::kernels::fast::LaneStage;
use mcupatch::kernels::Kernel;
use mcupatch::quant::{OutputStage, Requant};
use mcupatch::{model, zoo};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const VWW: &[u8] = include_bytes!("../models/visual_wake_words.tflite");

/// Deterministic pseudo-random int8 values.
fn bytes(n: usize, seed: u64) -> Vec<i8> {
    (0..n as u64).map(|i| ((i ^ seed).wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as i8).collect()
}

/// `region` of a whole map `data`, as a view of just that region.
fn crop(data: &[i8], map: Hwc, region: Region) -> Vec<i8> {
    (region.y0..region.y1)
        .flat_map(|y| {
            let start = (y * map.w + region.x0) * map.c;
            data[start..start + region.width() * map.c].iter().copied()
        })
        .collect()
}

/// The whole output, a tile in the top-left corner, one in the middle, a ragged one at the
/// bottom-right edge, and a single pixel.
fn regions(out: Hwc) -> Vec<Region> {
    let (h, w) = (out.h, out.w);
    vec![
        Region::whole(h, w),
        Region { y0: 0, y1: h.div_ceil(3), x0: 0, x1: w.div_ceil(3) },
        Region { y0: h / 3, y1: (2 * h).div_ceil(3), x0: w / 3, x1: (2 * w).div_ceil(3) },
        Region { y0: h / 2, y1: h, x0: w / 2 + w / 5, x1: w },
        Region { y0: h - 1, y1: h, x0: w / 2, x1: w / 2 + 1 },
    ]
}

/// Every fast path of `graph`'s kernels against its reference; returns how many were checked.
fn check(graph: &model::Graph) -> usize {
    let kernels = Kernel::prepare_all(graph).unwrap();
    let mut checked = 0;
    for (i, kernel) in kernels.iter().enumerate() {
        let seed = i as u64 * 7919;
        match kernel {
            Kernel::Conv2d(k) => {
                let x = bytes(k.input.elements(), seed);
                for region in regions(k.output) {
                    let held = k.window.input_region(region);
                    let view = crop(&x, k.input, held);
                    let input = Fmap { data: &view, region: held, channels: k.input.c };
                    let n = region.area() * k.output.c;
                    let (mut fast, mut reference) = (vec![0i8; n], vec![0i8; n]);
                    k.eval(&input, &mut FmapMut { data: &mut fast, region, channels: k.output.c }, region);
                    k.eval_reference(
                        &input,
                        &mut FmapMut { data: &mut reference, region, channels: k.output.c },
                        region,
                    );
                    assert_eq!(fast, reference, "op {i} CONV_2D, region {region:?}");
                }
                checked += 1;
            }
            Kernel::DepthwiseConv2d(k) => {
                let x = bytes(k.input.elements(), seed);
                for region in regions(k.output) {
                    let held = k.window.input_region(region);
                    let view = crop(&x, k.input, held);
                    let input = Fmap { data: &view, region: held, channels: k.input.c };
                    let n = region.area() * k.output.c;
                    let (mut fast, mut reference) = (vec![0i8; n], vec![0i8; n]);
                    k.eval(&input, &mut FmapMut { data: &mut fast, region, channels: k.output.c }, region);
                    k.eval_reference(
                        &input,
                        &mut FmapMut { data: &mut reference, region, channels: k.output.c },
                        region,
                    );
                    assert_eq!(fast, reference, "op {i} DEPTHWISE_CONV_2D, region {region:?}");
                    if k.depth_multiplier == 1 && region.area() <= held.area() {
                        let (mut buf, mut temp) = (view.clone(), vec![0i8; held.area()]);
                        k.eval_in_place(&mut buf, held, region, &mut temp);
                        assert_eq!(&buf[..n], &reference[..], "op {i} in place, region {region:?}");
                    }
                }
                checked += 1;
            }
            Kernel::Add(k) => {
                let m = k.map;
                let (a, b) = (bytes(m.elements(), seed), bytes(m.elements(), !seed));
                let whole = m.whole();
                let (mut fast, mut reference) = (vec![0i8; m.elements()], vec![0i8; m.elements()]);
                k.eval(&m.view(&a), &m.view(&b), &mut m.view_mut(&mut fast), whole);
                k.eval_reference(&m.view(&a), &m.view(&b), &mut m.view_mut(&mut reference), whole);
                assert_eq!(fast, reference, "op {i} ADD");
                let mut in_place = b.clone();
                k.eval_in_place(&m.view(&a), &mut m.view_mut(&mut in_place), 1, whole);
                assert_eq!(in_place, reference, "op {i} ADD in place");
                checked += 1;
            }
            Kernel::Mean(k) => {
                let x = bytes(k.input.elements(), seed);
                let (mut fast, mut reference) = (vec![0i8; k.input.c], vec![0i8; k.input.c]);
                k.eval(&x, &mut fast);
                k.eval_reference(&x, &mut reference);
                assert_eq!(fast, reference, "op {i} MEAN");
                checked += 1;
            }
            Kernel::FullyConnected(k) => {
                let x = bytes(k.batches * k.depth, seed);
                let (mut fast, mut reference) = (vec![0i8; k.batches * k.units], vec![0i8; k.batches * k.units]);
                k.eval(&x, &mut fast);
                k.eval_reference(&x, &mut reference);
                assert_eq!(fast, reference, "op {i} FULLY_CONNECTED");
                checked += 1;
            }
            _ => {}
        }
    }
    checked
}

#[wasm_bindgen_test]
fn vww_fast_paths_match_the_reference_in_simd128() {
    let graph = model::load(VWW).unwrap();
    assert!(check(&graph) >= 28, "every conv, depthwise and fully connected layer");
}

#[wasm_bindgen_test]
fn mobilenet_v2_fast_paths_match_the_reference_in_simd128() {
    let graph = zoo::Arch::MobileNetV2 { width: 0.35, resolution: 96 }.build();
    assert!(check(&graph) > 50, "convs, depthwise convs, adds, the mean and the classifier");
}

/// simd128's requantization (the one every fast path drains through) equals
/// `OutputStage::apply` for multipliers from zero through every right shift (0 to 31) to a
/// left shift, on extreme and pseudo-random accumulators, under output offsets and clamps at
/// int8's ends: a matrix product of zeros leaves the bias as the accumulator. The multipliers
/// come in three sets, one per way simd128 divides: with a right shift of 31 among them
/// (two multiplies), without (one), and without left shifts either (no multiply before).
#[wasm_bindgen_test]
fn requantization_matches_the_output_stage_in_simd128() {
    let exponents = |from: f64, count: u32| -> Vec<Requant> {
        // A zero multiplier first (as TFLite makes those under 2^-31).
        let zero = std::iter::once(Requant::new(0.0));
        zero.chain((0..count).map(|i| Requant::new(2f64.powf(from + f64::from(i) * 0.25)))).collect()
    };
    let extremes = [i32::MIN, i32::MIN + 1, -(1 << 30) - 1, -(1 << 30), -3, -1, 0, 1, 3, 1 << 30, i32::MAX];
    let noise: Vec<i32> = bytes(400, 17)
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8]))
        .collect();
    // Accumulators of every size, each rounding boundary of some shift among them.
    let scaled: Vec<i32> = noise.iter().enumerate().map(|(i, &a)| a >> (i % 32)).collect();
    for (requant, right_31, left) in [
        (exponents(-34.5, 144), true, true),
        (exponents(-30.75, 128), false, true),
        (exponents(-30.75, 123), false, false),
    ] {
        let shifts: std::collections::BTreeSet<i32> = requant.iter().map(|r| r.shift).collect();
        assert_eq!(shifts.contains(&-31), right_31, "{shifts:?}");
        assert_eq!(shifts.iter().any(|&s| s > 0), left, "{shifts:?}");
        assert!(shifts.contains(&-30) && shifts.contains(&0), "{shifts:?}");
        let channels = requant.len();
        for (offset, min, max) in [(-7, -128, 127), (-128, -128, 127), (127, -128, 127), (0, 0, 127), (5, -20, 35)] {
            let stage = OutputStage { requant: requant.clone(), offset, min, max };
            let lanes = LaneStage::new(&stage);
            assert_eq!((lanes.shifts_right_31, lanes.shifts_left), (right_31, left));
            for &acc in extremes.iter().chain(&noise).chain(&scaled) {
                let gemm = Gemm::new(&vec![0; channels * 2], &vec![acc; channels], channels, 0, &stage).unwrap();
                let mut got = vec![0i8; channels];
                gemm.eval_rows(&[0, 0], &mut got);
                let expected: Vec<i8> = (0..channels).map(|c| stage.apply(acc, c)).collect();
                assert_eq!(got, expected, "accumulator {acc}, offset {offset}, clamp {min}..={max}");
            }
        }
    }
}
