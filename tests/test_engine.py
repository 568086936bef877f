"""web/engine.py, the page's Python engine, run by CPython: the same functions PyScript exposes to the page,
the interface's result fields, readable start-up errors, and only browser-safe pymodel modules."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from devtools.browser_python import BrowserImportError, browser_modules
from pymodel import load_model
from tests.helpers import ROOT, SHIPPED_WEIGHTS, import_engine

FIELDS = {"digit", "confidence", "probs", "status", "box", "image28", "empty", "unsure", "py_ms"}


@pytest.fixture(scope="module")
def engine():
    return import_engine()


def _paper(image28: np.ndarray, scale: int = 6) -> tuple[list[float], int, int]:
    """An MNIST digit as dark ink on white paper, scaled up like a drawing."""
    img = 1.0 - np.kron(image28.astype(np.float64) / 255.0, np.ones((scale, scale)))
    return img.ravel().tolist(), img.shape[1], img.shape[0]


def test_exports_are_the_functions_the_page_calls(engine):
    assert engine.__export__ == ["info", "use_kernels", "recognize", "read", "predict28", "bench"]
    assert all(callable(getattr(engine, name)) for name in engine.__export__)
    info = engine.info()
    assert info["error"] is None and info["kernels"] == "numpy"
    assert info["python"] == sys.version.split()[0]


def test_recognize_returns_the_interface_fields(engine, mnist_test):
    images, labels = mnist_test
    for i in (0, 1, 2):
        gray, w, h = _paper(images[i])
        r = engine.recognize(gray, w, h)
        assert FIELDS <= set(r), set(r) ^ FIELDS
        assert r["digit"] == int(labels[i]) and r["status"] in ("ok", "unsure")
        assert r["confidence"] == pytest.approx(max(r["probs"][:10]))
        assert len(r["probs"]) >= 10 and len(r["image28"]) == 784
        assert r["box"] is None or len(r["box"]) == 4
        assert r["empty"] is False and r["py_ms"] > 0
        json.dumps(r)  # crosses into JavaScript: plain data only


def test_a_blank_page_is_empty_never_a_guess(engine):
    r = engine.recognize([1.0] * 100 * 80, 100, 80)
    assert r["status"] == "empty" and r["digit"] is None and r["image28"] is None and r["empty"] is True


def _number_on_paper(images: np.ndarray, indices: list[int], scale: int = 4) -> tuple[list[float], int, int]:
    """MNIST digits written side by side (a little apart) as dark ink on white paper."""
    cells = [np.pad(images[i].astype(np.float64) / 255.0, ((6, 6), (2, 2))) for i in indices]
    ink = np.kron(np.hstack(cells), np.ones((scale, scale)))
    img = 1.0 - np.pad(ink, 20)
    return img.ravel().tolist(), img.shape[1], img.shape[0]


def test_read_gives_the_number_with_every_digit_in_one_batched_pass(engine, mnist_test, monkeypatch):
    images, labels = mnist_test
    indices = [0, 1, 2, 3]  # 7 2 1 0
    gray, w, h = _number_on_paper(images, indices)
    model = engine.ENGINE.model
    batches, singles = [], []
    batch, single = model.predict_batch, model.predict28
    monkeypatch.setattr(model, "predict_batch", lambda xs: batches.append(len(xs)) or batch(xs))
    monkeypatch.setattr(model, "predict28", lambda x: singles.append(1) or single(x))
    r = engine.read(gray, w, h)
    expected = "".join(str(int(labels[i])) for i in indices)
    assert r["number"] == expected and len(r["digits"]) == len(indices)
    assert len(batches) == 1 and batches[0] >= len(indices) and not singles, "one forward pass for the number"
    assert r["py_ms"] > 0
    xs = []
    for d in r["digits"]:
        assert FIELDS - {"py_ms"} <= set(d), set(d) ^ FIELDS
        assert d["status"] in ("ok", "unsure") and str(d["digit"]) in expected
        assert len(d["probs"]) == 10 and len(d["image28"]) == 784 and len(d["box"]) == 4
        assert d["confidence"] == pytest.approx(max(d["probs"]))
        xs.append(d["box"][0])
    assert xs == sorted(xs), "left to right"
    json.dumps(r)  # crosses into JavaScript: plain data only


def test_read_of_one_digit_is_that_digit_as_recognize_reads_it(engine, mnist_test):
    images, _ = mnist_test
    gray, w, h = _paper(images[4])
    single = engine.recognize(gray, w, h)
    r = engine.read(gray, w, h)
    assert r["number"] == str(single["digit"]) and len(r["digits"]) == 1
    [d] = r["digits"]
    for key in ("digit", "status", "box", "image28"):
        assert d[key] == single[key], key
    assert np.allclose(d["probs"], single["probs"]) and d["confidence"] == pytest.approx(single["confidence"])


def test_read_of_a_blank_page_has_no_digits(engine):
    r = engine.read([1.0] * 120 * 60, 120, 60)
    assert r["number"] == "" and r["digits"] == []


def test_predict28_and_both_kernels_agree_with_pymodel(engine, mnist_test):
    images, _ = mnist_test
    x = (images[7].astype(np.float64) / 255.0).ravel().tolist()
    reference = load_model(SHIPPED_WEIGHTS).predict28(x)
    assert np.allclose(engine.predict28(x), reference, atol=1e-6)
    try:
        assert engine.use_kernels("python")["kernels"] == "python"
        assert np.allclose(engine.predict28(x), reference, atol=1e-5)
        times = engine.bench(x, 2)
        assert len(times) == 2 and all(t > 0 for t in times)
    finally:
        engine.use_kernels("numpy")


def test_a_corrupt_weights_file_is_reported_not_raised(engine, weights_copy):
    npz = weights_copy / "digits.npz"
    data = bytearray(npz.read_bytes())
    data[100] ^= 0xFF
    npz.write_bytes(bytes(data))
    broken = engine.Engine(weights_copy)
    info = broken.info()
    # The message names the file (not the worker's internal path) and the check that failed.
    assert "digits.npz" in info["error"] and "sha256" in info["error"] and str(weights_copy) not in info["error"]
    with pytest.raises(RuntimeError, match="did not start"):
        broken.recognize([0.0] * 4, 2, 2)


def test_older_pymodel_results_get_a_status(engine):
    """pymodel gains `status` and `box`; until then they are derived from `empty` and `unsure`."""
    class Old:
        empty, unsure = False, True
    assert engine._status(Old()) == "unsure"
    Old.unsure = False
    assert engine._status(Old()) == "ok"
    Old.empty = True
    assert engine._status(Old()) == "empty"


def test_only_browser_safe_modules_ship():
    shipped = {p.name for p in browser_modules(ROOT / "web" / "engine.py", ROOT / "pymodel")}
    assert {"__init__.py", "model.py", "preprocess.py", "weights.py", "npz.py", "checksum.py",
            "kernels_python.py", "kernels_numpy.py"} <= shipped
    assert not {"cli.py", "imageio.py", "idx.py", "__main__.py"} & shipped


def test_a_browser_module_that_imports_pillow_stops_the_build(tmp_path):
    package = tmp_path / "pymodel"
    package.mkdir()
    (package / "__init__.py").write_text("from pymodel.model import run\n")
    (package / "model.py").write_text("def run():\n    from pymodel import helper\n")
    (package / "helper.py").write_text("import json\nfrom PIL import Image\n")
    entry = tmp_path / "engine.py"
    entry.write_text("from pymodel import run\n")
    with pytest.raises(BrowserImportError, match=r"pymodel/helper\.py imports 'PIL'"):
        browser_modules(entry, package)


def test_the_engine_runs_without_numpy_and_pillow_as_in_pyodide(tmp_path):
    """The browser may have no NumPy (and never Pillow): the shipped modules alone must work."""
    site = tmp_path / "site"
    for src in browser_modules(ROOT / "web" / "engine.py", ROOT / "pymodel"):
        dest = site / "pymodel" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    (site / "pymodel" / "weights").mkdir()
    for f in SHIPPED_WEIGHTS.iterdir():
        (site / "pymodel" / "weights" / f.name).write_bytes(f.read_bytes())
    (site / "engine.py").write_bytes((ROOT / "web" / "engine.py").read_bytes())
    script = (
        "import sys; sys.modules.update(numpy=None, PIL=None)\n"  # importing either now fails
        "import engine, json\n"
        "gray = [1.0] * 900\n"
        "for y in range(5, 25): gray[y * 30 + 15] = 0.0\n"
        "print(json.dumps({**engine.info(), 'status': engine.recognize(gray, 30, 30)['status'],\n"
        "                  'read': engine.read(gray, 30, 30)['number']}))\n"
    )
    out = subprocess.run([sys.executable, "-E", "-s", "-c", script], cwd=site, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["error"] is None and info["kernels"] == "python" and info["numpy_unavailable"]
    assert info["status"] in ("ok", "unsure") and info["read"] == "1"
