"""The row reader's TF.js graph model (web/model/rows/, training/export_rows.py) holds exactly rows.npz's float16
weights, and the page's TfjsEngine (run in Node on TF.js's CPU backend, tests/js/run_rows_tfjs.mjs) gives
the logits pymodel's NumpyRowKernels give on real rows of different widths."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from pymodel.kernels_numpy import NumpyRowKernels
from pymodel.row_weights import load_row_weights
from pymodel.rows import HEIGHT, STRIDE
from tests.helpers import ROOT, SHIPPED_WEIGHTS, row_picture

ROWS_MODEL = ROOT / "web" / "model" / "rows"
DIGIT_MODEL = ROOT / "web" / "model"
RUNNER = ROOT / "tests" / "js" / "run_rows_tfjs.mjs"
EXAMPLES = ("m0000.png", "m0002.jpg")  # rows 68 and 44 px wide
# float32 in both, different summation orders; a wrong weight or a shifted column moves logits by far more.
TOLERANCE = 1e-3
NUMPY_DTYPES = {"float16": "<f2", "float32": "<f4", "int32": "<i4"}


def _shard_tensors(model_dir) -> list[np.ndarray]:
    """Every weight the graph model stores, decoded from its shards as TF.js does (float16 widened)."""
    spec = json.loads((model_dir / "model.json").read_text())
    tensors = []
    for group in spec["weightsManifest"]:
        data = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            stored = (w.get("quantization") or {}).get("dtype", w["dtype"])
            count = int(np.prod(w["shape"]))
            values = np.frombuffer(data, NUMPY_DTYPES[stored], count, offset)
            offset += values.nbytes
            tensors.append(values.astype(w["dtype"]).reshape(w["shape"]))
        assert offset == len(data), "the shards hold more than the manifest lists"
    return tensors


def _key(array: np.ndarray) -> tuple:
    return tuple(array.shape), np.asarray(array, np.float32).tobytes()


def test_tfjs_row_model_is_small_and_holds_exactly_the_float16_weights():
    assert sum(p.stat().st_size for p in ROWS_MODEL.iterdir()) <= 250_000
    floats = [t for t in _shard_tensors(ROWS_MODEL) if t.dtype == np.float32]
    with np.load(SHIPPED_WEIGHTS / "rows.npz", allow_pickle=False) as npz:
        exported = [npz[k] for k in npz.files]
    # Matched by shape and value, not by the converter's node names: the same multiset of tensors.
    assert sorted(map(_key, floats)) == sorted(map(_key, exported))


def _run_node(model_dir, rows: list[tuple[list[float], int]], tmp_path) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot run web/js/tfjs-rows.js")
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps({"rows": [{"pixels": p, "width": w} for p, w in rows]}))
    proc = subprocess.run([node, str(RUNNER), str(model_dir), str(rows_file)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # TF.js prints a banner before it


def test_tfjs_row_reader_matches_numpy_kernels(tmp_path):
    rows = [row_picture(name) for name in EXAMPLES]
    assert len({w for _, w in rows}) == len(rows)  # different widths: the model's width really is free
    out = _run_node(ROWS_MODEL, rows, tmp_path)
    assert out["rowReader"] and out["error"] is None
    assert out["leaked"] == 0
    assert out["widthError"] == f"the row picture's width must be a positive multiple of {STRIDE}, got 6"
    kernels = NumpyRowKernels(load_row_weights(SHIPPED_WEIGHTS))
    for (pixels, width), logits in zip(rows, out["logits"]):
        tfjs, reference = np.array(logits), kernels.forward_array(pixels, width)
        assert tfjs.shape == reference.shape == (width // STRIDE, 11)
        assert reference.std(axis=0).max() > 0.1  # columns differ: a real comparison
        assert np.abs(tfjs - reference).max() < TOLERANCE


def test_a_model_of_another_shape_leaves_no_row_reader(tmp_path):
    out = _run_node(DIGIT_MODEL, [([0.0] * HEIGHT * 8, 8)], tmp_path)
    assert not out["rowReader"] and out["logits"] == []
    assert "expects input [-1,28,28,1], not [n,32,width,1]" in out["error"]
    assert "no row reader" in out["widthError"]
