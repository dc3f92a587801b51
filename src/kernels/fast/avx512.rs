//! The AVX-512 parts of the VNNI backend: sixteen int32 lanes a register, masks for the
//! ragged ends. The matrix product's dot products are in `gemm::vnni`.

use super::LaneStage;
use std::arch::x86_64::*;

/// Whether this machine has everything the VNNI backend uses (AVX2 too: its depthwise and
/// add run their AVX2 instance).
#[inline]
pub(crate) fn detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512vnni")
        && std::arch::is_x86_feature_detected!("avx2")
}

/// `MultiplyByQuantizedMultiplier` with channels `c..c + 16`'s multipliers of `stage`, as
/// the AVX2 backend computes it on eight lanes (see there and the module docs of `fast`).
///
/// # Safety
/// `stage` must have sixteen channels from `c` (it is padded to a multiple of sixteen);
/// AVX-512 F must be available.
#[inline]
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn rescale(acc: __m512i, stage: &LaneStage, c: usize) -> __m512i {
    let load = |v: &[i32]| _mm512_loadu_si512(v.as_ptr().add(c).cast());
    let (multiplier, right, mask) = (load(&stage.multiplier), load(&stage.right), load(&stage.mask));
    let x = _mm512_sllv_epi32(acc, load(&stage.left));
    // ⌊(x·m + 2^30) / 2^31⌋ for the even lanes, then the odd ones, each 64 bits wide.
    let nudge = _mm512_set1_epi64(1 << 30);
    let even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, multiplier), nudge), 31);
    let odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(multiplier, 32));
    let odd = _mm512_slli_epi64(_mm512_add_epi64(odd, nudge), 1);
    let high = _mm512_mask_blend_epi32(0b1010_1010_1010_1010, even, odd);
    // Rounding divide by 2^right, half away from zero: one more where the remainder
    // exceeds half the divisor (a negative value's threshold is one higher).
    let remainder = _mm512_and_si512(high, mask);
    let threshold = _mm512_sub_epi32(_mm512_srai_epi32(mask, 1), _mm512_srai_epi32(high, 31));
    let shifted = _mm512_srav_epi32(high, right);
    let round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
    _mm512_mask_add_epi32(shifted, round_up, shifted, _mm512_set1_epi32(1))
}

/// Requantizes channels `c..c + 16` of `stage` (rescale, offset, clamp) and stores the
/// first `n` (up to sixteen) as int8 at `out`.
///
/// # Safety
/// As [`rescale`]; `out` must hold `n` bytes; AVX-512 BW and VL must be available.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
pub(crate) unsafe fn requantize_store(acc: __m512i, stage: &LaneStage, c: usize, out: *mut i8, n: usize) {
    let y = _mm512_add_epi32(rescale(acc, stage, c), _mm512_set1_epi32(stage.offset));
    let y = _mm512_min_epi32(_mm512_max_epi32(y, _mm512_set1_epi32(stage.min)), _mm512_set1_epi32(stage.max));
    let bytes = _mm512_cvtepi32_epi8(y);
    if n >= 16 {
        _mm_storeu_si128(out.cast(), bytes);
    } else {
        _mm_mask_storeu_epi8(out, (1u16 << n) - 1, bytes);
    }
}

/// The first `n` int8 of `src` at `dst` as bytes offset by 128 (`x ^ 0x80 = x + 128`): the
/// unsigned operand of `vpdpbusd`. Writes exactly `n` bytes.
///
/// # Safety
/// `src` must hold `n` bytes and `dst` room for them; AVX-512 BW must be available.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) unsafe fn offset_bytes(src: *const i8, n: usize, dst: *mut u8) {
    let flip = _mm512_set1_epi8(i8::MIN);
    let mut i = 0;
    while i + 64 <= n {
        _mm512_storeu_si512(dst.add(i).cast(), _mm512_xor_si512(_mm512_loadu_si512(src.add(i).cast()), flip));
        i += 64;
    }
    if i < n {
        // Masked: the bytes past `n` are neither read nor written.
        let mask = (1u64 << (n - i)) - 1;
        let x = _mm512_maskz_loadu_epi8(mask, src.add(i));
        _mm512_mask_storeu_epi8(dst.add(i).cast(), mask, _mm512_xor_si512(x, flip));
    }
}

/// The first `n` (up to sixteen) int8 from `p`, each `(p[i] + offset) << shift` (no
/// overflow: ADD's inputs); the lanes past `n` read nothing.
///
/// # Safety
/// `p` must hold `n` bytes; AVX-512 BW and VL must be available.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
pub(crate) unsafe fn load_i8_shifted(p: *const i8, n: usize, offset: i32, shift: i32) -> __m512i {
    let x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(((1u32 << n) - 1) as u16, p));
    _mm512_sll_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(offset)), _mm_cvtsi32_si128(shift))
}

/// `n` copies of `value` at `dst`, in masked stores that write nothing past `n`.
///
/// # Safety
/// `dst` must have room for `n` bytes; AVX-512 BW must be available.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) unsafe fn fill_bytes(dst: *mut u8, n: usize, value: u8) {
    let v = _mm512_set1_epi8(value as i8);
    let mut i = 0;
    while i < n {
        let mask = if n - i >= 64 { u64::MAX } else { (1u64 << (n - i)) - 1 };
        _mm512_mask_storeu_epi8(dst.add(i).cast(), mask, v);
        i += 64;
    }
}
