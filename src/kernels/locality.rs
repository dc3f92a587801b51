//! What a spatially local op reads and writes, for the planner and the executor: its maps,
//! the input region each output region reads (the tile plus its halo) and its MACs a pixel;
//! and, for any other op, why it cannot run patch by patch.

use super::{remap, Kernel};
use crate::geometry::{Hwc, Region};

impl Kernel {
    /// The output feature map of a spatially local op: one whose output region `[y0,y1)×[x0,x1)`
    /// depends only on a bounded region of each input (convolutions, pools, pad, element-wise
    /// ops, channel concatenation). `None` for ops that mix the whole map (fully connected,
    /// mean, softmax, reshape) or that write floats (DEQUANTIZE).
    pub fn output_map(&self) -> Option<Hwc> {
        match self {
            Kernel::Conv2d(k) => Some(k.output),
            Kernel::TransposeConv(k) => Some(k.output),
            Kernel::DepthwiseConv2d(k) => Some(k.output),
            Kernel::Pool2d(k) => Some(k.output),
            Kernel::Pad(k) => Some(k.output),
            Kernel::Add(k) => k.spatial.then_some(k.map),
            Kernel::Concatenation(k) => k.map,
            Kernel::Quantize(k) => k.spatial.then_some(k.map),
            Kernel::Lut(k) => k.spatial.then_some(k.map),
            Kernel::L2Normalization(k) => k.spatial.then_some(k.map),
            Kernel::Binary(k) => k.spatial.then_some(k.map),
            Kernel::ResizeNearestNeighbor(k) => Some(k.output),
            Kernel::ResizeBilinear(k) => Some(k.output),
            Kernel::DepthToSpace(k) => Some(k.output),
            Kernel::Remap(k) => k.spatial.as_ref().map(|s| s.output),
            Kernel::Reduce(k) => k.map.map(|(_, output)| output),
            _ => None,
        }
    }

    /// Why a kernel without an output map cannot run patch by patch, for the planner's
    /// messages.
    pub fn not_local_reason(&self) -> &'static str {
        match self {
            Kernel::Binary(k) if k.broadcasts_activation => {
                "broadcasts a tensor computed from the whole map over it (a squeeze-and-excitation gate)"
            }
            Kernel::Dequantize(_) => "crosses the float boundary",
            Kernel::Remap(k) if k.spatial.is_none() => {
                "moves values between a map's channels and its rows or columns (or works on a tensor that is not a [1, H, W, C] map)"
            }
            _ if self.output_map().is_some() => "is spatially local",
            _ => "mixes the whole map",
        }
    }

    /// The feature maps of the activation inputs of a local op, in order, in int8 lanes: a
    /// float32 map (a float QUANTIZE's input) has 4 lanes a channel.
    pub fn input_maps(&self) -> Vec<Hwc> {
        match self {
            Kernel::Conv2d(k) => vec![k.input],
            Kernel::TransposeConv(k) => vec![k.input],
            Kernel::DepthwiseConv2d(k) => vec![k.input],
            Kernel::Pool2d(k) => vec![k.input],
            Kernel::Pad(k) => vec![k.input],
            Kernel::Add(k) if k.spatial => vec![k.map, k.map],
            Kernel::Concatenation(k) => match (k.map, &k.channels) {
                (Some(m), Some(cs)) => cs.iter().map(|&c| Hwc { c, ..m }).collect(),
                _ => Vec::new(),
            },
            Kernel::Quantize(k) if k.spatial => vec![k.input_map()],
            Kernel::Lut(k) if k.spatial => vec![k.map],
            Kernel::L2Normalization(k) if k.spatial => vec![k.map],
            Kernel::Binary(k) if k.spatial => vec![k.map; k.activations()],
            Kernel::ResizeNearestNeighbor(k) => vec![k.input],
            Kernel::ResizeBilinear(k) => vec![k.input],
            Kernel::DepthToSpace(k) => vec![k.input],
            Kernel::Remap(k) => k.spatial.iter().map(|s| s.input).collect(),
            Kernel::Reduce(k) => k.map.iter().map(|&(input, _)| input).collect(),
            _ => Vec::new(),
        }
    }

    /// The region of every input that output `region` of a local op reads (the tile plus its
    /// halo), clipped to the input.
    pub fn input_region(&self, region: Region) -> Region {
        match self {
            Kernel::Conv2d(k) => k.window.input_region(region),
            Kernel::TransposeConv(k) => k.window.input_region(region),
            Kernel::DepthwiseConv2d(k) => k.window.input_region(region),
            Kernel::Pool2d(k) => k.window.input_region(region),
            Kernel::Pad(k) => k.input_region(region),
            Kernel::ResizeNearestNeighbor(k) => k.input_region(region),
            Kernel::ResizeBilinear(k) => k.input_region(region),
            Kernel::DepthToSpace(k) => k.input_region(region),
            Kernel::Remap(remap::Remap { spatial: Some(s), .. }) => s.input_region(region),
            _ => region,
        }
    }

    /// Multiply-accumulates for one output pixel of a local op.
    pub fn macs_per_pixel(&self) -> u64 {
        match (self, self.output_map()) {
            (_, Some(m)) if m.h * m.w > 0 => self.macs() / (m.h * m.w) as u64,
            _ => 0,
        }
    }
}
