#![cfg(not(target_arch = "wasm32"))]
//! The fast planner is the exhaustive one, only faster: the pruned search finds the same
//! Pareto front and makes the same choice at every budget as planning every candidate one
//! by one; the optimized placement gives the offsets of the plain first-fit it replaced;
//! the per-split estimates are exact MACs and true lower bounds; and placements never
//! overlap. On the VWW model in every accounting mode, on random graphs and on zoo nets.

mod common;

use common::gen::Gen;
use common::{assert_no_overlap, root};
use mcupatch::arena::planner::{self, Request, Strategy, ALIGNMENT};
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, Graph};
use mcupatch::schedule::costs::SplitCosts;
use mcupatch::schedule::measure::{self, Candidate};
use mcupatch::schedule::request::{self, HaloChoice, PatchRequest};
use mcupatch::schedule::search;
use mcupatch::schedule::{draft, plan, InPlace, InputMode, Plan};
use mcupatch::zoo::Arch;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn vww() -> Graph {
    model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).expect("run models/fetch")).unwrap()
}

/// Every accounting mode: in-place ops off and on, the frame whole or streamed.
fn modes() -> Vec<(InputMode, InPlace)> {
    let mut out = Vec::new();
    for streamed in [false, true] {
        for in_place in [false, true] {
            let in_place = InPlace { depthwise: in_place, pointwise: in_place, add: in_place };
            out.push((InputMode { streamed, ..Default::default() }, in_place));
        }
    }
    out
}

/// The search as it was: layer by layer, then every single-stage plan planned and measured
/// one after another.
fn exhaustive(
    graph: &Graph,
    kernels: &[Kernel],
    input: InputMode,
    in_place: InPlace,
) -> mcupatch::Result<Vec<Candidate>> {
    let layerwise = measure::layer_by_layer(graph, kernels, input, in_place)?;
    let base = layerwise.macs;
    let mut all = Vec::new();
    if !input.streamed {
        all.push(layerwise);
    }
    for schedule in search::single_stage_schedules(graph, kernels, input, in_place)? {
        all.push(measure::evaluate(graph, kernels, &schedule, input, base)?);
    }
    Ok(all)
}

fn described(candidates: &[Candidate]) -> Vec<String> {
    candidates.iter().map(|c| format!("{c:?}")).collect()
}

/// Budgets around every peak on the front, and none that fits.
fn budgets(front: &[Candidate]) -> Vec<usize> {
    let mut out = vec![0, usize::MAX];
    for c in front {
        out.extend([c.peak.bytes - 1, c.peak.bytes, c.peak.bytes + 1]);
    }
    out
}

/// `fast` has the front of `all` and makes the same choice at every budget.
fn assert_same_front(all: &[Candidate], fast: &[Candidate], what: &str) {
    let front = search::pareto(all);
    assert_eq!(described(&search::pareto(fast)), described(&front), "{what}: fronts differ");
    for budget in budgets(&front) {
        let (a, b) = (search::choose(all, budget), search::choose(fast, budget));
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{what}: choice at {budget} B differs");
    }
}

/// The pruned search against the exhaustive one, and the planner's answers to a user's
/// requests (`request::resolve`, what the session plans) against the exhaustive choice.
fn check_search(graph: &Graph, input: InputMode, in_place: InPlace, what: &str) -> usize {
    let kernels = Kernel::prepare_all(graph).unwrap();
    let all = match exhaustive(graph, &kernels, input, in_place) {
        Ok(all) => all,
        // E.g. a streamed input that a later op reads again: every search refuses alike.
        Err(e) => {
            let refused = |r: mcupatch::Result<Vec<Candidate>>| r.err().map(|e| e.to_string());
            assert_eq!(refused(search::explore(graph, &kernels, input, in_place)), Some(e.to_string()), "{what}");
            assert_eq!(refused(search::explore_front(graph, &kernels, input, in_place)), Some(e.to_string()), "{what}");
            return 0;
        }
    };
    assert_eq!(described(&search::explore(graph, &kernels, input, in_place).unwrap()), described(&all), "{what}");
    let fast = search::explore_front(graph, &kernels, input, in_place).unwrap();
    assert_same_front(&all, &fast, what);
    for budget in budgets(&search::pareto(&all)) {
        let auto = PatchRequest::Auto { multi_stage: false };
        let chosen =
            request::resolve(graph, &kernels, &auto, input, in_place, HaloChoice::Recompute, budget).unwrap().schedule;
        assert_eq!(Some(&chosen), search::choose(&all, budget).map(|(c, _)| c.schedule).as_ref(), "{what} {budget}");
    }
    for (rows, cols) in [(2, 2), (3, 1)] {
        let grid: Vec<Candidate> = all
            .iter()
            .filter(|c| c.schedule.stages.first().is_some_and(|s| (s.rows, s.cols) == (rows, cols)))
            .cloned()
            .collect();
        let budget = grid.iter().map(|c| c.peak.bytes).min().unwrap_or(0) + 1;
        let request = PatchRequest::Grid { rows, cols };
        let chosen = request::resolve(graph, &kernels, &request, input, in_place, HaloChoice::Recompute, budget)
            .ok()
            .map(|r| r.schedule);
        assert_eq!(chosen, search::choose(&grid, budget).map(|(c, _)| c.schedule), "{what} grid {rows}x{cols}");
    }
    for c in search::pareto(&fast) {
        assert_no_overlap(&plan(graph, &kernels, &c.schedule, input).unwrap(), what);
    }
    // Both halo kinds: the planner's front and choice against every recomputing and every
    // cached single stage planned one by one.
    let base = measure::layer_by_layer(graph, &kernels, input, in_place).unwrap().macs;
    let mut both = all.clone();
    for schedule in search::cached_single_stage_schedules(graph, &kernels, input, in_place).unwrap() {
        let cached = measure::evaluate(graph, &kernels, &schedule, input, base).unwrap();
        assert_no_overlap(&plan(graph, &kernels, &schedule, input).unwrap(), what);
        both.push(cached);
    }
    let front = search::pareto(&both);
    for budget in budgets(&front) {
        let auto = PatchRequest::Auto { multi_stage: false };
        let resolved = request::resolve(graph, &kernels, &auto, input, in_place, HaloChoice::Auto, budget).unwrap();
        let expected = search::choose(&both, budget).map(|(c, _)| c.schedule);
        assert_eq!(Some(resolved.schedule), expected, "{what}: both halos at {budget} B");
        assert_eq!(described(&resolved.search.expect("the planner chose").front), described(&front), "{what}");
    }
    all.len()
}

#[test]
fn vww_front_and_choice_equal_the_exhaustive_search() {
    let g = vww();
    for (input, in_place) in modes() {
        let n = check_search(&g, input, in_place, &format!("vww {input:?} {in_place:?}"));
        assert!(n >= 1173, "{n}");
    }
}

#[test]
fn vww_two_stage_front_equals_the_exhaustive_one() {
    let g = vww();
    let kernels = Kernel::prepare_all(&g).unwrap();
    for (input, in_place) in modes() {
        let all = search::explore_multi(&g, &kernels, input, in_place).unwrap();
        let fast = search::explore_multi_front(&g, &kernels, input, in_place).unwrap();
        assert!(all.iter().any(|c| c.schedule.stages.len() == 2));
        let what = format!("vww two stages {input:?} {in_place:?}");
        assert_same_front(&all, &fast, &what);
        let auto = PatchRequest::Auto { multi_stage: true };
        for budget in budgets(&search::pareto(&all)) {
            let chosen =
                request::resolve(&g, &kernels, &auto, input, in_place, HaloChoice::Recompute, budget).unwrap().schedule;
            assert_eq!(Some(chosen), search::choose(&all, budget).map(|(c, _)| c.schedule), "{what} {budget}");
        }
    }
}

/// `auto` at a given split: the planner's choice among every grid there, as the exhaustive
/// search would choose among its plans at that split.
#[test]
fn vww_auto_at_a_split_chooses_as_the_exhaustive_search() {
    let g = vww();
    let kernels = Kernel::prepare_all(&g).unwrap();
    for (input, in_place) in modes() {
        let all = exhaustive(&g, &kernels, input, in_place).unwrap();
        for op in [1, 5, 9] {
            let split = g.ops[op].outputs[0];
            let what = format!("vww auto at op{op} {input:?} {in_place:?}");
            let at_split: Vec<Candidate> =
                all.iter().filter(|c| c.schedule.stages.first().is_some_and(|s| s.split == split)).cloned().collect();
            for budget in budgets(&search::pareto(&at_split)) {
                let auto = PatchRequest::AutoAt { split };
                let resolved =
                    request::resolve(&g, &kernels, &auto, input, in_place, HaloChoice::Recompute, budget).unwrap();
                let expected = search::choose(&at_split, budget).map(|(c, _)| c.schedule);
                assert_eq!(Some(resolved.schedule), expected, "{what} {budget}");
                let searched = resolved.search.expect("the planner chose");
                assert_eq!(searched.covered, at_split.len(), "{what}");
                assert_eq!(described(&searched.front), described(&search::pareto(&at_split)), "{what}");
            }
        }
    }
}

/// The words a user gives (the CLI's flags, the page's controls) become the request the
/// planner resolves: every form, the conflicts resolved with a note, the others refused.
#[test]
fn settings_words_become_requests() {
    let g = vww();
    let parse = |patch: &[&str], split: &[&str], multi_stage: bool| {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut notes = Vec::new();
        let request = PatchRequest::parse(&g, &words(patch), &words(split), multi_stage, &mut notes);
        (request.map_err(|e| e.to_string()), notes)
    };
    let t = |op: usize| g.ops[op].outputs[0];
    assert_eq!(parse(&[], &[], false), (Ok(PatchRequest::LayerByLayer), vec![]));
    assert_eq!(parse(&[" ", ""], &[""], false), (Ok(PatchRequest::LayerByLayer), vec![]));
    assert_eq!(parse(&[], &[], true), (Ok(PatchRequest::Auto { multi_stage: true }), vec![]));
    assert_eq!(parse(&[" auto "], &[], false), (Ok(PatchRequest::Auto { multi_stage: false }), vec![]));
    assert_eq!(parse(&["auto"], &["op5"], false), (Ok(PatchRequest::AutoAt { split: t(5) }), vec![]));
    assert_eq!(parse(&["auto"], &[&format!("t{}", t(5))], false).0, Ok(PatchRequest::AutoAt { split: t(5) }));
    assert_eq!(parse(&["auto"], &[&g.tensors[t(5)].name], false).0, Ok(PatchRequest::AutoAt { split: t(5) }));
    for grid in ["3x2", "3X2", "3×2", " 3 x 2 "] {
        assert_eq!(parse(&[grid], &[], false).0, Ok(PatchRequest::Grid { rows: 3, cols: 2 }), "{grid}");
    }
    let stages = parse(&["2x2", "4x4"], &["op3", "op9"], false).0.unwrap();
    let expected = [(t(3), 2), (t(9), 4)].map(|(split, n)| mcupatch::schedule::Stage::new(split, n, n));
    assert_eq!(stages, PatchRequest::Stages(expected.to_vec()));

    let (split_alone, notes) = parse(&[], &["op5"], false);
    assert_eq!(split_alone, Ok(PatchRequest::LayerByLayer));
    assert_eq!(notes, ["layer by layer has no patch stage: the split is ignored"]);
    let (given, notes) = parse(&["2x2"], &["op5"], true);
    assert_eq!(given, Ok(PatchRequest::Stages(vec![mcupatch::schedule::Stage::new(t(5), 2, 2)])));
    assert_eq!(notes, ["several stages are searched by auto without a split: the plan given is used as it is"]);

    let refused = |patch: &[&str], split: &[&str], words: &str| {
        let error = parse(patch, split, false).0.unwrap_err();
        assert!(error.contains(words), "{patch:?} {split:?}: {error}");
    };
    refused(&["17x2"], &[], "rows go from 1 to 16 and columns from 1 to 8");
    refused(&["2x9"], &[], "rows go from 1 to 16 and columns from 1 to 8");
    refused(&["0x2"], &[], "rows go from 1 to 16 and columns from 1 to 8");
    refused(&["big"], &[], "is not auto or RxC");
    refused(&["2x2", "3x3"], &["op3"], "2 grids for 1 splits");
    refused(&["auto", "2x2"], &["op3", "op9"], "give a grid RxC for each of several stages");
    refused(&["2x2"], &["nowhere"], "no op output or tensor 'nowhere'");
    refused(&["2x2"], &["op100000"], "no op output or tensor 'op100000'");
}

/// A random CNN, longer than the patch tests' ones: convolutions, depthwise, pools, pads
/// (whose tiles can fall wholly in the padding), residual adds and concatenations, then a
/// head that is not spatially local.
fn random_graph(seed: u64) -> Graph {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = Gen::new(&mut rng);
    let mut x = g.input(32, 4);
    for _ in 0..g.rng.gen_range(3..=12) {
        x = match g.rng.gen_range(0..8) {
            0 | 1 => g.conv(x, false),
            2 | 3 => g.conv(x, true),
            4 => g.residual_add(x),
            5 => g.pad(x),
            6 => g.concat(x),
            _ => {
                let max = g.rng.gen_bool(0.5);
                g.pool(x, max)
            }
        };
    }
    let (features, n, scale) = g.mean(x);
    let (logits, units, _) = g.fully_connected(features, 1, n, scale);
    let probs = g.softmax(logits, vec![1, units]);
    model::load(&g.finish(probs).0).expect("generated models load")
}

/// Random graphs that prepare (a random softmax can be refused), each in a random mode.
fn random_cases() -> impl Iterator<Item = (u64, Graph, InputMode, InPlace)> {
    let mut rng = StdRng::seed_from_u64(11);
    (0..120u64).filter_map(move |seed| {
        let (input, in_place) = modes()[rng.gen_range(0..4)];
        let g = random_graph(seed);
        Kernel::prepare_all(&g).is_ok().then_some((seed, g, input, in_place))
    })
}

#[test]
fn random_graphs_front_and_choice_equal_the_exhaustive_search() {
    let mut candidates = 0;
    for (seed, g, input, in_place) in random_cases() {
        candidates += check_search(&g, input, in_place, &format!("seed {seed}"));
    }
    assert!(candidates > 3000, "only {candidates} candidates");
}

#[test]
fn zoo_fronts_equal_the_exhaustive_search() {
    let mbv2 = Arch::MobileNetV2 { width: 0.35, resolution: 96 }.build();
    let mcunet = Arch::parse("mcunet", 0.5, 64, Some("k3e1s1c16,k7e3s2c24,k5e4s1c24,k5e6s2c40,k3e6s1c40")).unwrap();
    for (name, g) in [("mbv2-0.35", mbv2), ("mcunet", mcunet.build())] {
        for (input, in_place) in modes() {
            check_search(&g, input, in_place, &format!("{name} {input:?} {in_place:?}"));
        }
    }
}

/// The placement the planner used before it was optimized, written plainly: first fit in
/// each order (a pinned group placed whole), then the highest groups lifted and dropped
/// again while that helps; the first order with the smallest extent wins.
fn reference_place(reqs: &[Request]) -> (Vec<usize>, usize, Strategy) {
    let root = |mut i: usize| {
        while let Some(j) = reqs[i].pinned {
            i = j;
        }
        i
    };
    let roots: Vec<usize> = (0..reqs.len()).map(root).collect();
    let members = |r: usize| (0..reqs.len()).filter(|&i| roots[i] == r).collect::<Vec<_>>();
    let fit = |offsets: &[usize], placed: &[bool], group: &[usize]| {
        let mut at = 0;
        'search: loop {
            for &m in group {
                for j in (0..reqs.len()).filter(|&j| placed[j] && j != m && reqs[j].conflicts(&reqs[m])) {
                    if offsets[j] < at + reqs[m].size && at < offsets[j] + reqs[j].size {
                        at = (offsets[j] + reqs[j].size).div_ceil(ALIGNMENT) * ALIGNMENT;
                        continue 'search;
                    }
                }
            }
            return at;
        }
    };
    let extent = |offsets: &[usize]| reqs.iter().zip(offsets).map(|(r, o)| o + r.size).max().unwrap_or(0);
    let mut best: Option<(Vec<usize>, usize, Strategy)> = None;
    for strategy in [Strategy::LargestFirst, Strategy::FirstUse, Strategy::LongestFirst] {
        let (mut offsets, mut placed) = (vec![0; reqs.len()], vec![false; reqs.len()]);
        for i in planner::order(reqs, strategy) {
            if !placed[i] {
                let group = members(roots[i]);
                let at = fit(&offsets, &placed, &group);
                for m in group {
                    (offsets[m], placed[m]) = (at, true);
                }
            }
        }
        let mut e = extent(&offsets);
        for _ in 0..4 {
            let mut tops: Vec<usize> = (0..reqs.len()).filter(|&r| roots[r] == r).collect();
            tops.sort_by_key(|&r| std::cmp::Reverse(members(r).iter().map(|&m| offsets[m] + reqs[m].size).max()));
            for r in tops {
                let group = members(r);
                for &m in &group {
                    placed[m] = false;
                }
                let at = fit(&offsets, &placed, &group).min(offsets[r]);
                for m in group {
                    (offsets[m], placed[m]) = (at, true);
                }
            }
            let now = extent(&offsets);
            if now >= e {
                break;
            }
            e = now;
        }
        if best.as_ref().is_none_or(|b| e < b.1) {
            best = Some((offsets, e, strategy));
        }
    }
    best.unwrap()
}

/// The plan's peak step as it was found: every buffer scanned at every step.
fn reference_peak_step(p: &Plan) -> usize {
    (0..p.steps.len()).max_by_key(|&s| (p.extent_at(s), p.live_bytes(s), std::cmp::Reverse(s))).unwrap_or(0)
}

/// The optimized placement, the sweep over lifetimes and the estimates, checked on every
/// single-stage schedule of `graph`.
fn check_plans(graph: &Graph, input: InputMode, in_place: InPlace, what: &str) {
    let kernels = Kernel::prepare_all(graph).unwrap();
    let schedules = search::single_stage_schedules(graph, &kernels, input, in_place).unwrap();
    let mut analysed: Vec<(usize, Option<SplitCosts>)> = Vec::new();
    for schedule in schedules {
        let stage = schedule.stages[0];
        let what = format!("{what} {stage:?}");
        let Ok(d) = draft(graph, &kernels, &schedule, input) else { continue };
        let bound = d.peak_lower_bound();
        let p = d.place();
        let (offsets, extent, strategy) = reference_place(&Plan::requests(&p.buffers));
        let placed: Vec<usize> = p.buffers.iter().map(|b| b.offset).collect();
        assert_eq!((placed, p.extent, p.strategy), (offsets, extent, strategy), "{what}: placement differs");
        assert!(bound <= p.extent, "{what}: bound {bound} above the peak {}", p.extent);
        assert_eq!(p.peak_step(), reference_peak_step(&p), "{what}");
        for (s, u) in p.usage().iter().enumerate() {
            assert_eq!((u.live, u.extent), (p.live_bytes(s), p.extent_at(s)), "{what}: step {s}");
        }
        if analysed.last().is_none_or(|(split, _)| *split != stage.split) {
            analysed.push((stage.split, SplitCosts::new(graph, &kernels, stage.split, input, in_place).ok()));
        }
        let costs = analysed.last().and_then(|(_, c)| c.as_ref());
        if let Some((macs, estimate)) = costs.and_then(|c| c.estimate(&kernels, stage.rows, stage.cols)) {
            assert_eq!(macs, measure::macs(&p, &kernels), "{what}: estimated MACs");
            assert!(estimate <= bound, "{what}: estimate {estimate} above the draft's bound {bound}");
        }
    }
}

#[test]
fn vww_placement_equals_the_plain_first_fit_and_bounds_hold() {
    let g = vww();
    for (input, in_place) in modes() {
        check_plans(&g, input, in_place, &format!("vww {input:?} {in_place:?}"));
    }
}

#[test]
fn random_graphs_placement_equals_the_plain_first_fit_and_bounds_hold() {
    for (seed, g, input, in_place) in random_cases() {
        check_plans(&g, input, in_place, &format!("seed {seed}"));
    }
}

#[test]
fn random_requests_place_as_the_plain_first_fit() {
    let mut rng = StdRng::seed_from_u64(3);
    for case in 0..300 {
        let n = rng.gen_range(1..40);
        let mut reqs: Vec<Request> = Vec::new();
        for i in 0..n {
            let first = rng.gen_range(0..20);
            let last = first + rng.gen_range(0..6);
            // Some requests start where an earlier one ends, pinned to it (in place).
            let pinned = (i > 0 && rng.gen_bool(0.2))
                .then(|| rng.gen_range(0..i))
                .filter(|&j| reqs[j].last == first && reqs.iter().all(|r: &Request| r.pinned != Some(j)));
            reqs.push(Request { size: rng.gen_range(0..200), first, last, pinned });
        }
        let p = planner::place(&reqs);
        let (offsets, extent, strategy) = reference_place(&reqs);
        assert_eq!((p.offsets, p.extent, p.strategy), (offsets, extent, strategy), "case {case}: {reqs:?}");
        assert!(planner::lower_bound(&reqs) <= extent, "case {case}");
    }
}

/// A network of 4 000 ops had the planner estimate every grid of every split (each costing
/// its whole stage): 43 s. The search covers the splits from the input on until its budget
/// is spent, and the plan report says where it stopped.
#[test]
fn a_deep_chain_is_searched_within_the_budget_and_says_so() {
    use mcupatch::session::{Session, Settings};
    let blocks = vec!["k3e1s1c8"; 1300].join(",");
    let mut session = Session::from_zoo("mcunet", 0.25, 32, Some(&blocks)).unwrap();
    let auto = Settings { patch: vec!["auto".into()], ..Settings::default() };
    let report = session.plan(&auto).unwrap();
    let note = report.notes.iter().find(|n| n.contains("the planner searched stages ending before op"));
    let note = note.unwrap_or_else(|| panic!("no note of the budget: {:?}", report.notes));
    let stop: usize = note.split("before op ").nth(1).and_then(|s| s.split(' ').next()).unwrap().parse().unwrap();
    assert!((1000..report.ops.len()).contains(&stop), "{note}");
    assert!(report.schedule.stages.iter().all(|s| s.split_op < stop), "{:?}", report.schedule.stages);
    // A shallow network is searched whole: no note.
    let mut shallow = Session::from_zoo("mcunet", 0.25, 32, Some(&vec!["k3e1s1c8"; 30].join(","))).unwrap();
    assert!(shallow.plan(&auto).unwrap().notes.is_empty());
}

/// The engine refuses a plan whose work passes `MAX_PLAN_WORK` (fine grids of a long chain
/// recompute 63× its MACs); the planner offered such plans as its choice when they had the
/// smallest peak, and the plan then failed to run.
#[test]
fn the_planner_never_chooses_a_plan_the_engine_refuses() {
    let graph = model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).unwrap()).unwrap();
    let kernels = Kernel::prepare_all(&graph).unwrap();
    let input = InputMode { float_input: false, streamed: false };
    let mut candidates = search::explore(&graph, &kernels, input, InPlace::default()).unwrap();
    let (smallest, _) = search::choose(&candidates, 1).unwrap();
    let too_much = candidates.iter_mut().find(|c| c.schedule == smallest.schedule).unwrap();
    too_much.work = mcupatch::model::limits::MAX_PLAN_WORK + 1;
    let (chosen, fits) = search::choose(&candidates, 1).unwrap();
    assert!(!fits && chosen.schedule != smallest.schedule && chosen.peak.bytes >= smallest.peak.bytes);
    for c in &mut candidates {
        c.work = u64::MAX;
    }
    assert!(search::choose(&candidates, 1 << 30).is_none(), "no runnable plan, no choice");
}
