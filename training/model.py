"""The CNN, sized for the slowest engines in the browser: pure-Python kernels and TF.js's plain-JavaScript
'cpu' backend (at most 2.5 million multiply-adds per digit; `multiply_adds` counts them). The 11th output is
"not_a_digit": letters, shapes, scribbles, smudges and blank paper (training.synth).

Two builders share one layer plan:
- `build_training_model`: conv -> BatchNorm -> ReLU blocks, dropout, for training.
- `build_inference_model`: the same convolutions with biases and no BatchNorm or dropout. It receives the
  folded, float16-rounded weights that pymodel ships, so Keras, TF.js and pymodel all run the same numbers.
"""
from __future__ import annotations

import keras
from keras import layers

# (name, filters, kernel size): valid padding, each of the first two followed by 2x2 max pooling.
CONV_PLAN = [("conv1", 32, 5), ("conv2", 48, 3), ("conv3", 64, 3)]
POOL_AFTER = {"conv1", "conv2"}
# Units of a ReLU dense layer between the convolutions and the output (0: none, the output reads the
# convolutions' features directly).
HIDDEN = 0
LABELS = [str(d) for d in range(10)] + ["not_a_digit"]  # output order (TEAM.md interface 2)
NUM_CLASSES = len(LABELS)
INPUT_SHAPE = (28, 28, 1)


def build_training_model(dropout: float = 0.3, bn_momentum: float = 0.99) -> keras.Model:
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for name, filters, size in CONV_PLAN:
        x = layers.Conv2D(filters, size, use_bias=False, name=name)(x)
        x = layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x)
        x = layers.ReLU(name=f"{name}_relu")(x)
        if name in POOL_AFTER:
            x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    if HIDDEN:
        x = layers.Dense(HIDDEN, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="dense")(x)
    return keras.Model(inputs, outputs, name="digits_cnn")


def build_inference_model(plan: list[tuple[str, int, int]] | None = None, classes: int = NUM_CLASSES,
                          hidden: int = HIDDEN) -> keras.Model:
    """plan: (name, filters, kernel size) per convolution, CONV_PLAN unless weights of another width are
    loaded; hidden: units of the hidden dense layer (0: none), HIDDEN unless other weights are loaded."""
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    for name, filters, size in plan or CONV_PLAN:
        x = layers.Conv2D(filters, size, activation="relu", name=name)(x)
        if name in POOL_AFTER:
            x = layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    if hidden:
        x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    outputs = layers.Dense(classes, activation="softmax", name="dense")(x)
    return keras.Model(inputs, outputs, name="digits_cnn_inference")


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one forward pass (convolutions and dense layers; pooling and ReLU are comparisons)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw, c_in, _ = layer.kernel.shape
            total += h * w * c_out * kh * kw * c_in
        elif isinstance(layer, layers.Dense):
            c_in, c_out = layer.kernel.shape
            total += c_in * c_out
    return int(total)
