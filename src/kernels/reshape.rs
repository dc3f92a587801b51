//! RESHAPE: the bytes do not change. The arena planner gives the output the input's
//! buffer, so `eval` copies only when the two were placed apart.

use super::prepare::Ctx;
use crate::error::Result;

pub fn prepare(cx: &Ctx) -> Result<()> {
    if cx.op.inputs.is_empty() || cx.op.outputs.len() != 1 {
        return Err(cx.err("expects an input and one output"));
    }
    let (x, y) = (cx.input(0)?, cx.output(0)?);
    if x.dtype == y.dtype && x.elements() != y.elements() && requested_elements(cx) == Some(x.elements()) {
        return Err(cx.err(format!(
            "the file gives the output '{}' the placeholder shape {:?} for {:?}: a shape left to run time \
             (converted with a free batch dimension), which TFLite resolves and TFLite Micro does not; \
             convert with a fixed batch size (e.g. keras.Input(..., batch_size=1))",
            y.name, y.shape, x.shape
        )));
    }
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

/// The element count the shape input asks for (one -1 standing for the rest), when it is a
/// constant: what TFLite reshapes to.
fn requested_elements(cx: &Ctx) -> Option<usize> {
    let shape = cx.input(1).ok().filter(|t| t.is_constant())?;
    let dims = cx.integers(shape, "shape").ok()?;
    let known = dims.iter().filter(|&&d| d != -1).try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))?;
    match dims.iter().filter(|&&d| d == -1).count() {
        0 => Some(known),
        1 => Some(cx.input(0).ok()?.elements()).filter(|n| known > 0 && n % known == 0),
        _ => None,
    }
}

pub fn eval(input: &[u8], output: &mut [u8]) {
    output.copy_from_slice(input);
}
