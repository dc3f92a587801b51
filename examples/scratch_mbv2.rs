use mcupatch::kernels::Kernel;
use mcupatch::schedule::{self, search, InputMode, Schedule, Stage};
use mcupatch::zoo::Arch;
fn main() {
    for arch in [Arch::MobileNetV2 { width: 1.0, resolution: 224 }, Arch::MobileNetV2Rd { width: 1.0, resolution: 224 }]
    {
        let g = arch.build();
        let k = Kernel::prepare_all(&g).unwrap();
        let t = std::time::Instant::now();
        let lbl =
            Schedule { stages: vec![], in_place: schedule::InPlace { depthwise: true, pointwise: true, add: true } };
        let base = search::macs(&schedule::plan(&g, &k, &lbl, InputMode::default()).unwrap(), &k);
        let c = search::evaluate(&g, &k, &lbl, InputMode::default(), base).unwrap();
        println!(
            "{arch:?}: LBL peak {} at {} {} macs {} ({:?})",
            c.peak.bytes,
            c.peak.op,
            g.tensors[g.ops[c.peak.op].outputs[0]].name,
            c.macs,
            t.elapsed()
        );
        let split =
            g.tensors.iter().position(|t| t.name.ends_with("/project") && t.shape == vec![1, 28, 28, 32]).unwrap();
        for (ip, st) in [(true, true), (true, false), (false, true), (false, false)] {
            let s = Schedule {
                stages: vec![Stage { split, rows: 4, cols: 4 }],
                in_place: schedule::InPlace { depthwise: true, pointwise: ip, add: ip },
            };
            let c = search::evaluate(&g, &k, &s, InputMode { streamed: st, ..Default::default() }, base).unwrap();
            live(&g, &k, &s, st);
            println!(
                "  inplace {ip} streamed {st}: peak {} at op {} {} {:?} macs {} ovh {:.3} in {:?}",
                c.peak.bytes,
                c.peak.op,
                g.tensors[g.ops[c.peak.op].outputs[0]].name,
                c.peak.patch,
                c.macs,
                c.overhead,
                c.input_patch
            );
        }
        println!("  ({:?})", t.elapsed());
        let split =
            g.tensors.iter().position(|t| t.name.ends_with("/project") && t.shape == vec![1, 28, 28, 32]).unwrap();
        strategies(
            &g,
            &k,
            &Schedule {
                stages: vec![Stage { split, rows: 4, cols: 4 }],
                in_place: schedule::InPlace { depthwise: true, pointwise: true, add: true },
            },
        );
    }
}
#[allow(dead_code)]
fn live(g: &mcupatch::model::Graph, k: &[Kernel], s: &Schedule, streamed: bool) {
    let p = schedule::plan(g, k, s, InputMode { streamed, ..Default::default() }).unwrap();
    let (i, m) = (0..p.steps.len()).map(|i| (i, p.live_bytes(i))).max_by_key(|x| x.1).unwrap();
    println!(
        "    max live {m} at step {i} op {} {}; extent {} strategy {:?}",
        p.steps[i].op, g.tensors[g.ops[p.steps[i].op].outputs[0]].name, p.extent, p.strategy
    );
}
#[allow(dead_code)]
pub fn dump(g: &mcupatch::model::Graph, k: &[Kernel], s: &Schedule) {
    let p = schedule::plan(g, k, s, InputMode { streamed: true, ..Default::default() }).unwrap();
    let st = p.peak_step();
    println!("peak step {st} extent {} live {} strategy {:?}", p.extent_at(st), p.live_bytes(st), p.strategy);
    for (i, b) in p.buffers.iter().enumerate() {
        if b.first <= st && st <= b.last {
            println!(
                "  buf {i} {:?} off {} size {} [{}..{}] {:?} pinned {:?} {}",
                b.kind,
                b.offset,
                b.size,
                b.first,
                b.last,
                b.region,
                b.pinned,
                b.tensors.first().map_or("".into(), |&t| g.tensors[t].name.clone())
            );
        }
    }
}
#[allow(dead_code)]
pub fn strategies(g: &mcupatch::model::Graph, k: &[Kernel], s: &Schedule) {
    use mcupatch::arena::planner::{self, Strategy};
    let p = schedule::plan(g, k, s, InputMode { streamed: true, ..Default::default() }).unwrap();
    let reqs = schedule::Plan::requests(&p.buffers);
    for st in [Strategy::LargestFirst, Strategy::FirstUse, Strategy::LongestFirst] {
        let (_, e) = planner::place_in_order(&reqs, &planner::order(&reqs, st));
        println!("  {st:?}: {e}");
    }
    // area (size × lifetime) first
    let mut o: Vec<usize> = (0..reqs.len()).collect();
    o.sort_by_key(|&i| std::cmp::Reverse(reqs[i].size * (reqs[i].last - reqs[i].first + 1)));
    println!("  area: {}", planner::place_in_order(&reqs, &o).1);
    let mut o: Vec<usize> = (0..reqs.len()).collect();
    o.sort_by_key(|&i| (std::cmp::Reverse(reqs[i].last - reqs[i].first > 8), std::cmp::Reverse(reqs[i].size)));
    println!("  long-then-size: {}", planner::place_in_order(&reqs, &o).1);
}
