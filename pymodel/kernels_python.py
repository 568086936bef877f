"""Forward pass in pure Python, for Pyodide without its NumPy wheel.

Activations are flat lists in HWC order, so the rows of a convolution window are contiguous slices and a
whole k x k x C patch is k slice-concatenations. Each output value is then one dot product, done by
math.sumprod (C speed, Python 3.12+) or sum(map(mul)) on older CPython. The loops are arranged so that
almost all the work happens inside those calls.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

from pymodel.row_weights import RowWeights
from pymodel.weights import Weights

try:
    _sumprod = math.sumprod  # type: ignore[attr-defined]
except AttributeError:  # CPython < 3.12
    def _sumprod(a: Sequence[float], b: Sequence[float]) -> float:
        return sum(map(mul, a, b))


def _per_output(flat: list[float], rows: int, cols: int) -> list[list[float]]:
    """Columns of a row-major (rows, cols) matrix: one weight vector per output unit."""
    return [flat[o::cols] for o in range(cols)]


def conv2d(x: list[float], h: int, w: int, c: int, kernels: list[list[float]], biases: list[float],
           kernel: tuple[int, int], relu: bool = True) -> tuple[list[float], int, int, int]:
    """Valid convolution, stride 1; kernels: one flat (kh, kw, c) weight vector per output channel."""
    kh, kw = kernel
    oh, ow = h - kh + 1, w - kw + 1
    row_len, span = w * c, kw * c
    pairs = list(zip(kernels, biases))
    out: list[float] = []
    for y in range(oh):
        rows = [x[(y + i) * row_len:(y + i + 1) * row_len] for i in range(kh)]
        for s in range(0, ow * c, c):
            patch = []
            for r in rows:
                patch += r[s:s + span]
            if relu:
                out += [v if v > 0.0 else 0.0 for v in [_sumprod(patch, kern) + b for kern, b in pairs]]
            else:
                out += [_sumprod(patch, kern) + b for kern, b in pairs]
    return out, oh, ow, len(kernels)


def maxpool2d(x: list[float], h: int, w: int, c: int, size: tuple[int, int]) -> tuple[list[float], int, int, int]:
    """Max over size (ph, pw) windows, stride = size, the ragged edge dropped (Keras's valid pooling)."""
    ph, pw = size
    oh, ow = h // ph, w // pw
    row_len = w * c
    out: list[float] = []
    for y in range(oh):
        rows = [x[(y * ph + i) * row_len:(y * ph + i + 1) * row_len] for i in range(ph)]
        for s in range(0, ow * pw * c, pw * c):
            parts = [r[s + j * c:s + (j + 1) * c] for r in rows for j in range(pw)]
            out += map(max, *parts) if len(parts) > 1 else parts[0]
    return out, oh, ow, c


def pad2d(x: list[float], h: int, w: int, c: int, top: int, bottom: int, left: int,
          right: int) -> tuple[list[float], int, int, int]:
    """Zero padding around an HWC picture."""
    ow = w + left + right
    row_len = w * c
    out = [0.0] * (top * ow * c)
    lead, trail = [0.0] * (left * c), [0.0] * (right * c)
    for y in range(h):
        out += lead
        out += x[y * row_len:(y + 1) * row_len]
        out += trail
    out += [0.0] * (bottom * ow * c)
    return out, h + top + bottom, ow, c


def _flatten(x) -> list[float]:
    if hasattr(x, "tolist"):  # a NumPy array, when NumPy happens to be there
        x = x.tolist()
    if len(x) and isinstance(x[0], (list, tuple)):
        return [v for row in x for v in _flatten(row)]
    return [float(v) for v in x]


def softmax(logits: list[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


class PythonKernels:
    name = "python"

    def __init__(self, weights: Weights):
        inp = weights.manifest["input"]
        self.input_shape = (int(inp["height"]), int(inp["width"]), int(inp["channels"]))
        self.plan = []
        for layer in weights.layers:
            kind = layer["type"]
            if kind in ("conv2d", "dense"):
                kshape, kernel = weights.tensors[f"{layer['name']}.kernel"]
                _, bias = weights.tensors[f"{layer['name']}.bias"]
                rows = 1
                for n in kshape[:-1]:
                    rows *= n
                self.plan.append((kind, _per_output(kernel, rows, kshape[-1]), list(bias), layer))
            else:
                self.plan.append((kind, None, None, layer))

    def forward_batch(self, images: Sequence) -> list[list[float]]:
        """N images, each flat HWC floats or rows of floats (a NumPy array works too) -> N probability
        lists. One call carries a whole number across the Pyodide boundary."""
        return [self.forward(_flatten(image)) for image in images]

    def forward(self, image: Sequence[float]) -> list[float]:
        """image: flat HWC floats (784 for MNIST). Returns the class probabilities."""
        h, w, c = self.input_shape
        x = [float(v) for v in image]
        if len(x) != h * w * c:
            raise ValueError(f"expected {h * w * c} input values, got {len(x)}")
        for kind, kernels, biases, layer in self.plan:
            if kind == "conv2d":
                k = int(layer["kernel_size"])
                x, h, w, c = conv2d(x, h, w, c, kernels, biases, (k, k))
            elif kind == "maxpool2d":
                x, h, w, c = maxpool2d(x, h, w, c, (int(layer["size"]),) * 2)
            elif kind == "dense":
                x = [_sumprod(x, kern) + b for kern, b in zip(kernels, biases)]
                if layer.get("activation") == "relu":
                    x = [v if v > 0.0 else 0.0 for v in x]
        return softmax(x)


class PythonRowKernels:
    """The row reader (pymodel/row_weights.py) on one row picture: per-column logits."""
    name = "python"

    def __init__(self, weights: RowWeights):
        inp = weights.manifest["input"]
        self.height, self.stride = int(inp["height"]), int(inp["stride"])
        self.plan = []
        for layer in weights.layers:
            if layer["type"] == "conv2d":
                kshape, kernel = weights.tensors[f"{layer['name']}.kernel"]
                _, bias = weights.tensors[f"{layer['name']}.bias"]
                self.plan.append((layer, _per_output(kernel, len(kernel) // kshape[-1], kshape[-1]), list(bias)))
            else:
                self.plan.append((layer, None, None))

    def forward(self, pixels: Sequence[float], width: int) -> list[list[float]]:
        """pixels: flat row-major height x width floats (pymodel.rows.Row.pixels), width a multiple of the
        stride. Returns, per column of stride px, the logits of "0".."9" and the blank."""
        if width < self.stride or width % self.stride:
            raise ValueError(f"the row picture's width must be a positive multiple of {self.stride}, got {width}")
        x = [float(v) for v in pixels]
        h, w, c = self.height, width, 1
        if len(x) != h * w:
            raise ValueError(f"expected {h} x {width} = {h * w} pixel values, got {len(x)}")
        for layer, kernels, biases in self.plan:
            kind = layer["type"]
            if kind == "pad":
                x, h, w, c = pad2d(x, h, w, c, layer["top"], layer["bottom"], layer["left"], layer["right"])
            elif kind == "conv2d":
                x, h, w, c = conv2d(x, h, w, c, kernels, biases, tuple(layer["kernel"]),
                                    relu=layer["activation"] == "relu")
            elif kind == "maxpool2d":
                x, h, w, c = maxpool2d(x, h, w, c, tuple(layer["size"]))
        # the height is 1 here (row_weights checks it): x is columns x classes
        return [x[i:i + c] for i in range(0, w * c, c)]
