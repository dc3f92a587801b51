//! Wall time per inference of the current plan, natively.

use super::Session;
use crate::error::{Error, Result};
use serde::Serialize;

/// The answer to [`Session::bench`]: wall time per inference of the current plan.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Inferences timed.
    pub runs: usize,
    /// Median milliseconds per inference.
    pub median_ms: f64,
    /// Fastest inference.
    pub min_ms: f64,
    /// Slowest inference.
    pub max_ms: f64,
    /// The plan's peak SRAM.
    pub peak_bytes: usize,
    /// Multiply-accumulates per inference.
    pub macs: u64,
}

/// Inferences timed when the caller names no count (fewer when they would not fit the budget).
pub const DEFAULT_BENCH_RUNS: usize = 100;
/// The most inferences one bench times: a typo should not keep a machine busy for hours.
pub const MAX_BENCH_RUNS: usize = 1_000_000;
/// Seconds a bench may take, judged from its warm-up run: what a user waits for at most.
pub const BENCH_BUDGET_SECONDS: f64 = 4.0;

impl Session {
    /// Times `runs` inferences of the current plan on `input` after one warm-up run — or,
    /// with `None`, [`DEFAULT_BENCH_RUNS`] or as many as fit [`BENCH_BUDGET_SECONDS`]. A count
    /// whose time, judged from the warm-up, would exceed the budget is refused.
    pub fn bench(&mut self, input: &[u8], runs: Option<usize>) -> Result<BenchReport> {
        if let Some(n) = runs.filter(|n| !(1..=MAX_BENCH_RUNS).contains(n)) {
            return Err(Error::Setting(format!("{n} runs: give from 1 to {MAX_BENCH_RUNS}")));
        }
        let current = self.current()?;
        let warm_up = std::time::Instant::now();
        current.engine.run(input)?;
        let seconds = warm_up.elapsed().as_secs_f64();
        let fitting = ((BENCH_BUDGET_SECONDS / seconds.max(1e-9)) as usize).max(1);
        let runs = match runs {
            None => DEFAULT_BENCH_RUNS.min(fitting),
            Some(n) if n > fitting => {
                return Err(Error::Setting(format!(
                    "{n} runs of about {:.1} ms each take about {:.0} s, above the bench's budget of \
                     {BENCH_BUDGET_SECONDS} s: give {fitting} runs or fewer",
                    seconds * 1e3,
                    n as f64 * seconds
                )))
            }
            Some(n) => n,
        };
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = std::time::Instant::now();
            current.engine.run(input)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        Ok(BenchReport {
            runs,
            median_ms: times[runs / 2],
            min_ms: times[0],
            max_ms: times[runs - 1],
            peak_bytes: current.engine.plan.extent,
            macs: current.engine.macs(),
        })
    }
}
