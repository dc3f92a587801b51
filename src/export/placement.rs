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

/// The exported graph's tensors as placement requests: one per group of tensors sharing
/// bytes, and for every used tensor its group and offset inside it.
pub struct Requests {
    requests: Vec<Request>,
    /// (tensor, its group's request, its offset in the group)
    members: Vec<(usize, usize, usize)>,
    tensors: usize,
}

impl Requests {
    /// What any placement's extent is at least: the most bytes alive at one op.
    pub fn live_bound(&self) -> usize {
        let steps = self.requests.iter().map(|r| r.last + 2).max().unwrap_or(0);
        let mut delta = vec![0isize; steps];
        for r in &self.requests {
            delta[r.first] += r.size as isize;
            delta[r.last + 1] -= r.size as isize;
        }
        let mut live = 0isize;
        delta.iter().map(|d| (live += d, live).1).max().unwrap_or(0).max(0) as usize
    }

    /// The extent TFLite Micro's own `GreedyMemoryPlanner` gives these requests and `extra`
    /// ones (its kernels' scratch buffers, added after the tensors): by size, largest first,
    /// ties the last added first (it lists the buffers backwards, then bubble-sorts them),
    /// each at the lowest offset clear of those already placed that live at the same time;
    /// no second pass.
    pub fn greedy_extent(&self, extra: &[Request]) -> usize {
        let all: Vec<&Request> = self.requests.iter().chain(extra).collect();
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by_key(|&r| (std::cmp::Reverse(all[r].size), std::cmp::Reverse(r)));
        let mut placed: Vec<(usize, usize)> = Vec::with_capacity(all.len());
        let mut extent = 0;
        for r in order {
            let mut busy: Vec<(usize, usize)> = placed
                .iter()
                .filter(|&&(_, p)| all[p].conflicts(all[r]))
                .map(|&(at, p)| (at, at + all[p].size))
                .collect();
            busy.sort_unstable();
            let mut at = 0;
            for (start, end) in busy {
                if at + all[r].size <= start {
                    break;
                }
                at = at.max(end);
            }
            placed.push((at, r));
            extent = extent.max(at + all[r].size);
        }
        extent
    }

    /// Places the groups with mcupatch's arena planner.
    pub fn place(&self) -> Result<Layout> {
        let placement = planner::place(&self.requests);
        let mut offsets = vec![PLANNED_ONLINE; self.tensors];
        for &(t, r, offset) in &self.members {
            let at = placement.offsets[r] + offset;
            offsets[t] =
                i32::try_from(at).map_err(|_| Error::Setting(format!("offset {at} is beyond TFLite Micro's plan")))?;
        }
        Ok(Layout { offsets, head: placement.extent, planned: self.members.len() })
    }
}

/// Places every activation tensor of `ex`.
pub fn place(ex: &ExportGraph) -> Result<Layout> {
    requests(ex)?.place()
}

/// The placement requests of `ex`'s activation tensors, a RESHAPE's output sharing its
/// input's bytes.
pub fn requests(ex: &ExportGraph) -> Result<Requests> {
    requests_sharing(ex, true)
}

/// The requests TFLite Micro's own planner gets: a tensor each, no bytes shared.
pub fn own_requests(ex: &ExportGraph) -> Result<Requests> {
    requests_sharing(ex, false)
}

fn requests_sharing(ex: &ExportGraph, share_reshapes: bool) -> Result<Requests> {
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
        if share_reshapes && op.kind == OpKind::Reshape {
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
    let mut members = Vec::with_capacity(used.len());
    for &t in &used {
        let (h, offset) = holder(t)?;
        let r = *request_of[h].get_or_insert_with(|| {
            let size = ex.tensors[h].bytes().div_ceil(ALIGNMENT) * ALIGNMENT;
            requests.push(Request { size, first: first[t], last: last[t], pinned: None });
            requests.len() - 1
        });
        let request = &mut requests[r];
        request.first = request.first.min(first[t]);
        request.last = request.last.max(last[t]);
        members.push((t, r, offset));
    }
    Ok(Requests { requests, members, tensors: n })
}
