//! FULLY_CONNECTED, int8 (TFLM `reference_integer_ops::FullyConnected`, per-tensor or
//! per-channel weights).

use super::{as_i8, Ctx, OutputStage};
use crate::error::Result;
use crate::model::{Activation, DType};

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
        Ok(FullyConnected {
            batches,
            depth,
            units,
            filter: as_i8(filter).to_vec(),
            bias,
            input_offset: -xq.zero_point(),
            filter_offset: -(fq.zero_points[0] as i32),
            stage: OutputStage::new(xq, fq, yq, units, activation),
        })
    }

    pub fn macs(&self) -> u64 {
        (self.batches * self.depth * self.units) as u64
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        for (row, out) in input.chunks_exact(self.depth).zip(output.chunks_exact_mut(self.units)) {
            for (u, o) in out.iter_mut().enumerate() {
                let weights = &self.filter[u * self.depth..][..self.depth];
                let acc: i32 = row
                    .iter()
                    .zip(weights)
                    .map(|(&x, &w)| (i32::from(w) + self.filter_offset) * (i32::from(x) + self.input_offset))
                    .sum();
                *o = self.stage.apply(acc + self.bias[u], u);
            }
        }
    }
}
