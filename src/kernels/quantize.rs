//! QUANTIZE: float32 → int8 at the model's input (TFLM `reference_ops::AffineQuantize`), or
//! int8 → int8 with new parameters, which converters insert between ops whose scales differ
//! (TFLM `reference_ops::Requantize`).

use super::{Ctx, Hwc};
use crate::error::Result;
use crate::geometry::{Fmap, FmapMut, Region};
use crate::model::DType;
use crate::quant::Requant;

#[derive(Debug, Clone)]
pub enum Quantize {
    FromFloat(AffineQuantize),
    /// Over `map` (a 1×1×N map for tensors of other ranks), element by element; region by
    /// region when `spatial` (the tensors are [1, H, W, C] maps).
    Requantize {
        map: Hwc,
        spatial: bool,
        input_offset: i32,
        rescale: Requant,
        output_zero_point: i32,
    },
}

/// Real value → int8: `round(v / scale) + zero_point`, clamped.
#[derive(Debug, Clone, Copy)]
pub struct AffineQuantize {
    pub scale: f32,
    pub zero_point: i32,
}

impl AffineQuantize {
    /// Quantizes one value exactly as TFLM does; values beyond int32 saturate (found by
    /// fuzzing: 1e30 plus a positive zero point overflowed and wrapped to -128).
    pub fn quantize(&self, v: f32) -> i8 {
        ((v / self.scale).round() as i32).saturating_add(self.zero_point).clamp(-128, 127) as i8
    }
}

impl Quantize {
    pub fn prepare(cx: &Ctx) -> Result<Quantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let yq = cx.int8_activation(y, "output")?;
        if x.shape != y.shape {
            return Err(cx.err(format!("input {:?} and output {:?} differ in shape", x.shape, y.shape)));
        }
        match x.dtype {
            DType::F32 => Ok(Quantize::FromFloat(AffineQuantize { scale: yq.scale(), zero_point: yq.zero_point() })),
            DType::I8 => {
                let xq = cx.int8_activation(x, "input")?;
                let (map, spatial) = super::elementwise_map(&y.shape);
                Ok(Quantize::Requantize {
                    map,
                    spatial,
                    input_offset: -xq.zero_point(),
                    rescale: Requant::new(f64::from(xq.scale()) / f64::from(yq.scale())),
                    output_zero_point: yq.zero_point(),
                })
            }
            other => Err(cx.err(format!("only float32 or int8 → int8 is supported, input is {}", other.name()))),
        }
    }

    pub fn eval(&self, input: &[u8], output: &mut [i8]) {
        match self {
            Quantize::FromFloat(q) => {
                for (o, b) in output.iter_mut().zip(input.chunks_exact(4)) {
                    *o = q.quantize(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                }
            }
            Quantize::Requantize { map, .. } => {
                let mut out = map.view_mut(output);
                self.eval_region(&map.view(super::as_i8(input)), &mut out, map.whole());
            }
        }
    }

    /// Requantizes `region` (int8 → int8 only: the float form is not spatially local).
    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        let Quantize::Requantize { input_offset, rescale, output_zero_point, .. } = self else {
            unreachable!("float QUANTIZE has no output map");
        };
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                for (o, &v) in out.pixel_mut(y, x).iter_mut().zip(input.pixel(y, x)) {
                    *o = (rescale.apply(i32::from(v) + input_offset) + output_zero_point).clamp(-128, 127) as i8;
                }
            }
        }
    }
}
