//! Camera or file image → the model's input tensor: centre-crop to a square, resize to the
//! model's H×W, RGB, then quantize with the input tensor's own parameters.

use crate::error::{Error, Result};
use crate::model::{DType, Tensor};
use image::{imageops::FilterType, RgbImage};

/// Centre-crops and resizes to `h`×`w` RGB.
pub fn fit(img: &RgbImage, h: usize, w: usize) -> RgbImage {
    let side = img.width().min(img.height());
    let (x0, y0) = ((img.width() - side) / 2, (img.height() - side) / 2);
    let square = image::imageops::crop_imm(img, x0, y0, side, side).to_image();
    image::imageops::resize(&square, w as u32, h as u32, FilterType::Triangle)
}

/// Decodes a PNG or JPEG file's bytes.
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
    image::load_from_memory(bytes).map(|i| i.to_rgb8()).map_err(|e| Error::Input(format!("cannot decode image: {e}")))
}

/// The [1, H, W, 3] input shape of a model, or an error saying why an image cannot feed it.
pub fn image_size(input: &Tensor) -> Result<(usize, usize)> {
    match input.shape[..] {
        [1, h, w, 3] => Ok((h, w)),
        _ => Err(Error::Input(format!("the model input {:?} is not a [1, H, W, 3] image", input.shape))),
    }
}

/// Converts RGB pixel values (0..=255, taken as the real input values) to the input tensor's
/// bytes: int8 quantized with its parameters (as TFLite's QUANTIZE would), or float32.
pub fn to_input(pixels: &[u8], input: &Tensor) -> Result<Vec<u8>> {
    match (input.dtype, &input.quant) {
        (DType::I8, Some(q)) => {
            let quantize = crate::kernels::quantize::AffineQuantize { scale: q.scale(), zero_point: q.zero_point() };
            Ok(pixels.iter().map(|&p| quantize.quantize(f32::from(p)) as u8).collect())
        }
        (DType::F32, _) => Ok(pixels.iter().flat_map(|&p| f32::from(p).to_le_bytes()).collect()),
        (dtype, _) => {
            Err(Error::Input(format!("cannot feed an image to a {} input without quantization", dtype.name())))
        }
    }
}

/// An image as the model's input bytes.
pub fn image_input(img: &RgbImage, input: &Tensor) -> Result<Vec<u8>> {
    let (h, w) = image_size(input)?;
    to_input(fit(img, h, w).as_raw(), input)
}
