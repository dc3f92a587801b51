#!/usr/bin/env python3
"""Builds small Keras image models and converts them with TensorFlow's own TFLite converter,
full-integer quantization, for the conformance test tests/keras.rs (real converter output,
not our writer's). Models are written to OUT (default models/keras/, git-ignored), never
committed; weights are random (seeded), the representative data random too: the point is
the ops and quantization parameters the converter emits, not accuracy.

Usage: tools/keras_models.py [OUT [NAME...]]   (only the NAMEd models, when given; needs tensorflow-cpu; `make keras` makes a venv)
Prints one line per model: name, ops, bytes.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf

keras = tf.keras
layers = keras.layers


def conv_bn(x, filters, kernel=3, stride=1, act="relu6", dilation=1):
    x = layers.Conv2D(filters, kernel, stride, padding="same", dilation_rate=dilation, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation(act)(x) if act != "relu6" else layers.ReLU(6.0)(x)


def dw_bn(x, stride=1, act="relu6", dilation=1):
    x = layers.DepthwiseConv2D(3, stride, padding="same", dilation_rate=dilation, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation(act)(x) if act != "relu6" else layers.ReLU(6.0)(x)


def squeeze_excite(x, gate="sigmoid"):
    c = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.Conv2D(max(1, c // 4), 1, activation="relu")(s)
    s = layers.Conv2D(c, 1)(s)
    s = layers.Activation(gate)(s)
    return layers.Multiply()([x, s])


def head(x, classes=5, flatten=False):
    x = layers.Flatten()(x) if flatten else layers.GlobalAveragePooling2D()(x)
    return layers.Dense(classes, activation="softmax")(x)


def mobilenet_v1(inp):
    x = conv_bn(inp, 8, stride=2)
    for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2)]:
        x = dw_bn(x, stride)
        x = conv_bn(x, filters, kernel=1)
    # Keras' MobileNet ends in a Reshape and a Conv2D classifier.
    x = layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = layers.Conv2D(5, 1)(x)
    x = layers.Reshape((5,))(x)
    return layers.Activation("softmax")(x)


def mobilenet_v2(inp):
    x = conv_bn(inp, 8, stride=2)
    for expand, filters, stride in [(1, 8, 1), (4, 12, 2), (4, 12, 1), (4, 16, 2)]:
        y = conv_bn(x, x.shape[-1] * expand, kernel=1)
        y = dw_bn(y, stride)
        y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))
        x = layers.Add()([x, y]) if stride == 1 and x.shape[-1] == filters else y
    return head(x)


def mobilenet_v3_small(inp):
    x = conv_bn(inp, 8, stride=2, act="hard_swish")
    for expand, filters, stride, act, se in [
        (1, 8, 2, "relu", True),
        (4, 12, 2, "relu", False),
        (3, 12, 1, "relu", False),
        (4, 16, 2, "hard_swish", True),
        (3, 16, 1, "hard_swish", True),
    ]:
        y = conv_bn(x, x.shape[-1] * expand, kernel=1, act=act)
        y = dw_bn(y, stride, act=act)
        if se:
            y = squeeze_excite(y, gate="hard_sigmoid")
        y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))
        x = layers.Add()([x, y]) if stride == 1 and x.shape[-1] == filters else y
    x = conv_bn(x, 32, kernel=1, act="hard_swish")
    return head(x)


def dilated_separable(inp):
    x = conv_bn(inp, 8, stride=1)
    x = conv_bn(x, 8, dilation=2)
    x = layers.SeparableConv2D(16, 3, padding="same", activation="relu")(x)
    x = dw_bn(x, dilation=2)
    x = layers.SeparableConv2D(16, 3, padding="same", dilation_rate=2)(x)
    x = layers.Conv2D(8, 3, padding="valid", dilation_rate=3, activation="relu")(x)
    return head(x)


def se_blocks(inp):
    x = conv_bn(inp, 16, stride=2)
    x = squeeze_excite(x, "sigmoid")
    x = dw_bn(x)
    x = squeeze_excite(x, "hard_sigmoid")
    x = conv_bn(x, 16, kernel=1, act="swish")
    return head(x)


def activations(inp):
    x = layers.Conv2D(8, 3, padding="same")(inp)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 3, padding="same", activation="tanh")(x)
    a = layers.Conv2D(8, 1, activation="sigmoid")(x)
    b = layers.Conv2D(8, 1, activation="relu")(x)
    x = layers.Subtract()([a, b])
    x = layers.Maximum()([x, layers.Conv2D(8, 1)(x)])
    x = layers.Minimum()([x, layers.Conv2D(8, 1)(x)])
    x = layers.MaxPooling2D()(x)
    return head(x, flatten=True)


def flatten_cnn(inp):
    x = conv_bn(inp, 8, stride=2)
    x = layers.MaxPooling2D()(x)
    x = conv_bn(x, 16)
    x = layers.Reshape((-1, 16))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    return layers.Dense(5)(x)


def upsampling_head(inp):
    x = conv_bn(inp, 8, stride=2)
    x = conv_bn(x, 16, stride=2)
    x = layers.UpSampling2D(2)(x)
    x = layers.Concatenate()([x, conv_bn(inp, 16, stride=2)])
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    return layers.Conv2D(3, 1, activation="sigmoid")(x)


def transpose_conv_decoder(inp):
    x = conv_bn(inp, 8, stride=2)
    x = conv_bn(x, 16, stride=2)
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(8, 4, strides=2, padding="valid", use_bias=False)(x)
    x = layers.Resizing(20, 28, interpolation="bilinear")(x)
    return layers.Conv2D(2, 1, activation="sigmoid")(x)


def prelu_crop_pad(inp):
    x = layers.Conv2D(12, 3, padding="same")(inp)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    x = layers.Cropping2D(((1, 2), (2, 1)))(x)
    x = layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = layers.Conv2D(12, 3, strides=2)(x)
    x = layers.PReLU()(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    x = layers.GlobalMaxPooling2D()(x)
    return layers.Dense(4)(x)


def channel_shuffle(x, groups=2):
    _, h, w, c = x.shape
    x = layers.Reshape((h, w, groups, c // groups))(x)
    x = layers.Permute((1, 2, 4, 3))(x)
    return layers.Reshape((h, w, c))(x)


def shufflenet_blocks(inp):
    x = conv_bn(inp, 16, stride=2)
    for _ in range(2):
        left, right = layers.Lambda(lambda t: tf.split(t, 2, axis=-1))(x)
        right = conv_bn(right, 8, kernel=1)
        right = dw_bn(right)
        right = conv_bn(right, 8, kernel=1)
        x = channel_shuffle(layers.Concatenate()([left, right]))
    x = layers.Permute((2, 1, 3))(x)
    return head(x)


def reductions_l2(inp):
    x = conv_bn(inp, 8, stride=2)
    total = layers.Lambda(lambda t: tf.reduce_sum(t, axis=-1, keepdims=True))(x)
    peak = layers.Lambda(lambda t: tf.reduce_max(t, axis=-1, keepdims=True))(x)
    x = layers.Concatenate()([x, total, peak])
    x = layers.Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Lambda(lambda t: tf.reduce_max(t, axis=[1, 2]))(x)
    return layers.Dense(3, activation="softmax")(x)


def depth_multiplier_gates(inp):
    x = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same")(inp)
    # (ReLU(negative_slope=…) converts to an int8 NEG, which TFLite Micro does not run.)
    x = layers.ReLU(6.0)(layers.LeakyReLU(0.1)(x))
    a = layers.SeparableConv2D(12, 5, strides=2, padding="same", activation="relu")(x)
    b = layers.Conv2D(12, 3, strides=2, padding="same", activation="sigmoid")(x)
    x = layers.Multiply()([a, b])
    x = layers.Average()([x, layers.Conv2D(12, 1)(x)])
    return head(x)


def segmentation_head(inp):
    x = conv_bn(inp, 8, stride=2)
    x = dw_bn(x)
    x = layers.Dense(6)(x)
    x = layers.Softmax(axis=-1)(x)
    return layers.UpSampling2D(2, interpolation="bilinear")(x)


def keras_mobilenet_v2(inp):
    # Untrained, its logits' scale falls below 2^-26, where TFLite Micro's SOFTMAX aborts in
    # prepare (QuantizeMultiplierGreaterThanOne): the logits are the output.
    model = keras.applications.MobileNetV2(
        input_tensor=inp, alpha=0.35, weights=None, classes=10, classifier_activation=None
    )
    return model.output


# Models added to check issue 13's "models converted the same way that the suite has not
# seen": kinds the first sixteen lack.


def unet_small(inp):
    # A U-Net: a MaxPool encoder, a Conv2DTranspose decoder, Concatenate skip connections.
    e1 = conv_bn(inp, 8, act="relu")
    e2 = conv_bn(layers.MaxPooling2D()(e1), 16, act="relu")
    b = conv_bn(layers.MaxPooling2D()(e2), 24, act="relu")
    d2 = layers.Conv2DTranspose(16, 2, strides=2, padding="same")(b)
    d2 = conv_bn(layers.Concatenate()([d2, e2]), 16, act="relu")
    d1 = layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(d2)
    d1 = conv_bn(layers.Concatenate()([e1, d1]), 8, act="relu")
    return layers.Conv2D(2, 1, activation="softmax")(d1)


def resnet_bn(inp):
    # ResNet v1 basic blocks (BatchNorm folded into the convs), projection shortcuts with
    # stride 2, and a BatchNorm after the last block, which no conv takes in (a MUL by a constant).
    x = conv_bn(inp, 16, stride=2, act="relu")
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for filters, stride in [(16, 1), (32, 2), (32, 1)]:
        y = conv_bn(x, filters, stride=stride, act="relu")
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
        if stride != 1 or x.shape[-1] != filters:
            x = layers.BatchNormalization()(layers.Conv2D(filters, 1, stride, use_bias=False)(x))
        x = layers.ReLU()(layers.Add()([x, y]))
    x = layers.BatchNormalization()(x)
    return head(x)


def keras_mobilenet_v3_small_minimalistic(inp):
    # keras.applications' own MobileNetV3Small, minimalistic (no SE, no hard-swish, 3x3 only),
    # with its Rescaling preprocessing; the logits are the output (untrained, as above).
    model = keras.applications.MobileNetV3Small(
        input_tensor=inp, minimalistic=True, weights=None, classes=10, classifier_activation=None, dropout_rate=0.0
    )
    return model.output


def efficientnet_blocks(inp):
    # EfficientNet MBConv blocks: swish everywhere, SE with swish inside, 5x5 depthwise,
    # Dropout before the residual Add (identity when converted).
    x = conv_bn(inp, 16, stride=2, act="swish")
    for expand, filters, kernel, stride in [(1, 8, 3, 1), (4, 12, 3, 2), (4, 12, 5, 1), (4, 16, 5, 2)]:
        c = x.shape[-1]
        y = conv_bn(x, c * expand, kernel=1, act="swish") if expand != 1 else x
        y = layers.DepthwiseConv2D(kernel, stride, padding="same", use_bias=False)(y)
        y = layers.Activation("swish")(layers.BatchNormalization()(y))
        s = layers.GlobalAveragePooling2D(keepdims=True)(y)
        s = layers.Conv2D(max(1, c // 4), 1, activation="swish")(s)
        s = layers.Conv2D(y.shape[-1], 1, activation="sigmoid")(s)
        y = layers.Multiply()([y, s])
        y = layers.BatchNormalization()(layers.Conv2D(filters, 1, use_bias=False)(y))
        if stride == 1 and c == filters:
            y = layers.Add()([layers.Dropout(0.2)(y), x])
        x = y
    x = conv_bn(x, 32, kernel=1, act="swish")
    return head(x)


def pools_dropout_dense(inp):
    # ZeroPadding2D before a VALID MaxPool, a VALID AveragePool, a depth multiplier of 3 inside
    # the net, a GlobalMaxPool branch and a Flatten branch, Dropout, a Dense head.
    x = layers.ZeroPadding2D(2)(inp)
    x = layers.Conv2D(8, 5, strides=2, activation="relu")(x)
    x = layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=3, padding="same", activation="relu")(x)
    x = layers.AveragePooling2D(2, strides=1)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    g = layers.GlobalMaxPooling2D()(x)
    f = layers.Dense(16, activation="relu")(layers.Dropout(0.3)(layers.Flatten()(x)))
    x = layers.Concatenate()([g, f])
    x = layers.Dropout(0.5)(x)
    return layers.Dense(6, activation="softmax")(x)


def upsampling_in_stage(inp):
    # A nearest UpSampling2D of unequal factors between convs, inside what can be a patch
    # stage: with a batch of 1, TensorFlow 2.21 writes it as RESHAPE → TILE → RESHAPE → TILE
    # → RESHAPE, which the loader makes two local repeats.
    x = conv_bn(inp, 8, stride=2)
    x = conv_bn(x, 12, stride=2)
    x = layers.UpSampling2D((2, 3))(x)
    x = dw_bn(x)
    x = conv_bn(x, 16, stride=2)
    return head(x)


def inception_non_square(inp):
    # Inception-style branches on a non-square map: asymmetric 1x7 / 7x1 and 1x3 / 3x1 kernels,
    # a stride of (2, 1), a 3x3 stride-1 AveragePool branch, a four-way Concatenate.
    x = conv_bn(inp, 12, stride=(2, 1), act="relu")
    b1 = conv_bn(x, 8, kernel=1, act="relu")
    b2 = conv_bn(conv_bn(x, 6, kernel=(1, 7), act="relu"), 8, kernel=(7, 1), act="relu")
    b3 = conv_bn(conv_bn(x, 6, kernel=(3, 1), act="relu"), 8, kernel=(1, 3), act="relu")
    b4 = conv_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 8, kernel=1, act="relu")
    x = layers.Concatenate()([b1, b2, b3, b4])
    x = conv_bn(x, 16, stride=2, act="relu")
    return head(x)


# name: (builder, input size, batch). A free batch (None) is what Keras models usually
# have; the converter then writes SPACE_TO_BATCH_ND's output with batch 1 instead of
# block² , and TFLite Micro computes only one of the block² phases of a dilated conv (the rest
# of its output is whatever the arena held), so the dilated model is built with batch 1.
# With a free batch, an UpSampling2D or a Dense on a map also leaves shapes to run time
# (placeholder shapes in the file, which TFLite resolves and TFLite Micro cannot): those are
# built with batch 1, and one free-batch copy checks the refusal says so.
# (keras.applications' MobileNet and MobileNetV3Small, converted the same way, make TFLite
# Micro's Python interpreter abort while loading, so they are left out; the minimalistic
# MobileNetV3Small below runs in it.)
MODELS = {
    "mobilenet_v1": (mobilenet_v1, 48, None),
    "mobilenet_v2": (mobilenet_v2, 48, None),
    "mobilenet_v3_small": (mobilenet_v3_small, 48, None),
    "dilated_separable": (dilated_separable, 32, 1),
    "se_blocks": (se_blocks, 32, None),
    "activations": (activations, 24, None),
    "flatten_cnn": (flatten_cnn, 32, None),
    "upsampling_head": (upsampling_head, 32, 1),
    "transpose_conv_decoder": (transpose_conv_decoder, 32, None),
    "prelu_crop_pad": (prelu_crop_pad, 28, None),
    "shufflenet_blocks": (shufflenet_blocks, 32, None),
    "reductions_l2": (reductions_l2, 24, None),
    "depth_multiplier_gates": (depth_multiplier_gates, 32, None),
    "segmentation_head": (segmentation_head, 32, 1),
    "segmentation_head_free_batch": (segmentation_head, 32, None),
    "keras_mobilenet_v2": (keras_mobilenet_v2, 96, None),
}

# Added later (issue 13): seeded after the first sixteen in this order, so adding them left
# the first sixteen's seeds and ends as they were. A size may be (height, width).
ADDED = {
    "unet_small": (unet_small, 32, None),
    "resnet_bn": (resnet_bn, 48, None),
    "keras_mobilenet_v3_small_minimalistic": (keras_mobilenet_v3_small_minimalistic, 96, None),
    "pools_dropout_dense": (pools_dropout_dense, 40, None),
    "efficientnet_blocks": (efficientnet_blocks, 48, None),
    "inception_non_square": (inception_non_square, (40, 24), None),
    "upsampling_in_stage": (upsampling_in_stage, (24, 16), 1),
}


def convert(build, size, batch, int8_ends, seed):
    keras.utils.set_random_seed(seed)
    h, w = size if isinstance(size, tuple) else (size, size)
    inp = keras.Input((h, w, 3), batch_size=batch)
    model = keras.Model(inp, build(inp))
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(16):
            yield [rng.uniform(-1, 1, (1, h, w, 3)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_ends:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "models", "keras")
    only = set(sys.argv[2:])
    os.makedirs(out, exist_ok=True)
    start = time.time()
    every = sorted(MODELS.items()) + list(ADDED.items())
    assert not only - {name for name, _ in every}, f"unknown models: {only - {name for name, _ in every}}"
    converted = 0
    for seed, (name, (build, size, batch)) in enumerate(every):
        if only and name not in only:
            continue
        # Alternate the ends: int8 in and out, or float in and out (QUANTIZE/DEQUANTIZE).
        int8_ends = seed % 2 == 0
        path = os.path.join(out, f"{name}.tflite")
        data = convert(build, size, batch, int8_ends, seed)
        with open(path, "wb") as f:
            f.write(data)
        interp = tf.lite.Interpreter(model_content=data)
        ops = sorted({d["op_name"] for d in interp._get_ops_details()})
        print(f"{name}: {'int8' if int8_ends else 'float'} ends, {len(data)} B, ops {' '.join(ops)}", flush=True)
        converted += 1
    print(f"converted {converted} models with TensorFlow {tf.__version__} in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
