//! A small TFLite writer for tests: builds real `.tflite` flatbuffers with the flatbuffers
//! builder, so that generated single-op and small-graph models run in both mcupatch and
//! TFLite Micro. Field slots follow `schema.fbs` (slot n at vtable offset 4 + 2n).

use flatbuffers::{FlatBufferBuilder, WIPOffset};

pub const F32: i8 = 0;
pub const I32: i8 = 2;
pub const I8: i8 = 9;

/// Option-table field values.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    I8(i8),
    I32(i32),
    F32(f32),
    Bool(bool),
}

#[derive(Clone, Debug, Default)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<i32>,
    pub dtype: i8,
    pub data: Option<Vec<u8>>,
    pub scales: Vec<f32>,
    pub zero_points: Vec<i64>,
    pub axis: i32,
}

#[derive(Clone, Debug)]
pub struct OpSpec {
    pub builtin: i32,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    /// Union tag and fields (slot, value) of the builtin options.
    pub options: Option<(u8, Vec<(u16, Field)>)>,
}

#[derive(Clone, Debug, Default)]
pub struct ModelSpec {
    pub tensors: Vec<TensorSpec>,
    pub ops: Vec<OpSpec>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
}

impl ModelSpec {
    /// Adds a tensor, returning its index.
    pub fn tensor(&mut self, t: TensorSpec) -> i32 {
        self.tensors.push(t);
        self.tensors.len() as i32 - 1
    }

    pub fn op(&mut self, builtin: i32, inputs: Vec<i32>, outputs: Vec<i32>, options: Option<(u8, Vec<(u16, Field)>)>) {
        self.ops.push(OpSpec { builtin, inputs, outputs, options });
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = FlatBufferBuilder::new();
        let slot = |n: u16| 4 + 2 * n;

        // Buffers: 0 is the empty sentinel, then one per constant tensor.
        let mut buffers = vec![{
            let s = b.start_table();
            b.end_table(s)
        }];
        let mut buffer_of = Vec::new();
        for t in &self.tensors {
            match &t.data {
                Some(d) => {
                    let v = b.create_vector(d);
                    let s = b.start_table();
                    b.push_slot_always::<WIPOffset<_>>(slot(0), v);
                    buffers.push(b.end_table(s));
                    buffer_of.push(buffers.len() as u32 - 1);
                }
                None => buffer_of.push(0),
            }
        }

        let mut tensors = Vec::new();
        for (t, &buffer) in self.tensors.iter().zip(&buffer_of) {
            let shape = b.create_vector(&t.shape);
            let name = b.create_string(&t.name);
            let quant = (!t.scales.is_empty()).then(|| {
                let scales = b.create_vector(&t.scales);
                let zps = b.create_vector(&t.zero_points);
                let s = b.start_table();
                b.push_slot_always::<WIPOffset<_>>(slot(2), scales);
                b.push_slot_always::<WIPOffset<_>>(slot(3), zps);
                b.push_slot_always::<i32>(slot(6), t.axis);
                b.end_table(s)
            });
            let s = b.start_table();
            b.push_slot_always::<WIPOffset<_>>(slot(0), shape);
            b.push_slot_always::<i8>(slot(1), t.dtype);
            b.push_slot_always::<u32>(slot(2), buffer);
            b.push_slot_always::<WIPOffset<_>>(slot(3), name);
            if let Some(q) = quant {
                b.push_slot_always::<WIPOffset<_>>(slot(4), q);
            }
            tensors.push(b.end_table(s));
        }

        let mut codes: Vec<i32> = Vec::new();
        let mut ops = Vec::new();
        for op in &self.ops {
            let index = codes.iter().position(|&c| c == op.builtin).unwrap_or_else(|| {
                codes.push(op.builtin);
                codes.len() - 1
            });
            let inputs = b.create_vector(&op.inputs);
            let outputs = b.create_vector(&op.outputs);
            let options = op.options.as_ref().map(|(tag, fields)| {
                let s = b.start_table();
                for &(n, v) in fields {
                    match v {
                        Field::I8(v) => b.push_slot_always::<i8>(slot(n), v),
                        Field::I32(v) => b.push_slot_always::<i32>(slot(n), v),
                        Field::F32(v) => b.push_slot_always::<f32>(slot(n), v),
                        Field::Bool(v) => b.push_slot_always::<bool>(slot(n), v),
                    }
                }
                (*tag, b.end_table(s))
            });
            let s = b.start_table();
            b.push_slot_always::<u32>(slot(0), index as u32);
            b.push_slot_always::<WIPOffset<_>>(slot(1), inputs);
            b.push_slot_always::<WIPOffset<_>>(slot(2), outputs);
            if let Some((tag, table)) = options {
                b.push_slot_always::<u8>(slot(3), tag);
                b.push_slot_always::<WIPOffset<_>>(slot(4), table);
            }
            ops.push(b.end_table(s));
        }

        let tensors = b.create_vector(&tensors);
        let inputs = b.create_vector(&self.inputs);
        let outputs = b.create_vector(&self.outputs);
        let ops = b.create_vector(&ops);
        let name = b.create_string("main");
        let s = b.start_table();
        b.push_slot_always::<WIPOffset<_>>(slot(0), tensors);
        b.push_slot_always::<WIPOffset<_>>(slot(1), inputs);
        b.push_slot_always::<WIPOffset<_>>(slot(2), outputs);
        b.push_slot_always::<WIPOffset<_>>(slot(3), ops);
        b.push_slot_always::<WIPOffset<_>>(slot(4), name);
        let subgraph = b.end_table(s);

        let codes: Vec<_> = codes
            .iter()
            .map(|&c| {
                let s = b.start_table();
                b.push_slot_always::<i8>(slot(0), c.min(127) as i8);
                b.push_slot_always::<i32>(slot(2), 1);
                b.push_slot_always::<i32>(slot(3), c);
                b.end_table(s)
            })
            .collect();
        let codes = b.create_vector(&codes);
        let subgraphs = b.create_vector(&[subgraph]);
        let buffers = b.create_vector(&buffers);
        let description = b.create_string("mcupatch test model");
        let s = b.start_table();
        b.push_slot_always::<u32>(slot(0), 3);
        b.push_slot_always::<WIPOffset<_>>(slot(1), codes);
        b.push_slot_always::<WIPOffset<_>>(slot(2), subgraphs);
        b.push_slot_always::<WIPOffset<_>>(slot(3), description);
        b.push_slot_always::<WIPOffset<_>>(slot(4), buffers);
        let model = b.end_table(s);
        b.finish(model, Some("TFL3"));
        b.finished_data().to_vec()
    }
}
