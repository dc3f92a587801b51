//! Element-wise binary ops: ADD (a residual block), MUL, SUB, MAXIMUM and MINIMUM with a
//! branch or a broadcast constant, and the squeeze-and-excitation block's gating MUL.

use super::pool::reduce_options;
use super::writer::activation_function_type::{NONE, RELU};
use super::writer::builtin_options::{ADD_OPTIONS, MUL_OPTIONS, SUB_OPTIONS};
use super::writer::{add_options, mul_options, sub_options, Field};
use super::{Gen, Map, ADD, HARD_SWISH, LOGISTIC, MAXIMUM, MEAN, MINIMUM, MUL, SUB};
use rand::Rng;

impl Gen<'_> {
    /// ADD of `x` with a fresh 1×1 conv branch of it (a residual block), different scales.
    pub fn residual_add(&mut self, x: Map) -> Map {
        let w_scale = self.scale() * 0.1;
        let branch_scale = self.accumulator_scale(x.scale, w_scale, x.c);
        let filter = self.int8_weights("branch_filter", vec![x.c, 1, 1, x.c], vec![w_scale], 0);
        let branch = self.out_map("branch", x.h, x.w, x.c, branch_scale);
        self.conv_1x1(x.t, filter, -1, branch.t, NONE);
        let out_scale = (x.scale.max(branch.scale)) * self.rng.gen_range(0.8..2.5);
        let act = self.activation_code();
        let y = self.out_map("add", x.h, x.w, x.c, out_scale);
        let options = (ADD_OPTIONS, vec![(add_options::FUSED_ACTIVATION_FUNCTION, Field::I8(act))]);
        self.spec.op(ADD, vec![x.t, branch.t], vec![y.t], Some(options));
        self.notes.push(format!("add act{act}"));
        y
    }

    /// MUL, SUB, MAXIMUM or MINIMUM of `x` with a second operand: a 1×1 conv branch of `x`,
    /// or a constant of `x`'s shape or broadcast along some dimensions.
    pub fn binary(&mut self, x: Map, code: i32) -> Map {
        let same_quant = code == MAXIMUM || code == MINIMUM;
        let (other_scale, other_zp) = if same_quant { (x.scale, x.zp) } else { (self.scale() * 10.0, self.zp()) };
        let other = if self.rng.gen_bool(0.5) {
            let shape = vec![
                1,
                if self.rng.gen_bool(0.5) { x.h } else { 1 },
                if self.rng.gen_bool(0.5) { x.w } else { 1 },
                if self.rng.gen_bool(0.7) { x.c } else { 1 },
            ];
            self.notes.push(format!("constant {shape:?}"));
            self.int8_const("operand", shape, other_scale, other_zp)
        } else {
            let w_scale = self.scale() * 0.1;
            let filter = self.int8_weights("operand_filter", vec![x.c, 1, 1, x.c], vec![w_scale], 0);
            let branch = self.map("operand", x.h, x.w, x.c, other_scale, other_zp);
            self.conv_1x1(x.t, filter, -1, branch.t, NONE);
            branch.t
        };
        let (scale, zp) = match code {
            MUL => (x.scale * other_scale * self.rng.gen_range(20.0..200.0), self.zp()),
            SUB | ADD => (x.scale.max(other_scale) * self.rng.gen_range(0.8..2.5), self.zp()),
            _ => (x.scale, x.zp),
        };
        let y = self.map("binary", x.h, x.w, x.c, scale, zp);
        let act = self.activation_code();
        let options = match code {
            MUL => Some((MUL_OPTIONS, vec![(mul_options::FUSED_ACTIVATION_FUNCTION, Field::I8(act))])),
            SUB => Some((SUB_OPTIONS, vec![(sub_options::FUSED_ACTIVATION_FUNCTION, Field::I8(act))])),
            ADD => Some((ADD_OPTIONS, vec![(add_options::FUSED_ACTIVATION_FUNCTION, Field::I8(act))])),
            _ => None,
        };
        let swap = self.rng.gen_bool(0.3);
        let inputs = if swap { vec![other, x.t] } else { vec![x.t, other] };
        self.spec.op(code, inputs, vec![y.t], options);
        self.notes.push(format!(
            "{} act{act}{}",
            mcupatch::model::schema::builtin_name(code),
            if swap { " swapped" } else { "" }
        ));
        y
    }

    /// A squeeze-and-excitation block: MEAN (keep dims) → 1×1 conv + RELU → 1×1 conv →
    /// LOGISTIC or HARD_SWISH → MUL broadcasting the [1, 1, 1, C] gate over `x`.
    pub fn squeeze_excite(&mut self, x: Map) -> Map {
        let axis = self.int32_const("axes", vec![2], &[1, 2]);
        let (scale, zp) = (x.scale * self.rng.gen_range(0.5..2.0), self.zp());
        let pooled = self.map("se_pool", 1, 1, x.c, scale, zp);
        self.spec.op(MEAN, vec![x.t, axis], vec![pooled.t], Some(reduce_options(true)));
        let reduced = self.rng.gen_range(1..=4);
        let squeezed = self.pointwise(pooled, reduced, RELU);
        let expanded = self.pointwise(squeezed, x.c, NONE);
        let hard = self.rng.gen_bool(0.5);
        let gate = self.activation(expanded, if hard { HARD_SWISH } else { LOGISTIC });
        let (scale, zp) = (x.scale * self.rng.gen_range(0.5..1.5), self.zp());
        let y = self.map("se_out", x.h, x.w, x.c, scale, zp);
        let options = (MUL_OPTIONS, vec![(mul_options::FUSED_ACTIVATION_FUNCTION, Field::I8(NONE))]);
        self.spec.op(MUL, vec![x.t, gate.t], vec![y.t], Some(options));
        self.notes.push("se mul".into());
        y
    }
}
