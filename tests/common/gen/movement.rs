//! Data movement: PAD and PADV2, CONCATENATION, SLICE, SPLIT and SPLIT_V, UNPACK,
//! TRANSPOSE, GATHER, STRIDED_SLICE, REVERSE_V2, DEPTH_TO_SPACE and SPACE_TO_DEPTH, and
//! RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR.

use super::writer::activation_function_type::NONE;
use super::writer::builtin_options::{
    CONCATENATION_OPTIONS, DEPTH_TO_SPACE_OPTIONS, GATHER_OPTIONS, RESIZE_BILINEAR_OPTIONS,
    RESIZE_NEAREST_NEIGHBOR_OPTIONS, SPACE_TO_DEPTH_OPTIONS, SPLIT_OPTIONS, SPLIT_V_OPTIONS, STRIDED_SLICE_OPTIONS,
    UNPACK_OPTIONS,
};
use super::writer::{
    concatenation_options, depth_to_space_options, gather_options, resize_bilinear_options,
    resize_nearest_neighbor_options, space_to_depth_options, split_options, split_v_options, strided_slice_options,
    unpack_options, Field, TensorSpec, I8,
};
use super::{
    Gen, Map, Options, CONCATENATION, DEPTH_TO_SPACE, GATHER, PAD, PADV2, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
    REVERSE_V2, SLICE, SPACE_TO_DEPTH, SPLIT, SPLIT_V, STRIDED_SLICE, TRANSPOSE, UNPACK,
};
use rand::Rng;

/// The options of a CONCATENATION along `axis` (no fused activation).
pub(super) fn concat_options(axis: i32) -> Options {
    use concatenation_options as o;
    (CONCATENATION_OPTIONS, vec![(o::AXIS, Field::I32(axis)), (o::FUSED_ACTIVATION_FUNCTION, Field::I8(NONE))])
}

impl Gen<'_> {
    pub fn pad(&mut self, x: Map) -> Map {
        let p: Vec<usize> = (0..4).map(|_| self.rng.gen_range(0..=2)).collect();
        let paddings =
            self.int32_const("paddings", vec![4, 2], &[0, 0, p[0] as i32, p[1] as i32, p[2] as i32, p[3] as i32, 0, 0]);
        let y = self.map("pad", x.h + p[0] + p[1], x.w + p[2] + p[3], x.c, x.scale, x.zp);
        if self.rng.gen_bool(0.5) {
            self.spec.op(PAD, vec![x.t, paddings], vec![y.t], None);
            self.notes.push(format!("pad {p:?}"));
        } else {
            let value: i8 = self.rng.gen();
            let v = self.spec.tensor(TensorSpec {
                name: "pad_value".into(),
                shape: vec![],
                dtype: I8,
                data: Some(vec![value as u8]),
                scales: vec![x.scale],
                zero_points: vec![x.zp],
                axis: 0,
            });
            self.spec.op(PADV2, vec![x.t, paddings, v], vec![y.t], None);
            self.notes.push(format!("padv2 {p:?} value {value}"));
        }
        y
    }

    /// Concatenates `x` with a 1×1 conv branch of it along channels (same quantization).
    pub fn concat(&mut self, x: Map) -> Map {
        let extra = self.rng.gen_range(1..=6);
        let w_scale = self.scale() * 0.1;
        let filter = self.int8_weights("concat_branch_filter", vec![extra, 1, 1, x.c], vec![w_scale], 0);
        let branch = self.map("concat_branch", x.h, x.w, extra, x.scale, x.zp);
        self.conv_1x1(x.t, filter, -1, branch.t, NONE);
        let y = self.map("concat", x.h, x.w, x.c + extra, x.scale, x.zp);
        let axis = if self.rng.gen_bool(0.5) { 3 } else { -1 };
        self.spec.op(CONCATENATION, vec![x.t, branch.t], vec![y.t], Some(concat_options(axis)));
        self.notes.push(format!("concat +{extra} axis {axis}"));
        y
    }

    /// RESIZE_NEAREST_NEIGHBOR or RESIZE_BILINEAR to a random size (an upsampling ×2 half the time), with
    /// random align_corners / half_pixel_centers (not both, as TensorFlow requires).
    pub fn resize(&mut self, x: Map, bilinear: bool) -> Map {
        let (h, w) = if self.rng.gen_bool(0.5) {
            (2 * x.h, 2 * x.w)
        } else {
            (self.rng.gen_range(1..=2 * x.h + 1), self.rng.gen_range(1..=2 * x.w + 1))
        };
        let (align, half) = match self.rng.gen_range(0..3) {
            0 => (false, false),
            1 => (true, false),
            _ => (false, true),
        };
        let size = self.int32_const("size", vec![2], &[h as i32, w as i32]);
        let y = self.map("resized", h, w, x.c, x.scale, x.zp);
        let (code, options) = if bilinear {
            use resize_bilinear_options as o;
            let fields = vec![(o::ALIGN_CORNERS, Field::Bool(align)), (o::HALF_PIXEL_CENTERS, Field::Bool(half))];
            (RESIZE_BILINEAR, (RESIZE_BILINEAR_OPTIONS, fields))
        } else {
            use resize_nearest_neighbor_options as o;
            let fields = vec![(o::ALIGN_CORNERS, Field::Bool(align)), (o::HALF_PIXEL_CENTERS, Field::Bool(half))];
            (RESIZE_NEAREST_NEIGHBOR, (RESIZE_NEAREST_NEIGHBOR_OPTIONS, fields))
        };
        self.spec.op(code, vec![x.t, size], vec![y.t], Some(options));
        let name = if bilinear { "bilinear" } else { "nearest" };
        self.notes.push(format!("resize {name} {}x{}→{h}x{w} align {align} half {half}", x.h, x.w));
        y
    }

    /// DEPTH_TO_SPACE (a conv to b²·c channels first) or SPACE_TO_DEPTH (the map cropped by
    /// a VALID pool to a multiple of the block) with block 2 or 3.
    pub fn depth_space(&mut self, x: Map, to_space: bool) -> Map {
        let b = self.rng.gen_range(2..=3);
        let (code, y) = if to_space {
            let c = self.rng.gen_range(1..=3);
            let w_scale = self.scale() * 0.1;
            let filter = self.int8_weights("d2s_filter", vec![b * b * c, 1, 1, x.c], vec![w_scale], 0);
            let scale = self.accumulator_scale(x.scale, w_scale, x.c);
            let deep = self.out_map("deep", x.h, x.w, b * b * c, scale);
            self.conv_1x1(x.t, filter, -1, deep.t, NONE);
            let y = self.map("depth_to_space", x.h * b, x.w * b, c, deep.scale, deep.zp);
            self.spec.op(
                DEPTH_TO_SPACE,
                vec![deep.t],
                vec![y.t],
                Some((DEPTH_TO_SPACE_OPTIONS, vec![(depth_to_space_options::BLOCK_SIZE, Field::I32(b as i32))])),
            );
            (DEPTH_TO_SPACE, y)
        } else {
            let y = self.map("space_to_depth", x.h / b, x.w / b, x.c * b * b, x.scale, x.zp);
            self.spec.op(
                SPACE_TO_DEPTH,
                vec![x.t],
                vec![y.t],
                Some((SPACE_TO_DEPTH_OPTIONS, vec![(space_to_depth_options::BLOCK_SIZE, Field::I32(b as i32))])),
            );
            (SPACE_TO_DEPTH, y)
        };
        self.notes.push(format!("{} block {b}", mcupatch::model::schema::builtin_name(code)));
        y
    }

    /// SLICE of a random box of `x` (sizes of -1 now and then), or of its channels only.
    pub fn slice(&mut self, x: Map) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let channels_only = self.rng.gen_bool(0.3);
        let (mut begin, mut size, mut out) = (vec![0i32; 4], vec![0i32; 4], [1usize; 4]);
        for a in 0..4 {
            let d = dims[a];
            let (b, s) = if a == 0 || (channels_only && a < 3) {
                (0, d)
            } else {
                let b = self.rng.gen_range(0..d);
                (b, self.rng.gen_range(1..=d - b))
            };
            begin[a] = b as i32;
            size[a] = if b + s == d && self.rng.gen_bool(0.3) { -1 } else { s as i32 };
            out[a] = s;
        }
        let (bt, st) = (self.int32_const("begin", vec![4], &begin), self.int32_const("size", vec![4], &size));
        let y = self.map("slice", out[1], out[2], out[3], x.scale, x.zp);
        self.spec.op(SLICE, vec![x.t, bt, st], vec![y.t], None);
        self.notes.push(format!("slice {:?} begin {begin:?} size {size:?}", dims));
        y
    }

    /// SPLIT (equal parts) or SPLIT_V (given sizes, one of -1 now and then) of `x` along a
    /// random axis, its parts concatenated back in reverse order (one left unread now and
    /// then): every part is compared.
    pub fn split(&mut self, x: Map, sizes: bool) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let d = dims[a];
        let parts: Vec<usize> = if sizes {
            let n = self.rng.gen_range(1..=d.min(4));
            let mut cuts: Vec<usize> = (1..d).collect();
            while cuts.len() > n - 1 {
                let i = self.rng.gen_range(0..cuts.len());
                cuts.remove(i);
            }
            let bounds: Vec<usize> = std::iter::once(0).chain(cuts).chain(std::iter::once(d)).collect();
            bounds.windows(2).map(|w| w[1] - w[0]).collect()
        } else {
            let divisors: Vec<usize> = (1..=d.min(5)).filter(|&n| d.is_multiple_of(n)).collect();
            let n = divisors[self.rng.gen_range(0..divisors.len())];
            vec![d / n; n]
        };
        let outputs: Vec<Map> = parts
            .iter()
            .map(|&p| {
                let mut shape = dims;
                shape[a] = p;
                self.map("part", shape[1], shape[2], shape[3], x.scale, x.zp)
            })
            .collect();
        let axis_value = self.written_axis(a, 4);
        let axis = self.int32_const("split_axis", vec![], &[axis_value]);
        let ts: Vec<i32> = outputs.iter().map(|m| m.t).collect();
        if sizes {
            let mut given: Vec<i32> = parts.iter().map(|&p| p as i32).collect();
            if self.rng.gen_bool(0.3) {
                let i = self.rng.gen_range(0..given.len());
                given[i] = -1;
            }
            let st = self.int32_const("size_splits", vec![given.len() as i32], &given);
            self.spec.op(
                SPLIT_V,
                vec![x.t, st, axis],
                ts,
                Some((SPLIT_V_OPTIONS, vec![(split_v_options::NUM_SPLITS, Field::I32(parts.len() as i32))])),
            );
            self.notes.push(format!("split_v {dims:?} axis {axis_value} sizes {given:?}"));
        } else {
            self.spec.op(
                SPLIT,
                vec![axis, x.t],
                ts,
                Some((SPLIT_OPTIONS, vec![(split_options::NUM_SPLITS, Field::I32(parts.len() as i32))])),
            );
            self.notes.push(format!("split {dims:?} axis {axis_value} into {}", parts.len()));
        }
        let mut kept: Vec<Map> = outputs.into_iter().rev().collect();
        if kept.len() > 1 && self.rng.gen_bool(0.3) {
            let i = self.rng.gen_range(0..kept.len());
            kept.remove(i);
            self.notes.push(format!("part {i} unread"));
        }
        let total: usize = kept.iter().map(|m| [1, m.h, m.w, m.c][a]).sum();
        let mut shape = dims;
        shape[a] = total;
        let y = self.map("rejoined", shape[1], shape[2], shape[3], x.scale, x.zp);
        let ins = kept.iter().map(|m| m.t).collect();
        self.spec.op(CONCATENATION, ins, vec![y.t], Some(concat_options(a as i32)));
        y
    }

    /// UNPACK of `x` along a random axis, each part reshaped back and the parts concatenated
    /// in reverse order: a flip of that axis.
    pub fn unpack(&mut self, x: Map) -> Map {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let part_shape: Vec<usize> = (0..4).filter(|&i| i != a).map(|i| dims[i]).collect();
        let parts: Vec<i32> =
            (0..dims[a]).map(|_| self.activation_tensor("unpacked", part_shape.clone(), x.scale, x.zp)).collect();
        let axis = self.written_axis(a, 4);
        self.spec.op(
            UNPACK,
            vec![x.t],
            parts.clone(),
            Some((
                UNPACK_OPTIONS,
                vec![(unpack_options::NUM, Field::I32(dims[a] as i32)), (unpack_options::AXIS, Field::I32(axis))],
            )),
        );
        let mut unit = dims;
        unit[a] = 1;
        let back: Vec<i32> = parts.iter().rev().map(|&p| self.reshape(p, unit.to_vec(), x.scale, x.zp)).collect();
        let y = self.map("flipped", x.h, x.w, x.c, x.scale, x.zp);
        self.spec.op(CONCATENATION, back, vec![y.t], Some(concat_options(a as i32)));
        self.notes.push(format!("unpack {dims:?} axis {axis}"));
        y
    }

    /// TRANSPOSE of `x`: height and width swapped half the time, else any permutation.
    pub fn transpose(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let perm: Vec<usize> = if self.rng.gen_bool(0.5) {
            vec![0, 2, 1, 3]
        } else {
            let mut p = vec![0, 1, 2, 3];
            for i in (1..4).rev() {
                let j = self.rng.gen_range(0..=i);
                p.swap(i, j);
            }
            p
        };
        let shape: Vec<usize> = perm.iter().map(|&a| dims[a]).collect();
        // Negative axes are refused here (by TFLM too).
        let values: Vec<i32> = perm.iter().map(|&a| a as i32).collect();
        let pt = self.int32_const("perm", vec![4], &values);
        let y = self.activation_tensor("transposed", shape.clone(), x.scale, x.zp);
        self.spec.op(TRANSPOSE, vec![x.t, pt], vec![y], None);
        self.notes.push(format!("transpose {dims:?} perm {values:?}"));
        (y, shape)
    }

    /// GATHER along a random axis at random positions (repeats allowed): a vector of them
    /// mostly, a scalar or a matrix now and then.
    pub fn gather(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let a = self.rng.gen_range(1..=3);
        let positions_shape: Vec<usize> = match self.rng.gen_range(0..6) {
            0 => vec![],
            1 => vec![2, self.rng.gen_range(1..=3)],
            _ => vec![self.rng.gen_range(1..=dims[a] + 2)],
        };
        let n: usize = positions_shape.iter().product();
        let positions: Vec<i32> = (0..n).map(|_| self.rng.gen_range(0..dims[a]) as i32).collect();
        let shape_i32: Vec<i32> = positions_shape.iter().map(|&d| d as i32).collect();
        let pt = self.int32_const("positions", shape_i32, &positions);
        let shape: Vec<usize> = dims[..a].iter().chain(&positions_shape).chain(&dims[a + 1..]).copied().collect();
        let y = self.activation_tensor("gathered", shape.clone(), x.scale, x.zp);
        let axis = self.written_axis(a, 4);
        let fields = vec![(gather_options::AXIS, Field::I32(axis)), (gather_options::BATCH_DIMS, Field::I32(0))];
        self.spec.op(GATHER, vec![x.t, pt], vec![y], Some((GATHER_OPTIONS, fields)));
        self.notes.push(format!("gather {dims:?} axis {axis} at {positions:?}"));
        (y, shape)
    }

    /// STRIDED_SLICE of `x`: per axis a random begin, end (negative now and then) and stride
    /// (negative now and then), random begin/end masks, now and then a shrunk axis or
    /// `offset`; drawn again until no axis is empty. The output shape comes from the library's resolution of the indices, which
    /// TFLM then checks byte by byte.
    pub fn strided_slice(&mut self, x: Map) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        loop {
            let masks = mcupatch::model::SliceMasks {
                begin: self.rng.gen_range(0..16),
                end: self.rng.gen_range(0..16),
                shrink_axis: if self.rng.gen_bool(0.2) { 1 << self.rng.gen_range(0..4) } else { 0 },
                offset: self.rng.gen_bool(0.1),
                ..Default::default()
            };
            let mut values = Vec::new();
            for &d in &dims {
                let d = d as i32;
                let stride = [1, 1, 1, 2, -1, -2][self.rng.gen_range(0..6)];
                let end = if masks.offset { self.rng.gen_range(0..=d) } else { self.rng.gen_range(-d..=d) };
                values.push((self.rng.gen_range(-d..d), end, stride));
            }
            let lengths: Vec<usize> = (0..4)
                .map(|a| {
                    let (b, e, st) = values[a];
                    masks.indices(a, dims[a], b.into(), e.into(), st.into()).len()
                })
                .collect();
            if lengths.contains(&0) || (0..4).any(|a| masks.shrinks(a) && lengths[a] != 1) {
                continue;
            }
            let shape: Vec<usize> = (0..4).filter(|&a| !masks.shrinks(a)).map(|a| lengths[a]).collect();
            let column = |k: usize| values.iter().map(|v| [v.0, v.1, v.2][k]).collect::<Vec<i32>>();
            let (begin, end, strides) = (column(0), column(1), column(2));
            let (b, e, st) = (
                self.int32_const("begin", vec![4], &begin),
                self.int32_const("end", vec![4], &end),
                self.int32_const("strides", vec![4], &strides),
            );
            let y = self.activation_tensor("strided_slice", shape.clone(), x.scale, x.zp);
            use strided_slice_options as o;
            let fields = vec![
                (o::BEGIN_MASK, Field::I32(masks.begin)),
                (o::END_MASK, Field::I32(masks.end)),
                (o::SHRINK_AXIS_MASK, Field::I32(masks.shrink_axis)),
                (o::OFFSET, Field::Bool(masks.offset)),
            ];
            self.spec.op(STRIDED_SLICE, vec![x.t, b, e, st], vec![y], Some((STRIDED_SLICE_OPTIONS, fields)));
            self.notes.push(format!(
                "strided_slice {dims:?} begin {begin:?} end {end:?} strides {strides:?} masks b{} e{} s{} offset {} → {shape:?}",
                masks.begin, masks.end, masks.shrink_axis, masks.offset
            ));
            return (y, shape);
        }
    }

    /// REVERSE_V2 of `x` along a random run of neighbouring axes (TFLM reverses no other),
    /// in random order and negative now and then.
    pub fn reverse(&mut self, x: Map) -> Map {
        let first = self.rng.gen_range(1..4);
        let last = self.rng.gen_range(first..4);
        let mut axes: Vec<i32> = (first..=last).map(|a| self.written_axis(a, 4)).collect();
        if self.rng.gen_bool(0.5) {
            axes.reverse();
        }
        let at = self.int32_const("axes", vec![axes.len() as i32], &axes);
        let y = self.map("reversed", x.h, x.w, x.c, x.scale, x.zp);
        self.spec.op(REVERSE_V2, vec![x.t, at], vec![y.t], None);
        self.notes.push(format!("reverse_v2 {:?} axes {axes:?}", [1, x.h, x.w, x.c]));
        y
    }
}
