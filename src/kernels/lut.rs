//! An int8 → int8 function of one element, tabulated: the element-wise activations
//! (LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU) compute their table at prepare time
//! with TFLite Micro's own integer arithmetic, so a lookup gives TFLM's bytes exactly.

use super::prepare::Ctx;
use crate::error::Result;
use crate::geometry::{elementwise_map, Fmap, FmapMut, Hwc, Region};
use crate::model::Quant;

#[derive(Debug, Clone)]
pub struct Lut {
    /// The map the function runs over (a 1×1×N map for tensors of other ranks).
    pub map: Hwc,
    /// The tensors are [1, H, W, C] maps, so the op can run region by region.
    pub spatial: bool,
    /// The output for input `v` at index `v as u8`.
    table: Box<[i8; 256]>,
}

impl Lut {
    /// Checks a one-input int8 op whose output has its input's shape, and tabulates `f`
    /// (given both quantizations) over every int8 input.
    pub fn prepare(cx: &Ctx, f: impl FnOnce(&Quant, &Quant) -> Result<Box<dyn Fn(i8) -> i8>>) -> Result<Lut> {
        cx.expect_io(1..=1, 1)?;
        let (x, y) = (cx.input(0)?, cx.output(0)?);
        let (xq, yq) = (cx.int8_activation(x, "input")?, cx.int8_activation(y, "output")?);
        if x.shape != y.shape {
            return Err(cx.err(format!("input {:?} and output {:?} differ in shape", x.shape, y.shape)));
        }
        let element = f(xq, yq)?;
        let mut table = Box::new([0i8; 256]);
        for v in i8::MIN..=i8::MAX {
            table[usize::from(v as u8)] = element(v);
        }
        let (map, spatial) = elementwise_map(&y.shape);
        Ok(Lut { map, spatial, table })
    }

    /// Computes `region` of the output from an input that covers it.
    pub fn eval_region(&self, input: &Fmap<i8>, out: &mut FmapMut<i8>, region: Region) {
        for y in region.y0..region.y1 {
            for x in region.x0..region.x1 {
                for (o, &v) in out.pixel_mut(y, x).iter_mut().zip(input.pixel(y, x)) {
                    *o = self.table[usize::from(v as u8)];
                }
            }
        }
    }

    pub fn eval(&self, input: &[i8], output: &mut [i8]) {
        for (o, &v) in output.iter_mut().zip(input) {
            *o = self.table[usize::from(v as u8)];
        }
    }
}
