//! Where the exported graph's tensors lie in TFLite Micro's arena: its offline memory plan.
//!
//! Each tensor lives, as TFLite Micro counts it, from the op that writes it (the graph input
//! from the start) to the last op that reads it (a graph output to the end). A RESHAPE's
//! output shares its input's bytes (TFLite Micro's RESHAPE copies only when the two differ)
//! and a row stripe lies inside its split tensor ([`ExportGraph::inside`]): such tensors
//! form one group, placed once for the union of their lifetimes by mcupatch's arena planner,
//! every size rounded up to 16 bytes as TFLite Micro rounds its buffers. TFLite Micro uses
//! these offsets as given and never checks them, so they come from this one placement only.

use super::rewrite::ExportGraph;
use crate::arena::planner::{self, Request, ALIGNMENT};
use crate::error::{Error, Result};
use crate::model::OpKind;

/// The offset of a tensor TFLite Micro plans itself (constants, tensors no op uses).
pub const PLANNED_ONLINE: i32 = -1;

/// The offline plan of an exported graph.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The arena offset of every tensor, [`PLANNED_ONLINE`] for those TFLite Micro places.
    pub offsets: Vec<i32>,
    /// The highest offset + size (sizes rounded to 16 B): the head of TFLite Micro's arena.
    pub head: usize,
    /// Tensors given an offset.
    pub planned: usize,
}

/// Places every activation tensor of `ex`.
pub fn place(ex: &ExportGraph) -> Result<Layout> {
    let n = ex.tensors.len();
    let constant = |t: usize| ex.tensors.get(t).is_none_or(|x| x.is_constant());
    let mut first = vec![usize::MAX; n];
    let mut last = vec![0usize; n];
    let mut shares = vec![None; n];
    for &t in &ex.inputs {
        first[t] = 0;
    }
    for (i, op) in ex.ops.iter().enumerate() {
        for &t in op.inputs.iter().flatten().filter(|&&t| !constant(t)) {
            first[t] = first[t].min(i);
            last[t] = last[t].max(i);
        }
        let y = op.output;
        first[y] = first[y].min(i);
        last[y] = last[y].max(i);
        if op.kind == OpKind::Reshape {
            shares[y] = op.inputs.first().copied().flatten().filter(|&x| !constant(x));
        }
    }
    let end = ex.ops.len().saturating_sub(1);
    for &t in &ex.outputs {
        last[t] = end;
    }
    // Each used tensor's group: the tensor whose bytes hold it, and where inside them.
    let holder = |t: usize| -> Result<(usize, usize)> {
        let (mut at, mut offset) = (t, 0);
        for _ in 0..=n {
            match (ex.inside[at], shares[at]) {
                (Some((container, o)), _) => (at, offset) = (container, offset + o),
                (None, Some(input)) => at = input,
                (None, None) => return Ok((at, offset)),
            }
        }
        Err(Error::Setting(format!("tensor {t} of the export lies inside itself (a bug in the export)")))
    };
    let used: Vec<usize> = (0..n).filter(|&t| !constant(t) && first[t] != usize::MAX).collect();
    let mut request_of = vec![None; n];
    let mut requests: Vec<Request> = Vec::new();
    let mut holders = Vec::with_capacity(used.len());
    for &t in &used {
        let (h, offset) = holder(t)?;
        holders.push((h, offset));
        let r = *request_of[h].get_or_insert_with(|| {
            let size = ex.tensors[h].bytes().div_ceil(ALIGNMENT) * ALIGNMENT;
            requests.push(Request { size, first: first[t], last: last[t], pinned: None });
            requests.len() - 1
        });
        let request = &mut requests[r];
        request.first = request.first.min(first[t]);
        request.last = request.last.max(last[t]);
    }
    let placement = planner::place(&requests);
    let mut offsets = vec![PLANNED_ONLINE; n];
    for (&t, &(h, offset)) in used.iter().zip(&holders) {
        let r = request_of[h].ok_or_else(|| Error::Setting(format!("tensor {h} was not placed (a bug)")))?;
        let at = placement.offsets[r] + offset;
        offsets[t] =
            i32::try_from(at).map_err(|_| Error::Setting(format!("offset {at} is beyond TFLite Micro's plan")))?;
    }
    Ok(Layout { offsets, head: placement.extent, planned: used.len() })
}
