//! Load-time rewrites that leave only ops a kernel runs.
//!
//! - Shape arithmetic (SHAPE → STRIDED_SLICE / GATHER → PACK / CONCATENATION / REDUCE_PROD,
//!   which converters emit for a Keras `Flatten`/`Reshape` with a free batch dimension, an
//!   `UpSampling2D` or a `Dense` on a map) works on shapes, and every shape here is
//!   static: each such op is computed once and its output becomes a constant, so it costs no
//!   arena bytes, no step, and never reads an activation (which would keep a map alive or end
//!   a patch stage).
//! - SPACE_TO_BATCH_ND → CONV_2D / DEPTHWISE_CONV_2D (VALID, stride 1) → BATCH_TO_SPACE_ND is
//!   how converters write a dilated convolution. Batch `a` of the space-to-batch tensor holds
//!   the padded input's pixels `j·d + a`, so the convolution's output at `m = j·d + a`, cropped
//!   by `c`, is `Σ_k w[k] · x[i + c − p + k·d]` for final output `i` (with `p` the top padding,
//!   filled with the zero point, which adds nothing): a dilated convolution with top padding
//!   `p − c`: the three ops become one dilated convolution, SAME when that is the padding
//!   (VALID after a PAD otherwise) — the same products, sums and requantization. The padding
//!   is the zero point, as TensorFlow Lite's SPACE_TO_BATCH_ND pads; TFLite Micro's never
//!   sets its pad value and pads with whatever its arena held, so with padding its output is
//!   undefined (tests/ops.rs holds the rewrite to the same weights as a native dilated conv).
//! - tf.repeat (Keras' `UpSampling2D`) writes a repeat of axis `a` as EXPAND_DIMS (a unit
//!   axis after `a`) → TILE (that axis `k` times) → RESHAPE (back to rank 4, axis `a` now
//!   `k` times longer). The TILE runs on a rank-5 tensor, which no patch stage can hold;
//!   the three become one repeat of the map (index `i` of axis `a` reads `i / k`), the same
//!   bytes, and spatially local. With a fixed batch of 1, TensorFlow 2.21 writes the rows'
//!   and the columns' repeats as one chain, RESHAPE → TILE → RESHAPE → TILE → RESHAPE, whose
//!   middle RESHAPE merges the rows just tiled and inserts the columns' unit axis at once
//!   ([1,H,k,W,C] → [1,kH,W,1,C]): each TILE becomes a repeat the same way, and the rank-5
//!   tensor between them the [1,kH,W,C] map it holds.
//! - SPLIT, SPLIT_V and UNPACK have one output per part: each part becomes a SLICE of its
//!   own (an output nothing reads is not computed), so every op left has one output, and a
//!   channel split is as local as any slice.
#![warn(clippy::indexing_slicing)]

use super::{ConvOptions, DType, Op, OpKind, Padding, Quant, SliceMasks, Tensor};
use crate::error::{Error, Result};
use crate::geometry::Window;

/// How a multi-output op cuts its input: SPLIT into equal parts, SPLIT_V into given sizes,
/// UNPACK into unit slices whose axis is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    Even { parts: i32 },
    Sizes,
    Unpack { axis: i32 },
}

/// An op the loader rewrites away: shape arithmetic on constants (SHAPE, STRIDED_SLICE,
/// PACK, and GATHER and CONCATENATION of shape vectors — tf.repeat builds its reshape's shape
/// so), the two halves of a wrapped dilated conv, and the multi-output splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fold {
    Shape,
    StridedSlice(SliceMasks),
    Pack {
        axis: i32,
    },
    SpaceToBatch,
    BatchToSpace,
    Split(Split),
    /// GATHER of constant shape values (a GATHER of an activation runs).
    Gather {
        axis: i32,
    },
    /// CONCATENATION of constant shape vectors (one of int8 maps runs).
    Concatenation,
    /// REDUCE_PROD of a constant shape vector: an element count (a Keras `Dense` on a map).
    ReduceProd,
}

#[derive(Debug, Clone)]
pub(super) enum Action {
    Run(OpKind),
    Fold(Fold),
}

/// An operator as the file has it.
#[derive(Debug, Clone)]
pub(super) struct FileOp {
    /// Its index in the file.
    pub index: usize,
    pub name: String,
    pub action: Action,
    pub inputs: Vec<Option<usize>>,
    pub outputs: Vec<usize>,
}

impl FileOp {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::Op { index: self.index, op: self.name.clone(), msg: msg.into() }
    }

    fn input(&self, i: usize) -> Result<usize> {
        self.inputs.get(i).copied().flatten().ok_or_else(|| self.err(format!("input {i} is missing")))
    }

    fn output(&self) -> Result<usize> {
        match self.outputs[..] {
            [t] => Ok(t),
            _ => Err(self.err(format!("expects one output, has {}", self.outputs.len()))),
        }
    }
}

/// Folds the shape arithmetic into constants and the wrapped dilated convolutions into
/// convolutions; returns the ops left to run, in order. An op that cannot be rewritten is
/// an error naming it.
pub(super) fn resolve(tensors: &mut Vec<Tensor>, ops: Vec<FileOp>, graph_outputs: &[usize]) -> Result<Vec<Op>> {
    let read: Vec<bool> = {
        let mut read = vec![false; tensors.len()];
        for &t in ops.iter().flat_map(|op| op.inputs.iter().flatten()).chain(graph_outputs) {
            if let Some(r) = read.get_mut(t) {
                *r = true;
            }
        }
        read
    };
    let mut kept = Vec::with_capacity(ops.len());
    for op in ops {
        let constant = |i: usize| op.input(i).ok().and_then(|t| tensors.get(t)).is_some_and(Tensor::is_constant);
        match op.action {
            Action::Fold(f @ (Fold::Shape | Fold::Pack { .. } | Fold::ReduceProd)) => fold_constant(tensors, &op, f)?,
            Action::Run(OpKind::StridedSlice(masks)) if constant(0) => {
                fold_constant(tensors, &op, Fold::StridedSlice(masks))?
            }
            Action::Run(OpKind::Gather { axis, .. }) if constant(0) => {
                fold_constant(tensors, &op, Fold::Gather { axis })?
            }
            Action::Run(OpKind::Concatenation { .. }) if shape_vectors(tensors, &op) => {
                fold_constant(tensors, &op, Fold::Concatenation)?
            }
            Action::Fold(Fold::Split(split)) => kept.extend(split_into_slices(tensors, &op, split, &read)?),
            _ => kept.push(op),
        }
    }
    let kept = merge_dilated_convs(tensors, kept, graph_outputs)?;
    let kept = merge_repeats(tensors, kept, graph_outputs);
    kept.into_iter()
        .map(|op| match op.action {
            Action::Run(kind) => Ok(Op { kind, inputs: op.inputs, outputs: op.outputs }),
            Action::Fold(_) => Err(op.err(
                "supported only as SPACE_TO_BATCH_ND → CONV_2D or DEPTHWISE_CONV_2D (VALID, stride 1) → \
                 BATCH_TO_SPACE_ND, the form of a dilated convolution",
            )),
        })
        .collect()
}

/// An int32 or int64 constant's values.
fn integers(t: &Tensor) -> Option<Vec<i64>> {
    let data = t.data.as_deref()?;
    match t.dtype {
        DType::I32 => Some(
            data.chunks_exact(4).filter_map(|b| b.try_into().ok()).map(i32::from_le_bytes).map(i64::from).collect(),
        ),
        DType::I64 => Some(data.chunks_exact(8).filter_map(|b| b.try_into().ok()).map(i64::from_le_bytes).collect()),
        _ => None,
    }
}

fn tensor<'t>(tensors: &'t [Tensor], op: &FileOp, t: usize) -> Result<&'t Tensor> {
    tensors.get(t).ok_or_else(|| op.err(format!("tensor {t} is out of range")))
}

/// The values of input `i`, which must be an integer constant.
fn constant_input(tensors: &[Tensor], op: &FileOp, i: usize) -> Result<Vec<i64>> {
    let t = tensor(tensors, op, op.input(i)?)?;
    integers(t).ok_or_else(|| {
        op.err(format!(
            "input {i} ('{}') must be an int32 or int64 constant (shape arithmetic is folded at load)",
            t.name
        ))
    })
}

/// Computes a shape op and stores its result as its output's constant data.
fn fold_constant(tensors: &mut [Tensor], op: &FileOp, fold: Fold) -> Result<()> {
    let out = op.output()?;
    let values = match fold {
        Fold::Shape => tensor(tensors, op, op.input(0)?)?.shape.iter().map(|&d| d as i64).collect(),
        Fold::StridedSlice(masks) => strided_slice(tensors, op, masks)?,
        Fold::Pack { axis } => pack(tensors, op, axis)?,
        Fold::Gather { axis } => gather(tensors, op, axis)?,
        Fold::Concatenation => {
            (0..op.inputs.len()).map(|i| constant_vector(tensors, op, i)).collect::<Result<Vec<_>>>()?.concat()
        }
        Fold::ReduceProd => reduce_prod(tensors, op)?,
        Fold::SpaceToBatch | Fold::BatchToSpace | Fold::Split(_) => return Err(op.err("not a shape op")),
    };
    let y = tensors.get_mut(out).ok_or_else(|| op.err(format!("output tensor {out} is out of range")))?;
    if y.elements() != values.len() {
        return Err(op.err(format!(
            "computes {} values, its output {:?} holds {}",
            values.len(),
            y.shape,
            y.elements()
        )));
    }
    y.data = Some(match y.dtype {
        DType::I32 => values
            .iter()
            .map(|&v| i32::try_from(v).map(i32::to_le_bytes))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| op.err("a value does not fit int32"))?
            .concat(),
        DType::I64 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        other => return Err(op.err(format!("output is {}, shape arithmetic is int32 or int64", other.name()))),
    });
    Ok(())
}

/// STRIDED_SLICE of a constant vector (what shape arithmetic slices).
fn strided_slice(tensors: &[Tensor], op: &FileOp, masks: SliceMasks) -> Result<Vec<i64>> {
    let values = constant_vector(tensors, op, 0)?;
    if masks.ellipsis != 0 || masks.new_axis != 0 {
        return Err(op.err("ellipsis and new-axis masks are not supported"));
    }
    let (begin, end, strides) =
        (constant_input(tensors, op, 1)?, constant_input(tensors, op, 2)?, constant_input(tensors, op, 3)?);
    let (Some(&b), Some(&e), Some(&s)) = (begin.first(), end.first(), strides.first()) else {
        return Err(op.err("begin, end and strides need one value each"));
    };
    if s == 0 {
        return Err(op.err("stride is 0"));
    }
    let kept = masks.indices(0, values.len(), b, e, s);
    if masks.shrinks(0) && kept.is_empty() {
        return Err(op.err(format!("index {b} is outside {} values", values.len())));
    }
    Ok(kept.iter().filter_map(|&i| values.get(i).copied()).collect())
}

/// Whether every input of `op` is a constant int32 or int64 vector: shape values, which a
/// CONCATENATION then joins at load.
fn shape_vectors(tensors: &[Tensor], op: &FileOp) -> bool {
    !op.inputs.is_empty()
        && op.inputs.iter().all(|t| {
            t.and_then(|t| tensors.get(t))
                .is_some_and(|t| t.shape.len() == 1 && matches!(t.dtype, DType::I32 | DType::I64) && t.is_constant())
        })
}

/// The product of a constant shape vector's values over axis 0, the only axis it has.
fn reduce_prod(tensors: &[Tensor], op: &FileOp) -> Result<Vec<i64>> {
    let values = constant_vector(tensors, op, 0)?;
    let axes = constant_input(tensors, op, 1)?;
    if axes.iter().any(|&a| a != 0 && a != -1) {
        return Err(op.err(format!("axes {axes:?} of a vector")));
    }
    if axes.is_empty() {
        return Ok(values);
    }
    let product = values.iter().try_fold(1i64, |p, &v| p.checked_mul(v));
    Ok(vec![product.ok_or_else(|| op.err(format!("the product of {values:?} overflows")))?])
}

/// The values of a constant int vector input `i` (what shape arithmetic indexes).
fn constant_vector(tensors: &[Tensor], op: &FileOp, i: usize) -> Result<Vec<i64>> {
    let x = tensor(tensors, op, op.input(i)?)?;
    integers(x).filter(|_| x.shape.len() == 1).ok_or_else(|| {
        op.err(format!("only a constant int vector is computed at load (shape arithmetic); input is {:?}", x.shape))
    })
}

/// GATHER from a constant vector (a shape) at constant positions.
fn gather(tensors: &[Tensor], op: &FileOp, axis: i32) -> Result<Vec<i64>> {
    let values = constant_vector(tensors, op, 0)?;
    if axis != 0 && axis != -1 {
        return Err(op.err(format!("axis {axis} of a vector")));
    }
    constant_input(tensors, op, 1)?
        .into_iter()
        .map(|p| {
            usize::try_from(p)
                .ok()
                .and_then(|p| values.get(p).copied())
                .ok_or_else(|| op.err(format!("position {p} is outside {} values", values.len())))
        })
        .collect()
}

/// One SLICE op per output of a SPLIT, SPLIT_V or UNPACK, each with constant begin and size
/// tensors of its own; an output no op reads (and the graph does not return) is left out.
fn split_into_slices(tensors: &mut Vec<Tensor>, op: &FileOp, split: Split, read: &[bool]) -> Result<Vec<FileOp>> {
    let (x, axis) = match split {
        Split::Even { .. } => (op.input(1)?, constant_input(tensors, op, 0)?),
        Split::Sizes => (op.input(0)?, constant_input(tensors, op, 2)?),
        Split::Unpack { axis } => (op.input(0)?, vec![i64::from(axis)]),
    };
    let shape = tensor(tensors, op, x)?.shape.clone();
    let rank = shape.len() as i64;
    let axis = match axis[..] {
        [a] => usize::try_from(if a < 0 { a + rank } else { a }).ok().filter(|&a| a < shape.len()),
        _ => None,
    }
    .ok_or_else(|| op.err(format!("axis {axis:?} is not one axis of {shape:?}")))?;
    let dim = shape.get(axis).copied().unwrap_or(0);
    let parts = op.outputs.len();
    let sizes: Vec<usize> = match split {
        Split::Even { parts: n } if usize::try_from(n).ok() == Some(parts) && parts > 0 && dim % parts == 0 => {
            vec![dim / parts; parts]
        }
        Split::Even { parts: n } => {
            return Err(op.err(format!("{n} splits ({parts} outputs) do not divide axis {axis} of {shape:?}")));
        }
        Split::Unpack { .. } if parts == dim => vec![1; parts],
        Split::Unpack { .. } => return Err(op.err(format!("{parts} outputs unpack axis {axis} of {shape:?}"))),
        Split::Sizes => {
            let given = constant_input(tensors, op, 1)?;
            let known: i64 = given.iter().filter(|&&s| s != -1).sum();
            let inferred = i64::try_from(dim).unwrap_or(i64::MAX) - known;
            let sizes: Option<Vec<usize>> =
                given.iter().map(|&s| usize::try_from(if s == -1 { inferred } else { s }).ok()).collect();
            match sizes {
                Some(s)
                    if s.len() == parts
                        && s.iter().sum::<usize>() == dim
                        && given.iter().filter(|&&v| v == -1).count() <= 1 =>
                {
                    s
                }
                _ => return Err(op.err(format!("sizes {given:?} do not split axis {axis} of {shape:?} into {parts}"))),
            }
        }
    };
    let mut slices = Vec::new();
    let mut start = 0;
    for (&y, &size) in op.outputs.iter().zip(&sizes) {
        let begin = start;
        start += size;
        if !read.get(y).copied().unwrap_or(false) {
            continue;
        }
        let mut constant = |what: &str, values: Vec<usize>| {
            let name = format!("{}/{what}", tensor(tensors, op, y).map_or("", |t| t.name.as_str()));
            let data = values.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect();
            tensors.push(Tensor { name, shape: vec![values.len()], dtype: DType::I32, quant: None, data: Some(data) });
            tensors.len() - 1
        };
        let at = |v: usize, other: &dyn Fn(usize) -> usize| {
            (0..shape.len()).map(|a| if a == axis { v } else { other(a) }).collect()
        };
        let b = constant("begin", at(begin, &|_| 0));
        let s = constant("size", at(size, &|a| shape.get(a).copied().unwrap_or(0)));
        slices.push(FileOp {
            index: op.index,
            name: format!("{} as SLICE", op.name),
            action: Action::Run(OpKind::Slice),
            inputs: vec![Some(x), Some(b), Some(s)],
            outputs: vec![y],
        });
    }
    Ok(slices)
}

/// PACK of constants of one shape along `axis`.
fn pack(tensors: &[Tensor], op: &FileOp, axis: i32) -> Result<Vec<i64>> {
    let parts = (0..op.inputs.len()).map(|i| constant_input(tensors, op, i)).collect::<Result<Vec<_>>>()?;
    let shape = &tensor(tensors, op, op.input(0)?)?.shape;
    let rank = shape.len() as i32 + 1;
    let axis = if axis < 0 { axis + rank } else { axis };
    let axis = usize::try_from(axis)
        .ok()
        .filter(|&a| a < rank as usize)
        .ok_or_else(|| op.err(format!("axis {axis} is outside rank {rank}")))?;
    let inner: usize = shape.iter().skip(axis).product();
    let outer: usize = shape.iter().take(axis).product();
    if parts.iter().any(|p| p.len() != inner * outer) {
        return Err(op.err("inputs differ in size"));
    }
    let mut out = Vec::with_capacity(parts.len() * inner * outer);
    for o in 0..outer {
        for p in &parts {
            out.extend(p.iter().skip(o * inner).take(inner));
        }
    }
    Ok(out)
}

/// One TILE of a repeat chain: it repeats `axis` of the map before it `times` times, and
/// the RESHAPE after it (`merge`) writes `output`, which holds `map`.
struct RepeatLink {
    tile: usize,
    merge: usize,
    axis: usize,
    times: usize,
    output: usize,
    map: Vec<usize>,
}

/// Rewrites every repeat chain of a [1, H, W, C] map (see [`repeat_chain`]) into one repeat
/// per TILE, from the map before it to the map after it; the reshapes go, and a rank-5
/// tensor between two TILEs becomes the rank-4 map it holds (the same bytes).
fn merge_repeats(tensors: &mut [Tensor], ops: Vec<FileOp>, graph_outputs: &[usize]) -> Vec<FileOp> {
    let mut removed = vec![false; ops.len()];
    let mut rewrites: Vec<Option<(OpKind, usize, usize)>> = vec![None; ops.len()];
    for e in 0..ops.len() {
        let Some((x, links)) = repeat_chain(tensors, &ops, graph_outputs, e) else { continue };
        let mut from = x;
        for (i, link) in links.iter().enumerate() {
            if let Some(slot) = rewrites.get_mut(link.tile) {
                *slot = Some((OpKind::Repeat { axis: link.axis, times: link.times }, from, link.output));
            }
            if i + 1 < links.len() {
                if let Some(between) = tensors.get_mut(link.output) {
                    between.shape.clone_from(&link.map);
                }
            }
            from = link.output;
        }
        for i in std::iter::once(e).chain(links.iter().map(|link| link.merge)) {
            if let Some(slot) = removed.get_mut(i) {
                *slot = true;
            }
        }
    }
    let mut out = Vec::with_capacity(ops.len());
    for ((mut op, removed), rewrite) in ops.into_iter().zip(removed).zip(rewrites) {
        if removed {
            continue;
        }
        if let Some((kind, x, y)) = rewrite {
            op.action = Action::Run(kind);
            op.name = format!("{} (a repeat)", op.name);
            op.inputs = vec![Some(x)];
            op.outputs = vec![y];
        }
        out.push(op);
    }
    out
}

/// The repeat chain that RESHAPE `e` starts, if it starts one: its input map and its TILEs.
/// A chain is a RESHAPE inserting a unit axis into a [1, H, W, C] map, then per repeated axis
/// a TILE of that unit axis alone and a RESHAPE merging it into the axis before it, each
/// tensor read by the next op alone, with the map's type and quantization. The last RESHAPE
/// gives a rank-4 map; one between two TILEs gives the next TILE's input, the map with the
/// next unit axis. tf.repeat with a free batch writes one TILE a chain (EXPAND_DIMS → TILE →
/// RESHAPE per axis); TensorFlow 2.21 with a batch of 1 writes Keras' `UpSampling2D` as one
/// chain of two (RESHAPE → TILE → RESHAPE → TILE → RESHAPE, no rank-4 map between the
/// TILEs). Anything else (a chain that ends off a map) is no chain, and runs as written.
fn repeat_chain(
    tensors: &[Tensor],
    ops: &[FileOp],
    graph_outputs: &[usize],
    e: usize,
) -> Option<(usize, Vec<RepeatLink>)> {
    let is_reshape = |op: &&FileOp| matches!(op.action, Action::Run(OpKind::Reshape));
    let expand = ops.get(e).filter(is_reshape)?;
    let x = expand.input(0).ok()?;
    let like_x = |t: usize| {
        let (x, t) = (tensors.get(x)?, tensors.get(t)?);
        (t.dtype == x.dtype && t.quant == x.quant && !t.is_constant()).then_some(t.shape.as_slice())
    };
    let mut map = match like_x(x)? {
        &[1, h, w, c] => vec![1, h, w, c],
        _ => return None,
    };
    let mut expanded = expand.output().ok()?;
    let mut links = Vec::new();
    // One TILE per axis of the map at most (TensorFlow writes one per repeated axis): a
    // crafted chain of thousands of TILEs walked from each of its RESHAPEs would cost the
    // square of its length in reader scans.
    for _ in 0..3 {
        let [t] = readers(ops, expanded)[..] else { return None };
        let tile = ops.get(t).filter(|op| matches!(op.action, Action::Run(OpKind::Tile)))?;
        if graph_outputs.contains(&expanded) || tile.input(0).ok() != Some(expanded) {
            return None;
        }
        // The unit axis sits right after the repeated one: find it, and the count.
        let shape = like_x(expanded)?;
        let unit = (2..=4).find(|&u| {
            let mut with_unit = map.clone();
            with_unit.insert(u, 1);
            shape == with_unit.as_slice()
        })?;
        let multiples = integers(tensors.get(tile.input(1).ok()?)?)?;
        let times = multiples.get(unit).copied().and_then(|k| usize::try_from(k).ok()).filter(|&k| k > 0)?;
        if multiples.len() != 5 || multiples.iter().enumerate().any(|(i, &m)| i != unit && m != 1) {
            return None;
        }
        let tiled = tile.output().ok()?;
        let [r] = readers(ops, tiled)[..] else { return None };
        let merge = ops.get(r).filter(is_reshape)?;
        let y = merge.output().ok()?;
        if graph_outputs.contains(&tiled) || like_x(tiled).is_none() {
            return None;
        }
        let longer = map.get(unit - 1)?.checked_mul(times)?;
        *map.get_mut(unit - 1)? = longer;
        links.push(RepeatLink { tile: t, merge: r, axis: unit - 1, times, output: y, map: map.clone() });
        if like_x(y)? == map.as_slice() {
            return Some((x, links));
        }
        expanded = y;
    }
    None
}

/// The ops that read tensor `t`.
fn readers(ops: &[FileOp], t: usize) -> Vec<usize> {
    (0..ops.len()).filter(|&i| ops.get(i).is_some_and(|op| op.inputs.contains(&Some(t)))).collect()
}

/// A convolution's new kind, input and output, and the PAD to run before it.
type Rewrite = (OpKind, usize, usize, Option<FileOp>);

/// Rewrites every SPACE_TO_BATCH_ND → convolution → BATCH_TO_SPACE_ND into a dilated
/// convolution (after a PAD when needed); leaves any other use of the two ops for
/// [`resolve`] to refuse.
fn merge_dilated_convs(tensors: &mut Vec<Tensor>, ops: Vec<FileOp>, graph_outputs: &[usize]) -> Result<Vec<FileOp>> {
    let mut removed = vec![false; ops.len()];
    let mut rewrites: Vec<Option<Rewrite>> = vec![None; ops.len()];
    for s in 0..ops.len() {
        let Some(stb) = ops.get(s).filter(|op| matches!(op.action, Action::Fold(Fold::SpaceToBatch))) else { continue };
        let (x, t1) = (stb.input(0)?, stb.output()?);
        let [c] = readers(&ops, t1)[..] else { continue };
        let Some(conv) = ops.get(c) else { continue };
        let t2 = conv.output()?;
        let [b] = readers(&ops, t2)[..] else { continue };
        let Some(bts) = ops.get(b).filter(|op| matches!(op.action, Action::Fold(Fold::BatchToSpace))) else { continue };
        if graph_outputs.contains(&t1) || graph_outputs.contains(&t2) || conv.input(0)? != t1 {
            continue;
        }
        let plain = |o: &ConvOptions| o.stride == (1, 1) && o.dilation == (1, 1) && o.padding == Padding::Valid;
        let wrapped = match &conv.action {
            Action::Run(OpKind::Conv2d(o)) if plain(o) => *o,
            Action::Run(OpKind::DepthwiseConv2d { conv: o, .. }) if plain(o) => *o,
            _ => continue,
        };
        let y = bts.output()?;
        let (options, pads) = dilated_options(tensors, stb, conv, bts, (x, t1, t2, y), wrapped)?;
        let kind = match &conv.action {
            Action::Run(OpKind::DepthwiseConv2d { depth_multiplier, .. }) => {
                OpKind::DepthwiseConv2d { conv: options, depth_multiplier: *depth_multiplier }
            }
            _ => OpKind::Conv2d(options),
        };
        let (input, pad) = match pads {
            Some(pads) => {
                let (padded, pad) = zero_point_pad(tensors, stb, x, pads)?;
                (padded, Some(pad))
            }
            None => (x, None),
        };
        if let Some(r) = rewrites.get_mut(c) {
            *r = Some((kind, input, y, pad));
        }
        for i in [s, b] {
            if let Some(r) = removed.get_mut(i) {
                *r = true;
            }
        }
    }
    let mut out = Vec::with_capacity(ops.len());
    for ((mut op, removed), rewrite) in ops.into_iter().zip(removed).zip(rewrites) {
        if removed {
            continue;
        }
        if let Some((kind, input, y, pad)) = rewrite {
            out.extend(pad);
            op.action = Action::Run(kind);
            op.name = format!("{} (dilated)", op.name);
            if let Some(first) = op.inputs.first_mut() {
                *first = Some(input);
            }
            op.outputs = vec![y];
        }
        out.push(op);
    }
    Ok(out)
}

/// Adds the tensors of a PAD of `x` by `[top, bottom, left, right]` (with the zero point);
/// returns the padded tensor and the op.
fn zero_point_pad(tensors: &mut Vec<Tensor>, stb: &FileOp, x: usize, pads: [usize; 4]) -> Result<(usize, FileOp)> {
    let xt = tensor(tensors, stb, x)?.clone();
    let [_, h, w, c] = xt.shape[..] else { return Err(stb.err("input is not NHWC")) };
    let [top, bottom, left, right] = pads;
    let paddings: Vec<u8> =
        [0, 0, top, bottom, left, right, 0, 0].iter().flat_map(|&v| (v as i32).to_le_bytes()).collect();
    let mut add = |name: String, shape: Vec<usize>, dtype: DType, quant: Option<Quant>, data: Option<Vec<u8>>| {
        tensors.push(Tensor { name, shape, dtype, quant, data });
        tensors.len() - 1
    };
    let p = add(format!("{}/paddings", xt.name), vec![4, 2], DType::I32, None, Some(paddings));
    let shape = vec![1, h + top + bottom, w + left + right, c];
    super::limits::check_tensor(stb.index, "padded dilated-conv input", &shape, DType::I8, false)?;
    let padded = add(format!("{}/space_to_batch_padded", xt.name), shape, DType::I8, xt.quant.clone(), None);
    let op = FileOp {
        index: stb.index,
        name: format!("{} as PAD", stb.name),
        action: Action::Run(OpKind::Pad),
        inputs: vec![Some(x), Some(p)],
        outputs: vec![padded],
    };
    Ok((padded, op))
}

/// The options of the dilated convolution that SPACE_TO_BATCH_ND `stb`, convolution `conv`
/// and BATCH_TO_SPACE_ND `bts` compute over tensors (x, space-to-batch, conv out, y), and
/// the padding `[top, bottom, left, right]` it needs first when it is neither SAME nor VALID.
fn dilated_options(
    tensors: &[Tensor],
    stb: &FileOp,
    conv: &FileOp,
    bts: &FileOp,
    (x, t1, t2, y): (usize, usize, usize, usize),
    wrapped: ConvOptions,
) -> Result<(ConvOptions, Option<[usize; 4]>)> {
    let block = constant_input(tensors, stb, 1)?;
    let pads = constant_input(tensors, stb, 2)?;
    let crops = constant_input(tensors, bts, 2)?;
    if constant_input(tensors, bts, 1)? != block {
        return Err(bts.err("block shape differs from its SPACE_TO_BATCH_ND's"));
    }
    let count = |v: &[i64], n: usize, what: &str| -> Result<Vec<usize>> {
        v.iter()
            .map(|&d| usize::try_from(d).ok())
            .collect::<Option<Vec<_>>>()
            .filter(|v| v.len() == n)
            .ok_or_else(|| stb.err(format!("{what} {v:?}: expected {n} non-negative values")))
    };
    let (block, pads, crops) =
        (count(&block, 2, "block shape")?, count(&pads, 4, "paddings")?, count(&crops, 4, "crops")?);
    let (xt, t1t, t2t, yt) =
        (tensor(tensors, stb, x)?, tensor(tensors, stb, t1)?, tensor(tensors, conv, t2)?, tensor(tensors, bts, y)?);
    let quant = |t: &Tensor| t.quant.as_ref().map(|q| (q.scale(), q.zero_point()));
    if quant(xt) != quant(t1t) || quant(t2t) != quant(yt) {
        return Err(stb.err("the data moves around the convolution change quantization"));
    }
    let filter = tensor(tensors, conv, conv.input(1)?)?;
    let ([1, h, w, _], [1, oh, ow, _], [_, kh, kw, _]) = (&xt.shape[..], &yt.shape[..], &filter.shape[..]) else {
        return Err(
            conv.err(format!("input {:?}, output {:?} and filter {:?} are not NHWC", xt.shape, yt.shape, filter.shape))
        );
    };
    let ([block_h, block_w], [top_pad, _, left_pad, _], [top_crop, _, left_crop, _]) =
        (&block[..], &pads[..], &crops[..])
    else {
        return Err(stb.err("block shape, paddings and crops need 2, 4 and 4 values"));
    };
    let (block_h, block_w, top_pad, left_pad, top_crop, left_crop) =
        (*block_h, *block_w, *top_pad, *left_pad, *top_crop, *left_crop);
    let unfit = || {
        conv.err(format!(
            "between SPACE_TO_BATCH_ND (block {block:?}, paddings {pads:?}) and BATCH_TO_SPACE_ND (crops {crops:?}), \
             it is not a dilated convolution of {:?} to {:?}",
            xt.shape, yt.shape
        ))
    };
    if block_h == 0 || block_w == 0 {
        return Err(unfit());
    }
    let dilation = (block_h, block_w);
    let (top, left) =
        (top_pad.checked_sub(top_crop).ok_or_else(unfit)?, left_pad.checked_sub(left_crop).ok_or_else(unfit)?);
    // The padded input a VALID dilated convolution to (oh, ow) reads.
    let reach = |k: usize, d: usize, out: usize| k.checked_sub(1)?.checked_mul(d)?.checked_add(out);
    let bottom = reach(*kh, block_h, *oh).and_then(|r| r.checked_sub(h.checked_add(top)?)).ok_or_else(unfit)?;
    let right = reach(*kw, block_w, *ow).and_then(|r| r.checked_sub(w.checked_add(left)?)).ok_or_else(unfit)?;
    let options = |padding| ConvOptions { padding, stride: (1, 1), dilation, activation: wrapped.activation };
    if top + bottom + left + right == 0 {
        return Ok((options(Padding::Valid), None));
    }
    let same = Window::new((*h, *w), (*kh, *kw), (1, 1), dilation, Padding::Same)
        .is_some_and(|win| (win.out_h, win.out_w, win.pad_top, win.pad_left) == (*oh, *ow, top, left));
    if same {
        return Ok((options(Padding::Same), None));
    }
    Ok((options(Padding::Valid), Some([top, bottom, left, right])))
}
