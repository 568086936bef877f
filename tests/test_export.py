"""training.export writes what pymodel runs: a plan with a hidden dense layer (training.model.HIDDEN) is
folded, written and loaded, and pymodel's kernels give the probabilities Keras gives for those weights."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pymodel import load_model


def test_a_hidden_dense_layer_is_exported_and_runs_alike(tmp_path, monkeypatch):
    pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) builds the model")
    import keras

    import training.model as plan
    from training.export import fold_batchnorm, inference_model, write_weights

    monkeypatch.setattr(plan, "HIDDEN", 16)
    keras.utils.set_random_seed(0)
    tensors = fold_batchnorm(plan.build_training_model())
    assert tensors["hidden.kernel"].shape == (576, 16) and tensors["dense.kernel"].shape == (16, plan.NUM_CLASSES)
    write_weights(tensors, tmp_path, 0.3, 0.5, {})
    layers = json.loads((tmp_path / "digits.json").read_text())["layers"]
    assert [(layer["name"], layer["units"], layer["activation"]) for layer in layers if layer["type"] == "dense"] == [
        ("hidden", 16, "relu"), ("dense", plan.NUM_CLASSES, "softmax")]

    images = np.random.default_rng(1).random((6, 28, 28), dtype=np.float32)
    reference = inference_model({k: v.astype(np.float32) for k, v in tensors.items()}).predict(
        images[..., None], verbose=0)
    assert reference.std(axis=0).max() > 1e-4  # the images get different answers: a real comparison
    numpy_probs = load_model(tmp_path, backend="numpy").predict_batch(images)
    python_probs = np.array([load_model(tmp_path, backend="python").predict28(x.ravel().tolist()) for x in images])
    assert np.abs(numpy_probs - reference).max() < 1e-5
    assert np.abs(python_probs - reference).max() < 1e-5
