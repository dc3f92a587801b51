//! Camera or file image → the model's input tensor: centre-crop to a square, resize to the
//! model's H×W, RGB, then quantize with the input tensor's own parameters.
#![warn(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::files::read_file;
use crate::model::{DType, Tensor};
use crate::quant::affine::AffineQuantize;
use image::{imageops::FilterType, ImageDecoder, ImageReader, RgbImage};
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

/// Centre-crops and resizes to `h`×`w` RGB.
pub fn fit(img: &RgbImage, h: usize, w: usize) -> RgbImage {
    let side = img.width().min(img.height());
    let (x0, y0) = ((img.width() - side) / 2, (img.height() - side) / 2);
    let square = image::imageops::crop_imm(img, x0, y0, side, side).to_image();
    image::imageops::resize(&square, w as u32, h as u32, FilterType::Triangle)
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

/// The [1, H, W, 3] input shape of a model, or an error saying why an image cannot feed it.
pub fn image_size(input: &Tensor) -> Result<(usize, usize)> {
    match *input.shape.as_slice() {
        [1, h, w, 3] => {
            check_frame_size(h as u64, w as u64)?;
            Ok((h, w))
        }
        _ => Err(Error::Input(format!("the model input {:?} is not a [1, H, W, 3] image", input.shape))),
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

/// Converts RGB pixel values to the input tensor's bytes: their real values (`range`)
/// int8-quantized with the tensor's parameters (as TFLite's QUANTIZE would), or float32.
pub fn to_input(pixels: &[u8], input: &Tensor, range: PixelRange) -> Result<Vec<u8>> {
    match (input.dtype, &input.quant) {
        (DType::I8, Some(q)) => {
            let quantize = AffineQuantize { scale: q.scale(), zero_point: q.zero_point() };
            Ok(pixels.iter().map(|&p| quantize.quantize(range.real(p)) as u8).collect())
        }
        (DType::F32, _) => Ok(pixels.iter().flat_map(|&p| range.real(p).to_le_bytes()).collect()),
        (dtype, _) => {
            Err(Error::Input(format!("cannot feed an image to a {} input without quantization", dtype.name())))
        }
    }
}

/// A camera frame (RGBA, row-major, `width` × `height`) as the model's input bytes: the same
/// centre crop, resize and quantization as for an image file.
pub fn rgba_input(rgba: &[u8], width: u32, height: u32, input: &Tensor, range: PixelRange) -> Result<Vec<u8>> {
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
pub fn image_input(img: &RgbImage, input: &Tensor, range: PixelRange) -> Result<Vec<u8>> {
    let (h, w) = image_size(input)?;
    to_input(fit(img, h, w).as_raw(), input, range)
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
