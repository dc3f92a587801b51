//! The mcupatch command line: inspect a model, run it in a simulated MCU arena.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use mcupatch::arena;
use mcupatch::exec::{Config, Engine, Output};
use mcupatch::kernels::Kernel;
use mcupatch::labels;
use mcupatch::model::{self, Graph};
use mcupatch::preprocess;
use mcupatch::schedule::InputMode;
use mcupatch::trace::{BufferEvent, TraceStep};
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
    /// Per-op table: shapes, MACs, activation and weight bytes, and the arena peak.
    Inspect {
        model: PathBuf,
        #[command(flatten)]
        memory: Memory,
        #[arg(long)]
        json: bool,
    },
    /// Runs the model on images (or a raw int8 tensor) and prints scores, label and arena peak.
    Run(RunArgs),
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
    #[arg(long)]
    json: bool,
}

const DEFAULT_SRAM: usize = 256 * 1024;

impl Memory {
    fn config(&self) -> Result<Config> {
        let capacity = match (&self.sram, &self.mcu) {
            (Some(s), _) => arena::parse_size(s)?,
            (None, Some(m)) => arena::mcu(m)?.sram,
            (None, None) => DEFAULT_SRAM,
        };
        Ok(Config { capacity, input: InputMode { float_input: self.float_input, ..Default::default() }, ..Default::default() })
    }
}

fn main() {
    let cli = Cli::parse();
    let mut out = String::new();
    let result = match cli.command {
        Command::Inspect { model, memory, json } => inspect(&model, &memory, json, &mut out),
        Command::Run(args) => run(&args, &mut out),
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

fn inspect(path: &Path, memory: &Memory, as_json: bool, out: &mut String) -> Result<()> {
    let graph = load(path)?;
    let engine = Engine::new(graph, memory.config()?)?;
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
            "activation_bytes": bytes,
            "weight_bytes": Kernel::weight_bytes(graph, op),
            "scheduled": engine.plan.steps.iter().any(|s| s.op == i),
        }));
    }
    let total_weights: u64 = rows.iter().map(|r| r["weight_bytes"].as_u64().unwrap_or(0)).sum();
    let report = json!({
        "model": path.display().to_string(),
        "ops": rows,
        "totals": {
            "macs": engine.macs(),
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
        "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>10} {:>9}",
        "#", "op", "input", "output", "MACs", "act bytes", "weights"
    )?;
    for r in report["ops"].as_array().into_iter().flatten() {
        let shapes = |k: &str| -> Vec<Vec<usize>> { serde_json::from_value(r[k].clone()).unwrap_or_default() };
        let note = if r["scheduled"].as_bool() == Some(false) { "  (int8 input: not run)" } else { "" };
        writeln!(
            out,
            "{:>3}  {:<18} {:<22} {:<16} {:>11} {:>10} {:>9}{note}",
            r["index"].as_u64().unwrap_or(0),
            r["op"].as_str().unwrap_or(""),
            shape_text(&shapes("inputs")),
            shape_text(&shapes("outputs")),
            r["macs"].as_u64().unwrap_or(0),
            r["activation_bytes"].as_u64().unwrap_or(0),
            r["weight_bytes"].as_u64().unwrap_or(0)
        )?;
    }
    writeln!(
        out,
        "total: {} MACs, {} weight bytes; layer-by-layer arena peak {} B of {} B ({})",
        engine.macs(),
        total_weights,
        engine.plan.extent,
        engine.capacity(),
        report["arena"]["strategy"].as_str().unwrap_or("")
    )?;
    Ok(())
}

fn arena_json(engine: &Engine) -> Value {
    let peak_step = (0..engine.plan.steps.len()).max_by_key(|&s| engine.plan.live_bytes(s)).unwrap_or(0);
    let peak_op = engine.plan.steps.get(peak_step).map(|s| s.op).unwrap_or(0);
    json!({
        "capacity": engine.capacity(),
        "peak_bytes": engine.plan.extent,
        "peak_live_bytes": engine.plan.live_bytes(peak_step),
        "peak_op": { "index": peak_op, "op": engine.graph.ops.get(peak_op).map(|o| o.kind.name()) },
        "strategy": engine.plan.strategy,
        "input": if engine.input_tensor().dtype == model::DType::F32 { "float32" } else { "int8" },
    })
}

fn run(args: &RunArgs, out: &mut String) -> Result<()> {
    let graph = load(&args.model)?;
    let mut engine = Engine::new(graph, args.memory.config()?)?;
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
