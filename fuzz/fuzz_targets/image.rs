//! (e) Image bytes (PNG, JPEG, anything) decoded and fitted to a model input (RGB or one
//! channel, any range rule), and raw RGBA camera frames of any declared size.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcupatch::model::{DType, Quant, Tensor};
use mcupatch::preprocess::{self, InputRange, PixelRange, RangeRule, MIN_GRAY_SIDE};

fuzz_target!(|data: &[u8]| {
    let [a, b, c, d, rest @ ..] = data else { return };
    // RGB of any size, or one channel (luminance) at least MIN_GRAY_SIDE a side.
    let gray = a % 3 == 0;
    let side = |x: u8| if gray { MIN_GRAY_SIDE + usize::from(x % 16) } else { usize::from(x % 16) + 1 };
    let (h, w) = (side(*a), side(*b));
    let quant = Quant { scales: vec![0.5 + f32::from(*c) / 64.0], zero_points: vec![i64::from(*d as i8)], axis: 0 };
    let dtype = if c % 2 == 0 { DType::I8 } else { DType::F32 };
    let input = Tensor {
        name: "input".into(),
        shape: vec![1, h, w, if gray { 1 } else { 3 }],
        dtype,
        quant: Some(quant),
        data: None,
    };
    let range = match d % 3 {
        0 => InputRange::settings(PixelRange::default()),
        1 => InputRange::settings(PixelRange { lo: -1.0, hi: 1.0 }),
        _ => InputRange { lo: 0.0, hi: 1.0, standardize: true, rule: RangeRule::Metadata },
    };
    if let Ok(img) = preprocess::decode(rest) {
        let bytes = preprocess::image_input(&img, &input, &range).expect("a decoded image fits any image input");
        assert_eq!(bytes.len(), input.bytes());
    }
    // The first bytes as a frame size: most sizes do not match the data and must be refused.
    let (fw, fh) = (u32::from(*a) * 7 + u32::from(*c), u32::from(*b) + u32::from(*d) * 3);
    if let Ok(bytes) = preprocess::rgba_input(rest, fw, fh, &input, &range) {
        assert_eq!(bytes.len(), input.bytes());
    }
});
