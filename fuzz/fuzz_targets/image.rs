//! (e) Image bytes (PNG, JPEG, anything) decoded and fitted to a model input, and raw RGBA
//! camera frames of any declared size.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcupatch::model::{DType, Quant, Tensor};
use mcupatch::preprocess::{self, PixelRange};

fuzz_target!(|data: &[u8]| {
    let [a, b, c, d, rest @ ..] = data else { return };
    let (h, w) = (usize::from(a % 16) + 1, usize::from(b % 16) + 1);
    let quant = Quant { scales: vec![0.5 + f32::from(*c) / 64.0], zero_points: vec![i64::from(*d as i8)], axis: 0 };
    let dtype = if c % 2 == 0 { DType::I8 } else { DType::F32 };
    let input = Tensor { name: "input".into(), shape: vec![1, h, w, 3], dtype, quant: Some(quant), data: None };
    let range = if d % 2 == 0 { PixelRange::default() } else { PixelRange { lo: -1.0, hi: 1.0 } };
    if let Ok(img) = preprocess::decode(rest) {
        let bytes = preprocess::image_input(&img, &input, range).expect("a decoded image fits any [1, H, W, 3] input");
        assert_eq!(bytes.len(), input.bytes());
    }
    // The first bytes as a frame size: most sizes do not match the data and must be refused.
    let (fw, fh) = (u32::from(*a) * 7 + u32::from(*c), u32::from(*b) + u32::from(*d) * 3);
    if let Ok(bytes) = preprocess::rgba_input(rest, fw, fh, &input, range) {
        assert_eq!(bytes.len(), input.bytes());
    }
});
