//! Shape ops: RESHAPE, the shape arithmetic converters emit for a free batch dimension
//! (SHAPE → STRIDED_SLICE or GATHER → PACK, or → REDUCE_PROD → CONCATENATION, folded at
//! load), tf.repeat and Keras' UpSampling2D (EXPAND_DIMS or RESHAPE → TILE → RESHAPE), TILE
//! and BROADCAST_TO.

use super::movement::concat_options;
use super::pool::reduce_options;
use super::writer::builtin_options::{GATHER_OPTIONS, PACK_OPTIONS, SHAPE_OPTIONS, STRIDED_SLICE_OPTIONS};
use super::writer::{gather_options, pack_options, shape_options, strided_slice_options, Field, TensorSpec, I32};
use super::{
    Gen, Map, BROADCAST_TO, CONCATENATION, EXPAND_DIMS, GATHER, PACK, REDUCE_PROD, RESHAPE, SHAPE, STRIDED_SLICE, TILE,
};
use rand::Rng;

impl Gen<'_> {
    /// SHAPE of `x` (rank 4) into a fresh int32 tensor.
    fn shape_of(&mut self, x: i32) -> i32 {
        let shape =
            self.spec.tensor(TensorSpec { name: "shape".into(), shape: vec![4], dtype: I32, ..Default::default() });
        let options = (SHAPE_OPTIONS, vec![(shape_options::OUT_TYPE, Field::I8(I32))]);
        self.spec.op(SHAPE, vec![x], vec![shape], Some(options));
        shape
    }

    /// RESHAPE to [1, n] of a tensor with `n` elements.
    pub fn flatten(&mut self, t: i32, n: usize, scale: f32, zp: i64) -> i32 {
        let shape = self.int32_const("shape", vec![2], &[1, n as i32]);
        let y = self.activation_tensor("flatten", vec![1, n], scale, zp);
        self.spec.op(RESHAPE, vec![t, shape], vec![y], None);
        self.notes.push("reshape".into());
        y
    }

    /// Keras' flatten with a free batch dimension: SHAPE → STRIDED_SLICE (the batch) → PACK
    /// with -1 → RESHAPE to [1, n].
    pub fn dynamic_flatten(&mut self, x: Map) -> i32 {
        self.dynamic_flatten_with(x, STRIDED_SLICE)
    }

    /// [`Gen::dynamic_flatten`] taking the batch out of the shape with `code`: STRIDED_SLICE
    /// or GATHER (at position 0).
    pub fn dynamic_flatten_with(&mut self, x: Map, code: i32) -> i32 {
        let shape = self.shape_of(x.t);
        let batch =
            self.spec.tensor(TensorSpec { name: "batch".into(), shape: vec![], dtype: I32, ..Default::default() });
        match code {
            GATHER => {
                let position = self.int32_const("position", vec![], &[0]);
                self.spec.op(
                    GATHER,
                    vec![shape, position],
                    vec![batch],
                    Some((GATHER_OPTIONS, vec![(gather_options::AXIS, Field::I32(0))])),
                );
            }
            _ => {
                let (begin, end, strides) = (
                    self.int32_const("begin", vec![1], &[0]),
                    self.int32_const("end", vec![1], &[1]),
                    self.int32_const("strides", vec![1], &[1]),
                );
                self.spec.op(
                    STRIDED_SLICE,
                    vec![shape, begin, end, strides],
                    vec![batch],
                    Some((STRIDED_SLICE_OPTIONS, vec![(strided_slice_options::SHRINK_AXIS_MASK, Field::I32(1))])),
                );
            }
        }
        let minus_one = self.int32_const("minus_one", vec![], &[-1]);
        let packed =
            self.spec.tensor(TensorSpec { name: "packed".into(), shape: vec![2], dtype: I32, ..Default::default() });
        self.spec.op(
            PACK,
            vec![batch, minus_one],
            vec![packed],
            Some((
                PACK_OPTIONS,
                vec![(pack_options::VALUES_COUNT, Field::I32(2)), (pack_options::AXIS, Field::I32(0))],
            )),
        );
        let n = x.h * x.w * x.c;
        let y = self.activation_tensor("flatten", vec![1, n], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, packed], vec![y], None);
        self.notes.push(format!("shape→{}→pack→reshape", mcupatch::model::schema::builtin_name(code)));
        y
    }

    /// A Keras `Dense` on a map's reshape with a free batch dimension: SHAPE → STRIDED_SLICE
    /// (the batch, and the other dimensions) → REDUCE_PROD (their count) → CONCATENATION →
    /// RESHAPE to [1, n]: what the loader folds into one constant shape.
    pub fn dynamic_flatten_by_product(&mut self, x: Map) -> i32 {
        let shape = self.shape_of(x.t);
        let slice = |g: &mut Self, name: &str, from: i32, to: i32| {
            let (begin, end, strides) = (
                g.int32_const("begin", vec![1], &[from]),
                g.int32_const("end", vec![1], &[to]),
                g.int32_const("strides", vec![1], &[1]),
            );
            let part = g.spec.tensor(TensorSpec {
                name: name.into(),
                shape: vec![to - from],
                dtype: I32,
                ..Default::default()
            });
            g.spec.op(STRIDED_SLICE, vec![shape, begin, end, strides], vec![part], None);
            part
        };
        let batch = slice(self, "batch", 0, 1);
        let rest = slice(self, "rest", 1, 4);
        let axis = self.int32_const("axis", vec![1], &[0]);
        let count =
            self.spec.tensor(TensorSpec { name: "count".into(), shape: vec![1], dtype: I32, ..Default::default() });
        self.spec.op(REDUCE_PROD, vec![rest, axis], vec![count], Some(reduce_options(true)));
        let joined =
            self.spec.tensor(TensorSpec { name: "joined".into(), shape: vec![2], dtype: I32, ..Default::default() });
        self.spec.op(CONCATENATION, vec![batch, count], vec![joined], Some(concat_options(0)));
        let y = self.activation_tensor("flatten", vec![1, x.h * x.w * x.c], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, joined], vec![y], None);
        self.notes.push("shape→strided_slice→reduce_prod→concatenation→reshape".into());
        y
    }

    /// RESHAPE of `t` to `shape` (same quantization).
    pub(super) fn reshape(&mut self, t: i32, shape: Vec<usize>, scale: f32, zp: i64) -> i32 {
        let dims: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
        let s = self.int32_const("shape", vec![dims.len() as i32], &dims);
        let y = self.activation_tensor("reshaped", shape, scale, zp);
        self.spec.op(RESHAPE, vec![t, s], vec![y], None);
        y
    }

    /// TILE of `x` by random multiples (batch too, now and then); returns the tensor and its
    /// shape.
    pub fn tile(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let multiples: Vec<usize> =
            (0..4).map(|a| if a == 0 && self.rng.gen_bool(0.8) { 1 } else { self.rng.gen_range(1..=3) }).collect();
        let shape: Vec<usize> = dims.iter().zip(&multiples).map(|(d, m)| d * m).collect();
        let values: Vec<i32> = multiples.iter().map(|&m| m as i32).collect();
        let mt = self.int32_const("multiples", vec![4], &values);
        let y = self.activation_tensor("tiled", shape.clone(), x.scale, x.zp);
        self.spec.op(TILE, vec![x.t, mt], vec![y], None);
        self.notes.push(format!("tile {dims:?} by {multiples:?}"));
        (y, shape)
    }

    /// tf.repeat of axis `a` (1..=3) `k` times, as the converter writes it for Keras'
    /// `UpSampling2D`: EXPAND_DIMS (a unit axis after `a`) → TILE → RESHAPE, the reshape's
    /// shape constant or, with `free_batch`, built at run time from SHAPE → STRIDED_SLICE
    /// (the axes before `a`) → CONCATENATION with the constant rest.
    pub fn repeat(&mut self, x: Map, a: usize, k: usize, free_batch: bool) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let mut expanded: Vec<usize> = dims.to_vec();
        expanded.insert(a + 1, 1);
        let axis = self.int32_const("expand_axis", vec![], &[a as i32 + 1]);
        let t1 = self.activation_tensor("expanded", expanded.clone(), x.scale, x.zp);
        self.spec.op(EXPAND_DIMS, vec![x.t, axis], vec![t1], None);
        let mut multiples = vec![1i32; 5];
        multiples[a + 1] = k as i32;
        let mt = self.int32_const("multiples", vec![5], &multiples);
        let mut tiled = expanded;
        tiled[a + 1] = k;
        let t2 = self.activation_tensor("tiled", tiled, x.scale, x.zp);
        self.spec.op(TILE, vec![t1, mt], vec![t2], None);
        let mut out = dims;
        out[a] *= k;
        let shape_values: Vec<i32> = out.iter().map(|&d| d as i32).collect();
        let shape = if free_batch {
            let shape = self.shape_of(x.t);
            let (b, e, st) = (
                self.int32_const("begin", vec![1], &[0]),
                self.int32_const("end", vec![1], &[a as i32]),
                self.int32_const("strides", vec![1], &[1]),
            );
            let head = self.spec.tensor(TensorSpec {
                name: "leading".into(),
                shape: vec![a as i32],
                dtype: I32,
                ..Default::default()
            });
            self.spec.op(STRIDED_SLICE, vec![shape, b, e, st], vec![head], Some((STRIDED_SLICE_OPTIONS, vec![])));
            let rest = self.int32_const("rest", vec![4 - a as i32], &shape_values[a..]);
            let joined = self.spec.tensor(TensorSpec {
                name: "new_shape".into(),
                shape: vec![4],
                dtype: I32,
                ..Default::default()
            });
            self.spec.op(CONCATENATION, vec![head, rest], vec![joined], Some(concat_options(0)));
            joined
        } else {
            self.int32_const("new_shape", vec![4], &shape_values)
        };
        let y = self.map("repeated", out[1], out[2], out[3], x.scale, x.zp);
        self.spec.op(RESHAPE, vec![t2, shape], vec![y.t], None);
        self.notes.push(format!("repeat {dims:?} axis {a} ×{k} free batch {free_batch}"));
        y
    }

    /// BROADCAST_TO of a model input with random unit axes to random lengths along them (and
    /// a leading axis now and then); returns the tensor and its shape.
    pub fn broadcast_to(&mut self) -> (i32, Vec<usize>) {
        let dims: Vec<usize> =
            (0..3).map(|_| if self.rng.gen_bool(0.5) { 1 } else { self.rng.gen_range(2..=5) }).collect();
        let (scale, zp) = (self.scale(), self.zp());
        let x = self.map("input", dims[0], dims[1], dims[2], scale, zp);
        self.spec.inputs = vec![x.t];
        let mut shape: Vec<usize> = std::iter::once(1)
            .chain(dims.iter().map(|&d| if d == 1 { self.rng.gen_range(1..=4) } else { d }))
            .collect();
        if self.rng.gen_bool(0.2) {
            shape.insert(0, 2);
        }
        let values: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
        let st = self.int32_const("shape", vec![values.len() as i32], &values);
        let y = self.activation_tensor("broadcast", shape.clone(), scale, zp);
        self.spec.op(BROADCAST_TO, vec![x.t, st], vec![y], None);
        self.notes.push(format!("broadcast_to {:?} → {shape:?}", [1, x.h, x.w, x.c]));
        (y, shape)
    }

    /// Keras' `UpSampling2D` as TensorFlow 2.21 converts it with a fixed batch of 1: a
    /// RESHAPE inserting a unit axis after the first repeated axis, then per repeat (axis `a`,
    /// 1..=3, `k` times) a TILE of that unit axis and a RESHAPE that merges it into `a` and,
    /// between two TILEs, inserts the next one's unit axis; for rows then columns:
    /// [1,H,W,C] → [1,H,1,W,C] → TILE → [1,H,k,W,C] → [1,kH,W,1,C] → TILE → [1,kH,W,k,C] →
    /// [1,kH,kW,C]. No rank-4 map lies between the TILEs.
    pub fn repeat_chain(&mut self, x: Map, repeats: &[(usize, usize)]) -> Map {
        let as_i32 = |dims: &[usize]| dims.iter().map(|&d| d as i32).collect::<Vec<i32>>();
        let with_unit = |dims: &[usize], a: usize| {
            let mut expanded = dims.to_vec();
            expanded.insert(a + 1, 1);
            expanded
        };
        let mut dims = vec![1, x.h, x.w, x.c];
        let mut expanded = with_unit(&dims, repeats[0].0);
        let shape = self.int32_const("expanded_shape", vec![5], &as_i32(&expanded));
        let mut t = self.activation_tensor("expanded", expanded.clone(), x.scale, x.zp);
        self.spec.op(RESHAPE, vec![x.t, shape], vec![t], None);
        for (i, &(a, k)) in repeats.iter().enumerate() {
            let mut multiples = vec![1i32; 5];
            multiples[a + 1] = k as i32;
            let mt = self.int32_const("multiples", vec![5], &multiples);
            let mut tiled = expanded.clone();
            tiled[a + 1] = k;
            let t2 = self.activation_tensor("tiled", tiled, x.scale, x.zp);
            self.spec.op(TILE, vec![t, mt], vec![t2], None);
            dims[a] *= k;
            // Merge the tiled axis, and insert the next repeat's unit axis if there is one.
            expanded = repeats.get(i + 1).map_or_else(|| dims.clone(), |&(next, _)| with_unit(&dims, next));
            let shape = self.int32_const("new_shape", vec![expanded.len() as i32], &as_i32(&expanded));
            t = self.activation_tensor("repeated", expanded.clone(), x.scale, x.zp);
            self.spec.op(RESHAPE, vec![t2, shape], vec![t], None);
        }
        self.notes.push(format!("repeat chain [1, {}, {}, {}] {repeats:?}", x.h, x.w, x.c));
        Map { t, h: dims[1], w: dims[2], c: dims[3], scale: x.scale, zp: x.zp }
    }
}
