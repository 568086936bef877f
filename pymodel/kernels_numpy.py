"""Forward pass with NumPy: convolution as one matrix product over im2col windows, batched."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pymodel.row_weights import RowWeights
from pymodel.weights import Weights


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, relu: bool = True) -> np.ndarray:
    """x: [N, H, W, C]; kernel: [kh, kw, C, F] (valid padding, stride 1)."""
    kh, kw = kernel.shape[:2]
    # windows: [N, H-kh+1, W-kw+1, C, kh, kw] -> [N, oh, ow, kh, kw, C] to match the kernel's (kh, kw, C) order.
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    n, oh, ow = windows.shape[:3]
    cols = windows.reshape(n * oh * ow, -1)
    out = cols @ kernel.reshape(-1, kernel.shape[-1]) + bias
    return (np.maximum(out, 0.0) if relu else out).reshape(n, oh, ow, -1)


def maxpool2d(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Max over size (ph, pw) windows, stride = size, the ragged edge dropped (Keras's valid pooling)."""
    ph, pw = size
    n, h, w, c = x.shape
    oh, ow = h // ph, w // pw
    return x[:, : oh * ph, : ow * pw].reshape(n, oh, ph, ow, pw, c).max(axis=(2, 4))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class NumpyKernels:
    name = "numpy"
    batch = 256  # bounds the im2col buffer (about 15 MB per chunk for this model)

    def __init__(self, weights: Weights):
        inp = weights.manifest["input"]
        self.input_shape = (int(inp["height"]), int(inp["width"]), int(inp["channels"]))
        self.layers = weights.layers
        self.classes = len(weights.labels)
        self.arrays = {
            name: np.asarray(values, dtype=np.float32).reshape(shape)
            for name, (shape, values) in weights.tensors.items()
        }

    def forward_batch(self, images: np.ndarray) -> np.ndarray:
        """images: [N, 28, 28] or [N, 28, 28, 1] floats in [0, 1] -> [N, classes] probabilities."""
        x = np.asarray(images, dtype=np.float32).reshape((-1,) + self.input_shape)
        return np.concatenate([self._forward(x[i:i + self.batch]) for i in range(0, len(x), self.batch)] or
                              [np.zeros((0, self.classes), np.float32)])

    def _forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            kind = layer["type"]
            if kind == "conv2d":
                x = conv2d(x, self.arrays[f"{layer['name']}.kernel"], self.arrays[f"{layer['name']}.bias"])
            elif kind == "maxpool2d":
                x = maxpool2d(x, (int(layer["size"]),) * 2)
            elif kind == "flatten":
                x = x.reshape(len(x), -1)
            elif kind == "dense":
                x = x @ self.arrays[f"{layer['name']}.kernel"] + self.arrays[f"{layer['name']}.bias"]
                if layer.get("activation") == "relu":
                    x = np.maximum(x, 0.0)
        return softmax(x.astype(np.float64)).astype(np.float32)

    def forward(self, image) -> list[float]:
        return self.forward_batch(np.asarray(image, dtype=np.float32)[None]).ravel().tolist()


class NumpyRowKernels:
    """The row reader (pymodel/row_weights.py) on one row picture: per-column logits."""
    name = "numpy"

    def __init__(self, weights: RowWeights):
        inp = weights.manifest["input"]
        self.height, self.stride = int(inp["height"]), int(inp["stride"])
        self.layers = weights.layers
        self.arrays = {
            name: np.asarray(values, dtype=np.float32).reshape(shape)
            for name, (shape, values) in weights.tensors.items()
        }

    def forward_array(self, pixels, width: int) -> np.ndarray:
        """pixels: height x width floats, flat or 2-D, width a multiple of the stride -> [columns, 11] logits."""
        if width < self.stride or width % self.stride:
            raise ValueError(f"the row picture's width must be a positive multiple of {self.stride}, got {width}")
        x = np.asarray(pixels, dtype=np.float32)
        if x.size != self.height * width:
            raise ValueError(f"expected {self.height} x {width} = {self.height * width} pixel values, got {x.size}")
        x = x.reshape(1, self.height, width, 1)
        for layer in self.layers:
            kind = layer["type"]
            if kind == "pad":
                x = np.pad(x, ((0, 0), (layer["top"], layer["bottom"]), (layer["left"], layer["right"]), (0, 0)))
            elif kind == "conv2d":
                x = conv2d(x, self.arrays[f"{layer['name']}.kernel"], self.arrays[f"{layer['name']}.bias"],
                           relu=layer["activation"] == "relu")
            elif kind == "maxpool2d":
                x = maxpool2d(x, tuple(layer["size"]))
        return x.reshape(-1, x.shape[-1])  # the height is 1 here (row_weights checks it)

    def forward(self, pixels, width: int) -> list[list[float]]:
        """As PythonRowKernels.forward: per column, the logits of "0".."9" and the blank."""
        return self.forward_array(pixels, width).tolist()
