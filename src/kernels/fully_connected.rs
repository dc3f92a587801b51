//! FULLY_CONNECTED, int8 (TFLM `reference_integer_ops::FullyConnected`, per-tensor or
//! per-channel weights).

use super::fast::gemm::Gemm;
use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::as_i8;
use crate::model::{Activation, DType};
use crate::quant::OutputStage;

#[derive(Debug, Clone)]
pub struct FullyConnected {
    pub batches: usize,
    pub depth: usize,
    pub units: usize,
    /// `[units][depth]`
    filter: Vec<i8>,
    bias: Vec<i32>,
    input_offset: i32,
    filter_offset: i32,
    stage: OutputStage,
    /// The fast path: the layer as a matrix product (rows not too deep).
    fast: Option<Gemm>,
}

impl FullyConnected {
    pub fn prepare(cx: &Ctx, activation: Activation, keep_num_dims: bool) -> Result<FullyConnected> {
        cx.expect_io(2..=3, 1)?;
        let (x, f, y) = (cx.input(0)?, cx.input(1)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        let filter = cx.constant(f, DType::I8, "weights")?;
        let [units, depth] = f.shape[..] else {
            return Err(cx.err(format!("weights have shape {:?}, expected [units, depth]", f.shape)));
        };
        if depth == 0 || x.elements() % depth != 0 {
            return Err(cx.err(format!("input {:?} does not split into rows of {depth}", x.shape)));
        }
        let batches = x.elements() / depth;
        let expected: Vec<usize> = if keep_num_dims {
            let mut s = x.shape.clone();
            if let Some(last) = s.last_mut() {
                *last = units;
            }
            s
        } else {
            vec![batches, units]
        };
        if y.elements() != batches * units || (keep_num_dims && y.shape != expected) {
            return Err(cx.err(format!("output has shape {:?}, expected {:?}", y.shape, expected)));
        }
        let fq = f.quant.as_ref().ok_or_else(|| cx.err("weights have no quantization parameters"))?;
        if fq.scales.len() > 1 && (fq.axis != 0 || fq.zero_points.iter().any(|&z| z != 0)) {
            return Err(cx.err("per-channel weights must run along the units with zero points 0"));
        }
        let bias = cx.bias(units)?;
        let filter = as_i8(filter).to_vec();
        let filter_zero_point = fq.zero_points.first().copied().unwrap_or(0);
        if !(-128..=127).contains(&filter_zero_point) {
            return Err(cx.err(format!("weights have zero point {filter_zero_point}, outside int8")));
        }
        let filter_offset = -(filter_zero_point as i32);
        let stage = OutputStage::new(xq, fq, yq, units, activation);
        let fast = Gemm::with_filter_offset(&filter, filter_offset, &bias, units, xq.zero_point(), &stage);
        Ok(FullyConnected {
            batches,
            depth,
            units,
            filter,
            bias,
            input_offset: -xq.zero_point(),
            filter_offset,
            stage,
            fast,
        })
    }

    pub fn macs(&self) -> u64 {
        (self.batches * self.depth * self.units) as u64
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        match &self.fast {
            Some(fast) => fast.eval_rows(input, output),
            None => self.eval_reference(input, output),
        }
    }

    /// The scalar reference: TFLM's loops, which the fast path must match byte for byte.
    pub fn eval_reference(&self, input: &[i8], output: &mut [i8]) {
        for (row, out) in input.chunks_exact(self.depth).zip(output.chunks_exact_mut(self.units)) {
            for (u, o) in out.iter_mut().enumerate() {
                let weights = &self.filter[u * self.depth..][..self.depth];
                // int32 accumulation wraps, as TFLM's and the fast path's do.
                let acc = row.iter().zip(weights).fold(self.bias[u], |acc, (&x, &w)| {
                    acc.wrapping_add((i32::from(w) + self.filter_offset) * (i32::from(x) + self.input_offset))
                });
                *o = self.stage.apply(acc, u);
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::kernels::fast::{available, testing};
    use proptest::prelude::*;

    /// Half the cases with symmetric weights (a filter zero point of 0, as TFLite quantizes
    /// them): the VNNI product takes only weights that stay int8.
    fn case() -> impl Strategy<Value = (FullyConnected, Vec<i8>)> {
        (1usize..=5, 1usize..=300, 1usize..=40, -128i32..=127, prop_oneof![Just(0), -128i32..=127])
            .prop_flat_map(|(batches, depth, units, zp, filter_zp)| {
                (
                    Just((batches, depth, units, zp, filter_zp)),
                    testing::bytes(units * depth),
                    proptest::collection::vec(-(1i32 << 20)..(1 << 20), units),
                    testing::stage(units),
                    testing::bytes(batches * depth),
                )
            })
            .prop_map(|((batches, depth, units, zp, filter_zp), filter, bias, stage, input)| {
                let filter_offset = -filter_zp;
                let fast = Gemm::with_filter_offset(&filter, filter_offset, &bias, units, zp, &stage);
                let fc = FullyConnected {
                    batches,
                    depth,
                    units,
                    filter,
                    bias,
                    input_offset: -zp,
                    filter_offset,
                    stage,
                    fast,
                };
                (fc, input)
            })
    }

    proptest! {
        #![proptest_config(testing::config(400))]

        /// Any fully connected layer, per-tensor weights with any zero point: the fast path
        /// equals the reference byte for byte on every instruction set.
        #[test]
        fn fast_path_matches_reference((fc, input) in case()) {
            let mut expected = vec![0i8; fc.batches * fc.units];
            fc.eval_reference(&input, &mut expected);
            let fast = fc.fast.as_ref().expect("rows this short take the fast path");
            for isa in available() {
                let mut got = vec![0i8; expected.len()];
                fast.eval_rows_on(isa, &input, &mut got);
                prop_assert_eq!(&got, &expected, "{:?}", isa);
            }
        }
    }
}
