//! RESHAPE: the bytes do not change. The arena planner gives the output the input's
//! buffer, so `eval` copies only when the two were placed apart.

use super::Ctx;
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<()> {
    if cx.op.inputs.is_empty() || cx.op.outputs.len() != 1 {
        return Err(cx.err("expects an input and one output"));
    }
    let (x, y) = (cx.input(0)?, cx.output(0)?);
    if x.dtype != y.dtype || x.elements() != y.elements() {
        return Err(cx.err(format!(
            "cannot reshape {} {:?} into {} {:?}",
            x.dtype.name(),
            x.shape,
            y.dtype.name(),
            y.shape
        )));
    }
    if x.is_constant() {
        return Err(cx.err("reshaping a constant is not supported"));
    }
    Ok(())
}

pub fn eval(input: &[u8], output: &mut [u8]) {
    output.copy_from_slice(input);
}
