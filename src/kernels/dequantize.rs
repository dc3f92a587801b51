//! DEQUANTIZE int8 → float32 (TFLM `reference_ops::Dequantize`).

use super::prepare::Ctx;
use crate::error::Result;
use crate::model::DType;

#[derive(Debug, Clone)]
pub struct Dequantize {
    pub scale: f64,
    pub zero_point: i32,
}

impl Dequantize {
    pub fn prepare(cx: &Ctx) -> Result<Dequantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let xq = cx.int8_activation(x, "input")?;
        if y.dtype != DType::F32 || x.shape != y.shape {
            return Err(cx.err(format!("output must be float32 of shape {:?}", x.shape)));
        }
        Ok(Dequantize { scale: f64::from(xq.scale()), zero_point: xq.zero_point() })
    }

    pub fn dequantize(&self, v: i8) -> f32 {
        (self.scale * f64::from(i32::from(v) - self.zero_point)) as f32
    }

    pub fn eval(&self, input: &[i8], output: &mut [u8]) {
        for (&v, o) in input.iter().zip(output.chunks_exact_mut(4)) {
            o.copy_from_slice(&self.dequantize(v).to_le_bytes());
        }
    }
}
