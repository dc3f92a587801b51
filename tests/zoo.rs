#![cfg(not(target_arch = "wasm32"))]
//! The architecture zoo through the same engine and planner: MCUNetV2's Figure 1 numbers for
//! MobileNetV2, receptive-field redistribution, the VWW plans, multi-stage fusion, and
//! patch ≡ layer by layer on zoo networks.

mod common;

use common::{root, run_tensors};
use mcupatch::exec::{Config, Engine};
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, Graph};
use mcupatch::schedule::measure::{self, Candidate, Comparison};
use mcupatch::schedule::search;
use mcupatch::schedule::{InPlace, InputMode, Schedule, Stage};
use mcupatch::zoo::{self, Arch};

const ALL_IN_PLACE: InPlace = InPlace { depthwise: true, pointwise: true, add: true };
const STREAMED: InputMode = InputMode { float_input: false, streamed: true };

/// A 4×4 grid ending at the first block at stride 8, compared with layer by layer.
fn figure_one(arch: &Arch, in_place: InPlace) -> (Graph, Comparison) {
    let graph = arch.build();
    let kernels = Kernel::prepare_all(&graph).unwrap();
    let split = zoo::stride_split(&graph, 8).expect("a stride-8 block");
    let schedule = Schedule { stages: vec![Stage::new(split, 4, 4)], in_place };
    let c =
        measure::compare(&graph, &kernels, &schedule, STREAMED, |op| zoo::block_of(&graph, op).to_string()).unwrap();
    (graph, c)
}

#[test]
fn mobilenet_v2_figure_one() {
    let (graph, c) = figure_one(&Arch::MobileNetV2 { width: 1.0, resolution: 224 }, ALL_IN_PLACE);
    // Block 2's 1×1 expansion: 112·112·16 in + 112·112·96 out.
    assert_eq!(c.layer_by_layer.peak.bytes, 1_404_928);
    assert_eq!(zoo::block_of(&graph, c.layer_by_layer.peak.op), "block2");
    assert_eq!(c.blocks.iter().find(|b| b.block == "block2").map(|b| b.layer_by_layer), Some(1_404_928));
    // 4×4 patches to 28×28×32: block 5's 28·28·192 expansion beside its 28·28·32 skip and
    // the one-channel depthwise scratch.
    assert_eq!(c.patched.peak.bytes, 150_528 + 25_088 + 784);
    let ratio = c.layer_by_layer.peak.bytes as f64 / c.patched.peak.bytes as f64;
    assert!(ratio > 7.9, "{ratio}");
    assert!(c.patched.overhead > 0.0 && c.stage_overhead > c.patched.overhead);
    // Every block of the patch stage needs less than a tenth of its layer-by-layer SRAM.
    for b in c.blocks.iter().filter(|b| ["block1", "block2", "block3"].contains(&b.block.as_str())) {
        assert!(b.patched * 5 < b.layer_by_layer, "{b:?}");
    }
}

#[test]
fn in_place_depthwise_alone_leaves_the_skip_and_projection_apart() {
    let depthwise_only = InPlace { depthwise: true, ..InPlace::default() };
    let (_, c) = figure_one(&Arch::MobileNetV2 { width: 1.0, resolution: 224 }, depthwise_only);
    assert_eq!(c.layer_by_layer.peak.bytes, 1_404_928);
    // Block 5's projection: 28·28·192 in + 28·28·32 out + the 28·28·32 skip.
    assert_eq!(c.patched.peak.bytes, 150_528 + 2 * 25_088);
}

#[test]
fn receptive_field_redistribution_shrinks_halo_and_overhead() {
    let (_, mbv2) = figure_one(&Arch::MobileNetV2 { width: 1.0, resolution: 224 }, ALL_IN_PLACE);
    let (_, rd) = figure_one(&Arch::MobileNetV2Rd { width: 1.0, resolution: 224 }, ALL_IN_PLACE);
    let area = |c: &Comparison| c.patched.input_patch.map(|(h, w)| h * w).unwrap();
    assert!(area(&rd) < area(&mbv2), "{:?} vs {:?}", rd.patched.input_patch, mbv2.patched.input_patch);
    assert!(rd.patched.overhead < mbv2.patched.overhead);
    assert!(rd.stage_overhead < mbv2.stage_overhead);
}

/// Runs `schedule` and layer by layer on one input; every whole tensor must agree.
fn assert_exact(graph: &Graph, schedule: Schedule, input: InputMode) {
    let layerwise = Config { capacity: 4 << 20, input: InputMode::default(), schedule: Schedule::default() };
    let n = Engine::new(graph.clone(), layerwise.clone()).unwrap().input_tensor().bytes();
    let data: Vec<u8> = (0..n).map(|i| ((i * 2_654_435_761usize) >> 7) as u8).collect();
    let (_, reference) = run_tensors(graph, layerwise, &data);
    let (_, tensors) = run_tensors(graph, Config { capacity: 4 << 20, input, schedule: schedule.clone() }, &data);
    for (t, b) in &tensors {
        assert!(b == &reference[t], "{schedule:?}: tensor {} differs", graph.tensors[*t].name);
    }
    assert!(tensors.len() >= 2 + schedule.stages.len());
}

#[test]
fn zoo_networks_run_patch_by_patch_exactly() {
    let archs = [
        Arch::MobileNetV2 { width: 1.0, resolution: 224 },
        Arch::MobileNetV2Rd { width: 0.35, resolution: 96 },
        Arch::MobileNetV1 { width: 0.25, resolution: 128 },
        Arch::parse("mcunet", 0.5, 112, Some("k3e1s1c16,k7e3s2c24,k5e4s1c24,k5e6s2c40,k3e6s1c40,k7e6s2c48")).unwrap(),
    ];
    for arch in archs {
        let graph = arch.build();
        let split = zoo::stride_split(&graph, 8).expect("a stride-8 block");
        for (in_place, input) in [(ALL_IN_PLACE, STREAMED), (InPlace::default(), InputMode::default())] {
            assert_exact(&graph, Schedule { stages: vec![Stage::new(split, 4, 4)], in_place }, input);
        }
        let later = zoo::stride_split(&graph, 16).expect("a stride-16 block");
        let stages = vec![Stage::new(split, 3, 3), Stage::new(later, 2, 2)];
        assert_exact(&graph, Schedule { stages, in_place: ALL_IN_PLACE }, STREAMED);
    }
}

fn vww() -> (Graph, Vec<Kernel>) {
    let graph = model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).unwrap()).unwrap();
    let kernels = Kernel::prepare_all(&graph).unwrap();
    (graph, kernels)
}

#[test]
fn vww_plans_with_the_frame_streamed() {
    let (graph, kernels) = vww();
    let depthwise = InPlace { depthwise: true, ..InPlace::default() };
    let all = search::explore(&graph, &kernels, STREAMED, depthwise).unwrap();
    let smallest = all.iter().min_by_key(|c| (c.peak.bytes, c.macs)).unwrap();
    assert!(smallest.peak.bytes <= 20 * 1024, "{}", smallest.peak.bytes);
    assert!(55_296.0 / smallest.peak.bytes as f64 >= 2.9);
    let (cheapest, fits) = search::choose(&all, 32 * 1024).unwrap();
    assert!(fits && cheapest.peak.bytes <= 32 * 1024 && cheapest.overhead > 0.0);
    // The front is a front: fewer MACs for every step up in peak.
    let front = search::pareto(&all);
    assert!(front.windows(2).all(|w| w[0].peak.bytes < w[1].peak.bytes && w[0].macs > w[1].macs));
}

#[test]
fn multi_stage_fusion_lowers_the_vww_peak() {
    let (graph, kernels) = vww();
    let single = search::explore(&graph, &kernels, STREAMED, ALL_IN_PLACE).unwrap();
    let multi = search::explore_multi(&graph, &kernels, STREAMED, ALL_IN_PLACE).unwrap();
    let best = |cs: &[Candidate]| cs.iter().min_by_key(|c| (c.peak.bytes, c.macs)).unwrap().clone();
    let (s, m) = (best(&single), best(&multi));
    assert_eq!(m.schedule.stages.len(), 2, "{:?}", m.schedule);
    assert!(m.peak.bytes < s.peak.bytes, "two stages {} vs one {}", m.peak.bytes, s.peak.bytes);
    assert_exact(&graph, m.schedule, STREAMED);
}

/// Where the layers after a second stage still bound the peak, a third stage pays: MbV2-RD
/// @224 with the frame whole in SRAM fits an STM32F746's 320 KB at +4.3 % MACs with three
/// stages; the cheapest plan of one or two stages that fits costs +5.5 %.
#[test]
fn a_third_stage_fits_mbv2_rd_in_320_kb_cheaply() {
    let graph = Arch::parse("mbv2+rd8", 1.0, 224, None).unwrap().build();
    let kernels = Kernel::prepare_all(&graph).unwrap();
    let sram = 320 * 1024;
    let input = InputMode::default();
    let upto = |n| search::multi_stage_search(&graph, &kernels, input, InPlace::default(), true, n).unwrap();
    let (chosen, fits) = search::choose(&upto(search::MAX_STAGES).candidates, sram).unwrap();
    assert!(fits);
    assert_eq!(chosen.schedule.stages.len(), 3, "{:?}", chosen.schedule);
    assert!(chosen.overhead < 0.05, "{}", chosen.overhead);
    let (two, _) = search::choose(&upto(2).candidates, sram).unwrap();
    assert!(two.overhead > chosen.overhead, "{:?}: {}", two.schedule, two.overhead);
    assert_exact(&graph, chosen.schedule, input);
}
