"""The golden fixtures pin pymodel.preprocess, and web/js/preprocess.js must agree with it.

Fixtures: tests/fixtures/golden/*.json, made by tests/fixtures/make_golden.py.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pymodel.imageio import rgba_to_gray_array
from pymodel.preprocess import preprocess
from tests.helpers import ROOT

# The JavaScript port of the issue 7 digit finding (web/js/preprocess.js: ink map, lines, components,
# locate, ink-separating grey) comes after the page restructure lands; until then the JS side still runs
# the previous algorithm and its comparisons are skipped. The Python expectations are checked regardless.
JS_PORT_PENDING = ("web/js/preprocess.js is not yet ported to the issue 7 digit finding "
                   "(pymodel/preprocess.py and imageio.rgba_to_gray_array); pending JS port")

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
        "ruled_margin", "shadow_edge", "neighbours_lined_shadow", "faint_pencil", "box_around", "underline",
        "grid_paper", "plot_viridis", "canvas_frame", "dark_canvas",
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
    assert got.box == fx["box"]
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
@pytest.mark.skip(reason=JS_PORT_PENDING)
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


@pytest.mark.skip(reason=JS_PORT_PENDING)
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
    # The CLI's converter (pymodel.imageio) and the page's must agree: both feed pymodel.preprocess.
    py = rgba_to_gray_array(np.array(rgba, dtype=np.float64).reshape(height, width, 4) / 255.0).ravel().tolist()
    assert len(js) == len(py) == width * height
    assert max(abs(a - b) for a, b in zip(js, py)) <= 1e-12
    # Fully transparent pixels are white paper whatever their colour.
    assert py[1] == pytest.approx(1.0) and py[7] == pytest.approx(1.0)


def test_rgba_to_gray_formula():
    # Opaque pure colours give the luma weights; transparency composites onto white.
    px = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 128]
    gray = rgba_to_gray_array(np.array(px, dtype=np.float64).reshape(2, 2, 4) / 255.0).ravel()
    assert gray[:3] == pytest.approx([0.299, 0.587, 0.114])
    assert gray[3] == pytest.approx(1 - 128 / 255)


def _node_eval(code: str) -> dict:
    node = _node()
    proc = subprocess.run(
        [node, "--input-type=module", "-e", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.skip(reason=JS_PORT_PENDING)
def test_javascript_constants_and_errors_match_python():
    from pymodel.preprocess import PARAMETERS

    url = (ROOT / "web" / "js" / "preprocess.js").as_uri()
    got = _node_eval(
        f"""
        const m = await import({json.dumps(url)});
        const errors = [];
        for (const [g, w, h] of [[[], 0, 0], [[0, 0, 0, 0], 0, 4], [[0, 0, 0, 0], 4, -1],
                                 [[0, 0, 0, 0, 0], 2, 2], [[0, 0, 0], 2, 2], [[0, 0], 1.5, 2]]) {{
          try {{ m.preprocessGray(g, w, h); errors.push(null); }} catch (e) {{ errors.push(e.message); }}
        }}
        const red = m.reduceBlocks(Array.from({{length: 35}}, (_, i) => (i * 7 % 11) / 10), 7, 5, 3);
        console.log(JSON.stringify({{params: m.PARAMETERS, maxSide: m.MAX_SIDE, errors,
          reduced: {{gray: Array.from(red.gray), width: red.width, height: red.height}}}}));
        """
    )
    assert got["params"] == PARAMETERS
    assert got["maxSide"] == PARAMETERS["max_side"]
    assert all(isinstance(msg, str) and msg for msg in got["errors"]), got["errors"]
    from pymodel.preprocess import reduce_blocks

    out, w, h = reduce_blocks([(i * 7 % 11) / 10 for i in range(35)], 7, 5, 3)
    assert (got["reduced"]["width"], got["reduced"]["height"]) == (w, h) == (3, 2)
    assert max(abs(a - b) for a, b in zip(got["reduced"]["gray"], out)) <= 1e-12


def _random_image(rng, w: int, h: int) -> list[float]:
    """Paper of a random level and noise, with a few random strokes of random polarity and width."""
    paper = rng.random()
    ink = 1.0 - paper if rng.random() < 0.8 else rng.random()
    img = [min(1.0, max(0.0, paper + rng.gauss(0, 0.04))) for _ in range(w * h)]
    for _ in range(rng.randint(0, 4)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
        r = rng.uniform(0, max(1.0, min(w, h) / 12))
        for _ in range(rng.randint(1, 3 * max(w, h))):
            x, y = x + dx, y + dy
            for yy in range(int(y - r), int(y + r) + 1):
                for xx in range(int(x - r), int(x + r) + 1):
                    if 0 <= xx < w and 0 <= yy < h:
                        img[yy * w + xx] = ink
    return [round(v, 4) for v in img]


@pytest.mark.skip(reason=JS_PORT_PENDING)
def test_javascript_matches_python_on_random_images(tmp_path):
    """Beyond the fixtures: odd sizes (1 px wide, 1 px high, just over MAX_SIDE) and random content."""
    import random

    _node()
    rng = random.Random(20261122)
    sizes = [(1, 1), (1, 40), (40, 1), (3, 3), (17, 9), (28, 28), (64, 50), (257, 12), (90, 300), (259, 263)]
    sizes += [(rng.randint(5, 120), rng.randint(5, 120)) for _ in range(20)]
    cases = {}
    for i, (w, h) in enumerate(sizes):
        gray = _random_image(rng, w, h)
        name = f"r{i:02d}.json"
        (tmp_path / name).write_text(json.dumps({"width": w, "height": h, "gray": gray}))
        cases[name] = preprocess(gray, w, h)
    proc = subprocess.run(
        [shutil.which("node"), str(RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    assert sum(not r.empty for r in cases.values()) >= 10  # the random set must exercise the full path
    for name, py in cases.items():
        assert js[name]["empty"] == py.empty, name
        assert js[name]["inverted"] == py.inverted, name
        if not py.empty:
            assert max_abs_diff(js[name]["image28"], py.image28) <= JS_TOLERANCE, name
