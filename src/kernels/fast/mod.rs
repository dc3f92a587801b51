//! Fast paths of the convolutions, bit-exact with the scalar reference kernels beside them.
//!
//! One algorithm per kernel, written once over [`Lanes`]: eight int32 accumulators (one per
//! output channel), fed by `madd` — the sum of two int16 products per lane, exact in int32 —
//! and drained by a vectorised requantization that reproduces TFLite's
//! `MultiplyByQuantizedMultiplier` bit for bit. The backends: AVX2 on x86_64 (detected at run
//! time), simd128 on wasm32 (when compiled with it, as `.cargo/config.toml` does), and a
//! portable one everywhere. [`isa`] picks one; each kernel instantiates its algorithm for it,
//! the AVX2 instance inside a function compiled with AVX2 enabled.
//!
//! Why the results are exact: TFLite accumulates `bias + Σ f·(x − zp)` in int32. The fast
//! paths fold `bias − zp·Σf` once at prepare time and accumulate `Σ f·x`, the same value
//! modulo 2^32 (every sum wraps, as the reference's does). Taps in the padding, which the
//! reference skips, read the zero point instead: `f·(zp − zp) = 0`.
//!
//! The gemmlowp high multiply `(a·b + nudge) / 2^31` (nudge `2^30`, or `1 − 2^30` when
//! `a·b < 0`, truncating division) equals `⌊(a·b + 2^30) / 2^31⌋` for every `a·b`, which a
//! 64-bit add and a logical shift compute lane by lane.

pub mod depthwise;
pub mod elementwise;
pub mod gemm;

use crate::geometry::Region;
use crate::quant::OutputStage;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;

/// Eight int32 lanes in channel order, and the operations the fast kernels are made of.
///
/// # Safety
/// Every pointer must be valid for the bytes the method reads or writes; a backend's methods
/// may only be called when its instruction set is available ([`isa`] decides).
pub(crate) unsafe trait Lanes {
    /// Eight int32 accumulators.
    type Acc: Copy;
    /// Eight pairs of int16: the operands of `madd`.
    type Pairs: Copy;
    /// Whether the registers hold the matrix product's 2 × 4 tile of accumulators (two
    /// blocks of eight channels for four pixels) with its operands; otherwise it computes
    /// one block at a time.
    const WIDE: bool = true;

    unsafe fn zero() -> Self::Acc;
    unsafe fn zero_pairs() -> Self::Pairs;
    /// Eight int32 from `p`.
    unsafe fn load_acc(p: *const i32) -> Self::Acc;
    /// Sixteen int16 from `p`.
    unsafe fn load_pairs(p: *const i16) -> Self::Pairs;
    /// The two int16 at `p`, repeated in every pair.
    unsafe fn splat_pair(p: *const i16) -> Self::Pairs;
    /// Eight int8 from `a` and eight from `b`, widened and interleaved as pairs `(a[i], b[i])`.
    unsafe fn zip_i8(a: *const i8, b: *const i8) -> Self::Pairs;
    /// The sixteen int16 of `v` at `p`.
    unsafe fn store_pairs(p: *mut i16, v: Self::Pairs);
    /// Sixteen int8 from `src`, widened to int16 at `dst`.
    unsafe fn widen16(src: *const i8, dst: *mut i16);
    /// Eight int8 from `src`, widened to int16 at `dst`.
    unsafe fn widen8(src: *const i8, dst: *mut i16);
    /// `acc[i] + a[2i]·b[2i] + a[2i+1]·b[2i+1]`, wrapping.
    unsafe fn madd(acc: Self::Acc, a: Self::Pairs, b: Self::Pairs) -> Self::Acc;
    unsafe fn add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Eight int8 from `p`, each `(p[i] + offset) << shift` (no overflow: ADD's inputs).
    unsafe fn load_i8_shifted(p: *const i8, offset: i32, shift: i32) -> Self::Acc;
    /// `MultiplyByQuantizedMultiplier` with channels `c..c + 8`'s multipliers of `stage`.
    unsafe fn rescale(acc: Self::Acc, stage: &LaneStage, c: usize) -> Self::Acc;
    /// Requantizes channels `c..c + 8` of `stage` (rescale, offset, clamp) and stores the
    /// eight int8 at `out`.
    unsafe fn requantize_store(acc: Self::Acc, stage: &LaneStage, c: usize, out: *mut i8);
}

/// Whether `outer` holds every pixel of `inner` (an empty `inner` holds none).
pub(crate) fn covers(outer: Region, inner: Region) -> bool {
    inner.area() == 0 || (inner.y0 >= outer.y0 && inner.y1 <= outer.y1 && inner.x0 >= outer.x0 && inner.x1 <= outer.x1)
}

/// The instruction sets the fast paths run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512 with its 8-bit dot products (VNNI) for the matrix product, sixteen lanes for
    /// ADD and depthwise output rows; the rest runs the AVX2 instance.
    #[cfg(target_arch = "x86_64")]
    Avx512Vnni,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128,
}

impl Isa {
    /// The CPU features each kernel runs on with this instruction set.
    pub fn features(self) -> &'static str {
        match self {
            Isa::Portable => "portable Rust (no vector instructions named)",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => "AVX2: conv/FC vpmaddwd on int16 pairs, depthwise and add 8 lanes",
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni => {
                "AVX-512 F/BW/VL + VNNI: conv/FC vpdpbusd on u8×s8 quads, add and depthwise rows \
                 16 lanes (depthwise ring built on AVX2; short depthwise regions vpdpwssd straight \
                 from int8)"
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => "wasm simd128: 8 lanes in two registers",
        }
    }
}

/// Every instruction set this machine can run the fast paths on, the best last: the tests
/// run each of them, so AVX2 stays tested on a machine with AVX-512.
pub fn available() -> Vec<Isa> {
    #[allow(unused_mut)]
    let mut all = vec![Isa::Portable];
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            all.push(Isa::Avx2);
        }
        if avx512::detected() {
            all.push(Isa::Avx512Vnni);
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    all.push(Isa::Simd128);
    all
}

/// The best instruction set this machine has, detected once: every kernel call asks, and a
/// cached stage's one-row steps make hundreds of calls an inference.
#[inline]
pub fn isa() -> Isa {
    static BEST: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
    *BEST.get_or_init(detect)
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if avx512::detected() {
            return Isa::Avx512Vnni;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return Isa::Simd128;
    #[allow(unreachable_code)]
    Isa::Portable
}

/// An output stage laid out for eight (or, with AVX-512, sixteen) lanes at a time:
/// per-channel parameters padded to a multiple of sixteen channels.
#[derive(Debug, Clone)]
pub struct LaneStage {
    pub multiplier: Vec<i32>,
    /// `max(shift, 0)`
    pub left: Vec<i32>,
    /// `max(−shift, 0)`
    pub right: Vec<i32>,
    /// `2^right − 1`
    pub mask: Vec<i32>,
    /// `2^left`: simd128 shifts all lanes alike, so the left shift is a multiply.
    #[cfg(target_arch = "wasm32")]
    pub left_power: Vec<i32>,
    /// `2^(30 − right)`, or 0 for a right shift of 31: the right shift as a 32 × 32 → 64-bit
    /// multiply and a shift of every lane by 30.
    #[cfg(target_arch = "wasm32")]
    pub right_power: Vec<i32>,
    /// −1 (all ones) where the right shift is 31, which `right_power` cannot express.
    #[cfg(target_arch = "wasm32")]
    pub right_31: Vec<i32>,
    /// `mask >> 1`, the rounding threshold of a non-negative value.
    #[cfg(target_arch = "wasm32")]
    pub half: Vec<i32>,
    /// Whether any channel shifts left (else simd128 skips the multiply by `left_power`).
    #[cfg(target_arch = "wasm32")]
    pub shifts_left: bool,
    /// Whether any channel shifts right by 31, which `right_power` cannot express (below
    /// 2^-31·0.5… TFLite's smallest multipliers; else simd128 divides with one multiply).
    #[cfg(target_arch = "wasm32")]
    pub shifts_right_31: bool,
    pub offset: i32,
    pub min: i32,
    pub max: i32,
}

impl LaneStage {
    pub fn new(stage: &OutputStage) -> LaneStage {
        let padded = stage.requant.len().div_ceil(16) * 16;
        let field = |f: &dyn Fn(crate::quant::Requant) -> i32| {
            let mut v: Vec<i32> = stage.requant.iter().map(|&r| f(r)).collect();
            v.resize(padded, 0);
            v
        };
        LaneStage {
            multiplier: field(&|r| r.multiplier),
            left: field(&|r| r.shift.max(0)),
            right: field(&|r| (-r.shift).max(0)),
            mask: field(&|r| ((1i64 << (-r.shift).max(0)) - 1) as i32),
            #[cfg(target_arch = "wasm32")]
            left_power: field(&|r| 1 << r.shift.max(0)),
            #[cfg(target_arch = "wasm32")]
            right_power: field(&|r| 30u32.checked_sub((-r.shift).max(0) as u32).map_or(0, |e| 1 << e)),
            #[cfg(target_arch = "wasm32")]
            right_31: field(&|r| -i32::from(r.shift == -31)),
            #[cfg(target_arch = "wasm32")]
            half: field(&|r| (((1i64 << (-r.shift).max(0)) - 1) >> 1) as i32),
            #[cfg(target_arch = "wasm32")]
            shifts_left: stage.requant.iter().any(|r| r.shift > 0),
            #[cfg(target_arch = "wasm32")]
            shifts_right_31: stage.requant.iter().any(|r| r.shift == -31),
            offset: stage.offset,
            min: stage.min,
            max: stage.max,
        }
    }
}

/// The backend for any target: plain arrays, which compilers vectorise where they can.
pub(crate) struct Portable;

unsafe impl Lanes for Portable {
    type Acc = [i32; 8];
    type Pairs = [i16; 16];

    #[inline(always)]
    unsafe fn zero() -> [i32; 8] {
        [0; 8]
    }
    #[inline(always)]
    unsafe fn zero_pairs() -> [i16; 16] {
        [0; 16]
    }
    #[inline(always)]
    unsafe fn load_acc(p: *const i32) -> [i32; 8] {
        p.cast::<[i32; 8]>().read_unaligned()
    }
    #[inline(always)]
    unsafe fn load_pairs(p: *const i16) -> [i16; 16] {
        p.cast::<[i16; 16]>().read_unaligned()
    }
    #[inline(always)]
    unsafe fn splat_pair(p: *const i16) -> [i16; 16] {
        let (a, b) = (*p, *p.add(1));
        std::array::from_fn(|i| if i % 2 == 0 { a } else { b })
    }
    #[inline(always)]
    unsafe fn zip_i8(a: *const i8, b: *const i8) -> [i16; 16] {
        std::array::from_fn(|i| i16::from(*if i % 2 == 0 { a } else { b }.add(i / 2)))
    }
    #[inline(always)]
    unsafe fn store_pairs(p: *mut i16, v: [i16; 16]) {
        p.cast::<[i16; 16]>().write_unaligned(v)
    }
    #[inline(always)]
    unsafe fn widen16(src: *const i8, dst: *mut i16) {
        for i in 0..16 {
            *dst.add(i) = i16::from(*src.add(i));
        }
    }
    #[inline(always)]
    unsafe fn widen8(src: *const i8, dst: *mut i16) {
        for i in 0..8 {
            *dst.add(i) = i16::from(*src.add(i));
        }
    }
    #[inline(always)]
    unsafe fn madd(acc: [i32; 8], a: [i16; 16], b: [i16; 16]) -> [i32; 8] {
        std::array::from_fn(|i| {
            let pair = i32::from(a[2 * i]) * i32::from(b[2 * i]) + i32::from(a[2 * i + 1]) * i32::from(b[2 * i + 1]);
            acc[i].wrapping_add(pair)
        })
    }
    #[inline(always)]
    unsafe fn add(a: [i32; 8], b: [i32; 8]) -> [i32; 8] {
        std::array::from_fn(|i| a[i].wrapping_add(b[i]))
    }
    #[inline(always)]
    unsafe fn load_i8_shifted(p: *const i8, offset: i32, shift: i32) -> [i32; 8] {
        std::array::from_fn(|i| (i32::from(*p.add(i)) + offset) << shift)
    }
    #[inline(always)]
    unsafe fn rescale(acc: [i32; 8], stage: &LaneStage, c: usize) -> [i32; 8] {
        std::array::from_fn(|i| {
            let r = crate::quant::Requant {
                multiplier: stage.multiplier[c + i],
                shift: stage.left[c + i] - stage.right[c + i],
            };
            r.apply(acc[i])
        })
    }
    #[inline(always)]
    unsafe fn requantize_store(acc: [i32; 8], stage: &LaneStage, c: usize, out: *mut i8) {
        for (i, &a) in Self::rescale(acc, stage, c).iter().enumerate() {
            *out.add(i) = (a + stage.offset).clamp(stage.min, stage.max) as i8;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod testing {
    //! What the fast-path proptests share: a fixed seed and random output stages.
    use crate::quant::OutputStage;
    use crate::quant::Requant;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// A fixed seed keeps CI deterministic; PROPTEST_RNG_SEED=random (or a number) explores.
    pub fn config(cases: u32) -> ProptestConfig {
        let rng_seed = match std::env::var("PROPTEST_RNG_SEED").ok().as_deref() {
            Some("random") => RngSeed::Random,
            Some(n) => RngSeed::Fixed(n.parse().expect("PROPTEST_RNG_SEED is a number or 'random'")),
            None => RngSeed::Fixed(0x6661_7374),
        };
        ProptestConfig { cases, rng_seed, failure_persistence: None, ..ProptestConfig::default() }
    }

    /// Per-channel multipliers from 2^-38 (below TFLite's 2^-31 floor: zero) to 2^1.5 (a
    /// left shift), any output zero point and clamp.
    pub fn stage(channels: usize) -> impl Strategy<Value = OutputStage> {
        (proptest::collection::vec(-38.0f64..1.5, channels), -128i32..=127, -128i32..=127, -128i32..=127).prop_map(
            |(exponents, offset, a, b)| OutputStage {
                requant: exponents.into_iter().map(|e| Requant::new(2f64.powf(e))).collect(),
                offset,
                min: a.min(b),
                max: a.max(b),
            },
        )
    }

    /// Any int8 values.
    pub fn bytes(n: usize) -> impl Strategy<Value = Vec<i8>> {
        proptest::collection::vec(any::<i8>(), n)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Requantizes `acc` (one accumulator a channel of `lanes`) on `isa`, as many lanes at
    /// a time as its kernels do.
    fn requantize_on(isa: Isa, lanes: &LaneStage, acc: &[i32]) -> Vec<i8> {
        let n = acc.len();
        let mut padded = acc.to_vec();
        padded.resize(n.div_ceil(16) * 16, 0);
        let mut got = vec![0i8; padded.len()];
        let (src, dst) = (padded.as_ptr(), got.as_mut_ptr());
        // SAFETY: `padded`, `got` and the lane stage hold a multiple of sixteen channels;
        // `isa` is available.
        unsafe {
            match isa {
                Isa::Portable => {
                    for c in (0..n).step_by(8) {
                        Portable::requantize_store(Portable::load_acc(src.add(c)), lanes, c, dst.add(c));
                    }
                }
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => {
                    for c in (0..n).step_by(8) {
                        avx2::Avx2::requantize_store(avx2::Avx2::load_acc(src.add(c)), lanes, c, dst.add(c));
                    }
                }
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512Vnni => {
                    for c in (0..n).step_by(16) {
                        let acc = std::arch::x86_64::_mm512_loadu_si512(src.add(c).cast());
                        avx512::requantize_store(acc, lanes, c, dst.add(c), (n - c).min(16));
                    }
                }
            }
        }
        got.truncate(n);
        got
    }

    proptest! {
        #![proptest_config(testing::config(2000))]

        /// The lanes requantize exactly as `OutputStage::apply`, for any accumulator.
        #[test]
        fn requantize_matches_output_stage(
            (stage, acc) in (1usize..=40).prop_flat_map(|n| (testing::stage(n), proptest::collection::vec(any::<i32>(), n)))
        ) {
            let lanes = LaneStage::new(&stage);
            let expected: Vec<i8> = acc.iter().enumerate().map(|(c, &a)| stage.apply(a, c)).collect();
            for isa in available() {
                prop_assert_eq!(requantize_on(isa, &lanes, &acc), expected.clone(), "{:?}", isa);
            }
        }
    }

    #[test]
    fn requantize_extremes() {
        let stage = OutputStage {
            requant: [1e-12, 2f64.powi(-31), 0.5, 0.999_999_999, 1.0, 1.7, 2.5, 1e-3]
                .iter()
                .cycle()
                .take(16)
                .map(|&r| crate::quant::Requant::new(r))
                .collect(),
            offset: -3,
            min: -128,
            max: 127,
        };
        let lanes = LaneStage::new(&stage);
        for acc in [i32::MIN, i32::MIN + 1, -(1 << 30) - 1, -3, -1, 0, 1, 3, 1 << 30, i32::MAX] {
            let expected: Vec<i8> = (0..16).map(|c| stage.apply(acc, c)).collect();
            for isa in available() {
                assert_eq!(requantize_on(isa, &lanes, &[acc; 16]), expected, "{isa:?} acc {acc}");
            }
        }
    }

    /// The instruction sets the tests run include every backend this machine has, AVX2
    /// beside AVX-512.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn every_backend_is_tested() {
        let all = available();
        if std::arch::is_x86_feature_detected!("avx2") {
            assert!(all.contains(&Isa::Avx2));
        }
        assert_eq!(avx512::detected(), all.contains(&Isa::Avx512Vnni));
        assert_eq!(all.last(), Some(&isa()));
    }
}
