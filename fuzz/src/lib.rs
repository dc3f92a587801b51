//! What the fuzz targets share: the switches a first input byte selects, and the whole
//! pipeline (load → prepare → plan every way → run) with its invariants asserted.

use mcupatch::exec::{Config, Engine};
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, Graph};
use mcupatch::schedule::{self, InPlace, InputMode, Schedule};
use mcupatch::schedule::{measure, search};
use std::sync::Arc;

pub mod spec;
/// The test suite's TFLite writer, for the structure-aware targets.
#[path = "../../tests/common/writer.rs"]
pub mod writer;

/// Arenas above this are not allocated here: every plan a small input makes fits it.
const CAPACITY: usize = 4 << 20;

/// Every accounting switch the CLI and the page expose, chosen by one byte.
#[derive(Debug, Clone, Copy)]
pub struct Switches {
    pub in_place: InPlace,
    pub input: InputMode,
    pub multi_stage: bool,
}

impl Switches {
    pub fn from_byte(b: u8) -> Switches {
        let bit = |i: u8| b & (1 << i) != 0;
        Switches {
            in_place: InPlace { depthwise: bit(0), pointwise: bit(1), add: bit(2) },
            input: InputMode { float_input: bit(3), streamed: bit(4) },
            multi_stage: bit(5),
        }
    }
}

/// Loads and prepares every op; `None` when the model is refused (an error, as it should be).
pub fn prepare(bytes: &[u8]) -> Option<(Arc<Graph>, Arc<[Kernel]>)> {
    let graph = model::load(bytes).ok()?;
    let kernels = Kernel::prepare_all(&graph).ok()?;
    Some((Arc::new(graph), kernels.into()))
}

/// Plans layer by layer and every schedule the planner's search keeps (with `multi_stage`, two-stage
/// ones too), compares the chosen one with layer by layer, and returns it.
pub fn plan(graph: &Graph, kernels: &[Kernel], sw: Switches) -> Option<Schedule> {
    let _ = measure::layer_by_layer(graph, kernels, sw.input, sw.in_place);
    // The pruned search the session uses (the exhaustive one is proven equal in the tests).
    let all = match sw.multi_stage {
        true => search::explore_multi_front(graph, kernels, sw.input, sw.in_place),
        false => search::explore_front(graph, kernels, sw.input, sw.in_place),
    }
    .ok()?;
    let _ = search::pareto(&all);
    let (chosen, _) = search::choose(&all, 64 * 1024)?;
    let _ = measure::compare(graph, kernels, &chosen.schedule, sw.input, |op| op.to_string());
    Some(chosen.schedule)
}

/// An engine for `schedule` whose arena is just large enough, if that is at most [`CAPACITY`].
pub fn engine(graph: &Arc<Graph>, kernels: &Arc<[Kernel]>, schedule: &Schedule, input: InputMode) -> Option<Engine> {
    let plan = schedule::plan(graph, kernels, schedule, input).ok()?;
    let capacity = plan.extent.max(1);
    if capacity > CAPACITY {
        return None;
    }
    let config = Config { capacity, input, schedule: schedule.clone() };
    let engine = Engine::with_plan(graph.clone(), kernels.clone(), plan, config).expect("the arena fits the plan");
    let _ = engine.trace();
    Some(engine)
}

/// Deterministic input bytes that are not all alike.
pub fn input_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Runs layer by layer, then `schedule`: both must succeed alike and give the same int8
/// outputs (a patch plan is byte-identical to layer by layer).
pub fn run(graph: &Arc<Graph>, kernels: &Arc<[Kernel]>, schedule: &Schedule, sw: Switches, seed: u8) {
    let whole = InputMode { streamed: false, ..sw.input };
    let layerwise = Schedule { stages: Vec::new(), in_place: schedule.in_place };
    let Some(mut reference) = engine(graph, kernels, &layerwise, whole) else { return };
    let input = input_bytes(reference.input_tensor().bytes(), seed);
    let expected = reference.run(&input).expect("a prepared model with an input of the right size runs");
    let Some(mut patched) = engine(graph, kernels, schedule, sw.input) else { return };
    let got = patched.run(&input).expect("a planned model with an input of the right size runs");
    for (a, b) in expected.iter().zip(&got) {
        assert_eq!(a.int8, b.int8, "patch plan {schedule:?} differs from layer by layer");
    }
}

/// The whole pipeline on model bytes, switches from the first byte.
pub fn exercise(data: &[u8], run_it: bool) {
    let Some((&first, bytes)) = data.split_first() else { return };
    let sw = Switches::from_byte(first);
    let Some((graph, kernels)) = prepare(bytes) else { return };
    let schedule = plan(&graph, &kernels, sw);
    if run_it {
        let schedule = schedule.unwrap_or(Schedule { stages: Vec::new(), in_place: sw.in_place });
        run(&graph, &kernels, &schedule, sw, first);
    }
}
