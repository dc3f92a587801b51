//! Architectures for analysis, built straight into a [`Graph`] with deterministic
//! synthetic int8 weights: MobileNetV2 (width, resolution), its receptive-field-redistributed
//! variant, MobileNetV1, and MCUNet-style inverted-residual stacks from a small spec. They
//! run through the same kernels, planner and executor as a loaded .tflite; the weights are
//! not trained, so only memory, MACs and patch ≡ layer-by-layer exactness mean anything.
//!
//! Every op's output tensor is named `<block>/<layer>`, so memory can be reported per block.

mod builder;

use crate::error::{Error, Result};
use crate::model::Graph;
use builder::{Act, Net};

/// One inverted-residual block: 1×1 expansion (skipped for ratio 1), k×k depthwise with a
/// stride, 1×1 linear projection, and a residual add when shapes allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub kernel: usize,
    pub expand: usize,
    pub stride: usize,
    pub channels: usize,
}

/// An architecture and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Arch {
    MobileNetV2 {
        width: f64,
        resolution: usize,
    },
    /// MobileNetV2 with its receptive field redistributed (MCUNetV2, §3.2): the stride-8
    /// patch stage keeps one block per width (the 2nd 24-channel block goes), so its halo
    /// shrinks; the capacity returns after the split as an extra 32- and 96-channel block.
    MobileNetV2Rd {
        width: f64,
        resolution: usize,
    },
    MobileNetV1 {
        width: f64,
        resolution: usize,
    },
    /// A stem conv of `stem` channels (3×3, stride 2), then `blocks`, an optional 1×1 head
    /// conv to `head` channels, then a classifier to `classes`.
    McuNet {
        resolution: usize,
        stem: usize,
        blocks: Vec<Block>,
        head: Option<usize>,
        classes: usize,
    },
}

/// The names [`Arch::parse`] takes.
pub const ARCHITECTURES: &[&str] = &["mbv2", "mbv2-rd", "mbv1", "mcunet"];

/// The MobileNetV2 settings: (expansion, channels, repeats, first stride) per group.
const MBV2: [(usize, usize, usize, usize); 7] =
    [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
const MBV2_RD: [(usize, usize, usize, usize); 7] =
    [(1, 16, 1, 1), (6, 24, 1, 2), (6, 32, 4, 2), (6, 64, 4, 2), (6, 96, 4, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

/// Channels scaled by `width`, rounded to a multiple of 8 and never below 90 % of the
/// scaled value (the MobileNet `make_divisible`).
pub fn scaled(channels: usize, width: f64) -> usize {
    let v = channels as f64 * width;
    let mut r = (((v + 4.0) / 8.0).floor() as usize * 8).max(8);
    if (r as f64) < 0.9 * v {
        r += 8;
    }
    r
}

impl Arch {
    /// Parses `mbv2`, `mbv2-rd`, `mbv1` or `mcunet` with its parameters; `blocks` is the
    /// MCUNet spec, e.g. `k3e1s1c16,k5e6s2c24,k3e6s1c24`.
    /// A name may end in `+rdN`: the architecture with its receptive field redistributed for
    /// a patch stage ending at stride N ([`Arch::redistributed`]), e.g. `mbv2+rd8`.
    pub fn parse(name: &str, width: f64, resolution: usize, blocks: Option<&str>) -> Result<Arch> {
        if let Some((base, stride)) = name.split_once("+rd") {
            let stride =
                stride.parse().map_err(|_| Error::Setting(format!("'{name}': +rd takes a stride, e.g. +rd8")))?;
            return Arch::parse(base, width, resolution, blocks)?.redistributed(stride);
        }
        if !(width > 0.0 && width <= 4.0 && (32..=1024).contains(&resolution)) {
            return Err(Error::Setting(format!(
                "width {width} must be in (0, 4] and resolution {resolution} in 32..=1024"
            )));
        }
        Ok(match name {
            "mbv2" | "mobilenetv2" => Arch::MobileNetV2 { width, resolution },
            "mbv2-rd" | "mobilenetv2-rd" => Arch::MobileNetV2Rd { width, resolution },
            "mbv1" | "mobilenetv1" => Arch::MobileNetV1 { width, resolution },
            "mcunet" => {
                let spec =
                    blocks.ok_or_else(|| Error::Setting("mcunet needs --blocks, e.g. k3e1s1c16,k5e6s2c24".into()))?;
                Arch::McuNet {
                    resolution,
                    stem: scaled(32, width),
                    blocks: parse_blocks(spec)?,
                    head: None,
                    classes: 1000,
                }
            }
            other => {
                return Err(Error::Setting(format!("unknown architecture '{other}' (mbv2, mbv2-rd, mbv1, mcunet)")))
            }
        })
    }

    /// The network as a graph, ending in mean → fully connected (1000 classes) → softmax.
    pub fn build(&self) -> Graph {
        match self {
            Arch::MobileNetV2 { width, resolution } => inverted_residual_net(&MBV2, *width, *resolution, 3),
            Arch::MobileNetV2Rd { width, resolution } => inverted_residual_net(&MBV2_RD, *width, *resolution, 3),
            Arch::MobileNetV1 { width, resolution } => mobilenet_v1(*width, *resolution),
            Arch::McuNet { resolution, stem, blocks, head, classes } => {
                let mut net = Net::new(*resolution);
                let mut x = net.conv("stem/conv", net.input(), *stem, 3, 2, Act::Relu6);
                for (i, b) in blocks.iter().enumerate() {
                    x = inverted_residual(&mut net, &format!("block{}", i + 1), x, *b);
                }
                if let Some(c) = head {
                    x = net.conv("head/conv", x, *c, 1, 1, Act::Relu6);
                }
                net.classifier(x, *classes)
            }
        }
    }
}

impl Arch {
    /// The network as an inverted-residual block list (MobileNetV2 and MCUNet nets).
    pub fn as_blocks(&self) -> Result<Arch> {
        match self {
            Arch::MobileNetV2 { width, resolution } | Arch::MobileNetV2Rd { width, resolution } => {
                let groups = if matches!(self, Arch::MobileNetV2 { .. }) { &MBV2 } else { &MBV2_RD };
                let mut blocks = Vec::new();
                for &(expand, channels, repeats, stride) in groups {
                    for r in 0..repeats {
                        let stride = if r == 0 { stride } else { 1 };
                        blocks.push(Block { kernel: 3, expand, stride, channels: scaled(channels, *width) });
                    }
                }
                let head = if *width > 1.0 { scaled(1280, *width) } else { 1280 };
                Ok(Arch::McuNet {
                    resolution: *resolution,
                    stem: scaled(32, *width),
                    blocks,
                    head: Some(head),
                    classes: 1000,
                })
            }
            Arch::McuNet { .. } => Ok(self.clone()),
            Arch::MobileNetV1 { .. } => Err(Error::Setting("MobileNetV1 has no inverted-residual blocks".into())),
        }
    }

    /// Receptive-field redistribution (MCUNetV2 §3.2) for a patch stage ending after the
    /// first block at stride `stride`: inside the stage every depthwise kernel becomes 3×3 and
    /// each group of same-width blocks keeps only its first; the blocks taken out are added
    /// after the split, at the width the stage ends with and with the largest kernel removed,
    /// so the capacity moves out of the stage instead of disappearing.
    pub fn redistributed(&self, stride: usize) -> Result<Arch> {
        let Arch::McuNet { resolution, stem, blocks, head, classes } = self.as_blocks()? else {
            return Err(Error::Setting("no block form".into()));
        };
        let mut reached = 2;
        let end = blocks
            .iter()
            .position(|b| {
                reached *= b.stride;
                reached >= stride
            })
            .ok_or_else(|| Error::Setting(format!("no block reaches stride {stride}")))?;
        let (stage, rest) = blocks.split_at(end + 1);
        let mut kept: Vec<Block> = Vec::new();
        let (mut moved, mut widest_kernel) = (0, 3);
        for (i, b) in stage.iter().enumerate() {
            widest_kernel = widest_kernel.max(b.kernel);
            let repeat = i > 0 && b.stride == 1 && stage[i - 1].channels == b.channels;
            match repeat {
                true => moved += 1,
                false => kept.push(Block { kernel: 3, ..*b }),
            }
        }
        let last = *kept.last().ok_or_else(|| Error::Setting("an empty patch stage".into()))?;
        // The added blocks join the group the stage ends in (stride 1, same width).
        let group_end = rest.iter().take_while(|b| b.channels == last.channels && b.stride == 1).count();
        let added = Block {
            kernel: widest_kernel,
            expand: rest.first().map_or(last.expand, |b| b.expand),
            stride: 1,
            channels: last.channels,
        };
        let mut out = kept;
        out.extend_from_slice(&rest[..group_end]);
        out.extend(std::iter::repeat_n(added, moved));
        out.extend_from_slice(&rest[group_end..]);
        Ok(Arch::McuNet { resolution, stem, blocks: out, head, classes })
    }
}

fn inverted_residual(net: &mut Net, name: &str, x: builder::Map, b: Block) -> builder::Map {
    let hidden = x.c * b.expand;
    let e = if b.expand == 1 { x } else { net.conv(&format!("{name}/expand"), x, hidden, 1, 1, Act::Relu6) };
    let d = net.depthwise(&format!("{name}/depthwise"), e, b.kernel, b.stride, Act::Relu6);
    let p = net.conv(&format!("{name}/project"), d, b.channels, 1, 1, Act::None);
    if b.stride == 1 && x.c == b.channels {
        net.add(&format!("{name}/add"), x, p)
    } else {
        p
    }
}

fn inverted_residual_net(
    groups: &[(usize, usize, usize, usize)],
    width: f64,
    resolution: usize,
    kernel: usize,
) -> Graph {
    let mut net = Net::new(resolution);
    let mut x = net.conv("stem/conv", net.input(), scaled(32, width), 3, 2, Act::Relu6);
    let mut index = 0;
    for &(expand, channels, repeats, stride) in groups {
        for r in 0..repeats {
            index += 1;
            let block =
                Block { kernel, expand, stride: if r == 0 { stride } else { 1 }, channels: scaled(channels, width) };
            x = inverted_residual(&mut net, &format!("block{index}"), x, block);
        }
    }
    let last = if width > 1.0 { scaled(1280, width) } else { 1280 };
    x = net.conv("head/conv", x, last, 1, 1, Act::Relu6);
    net.classifier(x, 1000)
}

fn mobilenet_v1(width: f64, resolution: usize) -> Graph {
    const LAYERS: [(usize, usize); 13] = [
        (64, 1),
        (128, 2),
        (128, 1),
        (256, 2),
        (256, 1),
        (512, 2),
        (512, 1),
        (512, 1),
        (512, 1),
        (512, 1),
        (512, 1),
        (1024, 2),
        (1024, 1),
    ];
    let mut net = Net::new(resolution);
    let mut x = net.conv("stem/conv", net.input(), scaled(32, width), 3, 2, Act::Relu6);
    for (i, &(channels, stride)) in LAYERS.iter().enumerate() {
        let name = format!("block{}", i + 1);
        let d = net.depthwise(&format!("{name}/depthwise"), x, 3, stride, Act::Relu6);
        x = net.conv(&format!("{name}/pointwise"), d, scaled(channels, width), 1, 1, Act::Relu6);
    }
    net.classifier(x, 1000)
}

/// Parses `k3e6s2c24,...`: kernel, expansion, stride, channels per block.
pub fn parse_blocks(spec: &str) -> Result<Vec<Block>> {
    spec.split(',')
        .map(|item| {
            let bad = || {
                Error::Setting(format!("block '{item}' is not k<kernel>e<expand>s<stride>c<channels>, e.g. k3e6s2c24"))
            };
            let item = item.trim();
            let mut values = [0usize; 4];
            let mut rest = item;
            for (slot, key) in values.iter_mut().zip(['k', 'e', 's', 'c']) {
                rest = rest.strip_prefix(key).ok_or_else(bad)?;
                let digits = rest.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(rest.len());
                *slot = rest[..digits].parse().map_err(|_| bad())?;
                rest = &rest[digits..];
            }
            let [kernel, expand, stride, channels] = values;
            if !rest.is_empty()
                || ![1, 3, 5, 7].contains(&kernel)
                || expand == 0
                || !(1..=2).contains(&stride)
                || channels == 0
            {
                return Err(bad());
            }
            Ok(Block { kernel, expand, stride, channels })
        })
        .collect()
}

/// The block an op belongs to: its output tensor's name up to the first `/`.
pub fn block_of(graph: &Graph, op: usize) -> &str {
    let name = &graph.tensors[graph.ops[op].outputs[0]].name;
    name.split('/').next().unwrap_or(name)
}

/// The output of the first block that reaches `stride` (the map `stride` times smaller than
/// the input): where MCUNetV2 ends the patch stage, e.g. MobileNetV2's 4th block at 8.
pub fn stride_split(graph: &Graph, stride: usize) -> Option<usize> {
    if stride == 0 {
        return None;
    }
    let input_h = graph.tensors[*graph.inputs.first()?].shape.get(1).copied()?;
    let at_stride = |op: usize| graph.tensors[graph.ops[op].outputs[0]].shape.get(1) == Some(&input_h.div_ceil(stride));
    let first = (0..graph.ops.len()).find(|&op| at_stride(op))?;
    let block = block_of(graph, first);
    // A converted model's names share one prefix (`model/…`): the map's size ends the block.
    let last = (first..graph.ops.len()).take_while(|&op| block_of(graph, op) == block && at_stride(op)).last()?;
    Some(graph.ops[last].outputs[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_divisible_matches_mobilenet() {
        assert_eq!(scaled(32, 1.0), 32);
        assert_eq!(scaled(32, 0.35), 16);
        assert_eq!(scaled(24, 0.5), 16);
        assert_eq!(scaled(16, 0.75), 16);
    }

    #[test]
    fn block_specs_parse() {
        let b = parse_blocks("k3e1s1c16, k7e6s2c24").unwrap();
        assert_eq!(b[1], Block { kernel: 7, expand: 6, stride: 2, channels: 24 });
        assert!(parse_blocks("k4e1s1c16").is_err());
        assert!(parse_blocks("k3e1c16").is_err());
    }

    #[test]
    fn mobilenet_v2_has_its_shapes() {
        let g = Arch::MobileNetV2 { width: 1.0, resolution: 224 }.build();
        let shape = |name: &str| g.tensors.iter().find(|t| t.name == name).map(|t| t.shape.clone());
        assert_eq!(shape("stem/conv"), Some(vec![1, 112, 112, 32]));
        assert_eq!(shape("block2/expand"), Some(vec![1, 112, 112, 96]));
        assert_eq!(shape("block4/project"), Some(vec![1, 28, 28, 32]));
        assert_eq!(shape("block17/project"), Some(vec![1, 7, 7, 320]));
        assert_eq!(shape("head/conv"), Some(vec![1, 7, 7, 1280]));
        assert_eq!(stride_split(&g, 8).map(|t| g.tensors[t].name.as_str()), Some("block4/project"));
        let rd = Arch::MobileNetV2Rd { width: 1.0, resolution: 224 }.build();
        assert_eq!(stride_split(&rd, 8).map(|t| rd.tensors[t].name.as_str()), Some("block3/project"));
    }
}
