//! What a model says about its input and classes beyond its graph: MLTK's model parameters,
//! the `SL_PARAMSv1` metadata entry (a flatbuffer dictionary, schema `dictionary.fbs` of silabs
//! `mltk`, read with the `flatbuffers` crate through [`super::schema::mltk`]).
//!
//! The keys read: `classes` (a list of strings: the first output's class names),
//! `samplewise_norm.rescale` (a float: every pixel is multiplied by it; 0 means off) and
//! `samplewise_norm.mean_and_std` (a bool: each image has its mean subtracted and is divided
//! by its standard deviation). Metadata that does not verify is ignored: it never stops a model
//! from loading, as TFLite Micro never reads it.

use super::schema::mltk;

/// MLTK's name for its model parameters' metadata entry.
pub const MLTK_PARAMS: &str = "SL_PARAMSv1";

/// What a model's metadata says, where it says anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMetadata {
    /// The metadata format these came from (`MLTK` for `SL_PARAMSv1`), if any was read.
    pub format: Option<&'static str>,
    /// Class names of the first output, in output order.
    pub classes: Option<Vec<String>>,
    /// Every pixel multiplied by this (`samplewise_norm.rescale`), when present and not 0.
    pub rescale: Option<f32>,
    /// Each image standardized: (x − mean) / std over all its values.
    pub mean_and_std: bool,
}

impl ModelMetadata {
    /// The metadata asks for a normalisation of the pixels.
    pub fn normalizes(&self) -> bool {
        self.rescale.is_some() || self.mean_and_std
    }
}

/// Reads the metadata of a .tflite file's bytes (nothing when the model has none, or when it
/// does not verify).
pub fn read(bytes: &[u8]) -> ModelMetadata {
    match crate::export::read_metadata(bytes, MLTK_PARAMS) {
        Ok(Some(params)) => read_mltk(params).unwrap_or_default(),
        _ => ModelMetadata::default(),
    }
}

/// MLTK's dictionary: the keys this engine uses; the rest (audio front-end settings, the
/// model's name and version) are not needed to feed an image.
fn read_mltk(bytes: &[u8]) -> Option<ModelMetadata> {
    let dictionary = mltk::root(bytes).ok()?;
    let mut metadata = ModelMetadata { format: Some("MLTK"), ..ModelMetadata::default() };
    for entry in dictionary.entries().into_iter().flatten() {
        let Some(value) = entry.value() else { continue };
        match (entry.key(), entry.value_type()) {
            (Some("classes"), mltk::value_type::STR_LIST) => {
                let list = value.cast::<mltk::StringList>().ok()?;
                metadata.classes = Some(list.data().into_iter().flatten().map(str::to_string).collect());
            }
            (Some("samplewise_norm.rescale"), tag) => {
                let factor = match tag {
                    mltk::value_type::F32 => value.cast::<mltk::FloatValue>().ok()?.value(),
                    mltk::value_type::F64 => value.cast::<mltk::DoubleValue>().ok()?.value() as f32,
                    _ => continue,
                };
                metadata.rescale = (factor != 0.0 && factor.is_finite()).then_some(factor);
            }
            (Some("samplewise_norm.mean_and_std"), mltk::value_type::BOOLEAN) => {
                metadata.mean_and_std = value.cast::<mltk::BoolValue>().ok()?.value();
            }
            _ => {}
        }
    }
    Some(metadata)
}

/// Kept for the tests: the string value of a key, if the model's MLTK dictionary holds one.
#[cfg(test)]
fn mltk_string(bytes: &[u8], key: &str) -> Option<String> {
    let params = crate::export::read_metadata(bytes, MLTK_PARAMS).ok()??;
    let dictionary = mltk::root(params).ok()?;
    let entry = dictionary.entries()?.iter().find(|e| e.key() == Some(key))?;
    match entry.value_type() {
        mltk::value_type::STR => entry.value()?.cast::<mltk::StringValue>().ok()?.data().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn model(path: &str) -> Option<Vec<u8>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        std::fs::read(path).ok()
    }

    #[test]
    fn vww_names_its_classes_and_asks_for_no_normalisation() {
        let Some(bytes) = model("models/visual_wake_words.tflite") else { return };
        let m = read(&bytes);
        assert_eq!(m.format, Some("MLTK"));
        assert_eq!(m.classes.as_deref(), Some(&["person".to_string(), "non_person".to_string()][..]));
        assert!(!m.normalizes(), "{m:?}");
    }

    #[test]
    fn rock_paper_scissors_names_its_classes_and_standardizes() {
        let Some(bytes) = model("models/mltk/rock_paper_scissors.tflite") else { return };
        let m = read(&bytes);
        let classes = m.classes.clone().unwrap();
        assert_eq!(classes[..3], ["rock", "paper", "scissor"]);
        assert!(m.mean_and_std, "{m:?}");
        assert_eq!(mltk_string(&bytes, "name").as_deref(), Some("rock_paper_scissors"));
    }

    #[test]
    fn cifar10_names_its_ten_classes() {
        let Some(bytes) = model("models/mltk/image_classification.tflite") else { return };
        let m = read(&bytes);
        let classes = m.classes.clone().unwrap();
        assert_eq!(classes.len(), 10);
        assert_eq!(classes[0], "airplane");
        assert_eq!(classes[9], "truck");
    }

    #[test]
    fn models_without_metadata_say_nothing() {
        assert_eq!(read(b"not a model"), ModelMetadata::default());
        let Some(bytes) = model("models/keras/keras_mobilenet_v2.tflite") else { return };
        assert_eq!(read(&bytes), ModelMetadata::default());
    }

    /// A dictionary cut short does not verify: it is ignored, never read out of bounds.
    #[test]
    fn a_broken_dictionary_is_ignored() {
        let Some(bytes) = model("models/mltk/rock_paper_scissors.tflite") else { return };
        let params = crate::export::read_metadata(&bytes, MLTK_PARAMS).unwrap().unwrap();
        for cut in [0, 4, params.len() / 2] {
            assert_eq!(read_mltk(&params[..cut]), None, "cut at {cut}");
        }
    }
}
