//! The mcupatch command line: inspect a model, run it in a simulated MCU arena.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use mcupatch::arena;
use mcupatch::exec::{Config, Engine, Output};
use mcupatch::kernels::Kernel;
use mcupatch::labels;
use mcupatch::model::{self, Graph};
use mcupatch::preprocess;
use mcupatch::schedule::search::{self, PatchRequest};
use mcupatch::schedule::{InPlace, InputMode, Schedule};
use mcupatch::trace::{BufferEvent, TraceStep};
use mcupatch::zoo;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "mcupatch", version, about = "Int8 TFLite CNNs in a simulated MCU SRAM arena")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-op table: shapes, MACs (layer by layer, and patch-based with --patch), activation
    /// and weight bytes, and the arena peak.
    Inspect {
        model: PathBuf,
        #[command(flatten)]
        memory: Memory,
        #[command(flatten)]
        patching: Patching,
        #[arg(long)]
        json: bool,
    },
    /// Plans every split × grid (1×1 … 8×8) for real and prints the Pareto front of peak SRAM
    /// against MACs, and the cheapest plan that fits the SRAM.
    Plan {
        model: PathBuf,
        #[command(flatten)]
        memory: Memory,
        /// Also plan two patch stages (multi-stage fusion) from the single-stage front.
        #[arg(long)]
        multi_stage: bool,
        #[arg(long)]
        json: bool,
    },
    /// Runs the model on images (or a raw int8 tensor) and prints scores, label and arena peak.
    Run(RunArgs),
    /// Writes a still image as a Y4M clip, for Chromium's fake webcam
    /// (--use-file-for-fake-video-capture): how the page is tested with real photos.
    FakeCamera {
        image: PathBuf,
        out: PathBuf,
        /// Frame size WxH; the photo is scaled to cover it and centre-cropped.
        #[arg(long, default_value = "480x480")]
        size: String,
        #[arg(long, default_value_t = 30)]
        frames: usize,
    },
    /// Builds zoo architectures (synthetic int8 weights) and compares a patch plan with layer
    /// by layer: peak SRAM and where, MAC overhead, input patch, memory per block.
    Analyze(AnalyzeArgs),
}

#[derive(Args)]
struct AnalyzeArgs {
    /// mbv2, mbv2-rd, mbv1 or mcunet; comma-separated to compare side by side.
    #[arg(long, default_value = "mbv2", value_delimiter = ',')]
    arch: Vec<String>,
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    #[arg(long, default_value_t = 224)]
    resolution: usize,
    /// For mcunet: the blocks, e.g. k3e1s1c16,k5e6s2c24,k3e6s1c24 (kernel, expansion,
    /// stride, channels).
    #[arg(long)]
    blocks: Option<String>,
    #[command(flatten)]
    memory: Memory,
    /// The patch plan: as for `run` (default: auto); a split may also be strideN, the end of
    /// the first block at stride N.
    #[command(flatten)]
    patching: Patching,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct Patching {
    /// Patch-based inference: `auto` (the planner's choice for the SRAM) or a grid RxC;
    /// repeat with --split for several stages.
    #[arg(long)]
    patch: Vec<String>,
    /// Where a patch stage ends: opN (op N's output), tN (tensor N) or a tensor name
    /// (default with one RxC: the cheapest split that fits).
    #[arg(long)]
    split: Vec<String>,
    /// Let the planner also consider two patch stages (multi-stage fusion).
    #[arg(long)]
    multi_stage: bool,
}

#[derive(Args)]
struct Memory {
    /// SRAM size, e.g. 256K or 1M (default 256K, or the MCU's).
    #[arg(long, conflicts_with = "mcu")]
    sram: Option<String>,
    /// An MCU preset: stm32f411, stm32f746, stm32h743, nrf52840, rp2040, esp32-s3, arduino-nano-33-ble.
    #[arg(long)]
    mcu: Option<String>,
    /// Keep the model's float input in SRAM and run its QUANTIZE op, as TFLite Micro does
    /// (default: the camera delivers int8 pixels directly).
    #[arg(long)]
    float_input: bool,
    /// In-place depthwise convolutions (TinyEngine): max(in, out) + one channel, not in + out.
    #[arg(long)]
    in_place_depthwise: bool,
    /// In-place 1×1 convolutions that narrow the channels: in + one pixel, not in + out.
    #[arg(long)]
    in_place_pointwise: bool,
    /// In-place residual adds: the sum overwrites the skip input.
    #[arg(long)]
    in_place_add: bool,
    /// The camera delivers each patch's input region instead of the whole frame sitting in
    /// SRAM (MCUNetV2's assumption; needs a patch plan).
    #[arg(long)]
    streamed_input: bool,
}

#[derive(Args)]
struct RunArgs {
    model: PathBuf,
    /// PNG or JPEG files: centre-cropped, resized to the model input, pixel values (see
    /// --pixel-range) quantized with the input's parameters.
    images: Vec<PathBuf>,
    /// Feed a raw tensor (the input's bytes, int8 HWC) instead of an image.
    #[arg(long, conflicts_with = "images")]
    input_raw: Option<PathBuf>,
    /// Write every tensor the run produced (t<index>.bin) and a manifest.json to this folder.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// The real values of pixels 0 and 255 the model was trained on, e.g. 0,1 or -1,1.
    #[arg(long, default_value = "0,255", allow_hyphen_values = true)]
    pixel_range: String,
    /// Class names of the output, comma-separated (default for two classes: person,no person).
    #[arg(long)]
    labels: Option<String>,
    /// Print the arena trace: each step's allocations, frees, live bytes and extent.
    #[arg(long)]
    trace: bool,
    #[command(flatten)]
    memory: Memory,
    #[command(flatten)]
    patching: Patching,
    #[arg(long)]
    json: bool,
}

const DEFAULT_SRAM: usize = 256 * 1024;

impl Memory {
    fn capacity(&self) -> Result<usize> {
        Ok(match (&self.sram, &self.mcu) {
            (Some(s), _) => arena::parse_size(s)?,
            (None, Some(m)) => arena::mcu(m)?.sram,
            (None, None) => DEFAULT_SRAM,
        })
    }

    fn in_place(&self) -> InPlace {
        InPlace { depthwise: self.in_place_depthwise, pointwise: self.in_place_pointwise, add: self.in_place_add }
    }

    fn input(&self) -> InputMode {
        InputMode { float_input: self.float_input, streamed: self.streamed_input }
    }
}

/// The engine for a model with the memory settings and the requested patch plan.
fn engine(graph: Graph, memory: &Memory, patching: &Patching) -> Result<Engine> {
    let capacity = memory.capacity()?;
    let kernels = Kernel::prepare_all(&graph)?;
    let request = PatchRequest::parse(&graph, &patching.patch, &patching.split, patching.multi_stage)?;
    let schedule = search::resolve(&graph, &kernels, &request, memory.input(), memory.in_place(), capacity)?;
    Ok(Engine::new(graph, Config { capacity, input: memory.input(), schedule })?)
}

fn main() {
    let cli = Cli::parse();
    let mut out = String::new();
    let result = match cli.command {
        Command::Inspect { model, memory, patching, json } => inspect(&model, &memory, &patching, json, &mut out),
        Command::Plan { model, memory, multi_stage, json } => plan(&model, &memory, multi_stage, json, &mut out),
        Command::Run(args) => run(&args, &mut out),
        Command::Analyze(args) => analyze(&args, &mut out),
        Command::FakeCamera { image, out: path, size, frames } => fake_camera(&image, &path, &size, frames),
    };
    // A reader that stops early (`| head`) is not an error worth a message.
    let printed = std::io::stdout().write_all(out.as_bytes());
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    if let Err(e) = printed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the output: {e}");
            std::process::exit(1);
        }
    }
}

fn load(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    model::load(&bytes).with_context(|| format!("cannot load {}", path.display()))
}

fn shape_text(shapes: &[Vec<usize>]) -> String {
    shapes.iter().map(|s| s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×")).collect::<Vec<_>>().join(", ")
}

fn inspect(path: &Path, memory: &Memory, patching: &Patching, as_json: bool, out: &mut String) -> Result<()> {
    let engine = engine(load(path)?, memory, patching)?;
    let graph = &engine.graph;
    let mut rows = Vec::new();
    for (i, op) in graph.ops.iter().enumerate() {
        let activation = |ts: &mut dyn Iterator<Item = &usize>| -> Vec<usize> {
            ts.filter(|&&t| !graph.tensors[t].is_constant()).copied().collect()
        };
        let ins = activation(&mut op.inputs.iter().flatten());
        let outs = activation(&mut op.outputs.iter());
        let bytes: usize = ins.iter().chain(&outs).map(|&t| graph.tensors[t].bytes()).sum();
        rows.push(json!({
            "index": i,
            "op": op.kind.name(),
            "inputs": ins.iter().map(|&t| graph.tensors[t].shape.clone()).collect::<Vec<_>>(),
            "outputs": outs.iter().map(|&t| graph.tensors[t].shape.clone()).collect::<Vec<_>>(),
            "macs": engine.kernels[i].macs(),
            "plan_macs": (0..engine.plan.steps.len()).filter(|&s| engine.plan.steps[s].op == i).map(|s| engine.step_macs(s)).sum::<u64>(),
            "activation_bytes": bytes,
            "weight_bytes": Kernel::weight_bytes(graph, op),
            "scheduled": engine.plan.steps.iter().any(|s| s.op == i),
        }));
    }
    let total_weights: u64 = rows.iter().map(|r| r["weight_bytes"].as_u64().unwrap_or(0)).sum();
    let layerwise_macs: u64 =
        rows.iter().filter(|r| r["scheduled"] == true).map(|r| r["macs"].as_u64().unwrap_or(0)).sum();
    let patched = !engine.schedule.stages.is_empty();
    let report = json!({
        "model": path.display().to_string(),
        "schedule": schedule_json(graph, &engine.schedule, engine.input),
        "ops": rows,
        "totals": {
            "macs": engine.macs(),
            "layer_by_layer_macs": layerwise_macs,
            "overhead": engine.macs() as f64 / layerwise_macs.max(1) as f64 - 1.0,
            "weight_bytes": total_weights,
            "peak_activation_bytes": rows.iter().map(|r| r["activation_bytes"].as_u64().unwrap_or(0)).max(),
        },
        "arena": arena_json(&engine),
    });
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>11} {:>10} {:>9}",
        "#",
        "op",
        "input",
        "output",
        "MACs",
        if patched { "patch MACs" } else { "" },
        "act bytes",
        "weights"
    )?;
    for r in report["ops"].as_array().into_iter().flatten() {
        let shapes = |k: &str| -> Vec<Vec<usize>> { serde_json::from_value(r[k].clone()).unwrap_or_default() };
        let note = if r["scheduled"].as_bool() == Some(false) { "  (int8 input: not run)" } else { "" };
        let plan_macs = if patched { r["plan_macs"].as_u64().unwrap_or(0).to_string() } else { String::new() };
        writeln!(
            out,
            "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>11} {:>10} {:>9}{note}",
            r["index"].as_u64().unwrap_or(0),
            r["op"].as_str().unwrap_or(""),
            shape_text(&shapes("inputs")),
            shape_text(&shapes("outputs")),
            r["macs"].as_u64().unwrap_or(0),
            plan_macs,
            r["activation_bytes"].as_u64().unwrap_or(0),
            r["weight_bytes"].as_u64().unwrap_or(0)
        )?;
    }
    let schedule = match engine.schedule.stages.first() {
        Some(st) => format!("{}x{} patches up to tensor {}", st.rows, st.cols, st.split),
        None => "layer-by-layer".into(),
    };
    writeln!(
        out,
        "total: {} MACs ({:+.1}% over layer by layer), {} weight bytes; {schedule} arena peak {} B of {} B ({})",
        engine.macs(),
        report["totals"]["overhead"].as_f64().unwrap_or(0.0) * 100.0,
        total_weights,
        engine.plan.extent,
        engine.capacity(),
        report["arena"]["strategy"].as_str().unwrap_or("")
    )?;
    Ok(())
}

fn arena_json(engine: &Engine) -> Value {
    let plan = &engine.plan;
    let peak_step = plan.peak_step();
    let step = plan.steps.get(peak_step);
    let peak_op = step.map_or(0, |s| s.op);
    json!({
        "capacity": engine.capacity(),
        "peak_bytes": plan.extent,
        "peak_live_bytes": (0..plan.steps.len()).map(|s| plan.live_bytes(s)).max(),
        "peak_op": { "index": peak_op, "op": engine.graph.ops.get(peak_op).map(|o| o.kind.name()) },
        "peak_patch": step.and_then(|s| s.patch),
        "strategy": plan.strategy,
        "input": if engine.input_tensor().dtype == model::DType::F32 { "float32" } else { "int8" },
    })
}

fn schedule_json(graph: &Graph, schedule: &Schedule, input: InputMode) -> Value {
    json!({
        "stages": schedule.stages.iter().map(|st| json!({
            "split": st.split,
            "split_name": graph.tensors[st.split].name,
            "split_shape": graph.tensors[st.split].shape,
            "rows": st.rows,
            "cols": st.cols,
        })).collect::<Vec<_>>(),
        "in_place_depthwise": schedule.in_place.depthwise,
        "in_place_pointwise": schedule.in_place.pointwise,
        "in_place_add": schedule.in_place.add,
        "streamed_input": input.streamed,
    })
}

fn candidate_json(graph: &Graph, c: &search::Candidate, input: InputMode) -> Value {
    json!({
        "schedule": schedule_json(graph, &c.schedule, input),
        "peak_bytes": c.peak.bytes,
        "peak_op": { "index": c.peak.op, "op": c.peak.op_name },
        "peak_patch": c.peak.patch,
        "macs": c.macs,
        "overhead": c.overhead,
        "input_patch": c.input_patch,
    })
}

fn describe(graph: &Graph, c: &search::Candidate) -> String {
    if c.schedule.stages.is_empty() {
        return "layer by layer".into();
    }
    let stage = |st: &mcupatch::schedule::Stage| {
        let shape = &graph.tensors[st.split].shape;
        format!("{}x{} to t{} ({}x{}x{})", st.rows, st.cols, st.split, shape[1], shape[2], shape[3])
    };
    c.schedule.stages.iter().map(stage).collect::<Vec<_>>().join(" + ")
}

fn fake_camera(image: &Path, out: &Path, size: &str, frames: usize) -> Result<()> {
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|&(w, h)| w >= 2 && h >= 2 && w % 2 == 0 && h % 2 == 0)
        .ok_or_else(|| anyhow::anyhow!("size '{size}' is not WxH with even W, H ≥ 2"))?;
    let bytes = std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
    let rgb = preprocess::decode(&bytes)?;
    let frame = preprocess::yuv420(&rgb, w, h);
    let mut clip = format!("YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..frames.max(1) {
        clip.extend_from_slice(b"FRAME\n");
        clip.extend_from_slice(&frame);
    }
    std::fs::write(out, clip).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

fn analyze(args: &AnalyzeArgs, out: &mut String) -> Result<()> {
    let mut models = Vec::new();
    for name in &args.arch {
        let arch = zoo::Arch::parse(name.trim(), args.width, args.resolution, args.blocks.as_deref())?;
        let graph = arch.build();
        let kernels = Kernel::prepare_all(&graph)?;
        let splits = args
            .patching
            .split
            .iter()
            .map(|s| match s.strip_prefix("stride").and_then(|n| n.parse().ok()) {
                Some(stride) => zoo::stride_split(&graph, stride)
                    .map(|t| format!("t{t}"))
                    .ok_or_else(|| anyhow::anyhow!("{name} has no block at stride {stride}")),
                None => Ok(s.clone()),
            })
            .collect::<Result<Vec<_>>>()?;
        let patches =
            if args.patching.patch.is_empty() { vec!["auto".to_string()] } else { args.patching.patch.clone() };
        let request = PatchRequest::parse(&graph, &patches, &splits, args.patching.multi_stage)?;
        let input = args.memory.input();
        let capacity = args.memory.capacity()?;
        let schedule = search::resolve(&graph, &kernels, &request, input, args.memory.in_place(), capacity)?;
        let block = |op: usize| zoo::block_of(&graph, op).to_string();
        let comparison = search::compare(&graph, &kernels, &schedule, input, block)?;
        let weights: usize = graph.ops.iter().map(|op| Kernel::weight_bytes(&graph, op)).sum();
        models.push((name.trim().to_string(), graph, weights, comparison));
    }
    if args.json {
        let report: Vec<Value> = models
            .iter()
            .map(|(name, graph, weights, c)| {
                json!({
                    "arch": name,
                    "width": args.width,
                    "resolution": args.resolution,
                    "weight_bytes": weights,
                    "layer_by_layer": candidate_json(graph, &c.layer_by_layer, InputMode { streamed: false, ..args.memory.input() }),
                    "patched": candidate_json(graph, &c.patched, args.memory.input()),
                    "stage_overhead": c.stage_overhead,
                    "blocks": c.blocks,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&json!({ "models": report }))?)?;
        return Ok(());
    }
    let kib = |b: usize| b as f64 / 1024.0;
    for (name, graph, weights, c) in &models {
        let (l, p) = (&c.layer_by_layer, &c.patched);
        let at = |cand: &search::Candidate| zoo::block_of(graph, cand.peak.op).to_string() + "/" + cand.peak.op_name;
        writeln!(out, "{name} width {} @{}: {} MACs, {} weight bytes", args.width, args.resolution, l.macs, weights)?;
        writeln!(out, "  layer by layer  {:>9} B ({:>7.1} KiB), peak at {}", l.peak.bytes, kib(l.peak.bytes), at(l))?;
        writeln!(
            out,
            "  {:<15} {:>9} B ({:>7.1} KiB), peak at {}; {:.2}x less SRAM",
            describe(graph, p),
            p.peak.bytes,
            kib(p.peak.bytes),
            at(p),
            l.peak.bytes as f64 / p.peak.bytes.max(1) as f64
        )?;
        writeln!(
            out,
            "  MACs +{:.1}% overall, +{:.1}% in the patch stage; input patch {}",
            p.overhead * 100.0,
            c.stage_overhead * 100.0,
            p.input_patch.map_or("-".into(), |(h, w)| format!("{h}x{w}"))
        )?;
        writeln!(out, "  {:<12} {:>14} {:>14}", "block", "layer KiB", "patch KiB")?;
        for b in &c.blocks {
            writeln!(out, "  {:<12} {:>14.1} {:>14.1}", b.block, kib(b.layer_by_layer), kib(b.patched))?;
        }
    }
    Ok(())
}

fn plan(path: &Path, memory: &Memory, multi_stage: bool, as_json: bool, out: &mut String) -> Result<()> {
    let graph = load(path)?;
    let kernels = Kernel::prepare_all(&graph)?;
    let budget = memory.capacity()?;
    let input = memory.input();
    let all = match multi_stage {
        true => search::explore_multi(&graph, &kernels, input, memory.in_place())?,
        false => search::explore(&graph, &kernels, input, memory.in_place())?,
    };
    let layerwise = search::layer_by_layer(&graph, &kernels, input, memory.in_place())?;
    let front = search::pareto(&all);
    let choice = search::choose(&all, budget);
    if as_json {
        let report = json!({
            "model": path.display().to_string(),
            "budget": budget,
            "candidates": all.len(),
            "layer_by_layer": candidate_json(&graph, &layerwise, InputMode { streamed: false, ..input }),
            "front": front.iter().map(|c| candidate_json(&graph, c, input)).collect::<Vec<_>>(),
            "choice": choice.as_ref().map(|(c, fits)| {
                let mut v = candidate_json(&graph, c, input);
                v["fits"] = json!(fits);
                v
            }),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} plans for real ({} input{}{}{}{}); layer by layer: {} B peak, {} MACs",
        all.len(),
        if input.float_input { "float" } else { "int8" },
        if input.streamed { ", streamed" } else { ", whole frame in SRAM" },
        if memory.in_place_depthwise { ", in-place depthwise" } else { "" },
        if memory.in_place_pointwise { ", in-place 1x1" } else { "" },
        if memory.in_place_add { ", in-place add" } else { "" },
        layerwise.peak.bytes,
        layerwise.macs
    )?;
    writeln!(out, "Pareto front (peak SRAM vs MACs):")?;
    writeln!(out, "  {:<40} {:>9} {:>12} {:>9} {:>10}  peak at", "plan", "peak B", "MACs", "overhead", "in patch")?;
    for c in &front {
        let patch = c.input_patch.map_or(String::new(), |(h, w)| format!("{h}x{w}"));
        let at = match c.peak.patch {
            Some((stage, r, col)) => format!("op {} {} patch {stage}:{r},{col}", c.peak.op, c.peak.op_name),
            None => format!("op {} {}", c.peak.op, c.peak.op_name),
        };
        writeln!(
            out,
            "  {:<40} {:>9} {:>12} {:>8.1}% {:>10}  {at}",
            describe(&graph, c),
            c.peak.bytes,
            c.macs,
            c.overhead * 100.0,
            patch
        )?;
    }
    match choice {
        Some((c, true)) => writeln!(
            out,
            "choice for {budget} B: {} — {} B peak, {:.1}% more MACs",
            describe(&graph, &c),
            c.peak.bytes,
            c.overhead * 100.0
        )?,
        Some((c, false)) => {
            writeln!(out, "nothing fits {budget} B; the smallest peak is {} B: {}", c.peak.bytes, describe(&graph, &c))?
        }
        None => writeln!(out, "no plan")?,
    }
    Ok(())
}

fn run(args: &RunArgs, out: &mut String) -> Result<()> {
    let mut engine = engine(load(&args.model)?, &args.memory, &args.patching)?;
    let pixel_range = preprocess::PixelRange::parse(&args.pixel_range)?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(raw) = &args.input_raw {
        let bytes = std::fs::read(raw).with_context(|| format!("cannot read {}", raw.display()))?;
        inputs.push((raw.display().to_string(), bytes));
    }
    for path in &args.images {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let img = preprocess::decode(&bytes).with_context(|| path.display().to_string())?;
        inputs.push((path.display().to_string(), preprocess::image_input(&img, engine.input_tensor(), pixel_range)?));
    }
    if inputs.is_empty() {
        bail!("give one or more images, or --input-raw FILE");
    }
    let mut results = Vec::new();
    for (i, (name, input)) in inputs.iter().enumerate() {
        let outputs = match &args.dump {
            Some(dir) => {
                let dir = if inputs.len() > 1 { dir.join(format!("{i}")) } else { dir.clone() };
                dump(&mut engine, input, &dir)?;
                engine.run(input)?
            }
            None => engine.run(input)?,
        };
        results.push(result_json(args, &engine, name, &outputs));
    }
    if args.json {
        let value = if results.len() == 1 { results.remove(0) } else { Value::Array(results) };
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    for r in &results {
        writeln!(
            out,
            "{}: {} ({:.3})",
            r["input"].as_str().unwrap_or(""),
            r["label"].as_str().unwrap_or(""),
            r["score"].as_f64().unwrap_or(0.0)
        )?;
        for o in r["outputs"].as_array().into_iter().flatten() {
            writeln!(out, "  output int8 {}  scores {}", o["int8"], o["dequantized"])?;
        }
    }
    writeln!(
        out,
        "arena: peak {} B of {} B SRAM ({} input), {} MACs",
        engine.plan.extent,
        engine.capacity(),
        arena_json(&engine)["input"].as_str().unwrap_or(""),
        engine.macs()
    )?;
    for st in &engine.schedule.stages {
        let shape = &engine.graph.tensors[st.split].shape;
        writeln!(
            out,
            "patch stage: {}x{} patches up to tensor {} ({}, {}x{}x{}){}{}{}{}",
            st.rows,
            st.cols,
            st.split,
            engine.graph.tensors[st.split].name,
            shape[1],
            shape[2],
            shape[3],
            if engine.input.streamed { ", input streamed" } else { "" },
            if engine.schedule.in_place.depthwise { ", in-place depthwise" } else { "" },
            if engine.schedule.in_place.pointwise { ", in-place 1x1" } else { "" },
            if engine.schedule.in_place.add { ", in-place add" } else { "" }
        )?;
    }
    if args.trace {
        print_trace(&engine.trace(), out)?;
    }
    Ok(())
}

fn result_json(args: &RunArgs, engine: &Engine, name: &str, outputs: &[Output]) -> Value {
    let scores = outputs.first().map(|o| o.dequantized.clone()).unwrap_or_default();
    let best = labels::best(&scores).unwrap_or(0);
    let names = labels::names(args.labels.as_deref(), scores.len());
    let mut value = json!({
        "input": name,
        "outputs": outputs,
        "label": names.get(best).cloned().unwrap_or_else(|| format!("class {best}")),
        "score": scores.get(best),
        "arena": arena_json(engine),
        "schedule": schedule_json(&engine.graph, &engine.schedule, engine.input),
        "macs": engine.macs(),
    });
    if args.trace {
        value["trace"] = json!(engine.trace());
    }
    value
}

fn dump(engine: &mut Engine, input: &[u8], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let mut error = None;
    engine.run_with(input, |t, bytes| {
        if let Err(e) = std::fs::write(dir.join(format!("t{t}.bin")), bytes) {
            error.get_or_insert(e);
        }
        written.push(t);
    })?;
    if let Some(e) = error {
        bail!("cannot write to {}: {e}", dir.display());
    }
    let tensors: Vec<Value> = written
        .iter()
        .map(|&t| {
            let tensor = &engine.graph.tensors[t];
            json!({
                "index": t,
                "file": format!("t{t}.bin"),
                "name": tensor.name,
                "shape": tensor.shape,
                "dtype": tensor.dtype,
                "scale": tensor.quant.as_ref().map(|q| q.scale()),
                "zero_point": tensor.quant.as_ref().map(|q| q.zero_point()),
            })
        })
        .collect();
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&json!({ "tensors": tensors }))?)?;
    Ok(())
}

fn print_trace(trace: &[TraceStep], out: &mut String) -> Result<()> {
    writeln!(
        out,
        "{:>5} {:>3}  {:<18} {:<9} {:<18} {:>9} {:>9}  allocations / frees",
        "step", "op", "", "patch", "region", "live B", "extent B"
    )?;
    for s in trace {
        let list = |events: &[BufferEvent]| {
            let name = |e: &BufferEvent| e.tensors.first().map_or_else(|| "scratch".to_string(), |t| format!("t{t}"));
            events.iter().map(|e| format!("{}@{}+{}", name(e), e.offset, e.size)).collect::<Vec<_>>().join(" ")
        };
        let patch = s.patch.map_or(String::new(), |p| format!("{}:{},{}", p.stage, p.row, p.col));
        let region = s.region.map_or(String::new(), |r| format!("[{},{})x[{},{})", r.y0, r.y1, r.x0, r.x1));
        writeln!(
            out,
            "{:>5} {:>3}  {:<18} {:<9} {:<18} {:>9} {:>9}  +[{}] -[{}]",
            s.step,
            s.op_index,
            s.op,
            patch,
            region,
            s.live_bytes,
            s.extent,
            list(&s.alloc),
            list(&s.free)
        )?;
    }
    Ok(())
}
