//! The two-input element-wise ops (MUL, SUB, MAXIMUM, MINIMUM, PRELU, and ADD when an operand
//! is a constant or broadcast) with TFLite's broadcasting:
//! shapes aligned at the right, padded to 4-D with 1s, and a dimension of 1 repeated along
//! the output's (TFLM `BroadcastMul4DSlow` and kin). Each operand is an activation or an int8
//! constant. The op is spatially local when its output is a [1, H, W, C] map and every
//! activation operand is that same map (constants may broadcast): then it runs region by
//! region. An activation broadcast over the map — a squeeze-and-excitation gate, computed
//! from the whole map — makes the op whole-map.

use super::prepare::Ctx;
use super::{add_sub, maximum_minimum, mul, prelu};
use crate::error::Result;
use crate::geometry::{as_i8, elementwise_map, Fmap, FmapMut, Hwc, Region};
use crate::model::{DType, Quant};

/// The arithmetic of one op on a pair of int8 values.
#[derive(Debug, Clone)]
pub enum BinaryOp {
    /// ADD with a constant or broadcast operand (two maps of one shape take
    /// [`super::add::Add`]), or SUB.
    AddSub(add_sub::AddSub),
    Mul(mul::Mul),
    Maximum,
    Minimum,
    /// Input 1 is the alpha.
    Prelu(prelu::Prelu),
}

impl BinaryOp {
    #[inline(always)]
    fn apply(&self, a: i8, b: i8) -> i8 {
        match self {
            BinaryOp::AddSub(s) => s.apply(a, b),
            BinaryOp::Mul(m) => m.apply(a, b),
            BinaryOp::Maximum => maximum_minimum::maximum(a, b),
            BinaryOp::Minimum => maximum_minimum::minimum(a, b),
            BinaryOp::Prelu(p) => p.apply(a, b),
        }
    }
}

/// One input: its strides over the 4-D output (0 along broadcast dimensions) and, for a
/// constant, its values.
#[derive(Debug, Clone)]
struct Operand {
    strides: [usize; 4],
    constant: Option<Vec<i8>>,
}

#[derive(Debug, Clone)]
pub struct Binary {
    pub op: BinaryOp,
    /// The output map (a 1×1×N map for tensors of other ranks).
    pub map: Hwc,
    /// Local: see the module docs.
    pub spatial: bool,
    /// Whether an activation operand is broadcast (the reason the op is not local).
    pub broadcasts_activation: bool,
    dims: [usize; 4],
    operands: [Operand; 2],
}

/// A shape padded to 4-D at the left, or `None` above rank 4.
fn four_d(shape: &[usize]) -> Option<[usize; 4]> {
    let pad = 4usize.checked_sub(shape.len())?;
    let mut dims = [1; 4];
    dims[pad..].copy_from_slice(shape);
    Some(dims)
}

impl Binary {
    /// Checks the operands and output and builds the op with `arithmetic`, given the
    /// quantization of both inputs and of the output.
    pub fn prepare(cx: &Ctx, arithmetic: impl FnOnce([&Quant; 2], &Quant) -> BinaryOp) -> Result<Binary> {
        cx.expect_io(2..=2, 1)?;
        let y = cx.output(0)?;
        let yq = cx.int8_activation(y, "output")?;
        let dims =
            four_d(&y.shape).ok_or_else(|| cx.err(format!("output {:?} has more than 4 dimensions", y.shape)))?;
        let mut quants = Vec::new();
        let mut operands = Vec::new();
        let mut broadcasts_activation = false;
        for i in 0..2 {
            let x = cx.input(i)?;
            let what = format!("input {i}");
            let q = if x.is_constant() {
                if x.dtype != DType::I8 {
                    return Err(cx.err(format!("{what} '{}' is {}, only int8 is supported", x.name, x.dtype.name())));
                }
                match &x.quant {
                    // A wide zero point overflows the arithmetic (negated, added to an element).
                    Some(q) if q.scales.len() == 1 && !(-128..=127).contains(&q.zero_points[0]) => {
                        return Err(
                            cx.err(format!("{what} '{}' has zero point {}, outside int8", x.name, q.zero_points[0]))
                        );
                    }
                    Some(q) if q.scales.len() == 1 => q,
                    _ => return Err(cx.err(format!("{what} '{}' is not quantized per tensor", x.name))),
                }
            } else {
                cx.int8_activation(x, &what)?
            };
            let shape =
                four_d(&x.shape).ok_or_else(|| cx.err(format!("{what} {:?} has more than 4 dimensions", x.shape)))?;
            let mut strides = [0; 4];
            let mut step = 1;
            for d in (0..4).rev() {
                if shape[d] != dims[d] && shape[d] != 1 {
                    return Err(cx.err(format!("{what} {:?} does not broadcast to {:?}", x.shape, y.shape)));
                }
                strides[d] = if shape[d] == 1 { 0 } else { step };
                step *= shape[d];
            }
            // An activation operand of another shape is not the output's map, even where
            // padding to 4-D makes it equal ([1, C] beside a 1×1 map): it has no region.
            broadcasts_activation |= !x.is_constant() && x.shape != y.shape;
            let constant = x.data.as_deref().map(|d| as_i8(d).to_vec());
            quants.push(q);
            operands.push(Operand { strides, constant });
        }
        let (map, spatial) = elementwise_map(&y.shape);
        let [a, b] = [quants[0], quants[1]];
        let [first, second] = [operands[0].clone(), operands[1].clone()];
        Ok(Binary {
            op: arithmetic([a, b], yq),
            map,
            spatial: spatial && !broadcasts_activation,
            broadcasts_activation,
            dims,
            operands: [first, second],
        })
    }

    /// The number of activation operands (the inputs the executor passes).
    pub fn activations(&self) -> usize {
        self.operands.iter().filter(|o| o.constant.is_none()).count()
    }

    /// Computes the whole output from the activation operands, in order.
    pub fn eval(&self, inputs: &[&[i8]], output: &mut [i8]) {
        let mut next = inputs.iter();
        let data: Vec<&[i8]> = self
            .operands
            .iter()
            .map(|o| o.constant.as_deref().unwrap_or_else(|| next.next().copied().unwrap_or_default()))
            .collect();
        let [d0, d1, d2, d3] = self.dims;
        let mut out = output.iter_mut();
        for i0 in 0..d0 {
            for i1 in 0..d1 {
                for i2 in 0..d2 {
                    for i3 in 0..d3 {
                        let at = |k: usize| {
                            let s = self.operands[k].strides;
                            data[k][i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]]
                        };
                        if let Some(o) = out.next() {
                            *o = self.op.apply(at(0), at(1));
                        }
                    }
                }
            }
        }
    }

    /// Computes `region` of a local op's output from its activation operands' maps.
    pub fn eval_region(&self, inputs: &[Fmap<i8>], out: &mut FmapMut<i8>, region: Region) {
        let mut next = inputs.iter();
        let views: Vec<Option<&Fmap<i8>>> =
            self.operands.iter().map(|o| if o.constant.is_some() { None } else { next.next() }).collect();
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                let pixels: Vec<Option<&[i8]>> = views.iter().map(|v| v.map(|v| v.pixel(y, x))).collect();
                for (c, o) in out.pixel_mut(y, x).iter_mut().enumerate() {
                    let at = |k: usize| match (pixels[k], &self.operands[k].constant) {
                        (Some(p), _) => p[c],
                        (None, Some(d)) => {
                            let s = self.operands[k].strides;
                            d[y * s[1] + x * s[2] + c * s[3]]
                        }
                        (None, None) => 0,
                    };
                    *o = self.op.apply(at(0), at(1));
                }
            }
        }
    }
}
