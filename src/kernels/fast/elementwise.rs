//! ADD eight elements at a time: both inputs widened, offset and shifted to TFLite's 2^20
//! fixed point, rescaled, summed and requantized by the same lanes as the convolutions.

use super::{isa, Isa, LaneStage, Lanes, Portable};
use crate::quant::{OutputStage, Requant};

/// The elements' left shift before the input rescale (TFLite's `left_shift`).
pub const LEFT_SHIFT: i32 = 20;

#[derive(Debug, Clone)]
pub struct AddLanes {
    offsets: [i32; 2],
    inputs: [LaneStage; 2],
    output: LaneStage,
}

impl AddLanes {
    /// The input offsets and rescales, and the output stage, each the same in every lane
    /// (sixteen: AVX-512's).
    pub fn new(offsets: [i32; 2], inputs: [Requant; 2], output: Requant, offset: i32, min: i32, max: i32) -> AddLanes {
        let lanes = |r: Requant, offset: i32, min: i32, max: i32| {
            LaneStage::new(&OutputStage { requant: vec![r; 16], offset, min, max })
        };
        AddLanes {
            offsets,
            inputs: [lanes(inputs[0], 0, i32::MIN, i32::MAX), lanes(inputs[1], 0, i32::MIN, i32::MAX)],
            output: lanes(output, offset, min, max),
        }
    }

    /// Sums the longest multiple of eight of `out.len()` elements of `a` and `b` into `out`;
    /// returns how many (the caller sums the rest).
    pub fn eval(&self, a: &[i8], b: &[i8], out: &mut [i8]) -> usize {
        self.eval_on(isa(), a, b, out)
    }

    /// [`AddLanes::eval`] on instruction set `isa`, which must be available.
    pub fn eval_on(&self, isa: Isa, a: &[i8], b: &[i8], out: &mut [i8]) -> usize {
        let n = out.len() / 8 * 8;
        assert!(a.len() >= n && b.len() >= n);
        // SAFETY: all three hold `n` elements (checked above).
        unsafe { self.span(isa, a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n) };
        n
    }

    /// [`AddLanes::eval`] with the sum written over input `kept` (0 or 1), which `buf` holds.
    pub fn eval_in_place(&self, buf: &mut [i8], other: &[i8], kept: usize) -> usize {
        self.eval_in_place_on(isa(), buf, other, kept)
    }

    /// [`AddLanes::eval_in_place`] on instruction set `isa`, which must be available.
    pub fn eval_in_place_on(&self, isa: Isa, buf: &mut [i8], other: &[i8], kept: usize) -> usize {
        let n = buf.len() / 8 * 8;
        assert!(other.len() >= n);
        let at = buf.as_mut_ptr();
        let (a, b) = if kept == 0 { (at.cast_const(), other.as_ptr()) } else { (other.as_ptr(), at.cast_const()) };
        // SAFETY: as above; each block is read before its sum is written over it.
        unsafe { self.span(isa, a, b, at, n) };
        n
    }

    /// The first `n` (a multiple of eight) elements; `a`, `b` and `out` hold them, `out`
    /// may be `a` or `b`.
    unsafe fn span(&self, isa: Isa, a: *const i8, b: *const i8, out: *mut i8, n: usize) {
        match isa {
            Isa::Portable => self.eval_with::<Portable>(a, b, out, n),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => self.eval_avx2(a, b, out, n),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni => self.eval_avx512(a, b, out, n),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => self.eval_with::<super::wasm::Simd128>(a, b, out, n),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn eval_avx2(&self, a: *const i8, b: *const i8, out: *mut i8, n: usize) {
        self.eval_with::<super::avx2::Avx2>(a, b, out, n)
    }

    /// [`AddLanes::eval_with`] sixteen lanes at a time, the last block masked.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl")]
    unsafe fn eval_avx512(&self, a: *const i8, b: *const i8, out: *mut i8, n: usize) {
        use super::avx512::{load_i8_shifted, requantize_store, rescale};
        for i in (0..n).step_by(16) {
            let k = (n - i).min(16);
            let x = rescale(load_i8_shifted(a.add(i), k, self.offsets[0], LEFT_SHIFT), &self.inputs[0], 0);
            let y = rescale(load_i8_shifted(b.add(i), k, self.offsets[1], LEFT_SHIFT), &self.inputs[1], 0);
            requantize_store(std::arch::x86_64::_mm512_add_epi32(x, y), &self.output, 0, out.add(i), k);
        }
    }

    #[inline(always)]
    unsafe fn eval_with<L: Lanes>(&self, a: *const i8, b: *const i8, out: *mut i8, n: usize) {
        for i in (0..n).step_by(8) {
            let x = L::rescale(L::load_i8_shifted(a.add(i), self.offsets[0], LEFT_SHIFT), &self.inputs[0], 0);
            let y = L::rescale(L::load_i8_shifted(b.add(i), self.offsets[1], LEFT_SHIFT), &self.inputs[1], 0);
            L::requantize_store(L::add(x, y), &self.output, 0, out.add(i));
        }
    }
}
