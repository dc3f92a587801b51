//! Graph construction for the zoo: int8 tensors with quantization chosen so activations stay
//! in range, and deterministic pseudo-random weights.

use crate::model::{Activation, ConvOptions, DType, Graph, Op, OpKind, Padding, Quant, Tensor};

#[derive(Debug, Clone, Copy)]
pub enum Act {
    None,
    Relu6,
}

/// A feature map being built: its tensor, NHWC size and quantization.
#[derive(Debug, Clone, Copy)]
pub struct Map {
    pub t: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
    scale: f32,
    zero_point: i64,
}

pub struct Net {
    graph: Graph,
    /// xorshift64 state for the weights.
    state: u64,
    input: Map,
}

fn quant(scale: f32, zero_point: i64) -> Option<Quant> {
    Some(Quant { scales: vec![scale], zero_points: vec![zero_point], axis: 0 })
}

impl Net {
    /// A network with a `resolution`² RGB int8 input (scale 1/128, as pixels − 128 / 128).
    pub fn new(resolution: usize) -> Net {
        let mut net = Net {
            graph: Graph { tensors: Vec::new(), ops: Vec::new(), inputs: Vec::new(), outputs: Vec::new() },
            state: 0x9e37_79b9_7f4a_7c15,
            input: Map { t: 0, h: resolution, w: resolution, c: 3, scale: 1.0 / 128.0, zero_point: 0 },
        };
        let t = net.activation("input", vec![1, resolution, resolution, 3], 1.0 / 128.0, 0);
        net.graph.inputs = vec![t];
        net
    }

    pub fn input(&self) -> Map {
        self.input
    }

    fn tensor(&mut self, tensor: Tensor) -> usize {
        self.graph.tensors.push(tensor);
        self.graph.tensors.len() - 1
    }

    fn activation(&mut self, name: &str, shape: Vec<usize>, scale: f32, zero_point: i64) -> usize {
        self.tensor(Tensor { name: name.into(), shape, dtype: DType::I8, quant: quant(scale, zero_point), data: None })
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// Symmetric int8 weights of `shape`, one scale per channel along `axis`.
    fn weights(&mut self, name: &str, shape: Vec<usize>, axis: usize, scale: f32) -> usize {
        let n: usize = shape.iter().product();
        let data: Vec<u8> = (0..n).map(|_| ((self.next() % 255) as i64 - 127) as i8 as u8).collect();
        let channels = shape[axis];
        let scales = (0..channels).map(|c| scale * (0.75 + 0.5 * (c % 7) as f32 / 6.0)).collect();
        let quant = Some(Quant { scales, zero_points: vec![0; channels], axis });
        self.tensor(Tensor { name: name.into(), shape, dtype: DType::I8, quant, data: Some(data) })
    }

    fn bias(&mut self, name: &str, channels: usize) -> usize {
        let data: Vec<u8> = (0..channels).flat_map(|_| ((self.next() % 2001) as i32 - 1000).to_le_bytes()).collect();
        self.tensor(Tensor {
            name: name.into(),
            shape: vec![channels],
            dtype: DType::I32,
            quant: None,
            data: Some(data),
        })
    }

    fn op(&mut self, kind: OpKind, inputs: Vec<usize>, output: usize) {
        self.graph.ops.push(Op { kind, inputs: inputs.into_iter().map(Some).collect(), outputs: vec![output] });
    }

    /// The output map after a window op, quantized so that a sum of `fan_in` products of
    /// unit-variance terms stays in range.
    fn output(&mut self, name: &str, x: Map, c: usize, stride: usize, act: Act) -> Map {
        let (h, w) = (x.h.div_ceil(stride), x.w.div_ceil(stride));
        let (scale, zero_point) = match act {
            Act::Relu6 => (6.0 / 255.0, -128),
            Act::None => (x.scale.max(1.0 / 64.0), 0),
        };
        let t = self.activation(name, vec![1, h, w, c], scale, zero_point);
        Map { t, h, w, c, scale, zero_point }
    }

    fn options(stride: usize, act: Act) -> ConvOptions {
        let activation = match act {
            Act::None => Activation::None,
            Act::Relu6 => Activation::Relu6,
        };
        ConvOptions { padding: Padding::Same, stride: (stride, stride), dilation: (1, 1), activation }
    }

    /// A k×k convolution (SAME padding) to `c` channels.
    pub fn conv(&mut self, name: &str, x: Map, c: usize, k: usize, stride: usize, act: Act) -> Map {
        let fan_in = (k * k * x.c) as f32;
        let w = self.weights(&format!("{name}/weights"), vec![c, k, k, x.c], 0, 1.0 / (127.0 * fan_in.sqrt()));
        let b = self.bias(&format!("{name}/bias"), c);
        let y = self.output(name, x, c, stride, act);
        self.op(OpKind::Conv2d(Self::options(stride, act)), vec![x.t, w, b], y.t);
        y
    }

    /// A k×k depthwise convolution (depth multiplier 1, SAME padding).
    pub fn depthwise(&mut self, name: &str, x: Map, k: usize, stride: usize, act: Act) -> Map {
        let w = self.weights(&format!("{name}/weights"), vec![1, k, k, x.c], 3, 1.0 / (127.0 * k as f32));
        let b = self.bias(&format!("{name}/bias"), x.c);
        let y = self.output(name, x, x.c, stride, act);
        let kind = OpKind::DepthwiseConv2d { conv: Self::options(stride, act), depth_multiplier: 1 };
        self.op(kind, vec![x.t, w, b], y.t);
        y
    }

    /// An element-wise sum of two maps of one shape.
    pub fn add(&mut self, name: &str, a: Map, b: Map) -> Map {
        let scale = a.scale.max(b.scale) * 1.5;
        let t = self.activation(name, vec![1, a.h, a.w, a.c], scale, 0);
        self.op(OpKind::Add { activation: Activation::None }, vec![a.t, b.t], t);
        Map { t, scale, zero_point: 0, ..a }
    }

    /// Global mean, a fully connected layer to `classes`, and softmax; finishes the graph.
    pub fn classifier(mut self, x: Map, classes: usize) -> Graph {
        let axes = self.tensor(Tensor {
            name: "head/axes".into(),
            shape: vec![2],
            dtype: DType::I32,
            quant: None,
            data: Some([1i32, 2].iter().flat_map(|v| v.to_le_bytes()).collect()),
        });
        let pooled = self.activation("head/mean", vec![1, x.c], x.scale, x.zero_point);
        self.op(OpKind::Mean { keep_dims: false }, vec![x.t, axes], pooled);
        let w = self.weights("head/fc/weights", vec![classes, x.c], 0, 1.0 / (127.0 * (x.c as f32).sqrt()));
        let b = self.bias("head/fc/bias", classes);
        let logits = self.activation("head/fc", vec![1, classes], 1.0 / 16.0, 0);
        self.op(
            OpKind::FullyConnected { activation: Activation::None, keep_num_dims: false },
            vec![pooled, w, b],
            logits,
        );
        let probs = self.activation("head/softmax", vec![1, classes], 1.0 / 256.0, -128);
        self.op(OpKind::Softmax { beta: 1.0 }, vec![logits], probs);
        self.graph.outputs = vec![probs];
        self.graph
    }
}
