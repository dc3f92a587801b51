//! What an inference costs on the board: a labelled estimate, never a measurement, fitted to
//! published MLPerf Tiny results (`mlperf_tiny.csv`, one row a benchmark run with its source
//! file in github.com/mlcommons/tiny_results_*).
//!
//! Each measured system and runtime (one board, one round) ran the same four int8 models, whose
//! MACs by op kind mcupatch counts (`benchmark_models.csv`). Per system the fit is
//!
//! `cycles = dense × (conv MACs + fully connected MACs) + depthwise × depthwise MACs`
//!
//! with the two cycles-per-MAC coefficients chosen by least squares on the relative error
//! (each model weighs the same, whether it runs 0.5 ms or 700 ms). Depthwise gets its own
//! coefficient because its kernels do few MACs per byte moved. Ops without MACs (pooling, adds,
//! reshapes, softmax) and a fixed cost per op are not priced: with four models a board, a per-op
//! term comes out negative on the TFLite Micro Cortex-M4F and M33 systems and makes the
//! leave-one-out errors worse, so the data does not support one. The fit's honesty is its
//! leave-one-out error: each model predicted from the fit to the other three.
//!
//! A board is estimated from its own results, else its microcontroller's, else its core's. A
//! core without results under a runtime (TFLite Micro has none on a Cortex-M7 or M0+) stands on
//! the Cortex-M4F's fit scaled by the cycle ratio the two cores show under the runtimes that ran
//! both ([`core_ratio`]), its stated error widened by that ratio's spread.
//!
//! The coefficients are computed from the data files compiled in (`include_str!`), once, so they
//! cannot drift from the rows they come from.

use crate::{Error, Result};
use serde::Serialize;
use std::sync::OnceLock;

const RESULTS_CSV: &str = include_str!("mlperf_tiny.csv");
const MODELS_CSV: &str = include_str!("benchmark_models.csv");

/// A processor core, as MLPerf Tiny's system descriptions and the MCU presets name it
/// (serialized as [`Core::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Core {
    /// Armv6-M, no DSP instructions (RP2040).
    #[serde(rename = "cortex-m0plus")]
    CortexM0Plus,
    /// Armv7E-M with the DSP (SIMD MAC) extension and a single-precision FPU.
    #[serde(rename = "cortex-m4f")]
    CortexM4F,
    /// Armv7E-M, dual-issue.
    #[serde(rename = "cortex-m7")]
    CortexM7,
    /// Armv8-M Mainline with the DSP extension.
    #[serde(rename = "cortex-m33")]
    CortexM33,
    /// Armv8.1-M with Helium (MVE) vectors.
    #[serde(rename = "cortex-m85")]
    CortexM85,
    /// Cadence Xtensa LX7 (ESP32-S3).
    #[serde(rename = "xtensa-lx7")]
    XtensaLx7,
}

impl Core {
    /// Every core a preset or the data names.
    pub const ALL: [Core; 6] =
        [Core::CortexM0Plus, Core::CortexM4F, Core::CortexM7, Core::CortexM33, Core::CortexM85, Core::XtensaLx7];

    /// The name the data file and the reports use.
    pub fn name(self) -> &'static str {
        match self {
            Core::CortexM0Plus => "cortex-m0plus",
            Core::CortexM4F => "cortex-m4f",
            Core::CortexM7 => "cortex-m7",
            Core::CortexM33 => "cortex-m33",
            Core::CortexM85 => "cortex-m85",
            Core::XtensaLx7 => "xtensa-lx7",
        }
    }

    fn parse(name: &str) -> Option<Core> {
        Core::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The core whose figure, scaled by the two cores' measured cycle ratio, stands in when this
    /// one has no result for a runtime: the Cortex-M4F, which ran every benchmark beside the
    /// M7 and the M0+ under the same runtimes.
    fn stand_in(self) -> Option<Core> {
        match self {
            Core::CortexM7 | Core::CortexM0Plus => Some(Core::CortexM4F),
            _ => None,
        }
    }
}

/// The inference runtime a result was measured with (serialized as [`Runtime::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Runtime {
    /// TensorFlow Lite Micro with Arm's CMSIS-NN kernels.
    #[serde(rename = "tflm-cmsis-nn")]
    TflmCmsisNn,
    /// TensorFlow Lite Micro with Silicon Labs' kernels for the MVP matrix accelerator (EFR32xG24).
    #[serde(rename = "tflm-mvp")]
    TflmMvp,
    /// ST's X-CUBE-AI code generator (STM32 only).
    #[serde(rename = "x-cube-ai")]
    XCubeAi,
    /// Plumerai's inference engine.
    #[serde(rename = "plumerai")]
    Plumerai,
    /// Bosch's Hardware-Aware Lowering Engine.
    #[serde(rename = "bosch-hale")]
    BoschHale,
}

impl Runtime {
    /// Every runtime the data has results for.
    pub const ALL: [Runtime; 5] =
        [Runtime::TflmCmsisNn, Runtime::TflmMvp, Runtime::XCubeAi, Runtime::Plumerai, Runtime::BoschHale];

    /// The name the data file, the settings and the reports use.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::TflmCmsisNn => "tflm-cmsis-nn",
            Runtime::TflmMvp => "tflm-mvp",
            Runtime::XCubeAi => "x-cube-ai",
            Runtime::Plumerai => "plumerai",
            Runtime::BoschHale => "bosch-hale",
        }
    }

    /// The runtime called `name`, or an error listing the known ones.
    pub fn parse(name: &str) -> Result<Runtime> {
        Runtime::ALL.into_iter().find(|r| r.name() == name).ok_or_else(|| {
            let names: Vec<_> = Runtime::ALL.iter().map(|r| r.name()).collect();
            Error::Setting(format!("unknown runtime '{name}'; known: {}", names.join(", ")))
        })
    }
}

/// How the estimate prices an op's MACs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpClass {
    /// CONV_2D and TRANSPOSE_CONV.
    Conv,
    /// DEPTHWISE_CONV_2D.
    Depthwise,
    /// FULLY_CONNECTED.
    FullyConnected,
    /// Every other op: no MACs, not priced.
    Other,
}

impl OpClass {
    /// The class of a TFLite builtin, by the name [`crate::session::OpReport::op`] gives it.
    pub fn of_builtin(name: &str) -> OpClass {
        match name {
            "CONV_2D" | "TRANSPOSE_CONV" => OpClass::Conv,
            "DEPTHWISE_CONV_2D" => OpClass::Depthwise,
            "FULLY_CONNECTED" => OpClass::FullyConnected,
            _ => OpClass::Other,
        }
    }
}

/// Cycles per MAC of one fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coefficients {
    /// For conv and fully connected MACs.
    pub dense: f64,
    /// For depthwise conv MACs.
    pub depthwise: f64,
}

impl Coefficients {
    fn scaled(&self, factor: f64) -> Coefficients {
        Coefficients { dense: self.dense * factor, depthwise: self.depthwise * factor }
    }

    fn cycles(&self, macs: &MacsByClass) -> f64 {
        self.dense * (macs.conv + macs.fully_connected) as f64 + self.depthwise * macs.depthwise as f64
    }
}

/// MACs summed by [`OpClass`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MacsByClass {
    /// Conv MACs.
    pub conv: u64,
    /// Depthwise conv MACs.
    pub depthwise: u64,
    /// Fully connected MACs.
    pub fully_connected: u64,
    /// MACs of ops in no other class: not priced (0 for every op mcupatch counts today).
    pub other: u64,
}

impl MacsByClass {
    /// The sums of `ops`' MACs by class.
    pub fn of(ops: &[(OpClass, u64)]) -> MacsByClass {
        let mut sums = MacsByClass::default();
        for &(class, macs) in ops {
            *match class {
                OpClass::Conv => &mut sums.conv,
                OpClass::Depthwise => &mut sums.depthwise,
                OpClass::FullyConnected => &mut sums.fully_connected,
                OpClass::Other => &mut sums.other,
            } += macs;
        }
        sums
    }
}

/// One benchmark run of a fit: what was measured, what the fit says, and what the fit to the
/// other three models says.
#[derive(Debug, Clone, Serialize)]
pub struct FitRow {
    /// `vww`, `ic`, `kws` or `ad`.
    pub model: String,
    /// 1 / the median throughput the results file reports.
    pub measured_ms: f64,
    /// From the fit to all four models.
    pub fitted_ms: f64,
    /// From the fit without this model.
    pub left_out_ms: f64,
    /// The results file, `tiny_results_<round>/…` in github.com/mlcommons.
    pub result_file: String,
}

/// The fit to one system's results under one runtime in one round.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// The board, as its system description names it.
    pub system: String,
    /// Its microcontroller, as the system description names it (one slip corrected: see the
    /// data file's header).
    pub soc: String,
    /// The MLPerf Tiny round (`v0.5` …).
    pub round: String,
    /// Its core.
    pub core: Core,
    /// Its clock.
    pub mhz: f64,
    /// The runtime.
    pub runtime: Runtime,
    /// The runtime's version, as the system description states it.
    pub runtime_version: String,
    /// The fitted cycles per MAC.
    pub coefficients: Coefficients,
    /// The largest |predicted / measured − 1| of a model left out of the fit.
    pub loo_error: f64,
    /// The runs it was fitted to.
    pub rows: Vec<FitRow>,
}

/// A board to estimate for: an MCU preset, a board of the data, or a custom core and clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    /// The preset's or data's name, or `custom`.
    pub name: String,
    /// Its core.
    pub core: Core,
    /// Its clock.
    pub mhz: f64,
    /// False for boards X-CUBE-AI cannot target (it generates code for STM32 only).
    pub runs_x_cube_ai: bool,
}

/// Every MCU preset of [`crate::arena::MCUS`] with its core and usual maximum clock.
pub const PRESET_BOARDS: &[(&str, Core, f64)] = &[
    ("stm32f412", Core::CortexM4F, 100.0),
    ("stm32f411", Core::CortexM4F, 100.0),
    ("stm32f746", Core::CortexM7, 216.0),
    ("stm32h743", Core::CortexM7, 480.0),
    ("nrf52840", Core::CortexM4F, 64.0),
    ("rp2040", Core::CortexM0Plus, 133.0),
    ("esp32-s3", Core::XtensaLx7, 240.0),
    ("arduino-nano-33-ble", Core::CortexM4F, 64.0),
];

impl Board {
    /// A board of your own: its core and clock, taken at their word (any runtime allowed).
    pub fn custom(core: Core, mhz: f64) -> Board {
        Board { name: "custom".into(), core, mhz, runs_x_cube_ai: true }
    }
}

/// The MCU preset called `name` (as [`crate::arena::mcu`] spells it), else a board of the
/// MLPerf Tiny data (`Nucleo-L4R5ZI`, `EK-RA6M4` …), case-insensitively.
pub fn board(name: &str) -> Result<Board> {
    let wanted = name.to_ascii_lowercase().replace('_', "-");
    if let Some(&(preset, core, mhz)) = PRESET_BOARDS.iter().find(|(n, ..)| *n == wanted) {
        return Ok(Board { name: preset.into(), core, mhz, runs_x_cube_ai: preset.starts_with("stm32") });
    }
    let fits = fits()?;
    if let Some(fit) = fits.iter().find(|f| f.system.to_ascii_lowercase() == wanted) {
        let stm32 = fits.iter().any(|f| f.system.eq_ignore_ascii_case(&fit.system) && f.runtime == Runtime::XCubeAi);
        return Ok(Board { name: fit.system.clone(), core: fit.core, mhz: fit.mhz, runs_x_cube_ai: stm32 });
    }
    let mut names: Vec<&str> = PRESET_BOARDS.iter().map(|(n, ..)| *n).collect();
    for fit in fits {
        if !names.contains(&fit.system.as_str()) {
            names.push(&fit.system);
        }
    }
    Err(Error::Setting(format!("unknown board '{name}'; known: {}", names.join(", "))))
}

/// Which measurement an estimate stands on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Basis {
    /// This board's own results.
    SameBoard,
    /// Another board with the same microcontroller (a preset's part, e.g. `stm32f746` on a
    /// DISCO-F746NG): the same core, Flash and buses, the board and clock setup aside.
    SameMcu,
    /// Another board with the same core (clock scaled; memory system and wait states differ).
    SameCore,
    /// No result for this core and runtime: the stand-in core's fit, its coefficients scaled by
    /// how many cycles this core takes for the stand-in's one under the other runtimes.
    StandIn {
        /// Why, in words.
        reason: String,
        /// The scale and the runs it comes from.
        ratio: CoreRatio,
    },
}

/// How many cycles one core takes for another's one, on the same models under the same runtime
/// in the same round, from every such pair of systems in the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreRatio {
    /// The core estimated for.
    pub core: Core,
    /// The core whose fit is scaled.
    pub stand_in: Core,
    /// The geometric mean of every model's ratio over every pair.
    pub ratio: f64,
    /// The smallest of those ratios.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// The pairs, as `runtime round: system / stand-in system`.
    pub pairs: Vec<String>,
}

/// The cycle ratio of `core` to `stand_in` over every pair of systems that ran the same models
/// under the same runtime in the same round, or None without such a pair.
pub fn core_ratio(core: Core, stand_in: Core) -> Result<Option<CoreRatio>> {
    let fits = fits()?;
    let cycles = |fit: &Fit, row: &FitRow| row.measured_ms * fit.mhz * 1e3;
    let (mut ratios, mut pairs) = (Vec::new(), Vec::new());
    for on_core in fits.iter().filter(|f| f.core == core) {
        let beside =
            fits.iter().filter(|f| f.core == stand_in && f.runtime == on_core.runtime && f.round == on_core.round);
        for other in beside {
            for row in &on_core.rows {
                if let Some(other_row) = other.rows.iter().find(|r| r.model == row.model) {
                    ratios.push(cycles(on_core, row) / cycles(other, other_row));
                }
            }
            pairs.push(format!("{} {}: {} / {}", on_core.runtime.name(), on_core.round, on_core.system, other.system));
        }
    }
    if ratios.is_empty() {
        return Ok(None);
    }
    let ratio = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios.iter().copied().fold(0.0, f64::max);
    Ok(Some(CoreRatio { core, stand_in, ratio, min, max, pairs }))
}

/// What an inference is estimated to cost on a board.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// Always "estimate": the figure is fitted, not measured.
    pub label: &'static str,
    /// The board estimated for.
    pub board: Board,
    /// The runtime.
    pub runtime: Runtime,
    /// The work priced.
    pub macs: MacsByClass,
    /// Estimated cycles of one inference.
    pub cycles: f64,
    /// `cycles` at the board's clock.
    pub ms: f64,
    /// Which measurement it stands on.
    pub basis: Basis,
    /// The cycles per MAC applied: the fit's, or for a stand-in the fit's scaled.
    pub coefficients: Coefficients,
    /// The fit it stands on: its system, round, coefficients and rows with their sources.
    pub fit: Fit,
    /// The stated uncertainty: the fit's leave-one-out error, widened for a stand-in by how far
    /// the core ratio's extremes lie from the ratio used.
    pub loo_error: f64,
}

/// The estimated cost on `board` under `runtime` of ops given as (class, MACs) — one entry an op
/// (or an op's MACs summed over the patches that run it: only the sums by class matter).
/// A patch plan's recomputed halo MACs are priced like any others; its extra op invocations are
/// not priced (no per-op cost is fitted).
///
/// Errors when no result exists for the board's core under `runtime` (nor a stand-in core's),
/// when X-CUBE-AI is asked of a board that is not an STM32, and for a clock that is not positive.
pub fn estimate(board: &Board, runtime: Runtime, ops: &[(OpClass, u64)]) -> Result<Estimate> {
    if !(board.mhz.is_finite() && board.mhz > 0.0) {
        return Err(Error::Setting(format!("{}: the clock must be a positive MHz, not {}", board.name, board.mhz)));
    }
    let (fit, basis) = choose_fit(board, runtime)?;
    let (coefficients, loo_error) = match &basis {
        Basis::StandIn { ratio, .. } => {
            let spread = (ratio.max / ratio.ratio).max(ratio.ratio / ratio.min);
            (fit.coefficients.scaled(ratio.ratio), (1.0 + fit.loo_error) * spread - 1.0)
        }
        _ => (fit.coefficients, fit.loo_error),
    };
    let macs = MacsByClass::of(ops);
    let cycles = coefficients.cycles(&macs);
    Ok(Estimate {
        label: "estimate",
        board: board.clone(),
        runtime,
        macs,
        cycles,
        ms: cycles / (board.mhz * 1e3),
        basis,
        coefficients,
        loo_error,
        fit: fit.clone(),
    })
}

/// The fit an estimate for `board` under `runtime` uses: the board's own latest, else the latest
/// on its microcontroller, else on its core, else on its stand-in core (to be scaled).
fn choose_fit(board: &Board, runtime: Runtime) -> Result<(&'static Fit, Basis)> {
    if runtime == Runtime::XCubeAi && !board.runs_x_cube_ai {
        return Err(Error::Setting(format!("X-CUBE-AI generates code for STM32 only, not for {}", board.name)));
    }
    let latest = |keep: &dyn Fn(&Fit) -> bool| -> Result<Option<&'static Fit>> {
        Ok(fits()?.iter().filter(|f| f.runtime == runtime && keep(f)).max_by(|a, b| a.round.cmp(&b.round)))
    };
    if let Some(fit) = latest(&|f| f.system.eq_ignore_ascii_case(&board.name))? {
        return Ok((fit, Basis::SameBoard));
    }
    if let Some(fit) = latest(&|f| f.soc.to_ascii_lowercase().starts_with(&board.name))? {
        return Ok((fit, Basis::SameMcu));
    }
    if let Some(fit) = latest(&|f| f.core == board.core)? {
        return Ok((fit, Basis::SameCore));
    }
    if let Some(stand_in) = board.core.stand_in() {
        if let (Some(fit), Some(ratio)) = (latest(&|f| f.core == stand_in)?, core_ratio(board.core, stand_in)?) {
            let reason = format!(
                "MLPerf Tiny has no {} result on a {}; the {}'s ({} {}) stands in, scaled by {:.2}: the {} takes \
                 {:.2}–{:.2}× the {}'s cycles on the same models under other runtimes",
                runtime.name(),
                board.core.name(),
                stand_in.name(),
                fit.system,
                fit.round,
                ratio.ratio,
                board.core.name(),
                ratio.min,
                ratio.max,
                stand_in.name()
            );
            return Ok((fit, Basis::StandIn { reason, ratio }));
        }
    }
    let mut measured: Vec<String> = Vec::new();
    for fit in fits()?.iter().filter(|f| f.runtime == runtime) {
        let board = format!("{} ({})", fit.core.name(), fit.system);
        if !measured.contains(&board) {
            measured.push(board);
        }
    }
    Err(Error::Setting(format!(
        "no MLPerf Tiny result for {} on a {} ({}); measured: {}",
        runtime.name(),
        board.core.name(),
        board.name,
        measured.join(", ")
    )))
}

/// Every fit, one per (system, runtime, round) of the data, computed once.
pub fn fits() -> Result<&'static [Fit]> {
    static FITS: OnceLock<std::result::Result<Vec<Fit>, String>> = OnceLock::new();
    match FITS.get_or_init(|| fit_all(RESULTS_CSV, MODELS_CSV)) {
        Ok(fits) => Ok(fits),
        Err(e) => Err(Error::Setting(format!("latency data: {e}"))),
    }
}

/// One row of `mlperf_tiny.csv`.
struct ResultRow {
    round: String,
    system: String,
    soc: String,
    core: Core,
    mhz: f64,
    runtime: Runtime,
    runtime_version: String,
    model: String,
    inferences_per_s: f64,
    result_file: String,
}

/// The lines of a data file that are not comments, split on commas, checked against `header`.
fn records<'a>(csv: &'a str, header: &str) -> std::result::Result<Vec<Vec<&'a str>>, String> {
    let mut lines = csv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    if lines.next() != Some(header) {
        return Err(format!("expected the header {header}"));
    }
    let width = header.split(',').count();
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            if fields.len() == width {
                Ok(fields)
            } else {
                Err(format!("{} fields instead of {width}: {l}", fields.len()))
            }
        })
        .collect()
}

fn number<T: std::str::FromStr>(text: &str) -> std::result::Result<T, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

fn parse_results(csv: &str) -> std::result::Result<Vec<ResultRow>, String> {
    let header = "round,submitter,system,soc,core,mhz,runtime,runtime_version,model,median_inferences_per_s,\
                  result_file,system_description";
    records(csv, header)?
        .into_iter()
        .map(|f| {
            Ok(ResultRow {
                round: f[0].into(),
                system: f[2].into(),
                soc: f[3].into(),
                core: Core::parse(f[4]).ok_or_else(|| format!("unknown core {}", f[4]))?,
                mhz: number(f[5])?,
                runtime: Runtime::parse(f[6]).map_err(|e| e.to_string())?,
                runtime_version: f[7].into(),
                model: f[8].into(),
                inferences_per_s: number(f[9])?,
                result_file: f[10].into(),
            })
        })
        .collect()
}

/// The benchmark models' MACs by class, by model name.
fn parse_models(csv: &str) -> std::result::Result<Vec<(String, MacsByClass)>, String> {
    records(csv, "model,conv_macs,depthwise_macs,fully_connected_macs,reference_file")?
        .into_iter()
        .map(|f| {
            let macs =
                MacsByClass { conv: number(f[1])?, depthwise: number(f[2])?, fully_connected: number(f[3])?, other: 0 };
            Ok((f[0].to_string(), macs))
        })
        .collect()
}

/// The benchmark models' MACs by class (`vww`, `ic`, `kws`, `ad`), as the data file has them.
pub fn benchmark_models() -> Result<Vec<(String, MacsByClass)>> {
    parse_models(MODELS_CSV).map_err(|e| Error::Setting(format!("latency data: {e}")))
}

fn fit_all(results_csv: &str, models_csv: &str) -> std::result::Result<Vec<Fit>, String> {
    let rows = parse_results(results_csv)?;
    let models = parse_models(models_csv)?;
    let macs_of = |model: &str| {
        models
            .iter()
            .find(|(m, _)| m == model)
            .map(|(_, macs)| *macs)
            .ok_or_else(|| format!("no MACs for model {model}"))
    };
    let mut fits: Vec<Fit> = Vec::new();
    for row in &rows {
        if fits.iter().any(|f| f.system == row.system && f.runtime == row.runtime && f.round == row.round) {
            continue;
        }
        let runs: Vec<&ResultRow> = rows
            .iter()
            .filter(|r| r.system == row.system && r.runtime == row.runtime && r.round == row.round)
            .collect();
        let points: Vec<Point> = runs
            .iter()
            .map(|r| Ok(Point { macs: macs_of(&r.model)?, cycles: r.mhz * 1e6 / r.inferences_per_s }))
            .collect::<std::result::Result<_, String>>()?;
        let what = format!("{} {} {}", row.system, row.runtime.name(), row.round);
        let coefficients =
            least_squares(&points).ok_or_else(|| format!("{what}: the models do not pin both coefficients"))?;
        let mut fit_rows = Vec::new();
        let mut loo_error: f64 = 0.0;
        for (i, (run, point)) in runs.iter().zip(&points).enumerate() {
            let others: Vec<Point> = points.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, p)| *p).collect();
            let without =
                least_squares(&others).ok_or_else(|| format!("{what}: too few models without {}", run.model))?;
            let left_out = without.cycles(&point.macs);
            loo_error = loo_error.max((left_out / point.cycles - 1.0).abs());
            let ms = |cycles: f64| cycles / (run.mhz * 1e3);
            fit_rows.push(FitRow {
                model: run.model.clone(),
                measured_ms: ms(point.cycles),
                fitted_ms: ms(coefficients.cycles(&point.macs)),
                left_out_ms: ms(left_out),
                result_file: run.result_file.clone(),
            });
        }
        fits.push(Fit {
            system: row.system.clone(),
            soc: row.soc.clone(),
            round: row.round.clone(),
            core: row.core,
            mhz: row.mhz,
            runtime: row.runtime,
            runtime_version: row.runtime_version.clone(),
            coefficients,
            loo_error,
            rows: fit_rows,
        });
    }
    Ok(fits)
}

/// One measured run: the model's MACs and the cycles it took.
#[derive(Clone, Copy)]
struct Point {
    macs: MacsByClass,
    cycles: f64,
}

/// The coefficients minimising Σ (predicted / measured − 1)², or None when the points do not
/// pin both (fewer than two, or no depthwise work to tell them apart).
fn least_squares(points: &[Point]) -> Option<Coefficients> {
    // Each point is the row [dense MACs, depthwise MACs] / cycles against the target 1.
    let rows: Vec<[f64; 2]> = points
        .iter()
        .map(|p| {
            let dense = (p.macs.conv + p.macs.fully_connected) as f64;
            [dense / p.cycles, p.macs.depthwise as f64 / p.cycles]
        })
        .collect();
    let (mut aa, mut ab, mut bb, mut a1, mut b1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for [a, b] in &rows {
        aa += a * a;
        ab += a * b;
        bb += b * b;
        a1 += a;
        b1 += b;
    }
    let det = aa * bb - ab * ab;
    if det.abs() <= 1e-12 * aa * bb || bb == 0.0 {
        return None;
    }
    Some(Coefficients { dense: (a1 * bb - b1 * ab) / det, depthwise: (b1 * aa - a1 * ab) / det })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(conv: u64, depthwise: u64, fully_connected: u64, cycles: f64) -> Point {
        Point { macs: MacsByClass { conv, depthwise, fully_connected, other: 0 }, cycles }
    }

    #[test]
    fn least_squares_recovers_exact_coefficients() {
        let truth = Coefficients { dense: 3.5, depthwise: 9.0 };
        let points: Vec<Point> = [(1000, 200, 10), (500, 0, 0), (0, 0, 3000), (40, 70, 0)]
            .iter()
            .map(|&(c, d, f)| {
                let macs = MacsByClass { conv: c, depthwise: d, fully_connected: f, other: 0 };
                Point { macs, cycles: truth.cycles(&macs) }
            })
            .collect();
        let fit = least_squares(&points).unwrap();
        assert!((fit.dense - 3.5).abs() < 1e-9 && (fit.depthwise - 9.0).abs() < 1e-9, "{fit:?}");
    }

    #[test]
    fn least_squares_refuses_points_without_depthwise_work() {
        assert!(least_squares(&[point(100, 0, 0, 400.0), point(0, 0, 50, 100.0)]).is_none());
        assert!(least_squares(&[point(100, 10, 0, 400.0)]).is_none());
    }

    #[test]
    fn data_parses_into_one_fit_per_system_runtime_and_round() {
        let fits = fits().unwrap();
        assert_eq!(fits.len(), 15);
        assert!(fits.iter().all(|f| f.rows.len() == 4), "every system ran the four models");
        let rows: usize = fits.iter().map(|f| f.rows.len()).sum();
        assert_eq!(rows, parse_results(RESULTS_CSV).unwrap().len());
    }

    #[test]
    fn names_serialize_as_the_data_spells_them() {
        for core in Core::ALL {
            assert_eq!(serde_json::to_value(core).unwrap(), core.name());
            assert_eq!(Core::parse(core.name()), Some(core));
        }
        for runtime in Runtime::ALL {
            assert_eq!(serde_json::to_value(runtime).unwrap(), runtime.name());
        }
    }

    #[test]
    fn builtins_by_class() {
        assert_eq!(OpClass::of_builtin("DEPTHWISE_CONV_2D"), OpClass::Depthwise);
        assert_eq!(OpClass::of_builtin("CONV_2D"), OpClass::Conv);
        assert_eq!(OpClass::of_builtin("FULLY_CONNECTED"), OpClass::FullyConnected);
        assert_eq!(OpClass::of_builtin("ADD"), OpClass::Other);
    }
}
