//! Pooling and reductions: MAX_POOL_2D and AVERAGE_POOL_2D, MEAN over the map (a
//! classifier head's global pool) and SUM, REDUCE_MAX, REDUCE_MIN over any axes.

use super::writer::builtin_options::{POOL_2D_OPTIONS, REDUCER_OPTIONS};
use super::writer::{pool_2d_options, reducer_options, Field};
use super::{Gen, Map, Options, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SUM};
use rand::Rng;

/// The options of a reduction (MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN).
pub(super) fn reduce_options(keep_dims: bool) -> Options {
    (REDUCER_OPTIONS, vec![(reducer_options::KEEP_DIMS, Field::Bool(keep_dims))])
}

impl Gen<'_> {
    pub fn pool(&mut self, x: Map, max: bool) -> Map {
        let k = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let stride = (self.rng.gen_range(1..=3), self.rng.gen_range(1..=3));
        let padding = self.padding((x.h, x.w), k);
        let (oh, ow) = (Self::out_size(x.h, k.0, stride.0, padding), Self::out_size(x.w, k.1, stride.1, padding));
        let act = self.activation_code();
        let y = self.map(if max { "max_pool" } else { "avg_pool" }, oh, ow, x.c, x.scale, x.zp);
        use pool_2d_options as o;
        let fields = vec![
            (o::PADDING, Field::I8(padding)),
            (o::STRIDE_W, Field::I32(stride.1 as i32)),
            (o::STRIDE_H, Field::I32(stride.0 as i32)),
            (o::FILTER_WIDTH, Field::I32(k.1 as i32)),
            (o::FILTER_HEIGHT, Field::I32(k.0 as i32)),
            (o::FUSED_ACTIVATION_FUNCTION, Field::I8(act)),
        ];
        let code = if max { MAX_POOL_2D } else { AVERAGE_POOL_2D };
        self.spec.op(code, vec![x.t], vec![y.t], Some((POOL_2D_OPTIONS, fields)));
        self.notes.push(format!("{} k{k:?} s{stride:?} act{act}", if max { "maxpool" } else { "avgpool" }));
        y
    }

    /// MEAN over H, W; returns the output tensor (rank 2 or 4) and channel count.
    pub fn mean(&mut self, x: Map) -> (i32, usize, f32) {
        let keep = self.rng.gen_bool(0.5);
        let axes = if self.rng.gen_bool(0.5) { vec![1, 2] } else { vec![2, 1] };
        let axis = self.int32_const("axes", vec![2], &axes);
        let scale = x.scale * self.rng.gen_range(0.5..2.0);
        let zp = self.zp();
        let shape = if keep { vec![1, 1, 1, x.c] } else { vec![1, x.c] };
        let y = self.activation_tensor("mean", shape, scale, zp);
        self.spec.op(MEAN, vec![x.t, axis], vec![y], Some(reduce_options(keep)));
        self.notes.push(format!("mean keep_dims {keep}"));
        (y, x.c, scale)
    }

    /// SUM, REDUCE_MAX or REDUCE_MIN over one or two random axes (negative and repeated now
    /// and then; TFLM's SUM resolves at most two), keep_dims random. A SUM's output scale is
    /// random around the sum's range, `wide` makes it far narrower so that most results
    /// clamp; returns the tensor and its shape.
    pub fn reduce(&mut self, x: Map, code: i32, wide: bool) -> (i32, Vec<usize>) {
        let dims = [1, x.h, x.w, x.c];
        let mut axes: Vec<usize> = vec![self.rng.gen_range(0..4)];
        if self.rng.gen_bool(0.5) {
            axes.push(self.rng.gen_range(0..4));
        }
        let mut written: Vec<i32> = axes.iter().map(|&a| self.written_axis(a, 4)).collect();
        if self.rng.gen_bool(0.15) {
            written.push(written[0]);
        }
        let mut keep = self.rng.gen_bool(0.5);
        if self.rng.gen_bool(0.25) {
            // Over the channels alone, keeping dims: the spatially local form.
            (axes, written, keep) = (vec![3], vec![self.written_axis(3, 4)], true);
        }
        let shape: Vec<usize> =
            (0..4).filter(|a| keep || !axes.contains(a)).map(|a| if axes.contains(&a) { 1 } else { dims[a] }).collect();
        let count: usize = (0..4).filter(|a| axes.contains(a)).map(|a| dims[a]).product();
        let (scale, zp) = match code {
            SUM if wide => (x.scale * self.rng.gen_range(0.01..0.5), self.zp()),
            SUM => (x.scale * (count as f32).sqrt() * self.rng.gen_range(0.5..3.0), self.zp()),
            _ => (x.scale, x.zp),
        };
        let at = self.int32_const("axes", vec![written.len() as i32], &written);
        let y = self.activation_tensor("reduced", shape.clone(), scale, zp);
        self.spec.op(code, vec![x.t, at], vec![y], Some(reduce_options(keep)));
        self.notes
            .push(format!("{} {dims:?} axes {written:?} keep {keep}", mcupatch::model::schema::builtin_name(code)));
        (y, shape)
    }
}
