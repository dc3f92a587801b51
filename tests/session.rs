#![cfg(not(target_arch = "wasm32"))]
//! The session, as a library user meets it: settings in, reports out, conflicts resolved,
//! the current plan exact against layer by layer.

mod common;

use common::root;
use mcupatch::preprocess;
use mcupatch::session::{catalog, BufferKind, OutputKind, Session, Settings, Source};

fn vww() -> Session {
    let bytes = std::fs::read(root().join("models/visual_wake_words.tflite")).expect("make fetch");
    Session::from_tflite(&bytes).expect("VWW loads")
}

fn photo(session: &mut Session, name: &str) -> Vec<u8> {
    let bytes = std::fs::read(root().join("data/images").join(name)).expect("make fetch");
    session.image_input(&preprocess::decode(&bytes).unwrap()).unwrap()
}

fn patched(grid: &str, split: &str) -> Settings {
    Settings {
        sram: Some(20 * 1024),
        patch: vec![grid.into()],
        split: vec![split.into()],
        streamed_input: true,
        in_place_depthwise: true,
        ..Settings::default()
    }
}

#[test]
fn the_model_report_tells_what_a_face_needs() {
    let session = vww();
    let m = session.model();
    assert_eq!(m.source, Source::Tflite { bytes: 334_152 });
    assert!(m.classifies_images);
    assert_eq!(m.classes, 2);
    assert_eq!(m.input.shape, [1, 96, 96, 3]);
    assert_eq!(m.flash_bytes, 334_152);
    let split = m.splits.iter().find(|s| s.op == 8).expect("the 12×12×32 map is a split");
    assert_eq!((split.shape.clone(), split.max_rows, split.max_cols), (vec![1, 12, 12, 32], 8, 8));
    let zoo = Session::from_zoo("mbv2", 0.35, 96, None).unwrap();
    assert!(!zoo.model().classifies_images, "synthetic weights: no verdict");
    assert_eq!(zoo.model().suggested.patch, ["4x4"]);
    assert!(catalog().mcus.iter().any(|m| m.name == "stm32f412" && m.sram == 256 * 1024 && m.flash == 1 << 20));
}

#[test]
fn a_plan_reports_its_peak_buffers_and_its_board() {
    let mut session = vww();
    let plan = session.plan(&patched("3x3", "op8")).unwrap();
    assert_eq!(plan.patched.peak.bytes, 18_432);
    assert_eq!(plan.layer_by_layer.peak.bytes, 55_296);
    assert_eq!(plan.input.quant.unwrap().zero_point, -128);
    // The buffers named at the peak are the live ones, inside the peak extent.
    let peak = &plan.patched.peak;
    assert!(!peak.buffers.is_empty());
    assert!(peak.buffers.iter().all(|b| b.first <= peak.step && peak.step <= b.last));
    assert!(peak.buffers.iter().all(|b| b.offset + b.bytes <= peak.bytes));
    assert!(peak.buffers.iter().map(|b| b.bytes).sum::<usize>() >= peak.live_bytes);
    assert!(plan.patched.buffers.iter().any(|b| b.kind == BufferKind::PatchTile));
    assert_eq!(plan.patches.len(), 9);
    assert!(plan.board.fits_sram && plan.board.fits);
    assert_eq!(plan.board.fits_flash, None, "no MCU named, no Flash size");
    // A Flash too small for the model: it does not fit, whatever the SRAM says.
    let small_flash = Settings { flash: Some(300_000), ..patched("3x3", "op8") };
    let plan = session.plan(&small_flash).unwrap();
    assert_eq!((plan.board.fits_sram, plan.board.fits_flash, plan.board.fits), (true, Some(false), false));
}

#[test]
fn settings_round_trip_and_unknown_fields_are_refused() {
    let s = patched("3x3", "op8");
    let text = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<Settings>(&text).unwrap(), s);
    assert_eq!(serde_json::from_str::<Settings>("{}").unwrap(), Settings::default());
    assert!(serde_json::from_str::<Settings>(r#"{"sram": 1, "grid": "3x3"}"#).is_err());
}

#[test]
fn conflicting_settings_give_a_plan_and_a_note() {
    let mut session = vww();
    // A split with layer by layer, a streamed input with layer by layer, two stages with a grid.
    for s in [
        Settings { split: vec!["op8".into()], ..Settings::default() },
        Settings { streamed_input: true, ..Settings::default() },
        Settings { multi_stage: true, ..patched("3x3", "op8") },
    ] {
        let plan = session.plan(&s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(plan.notes.len(), 1, "{s:?}: {:?}", plan.notes);
    }
    let auto_at_split = session.plan(&patched("auto", "op8")).unwrap();
    assert_eq!(auto_at_split.schedule.stages[0].split_op, 8);
    assert_eq!(auto_at_split.search.as_ref().unwrap().candidates, 64);
    assert!(auto_at_split.board.fits_sram);
    let err = session.plan(&patched("auto", "op30")).unwrap_err().to_string();
    assert!(err.contains("cannot end at tensor"), "{err}");
}

/// With the float input kept, its QUANTIZE runs in the patch stage: streamed, the camera
/// delivers float32 regions (4 bytes a value, counted where they live) and the frame never
/// sits whole in SRAM. Before, the session kept it whole with a note: 138 240 B.
#[test]
fn a_float_input_streams_patch_by_patch_through_its_quantize() {
    let mut session = vww();
    let int8_input = photo(&mut session, "astronaut.png");
    let int8 = session.run(&int8_input).unwrap();
    let floats: Vec<u8> = int8_input.iter().flat_map(|&q| (f32::from(q as i8) + 128.0).to_le_bytes()).collect();
    let float = Settings { float_input: true, ..patched("3x3", "op8") };
    let plan = session.plan(&float).unwrap();
    assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    assert_eq!((plan.input.dtype.name(), plan.layer_by_layer.peak.bytes), ("float32", 138_240));
    assert_eq!(plan.patched.peak.bytes, 43_628);
    assert!(plan.patched.buffers.iter().all(|b| b.kind != BufferKind::Input), "no whole frame");
    let tiles: Vec<_> = plan.patched.buffers.iter().filter(|b| b.kind == BufferKind::InputTile).collect();
    assert_eq!(tiles.len(), 9);
    for tile in tiles {
        assert_eq!(tile.bytes, tile.shape.iter().product::<usize>() * 4, "{tile:?}");
    }
    let streamed = session.run(&floats).unwrap();
    assert_eq!(streamed.outputs[0].int8, int8.outputs[0].int8);
    assert!(session.check_exact(&floats).unwrap().equal);
    // The frame whole: the float input sits in SRAM through the stage.
    let whole = session.plan(&Settings { streamed_input: false, ..float }).unwrap();
    assert_eq!(whole.patched.peak.bytes, 128_664);
    assert!(session.check_exact(&floats).unwrap().equal);
}

#[test]
fn runs_plan_by_default_and_the_patch_plan_is_exact() {
    let mut session = vww();
    let input = photo(&mut session, "astronaut.png");
    let run = session.run(&input).unwrap();
    assert_eq!((run.label.as_str(), run.peak_bytes), ("person", 55_296));
    session.plan(&patched("3x3", "op8")).unwrap();
    let patched_run = session.run(&input).unwrap();
    assert_eq!(patched_run.outputs[0].int8, run.outputs[0].int8);
    assert_eq!(session.last_input(), &input[..]);
    let exact = session.check_exact(&input).unwrap();
    assert!(exact.equal && exact.first_difference.is_none(), "{exact:?}");
    assert!(exact.tensors >= 20, "the split tensor and every tensor after it: {exact:?}");
}

#[test]
fn without_halos_the_patches_go_wrong_where_tiles_meet() {
    let mut session = vww();
    let input = photo(&mut session, "astronaut.png");
    let right = session.run(&input).unwrap();
    // The frame whole in SRAM: breaking still streams the patches, each keeping its share.
    session.plan(&Settings { streamed_input: false, ..patched("3x3", "op8") }).unwrap();
    let broken = session.break_halos(&input).unwrap();
    assert_eq!(broken.layer_by_layer.outputs[0].int8, right.outputs[0].int8);
    let pixels = broken.split.shape[1] * broken.split.shape[2];
    assert_eq!(broken.differing_channels.len(), pixels);
    assert!(broken.differing_pixels > 0 && broken.differing_pixels < pixels, "{}", broken.differing_pixels);
    assert!(broken.differing_bytes >= broken.differing_pixels);
    // Breaking is a separate run: the plan itself stays exact.
    assert!(session.check_exact(&input).unwrap().equal);
    // One patch keeps the whole frame: nothing is blanked, nothing differs.
    session.plan(&patched("1x1", "op8")).unwrap();
    let whole = session.break_halos(&input).unwrap();
    assert_eq!((whole.differing_pixels, whole.differing_bytes), (0, 0));
    assert_eq!(whole.halos_blanked.outputs[0].int8, right.outputs[0].int8);
    session.plan(&Settings::default()).unwrap();
    assert!(session.break_halos(&input).unwrap_err().to_string().contains("layer by layer"));
}

#[test]
fn the_sweep_shows_every_grid_at_the_split_and_the_grid_at_every_split() {
    let mut session = vww();
    session.plan(&patched("3x3", "op8")).unwrap();
    let sweep = session.sweep().unwrap();
    assert_eq!(sweep.grids.len(), 64);
    let current = sweep.grids.iter().find(|c| c.schedule.stages[0].rows == 3 && c.schedule.stages[0].cols == 3);
    assert_eq!(current.unwrap().peak_bytes, 18_432);
    assert!(sweep.splits.iter().any(|c| c.schedule.stages[0].split_op == 8));
    assert!(sweep.splits.len() > 5);
    session.plan(&Settings::default()).unwrap();
    assert!(session.sweep().unwrap_err().to_string().contains("layer by layer"));
}

#[test]
fn the_recompute_heat_sums_to_the_plans_extra_macs() {
    let mut session = vww();
    for (grid, split) in [("3x3", "op8"), ("2x4", "op8"), ("4x4", "op5"), ("8x8", "op11")] {
        let plan = session.plan(&patched(grid, split)).unwrap();
        let heat = session.heat().unwrap();
        let extra = plan.patched.macs - plan.layer_by_layer.macs;
        assert_eq!(heat.stage_macs - heat.stage_macs_layer_by_layer, extra, "{grid} at {split}");
        assert!(heat.layers.iter().all(|l| l.counts.len() == l.height * l.width && l.max >= 1));
        // Every pixel of the split map is computed exactly once: tiles do not overlap.
        let split_map = heat.layers.last().unwrap();
        assert!(split_map.counts.iter().all(|&c| c == 1), "{grid} at {split}");
        // The input is read by as many patches as overlap there; some pixel by more than one.
        assert_eq!(heat.inputs.len(), 1);
        assert!(heat.inputs[0].max > 1 && heat.inputs[0].counts.iter().all(|&c| c >= 1), "{grid} at {split}");
    }
    session.plan(&Settings::default()).unwrap();
    let heat = session.heat().unwrap();
    assert!(heat.layers.is_empty() && heat.stage_macs == 0, "layer by layer recomputes nothing");
}

#[test]
fn patches_let_bigger_inputs_fit_the_same_mcu() {
    let settings = Settings { mcu: Some("stm32h743".into()), in_place_depthwise: true, ..Settings::default() };
    let map = mcupatch::session::feasibility("mbv2", &[0.35, 0.5], &[96, 144, 176, 224], &settings).unwrap();
    assert_eq!(map.cells.len(), 8);
    assert_eq!((map.sram, map.flash), (512 * 1024, Some(2 << 20)));
    assert_eq!(map.patch, ["4x4"], "MCUNetV2's plan when the settings give none");
    for c in &map.cells {
        assert!(c.patched_peak < c.layer_by_layer_peak, "{c:?}");
        assert!(!c.fits_layer_by_layer || c.fits_patched, "what fits layer by layer fits with patches: {c:?}");
        assert!(c.patched_macs >= c.macs);
    }
    let only_patched = map.cells.iter().filter(|c| c.fits_patched && !c.fits_layer_by_layer).count();
    assert!(only_patched > 0, "some sizes fit only with patches: {:?}", map.cells);
}

#[test]
fn a_model_bigger_than_flash_fits_nowhere() {
    // MobileNetV2-0.35 with its 1000-class head holds 1.7 MB of weights: more than the
    // STM32F412's 1 MB of Flash, however little SRAM a patch plan needs.
    let settings = Settings { mcu: Some("stm32f412".into()), in_place_depthwise: true, ..Settings::default() };
    let map = mcupatch::session::feasibility("mbv2", &[0.35], &[96], &settings).unwrap();
    let cell = &map.cells[0];
    assert!(cell.weight_bytes > 1 << 20 && cell.patched_peak < 256 * 1024);
    assert!(!cell.fits_patched && !cell.fits_layer_by_layer);
}

fn model(path: &str) -> Session {
    let bytes = std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e} (make fetch)"));
    Session::from_tflite(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The share of an int8 input's bytes at −128 or 127.
fn saturated(bytes: &[u8]) -> f64 {
    bytes.iter().filter(|&&b| b as i8 == 127 || b as i8 == -128).count() as f64 / bytes.len() as f64
}

/// VWW's input is exactly 0..255 by its int8 range (scale 1, zero point −128): q = pixel − 128,
/// the bytes the tests against TFLite Micro feed; `pixel_range` 0,255 gives the same bytes.
#[test]
fn vwws_input_is_pixel_minus_128_by_its_own_rule() {
    let mut session = vww();
    let r = session.model().input_range;
    assert_eq!((r.lo, r.hi, r.standardize, r.rule), (0.0, 255.0, false, preprocess::RangeRule::Quantization));
    assert_eq!(session.model().labels, ["person", "non person"]);
    assert_eq!(session.model().output, OutputKind::Classification);
    let bytes = std::fs::read(root().join("data/images/astronaut.png")).unwrap();
    let pixels = preprocess::fit(&preprocess::decode(&bytes).unwrap(), 96, 96).into_raw();
    let expected: Vec<u8> = pixels.iter().map(|&p| (i16::from(p) - 128) as i8 as u8).collect();
    assert_eq!(photo(&mut session, "astronaut.png"), expected);
    let run = session.run(&expected).unwrap();
    assert!(run.verdict);
    assert_eq!(run.label, "person");
    let plan = session.plan(&Settings { pixel_range: Some([0.0, 255.0]), ..Settings::default() }).unwrap();
    assert_eq!(plan.input_range.rule, preprocess::RangeRule::Settings);
    assert_eq!(photo(&mut session, "astronaut.png"), expected);
}

/// A grayscale 84×84×1 model fed a colour photo: luminance, each image standardized (its MLTK
/// metadata), labelled with its own class names.
#[test]
fn rock_paper_scissors_takes_luminance_and_names_its_classes() {
    let mut session = model("models/mltk/rock_paper_scissors.tflite");
    let m = session.model();
    assert_eq!(m.input.shape, [1, 84, 84, 1]);
    assert!(m.classifies_images);
    assert_eq!(m.metadata, Some("MLTK"));
    assert_eq!(m.labels, ["rock", "paper", "scissor", "unknown"]);
    assert!(m.input_range.standardize && m.input_range.rule == preprocess::RangeRule::Metadata);
    let input = photo(&mut session, "astronaut.png");
    assert_eq!(input.len(), 84 * 84);
    let run = session.run(&input).unwrap();
    assert!(run.verdict && m_has(&session, &run.label), "{}", run.label);
    // A camera frame of any size, not square: the same path, one byte a pixel.
    let frame = vec![90u8; 64 * 48 * 4];
    assert_eq!(session.rgba_input(&frame, 64, 48).unwrap().len(), 84 * 84);
}

fn m_has(session: &Session, label: &str) -> bool {
    session.model().labels.iter().any(|l| l == label)
}

/// MLTK's CIFAR-10 ResNet names its ten classes; its int8 input's range is −1..0.99.
#[test]
fn cifar10_names_its_classes() {
    let mut session = model("models/mltk/image_classification.tflite");
    let m = session.model();
    assert_eq!(m.labels.len(), 10);
    assert_eq!((m.labels[0].as_str(), m.labels[8].as_str()), ("airplane", "ship"));
    let input = photo(&mut session, "rocket.jpg");
    assert!(saturated(&input) < 0.1, "{}", saturated(&input));
    let run = session.run(&input).unwrap();
    assert_eq!(run.label, "ship");
}

/// Models converted with full-integer quantization and trained on -1..1 (input scale 1/128,
/// zero point 0: MLTK's CIFAR-10 net here; Keras MobileNets alike, in `make keras`) saturated
/// nearly every byte with pixels taken as 0..255; by their int8 range, under a tenth of the
/// bytes do: exactly the photo's own pure black and white values (q = p − 128).
#[test]
fn models_trained_on_minus_one_to_one_see_their_input_range_not_a_saturated_frame() {
    let path = "models/mltk/image_classification.tflite";
    let mut session = model(path);
    let before = {
        session.plan(&Settings { pixel_range: Some([0.0, 255.0]), ..Settings::default() }).unwrap();
        saturated(&photo(&mut session, "astronaut.png"))
    };
    session.plan(&Settings::default()).unwrap();
    let after = saturated(&photo(&mut session, "astronaut.png"));
    eprintln!("{path}: saturated bytes {:.1} % as 0..255, {:.1} % by its rule", before * 100.0, after * 100.0);
    assert!(after < 0.1, "{path}: {after}");
    assert!(before > 0.5, "{path}: {before}");
    let [_, h, w, _] = session.model().input.shape[..] else { panic!("{path}: not an image") };
    let bytes = std::fs::read(root().join("data/images/astronaut.png")).unwrap();
    let pixels = preprocess::fit(&preprocess::decode(&bytes).unwrap(), h, w).into_raw();
    let ends = pixels.iter().filter(|&&p| p == 0 || p == 255).count() as f64 / pixels.len() as f64;
    assert_eq!(after, ends, "{path}");
}

/// A model whose output is a map (a U-Net's segmentation, a heat map; here a generated conv):
/// no verdict, no class names.
#[test]
fn a_map_output_gets_no_verdict() {
    for seed in 0..4 {
        let path = format!("generated conv {seed}");
        let mut session = Session::from_tflite(&common::map_output_model(seed).0).unwrap();
        assert_eq!(session.model().output, OutputKind::Map, "{path}");
        assert!(session.model().labels.is_empty());
        let input = photo(&mut session, "astronaut.png");
        let run = session.run(&input).unwrap();
        assert!(!run.verdict && run.label.is_empty(), "{path}: {}", run.label);
    }
}

#[test]
fn a_plan_that_does_not_fit_says_why_and_what_would() {
    let mut session = vww();
    let at = |sram: usize| Settings { sram: Some(sram), patch: vec!["auto".into()], ..Settings::default() };
    assert!(session.plan(&at(256 * 1024)).unwrap().advice.is_none(), "a plan that fits needs no advice");

    // 20 KiB: VWW's smallest plan keeps the whole 27 648 B frame; a camera that streams
    // each patch's input is the one switch that fits.
    let report = session.plan(&at(20 * 1024)).unwrap();
    let advice = report.advice.expect("nothing fits 20 KiB layer by layer or patched with the frame whole");
    assert_eq!(advice.peak_bytes, report.patched.peak.bytes);
    assert!(advice.why.contains("27648 B input frame"), "{}", advice.why);
    let change = advice.change.expect("a switch that fits");
    assert!(change.settings.streamed_input && !change.settings.in_place_add, "{:?}", change.settings);
    let applied = session.plan(&change.settings).unwrap();
    assert!(applied.board.fits_sram && applied.advice.is_none());
    assert_eq!(applied.patched.peak.bytes, change.peak_bytes);
    let mcu = advice.mcu.expect("a preset holds 37 KiB");
    assert!(
        mcu.sram >= advice.peak_bytes
            && catalog().mcus.iter().all(|m| m.sram >= mcu.sram || m.sram < advice.peak_bytes)
    );

    // A fixed grid that doesn't fit: the planner's own choice comes into the change.
    let grid = Settings { patch: vec!["3x3".into()], ..at(20 * 1024) };
    let change = session.plan(&grid).unwrap().advice.unwrap().change.unwrap();
    assert_eq!(change.settings.patch, ["auto"]);
    assert!(change.what.contains("--patch auto"), "{}", change.what);

    // 4 KiB: no switch or grid; only a larger MCU.
    let advice = session.plan(&at(4 * 1024)).unwrap().advice.unwrap();
    assert!(advice.change.is_none() && advice.mcu.is_some());
}

#[test]
fn settings_from_json_name_the_setting_at_fault() {
    let err = |text: &str| Settings::from_json(text).unwrap_err().to_string();
    assert_eq!(
        Settings::from_json(r#"{"sram": 20480, "patch": ["3x3"]}"#).unwrap(),
        Settings { sram: Some(20480), patch: vec!["3x3".into()], ..Settings::default() }
    );
    assert!(err(r#"{"sram": -5}"#).contains("setting sram takes a whole number of bytes from 1 to 67108864, not -5"));
    assert!(err(r#"{"sram": 1e12}"#).contains("not 1000000000000.0"), "{}", err(r#"{"sram": 1e12}"#));
    assert!(err(r#"{"in_place_add": "yes"}"#).contains("in_place_add takes true or false"));
    assert!(err(r#"{"grid": "3x3"}"#).contains("unknown field `grid`"));
    assert!(err("[1, 2]").contains("not a JSON object"));
}

#[test]
fn a_cached_halo_is_chosen_as_asked_and_runs_exactly() {
    let mut session = vww();
    let cached = Settings { halo: mcupatch::session::HaloChoice::Cache, ..patched("3x1", "op8") };
    let report = session.plan(&cached).unwrap();
    assert_eq!(report.schedule.stages[0].halo, mcupatch::session::Halo::Cache);
    // One column of row bands: every row computed once, layer by layer's MACs.
    assert_eq!(report.patched.macs, report.layer_by_layer.macs);
    let input = photo(&mut session, "astronaut.png");
    let exact = session.check_exact(&input).unwrap();
    assert!(exact.equal && exact.tensors > 0);
    // auto weighs both kinds: its front holds cached plans, and more plans were searched.
    let at = |halo| Settings {
        halo,
        sram: Some(20 * 1024),
        streamed_input: true,
        patch: vec!["auto".into()],
        ..Settings::default()
    };
    let both = session.plan(&at(mcupatch::session::HaloChoice::Auto)).unwrap().search.unwrap();
    let one = session.plan(&at(mcupatch::session::HaloChoice::Recompute)).unwrap().search.unwrap();
    // Every cached single stage, bands down to a row, beside the recomputing ones.
    let graph = mcupatch::model::load(&std::fs::read(root().join("models/visual_wake_words.tflite")).unwrap()).unwrap();
    let kernels = mcupatch::kernels::Kernel::prepare_all(&graph).unwrap();
    let streamed = mcupatch::session::InputMode { float_input: false, streamed: true };
    let cached =
        mcupatch::schedule::search::cached_single_stage_schedules(&graph, &kernels, streamed, Default::default());
    assert_eq!(both.candidates, one.candidates + cached.unwrap().len());
    assert!(both.front.iter().any(|c| c.schedule.stages.iter().any(|s| s.halo == mcupatch::session::Halo::Cache)));
    assert!(Settings::from_json(r#"{"halo": "sometimes"}"#)
        .unwrap_err()
        .to_string()
        .contains("recompute, cache or auto"));
}

/// MLTK's fingerprint model writes a 16-value signature; its metadata names 2 classes. Scores
/// of classes have as many values as names: this is no classification, and no verdict.
#[test]
fn an_embedding_whose_metadata_names_other_classes_is_no_classification() {
    let session = model("models/mltk/fingerprint_signature_generator.tflite");
    assert_eq!(session.model().output, OutputKind::Other);
    assert!(session.model().labels.is_empty());
    assert_eq!(model("models/mltk/rock_paper_scissors.tflite").model().output, OutputKind::Classification);
}

/// The plan's time on the board is MLPerf Tiny's fit for TFLite Micro + CMSIS-NN: the
/// reference board when no MCU is named, a stand-in (labelled) for a core without results,
/// none (with the reason) for one no runtime was measured on; a patch plan's recomputed MACs
/// cost time.
#[test]
fn a_plan_says_what_it_costs_on_the_board_and_on_what_evidence() {
    let mut session = vww();
    let plan = session.plan(&Settings::default()).unwrap();
    let own = plan.latency.expect("the reference board");
    assert_eq!((own.board.name.as_str(), own.label), (mcupatch::session::REFERENCE_BOARD, "estimate"));
    assert!(plan.latency_unknown.is_none() && own.ms > 100.0 && own.loo_error > 0.0);
    let patched = session.plan(&patched("3x3", "op8")).unwrap().latency.unwrap();
    assert!(patched.ms > own.ms, "{} ≤ {}", patched.ms, own.ms);
    let m7 = session.plan(&Settings { mcu: Some("stm32f746".into()), ..Settings::default() }).unwrap();
    assert!(matches!(m7.latency.unwrap().basis, mcupatch::latency::Basis::StandIn { .. }));
    let xtensa = session.plan(&Settings { mcu: Some("esp32-s3".into()), ..Settings::default() }).unwrap();
    assert!(xtensa.latency.is_none());
    assert!(xtensa.latency_unknown.unwrap().contains("no MLPerf Tiny result"));
}

/// The cache issue's bars, held by the planner with both halo kinds (`--halo auto`, a
/// streamed frame, in-place depthwise): the front holds a remembering plan that beats the
/// smallest recomputing peak on both axes, and one near it at almost no extra MACs; each
/// chosen plan runs exactly like layer by layer.
#[test]
fn remembering_the_halo_beats_recomputing_it() {
    use mcupatch::session::{Halo, HaloChoice};
    let at = |halo, sram: usize| Settings {
        halo,
        sram: Some(sram),
        streamed_input: true,
        in_place_depthwise: true,
        patch: vec!["auto".into()],
        ..Settings::default()
    };
    let cached = |c: &mcupatch::session::CandidateReport| c.schedule.stages.iter().all(|s| s.halo == Halo::Cache);
    // VWW: recomputing, the smallest peak is 3×3's 18 432 B at +14.6 % MACs.
    let mut session = vww();
    let recompute = session.plan(&at(HaloChoice::Recompute, 20 * 1024)).unwrap().search.unwrap();
    let smallest = recompute.front.iter().min_by_key(|c| c.peak_bytes).unwrap().clone();
    assert_eq!((smallest.peak_bytes, (smallest.overhead * 1000.0).round()), (18_432, 146.0));
    let both = session.plan(&at(HaloChoice::Auto, 20 * 1024)).unwrap().search.unwrap();
    assert!(
        both.front.iter().any(|c| cached(c) && c.peak_bytes < 18_432 && c.overhead < smallest.overhead),
        "{:#?}",
        both.front
    );
    assert!(both.front.iter().any(|c| cached(c) && c.peak_bytes * 10 <= 18_432 * 11 && c.overhead <= 0.03));
    for budget in [14 * 1024, 20 * 1024] {
        let plan = session.plan(&at(HaloChoice::Auto, budget)).unwrap();
        assert!(plan.schedule.stages.iter().all(|s| s.halo == Halo::Cache) && plan.board.fits_sram);
        // Rows computed one at a time: a ring a 3×3 window or a 1×1 conv reads holds at most 3
        // rows; only the split op's input holds its band's rows.
        let (last, rest) = plan.rings.split_last().expect("a cached stage has rings");
        assert!(rest.iter().all(|r| (1..=3).contains(&r.rows)), "{:?}", plan.rings);
        assert_eq!(last.tensor, plan.schedule.stages[0].split.index - 1, "{:?}", plan.rings);
        let input = photo(&mut session, "astronaut.png");
        assert!(session.check_exact(&input).unwrap().equal);
    }
    // ResNet-8 (MLTK's CIFAR-10 model): recomputing, 16 KiB takes 4×8 patches at +130 % MACs.
    let bytes = std::fs::read(root().join("models/mltk/image_classification.tflite")).expect("make fetch");
    let mut resnet = Session::from_tflite(&bytes).unwrap();
    let plan = resnet.plan(&at(HaloChoice::Auto, 16 * 1024)).unwrap();
    assert!(plan.board.fits_sram && plan.schedule.stages[0].halo == Halo::Cache, "{:?}", plan.schedule);
    assert!(plan.patched.overhead < 0.1, "{}", plan.patched.overhead);
    let input: Vec<u8> = (0..plan.input.bytes).map(|i| (i * 7 % 256) as u8).collect();
    assert!(resnet.check_exact(&input).unwrap().equal);
    // MobileNetV2-1.0 @224, the paper's Figure 1 network: at most 176 400 B at ≤ +2 % MACs.
    let mut mbv2 = Session::from_zoo("mbv2", 1.0, 224, None).unwrap();
    let plan = mbv2.plan(&at(HaloChoice::Auto, 176_400)).unwrap();
    assert!(plan.board.fits_sram && plan.patched.overhead <= 0.02, "{:?} {}", plan.schedule, plan.patched.overhead);
    assert!(plan.schedule.stages.iter().all(|s| s.halo == Halo::Cache));
    let input: Vec<u8> = (0..plan.input.bytes).map(|i| (i * 13 % 256) as u8).collect();
    assert!(mbv2.check_exact(&input).unwrap().equal);
}
