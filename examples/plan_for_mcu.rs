//! Plans a model for an MCU: the planner's choice of patch plan for its SRAM, next to layer
//! by layer, and what is live in SRAM at each plan's peak.
//!
//! `cargo run --release --example plan_for_mcu -- models/visual_wake_words.tflite stm32f411`

use mcupatch::session::{Session, Settings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, mcu] = &args[..] else {
        return Err("usage: plan_for_mcu MODEL.tflite MCU (e.g. stm32f411)".into());
    };
    let mut session = Session::from_tflite(&std::fs::read(model)?)?;
    let settings = Settings {
        mcu: Some(mcu.clone()),
        patch: vec!["auto".into()],
        streamed_input: true,
        in_place_depthwise: true,
        ..Settings::default()
    };
    let plan = session.plan(&settings)?;
    let board = &plan.board;
    println!(
        "{}: {} B SRAM, {:?} B Flash; the model needs {} B of Flash",
        mcu, board.sram, board.flash, board.flash_needed
    );
    for (name, arena) in [("layer by layer", &plan.layer_by_layer), ("chosen plan", &plan.patched)] {
        println!(
            "{name}: peak {} B at op {} {}, {} MACs",
            arena.peak.bytes, arena.peak.op, arena.peak.op_name, arena.macs
        );
        for b in &arena.peak.buffers {
            println!("  {:>7} B at {:>6}  {:?} {:?} {}", b.bytes, b.offset, b.kind, b.shape, b.name);
        }
    }
    for stage in &plan.schedule.stages {
        println!("stage: {}x{} patches ending at {} {:?}", stage.rows, stage.cols, stage.split.name, stage.split.shape);
    }
    println!("fits: {}", board.fits);
    Ok(())
}
