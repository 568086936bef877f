"""The golden fixtures pin pymodel.preprocess, and web/js/preprocess.js must agree with it.

Fixtures: tests/fixtures/golden/*.json, made by tests/fixtures/make_golden.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # plain `pytest` does not put the repo root on sys.path
    sys.path.insert(0, str(ROOT))

from pymodel.color import rgba_to_gray  # noqa: E402
from pymodel.preprocess import preprocess  # noqa: E402

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
RUNNER = ROOT / "tests" / "js" / "run_preprocess.mjs"
FIXTURES = sorted(GOLDEN.glob("*.json"))
NAMES = [p.name for p in FIXTURES]
JS_TOLERANCE = 1e-5


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def max_abs_diff(a, b) -> float:
    assert len(a) == len(b) == 784
    return max(abs(x - y) for x, y in zip(a, b))


def test_fixture_set_is_complete():
    # The cases the fixture set promises to cover; guards against a half-regenerated directory.
    expected = {
        "blank", "canvas_drawing", "huge_digit", "narrow_one", "near_blank_speck", "off_centre",
        "photo_gradient_noise", "thick_stroke", "thin_stroke", "tiny_digit", "uniform_grey",
    }
    assert {p.stem for p in FIXTURES} == expected
    assert sum(p.stat().st_size for p in FIXTURES) < 2_000_000
    huge = load(GOLDEN / "huge_digit.json")
    assert max(huge["width"], huge["height"]) > 256  # the reduce step runs


@pytest.mark.parametrize("path", FIXTURES, ids=NAMES)
def test_python_matches_stored_expected(path):
    fx = load(path)
    got = preprocess(fx["gray"], fx["width"], fx["height"])
    assert got.inverted == fx["inverted"]
    if fx["expected"] is None:
        assert got.empty and got.image28 is None
    else:
        assert not got.empty
        # Tolerance only for float summation differences between Python versions (3.12+ sum() is
        # compensated); any real change of the algorithm moves pixels by far more.
        assert max_abs_diff(got.image28, fx["expected"]) <= 1e-9


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot check web/js/preprocess.js")
    return node


@pytest.fixture(scope="module")
def js_results():
    node = _node()
    proc = subprocess.run(
        [node, str(RUNNER), str(GOLDEN)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", FIXTURES, ids=NAMES)
def test_javascript_matches_python(path, js_results):
    fx = load(path)
    py = preprocess(fx["gray"], fx["width"], fx["height"])
    js = js_results[path.name]
    assert js["empty"] == py.empty
    assert js["inverted"] == py.inverted
    if py.empty:
        assert js["image28"] is None
    else:
        assert max_abs_diff(js["image28"], py.image28) <= JS_TOLERANCE


def test_rgba_to_gray_matches_javascript(tmp_path):
    node = _node()
    width, height = 4, 3
    rgba = []
    for i in range(width * height):
        # Varied colours and every kind of alpha: opaque, transparent, half, nearly transparent.
        rgba += [(37 * i) % 256, (91 * i + 13) % 256, (53 * i + 200) % 256, [255, 0, 128, 1, 254, 77][i % 6]]
    src = tmp_path / "rgba.json"
    src.write_text(json.dumps({"width": width, "height": height, "rgba": rgba}))
    proc = subprocess.run(
        [node, str(RUNNER), "--rgba", str(src)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)["gray"]
    py = rgba_to_gray(bytes(rgba), width, height)
    assert len(js) == len(py) == width * height
    assert max(abs(a - b) for a, b in zip(js, py)) <= 1e-12
    # Fully transparent pixels are white paper whatever their colour.
    assert py[1] == pytest.approx(1.0) and py[7] == pytest.approx(1.0)


def test_rgba_to_gray_formula():
    # Opaque pure colours give the luma weights; transparency composites onto white.
    px = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 128]
    gray = rgba_to_gray(px, 2, 2)
    assert gray[:3] == pytest.approx([0.299, 0.587, 0.114])
    assert gray[3] == pytest.approx(1 - 128 / 255)
    assert rgba_to_gray(bytes([10, 10, 10, 255]), 1, 1) == rgba_to_gray([10, 10, 10, 255], 1, 1)
