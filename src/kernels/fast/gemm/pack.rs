//! The filter packed for the product: for eight output channels at a time, the weights of
//! pairs of input channels side by side as int16, each kernel row's pairs apart when the
//! field is read row by row; the zero-point correction folded into the bias.

use super::{Gemm, MAX_DEPTH, MAX_OVER, MAX_ROWS, ROW_BUFFER, SLACK};
use crate::geometry::Window;
use crate::kernels::fast::LaneStage;
use crate::quant::OutputStage;

impl Gemm {
    /// `filter` is `[channels][depth]`; `None` when the receptive field is too deep.
    pub fn new(filter: &[i8], bias: &[i32], channels: usize, zero_point: i32, stage: &OutputStage) -> Option<Gemm> {
        Gemm::with_filter_offset(filter, 0, bias, channels, zero_point, stage)
    }

    /// [`Gemm::new`] for a convolution over `window`, whose field is then read row by row
    /// where it can be (see the `gemm` module docs). `filter` is `[channels][kh][kw][ic]`.
    pub fn for_conv(
        filter: &[i8],
        bias: &[i32],
        channels: usize,
        zero_point: i32,
        stage: &OutputStage,
        window: &Window,
    ) -> Option<Gemm> {
        let (kh, kw) = window.kernel;
        let depth = filter.len() / channels.max(1);
        // The widened rows are every input row the kernel spans, dilation gaps included.
        let span = (kh - 1) * window.dilation.0 + 1;
        let by_rows = (kh, kw) != (1, 1)
            && window.dilation.1 == 1
            && kh <= MAX_ROWS
            && depth.is_multiple_of(kh)
            && span * (depth / kh + MAX_OVER + SLACK) <= ROW_BUFFER;
        Gemm::pack(filter, 0, bias, channels, zero_point, stage, if by_rows { kh } else { 1 })
    }

    /// [`Gemm::new`] for weights `filter + filter_offset` (an asymmetric fully connected
    /// layer's): each still fits an int16.
    pub fn with_filter_offset(
        filter: &[i8],
        filter_offset: i32,
        bias: &[i32],
        channels: usize,
        zero_point: i32,
        stage: &OutputStage,
    ) -> Option<Gemm> {
        Gemm::pack(filter, filter_offset, bias, channels, zero_point, stage, 1)
    }

    /// Packs the filter for a field of `rows` rows.
    fn pack(
        filter: &[i8],
        filter_offset: i32,
        bias: &[i32],
        channels: usize,
        zero_point: i32,
        stage: &OutputStage,
        rows: usize,
    ) -> Option<Gemm> {
        let depth = filter.len() / channels.max(1);
        if depth == 0 || depth > MAX_DEPTH || !(-128..=128).contains(&filter_offset) {
            return None;
        }
        let span = depth / rows;
        let row_pairs = span.div_ceil(2);
        let pairs = rows * row_pairs;
        let blocks = channels.div_ceil(8);
        let mut packed = vec![0i16; blocks * pairs * 16];
        let mut folded = vec![0i32; blocks * 8];
        for c in 0..channels {
            let row = &filter[c * depth..(c + 1) * depth];
            let weight = |f: i8| i32::from(f) + filter_offset;
            for (d, &f) in row.iter().enumerate() {
                let (r, within) = (d / span, d % span);
                let k = r * row_pairs + within / 2;
                packed[((c / 8 * pairs + k) * 8 + c % 8) * 2 + within % 2] = weight(f) as i16;
            }
            let sum: i64 = row.iter().map(|&f| i64::from(weight(f))).sum();
            // Wrapping, as the reference's int32 accumulation does.
            folded[c] = (i64::from(bias[c]) - i64::from(zero_point) * sum) as i32;
        }
        Some(Gemm {
            depth,
            pairs,
            rows,
            row_pairs,
            channels,
            #[cfg(target_arch = "x86_64")]
            vnni: super::vnni::Packed::new(filter, filter_offset, &folded, channels, rows),
            filter: packed,
            bias: folded,
            stage: LaneStage::new(stage),
            zero_point: zero_point as i16,
        })
    }
}
