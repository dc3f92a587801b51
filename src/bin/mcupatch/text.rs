//! Text renderings shared by the subcommands: schedules, peaks, sizes.

use mcupatch::session::{CandidateReport, PeakReport, ScheduleReport};

/// `layer by layer`, or each stage as `RxC to tN (HxWxC)`.
pub fn schedule(s: &ScheduleReport) -> String {
    if s.stages.is_empty() {
        return "layer by layer".into();
    }
    let stage = |st: &mcupatch::session::StageReport| {
        format!("{}x{} to t{} ({})", st.rows, st.cols, st.split.index, shape(&st.split.shape[1..]))
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
