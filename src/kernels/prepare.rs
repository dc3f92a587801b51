//! Preparation: the op being prepared and the checks that turn every defect of its tensors
//! into an error naming the op. Every kernel's `prepare` reads its graph through [`Ctx`].

use crate::error::{Error, Result};
use crate::geometry::Hwc;
use crate::model::{DType, Graph, Op, Quant, Tensor};

/// The op being prepared, with helpers that turn every defect into an error naming it.
pub struct Ctx<'g> {
    pub graph: &'g Graph,
    pub index: usize,
    pub op: &'g Op,
}

impl<'g> Ctx<'g> {
    pub fn err(&self, msg: impl Into<String>) -> Error {
        Error::Op { index: self.index, op: self.op.kind.name().into(), msg: msg.into() }
    }

    pub fn input(&self, i: usize) -> Result<&'g Tensor> {
        self.op.input(i).map(|t| &self.graph.tensors[t]).ok_or_else(|| self.err(format!("input {i} is missing")))
    }

    pub fn optional_input(&self, i: usize) -> Option<&'g Tensor> {
        self.op.input(i).map(|t| &self.graph.tensors[t])
    }

    pub fn output(&self, i: usize) -> Result<&'g Tensor> {
        self.op
            .outputs
            .get(i)
            .map(|&t| &self.graph.tensors[t])
            .ok_or_else(|| self.err(format!("output {i} is missing")))
    }

    pub fn expect_io(&self, inputs: std::ops::RangeInclusive<usize>, outputs: usize) -> Result<()> {
        if !inputs.contains(&self.op.inputs.len()) || self.op.outputs.len() != outputs {
            return Err(self.err(format!(
                "expects {:?} inputs and {outputs} output(s), has {} and {}",
                inputs,
                self.op.inputs.len(),
                self.op.outputs.len()
            )));
        }
        Ok(())
    }

    /// The tensor must be a non-constant per-tensor quantized int8 activation.
    pub fn int8_activation(&self, t: &'g Tensor, what: &str) -> Result<&'g Quant> {
        if t.dtype != DType::I8 {
            return Err(self.err(format!("{what} '{}' is {}, only int8 is supported", t.name, t.dtype.name())));
        }
        if t.is_constant() {
            return Err(self.err(format!("{what} '{}' is a constant; constant activations are not supported", t.name)));
        }
        match &t.quant {
            Some(q) if q.scales.len() == 1 && !(-128..=127).contains(&q.zero_points[0]) => {
                Err(self.err(format!("{what} '{}' has zero point {}, outside int8", t.name, q.zero_points[0])))
            }
            Some(q) if q.scales.len() == 1 => Ok(q),
            Some(_) => Err(self.err(format!("{what} '{}' is quantized per channel", t.name))),
            None => Err(self.err(format!("{what} '{}' has no quantization parameters", t.name))),
        }
    }

    /// The tensor must be a constant of `dtype`; returns its bytes.
    pub fn constant(&self, t: &'g Tensor, dtype: DType, what: &str) -> Result<&'g [u8]> {
        if t.dtype != dtype {
            return Err(self.err(format!("{what} '{}' is {}, expected {}", t.name, t.dtype.name(), dtype.name())));
        }
        t.data.as_deref().ok_or_else(|| self.err(format!("{what} '{}' must be a constant", t.name)))
    }

    /// A batch-1 NHWC shape.
    pub fn hwc(&self, t: &Tensor, what: &str) -> Result<Hwc> {
        match t.shape[..] {
            [1, h, w, c] if h > 0 && w > 0 && c > 0 => Ok(Hwc { h, w, c }),
            _ => Err(self.err(format!("{what} '{}' has shape {:?}, expected [1, H, W, C]", t.name, t.shape))),
        }
    }

    pub fn expect_shape(&self, t: &Tensor, shape: &[usize], what: &str) -> Result<()> {
        if t.shape != shape {
            return Err(self.err(format!("{what} '{}' has shape {:?}, expected {:?}", t.name, t.shape, shape)));
        }
        Ok(())
    }

    /// A convolution filter's quantization: symmetric (zero points 0), one scale or one per
    /// output channel along `axis`.
    pub fn filter_quant(&self, f: &'g Tensor, axis: usize, channels: usize) -> Result<&'g Quant> {
        let q = f.quant.as_ref().ok_or_else(|| self.err("filter has no quantization parameters"))?;
        if q.zero_points.iter().any(|&z| z != 0) {
            return Err(self.err("filter zero points must be 0"));
        }
        if q.scales.len() > 1 && (q.axis != axis || q.scales.len() != channels) {
            return Err(self.err("per-channel filter scales must run along the output channels"));
        }
        Ok(q)
    }

    /// The optional int32 bias (input 2), one value per output channel; zeros without one.
    pub fn bias(&self, channels: usize) -> Result<Vec<i32>> {
        self.bias_at(2, channels)
    }

    /// [`Ctx::bias`] at input `index`.
    pub fn bias_at(&self, index: usize, channels: usize) -> Result<Vec<i32>> {
        match self.optional_input(index) {
            Some(b) => {
                let data = self.constant(b, DType::I32, "bias")?;
                self.expect_shape(b, &[channels], "bias")?;
                Ok(i32s(data))
            }
            None => Ok(vec![0; channels]),
        }
    }

    pub fn same_quant(&self, a: &Quant, b: &Quant, what: &str) -> Result<()> {
        if a.scale() != b.scale() || a.zero_point() != b.zero_point() {
            return Err(self.err(format!("{what}: input and output quantization must match")));
        }
        Ok(())
    }

    /// An int32 or int64 integer constant (shapes, axes, paddings).
    pub fn integers(&self, t: &Tensor, what: &str) -> Result<Vec<i64>> {
        let data = t.data.as_deref().ok_or_else(|| self.err(format!("{what} '{}' must be a constant", t.name)))?;
        match t.dtype {
            DType::I32 => Ok(i32s(data).into_iter().map(i64::from).collect()),
            DType::I64 => Ok(data.chunks_exact(8).filter_map(|b| b.try_into().ok()).map(i64::from_le_bytes).collect()),
            other => Err(self.err(format!("{what} '{}' is {}, expected int32 or int64", t.name, other.name()))),
        }
    }
}

/// Reads a little-endian int32 constant.
fn i32s(bytes: &[u8]) -> Vec<i32> {
    bytes.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}
