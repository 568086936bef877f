"""Keras, pymodel's NumPy kernels and its pure-Python kernels give the same probabilities."""
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from pymodel import load_model
from pymodel.weights import load_weights
from tests.helpers import SHIPPED_WEIGHTS

N = 1000
TOLERANCE = 1e-3


def _python_probs(chunk: np.ndarray) -> list[list[float]]:
    model = load_model(SHIPPED_WEIGHTS, backend="python")
    return [model.predict28(img.ravel().tolist()) for img in chunk]


@pytest.fixture(scope="module")
def digits(mnist_test):
    images, labels = mnist_test
    return images[:N].astype(np.float32) / 255.0, labels[:N]


@pytest.fixture(scope="module")
def keras_probs(digits):
    pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) is needed for the Keras reference")
    from pymodel.weights import load_weights
    from training.export import inference_model

    weights = load_weights(SHIPPED_WEIGHTS)
    tensors = {name: np.asarray(v, np.float32).reshape(shape) for name, (shape, v) in weights.tensors.items()}
    return inference_model(tensors).predict(digits[0][..., None], verbose=0)


def test_numpy_backend_matches_keras(digits, keras_probs):
    probs = load_model(SHIPPED_WEIGHTS, backend="numpy").predict_batch(digits[0])
    assert probs.shape == keras_probs.shape == (N, len(load_weights(SHIPPED_WEIGHTS).labels))
    assert np.abs(probs - keras_probs).max() < TOLERANCE
    assert (probs.argmax(1) == keras_probs.argmax(1)).all()


def test_python_backend_matches_keras(digits, keras_probs):
    halves = np.array_split(digits[0], 2)
    with ProcessPoolExecutor(2) as pool:
        probs = np.array([p for part in pool.map(_python_probs, halves) for p in part])
    assert probs.shape == keras_probs.shape == (N, len(load_weights(SHIPPED_WEIGHTS).labels))
    assert np.abs(probs - keras_probs).max() < TOLERANCE
    assert np.allclose(probs.sum(1), 1.0)


def test_backends_agree_on_preprocessed_drawings(mnist_test):
    """The whole recognize path (preprocessing + kernels) agrees across backends on a big, inverted image."""
    images, _ = mnist_test
    big = np.kron(255 - images[3], np.ones((6, 6)))  # 168x168 dark ink on white
    gray = (big / 255.0).ravel().tolist()
    a = load_model(SHIPPED_WEIGHTS, backend="numpy").recognize_gray(gray, 168, 168)
    b = load_model(SHIPPED_WEIGHTS, backend="python").recognize_gray(gray, 168, 168)
    assert a.digit == b.digit == 0
    assert np.abs(np.array(a.probs) - np.array(b.probs)).max() < 1e-5


def test_empty_image_is_not_guessed():
    model = load_model(SHIPPED_WEIGHTS, backend="python")
    result = model.recognize_gray([1.0] * (50 * 40), 50, 40)
    assert result.empty and result.digit is None and result.image28 is None
