//! DEQUANTIZE int8 → float32 (TFLM `reference_ops::Dequantize`).

use super::prepare::Ctx;
use crate::error::Result;
use crate::model::DType;
use crate::quant::affine::AffineDequantize;

#[derive(Debug, Clone)]
pub struct Dequantize {
    values: AffineDequantize,
}

impl Dequantize {
    pub fn prepare(cx: &Ctx) -> Result<Dequantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let xq = cx.int8_activation(x, "input")?;
        if y.dtype != DType::F32 || x.shape != y.shape {
            return Err(cx.err(format!("output must be float32 of shape {:?}", x.shape)));
        }
        Ok(Dequantize { values: AffineDequantize::new(xq) })
    }

    pub fn eval(&self, input: &[i8], output: &mut [u8]) {
        for (&v, o) in input.iter().zip(output.chunks_exact_mut(4)) {
            o.copy_from_slice(&self.values.dequantize(v).to_le_bytes());
        }
    }
}
