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

impl Session {
    /// Times `runs` inferences of the current plan on `input` (after one warm-up run).
    pub fn bench(&mut self, input: &[u8], runs: usize) -> Result<BenchReport> {
        if runs == 0 {
            return Err(Error::Setting("give at least one run".into()));
        }
        let current = self.current()?;
        current.engine.run(input)?;
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
