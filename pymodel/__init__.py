"""Handwritten-digit recognition without TensorFlow: NumPy kernels, or pure Python where NumPy is missing
(Pyodide without its wheel). Same weights, same preprocessing, same answers."""
from pymodel.model import BACKENDS, Model, Prediction, Reading, load_model, numpy_available
from pymodel.preprocess import ImageError, Preprocessed
from pymodel.weights import DEFAULT_DIR, WeightsError, load_weights

__all__ = [
    "BACKENDS", "DEFAULT_DIR", "ImageError", "Model", "Prediction", "Preprocessed", "Reading", "WeightsError",
    "load_model", "load_weights", "numpy_available",
]
