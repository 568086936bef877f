"""Forward pass with NumPy: convolution as one matrix product over im2col windows, batched."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pymodel.weights import Weights


def conv2d_relu(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x: [N, H, W, C]; kernel: [k, k, C, F] (valid padding, stride 1)."""
    k = kernel.shape[0]
    # windows: [N, H-k+1, W-k+1, C, k, k] -> [N, oh, ow, k, k, C] to match the kernel's (k, k, C) order.
    windows = sliding_window_view(x, (k, k), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    n, oh, ow = windows.shape[:3]
    cols = windows.reshape(n * oh * ow, -1)
    out = cols @ kernel.reshape(-1, kernel.shape[-1]) + bias
    return np.maximum(out, 0.0).reshape(n, oh, ow, -1)


def maxpool2d(x: np.ndarray, size: int) -> np.ndarray:
    n, h, w, c = x.shape
    oh, ow = h // size, w // size
    return x[:, : oh * size, : ow * size].reshape(n, oh, size, ow, size, c).max(axis=(2, 4))


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
        self.outputs = int(weights.layers[-1]["units"])
        self.arrays = {
            name: np.asarray(values, dtype=np.float32).reshape(shape)
            for name, (shape, values) in weights.tensors.items()
        }

    def forward_batch(self, images: np.ndarray) -> np.ndarray:
        """images: [N, 28, 28], [N, 28, 28, 1] or [N, 784] floats in [0, 1] -> [N, classes] probabilities."""
        x = np.asarray(images, dtype=np.float32).reshape((-1,) + self.input_shape)
        return np.concatenate([self._forward(x[i:i + self.batch]) for i in range(0, len(x), self.batch)] or
                              [np.zeros((0, self.outputs), np.float32)])

    def _forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            kind = layer["type"]
            if kind == "conv2d":
                x = conv2d_relu(x, self.arrays[f"{layer['name']}.kernel"], self.arrays[f"{layer['name']}.bias"])
            elif kind == "maxpool2d":
                x = maxpool2d(x, int(layer["size"]))
            elif kind == "flatten":
                x = x.reshape(len(x), -1)
            elif kind == "dense":
                x = x @ self.arrays[f"{layer['name']}.kernel"] + self.arrays[f"{layer['name']}.bias"]
                if layer.get("activation") == "relu":
                    x = np.maximum(x, 0.0)
        return softmax(x.astype(np.float64)).astype(np.float32)

    def forward(self, image) -> list[float]:
        return self.forward_batch(np.asarray(image, dtype=np.float32)[None]).ravel().tolist()
