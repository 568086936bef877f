"""The row reader's exported weights (pymodel/row_weights.py) load, are refused when damaged, and both
kernels give the per-column logits Keras gives for those float16-rounded weights."""
from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from pymodel import WeightsError
from pymodel.kernels_numpy import NumpyRowKernels
from pymodel.kernels_python import PythonRowKernels
from pymodel.row_weights import load_row_weights
from pymodel.rows import HEIGHT, STRIDE
from tests.helpers import ROOT, SHIPPED_WEIGHTS, row_picture

KERAS_MODEL = ROOT / "training" / "row_reader" / "row_reader.keras"
TOLERANCE = 1e-4  # on logits of magnitude ~10: float32 (Keras, NumPy) against float64 (pure Python) sums
EXAMPLES = ("m0000.png", "m0002.jpg", "m0005.png")


def _random_picture(width: int, seed: int = 3) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() if rng.random() < 0.3 else 0.0 for _ in range(HEIGHT * width)]


def greedy(logits) -> str:
    """CTC's best path: the likeliest class per column, repeats merged, blanks (index 10) dropped."""
    best = np.asarray(logits).argmax(axis=1)
    return "".join(str(k) for i, k in enumerate(best) if k != 10 and (i == 0 or k != best[i - 1]))


@pytest.fixture(scope="module")
def weights():
    return load_row_weights(SHIPPED_WEIGHTS)


@pytest.fixture(scope="module")
def pictures() -> list[tuple[list[float], int]]:
    return [row_picture(name) for name in EXAMPLES] + [(_random_picture(124), 124)]


@pytest.fixture(scope="module")
def keras_logits(weights, pictures) -> list[np.ndarray]:
    pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) is needed for the Keras reference")
    import keras

    model = keras.models.load_model(KERAS_MODEL, compile=False)
    for name, (shape, values) in weights.tensors.items():
        if name.endswith(".kernel"):
            layer = name[:-len(".kernel")]
            bias_shape, bias = weights.tensors[f"{layer}.bias"]
            model.get_layer(layer).set_weights([np.asarray(values, np.float32).reshape(shape),
                                                np.asarray(bias, np.float32).reshape(bias_shape)])
    return [model.predict(np.asarray(px, np.float32).reshape(1, HEIGHT, w, 1), verbose=0)[0] for px, w in pictures]


def test_shipped_row_weights_load(weights):
    assert weights.labels == [str(d) for d in range(10)] + ["blank"]
    assert weights.tensors["logits.kernel"][0] == (1, 1, 64, 11)
    assert all(len(values) == np.prod(shape) for shape, values in weights.tensors.values())
    assert (SHIPPED_WEIGHTS / "rows.npz").stat().st_size <= 200_000


def test_exported_tensors_are_the_models_rounded_to_float16(weights):
    pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) reads the Keras model")
    import keras

    model = keras.models.load_model(KERAS_MODEL, compile=False)
    for name, (shape, values) in weights.tensors.items():
        layer, part = name.rsplit(".", 1)
        original = model.get_layer(layer).get_weights()[0 if part == "kernel" else 1]
        assert np.array_equal(np.asarray(values, np.float32).reshape(shape),
                              original.astype(np.float16).astype(np.float32)), name


def test_kernels_match_keras(weights, pictures, keras_logits):
    python, numpy_ = PythonRowKernels(weights), NumpyRowKernels(weights)
    for (pixels, width), reference in zip(pictures, keras_logits):
        assert reference.shape == (width // STRIDE, 11)
        assert reference.std(axis=0).max() > 0.1  # columns differ: a real comparison
        assert np.abs(np.array(python.forward(pixels, width)) - reference).max() < TOLERANCE
        assert np.abs(numpy_.forward_array(pixels, width) - reference).max() < TOLERANCE


def test_greedy_reading_matches_keras(weights, pictures, keras_logits):
    pixels, width = pictures[0]  # m0000.png
    reading = greedy(keras_logits[0])
    assert reading and greedy(PythonRowKernels(weights).forward(pixels, width)) == reading
    assert greedy(NumpyRowKernels(weights).forward(pixels, width)) == reading


def test_python_and_numpy_kernels_agree_without_keras(weights):
    python, numpy_ = PythonRowKernels(weights), NumpyRowKernels(weights)
    for width in (4, 36, 200):
        pixels = _random_picture(width, seed=width)
        a, b = np.array(python.forward(pixels, width)), np.array(numpy_.forward(pixels, width))
        assert a.shape == b.shape == (width // STRIDE, 11)
        assert np.abs(a - b).max() < TOLERANCE


@pytest.mark.parametrize("width", [0, 6, 201])
def test_width_must_be_a_multiple_of_the_stride(weights, width):
    for kernels in (PythonRowKernels(weights), NumpyRowKernels(weights)):
        with pytest.raises(ValueError, match="multiple of 4"):
            kernels.forward([0.0] * (HEIGHT * width), width)


# ---- damaged weights are refused, as tests/test_weights.py does for the digit classifier ----

@pytest.fixture
def rows_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "weights"
    dest.mkdir()
    for name in ("rows.json", "rows.npz"):
        shutil.copy(SHIPPED_WEIGHTS / name, dest / name)
    return dest


def shipped_arrays() -> dict[str, np.ndarray]:
    with np.load(SHIPPED_WEIGHTS / "rows.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def rewrite(weights_dir: Path, arrays=None, raw=None, **manifest_changes) -> None:
    """Replace the npz (arrays or raw bytes), keep the manifest's checksum honest, apply manifest changes."""
    manifest_path = weights_dir / "rows.json"
    manifest = json.loads(manifest_path.read_text())
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        raw = buf.getvalue()
    if raw is not None:
        (weights_dir / "rows.npz").write_bytes(raw)
        manifest["weights"]["sha256"] = hashlib.sha256(raw).hexdigest()
    manifest.update(manifest_changes)
    manifest_path.write_text(json.dumps(manifest))


def test_bad_checksum(rows_copy):
    raw = bytearray((rows_copy / "rows.npz").read_bytes())
    raw[-10] ^= 0x55
    (rows_copy / "rows.npz").write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="sha256 .* does not match.*export_rows"):
        load_row_weights(rows_copy)


def test_corrupt_npz_with_matching_checksum(rows_copy):
    rewrite(rows_copy, raw=b"this is not a zip file" * 10)
    with pytest.raises(WeightsError, match="not a valid .npz"):
        load_row_weights(rows_copy)


@pytest.mark.parametrize("damage, message", [
    (lambda a: a.update({"r4.kernel": a["r4.kernel"][:, :-1]}), "r4.kernel.*shape"),
    (lambda a: a.update({"logits.bias": a["logits.bias"].astype(np.float64)}), "logits.bias"),
    (lambda a: a.update({"r2.bias": a["r2.bias"].astype(np.float32)}), "'r2.bias' is float32, the manifest"),
    (lambda a: a.pop("r1.bias"), "r1.bias.*missing"),
    (lambda a: a.update({"extra": np.zeros(3, np.float16)}), "unexpected arrays"),
    (lambda a: a["r3.kernel"].__setitem__((0, 0, 0, 0), np.nan), "NaN"),
])
def test_damaged_arrays(rows_copy, damage, message):
    arrays = {k: v.copy() for k, v in shipped_arrays().items()}
    damage(arrays)
    rewrite(rows_copy, arrays)
    with pytest.raises(WeightsError, match=message):
        load_row_weights(rows_copy)


def _layers(change):
    layers = json.loads((SHIPPED_WEIGHTS / "rows.json").read_text())["layers"]
    change(layers)
    return layers


@pytest.mark.parametrize("change, message", [
    ({"format_version": 2}, "format_version 2 is not supported"),
    ({"format": "digits-cnn"}, "not a digits-row-ctc manifest"),
    ({"labels": [str(d) for d in range(10)]}, "labels must be"),
    ({"input": {"height": 28, "stride": 4, "channels": 1}}, "height 32"),
    ({"layers": []}, "no layers"),
    ({"layers": _layers(lambda ls: ls.insert(0, {"type": "conv3d"}))}, "unknown type 'conv3d'"),
    ({"layers": _layers(lambda ls: ls[1].update(kernel=[3, 5]))}, "would change the width"),
    ({"layers": _layers(lambda ls: ls[1].update(kernel=3))}, "layer 1 .* malformed"),
    ({"layers": _layers(lambda ls: ls[1].update(activation="sigmoid"))}, "activation"),
    ({"layers": _layers(lambda ls: ls[10].update(kernel=[3, 5]))}, "2 px high.*height to 1"),
    ({"layers": _layers(lambda ls: ls[2].update(size=[2, 1]))}, "narrow the picture 2-fold"),
    ({"layers": _layers(lambda ls: ls[-1].update(activation="relu"))}, "linear conv2d"),
    ({"layers": _layers(lambda ls: ls[-1].update(filters=10))}, "outputs 10 classes"),
])
def test_manifest_problems(rows_copy, change, message):
    rewrite(rows_copy, **change)
    with pytest.raises(WeightsError, match=message):
        load_row_weights(rows_copy)


def test_missing_or_broken_manifest(rows_copy):
    (rows_copy / "rows.json").write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_row_weights(rows_copy)
    (rows_copy / "rows.json").unlink()
    with pytest.raises(WeightsError, match="manifest is missing"):
        load_row_weights(rows_copy)
