//! Structure-aware models: a description (opcodes, tensor indices, shapes, strides, filters,
//! scales, zero points, option fields) that the test suite's writer turns into a real
//! .tflite. Byte mutations rarely get past the flatbuffer verifier; these start past it.

use crate::writer::{Field, ModelSpec, OpSpec, TensorSpec};
use arbitrary::Arbitrary;
use mcupatch::model::schema::builtin;

#[derive(Arbitrary, Debug)]
enum Int {
    Small(u8),
    Raw(i32),
}

impl Int {
    fn dim(&self) -> i32 {
        match *self {
            Int::Small(v) => i32::from(v % 10),
            Int::Raw(v) => v,
        }
    }
    fn option(&self) -> i32 {
        match *self {
            Int::Small(v) => i32::from(v % 5),
            Int::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Scale {
    /// 2^-k for k in 0..24: realistic.
    Pow2(u8),
    Raw(f32),
}

#[derive(Arbitrary, Debug)]
struct Quant {
    scales: Vec<Scale>,
    zero_points: Vec<i8>,
    wide_zero_point: Option<i64>,
    axis: Int,
}

#[derive(Arbitrary, Debug)]
enum DType {
    I8,
    I32,
    F32,
    I64,
    Code(i8),
}

#[derive(Arbitrary, Debug)]
struct Tensor {
    shape: Vec<Int>,
    dtype: DType,
    constant: bool,
    /// One byte too many in a constant.
    bad_length: bool,
    quant: Option<Quant>,
}

/// The ops mcupatch runs (and a few it does not).
const CODES: [i32; 16] = [
    builtin::ADD,
    builtin::AVERAGE_POOL_2D,
    builtin::CONCATENATION,
    builtin::CONV_2D,
    builtin::DEPTHWISE_CONV_2D,
    builtin::DEQUANTIZE,
    builtin::FULLY_CONNECTED,
    builtin::MAX_POOL_2D,
    builtin::RESHAPE,
    builtin::SOFTMAX,
    builtin::PAD,
    builtin::MEAN,
    builtin::PADV2,
    builtin::QUANTIZE,
    19, // RELU
    32, // CUSTOM
];

#[derive(Arbitrary, Debug)]
enum Code {
    Known(u8),
    Raw(i32),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Int(Int),
    F32(f32),
    Bool(bool),
}

#[derive(Arbitrary, Debug)]
struct Op {
    code: Code,
    inputs: Vec<i8>,
    outputs: Vec<i8>,
    /// Option fields by slot; the union tag is the builtin's own unless `tag` overrides it.
    fields: Option<Vec<(u8, Value)>>,
    tag: Option<u8>,
}

/// ADD with a constant or broadcast operand, written well-formed (int8 tensors, shapes that
/// broadcast) with its quantization fuzzed: free descriptions almost never get this far.
#[derive(Arbitrary, Debug)]
struct BroadcastAdd {
    /// The output map [1, H, W, C], each 1 + d % 8.
    dims: [u8; 3],
    /// Bit i set: the operand's dimension i (of the output's four) is 1.
    ones: u8,
    /// The operand's rank (its trailing dimensions): 4 - rank % 5.
    rank: u8,
    /// The operand is a constant, else the map's MEAN over height and width ([1, 1, 1, C],
    /// or [1, C] when `rank` is odd): the model has one input.
    constant: bool,
    /// The operand is ADD's first input.
    swap: bool,
    /// The fused activation (code % 4).
    activation: u8,
    /// Of the map, the operand, the output: the first scale and zero point of each.
    quants: [Option<Quant>; 3],
}

impl BroadcastAdd {
    fn spec(&self) -> ModelSpec {
        let mut spec = ModelSpec::default();
        let map: Vec<i32> = [1, 1 + self.dims[0] % 8, 1 + self.dims[1] % 8, 1 + self.dims[2] % 8]
            .iter()
            .map(|&d| i32::from(d))
            .collect();
        let operand: Vec<i32> = map
            .iter()
            .enumerate()
            .map(|(i, &d)| if self.ones & (1 << i) != 0 { 1 } else { d })
            .skip(usize::from(self.rank % 5))
            .collect();
        let quant = |q: &Option<Quant>| match q {
            Some(q) => {
                let scale = match q.scales.first() {
                    Some(Scale::Pow2(k)) => 2f32.powi(-i32::from(k % 24)),
                    Some(Scale::Raw(f)) => *f,
                    None => 1.0 / 16.0,
                };
                let zero_point = q.wide_zero_point.unwrap_or(i64::from(q.zero_points.first().copied().unwrap_or(0)));
                (vec![scale], vec![zero_point])
            }
            None => (vec![1.0 / 16.0], vec![0]),
        };
        let tensor = |spec: &mut ModelSpec, name: &str, shape: Vec<i32>, data: Option<Vec<u8>>, q: &Option<Quant>| {
            let (scales, zero_points) = quant(q);
            let t = TensorSpec { name: name.into(), shape, dtype: 9, data, scales, zero_points, axis: 0 };
            spec.tensor(t)
        };
        let x = tensor(&mut spec, "x", map.clone(), None, &self.quants[0]);
        let b = match self.constant {
            true => {
                let bytes = crate::input_bytes(operand.iter().product::<i32>() as usize, 7);
                tensor(&mut spec, "b", operand, Some(bytes), &self.quants[1])
            }
            false => {
                let keep = self.rank % 2 == 0;
                let shape = if keep { vec![1, 1, 1, map[3]] } else { vec![1, map[3]] };
                let b = tensor(&mut spec, "b", shape, None, &self.quants[1]);
                let axes = [1i32, 2].iter().flat_map(|a| a.to_le_bytes()).collect();
                let axes = spec.tensor(TensorSpec {
                    name: "axes".into(),
                    shape: vec![2],
                    dtype: 2,
                    data: Some(axes),
                    ..Default::default()
                });
                spec.op(builtin::MEAN, vec![x, axes], vec![b], Some((27, vec![(0, Field::Bool(keep))])));
                b
            }
        };
        let y = tensor(&mut spec, "y", map, None, &self.quants[2]);
        let inputs = if self.swap { vec![b, x] } else { vec![x, b] };
        let options = Some((11, vec![(0, Field::I8((self.activation % 4) as i8))]));
        spec.op(builtin::ADD, inputs, vec![y], options);
        spec.inputs = vec![x];
        spec.outputs = vec![y];
        spec
    }
}

/// A model description the fuzzer mutates field by field.
#[derive(Arbitrary, Debug)]
pub struct Model {
    pub switches: u8,
    tensors: Vec<Tensor>,
    ops: Vec<Op>,
    inputs: Vec<i8>,
    outputs: Vec<i8>,
    /// When present, the model is this one ADD instead.
    broadcast_add: Option<BroadcastAdd>,
}

/// The union tag of a builtin's options and the width of each slot (1: i8, 4: i32, 0: f32,
/// 2: bool), as schema.fbs lays them out.
fn layout(code: i32) -> (u8, &'static [u8]) {
    match code {
        builtin::CONV_2D => (1, &[1, 4, 4, 1, 4, 4]),
        builtin::DEPTHWISE_CONV_2D => (2, &[1, 4, 4, 4, 1, 4, 4]),
        builtin::AVERAGE_POOL_2D | builtin::MAX_POOL_2D => (5, &[1, 4, 4, 4, 4, 1]),
        builtin::FULLY_CONNECTED => (8, &[1, 1, 2]),
        builtin::SOFTMAX => (9, &[0]),
        builtin::CONCATENATION => (10, &[4, 1]),
        builtin::ADD => (11, &[1]),
        builtin::MEAN => (27, &[2]),
        _ => (0, &[]),
    }
}

fn index(v: i8, count: usize) -> i32 {
    // Negative means "optional input left out"; the rest mostly lands in range.
    if v < 0 {
        -1
    } else {
        (v as usize % (count + 1)) as i32
    }
}

/// The model as .tflite bytes (the test suite's writer).
pub fn build(m: &Model) -> Vec<u8> {
    if let Some(add) = &m.broadcast_add {
        return add.spec().to_bytes();
    }
    let mut spec = ModelSpec::default();
    let count = m.tensors.len();
    for (i, t) in m.tensors.iter().take(24).enumerate() {
        let shape: Vec<i32> = t.shape.iter().take(6).map(Int::dim).collect();
        let (dtype, size) = match t.dtype {
            DType::I8 => (9, 1),
            DType::I32 => (2, 4),
            DType::F32 => (0, 4),
            DType::I64 => (4, 8),
            DType::Code(c) => (c, 1),
        };
        let bytes = shape.iter().try_fold(size, |acc: usize, &d| acc.checked_mul(usize::try_from(d).ok()?));
        let data = match (t.constant, bytes) {
            (true, Some(n)) if n <= 1 << 16 => {
                let mut d = crate::input_bytes(n, i as u8);
                if t.bad_length {
                    d.push(0);
                }
                Some(d)
            }
            _ => None,
        };
        let (scales, zero_points, axis) = match &t.quant {
            Some(q) => {
                let scales: Vec<f32> = q
                    .scales
                    .iter()
                    .take(64)
                    .map(|s| match *s {
                        Scale::Pow2(k) => 2f32.powi(-i32::from(k % 24)),
                        Scale::Raw(f) => f,
                    })
                    .collect();
                let mut zps: Vec<i64> = q.zero_points.iter().take(64).map(|&z| i64::from(z)).collect();
                if let (Some(w), Some(first)) = (q.wide_zero_point, zps.first_mut()) {
                    *first = w;
                }
                (scales, zps, q.axis.option())
            }
            None => (Vec::new(), Vec::new(), 0),
        };
        spec.tensor(TensorSpec { name: format!("t{i}"), shape, dtype, data, scales, zero_points, axis });
    }
    for op in m.ops.iter().take(24) {
        let builtin = match op.code {
            Code::Known(k) => CODES[k as usize % CODES.len()],
            Code::Raw(c) => c,
        };
        let (tag, widths) = layout(builtin);
        let options = op.fields.as_ref().map(|fields| {
            let fields = fields
                .iter()
                .take(8)
                .map(|(slot, v)| {
                    let slot = u16::from(*slot % 8);
                    let width = widths.get(usize::from(slot)).copied().unwrap_or(4);
                    let field = match (v, width) {
                        (Value::Int(i), 1) => Field::I8(i.option() as i8),
                        (Value::Int(i), 2) => Field::Bool(i.option() % 2 == 1),
                        (Value::Int(i), _) => Field::I32(i.option()),
                        (Value::F32(f), _) => Field::F32(*f),
                        (Value::Bool(b), _) => Field::Bool(*b),
                    };
                    (slot, field)
                })
                .collect();
            (op.tag.unwrap_or(tag), fields)
        });
        spec.ops.push(OpSpec {
            builtin,
            inputs: op.inputs.iter().take(4).map(|&v| index(v, count)).collect(),
            outputs: op.outputs.iter().take(2).map(|&v| index(v, count)).collect(),
            options,
        });
    }
    spec.inputs = m.inputs.iter().take(2).map(|&v| index(v, count)).collect();
    spec.outputs = m.outputs.iter().take(3).map(|&v| index(v, count)).collect();
    spec.to_bytes()
}
