"""The row reader: a small all-convolution CTC model that reads a whole row of digits (pymodel.rows.row_image)
as a string, used to referee the digit reader's cuts (pymodel/referee.py).

A picture HEIGHT px high and any multiple of STRIDE px wide goes in; out comes, for each STRIDE-px column,
logits over the ten digits and a blank (index BLANK), CTC's "nothing new here". The plan keeps to what
the pure-Python kernels and TF.js both run: zero padding, convolutions with ReLU, max pooling, and a last
1x1 convolution to the logits. The fourth convolution spans the full remaining height, so every column's
output sees a window of columns about a digit and a half wide on each side.

Sized for the pure-Python engine: about 140 thousand multiply-adds per column (`multiply_adds`), some 7
million for a six-digit number.
"""
from __future__ import annotations

import keras
from keras import layers

from pymodel.rows import HEIGHT, STRIDE

BLANK = 10
CLASSES = 11
# (name, filters, (kernel height, kernel width), (pad top/bottom, pad left/right), pool after (h, w) or None)
PLAN = [
    ("r1", 8, (3, 3), (1, 1), (2, 2)),
    ("r2", 16, (3, 3), (1, 1), (2, 2)),
    ("r3", 32, (3, 3), (1, 1), (2, 1)),
    ("r4", 64, (HEIGHT // 8, 5), (0, 2), None),
    ("r5", 64, (1, 3), (0, 1), None),
]
assert STRIDE == 4  # two 2x2 poolings across


def build_row_model(plan: list | None = None) -> keras.Model:
    """Logits [batch, columns, CLASSES] for pictures [batch, HEIGHT, width, 1]."""
    inputs = keras.Input((HEIGHT, None, 1), name="row")
    x = inputs
    for name, filters, kernel, pad, pool in plan or PLAN:
        x = layers.ZeroPadding2D(((pad[0], pad[0]), (pad[1], pad[1])), name=f"{name}_pad")(x)
        x = layers.Conv2D(filters, kernel, activation="relu", name=name)(x)
        if pool:
            x = layers.MaxPooling2D(pool, name=f"{name}_pool")(x)
    x = layers.Conv2D(CLASSES, 1, name="logits")(x)
    outputs = layers.Reshape((-1, CLASSES), name="columns")(x)
    return keras.Model(inputs, outputs, name="row_reader")


def multiply_adds(plan: list | None = None) -> int:
    """Multiply-adds per output column (STRIDE px of the picture)."""
    total, h, cols, c = 0, HEIGHT, STRIDE, 1  # cols: picture columns per output column at this depth
    for _, filters, (kh, kw), (ph, _pw), pool in plan or PLAN:
        h = h + 2 * ph - kh + 1
        total += h * cols * filters * kh * kw * c
        c = filters
        if pool:
            h, cols = h // pool[0], cols // pool[1]
    return total + cols * CLASSES * c
