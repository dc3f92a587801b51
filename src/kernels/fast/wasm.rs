//! The simd128 backend: two 128-bit registers hold the eight accumulators. simd128 shifts
//! every lane by one amount, so the per-channel shifts of requantization are multiplies.

use super::{LaneStage, Lanes};
use std::arch::wasm32::*;

pub(crate) struct Simd128;

unsafe impl Lanes for Simd128 {
    type Acc = (v128, v128);
    type Pairs = (v128, v128);
    /// Two registers per accumulator: 16 for the wide tile, more than x86's 16 vector
    /// registers with the operands, which V8 then spills.
    const WIDE: bool = false;

    #[inline(always)]
    unsafe fn zero() -> (v128, v128) {
        (i32x4_splat(0), i32x4_splat(0))
    }
    #[inline(always)]
    unsafe fn zero_pairs() -> (v128, v128) {
        (i32x4_splat(0), i32x4_splat(0))
    }
    #[inline(always)]
    unsafe fn load_acc(p: *const i32) -> (v128, v128) {
        (v128_load(p.cast()), v128_load(p.add(4).cast()))
    }
    #[inline(always)]
    unsafe fn load_pairs(p: *const i16) -> (v128, v128) {
        (v128_load(p.cast()), v128_load(p.add(8).cast()))
    }
    #[inline(always)]
    unsafe fn splat_pair(p: *const i16) -> (v128, v128) {
        let v = v128_load32_splat(p.cast());
        (v, v)
    }
    #[inline(always)]
    unsafe fn zip_i8(a: *const i8, b: *const i8) -> (v128, v128) {
        let (a, b) = (i16x8_load_extend_i8x8(a), i16x8_load_extend_i8x8(b));
        (i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b), i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b))
    }
    #[inline(always)]
    unsafe fn store_pairs(p: *mut i16, v: (v128, v128)) {
        v128_store(p.cast(), v.0);
        v128_store(p.add(8).cast(), v.1);
    }
    #[inline(always)]
    unsafe fn widen16(src: *const i8, dst: *mut i16) {
        Self::widen8(src, dst);
        Self::widen8(src.add(8), dst.add(8));
    }
    #[inline(always)]
    unsafe fn widen8(src: *const i8, dst: *mut i16) {
        v128_store(dst.cast(), i16x8_load_extend_i8x8(src));
    }
    #[inline(always)]
    unsafe fn madd(acc: (v128, v128), a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
        (i32x4_add(acc.0, i32x4_dot_i16x8(a.0, b.0)), i32x4_add(acc.1, i32x4_dot_i16x8(a.1, b.1)))
    }
    #[inline(always)]
    unsafe fn add(a: (v128, v128), b: (v128, v128)) -> (v128, v128) {
        (i32x4_add(a.0, b.0), i32x4_add(a.1, b.1))
    }
    #[inline(always)]
    unsafe fn load_i8_shifted(p: *const i8, offset: i32, shift: i32) -> (v128, v128) {
        let x = i16x8_load_extend_i8x8(p);
        let off = i32x4_splat(offset);
        let widened = |v: v128| i32x4_shl(i32x4_add(v, off), shift as u32);
        (widened(i32x4_extend_low_i16x8(x)), widened(i32x4_extend_high_i16x8(x)))
    }
    #[inline(always)]
    unsafe fn rescale(acc: (v128, v128), stage: &LaneStage, c: usize) -> (v128, v128) {
        (rescale4(acc.0, stage, c, 0), rescale4(acc.1, stage, c + 4, 0))
    }
    #[inline(always)]
    unsafe fn requantize_store(acc: (v128, v128), stage: &LaneStage, c: usize, out: *mut i8) {
        let (low, high) = (rescale4(acc.0, stage, c, stage.offset), rescale4(acc.1, stage, c + 4, stage.offset));
        let words = i16x8_narrow_i32x4(low, high);
        // The clamp after the saturating narrowing, on all eight at once: the same int8.
        let bound = |b: i32| i8x16_splat(b.clamp(-128, 127) as i8);
        let bytes = i8x16_min(i8x16_max(i8x16_narrow_i16x8(words, words), bound(stage.min)), bound(stage.max));
        v128_store64_lane::<0>(bytes, out.cast());
    }
}

/// Channels `c..c + 4`, as [`crate::quant::Requant::apply`], plus `offset` (wrapping). Every
/// step is a lane-wise operation x86 has (V8 emulates 64-bit multiplies and arithmetic
/// shifts): the 64-bit products come from 32 × 32-bit widening multiplies and are shifted
/// logically, their low halves kept.
#[inline(always)]
unsafe fn rescale4(acc: v128, stage: &LaneStage, c: usize, offset: i32) -> v128 {
    let load = |v: &[i32]| v128_load(v.as_ptr().add(c).cast());
    let low_halves = |low: v128, high: v128| i32x4_shuffle::<0, 2, 4, 6>(low, high);
    // The wrapping left shift, as a multiply by 2^left.
    let x = if stage.shifts_left { i32x4_mul(acc, load(&stage.left_power)) } else { acc };
    let multiplier = load(&stage.multiplier);
    let nudge = i64x2_splat(1 << 30);
    let low = u64x2_shr(i64x2_add(i64x2_extmul_low_i32x4(x, multiplier), nudge), 31);
    let high = u64x2_shr(i64x2_add(i64x2_extmul_high_i32x4(x, multiplier), nudge), 31);
    let product = low_halves(low, high);
    let power = load(&stage.right_power);
    let negative = i32x4_shr(product, 31);
    if stage.shifts_right_31 {
        // ⌊product / 2^right⌋: bits 30 and up of product · 2^(30 − right), exact in 62 bits;
        // for a right shift of 31 (power 0) the sign. Then rounding half away from zero.
        let low = u64x2_shr(i64x2_extmul_low_i32x4(product, power), 30);
        let high = u64x2_shr(i64x2_extmul_high_i32x4(product, power), 30);
        let floor = v128_or(low_halves(low, high), v128_and(negative, load(&stage.right_31)));
        let remainder = v128_and(product, load(&stage.mask));
        let threshold = i32x4_sub(load(&stage.half), negative);
        return i32x4_add(i32x4_sub(floor, i32x4_gt(remainder, threshold)), i32x4_splat(offset));
    }
    // Rounding half away from zero is ⌊(p + 2^(right − 1)) / 2^right⌋ with p the product, one
    // less where it is negative and the right shift positive (a power under 2^30); the product
    // is above −2^31, so p fits in int32. Times 2^(30 − right) that is p · 2^(30 − right) + 2^29,
    // exact in 62 bits, whose bits 30 and up are the result (2^29 adds nothing to an unshifted
    // p), and whose bits 30 to 61 are the result plus `offset` wrapped once `offset · 2^30` is
    // added.
    let rounds_down = v128_and(negative, i32x4_gt(i32x4_splat(1 << 30), power));
    let p = i32x4_add(product, rounds_down);
    let addend = i64x2_splat((1 << 29) + (i64::from(offset) << 30));
    let low = u64x2_shr(i64x2_add(i64x2_extmul_low_i32x4(p, power), addend), 30);
    let high = u64x2_shr(i64x2_add(i64x2_extmul_high_i32x4(p, power), addend), 30);
    low_halves(low, high)
}
