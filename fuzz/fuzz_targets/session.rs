//! (d) What the page and the CLI do, natively, through the library's front door
//! (`mcupatch::session::Session`): a model (structured, or raw bytes), then a sequence of
//! settings changes, camera frames of any declared size, runs and exactness checks, as a tab
//! would send them. Every call returns a report or an error, and a session that refused a
//! call stays usable.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcupatch::session::{HaloChoice, Session, Settings};
use mcupatch_fuzz::spec;

#[derive(Arbitrary, Debug)]
enum Source {
    Spec(spec::Model),
    Bytes(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Raw(String),
}

impl Text {
    fn pick(&self, known: &[&str]) -> String {
        match self {
            Text::Known(i) => known[usize::from(*i) % known.len()].to_string(),
            Text::Raw(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct FuzzSettings {
    mcu: Option<Text>,
    sram: Option<u32>,
    flash: Option<u32>,
    switches: u8,
    patch: Vec<Text>,
    split: Vec<Text>,
    pixel_range: Option<[f32; 2]>,
    labels: Option<Vec<String>>,
}

impl FuzzSettings {
    fn settings(&self) -> Settings {
        let bit = |i: u8| self.switches & (1 << i) != 0;
        const MCUS: &[&str] = &["stm32f411", "stm32f746", "stm32h743", "nrf52840", "rp2040", "esp32-s3"];
        const PATCHES: &[&str] = &["auto", "1x1", "2x2", "3x3", "2x4", "8x8", "9x9", "0x2"];
        const SPLITS: &[&str] = &["op0", "op1", "op2", "op3", "t1", "t2", "t5", "stride2", "stride4", "stride8"];
        Settings {
            mcu: self.mcu.as_ref().map(|m| m.pick(MCUS)),
            sram: self.sram.map(|s| s as usize),
            flash: self.flash.map(|s| s as usize),
            float_input: bit(0),
            streamed_input: bit(1),
            in_place_depthwise: bit(2),
            in_place_pointwise: bit(3),
            in_place_add: bit(4),
            multi_stage: bit(5),
            patch: self.patch.iter().take(3).map(|p| p.pick(PATCHES)).collect(),
            split: self.split.iter().take(3).map(|s| s.pick(SPLITS)).collect(),
            pixel_range: self.pixel_range,
            labels: self.labels.clone(),
            halo: match (bit(6), bit(7)) {
                (false, _) => HaloChoice::Recompute,
                (true, false) => HaloChoice::Cache,
                (true, true) => HaloChoice::Auto,
            },
            ..Settings::default()
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Action {
    Plan(FuzzSettings),
    Run { seed: u8, extra: i8 },
    Frame { width: u16, height: u16, fill: u8, short: u8 },
    CheckExact(u8),
    Tensor(u16),
    InputTensor,
    Heat,
}

#[derive(Arbitrary, Debug)]
struct Input {
    source: Source,
    actions: Vec<Action>,
}

fuzz_target!(|input: Input| {
    let bytes = match &input.source {
        Source::Spec(m) => spec::build(m),
        Source::Bytes(b) => b.clone(),
    };
    let Ok(mut session) = Session::from_tflite(&bytes) else { return };
    let _ = session.model();
    for action in input.actions.iter().take(8) {
        match action {
            Action::Plan(s) => {
                let _ = session.plan(&s.settings());
            }
            Action::Run { seed, extra } => {
                let Ok(t) = session.input_tensor() else { continue };
                let len = (t.bytes as i64 + i64::from(*extra).clamp(-1, 1) * i64::from(*extra % 2)).max(0) as usize;
                let _ = session.run(&mcupatch_fuzz::input_bytes(len.min(1 << 22), *seed));
            }
            Action::Frame { width, height, fill, short } => {
                let n = (usize::from(*width) * usize::from(*height) * 4).saturating_sub(usize::from(*short % 2));
                if n <= 1 << 22 {
                    if let Ok(frame) = session.rgba_input(&vec![*fill; n], u32::from(*width), u32::from(*height)) {
                        let _ = session.run(&frame);
                    }
                }
            }
            Action::CheckExact(seed) => {
                if let Ok(t) = session.input_tensor() {
                    let _ = session.check_exact(&mcupatch_fuzz::input_bytes(t.bytes.min(1 << 22), *seed));
                }
            }
            Action::Tensor(i) => {
                let _ = session.tensor(usize::from(*i));
            }
            Action::InputTensor => {
                let _ = session.input_tensor();
            }
            Action::Heat => {
                let _ = session.heat();
            }
        }
    }
});
