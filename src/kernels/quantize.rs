//! QUANTIZE: float32 → int8 at the model's input (TFLM `reference_ops::AffineQuantize`), or
//! int8 → int8 with new parameters, which converters insert between ops whose scales differ
//! (TFLM `reference_ops::Requantize`). Both are element-wise: over a [1, H, W, C] map they
//! run region by region, so a float input can be streamed patch by patch like an int8 one.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{as_i8, elementwise_map, Fmap, FmapMut, Hwc, Region};
use crate::model::DType;
use crate::quant::affine::AffineQuantize;
use crate::quant::Requant;

#[derive(Debug, Clone)]
pub struct Quantize {
    /// The map it runs over (a 1×1×N map for tensors of other ranks), element by element;
    /// region by region when `spatial` (the tensors are [1, H, W, C] maps).
    pub map: Hwc,
    pub spatial: bool,
    pub source: Source,
}

/// What the input is.
#[derive(Debug, Clone)]
pub enum Source {
    Float(AffineQuantize),
    Int8 { input_offset: i32, rescale: Requant, output_zero_point: i32 },
}

impl Quantize {
    pub fn prepare(cx: &Ctx) -> Result<Quantize> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let yq = cx.int8_activation(y, "output")?;
        if x.shape != y.shape {
            return Err(cx.err(format!("input {:?} and output {:?} differ in shape", x.shape, y.shape)));
        }
        let source = match x.dtype {
            DType::F32 => Source::Float(AffineQuantize { scale: yq.scale(), zero_point: yq.zero_point() }),
            DType::I8 => {
                let xq = cx.int8_activation(x, "input")?;
                Source::Int8 {
                    input_offset: -xq.zero_point(),
                    rescale: Requant::new(f64::from(xq.scale()) / f64::from(yq.scale())),
                    output_zero_point: yq.zero_point(),
                }
            }
            other => return Err(cx.err(format!("only float32 or int8 → int8 is supported, input is {}", other.name()))),
        };
        let (map, spatial) = elementwise_map(&y.shape);
        Ok(Quantize { map, spatial, source })
    }

    /// The input map as the executor views it: a float32 map's pixels are seen as bytes,
    /// 4 a channel.
    pub fn input_map(&self) -> Hwc {
        match self.source {
            Source::Float(_) => Hwc { c: 4 * self.map.c, ..self.map },
            Source::Int8 { .. } => self.map,
        }
    }

    /// The whole output from the whole input (its raw bytes).
    pub fn eval(&self, input: &[u8], output: &mut [i8]) {
        let mut out = self.map.view_mut(output);
        self.eval_region(&self.input_map().view(as_i8(input)), &mut out, self.map.whole());
    }

    /// Quantizes `region`; `input` views the input as [`Quantize::input_map`] does.
    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        // A row of the region is one run of values in both views.
        for y in region.y0..region.y1 {
            let (o, v) = (out.row_mut(y, region.x0, region.x1), input.row(y, region.x0, region.x1));
            match &self.source {
                Source::Float(q) => q.quantize_bytes(bytemuck::cast_slice(v), o),
                Source::Int8 { input_offset, rescale, output_zero_point } => {
                    for (o, &v) in o.iter_mut().zip(v) {
                        *o = rescale
                            .apply(i32::from(v) + input_offset)
                            .wrapping_add(*output_zero_point)
                            .clamp(-128, 127) as i8;
                    }
                }
            }
        }
    }
}
