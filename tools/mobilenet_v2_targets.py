#!/usr/bin/env python3
"""Converts the deploy issue's two MobileNetV2 targets with TensorFlow's own TFLite converter,
full-integer quantization with int8 input and output, for the export check in tests/export.rs
(`make deploy-mobilenet`):

  models/mobilenet_v2_0.5_128.tflite   keras.applications.MobileNetV2(alpha=0.5, 128×128×3)
  models/mobilenet_v2_0.35_96.tflite   keras.applications.MobileNetV2(alpha=0.35, 96×96×3)

There is no internet for ImageNet weights: the weights are Keras' seeded initialisation
(weights=None). The representative dataset is real photos (data/images, from models/fetch):
seeded random crops, flips and resizes of each, scaled as MobileNetV2 expects ([-1, 1]). The
logits are the output (no softmax: untrained, their scale falls below what TFLite Micro's
SOFTMAX accepts). The arena figures do not depend on the weights, only on the graph.

Usage: tools/mobilenet_v2_targets.py [OUT]   (default models/; needs tensorflow-cpu, see `make keras`)
Prints one line per model: name, bytes, ops, sha256.
"""
import hashlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PHOTOS = os.path.join(ROOT, "data", "images")
SEED = 24
# Crops per photo in the representative dataset.
CROPS = 8

# name: (alpha, input size)
TARGETS = {
    "mobilenet_v2_0.5_128": (0.5, 128),
    "mobilenet_v2_0.35_96": (0.35, 96),
}


def representative(size, rng):
    """Seeded crops of the real photos, resized to size×size, in [-1, 1]."""
    names = sorted(os.listdir(PHOTOS))
    assert names, f"no photos in {PHOTOS}: run models/fetch"
    samples = []
    for name in names:
        with open(os.path.join(PHOTOS, name), "rb") as f:
            photo = tf.io.decode_image(f.read(), channels=3, expand_animations=False).numpy()
        h, w, _ = photo.shape
        for _ in range(CROPS):
            side = int(min(w, h) * rng.uniform(0.5, 1.0))
            y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            crop = photo[y : y + side, x : x + side]
            if rng.random() < 0.5:
                crop = crop[:, ::-1]
            resized = tf.image.resize(crop.astype(np.float32), (size, size), method="bilinear", antialias=True)
            samples.append(resized.numpy() / 127.5 - 1.0)
    return samples


def convert(alpha, size):
    tf.keras.utils.set_random_seed(SEED)
    model = tf.keras.applications.MobileNetV2(
        input_shape=(size, size, 3), alpha=alpha, weights=None, classifier_activation=None
    )
    samples = representative(size, np.random.default_rng(SEED))

    def dataset():
        for x in samples:
            yield [x[np.newaxis]]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models")
    os.makedirs(out, exist_ok=True)
    for name, (alpha, size) in TARGETS.items():
        data = convert(alpha, size)
        with open(os.path.join(out, f"{name}.tflite"), "wb") as f:
            f.write(data)
        interp = tf.lite.Interpreter(model_content=data)
        ops = sorted({d["op_name"] for d in interp._get_ops_details()})
        digest = hashlib.sha256(data).hexdigest()
        print(f"{name}: {len(data)} B, ops {' '.join(ops)}, sha256 {digest}", flush=True)


if __name__ == "__main__":
    main()
