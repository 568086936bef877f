"""The recognizer: validated weights + the fastest kernels this Python has + the shared preprocessing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pymodel.preprocess import preprocess
from pymodel.weights import DEFAULT_DIR, Weights, load_weights

BACKENDS = ("auto", "numpy", "python")


@dataclass
class Prediction:
    digit: int | None  # None when the image is empty: nothing is guessed
    confidence: float
    probs: list[float]
    image28: list[float] | None
    empty: bool
    unsure: bool  # confidence below the model card's threshold

    def as_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "probs": self.probs,
            "empty": self.empty,
            "unsure": self.unsure,
        }


def numpy_available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class Model:
    def __init__(self, weights: Weights, backend: str = "auto"):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        if backend == "auto":
            backend = "numpy" if numpy_available() else "python"
        if backend == "numpy":
            from pymodel.kernels_numpy import NumpyKernels
            self.kernels = NumpyKernels(weights)
        else:
            from pymodel.kernels_python import PythonKernels
            self.kernels = PythonKernels(weights)
        self.weights = weights
        self.backend = backend

    @property
    def unsure_threshold(self) -> float:
        return self.weights.unsure_threshold

    def predict28(self, image28: Sequence[float]) -> list[float]:
        """Probabilities for one preprocessed 28x28 image (784 floats, light ink on black)."""
        return [float(p) for p in self.kernels.forward(image28)]

    def predict_batch(self, images):
        """[N, 28, 28] images -> [N, 10] probabilities (a NumPy array on the NumPy backend)."""
        if self.backend == "numpy":
            return self.kernels.forward_batch(images)
        return [self.predict28([float(v) for row in img for v in row]) for img in images]

    def recognize_gray(self, gray: Sequence[float], width: int, height: int) -> Prediction:
        """Preprocess a grey image (flat, row-major, 0 black .. 1 white) and classify it."""
        pre = preprocess(gray, width, height)
        if pre.empty:
            return Prediction(None, 0.0, [0.0] * 10, None, True, False)
        probs = self.predict28(pre.image28)
        digit = max(range(10), key=probs.__getitem__)
        confidence = probs[digit]
        return Prediction(digit, confidence, probs, pre.image28, False, confidence < self.unsure_threshold)


def load_model(weights_dir: str | Path = DEFAULT_DIR, backend: str = "auto") -> Model:
    """Load and validate the weights in weights_dir (raises WeightsError) on the chosen backend."""
    return Model(load_weights(weights_dir), backend)
