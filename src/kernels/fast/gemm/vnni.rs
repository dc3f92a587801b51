//! The matrix product on AVX-512 VNNI: `vpdpbusd` adds four products of an unsigned and a
//! signed byte to each of sixteen int32 lanes. The fields hold each int8 input `x` as the
//! byte `x + 128` (`x ^ 0x80`), the filter its int8 weights four input values a lane for
//! sixteen output channels, and the bias `bias − zp·Σw − 128·Σw`, so the sum is TFLite's
//! `bias + Σ w·(x − zp)` modulo 2^32, as every int32 sum here wraps. No product or
//! partial sum saturates: a quad's four products lie within ±4·255·128 and add to the lane
//! in int32. The padding holds `zp + 128`, whose taps contribute `w·(zp − zp) = 0`; the
//! values past a field's end that a last quad reads meet zero weights.

use super::{Field, Fields, Gemm};
use crate::kernels::fast::avx512;
use std::arch::x86_64::*;

/// Output channels a register holds.
const LANES: usize = 16;
/// Bytes of one quad of sixteen channels: one register.
const QUAD_BYTES: usize = 4 * LANES;

/// A filter packed for `vpdpbusd`.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    /// `[channels / 16][rows][row_quads][16 channels][4]`, zero-padded.
    filter: Vec<i8>,
    /// `bias − zp·Σw − 128·Σw` per output channel, padded to a multiple of sixteen.
    bias: Vec<i32>,
    /// Quads per row of the field: its values rounded up to a multiple of four.
    row_quads: usize,
}

impl Packed {
    /// The filter `[channels][depth]` (plus `filter_offset`) as `rows` rows of quads, with
    /// the pairs' folded bias `folded`; `None` where this machine lacks VNNI or a weight
    /// leaves int8 (an asymmetric fully connected layer's may).
    pub(super) fn new(
        filter: &[i8],
        filter_offset: i32,
        folded: &[i32],
        channels: usize,
        rows: usize,
    ) -> Option<Packed> {
        if !avx512::detected() {
            return None;
        }
        let weights: Vec<i8> =
            filter.iter().map(|&f| i8::try_from(i32::from(f) + filter_offset).ok()).collect::<Option<_>>()?;
        let depth = weights.len() / channels;
        let span = depth / rows;
        let row_quads = span.div_ceil(4);
        let quads = rows * row_quads;
        let blocks = channels.div_ceil(LANES);
        let mut packed = vec![0i8; blocks * quads * QUAD_BYTES];
        let mut bias = vec![0i32; blocks * LANES];
        for c in 0..channels {
            let row = &weights[c * depth..(c + 1) * depth];
            for (d, &w) in row.iter().enumerate() {
                let (r, within) = (d / span, d % span);
                let k = r * row_quads + within / 4;
                packed[((c / LANES * quads + k) * LANES + c % LANES) * 4 + within % 4] = w;
            }
            let sum: i32 = row.iter().map(|&w| i32::from(w)).sum();
            bias[c] = folded[c].wrapping_sub(sum.wrapping_mul(128));
        }
        Some(Packed { filter: packed, bias, row_quads })
    }

    /// Output channels `16·b0 .. 16·(b0 + B)` of `M` pixels.
    ///
    /// # Safety
    /// As [`Field::multiply`]; AVX-512 F/BW/VL and VNNI must be available.
    #[inline(always)]
    unsafe fn multiply_blocks<const M: usize, const B: usize>(
        &self,
        gemm: &Gemm,
        fields: &Fields<u8, M>,
        outs: &[*mut i8; M],
        b0: usize,
    ) {
        let zero = [[_mm512_setzero_si512(); B]; M];
        let (mut acc, mut odd) = (zero, zero);
        let stride = gemm.rows * self.row_quads * QUAD_BYTES;
        let filter = self.filter.as_ptr().add(b0 * stride);
        for (r, &row) in fields.rows.iter().enumerate().take(gemm.rows) {
            let (filter, pixels) = (filter.add(r * self.row_quads * QUAD_BYTES), fields.at.map(|at| row.add(at)));
            let quad = |acc: &mut [[__m512i; B]; M], k: usize| {
                let w: [__m512i; B] =
                    std::array::from_fn(|j| _mm512_loadu_si512(filter.add(j * stride + k * QUAD_BYTES).cast()));
                for m in 0..M {
                    let x = _mm512_set1_epi32(pixels[m].add(4 * k).cast::<i32>().read_unaligned());
                    for j in 0..B {
                        acc[m][j] = _mm512_dpbusd_epi32(acc[m][j], x, w[j]);
                    }
                }
            };
            let mut k = 0;
            // With one block of channels, the odd quads go to accumulators of their own: four
            // pixels' chains alone wait on `vpdpbusd`'s latency (ResNet-8's 16-channel
            // convs).
            if B == 1 {
                while k + 2 <= self.row_quads {
                    quad(&mut acc, k);
                    quad(&mut odd, k + 1);
                    k += 2;
                }
            }
            while k < self.row_quads {
                quad(&mut acc, k);
                k += 1;
            }
        }
        for m in 0..M {
            for (j, (&a, &b)) in acc[m].iter().zip(&odd[m]).enumerate() {
                let c = (b0 + j) * LANES;
                let a = _mm512_add_epi32(_mm512_add_epi32(a, b), _mm512_loadu_si512(self.bias.as_ptr().add(c).cast()));
                avx512::requantize_store(a, &gemm.stage, c, outs[m].add(c), (gemm.channels - c).min(LANES));
            }
        }
    }
}

/// Fields of bytes offset by 128, read four at a time by `vpdpbusd`.
pub(super) struct Quads;

unsafe impl Field for Quads {
    type Elem = u8;
    const OVER: usize = 3;
    #[inline(always)]
    fn padding(gemm: &Gemm) -> u8 {
        (gemm.zero_point as i8 as u8) ^ 0x80
    }
    #[inline(always)]
    fn zero() -> u8 {
        0
    }
    #[inline(always)]
    unsafe fn load(src: &[i8], n: usize, dst: *mut u8) {
        assert!(n <= src.len());
        avx512::offset_bytes(src.as_ptr(), n, dst)
    }
    /// Inline masked stores: the padding's runs are short, and `memset` calls for them cost
    /// small tiles 3 % of their time.
    #[inline(always)]
    unsafe fn fill(dst: *mut u8, n: usize, value: u8) {
        avx512::fill_bytes(dst, n, value)
    }
    #[inline(always)]
    unsafe fn multiply<const M: usize>(gemm: &Gemm, fields: &Fields<u8, M>, outs: [*mut i8; M]) {
        let Some(packed) = &gemm.vnni else { unreachable!("the VNNI product runs only on a filter packed for it") };
        let blocks = gemm.channels.div_ceil(LANES);
        let mut b = 0;
        while b + 2 <= blocks {
            packed.multiply_blocks::<M, 2>(gemm, fields, &outs, b);
            b += 2;
        }
        if b < blocks {
            packed.multiply_blocks::<M, 1>(gemm, fields, &outs, b);
        }
    }
}
