//! Camera or file image → the model's input tensor: centre-crop to the input's aspect (H:W),
//! resize to its H×W, RGB (or BT.601 luminance for a one-channel input), pixels mapped to the
//! real values the model expects ([`InputRange`]), then quantized with the input tensor's own
//! parameters.
#![warn(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::files::read_file;
use crate::model::metadata::ModelMetadata;
use crate::model::{DType, Tensor};
use crate::quant::affine::AffineQuantize;
use image::{imageops::FilterType, ImageDecoder, ImageReader, RgbImage};
use serde::Serialize;
use std::io::Cursor;
use std::path::Path;

/// Most pixels of an image or camera frame (an 8K frame has 33.2 M): checked from the
/// header before anything is decoded, so a small file that declares a huge image is cheap.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 25;
/// Most bytes the image decoder may allocate (a 16-bit RGBA image at the pixel limit).
pub const MAX_DECODE_BYTES: u64 = 8 * MAX_IMAGE_PIXELS;
/// Largest image file read.
pub const MAX_IMAGE_FILE_BYTES: u64 = 64 << 20;

/// Reads and decodes an image file within [`MAX_IMAGE_FILE_BYTES`] and [`MAX_IMAGE_PIXELS`].
pub fn read_image(path: &Path) -> Result<RgbImage> {
    decode(&read_file(path, MAX_IMAGE_FILE_BYTES)?)
}

/// A frame or image size against [`MAX_IMAGE_PIXELS`]; zero sides are refused too.
pub fn check_frame_size(width: u64, height: u64) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::Input(format!("a {width}×{height} image has no pixels")));
    }
    let pixels = width.saturating_mul(height);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(Error::Limit {
            what: format!("the pixels of a {width}×{height} image"),
            value: pixels,
            limit: MAX_IMAGE_PIXELS,
        });
    }
    Ok(())
}

/// Centre-crops to the aspect `w`:`h` (the largest such rectangle in the middle of the image)
/// and resizes to `h`×`w` RGB.
pub fn fit(img: &RgbImage, h: usize, w: usize) -> RgbImage {
    let (iw, ih) = (u64::from(img.width()), u64::from(img.height()));
    let (h64, w64) = (h.max(1) as u64, w.max(1) as u64);
    // The crop is as wide as the image when the image is taller than the aspect, else as tall.
    let (cw, ch) = match iw * h64 <= ih * w64 {
        true => (iw, (iw * h64 / w64).max(1)),
        false => ((ih * w64 / h64).max(1), ih),
    };
    let (cw, ch) = (cw.min(iw) as u32, ch.min(ih) as u32);
    let (x0, y0) = ((img.width() - cw) / 2, (img.height() - ch) / 2);
    let crop = image::imageops::crop_imm(img, x0, y0, cw, ch).to_image();
    image::imageops::resize(&crop, w as u32, h as u32, FilterType::Triangle)
}

/// BT.601 luminance of an RGB pixel, rounded: 0.299 R + 0.587 G + 0.114 B.
pub fn luminance([r, g, b]: [u8; 3]) -> u8 {
    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)).round() as u8
}

/// Decodes a PNG or JPEG file's bytes, turned upright as its EXIF orientation says (a phone
/// photo held sideways). The size the header declares is checked against
/// [`MAX_IMAGE_PIXELS`] before decoding (a decompression bomb is refused at once), the
/// decoder may allocate at most [`MAX_DECODE_BYTES`], and a JPEG cut short is refused (its
/// decoder would fill the missing rows with grey).
pub fn decode(bytes: &[u8]) -> Result<RgbImage> {
    let bad = |e: image::ImageError| Error::Input(format!("cannot decode image: {e}"));
    let reader = || ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(e.into()));
    let (width, height) = reader()?.into_dimensions().map_err(bad)?;
    check_frame_size(u64::from(width), u64::from(height))?;
    let mut reader = reader()?;
    if reader.format() == Some(image::ImageFormat::Jpeg) && !jpeg_is_whole(bytes) {
        return Err(Error::Input(format!(
            "this JPEG is cut short: its {} bytes end before the image does (no end-of-image marker after its last scan)",
            bytes.len()
        )));
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().map_err(bad)?;
    let mut image = image::DynamicImage::from_decoder(decoder).map_err(bad)?;
    image.apply_orientation(orientation);
    Ok(image.to_rgb8())
}

/// A JPEG's last scan (its last start-of-scan marker, FF DA) is followed by the end-of-image
/// marker (FF D9). Inside scan data every FF byte is stuffed or a restart marker, so FF D9
/// there is the real end; an EXIF thumbnail's own markers come before the main image's scan.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let marker = |m: u8| move |w: &[u8]| w == [0xFF, m];
    match bytes.windows(2).rposition(marker(0xDA)) {
        Some(scan) => bytes.get(scan..).is_some_and(|rest| rest.windows(2).any(marker(0xD9))),
        None => false,
    }
}

/// The smallest side of a one-channel input taken for an image: narrower ones are a
/// keyword spotter's 49×10 spectrogram, an accelerometer's 128×3 window.
pub const MIN_GRAY_SIDE: usize = 16;

/// The image a model's input takes: [1, H, W, 3] (RGB) or [1, H, W, 1] (luminance, both sides
/// at least [`MIN_GRAY_SIDE`]), as (H, W, channels), or an error saying why an image cannot
/// feed it.
pub fn image_size(input: &Tensor) -> Result<(usize, usize, usize)> {
    match *input.shape.as_slice() {
        [1, h, w, 1] if h.min(w) < MIN_GRAY_SIDE => Err(Error::Input(format!(
            "the model input {:?} is one channel of {h}×{w}: under {MIN_GRAY_SIDE} pixels a side it is not taken for an image (a spectrogram or a sensor's window?); feed it with --input-raw",
            input.shape
        ))),
        [1, h, w, c @ (1 | 3)] => {
            check_frame_size(h as u64, w as u64)?;
            Ok((h, w, c))
        }
        _ => Err(Error::Input(format!(
            "the model input {:?} is not an image: [1, H, W, 3] (RGB) or [1, H, W, 1] (grayscale)",
            input.shape
        ))),
    }
}

/// The real values pixels 0 and 255 stand for, as the model was trained: 0..255 for the
/// Visual Wake Words model (the default), 0..1 or -1..1 for many others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelRange {
    /// The real value of pixel 0.
    pub lo: f32,
    /// The real value of pixel 255.
    pub hi: f32,
}

impl Default for PixelRange {
    fn default() -> Self {
        PixelRange { lo: 0.0, hi: 255.0 }
    }
}

impl PixelRange {
    /// Parses `LO,HI`, e.g. `-1,1`.
    pub fn parse(text: &str) -> Result<PixelRange> {
        let bad = || Error::Setting(format!("pixel range '{text}' is not LO,HI with LO < HI (e.g. 0,1)"));
        let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
        let (lo, hi): (f32, f32) = (lo.trim().parse().map_err(|_| bad())?, hi.trim().parse().map_err(|_| bad())?);
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return Err(bad());
        }
        // The span must be finite too: -3e38,3e38 would make every pixel infinite.
        if !(hi - lo).is_finite() {
            return Err(Error::Setting(format!(
                "pixel range '{text}' spans more than a float holds (HI − LO is infinite)"
            )));
        }
        Ok(PixelRange { lo, hi })
    }

    /// The real value of pixel `p` (exactly `p` for the default range). Where the f32
    /// product `p × (HI − LO)` overflows (wide ranges that parse, e.g. -1.7e38,1.7e38, turned
    /// every pixel from 2 up into +inf), the value is computed in f64; every other range keeps
    /// its f32 values bit for bit.
    pub fn real(&self, p: u8) -> f32 {
        let value = self.lo + f32::from(p) * (self.hi - self.lo) / 255.0;
        if value.is_finite() {
            return value;
        }
        let (lo, hi) = (f64::from(self.lo), f64::from(self.hi));
        (lo + f64::from(p) * (hi - lo) / 255.0) as f32
    }
}

/// Which rule chose the real values pixels map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeRule {
    /// The user's `pixel_range` (CLI `--pixel-range`).
    Settings,
    /// The model's metadata asks for a normalisation (MLTK's `samplewise_norm.*`, TFLite
    /// Support's `NormalizationOptions`).
    Metadata,
    /// The int8 input's representable range: q from −128 to 127 is real
    /// (−128 − zero point) × scale to (127 − zero point) × scale, so pixel p feeds q = p − 128.
    Quantization,
    /// No metadata and no int8 input: pixels as they are, 0..255.
    Default,
}

/// The real values an image's pixels become before the input's quantization: pixel p is
/// `lo + p × (hi − lo) / 255`; with `standardize`, each image's values then have their mean
/// subtracted and are divided by their standard deviation (MLTK's
/// `samplewise_norm.mean_and_std`; a flat image, whose deviation is 0, becomes all zeros).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InputRange {
    /// The real value of pixel 0.
    pub lo: f32,
    /// The real value of pixel 255.
    pub hi: f32,
    /// Each image standardized after the mapping (which then no longer matters).
    pub standardize: bool,
    /// The rule that chose this.
    pub rule: RangeRule,
}

impl Default for InputRange {
    /// 0..255, pixels as they are.
    fn default() -> Self {
        InputRange { lo: 0.0, hi: 255.0, standardize: false, rule: RangeRule::Default }
    }
}

impl InputRange {
    /// The user's range.
    pub fn settings(range: PixelRange) -> InputRange {
        InputRange { lo: range.lo, hi: range.hi, standardize: false, rule: RangeRule::Settings }
    }

    /// The range a model expects: its metadata's normalisation, else its int8 input's
    /// representable range (`quantized`: the int8 tensor a run fills, if the model's input is
    /// one or is quantized by its first op), else 0..255.
    pub fn of_model(metadata: &ModelMetadata, quantized: Option<&Tensor>) -> InputRange {
        let range = |lo: f32, hi: f32, rule| InputRange { lo, hi, standardize: false, rule };
        if metadata.mean_and_std {
            return InputRange { standardize: true, ..range(0.0, 255.0, RangeRule::Metadata) };
        }
        if let Some(factor) = metadata.rescale {
            return range(0.0, 255.0 * factor, RangeRule::Metadata);
        }
        if let Some((mean, std)) = metadata.normalization {
            return range(-mean / std, (255.0 - mean) / std, RangeRule::Metadata);
        }
        match quantized.and_then(|t| t.quant.as_ref().filter(|_| t.dtype == DType::I8)) {
            Some(q) if q.scale() > 0.0 && q.scale().is_finite() => {
                let real = |v: i32| (v - q.zero_point()) as f32 * q.scale();
                range(real(-128), real(127), RangeRule::Quantization)
            }
            _ => range(0.0, 255.0, RangeRule::Default),
        }
    }

    fn pixels(&self) -> PixelRange {
        PixelRange { lo: self.lo, hi: self.hi }
    }

    /// The real values of `pixels` (standardized over all of them if asked).
    pub fn reals(&self, pixels: &[u8]) -> Vec<f32> {
        let range = self.pixels();
        let mut values: Vec<f32> = pixels.iter().map(|&p| range.real(p)).collect();
        if self.standardize && !values.is_empty() {
            let n = values.len() as f64;
            let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
            let std = var.sqrt();
            for v in &mut values {
                *v = match std > 0.0 {
                    true => ((f64::from(*v) - mean) / std) as f32,
                    false => 0.0,
                };
            }
        }
        values
    }
}

/// Converts pixel values (RGB or luminance, as the input's channels) to the input tensor's
/// bytes: their real values (`range`) int8-quantized with the tensor's parameters (as TFLite's
/// QUANTIZE would), or float32.
pub fn to_input(pixels: &[u8], input: &Tensor, range: &InputRange) -> Result<Vec<u8>> {
    match (input.dtype, &input.quant) {
        (DType::I8, Some(q)) => {
            let quantize = AffineQuantize { scale: q.scale(), zero_point: q.zero_point() };
            Ok(range.reals(pixels).into_iter().map(|v| quantize.quantize(v) as u8).collect())
        }
        (DType::F32, _) => Ok(range.reals(pixels).into_iter().flat_map(f32::to_le_bytes).collect()),
        (dtype, _) => {
            Err(Error::Input(format!("cannot feed an image to a {} input without quantization", dtype.name())))
        }
    }
}

/// A camera frame (RGBA, row-major, `width` × `height`) as the model's input bytes: the same
/// centre crop, resize, luminance and quantization as for an image file.
pub fn rgba_input(rgba: &[u8], width: u32, height: u32, input: &Tensor, range: &InputRange) -> Result<Vec<u8>> {
    check_frame_size(u64::from(width), u64::from(height))?;
    let needed = u64::from(width) * u64::from(height) * 4;
    if rgba.len() as u64 != needed {
        return Err(Error::Input(format!("a {width}×{height} RGBA frame needs {needed} bytes, got {}", rgba.len())));
    }
    let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| p.iter().take(3).copied()).collect();
    let img = RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| Error::Input(format!("a {width}×{height} frame does not hold its pixels")))?;
    image_input(&img, input, range)
}

/// An image as the model's input bytes.
pub fn image_input(img: &RgbImage, input: &Tensor, range: &InputRange) -> Result<Vec<u8>> {
    let (h, w, channels) = image_size(input)?;
    let fitted = fit(img, h, w);
    match channels {
        1 => {
            let luma: Vec<u8> = fitted.pixels().map(|p| luminance(p.0)).collect();
            to_input(&luma, input, range)
        }
        _ => to_input(fitted.as_raw(), input, range),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that indexes out of range fails, as it should
mod tests {
    use super::*;

    /// A JPEG of `img` carrying an EXIF orientation tag, as a phone writes one.
    fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
        let mut plain = Vec::new();
        img.write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg).unwrap();
        // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112, SHORT).
        let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        exif.extend(orientation.to_be_bytes());
        exif.extend([0, 0, 0, 0, 0, 0]);
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend([0xFF, 0xE1]);
        jpeg.extend((exif.len() as u16 + 2).to_be_bytes());
        jpeg.extend(exif);
        jpeg.extend(&plain[2..]);
        jpeg
    }

    /// A phone photo held sideways is stored sideways with an orientation tag: it is turned
    /// upright (it ran sideways through the network).
    #[test]
    fn exif_orientation_turns_a_photo_upright() {
        let wide = RgbImage::from_fn(16, 8, |x, _| image::Rgb(if x < 8 { [255, 255, 255] } else { [0, 0, 0] }));
        assert_eq!(decode(&jpeg_with_orientation(&wide, 1)).unwrap().dimensions(), (16, 8));
        // 6: the stored image is turned 90° clockwise to be seen upright; its white left half
        // becomes the top.
        let upright = decode(&jpeg_with_orientation(&wide, 6)).unwrap();
        assert_eq!(upright.dimensions(), (8, 16));
        assert!(upright.get_pixel(4, 2).0[0] > 200 && upright.get_pixel(4, 13).0[0] < 50);
    }

    /// A JPEG cut short decoded with grey rows filled in; the whole file still decodes.
    #[test]
    fn a_cut_jpeg_is_refused() {
        let photo = RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 77]));
        let jpeg = jpeg_with_orientation(&photo, 1);
        assert!(decode(&jpeg).is_ok());
        // Cut inside the scan data (a cut inside the headers fails to decode them at all).
        let scan = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
        for cut in [jpeg.len() - 2, (scan + jpeg.len()) / 2, scan + 20] {
            let error = decode(&jpeg[..cut]).unwrap_err().to_string();
            assert!(error.contains("cut short"), "{cut}: {error}");
        }
    }

    /// A wide photo is cropped to a tall input's aspect from its middle, not squashed.
    #[test]
    fn fit_crops_to_the_inputs_aspect() {
        // 40×10: left quarter red, the rest blue; a 20×10 (H×W) input takes the middle 5×10.
        let wide = RgbImage::from_fn(40, 10, |x, _| image::Rgb(if x < 10 { [255, 0, 0] } else { [0, 0, 255] }));
        let tall = fit(&wide, 20, 10);
        assert_eq!(tall.dimensions(), (10, 20));
        assert!(tall.pixels().all(|p| p.0 == [0, 0, 255]));
        // A square input of a wide photo: the middle square, as before.
        assert_eq!(fit(&wide, 4, 4).dimensions(), (4, 4));
        // A 1-row photo into a 2:1 input: no zero-sized crop.
        assert_eq!(fit(&RgbImage::new(7, 1), 3, 6).dimensions(), (6, 3));
    }

    #[test]
    fn luminance_is_bt601() {
        assert_eq!(luminance([255, 255, 255]), 255);
        assert_eq!(luminance([255, 0, 0]), 76);
        assert_eq!(luminance([0, 255, 0]), 150);
        assert_eq!(luminance([0, 0, 255]), 29);
    }

    fn int8(shape: Vec<usize>, scale: f32, zero_point: i64) -> Tensor {
        let quant = crate::model::Quant { scales: vec![scale], zero_points: vec![zero_point], axis: 0 };
        Tensor { name: "input".into(), shape, dtype: DType::I8, quant: Some(quant), data: None }
    }

    /// Scale 1, zero point −128 (VWW) is 0..255; scale 1/128, zero point 0 (a Keras
    /// MobileNet) is −1..0.99; metadata's normalisation comes first.
    #[test]
    fn the_model_chooses_its_range() {
        let none = ModelMetadata::default();
        let vww = InputRange::of_model(&none, Some(&int8(vec![1, 96, 96, 3], 1.0, -128)));
        assert_eq!((vww.lo, vww.hi, vww.rule), (0.0, 255.0, RangeRule::Quantization));
        let keras = InputRange::of_model(&none, Some(&int8(vec![1, 8, 8, 3], 1.0 / 128.0, 0)));
        assert_eq!((keras.lo, keras.hi), (-1.0, 127.0 / 128.0));
        assert_eq!(InputRange::of_model(&none, None).rule, RangeRule::Default);
        let rescale = ModelMetadata { rescale: Some(1.0 / 255.0), ..ModelMetadata::default() };
        let r = InputRange::of_model(&rescale, Some(&int8(vec![1, 8, 8, 3], 1.0, -128)));
        assert_eq!((r.lo, r.hi, r.rule), (0.0, 1.0, RangeRule::Metadata));
        let support = ModelMetadata { normalization: Some((127.5, 127.5)), ..ModelMetadata::default() };
        let r = InputRange::of_model(&support, Some(&int8(vec![1, 8, 8, 3], 1.0, -128)));
        assert_eq!((r.lo, r.hi, r.rule), (-1.0, 1.0, RangeRule::Metadata));
        let standardize = ModelMetadata { mean_and_std: true, ..ModelMetadata::default() };
        assert!(InputRange::of_model(&standardize, None).standardize);
    }

    /// The quantization rule feeds q = p − 128 on VWW's input, byte for byte.
    #[test]
    fn the_quantization_range_feeds_pixel_minus_128() {
        let t = int8(vec![1, 1, 256, 1], 1.0, -128);
        let range = InputRange::of_model(&ModelMetadata::default(), Some(&t));
        let pixels: Vec<u8> = (0..=255).collect();
        let bytes = to_input(&pixels, &t, &range).unwrap();
        assert!(bytes.iter().zip(&pixels).all(|(&q, &p)| q as i8 as i32 == i32::from(p) - 128));
        // A Keras input: nothing saturates but the ends.
        let k = int8(vec![1, 1, 256, 1], 1.0 / 128.0, 0);
        let bytes = to_input(&pixels, &k, &InputRange::of_model(&ModelMetadata::default(), Some(&k))).unwrap();
        assert_eq!(bytes.iter().filter(|&&q| q as i8 == 127 || q as i8 == -128).count(), 2);
    }

    #[test]
    fn standardizing_gives_mean_zero_and_deviation_one() {
        let range = InputRange { standardize: true, ..InputRange::settings(PixelRange::default()) };
        let values = range.reals(&[0, 50, 100, 250]);
        let mean: f32 = values.iter().sum::<f32>() / 4.0;
        let var: f32 = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{values:?}");
        assert_eq!(range.reals(&[9, 9, 9]), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn default_range_keeps_pixel_values() {
        let r = PixelRange::default();
        assert!((0..=255u8).all(|p| r.real(p) == f32::from(p)));
    }

    #[test]
    fn ranges_parse_and_map_the_ends() {
        let r = PixelRange::parse("-1, 1").unwrap();
        assert_eq!((r.real(0), r.real(255)), (-1.0, 1.0));
        assert!(PixelRange::parse("1,0").is_err());
        assert!(PixelRange::parse("0").is_err());
        assert!(PixelRange::parse("a,b").is_err());
        assert!(PixelRange::parse("-3e38,3e38").is_err());
    }

    /// Every range that parses maps every pixel to a finite value between its ends, in order.
    #[test]
    fn wide_ranges_map_every_pixel_between_the_ends() {
        for text in ["-1.7e38,1.7e38", "-3.4e38,0", "0,3.4e38", "-1,1", "0,1", "1e-30,2e-30"] {
            let r = PixelRange::parse(text).unwrap();
            let values: Vec<f32> = (0..=255u8).map(|p| r.real(p)).collect();
            assert!(values.iter().all(|v| v.is_finite() && (r.lo..=r.hi).contains(v)), "{text}: {values:?}");
            assert!(values.is_sorted(), "{text}: not monotone");
            assert_eq!((values.first(), values.last()), (Some(&r.lo), Some(&r.hi)), "{text}");
        }
        // Pixel 22 of -1.7e38,1.7e38 is far below zero (it was +inf).
        assert!(PixelRange::parse("-1.7e38,1.7e38").unwrap().real(22) < -1e38);
    }
}
