#![cfg(not(target_arch = "wasm32"))]
//! Every crash, hang and runaway allocation found by hand or by the fuzzers (fuzz/), pinned
//! as a named case, and the limits that keep bad input cheap, each checked to name itself.

mod common;

use common::gen::{Gen, ADD, AVERAGE_POOL_2D, QUANTIZE};
use common::writer::{Field, ModelSpec, TensorSpec, I8};
use common::{check_against_tflm, Case};
use image::{ExtendedColorType, ImageEncoder};
use mcupatch::exec::{Config, Engine};
use mcupatch::files;
use mcupatch::kernels::Kernel;
use mcupatch::model::{self, limits};
use mcupatch::preprocess::{self, PixelRange};
use mcupatch::schedule::{search, InPlace, InputMode};
use mcupatch::Error;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant};

fn int8(name: &str, shape: Vec<i32>, scale: f32, zp: i64) -> TensorSpec {
    TensorSpec { name: name.into(), shape, dtype: I8, scales: vec![scale], zero_points: vec![zp], ..Default::default() }
}

/// Loads, prepares, plans every way and runs layer by layer; only errors may come back.
fn everything(bytes: &[u8]) -> Result<(), Error> {
    let graph = model::load(bytes)?;
    let kernels = Kernel::prepare_all(&graph)?;
    let in_place = InPlace { depthwise: true, pointwise: true, add: true };
    search::explore_multi(&graph, &kernels, InputMode::default(), in_place)?;
    let mut engine = Engine::new(graph, Config { capacity: 1 << 20, ..Default::default() })?;
    let input = vec![3u8; engine.input_tensor().bytes()];
    engine.run(&input)?;
    Ok(())
}

fn limit_error(err: Error, what: &str) -> (u64, u64) {
    match err {
        Error::Limit { what: w, value, limit } if w.contains(what) => (value, limit),
        other => panic!("expected the limit on {what}, got: {other}"),
    }
}

/// A [1, 8] int8 input requantized by QUANTIZE and added to itself: no [1, H, W, C] map.
fn rank_2_requantize_add() -> Vec<u8> {
    let mut spec = ModelSpec::default();
    let x = spec.tensor(int8("x", vec![1, 8], 0.05, 3));
    let q = spec.tensor(int8("requantized", vec![1, 8], 0.08, -7));
    let y = spec.tensor(int8("sum", vec![1, 8], 0.1, 1));
    spec.op(QUANTIZE, vec![x], vec![q], None);
    spec.op(ADD, vec![x, q], vec![y], Some((11, vec![(0, Field::I8(0))])));
    spec.inputs = vec![x];
    spec.outputs = vec![y];
    spec.to_bytes()
}

/// Issue 12: an int8 ADD or int8→int8 QUANTIZE over tensors that are not [1, H, W, C] maps
/// panicked in the executor (their steps had a region but their buffers no map). They run
/// whole now, bit-exact with TFLite Micro.
#[test]
fn add_and_requantize_of_rank_2_tensors_run_like_tflm() {
    let model = rank_2_requantize_add();
    everything(&model).expect("a rank-2 ADD runs");
    let input: Vec<u8> = (0..8u8).map(|i| i.wrapping_mul(37)).collect();
    let case = Case::same_input("rank-2 add".into(), model, input, false);
    assert!(check_against_tflm(&[case]) >= 3);
}

/// Issue 12: AVERAGE_POOL_2D with a 2^31−1 filter and SAME padding was accepted and `run`
/// walked every filter tap (24 s for one such dimension, hours for two). Windows and the work
/// of an inference are bounded at load time now.
#[test]
fn pooling_filter_of_2_pow_31_is_refused_at_load() {
    let mut spec = ModelSpec::default();
    let x = spec.tensor(int8("x", vec![1, 4, 4, 2], 0.1, 0));
    let y = spec.tensor(int8("pool", vec![1, 4, 4, 2], 0.1, 0));
    let options = vec![
        (0, Field::I8(0)),
        (1, Field::I32(1)),
        (2, Field::I32(1)),
        (3, Field::I32(i32::MAX)),
        (4, Field::I32(i32::MAX)),
    ];
    spec.op(AVERAGE_POOL_2D, vec![x], vec![y], Some((5, options)));
    spec.inputs = vec![x];
    spec.outputs = vec![y];
    let start = Instant::now();
    let err = model::load(&spec.to_bytes()).expect_err("a 2^31-1 window is refused");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(err.to_string().contains("op 0 (AVERAGE_POOL_2D)"), "{err}");
    // Its window is past what TFLM can pad (its work, too, is past the work limit).
    assert_eq!(limit_error(err, "window"), (i32::MAX as u64, limits::MAX_WINDOW as u64));
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/timeout-b29df92a…, a MAX_POOL_2D over
/// a 5×5 map with a window far wider than the map): every declared tap was walked and those
/// outside skipped, up to the work limit (5·10⁸ taps, about a second; over 5 s instrumented).
/// Only the taps inside the input are visited now, as TFLM's pooling does. And TFLM keeps a
/// window's padding in int16: past 65 535 rows or columns its padding wraps and it reads
/// outside the input (its outputs changed run to run), so such windows are refused at load.
#[test]
fn pooling_windows_far_larger_than_their_input_cost_only_the_input() {
    use common::gen::MAX_POOL_2D;
    let pool = |code: i32, name: &str, shape: Vec<i32>, filter: (i32, i32)| {
        let mut spec = ModelSpec::default();
        let x = spec.tensor(int8("x", shape.clone(), 0.1, 2));
        let y = spec.tensor(int8(name, shape, 0.1, 2));
        // SAME padding, stride 1: every output's window covers the whole map.
        let options = vec![
            (0, Field::I8(0)),
            (1, Field::I32(1)),
            (2, Field::I32(1)),
            (3, Field::I32(filter.1)),
            (4, Field::I32(filter.0)),
        ];
        spec.op(code, vec![x], vec![y], Some((5, options)));
        spec.inputs = vec![x];
        spec.outputs = vec![y];
        spec.to_bytes()
    };
    let mut cases = Vec::new();
    for (code, name) in [(AVERAGE_POOL_2D, "avg"), (MAX_POOL_2D, "max")] {
        // A row and a column of 5 pixels under a window of 9·10⁷ (under the work limit):
        // refused, quickly, naming the window.
        for (shape, filter) in [(vec![1, 1, 5, 1], (1, 90_000_000)), (vec![1, 5, 1, 1], (90_000_000, 1))] {
            let start = Instant::now();
            let err = everything(&pool(code, name, shape, filter)).expect_err("a window TFLM cannot pad is refused");
            assert!(start.elapsed() < Duration::from_millis(100), "{name} {filter:?}: {:?}", start.elapsed());
            assert!(err.to_string().contains("window"), "{err}");
            assert_eq!(limit_error(err, "window"), (90_000_000, limits::MAX_WINDOW as u64));
        }
        // The widest window allowed runs as fast and as TFLM does.
        for (shape, filter) in [(vec![1, 3, 5, 2], (1, 65_535)), (vec![1, 5, 3, 2], (65_535, 3))] {
            let model = pool(code, name, shape, filter);
            let start = Instant::now();
            everything(&model).expect("the widest window runs");
            assert!(start.elapsed() < Duration::from_millis(100), "{name} {filter:?}: {:?}", start.elapsed());
            let input: Vec<u8> = (0..30u8).map(|i| i.wrapping_mul(73)).collect();
            let name = format!("{name} pool {filter:?}");
            cases.push(Case::same_input(name, model, input, false));
        }
    }
    assert!(check_against_tflm(&cases) >= 4);
}

/// A PNG whose header declares 23 170² pixels decoded to 3.1 GB in 17 s; it is refused from
/// the header now, before any pixel is inflated.
#[test]
fn png_decompression_bomb_is_refused_from_its_header() {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(&[0u8; 4], 2, 2, ExtendedColorType::L8).unwrap();
    // Rewrite IHDR's width and height (bytes 16..24) to 23 170 and fix its CRC.
    png[16..20].copy_from_slice(&23170u32.to_be_bytes());
    png[20..24].copy_from_slice(&23170u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let start = Instant::now();
    let err = preprocess::decode(&png).expect_err("a 536 M pixel image is refused");
    assert!(start.elapsed() < Duration::from_secs(1));
    let (value, limit) = limit_error(err, "pixels");
    assert_eq!((value, limit), (23170 * 23170, preprocess::MAX_IMAGE_PIXELS));
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Files were read whole before any check: `/dev/zero` grew to 2 GB, a FIFO hung forever,
/// a 3 GB raw input was read before its size was refused.
#[test]
fn devices_pipes_and_huge_files_are_refused_before_reading() {
    let start = Instant::now();
    let err = files::read_file("/dev/zero".as_ref(), 1 << 20).expect_err("a device is refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let dir = common::scratch_dir("regressions");
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success();
    assert!(made);
    let err = files::read_file(&fifo, 1 << 20).expect_err("a FIFO is refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let big = dir.join("big.raw");
    std::fs::File::create(&big).unwrap().set_len(3 << 30).unwrap(); // sparse: no disk used
    let err = files::read_file(&big, 27648).expect_err("3 GB is refused");
    assert_eq!(limit_error(err, "big.raw"), (3 << 30, 27648));
    let err = model::load_file(&big).expect_err("a 3 GB model is refused");
    assert_eq!(limit_error(err, "big.raw"), (3 << 30, limits::MAX_MODEL_BYTES));
    assert!(start.elapsed() < Duration::from_secs(2));
    std::fs::write(dir.join("small"), b"abc").unwrap();
    assert_eq!(files::read_file(&dir.join("small"), 3).unwrap(), b"abc");
    assert!(matches!(files::read_file(&dir.join("missing"), 3), Err(Error::File { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Activation scales of 0 or 1e-45 were accepted silently (every requantization became 0
/// or infinite).
#[test]
fn zero_and_subnormal_activation_scales_are_refused() {
    for scale in [0.0f32, 1e-45, f32::MIN_POSITIVE / 2.0] {
        let mut rng = StdRng::seed_from_u64(5);
        let mut g = Gen::new(&mut rng);
        let x = g.input(4, 2);
        let y = g.conv(x, false);
        g.spec.tensors[y.t as usize].scales = vec![scale];
        let (bytes, _) = g.finish(y.t);
        let err = model::load(&bytes).expect_err("the scale is refused").to_string();
        assert!(err.contains("conv_out") && err.contains("not a positive normal number"), "{scale}: {err}");
    }
}

#[test]
fn pixel_ranges_with_an_infinite_span_are_refused() {
    let err = PixelRange::parse("-3e38,3e38").expect_err("an infinite span is refused").to_string();
    assert!(err.contains("infinite"), "{err}");
    assert!(PixelRange::parse("-1e38,1e38").is_ok());
}

/// Camera frames: a size whose byte count overflowed 32 bits (wasm) or needed gigabytes.
#[test]
fn huge_frames_are_refused_by_their_pixel_count() {
    let input = model::load(&std::fs::read(common::root().join("models/visual_wake_words.tflite")).unwrap())
        .map(|g| g.tensors[g.inputs[0]].clone())
        .unwrap();
    let err = preprocess::rgba_input(&[0; 16], 65536, 65536, &input, &Default::default()).unwrap_err();
    assert_eq!(limit_error(err, "pixels"), (1 << 32, preprocess::MAX_IMAGE_PIXELS));
    assert!(preprocess::rgba_input(&[0; 16], 0, 4, &input, &Default::default()).is_err());
    assert!(preprocess::rgba_input(&[0; 16], 2, 2, &input, &Default::default()).is_ok());
}

#[test]
fn arenas_above_the_limit_are_refused() {
    let graph = model::load(&std::fs::read(common::root().join("models/visual_wake_words.tflite")).unwrap()).unwrap();
    let err = Engine::new(graph, Config { capacity: 1 << 30, ..Default::default() }).err().expect("1 GiB is refused");
    assert_eq!(limit_error(err, "arena"), (1 << 30, limits::MAX_ARENA_BYTES as u64));
}

#[test]
fn labels_always_name_every_class() {
    assert_eq!(mcupatch::labels::names(&["cat".to_string()], 3), ["cat", "class 1", "class 2"]);
}

/// The limits leave real models a wide margin: each that loads (some use ops mcupatch does
/// not run) needs under a tenth of the work limit.
#[test]
fn real_models_are_far_inside_the_limits() {
    let mut paths = vec![common::root().join("models/visual_wake_words.tflite")];
    let mltk = std::fs::read_dir(common::root().join("models/mltk")).expect("run models/fetch");
    paths.extend(mltk.flatten().map(|e| e.path()));
    for path in paths {
        let graph = match model::load_file(&path) {
            Ok(g) => g,
            Err(e @ Error::Op { .. }) if e.to_string().contains("unsupported") => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let work: u64 = (0..graph.ops.len()).map(|op| limits::op_work(&graph, op)).sum();
        println!("{}: {} ops, work {work}", path.display(), graph.ops.len());
        assert!(work < limits::MAX_WORK / 10, "{}: work {work}", path.display());
    }
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/crash-2ac4a144…): a float input of
/// 1e30 through QUANTIZE with a positive zero point overflowed int32 and wrapped to -128.
#[test]
fn float_quantize_of_huge_values_saturates() {
    use mcupatch::quant::affine::AffineQuantize;
    let q = AffineQuantize { scale: 0.5, zero_point: 5 };
    assert_eq!(q.quantize(1e30), 127);
    assert_eq!(q.quantize(f32::INFINITY), 127);
    assert_eq!(AffineQuantize { scale: 0.5, zero_point: -5 }.quantize(-1e30), -128);
    assert_eq!(q.quantize(f32::NAN), 5);
    assert_eq!(q.quantize(3.0), 11);
}

/// Found by the soak (tests/soak.rs): `--split stride8` on the Visual Wake Words model chose
/// its last op (the dense layer), because a converted model's tensor names share one prefix
/// (`model/…`), which was taken for one block. The split now ends where the 12×12 maps end.
#[test]
fn stride_splits_of_a_converted_model_end_at_the_maps_of_that_stride() {
    use mcupatch::session::{find_split, Session, Settings};
    let path = common::root().join("models/visual_wake_words.tflite");
    let graph = model::load_file(&path).expect("run models/fetch");
    for (stride, side) in [(2, 48), (4, 24), (8, 12), (16, 6)] {
        let split = find_split(&graph, &format!("stride{stride}")).unwrap();
        assert_eq!(graph.tensors[split].shape, [1, side, side, graph.tensors[split].shape[3]], "stride {stride}");
        let after = graph.ops.iter().find(|op| op.inputs.contains(&Some(split))).expect("an op reads the split");
        assert_ne!(
            graph.tensors[after.outputs[0]].shape.get(1),
            Some(&side),
            "stride {stride}: not the last {side}×{side} map"
        );
    }
    let mut session = Session::from_tflite_file(&path).unwrap();
    let settings = Settings { patch: vec!["auto".into()], split: vec!["stride8".into()], ..Settings::default() };
    assert!(!session.plan(&settings).unwrap().schedule.stages.is_empty());
}

/// Found by the `plan` fuzz target (seed `gen0`, a convolution before a PAD): a patch tile
/// lying wholly in the PAD's border needs an empty region of the PAD's input, and the
/// convolution's input region for an empty output span underflowed (a panic with overflow
/// checks; without them the whole map's rows, inflating the patch's buffers).
#[test]
fn an_empty_output_region_reads_no_input() {
    use mcupatch::geometry::{Region, Window};
    use mcupatch::model::Padding;
    let window = Window::new((12, 12), (3, 3), (1, 1), (1, 1), Padding::Same).unwrap();
    for (y0, x0) in [(0, 0), (12, 12), (5, 0)] {
        let empty = Region { y0, y1: y0, x0, x1: x0 };
        assert_eq!(window.input_region(empty).area(), 0, "{empty:?}");
    }
    assert_eq!(window.input_region(Region { y0: 0, y1: 1, x0: 0, x1: 12 }), Region { y0: 0, y1: 2, x0: 0, x1: 12 });
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/crash-ef47cd27…): a ReLU6 output with
/// a scale of about 1e-9 put 6.0 beyond int32, and adding the zero point overflowed (wrapped
/// without overflow checks: a clamp range whose top lay below its bottom).
#[test]
fn activation_bounds_beyond_int32_clamp_nothing() {
    use mcupatch::model::{Activation, Quant};
    use mcupatch::quant::activation_range;
    let tiny = Quant { scales: vec![1e-9], zero_points: vec![5], axis: 0 };
    assert_eq!(activation_range(Activation::Relu6, &tiny), (5, 127));
    assert_eq!(activation_range(Activation::ReluN1To1, &tiny), (-128, 127));
    let usual = Quant { scales: vec![6.0 / 255.0], zero_points: vec![-128], axis: 0 };
    assert_eq!(activation_range(Activation::Relu6, &usual), (-128, 127));
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/crash-7a3f28a5…): a FULLY_CONNECTED
/// whose int32 sum ran past int32 (a mutated bias or weight zero point) overflowed in the
/// scalar reference (a panic with overflow checks). Accumulators wrap, as TFLM's int32 ones
/// and the fast paths' lanes do; a weight zero point outside int8 is refused.
#[test]
fn fully_connected_sums_past_int32_wrap_and_wild_weight_zero_points_are_refused() {
    use common::gen::FULLY_CONNECTED;
    use common::writer::I32;
    let model = |bias: i32, weight_zero_point: i64| {
        let mut spec = ModelSpec::default();
        let x = spec.tensor(int8("x", vec![1, 4], 0.5, 0));
        let w = spec.tensor(TensorSpec { data: Some(vec![127; 8]), ..int8("w", vec![2, 4], 0.5, weight_zero_point) });
        let b = spec.tensor(TensorSpec {
            name: "b".into(),
            shape: vec![2],
            dtype: I32,
            data: Some([bias, 0].iter().flat_map(|v| v.to_le_bytes()).collect()),
            scales: vec![0.25],
            zero_points: vec![0],
            ..Default::default()
        });
        let y = spec.tensor(int8("y", vec![1, 2], 1.0, 0));
        spec.op(FULLY_CONNECTED, vec![x, w, b], vec![y], Some((8, vec![(0, Field::I8(0))])));
        spec.inputs = vec![x];
        spec.outputs = vec![y];
        spec.to_bytes()
    };
    let wrapping = model(i32::MAX - 10, 0);
    everything(&wrapping).expect("a sum past int32 runs");
    let graph = model::load(&wrapping).unwrap();
    let kernels = Kernel::prepare_all(&graph).unwrap();
    let Kernel::FullyConnected(fc) = &kernels[0] else { panic!("one FULLY_CONNECTED") };
    let (mut fast, mut reference) = ([0i8; 2], [0i8; 2]);
    fc.eval(&[127; 4], &mut fast);
    fc.eval_reference(&[127; 4], &mut reference);
    // 4 · 127 · 127 on top of a bias 10 below int32's top wraps negative: -128, not 127.
    assert_eq!((fast, reference), ([-128, 127], [-128, 127]));
    let err = everything(&model(0, 1000)).unwrap_err().to_string();
    assert!(err.contains("zero point 1000, outside int8"), "{err}");
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/crash-cbf57184…, a depthwise conv with
/// a mutated bias): a requantized sum near int32's top plus the output zero point overflowed
/// (a panic with overflow checks). TFLM adds them in int32, which wraps, as the fast paths'
/// lanes do; so do the output stages of conv, depthwise, fully connected, ADD, SUB, MEAN and
/// QUANTIZE now. (Release builds wrap silently, so this fails only with overflow checks: a
/// debug `cargo test`, or the fuzz build.)
#[test]
fn output_zero_points_added_past_int32_wrap_as_in_tflm() {
    // The fuzzer's input as found: a switch byte, then the model.
    let found = std::fs::read(common::root().join("tests/data/run-crash-cbf57184.bin")).unwrap();
    everything(&found[1..]).expect("the model runs");
}

/// Found by the `run` fuzz target (fuzz/artifacts/run/crash-db5d3ef5…, a one-conv model whose
/// graph lists no outputs): a patch stage's output buffer lived only through the first tile's
/// step when no later op read it, so the next tile's streamed input was placed over it and
/// the executor's overlap check panicked (`mcupatch run --patch 2x1 --streamed-input` too).
/// The stage output is kept alive through every tile that writes it.
#[test]
fn a_stage_output_lives_through_every_tile_that_writes_it() {
    use mcupatch::session::{Session, Settings};
    let mut rng = StdRng::seed_from_u64(12);
    let (bytes, h) = loop {
        let mut g = Gen::new(&mut rng);
        let x = g.input(8, 3);
        let y = g.conv(x, false);
        if y.h >= 2 {
            g.spec.outputs = vec![];
            break (g.spec.to_bytes(), y.h);
        }
    };
    let mut session = Session::from_tflite(&bytes).expect("a conv with no listed outputs loads");
    let input_bytes = session.model().input.bytes;
    for streamed_input in [false, true] {
        let settings = Settings {
            patch: vec![format!("{h}x1")],
            split: vec!["op0".into()],
            streamed_input,
            ..Settings::default()
        };
        let report = serde_json::to_value(session.plan(&settings).expect("a one-op stage plans")).unwrap();
        let steps = report["patched"]["steps"].as_array().unwrap().len();
        assert_eq!(steps, h, "one step a tile");
        let stage_output = report["patched"]["buffers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["kind"] == "stage-output")
            .expect("the conv's output is the stage output");
        assert_eq!(stage_output["last"], steps - 1, "alive through the last tile: {stage_output}");
        let _ = session.run(&vec![9; input_bytes]);
    }
}

/// `--patch auto --streamed-input` on a model with no [1, H, W, C] map to split (the rank-2
/// QUANTIZE → ADD of issue 12, an audio or dense model) was refused with "no patch plan is
/// legal", while `--patch auto` alone ran it layer by layer: with a streamed input layer by
/// layer is no candidate, and nothing else was. It plans layer by layer now, the frame whole,
/// and says so.
#[test]
fn streamed_auto_without_a_patch_plan_runs_layer_by_layer() {
    use mcupatch::session::{Session, Settings};
    let mut session = Session::from_tflite(&rank_2_requantize_add()).unwrap();
    let input: Vec<u8> = (0..8u8).map(|i| i.wrapping_mul(37)).collect();
    let whole = Settings { patch: vec!["auto".into()], ..Settings::default() };
    session.plan(&whole).unwrap();
    let int8 = |session: &mut Session| -> Vec<Vec<i8>> {
        session.run(&input).unwrap().outputs.into_iter().map(|o| o.int8).collect()
    };
    let expected = int8(&mut session);
    for multi_stage in [false, true] {
        let streamed = Settings { streamed_input: true, multi_stage, ..whole.clone() };
        let plan = session.plan(&streamed).unwrap_or_else(|e| panic!("multi-stage {multi_stage}: {e}"));
        assert!(plan.schedule.stages.is_empty(), "layer by layer");
        assert!(plan.notes.iter().any(|n| n.contains("no patch plan is legal")), "{:?}", plan.notes);
        assert_eq!(int8(&mut session), expected);
    }
}

/// Fuzzing (graph, ADD with a broadcast operand): ADD or MUL of a 1×1 map [1, 1, 1, C] and the
/// [1, C] MEAN of it counted as spatially local — the operand, padded to 4-D, equals the map —
/// so the executor asked for the [1, C] tensor's held region, which it has not: it panicked
/// ("local ops read maps"). An activation operand whose shape is not the output's now makes
/// the op whole-map; both run as in TFLite Micro.
#[test]
fn add_or_mul_of_a_1x1_map_and_its_rank_2_mean_runs_whole_like_tflm() {
    use mcupatch::model::schema::builtin::{MEAN, MUL};
    let mut cases = Vec::new();
    for (name, builtin, tag, swap) in [("add", ADD, 11, false), ("add", ADD, 11, true), ("mul", MUL, 21, true)] {
        let mut spec = ModelSpec::default();
        let x = spec.tensor(int8("x", vec![1, 1, 1, 4], 0.05, 3));
        let axes = [1i32, 2].iter().flat_map(|a| a.to_le_bytes()).collect();
        let axes = spec.tensor(TensorSpec {
            name: "axes".into(),
            shape: vec![2],
            dtype: common::writer::I32,
            data: Some(axes),
            ..Default::default()
        });
        let m = spec.tensor(int8("mean", vec![1, 4], 0.04, -2));
        let y = spec.tensor(int8("y", vec![1, 1, 1, 4], 0.1, 1));
        spec.op(MEAN, vec![x, axes], vec![m], Some((27, vec![(0, Field::Bool(false))])));
        let inputs = if swap { vec![m, x] } else { vec![x, m] };
        spec.op(builtin, inputs, vec![y], Some((tag, vec![(0, Field::I8(0))])));
        spec.inputs = vec![x];
        spec.outputs = vec![y];
        let model = spec.to_bytes();
        let graph = model::load(&model).unwrap();
        let kernels = Kernel::prepare_all(&graph).unwrap();
        assert!(kernels[1].output_map().is_none(), "{name}: an operand that is not the map makes the op whole-map");
        everything(&model).unwrap_or_else(|e| panic!("{name} of a map and its mean runs: {e}"));
        let input: Vec<u8> = (0..4u8).map(|i| i.wrapping_mul(71)).collect();
        cases.push(Case::same_input(format!("{name} of a map and its mean"), model, input, false));
    }
    assert!(check_against_tflm(&cases) >= 9);
}

/// ADD, MUL, SUB and PRELU with a constant operand took its zero point unchecked: a wide one
/// (int64 in the file, 2^31 here) overflowed negating it (`-zero_point`, a panic with overflow
/// checks) or adding it to an element. A constant operand's zero point must lie in int8, as
/// an activation's must.
#[test]
fn constant_operands_with_zero_points_outside_int8_are_refused() {
    use mcupatch::model::schema::builtin::{MUL, PRELU, SUB};
    for (name, builtin, tag) in [("add", ADD, 11), ("mul", MUL, 21), ("sub", SUB, 28), ("prelu", PRELU, 0)] {
        for zp in [1i64 << 31, i64::from(i32::MAX), -(1i64 << 31), 128] {
            let mut spec = ModelSpec::default();
            let x = spec.tensor(int8("x", vec![1, 2, 2, 3], 0.05, 3));
            let mut c = int8("c", vec![3], 0.02, zp);
            c.data = Some(vec![1, 2, 3]);
            let c = spec.tensor(c);
            let y = spec.tensor(int8("y", vec![1, 2, 2, 3], 0.1, 1));
            let options = (tag != 0).then(|| (tag, vec![(0, Field::I8(0))]));
            spec.op(builtin, vec![x, c], vec![y], options);
            spec.inputs = vec![x];
            spec.outputs = vec![y];
            let err = everything(&spec.to_bytes()).expect_err(&format!("{name} with a constant of zero point {zp}"));
            assert!(err.to_string().contains("zero point"), "{name}, {zp}: {err}");
        }
    }
}
