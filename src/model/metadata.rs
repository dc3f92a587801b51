//! What a model says about its input and classes beyond its graph, in two formats, both read
//! with the `flatbuffers` crate through the verified accessors of [`super::schema`]:
//!
//! - MLTK's model parameters, the `SL_PARAMSv1` metadata entry (a flatbuffer dictionary,
//!   schema `dictionary.fbs` of silabs `mltk`). The keys read: `classes` (a list of strings: the
//!   first output's class names), `samplewise_norm.rescale` (a float: every pixel is multiplied
//!   by it; 0 means off) and `samplewise_norm.mean_and_std` (a bool: each image has its mean
//!   subtracted and is divided by its standard deviation).
//! - TFLite Support's metadata, the `TFLITE_METADATA` entry (schema `metadata_schema.fbs` of
//!   tflite-support): the first input's `NormalizationOptions` (pixel p becomes
//!   (p − mean) / std; read when every channel has the same mean and std) and the name of the
//!   first output's label file (`TENSOR_AXIS_LABELS`), whose lines are the class names, read
//!   with the `zip` crate from the zip archive its writer appends to the model.
//!
//! Metadata that does not verify is ignored: it never stops a model from loading, as TFLite
//! Micro never reads it.

use super::schema::{mltk, support};

/// MLTK's name for its model parameters' metadata entry.
pub const MLTK_PARAMS: &str = "SL_PARAMSv1";
/// TFLite Support's name for its metadata entry.
pub const TFLITE_METADATA: &str = "TFLITE_METADATA";

/// What a model's metadata says, where it says anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMetadata {
    /// The metadata format these came from (`MLTK` for `SL_PARAMSv1`, `TFLite` for
    /// `TFLITE_METADATA`), if any was read.
    pub format: Option<&'static str>,
    /// Class names of the first output, in output order.
    pub classes: Option<Vec<String>>,
    /// Every pixel multiplied by this (`samplewise_norm.rescale`), when present and not 0.
    pub rescale: Option<f32>,
    /// Each image standardized: (x − mean) / std over all its values.
    pub mean_and_std: bool,
    /// Pixel p becomes (p − mean) / std: TFLite Support's `NormalizationOptions` as
    /// (mean, std).
    pub normalization: Option<(f32, f32)>,
    /// The name of the first output's label file (TFLite Support's `TENSOR_AXIS_LABELS`),
    /// packed in a zip appended to the model.
    pub label_file: Option<String>,
    /// MLTK's parameters describe an audio front end (`fe.*` keys): the input is a
    /// spectrogram, not an image, whatever its shape.
    pub audio: bool,
}

impl ModelMetadata {
    /// The metadata asks for a normalisation of the pixels.
    pub fn normalizes(&self) -> bool {
        self.rescale.is_some() || self.mean_and_std || self.normalization.is_some()
    }
}

/// The largest label file read.
const MAX_LABEL_FILE_BYTES: u64 = 1 << 20;

/// Reads the metadata of a .tflite file's bytes (nothing when the model has none, or when it
/// does not verify): MLTK's parameters, else TFLite Support's metadata and its label file.
pub fn read(bytes: &[u8]) -> ModelMetadata {
    let entry = |name| crate::export::read_metadata(bytes, name).ok().flatten();
    if let Some(mltk) = entry(MLTK_PARAMS).and_then(read_mltk) {
        return mltk;
    }
    let mut metadata = entry(TFLITE_METADATA).and_then(read_support).unwrap_or_default();
    metadata.classes = metadata.label_file.as_deref().and_then(|name| label_lines(bytes, name));
    metadata
}

/// The lines of the file `name` in the zip archive appended to a model (the archive's offsets
/// count from its own start; the `zip` crate finds it from its end), if it holds that file.
fn label_lines(bytes: &[u8], name: &str) -> Option<Vec<String>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let file = archive.by_name(name).ok()?;
    if file.size() > MAX_LABEL_FILE_BYTES {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_LABEL_FILE_BYTES).read_to_string(&mut text).ok()?;
    Some(text.lines().map(|l| l.trim().to_string()).collect())
}

/// TFLite Support's metadata: the first subgraph's first input's normalisation and first
/// output's label file.
fn read_support(bytes: &[u8]) -> Option<ModelMetadata> {
    let root = support::root(bytes).ok()?;
    let subgraph = root.subgraph_metadata()?.iter().next()?;
    let mut metadata = ModelMetadata { format: Some("TFLite"), ..ModelMetadata::default() };
    let input = subgraph.input_tensor_metadata().and_then(|t| t.iter().next());
    for unit in input.and_then(|t| t.process_units()).into_iter().flatten() {
        if unit.options_type() != support::NORMALIZATION_OPTIONS {
            continue;
        }
        let options = unit.options()?.cast::<support::NormalizationOptions>().ok()?;
        let (mean, std) = (options.mean()?, options.std()?);
        let (m, s) = (mean.iter().next()?, std.iter().next()?);
        let uniform = mean.iter().all(|v| v == m) && std.iter().all(|v| v == s);
        if uniform && m.is_finite() && s.is_finite() && s != 0.0 {
            metadata.normalization = Some((m, s));
        }
    }
    let output = subgraph.output_tensor_metadata().and_then(|t| t.iter().next());
    metadata.label_file = output
        .and_then(|t| t.associated_files())
        .into_iter()
        .flatten()
        .find(|f| f.file_type() == support::TENSOR_AXIS_LABELS)
        .and_then(|f| f.name())
        .map(str::to_string);
    Some(metadata)
}

/// MLTK's dictionary: the keys this engine uses; the rest (audio front-end settings, the
/// model's name and version) are not needed to feed an image.
fn read_mltk(bytes: &[u8]) -> Option<ModelMetadata> {
    let dictionary = mltk::root(bytes).ok()?;
    let mut metadata = ModelMetadata { format: Some("MLTK"), ..ModelMetadata::default() };
    for entry in dictionary.entries().into_iter().flatten() {
        metadata.audio |= entry.key().is_some_and(|k| k.starts_with("fe."));
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
        assert!(m.mean_and_std && !m.audio, "{m:?}");
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
    fn mltk_audio_models_say_so() {
        let Some(bytes) = model("models/mltk/tflite_micro_speech.tflite") else { return };
        assert!(read(&bytes).audio);
    }

    #[test]
    fn models_without_metadata_say_nothing() {
        assert_eq!(read(b"not a model"), ModelMetadata::default());
    }

    /// TFLite Support metadata as its writer lays it out: a model, one subgraph, the input's
    /// process units (`NormalizationOptions` mean and std), the output's associated files.
    fn support_metadata(mean: &[f32], std: &[f32], labels: &str) -> Vec<u8> {
        use flatbuffers::{FlatBufferBuilder, WIPOffset};
        let mut b = FlatBufferBuilder::new();
        let slot = |n: u16| 4 + 2 * n;
        let (mean, std) = (b.create_vector(mean), b.create_vector(std));
        let norm = b.start_table();
        b.push_slot_always(slot(0), mean);
        b.push_slot_always(slot(1), std);
        let norm = b.end_table(norm);
        let unit = b.start_table();
        b.push_slot::<u8>(slot(0), support::NORMALIZATION_OPTIONS, 0);
        b.push_slot_always(slot(1), norm);
        let unit = b.end_table(unit);
        let units = b.create_vector(&[unit]);
        let input = b.start_table();
        b.push_slot_always(slot(4), units);
        let input = b.end_table(input);
        let name = b.create_string(labels);
        let file = b.start_table();
        b.push_slot_always(slot(0), name);
        b.push_slot::<i8>(slot(2), support::TENSOR_AXIS_LABELS, 0);
        let file = b.end_table(file);
        let files = b.create_vector(&[file]);
        let output = b.start_table();
        b.push_slot_always(slot(6), files);
        let output = b.end_table(output);
        let (inputs, outputs) = (b.create_vector(&[input]), b.create_vector(&[output]));
        let subgraph = b.start_table();
        b.push_slot_always(slot(2), inputs);
        b.push_slot_always(slot(3), outputs);
        let subgraph = b.end_table(subgraph);
        let subgraphs = b.create_vector(&[subgraph]);
        let root = b.start_table();
        b.push_slot_always(slot(3), subgraphs);
        let root: WIPOffset<flatbuffers::TableFinishedWIPOffset> = b.end_table(root);
        b.finish(root, Some("M001"));
        b.finished_data().to_vec()
    }

    /// A Model Maker style model: mean 127.5 and std 127.5 map pixels to −1..1; the label
    /// file's name is read.
    #[test]
    fn tflite_support_normalisation_and_label_file_are_read() {
        // VWW with its MLTK parameters emptied (they would be read first), as a model that
        // carries TFLite Support metadata only.
        let vww = model("models/visual_wake_words.tflite").expect("models/fetch brings VWW");
        let bytes = crate::export::with_metadata(&vww, MLTK_PARAMS, b"").unwrap();
        let data = support_metadata(&[127.5; 3], &[127.5; 3], "labels.txt");
        let with = crate::export::with_metadata(&bytes, TFLITE_METADATA, &data).unwrap();
        let m = read(&with);
        assert_eq!(m.format, Some("TFLite"));
        assert_eq!(m.normalization, Some((127.5, 127.5)));
        assert_eq!(m.label_file.as_deref(), Some("labels.txt"));
        assert_eq!(m.classes, None, "no zip appended: no names");
        // The writer appends a zip of the label file: its lines are the class names.
        let mut zipped = std::io::Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        writer.start_file("labels.txt", stored).unwrap();
        std::io::Write::write_all(&mut writer, b"background\ngolden_retriever\ntabby cat\n").unwrap();
        writer.finish().unwrap();
        let mut packed = with.clone();
        packed.extend(zipped.into_inner());
        let m = read(&packed);
        assert_eq!(m.classes.unwrap(), ["background", "golden_retriever", "tabby cat"]);
        assert!(crate::model::load(&packed).is_ok(), "the model still loads with its zip");
        // Per-channel means that differ are not one range: not read.
        let data = support_metadata(&[123.7, 116.3, 103.5], &[58.4, 57.1, 57.4], "labels.txt");
        let m = read(&crate::export::with_metadata(&bytes, TFLITE_METADATA, &data).unwrap());
        assert_eq!(m.normalization, None);
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
