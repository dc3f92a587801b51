//! Limits that make bad input cheap: every one is checked while a model loads, before
//! anything is allocated, prepared, planned or run on its behalf, so the time and memory a
//! model can cost are bounded by these numbers, never by a number written inside the file.
//! Each is far above any model an MCU runs and far below what would stall the host.
#![warn(clippy::indexing_slicing)]

use super::{DType, Graph, OpKind};
use crate::error::{Error, Result};

/// Largest model file: MCU Flash is a few MiB; this leaves room for desktop-sized CNNs.
pub const MAX_MODEL_BYTES: u64 = 64 << 20;
/// Most tensors and ops in a subgraph (the largest real models here have a few hundred).
pub const MAX_TENSORS: usize = 16_384;
pub const MAX_OPS: usize = 4_096;
/// Most dimensions of a tensor, and the largest single dimension.
pub const MAX_RANK: usize = 8;
pub const MAX_DIMENSION: usize = 1 << 20;
/// Largest tensor computed at run time: it must fit an arena, and arenas are at most
/// [`MAX_ARENA_BYTES`].
pub const MAX_ACTIVATION_BYTES: usize = MAX_ARENA_BYTES;
/// Largest simulated SRAM: 64 MiB, 100× the largest MCU preset.
pub const MAX_ARENA_BYTES: usize = 64 << 20;
/// Most inner-loop iterations of one layer-by-layer inference (multiply-accumulates, pooling
/// taps, elements moved): about a second of the reference kernels (the Visual Wake Words
/// model needs 8 M, 20 ms; a MobileNetV2 at 224×224 0.3 G). Counted over every tap a window
/// declares (the kernels visit only those inside the input), so it is an upper bound.
pub const MAX_WORK: u64 = 500_000_000;
/// Most rows or columns a sliding window (conv, depthwise, pooling; dilation included) may
/// span. TFLite Micro keeps a window's padding in int16 (`PaddingValues`): past this its
/// padding wraps and it reads outside the input, so no result could match it.
pub const MAX_WINDOW: usize = 65_535;

/// Most inner-loop iterations of one inference under any plan: a patch plan's recomputed
/// halos may take a model past [`MAX_WORK`], to four times it (MobileNetV2 at 224×224 in
/// patches needs 0.7 G); the mcupatch kernels run that in about a second.
pub const MAX_PLAN_WORK: u64 = 4 * MAX_WORK;

/// Inner-loop iterations a step of a plan costs beyond its op's share: the views and ranges
/// it sets up, so that thousands of tiny patch steps are not counted as free.
pub const STEP_WORK: u64 = 1_000;

pub(crate) fn limit(what: impl Into<String>, value: u64, limit: u64) -> Result<()> {
    if value > limit {
        return Err(Error::Limit { what: what.into(), value, limit });
    }
    Ok(())
}

/// A tensor's shape against [`MAX_RANK`] and [`MAX_DIMENSION`]; its bytes against
/// [`MAX_ACTIVATION_BYTES`] when it is computed at run time (not `constant`).
pub(super) fn check_tensor(index: usize, name: &str, shape: &[usize], dtype: DType, constant: bool) -> Result<()> {
    let whose = |what: &str| format!("tensor {index} ({name}): {what}");
    limit(whose("the rank"), shape.len() as u64, MAX_RANK as u64)?;
    for &d in shape {
        limit(whose("a dimension"), d as u64, MAX_DIMENSION as u64)?;
    }
    if !constant {
        let bytes = shape.iter().fold(dtype.size() as u64, |acc, &d| acc.saturating_mul(d as u64));
        limit(whose("the bytes of an activation"), bytes, MAX_ACTIVATION_BYTES as u64)?;
    }
    Ok(())
}

/// An upper bound of the inner-loop iterations of op `index` over its whole output, from the
/// shapes and options alone (so it can be checked before the op is prepared).
pub fn op_work(graph: &Graph, index: usize) -> u64 {
    let Some(op) = graph.ops.get(index) else { return 0 };
    let shape = |t: usize| graph.tensors.get(t).map_or(&[][..], |t| &t.shape[..]);
    let elements = |t: Option<usize>| t.map_or(0, |t| shape(t).iter().fold(1u64, |a, &d| a.saturating_mul(d as u64)));
    let out = elements(op.outputs.first().copied());
    let per_output_channel = |filter: Option<usize>, channel_axis: usize| {
        filter.map_or(0, |f| {
            let channels = shape(f).get(channel_axis).copied().unwrap_or(1).max(1) as u64;
            elements(Some(f)) / channels
        })
    };
    let moved: u64 = op.inputs.iter().flatten().map(|&t| elements(Some(t))).fold(out, u64::saturating_add);
    let taps = match &op.kind {
        OpKind::Conv2d(_) | OpKind::TransposeConv(_) => out.saturating_mul(per_output_channel(op.input(1), 0)),
        OpKind::DepthwiseConv2d { .. } => out.saturating_mul(per_output_channel(op.input(1), 3)),
        OpKind::AveragePool2d(o) | OpKind::MaxPool2d(o) => {
            out.saturating_mul(o.filter.0 as u64).saturating_mul(o.filter.1 as u64)
        }
        OpKind::FullyConnected { .. } => {
            let units = op.input(1).and_then(|f| shape(f).first().copied()).unwrap_or(0) as u64;
            elements(op.input(0)).saturating_mul(units)
        }
        _ => 0,
    };
    taps.saturating_add(moved)
}

/// The rows or columns op `index`'s sliding window spans, the larger of the two (dilation
/// included), if it has one.
fn window_span(graph: &Graph, index: usize) -> Option<usize> {
    let op = graph.ops.get(index)?;
    let filter = |axis: usize| op.input(1).and_then(|f| graph.tensors.get(f)?.shape.get(axis).copied());
    let ((kh, kw), (dh, dw)) = match &op.kind {
        OpKind::Conv2d(c) | OpKind::DepthwiseConv2d { conv: c, .. } => ((filter(1)?, filter(2)?), c.dilation),
        OpKind::AveragePool2d(o) | OpKind::MaxPool2d(o) => (o.filter, (1, 1)),
        _ => return None,
    };
    let span = |k: usize, d: usize| k.saturating_sub(1).saturating_mul(d).saturating_add(1);
    Some(span(kh, dh).max(span(kw, dw)))
}

/// The ops' counts, windows and total work against [`MAX_OPS`], [`MAX_WINDOW`] and [`MAX_WORK`].
pub(super) fn check_graph(graph: &Graph) -> Result<()> {
    limit("the number of ops", graph.ops.len() as u64, MAX_OPS as u64)?;
    let mut total = 0u64;
    for (index, op) in graph.ops.iter().enumerate() {
        let work = op_work(graph, index);
        let op = op.kind.name();
        if let Some(span) = window_span(graph, index) {
            limit(format!("op {index} ({op}): its window's span (rows or columns)"), span as u64, MAX_WINDOW as u64)?;
        }
        limit(format!("op {index} ({op}): the work of one inference (loop iterations)"), work, MAX_WORK)?;
        total = total.saturating_add(work);
    }
    limit("the work of one inference (loop iterations over all ops)", total, MAX_WORK)
}

/// An arena size against [`MAX_ARENA_BYTES`].
pub fn check_arena(capacity: usize) -> Result<()> {
    limit("the arena (SRAM bytes)", capacity as u64, MAX_ARENA_BYTES as u64)
}
