#![cfg(not(target_arch = "wasm32"))]
//! The joint search: every front point, rebuilt from its spec and re-planned through the
//! session, has the peak and MACs the search reported, and runs exactly.

use mcupatch::session::joint::{self, Goal, Objective, Space};
use mcupatch::session::{Session, Settings};

fn small_space() -> Space {
    Space {
        widths: vec![0.35, 0.5],
        resolutions: vec![96, 128, 160],
        kernels: vec![3, 5],
        expands: vec![4],
        depths: vec![0.5],
        classes: 1000,
    }
}

fn goal() -> Goal {
    Goal { sram: 128 * 1024, flash: 4 << 20, ..Goal::default() }
}

/// Every front point of `goal`'s search, re-planned through the session from its spec, has
/// the peak and MACs the search reported, and runs exactly.
fn check_front_replans(goal: &Goal) -> joint::JointReport {
    let report = joint::search(&small_space(), goal, |_, _| {}).unwrap();
    assert_eq!(report.architectures, 12);
    assert!(report.fitting > 0 && !report.front.is_empty());
    // The front: peaks rise, MACs rise.
    assert!(report.front.windows(2).all(|w| w[0].best.peak_bytes <= w[1].best.peak_bytes && w[0].macs < w[1].macs));
    for point in &report.front {
        let a = point.arch;
        let mut session = Session::from_zoo("mcunet", a.width, a.resolution, Some(&point.spec)).unwrap();
        let settings = Settings {
            sram: Some(goal.sram),
            streamed_input: true,
            in_place_depthwise: true,
            patch: point.best.stages.iter().map(|s| format!("{}x{}", s.rows, s.cols)).collect(),
            split: point.best.stages.iter().map(|s| s.split.clone()).collect(),
            ..Settings::default()
        };
        let plan = session.plan(&settings).unwrap();
        assert_eq!(plan.patched.peak.bytes, point.best.peak_bytes, "{}", point.spec);
        assert_eq!(plan.patched.macs, point.best.macs, "{}", point.spec);
        assert_eq!(plan.layer_by_layer.macs, point.macs);
        assert!(plan.board.fits_sram);
        let input: Vec<u8> = (0..plan.input.bytes).map(|i| (i * 7 % 256) as u8).collect();
        assert!(session.check_exact(&input).unwrap().equal, "{}", point.spec);
    }
    report
}

#[test]
fn front_points_replan_to_what_the_search_says() {
    let report = check_front_replans(&goal());
    assert!(report.fitting_only_with_patches > 0, "patches make larger inputs fit 128 KiB");
    assert!(report.largest_resolution_patched > report.largest_resolution_layer_by_layer);
    assert!(report.front.iter().all(|r| r.best.stages.len() <= 1));
    // Several stages only add plans: every network's best is at least as cheap, and at
    // least as many fit.
    let multi = check_front_replans(&Goal { multi_stage: true, ..goal() });
    assert!(multi.fitting >= report.fitting);
    for (one, many) in report.by_width.iter().zip(&multi.by_width) {
        assert!(many.patched >= one.patched);
    }
}

#[test]
fn objectives_and_limits() {
    let by_resolution = Goal { objective: Objective::Resolution, mac_budget: Some(30_000_000), ..goal() };
    let report = joint::search(&small_space(), &by_resolution, |_, _| {}).unwrap();
    let best = report.best.unwrap();
    assert!(best.best.macs <= 30_000_000);
    let same_budget_larger =
        report.front.iter().filter(|r| r.best.macs <= 30_000_000 && r.arch.resolution > best.arch.resolution);
    assert_eq!(same_budget_larger.count(), 0);
    let capped = Goal { max_overhead: Some(0.0), ..goal() };
    let report = joint::search(&small_space(), &capped, |_, _| {}).unwrap();
    assert!(report.front.iter().all(|r| r.best.overhead <= 1e-12));
    // Limits are checked before anything is built.
    let huge = Space {
        widths: (1..=20).map(|i| f64::from(i) / 10.0).collect(),
        resolutions: (32..=512).collect(),
        expands: (1..=8).collect(),
        ..small_space()
    };
    assert!(joint::search(&huge, &goal(), |_, _| {}).unwrap_err().to_string().contains("architectures"));
    let tiny = Space { resolutions: vec![16], ..small_space() };
    assert!(joint::search(&tiny, &goal(), |_, _| {}).unwrap_err().to_string().contains("resolutions"));
}

fn analyze(arch: &str) -> mcupatch::session::PlanReport {
    let mut session = Session::from_zoo(arch, 1.0, 224, None).unwrap();
    let settings = Settings {
        patch: vec!["4x4".into()],
        split: vec!["stride8".into()],
        streamed_input: true,
        in_place_depthwise: true,
        in_place_pointwise: true,
        in_place_add: true,
        ..Settings::default()
    };
    session.plan(&settings).unwrap()
}

#[test]
fn receptive_field_redistribution_is_a_transform() {
    let base = analyze("mbv2");
    let rd = analyze("mbv2+rd8");
    // The transform keeps the network's first block and the stage's widths, drops the
    // repeated 24-channel block from the stride-8 stage and adds a 32-channel block after it.
    assert_eq!(base.patched.input_patch, Some((75, 75)));
    assert_eq!(rd.patched.input_patch, Some((67, 67)), "MCUNetV2's MbV2-RD: 63×63");
    assert!(rd.patched.overhead < 0.04 && base.patched.overhead > 0.09, "paper: +3 % for RD, ~+10 % without");
    assert!(rd.stage_overhead < base.stage_overhead);
    assert_eq!(rd.layer_by_layer.peak.bytes, base.layer_by_layer.peak.bytes);
    // Weights move out of the stage, none are lost.
    let weights = |p: &mcupatch::session::PlanReport| p.ops.iter().map(|o| o.weight_bytes).sum::<usize>();
    assert!(weights(&rd) >= weights(&base));
    let e = Session::from_zoo("mbv1+rd8", 1.0, 224, None).err().unwrap().to_string();
    assert!(e.contains("inverted-residual"), "{e}");
}
