//! Text renderings shared by the subcommands: schedules, peaks, sizes.

use mcupatch::preprocess::{InputRange, RangeRule};
use mcupatch::session::{CandidateReport, Halo, ModelReport, OutputKind, PeakReport, ScheduleReport};

/// `layer by layer`, or each stage as `RxC to tN (HxWxC)` (`RxC cached` when it remembers
/// its halo rows).
pub fn schedule(s: &ScheduleReport) -> String {
    if s.stages.is_empty() {
        return "layer by layer".into();
    }
    let stage = |st: &mcupatch::session::StageReport| {
        let cached = if st.halo == Halo::Cache { " cached" } else { "" };
        format!("{}x{}{cached} to t{} ({})", st.rows, st.cols, st.split.index, shape(&st.split.shape[1..]))
    };
    s.stages.iter().map(stage).collect::<Vec<_>>().join(" + ")
}

/// The accounting switches that are on, as `, streamed, in-place depthwise…`.
pub fn switches(s: &ScheduleReport) -> String {
    let mut out = String::new();
    for (on, name) in [
        (s.input.float_input, "float input"),
        (s.input.streamed, "input streamed"),
        (s.in_place.depthwise, "in-place depthwise"),
        (s.in_place.pointwise, "in-place 1x1"),
        (s.in_place.add, "in-place add"),
    ] {
        if on {
            out.push_str(", ");
            out.push_str(name);
        }
    }
    out
}

/// `op N NAME` and the patch, where a peak falls.
pub fn peak_at(p: &PeakReport) -> String {
    match p.patch {
        Some(q) => format!("op {} {} patch {}:{},{}", p.op, p.op_name, q.stage, q.row, q.col),
        None => format!("op {} {}", p.op, p.op_name),
    }
}

/// Where a candidate's peak falls.
pub fn candidate_peak_at(c: &CandidateReport) -> String {
    match c.peak_patch {
        Some((stage, r, col)) => format!("op {} {} patch {stage}:{r},{col}", c.peak_op, c.peak_op_name),
        None => format!("op {} {}", c.peak_op, c.peak_op_name),
    }
}

/// `96×96×3`.
pub fn shape(dims: &[usize]) -> String {
    dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×")
}

/// `HxW` of an input patch, or `-`.
pub fn input_patch(p: Option<(usize, usize)>) -> String {
    p.map_or("-".into(), |(h, w)| format!("{h}x{w}"))
}

/// `-1..0.992 (the int8 input's range)`, or `each image standardized (the model's MLTK
/// metadata)`.
pub fn input_range(r: &InputRange) -> String {
    let why = match r.rule {
        RangeRule::Settings => "--pixel-range",
        RangeRule::Metadata => "the model's metadata",
        RangeRule::Quantization => "the int8 input's range",
        RangeRule::Default => "no metadata, no int8 input",
    };
    match r.standardize {
        true => format!("each image standardized, (x − mean) / std ({why})"),
        false => format!("{}..{} ({why})", short(r.lo), short(r.hi)),
    }
}

/// A float with at most 3 decimals, trailing zeros dropped.
fn short(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" => "0".into(),
        _ => s.to_string(),
    }
}

/// What a model's first output is, in words: `a 32×32×3 map` or `a 1×1917×4 tensor`.
pub fn output_kind(model: &ModelReport) -> String {
    let shape = model.outputs.first().map_or(String::new(), |o| shape(&o.shape));
    match model.output {
        OutputKind::Classification => format!("{} class scores", model.classes),
        OutputKind::Map => format!("a {shape} map"),
        OutputKind::Other => format!("a {shape} tensor"),
    }
}

/// `values -0.5..3.25 (dequantized)` of an output.
pub fn value_range(values: &[f32]) -> String {
    let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    match values.is_empty() {
        true => "no values".into(),
        false => format!("values {}..{} (dequantized)", short(lo), short(hi)),
    }
}
