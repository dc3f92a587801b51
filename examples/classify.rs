//! Runs a .tflite image classifier on a photo in a simulated MCU's SRAM.
//!
//! `cargo run --release --example classify -- models/visual_wake_words.tflite data/images/astronaut.png`

use mcupatch::preprocess;
use mcupatch::session::{Session, Settings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, image] = &args[..] else {
        return Err("usage: classify MODEL.tflite IMAGE".into());
    };
    let mut session = Session::from_tflite(&std::fs::read(model)?)?;
    // The STM32F412 of the MCUNetV2 paper; layer by layer, as TFLite Micro runs it.
    let plan = session.plan(&Settings { mcu: Some("stm32f412".into()), ..Settings::default() })?;
    let input = session.image_input(&preprocess::decode(&std::fs::read(image)?)?)?;
    let run = session.run(&input)?;
    match run.verdict {
        true => println!("{image}: {} ({:.2})", run.label, run.score),
        false => {
            println!("{image}: no verdict ({:?}: the first output is not a classification)", session.model().output)
        }
    }
    println!("int8 output {:?}", run.outputs[0].int8);
    println!("peak SRAM {} B of {} B", plan.patched.peak.bytes, plan.board.sram);
    Ok(())
}
