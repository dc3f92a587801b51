//! QUANTIZE float32 → int8 (TFLM `reference_ops::AffineQuantize`).

use super::Ctx;
use crate::error::Result;
use crate::model::DType;

#[derive(Debug, Clone)]
pub struct Quantize {
    pub scale: f32,
    pub zero_point: i32,
}

impl Quantize {
    pub fn prepare(cx: &Ctx) -> Result<Quantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        if x.dtype != DType::F32 {
            return Err(cx.err(format!("only float32 → int8 is supported, input is {}", x.dtype.name())));
        }
        let yq = cx.int8_activation(y, "output")?;
        if x.shape != y.shape {
            return Err(cx.err(format!("input {:?} and output {:?} differ in shape", x.shape, y.shape)));
        }
        Ok(Quantize { scale: yq.scale(), zero_point: yq.zero_point() })
    }

    /// Quantizes one value exactly as TFLM does.
    pub fn quantize(&self, v: f32) -> i8 {
        ((v / self.scale).round() as i32 + self.zero_point).clamp(-128, 127) as i8
    }

    pub fn eval(&self, input: &[u8], output: &mut [i8]) {
        for (o, b) in output.iter_mut().zip(input.chunks_exact(4)) {
            *o = self.quantize(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
    }
}
