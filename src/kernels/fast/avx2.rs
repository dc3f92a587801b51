//! The AVX2 backend: one 256-bit register holds the eight accumulators.

use super::{LaneStage, Lanes};
use std::arch::x86_64::*;

pub(crate) struct Avx2;

unsafe impl Lanes for Avx2 {
    type Acc = __m256i;
    type Pairs = __m256i;

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn zero_pairs() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_acc(p: *const i32) -> __m256i {
        _mm256_loadu_si256(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_pairs(p: *const i16) -> __m256i {
        _mm256_loadu_si256(p.cast())
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn splat_pair(p: *const i16) -> __m256i {
        _mm256_set1_epi32(p.cast::<i32>().read_unaligned())
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn zip_i8(a: *const i8, b: *const i8) -> __m256i {
        let a = _mm_cvtepi8_epi16(_mm_loadl_epi64(a.cast()));
        let b = _mm_cvtepi8_epi16(_mm_loadl_epi64(b.cast()));
        _mm256_set_m128i(_mm_unpackhi_epi16(a, b), _mm_unpacklo_epi16(a, b))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store_pairs(p: *mut i16, v: __m256i) {
        _mm256_storeu_si256(p.cast(), v)
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn widen16(src: *const i8, dst: *mut i16) {
        _mm256_storeu_si256(dst.cast(), _mm256_cvtepi8_epi16(_mm_loadu_si128(src.cast())))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn widen8(src: *const i8, dst: *mut i16) {
        _mm_storeu_si128(dst.cast(), _mm_cvtepi8_epi16(_mm_loadl_epi64(src.cast())))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn madd(acc: __m256i, a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn add(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(a, b)
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load_i8_shifted(p: *const i8, offset: i32, shift: i32) -> __m256i {
        let x = _mm256_cvtepi8_epi32(_mm_loadl_epi64(p.cast()));
        _mm256_sll_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(offset)), _mm_cvtsi32_si128(shift))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn rescale(acc: __m256i, stage: &LaneStage, c: usize) -> __m256i {
        let load = |v: &[i32]| _mm256_loadu_si256(v.as_ptr().add(c).cast());
        let (multiplier, right, mask) = (load(&stage.multiplier), load(&stage.right), load(&stage.mask));
        let x = _mm256_sllv_epi32(acc, load(&stage.left));
        // ⌊(x·m + 2^30) / 2^31⌋ for the even lanes, then the odd ones, each 64 bits wide.
        let nudge = _mm256_set1_epi64x(1 << 30);
        let even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, multiplier), nudge), 31);
        let odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(multiplier, 32));
        let odd = _mm256_slli_epi64(_mm256_add_epi64(odd, nudge), 1);
        let high = _mm256_blend_epi32(even, odd, 0b1010_1010);
        // Rounding divide by 2^right, half away from zero.
        let remainder = _mm256_and_si256(high, mask);
        let negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), high);
        let threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), negative);
        _mm256_sub_epi32(_mm256_srav_epi32(high, right), _mm256_cmpgt_epi32(remainder, threshold))
    }
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn requantize_store(acc: __m256i, stage: &LaneStage, c: usize, out: *mut i8) {
        let y = _mm256_add_epi32(Self::rescale(acc, stage, c), _mm256_set1_epi32(stage.offset));
        let y = _mm256_min_epi32(_mm256_max_epi32(y, _mm256_set1_epi32(stage.min)), _mm256_set1_epi32(stage.max));
        let words = _mm_packs_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
        _mm_storel_epi64(out.cast(), _mm_packs_epi16(words, words));
    }
}
