"""Manifests with an 11th class, "not_a_digit" (TEAM.md interface 2), next to today's 10-class ones."""
import json

import numpy as np
import pytest

from pymodel import WeightsError, load_model, load_weights
from tests.test_weights import rewrite, shipped_arrays


def make_eleven(weights_dir, reject=0.5, bias=-4.0):
    """Turn a copy of the shipped weights into an 11-class model whose not_a_digit unit has the constant logit
    `bias` (so its probability is small on any digit)."""
    arrays = shipped_arrays()
    kernel, digit_bias = arrays["dense.kernel"][:, :10], arrays["dense.bias"][:10]  # the digits, whatever ships
    arrays["dense.kernel"] = np.concatenate([kernel, np.zeros((kernel.shape[0], 1), kernel.dtype)], axis=1)
    arrays["dense.bias"] = np.append(digit_bias, np.float16(bias)).astype(digit_bias.dtype)
    manifest = json.loads((weights_dir / "digits.json").read_text())
    layers = [dict(layer, units=11) if layer["type"] == "dense" else layer for layer in manifest["layers"]]
    tensors = {**manifest["tensors"], "dense.kernel": {"shape": list(arrays["dense.kernel"].shape), "dtype": "float16"},
               "dense.bias": {"shape": [11], "dtype": "float16"}}
    rewrite(weights_dir, arrays, layers=layers, tensors=tensors, labels=[str(d) for d in range(10)] + ["not_a_digit"],
            reject_threshold=reject)


def test_eleven_class_model_loads_and_predicts(weights_copy, mnist_test):
    make_eleven(weights_copy)
    w = load_weights(weights_copy)
    assert w.labels[-1] == "not_a_digit" and w.reject_threshold == 0.5
    for backend in ("numpy", "python"):
        probs = load_model(weights_copy, backend).predict28((mnist_test[0][0] / 255.0).ravel().tolist())
        assert len(probs) == 11 and abs(sum(probs) - 1.0) < 1e-5
        assert max(range(11), key=probs.__getitem__) == mnist_test[1][0]


def test_ten_class_manifest_has_no_reject_threshold():
    from tests.helpers import SHIPPED_WEIGHTS
    w = load_weights(SHIPPED_WEIGHTS)
    if len(w.labels) == 10:
        assert w.reject_threshold is None


@pytest.mark.parametrize("change, message", [
    ({"reject_threshold": None}, "needs reject_threshold"),
    ({"reject_threshold": 1.5}, "needs reject_threshold"),
    ({"labels": [str(d) for d in range(10)]}, "outputs 11 classes but the manifest lists 10 labels"),
    ({"labels": [str(d) for d in range(10)] + ["letter"]}, "labels must be"),
])
def test_bad_eleven_class_manifests(weights_copy, change, message):
    make_eleven(weights_copy)
    rewrite(weights_copy, **change)
    with pytest.raises(WeightsError, match=message):
        load_weights(weights_copy)
