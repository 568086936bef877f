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

from pymodel.weights import Weights

try:
    _sumprod = math.sumprod  # type: ignore[attr-defined]
except AttributeError:  # CPython < 3.12
    def _sumprod(a: Sequence[float], b: Sequence[float]) -> float:
        return sum(map(mul, a, b))


def _per_output(flat: list[float], rows: int, cols: int) -> list[list[float]]:
    """Columns of a row-major (rows, cols) matrix: one weight vector per output unit."""
    return [flat[o::cols] for o in range(cols)]


def conv2d_relu(x: list[float], h: int, w: int, c: int, kernels: list[list[float]], biases: list[float], k: int):
    oh, ow = h - k + 1, w - k + 1
    row_len, span = w * c, k * c
    pairs = list(zip(kernels, biases))
    out: list[float] = []
    for y in range(oh):
        rows = [x[(y + i) * row_len:(y + i + 1) * row_len] for i in range(k)]
        for s in range(0, ow * c, c):
            patch = []
            for r in rows:
                patch += r[s:s + span]
            out += [v if v > 0.0 else 0.0 for v in [_sumprod(patch, kern) + b for kern, b in pairs]]
    return out, oh, ow, len(kernels)


def maxpool2d(x: list[float], h: int, w: int, c: int, size: int):
    oh, ow = h // size, w // size
    row_len = w * c
    out: list[float] = []
    for y in range(oh):
        rows = [x[(y * size + i) * row_len:(y * size + i + 1) * row_len] for i in range(size)]
        for s in range(0, ow * size * c, size * c):
            out += map(max, *[r[s + j * c:s + (j + 1) * c] for r in rows for j in range(size)])
    return out, oh, ow, c


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
                x, h, w, c = conv2d_relu(x, h, w, c, kernels, biases, int(layer["kernel_size"]))
            elif kind == "maxpool2d":
                x, h, w, c = maxpool2d(x, h, w, c, int(layer["size"]))
            elif kind == "dense":
                x = [_sumprod(x, kern) + b for kern, b in zip(kernels, biases)]
                if layer.get("activation") == "relu":
                    x = [v if v > 0.0 else 0.0 for v in x]
        return softmax(x)
