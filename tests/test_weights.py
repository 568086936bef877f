import hashlib
import io
import json

import numpy as np
import pytest

from pymodel import WeightsError, load_model, load_weights
from pymodel.npz import read_npz
from tests.helpers import SHIPPED_WEIGHTS


def rewrite(weights_dir, arrays=None, raw=None, **manifest_changes):
    """Replace the npz (arrays or raw bytes), keep the manifest's checksum honest, apply manifest changes."""
    manifest_path = weights_dir / "digits.json"
    manifest = json.loads(manifest_path.read_text())
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        raw = buf.getvalue()
    if raw is not None:
        (weights_dir / "digits.npz").write_bytes(raw)
        manifest["weights"]["sha256"] = hashlib.sha256(raw).hexdigest()
    manifest.update(manifest_changes)
    manifest_path.write_text(json.dumps(manifest))


def shipped_arrays():
    with np.load(SHIPPED_WEIGHTS / "digits.npz", allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_shipped_weights_load_and_match_numpy_reader():
    w = load_weights(SHIPPED_WEIGHTS)
    arrays = shipped_arrays()
    assert set(w.tensors) == set(arrays)
    for name, (shape, values) in w.tensors.items():
        assert shape == arrays[name].shape
        assert np.array_equal(np.asarray(values, np.float32).reshape(shape), arrays[name].astype(np.float32))
    # Chosen on realistic validation scenes (training/evaluate.py's grids); with an 11th class the rejection
    # carries most of the flagging and the unsure threshold can sit low.
    assert 0.2 <= w.unsure_threshold < 1.0
    assert w.reject_threshold is None if len(w.labels) == 10 else 0.05 <= w.reject_threshold < 1.0


def test_stdlib_npz_reader_matches_numpy():
    buf = io.BytesIO()
    a = np.linspace(-3, 3, 24, dtype=np.float16).reshape(2, 3, 4)
    b = np.array([1.5, -2.25], dtype=np.float32)
    np.savez_compressed(buf, a=a, b=b)
    out = read_npz(buf.getvalue())
    assert out["a"][:2] == ((2, 3, 4), "float16") and out["a"][2] == a.astype(float).ravel().tolist()
    assert out["b"] == ((2,), "float32", [1.5, -2.25])


def test_bad_checksum(weights_copy):
    raw = bytearray((weights_copy / "digits.npz").read_bytes())
    raw[-10] ^= 0x55
    (weights_copy / "digits.npz").write_bytes(bytes(raw))
    with pytest.raises(WeightsError, match="sha256 .* does not match"):
        load_model(weights_copy)


def test_corrupt_npz_with_matching_checksum(weights_copy):
    rewrite(weights_copy, raw=b"this is not a zip file" * 10)
    with pytest.raises(WeightsError, match="not a valid .npz"):
        load_weights(weights_copy)


def test_wrong_shape(weights_copy):
    arrays = shipped_arrays()
    arrays["conv2.kernel"] = arrays["conv2.kernel"][:, :, :, :-1]
    rewrite(weights_copy, arrays)
    with pytest.raises(WeightsError, match="conv2.kernel.*shape"):
        load_weights(weights_copy)


def test_wrong_dtype(weights_copy):
    arrays = shipped_arrays()
    arrays["dense.bias"] = arrays["dense.bias"].astype(np.float64)
    rewrite(weights_copy, arrays)
    with pytest.raises(WeightsError, match="dense.bias"):
        load_weights(weights_copy)


def test_missing_and_extra_arrays(weights_copy):
    arrays = shipped_arrays()
    del arrays["conv1.bias"]
    rewrite(weights_copy, arrays)
    with pytest.raises(WeightsError, match="conv1.bias.*missing"):
        load_weights(weights_copy)
    arrays = shipped_arrays()
    arrays["extra"] = np.zeros(3, np.float16)
    rewrite(weights_copy, arrays)
    with pytest.raises(WeightsError, match="unexpected arrays"):
        load_weights(weights_copy)


def test_nan_weights(weights_copy):
    arrays = shipped_arrays()
    arrays["dense.kernel"] = arrays["dense.kernel"].copy()
    arrays["dense.kernel"][0, 0] = np.nan
    rewrite(weights_copy, arrays)
    with pytest.raises(WeightsError, match="NaN"):
        load_weights(weights_copy)


def test_pickled_object_array_refused(weights_copy):
    buf = io.BytesIO()
    np.savez(buf, **{**shipped_arrays(), "dense.bias": np.array([object()] * 10, dtype=object)})
    rewrite(weights_copy, raw=buf.getvalue())
    with pytest.raises(WeightsError, match="dense.bias|not a little-endian float"):
        load_weights(weights_copy)


@pytest.mark.parametrize("change, message", [
    ({"format_version": 2}, "format_version 2 is not supported"),
    ({"format": "something-else"}, "not a digits-cnn manifest"),
    ({"unsure_threshold": 7}, "unsure_threshold"),
    ({"layers": [{"type": "conv3d"}]}, "unknown type"),
])
def test_manifest_problems(weights_copy, change, message):
    rewrite(weights_copy, **change)
    with pytest.raises(WeightsError, match=message):
        load_weights(weights_copy)


def test_missing_or_broken_manifest(weights_copy):
    (weights_copy / "digits.json").write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_weights(weights_copy)
    (weights_copy / "digits.json").unlink()
    with pytest.raises(WeightsError, match="manifest is missing"):
        load_weights(weights_copy)


def test_weights_file_is_small():
    assert (SHIPPED_WEIGHTS / "digits.npz").stat().st_size <= 200_000
