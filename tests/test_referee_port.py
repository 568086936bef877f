"""The row reader's JavaScript pieces agree with pymodel, computed live here (Python is the reference):
web/js/preprocess/rows.js with pymodel/rows.py, web/js/preprocess/referee.js with pymodel/referee.py, and
segment.js's bestPath with segment.best_path (a spelling through the digit reader's lattice).

One run of tests/js/run_referee.mjs answers every request of the module.
"""
from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from pymodel import referee, rows, segment
from pymodel.preprocess import analyse
from tests.helpers import ROOT

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
RUNNER = ROOT / "tests" / "js" / "run_referee.mjs"
FIXTURES = sorted(GOLDEN.glob("*.json"))
NUMBERS = [p for p in FIXTURES if p.stem.startswith("number_")]
# The same additions in the same order: only Math.exp, Math.log and Math.log1p, whose last bit may differ
# from C's libm, and referee.js's compensated sum in place of math.fsum, separate the ports.
TOLERANCE = 1e-9
# Row pixels: digitValues and resize are the same doubles as Python's; a different decision (another box,
# another level) moves them by far more.
PIXEL_TOLERANCE = 1e-6


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def drawn_pages(tmp: Path) -> list[Path]:
    """Pages beyond the fixtures: seeded random drawn numbers (several digits, touching too, slanted, some
    on the pad) and a row of 24 digits, wider than MAX_COLUMNS (no picture)."""
    from tests.fixtures.make_golden import in_row, strokes, to_gray

    rng = random.Random(20270118)
    made = []
    for i in range(12):
        n, size, pen = rng.randint(2, 6), rng.randint(24, 50), rng.uniform(2, 7)
        step = size * rng.uniform(0.55, 1.1)
        slope = rng.uniform(-0.25, 0.25)
        w, h = int(step * n + 2 * size), int(2.2 * size + abs(slope) * step * n)
        y = size * 0.5 + max(0.0, -slope * step * n)
        digits = in_row([rng.randrange(10) for _ in range(n)], size * 0.6, y, size * 0.62, size, step, slope)
        made.append((strokes((w, h), digits, pen), i % 3 == 0))
    made.append((strokes((24 * 36 + 40, 60), in_row([d % 10 for d in range(24)], 20, 15, 12, 30, 36), 3), True))
    paths = []
    for i, (img, drawn) in enumerate(made):
        path = tmp / f"drawn{i:02d}.json"
        path.write_text(json.dumps({"width": img.width, "height": img.height, "gray": to_gray(img),
                                    "read": {"drawn": drawn}}))
        paths.append(path)
    return paths


def referee_cases() -> list[dict]:
    """Seeded random logits of several widths (0 and 1 columns too), with exact ties (two digits with the
    same logit: equal strings' scores, decided by the string; every class alike: by length too), near ties
    (1e-6 apart) and repeated digits (a digit's run, a blank, the same digit again)."""
    rng = random.Random(424242)
    cases = []
    for n, beam, top in [(0, 10, 5), (1, 10, 5), (1, 3, 20), (2, 10, 5), (3, 2000, 8), (5, 10, 5), (8, 4, 3),
                         (12, 10, 5), (20, 10, 10), (40, 10, 5), (40, 25, 20)]:
        for kind in ("random", "ties", "repeats"):
            logits = [[rng.gauss(0.0, 2.0) for _ in range(11)] for _ in range(n)]
            if kind == "ties":
                for column in logits:
                    a, b, c = rng.sample(range(11), 3)
                    column[b] = column[a]  # an exact tie
                    column[c] = column[a] + rng.choice([1e-6, -1e-6])  # a near one
            elif kind == "repeats":
                digits = [rng.choice([1, 1, 3, 7]) for _ in range(n)]
                for t, column in enumerate(logits):
                    # runs of one digit with blanks between: "1 1 _ 1 3 3 _ _ 3" spells "1133" mostly
                    sure = referee.BLANK if t % 3 == 2 else digits[t // 3 * 3]
                    column[sure] += 6.0
            columns = referee.log_softmax(logits)
            found = [s for s, _ in referee.likeliest(columns, beam, top)]
            strings = sorted(set(found + ["", "1", "11", "111", "1133", "7", "37", "373", "2026", "9" * (n + 1),
                                          "".join(rng.choice("0123456789") for _ in range(max(1, n // 3)))]))
            cases.append({"logits": logits, "columns": columns, "strings": strings, "beam": beam, "n": top})
    for n in (1, 2, 3):  # every class alike: "" and the single digits tie, so length decides, then the string
        logits = [[0.5] * 11 for _ in range(n)]
        columns = referee.log_softmax(logits)
        cases.append({"logits": logits, "columns": columns, "strings": ["", "0", "00", "09", "90", "0909"], "beam": 10,
                      "n": 12})
    return cases


def spans_of(stored: dict) -> list[segment.Span]:
    """A fixture's stored candidates as spans: best_path needs their prior's terms and their digits' rows
    (_side_by_side), which the stored box gives."""
    return [segment.Span(c["first"], c["last"],
                         SimpleNamespace(x0=c["box"][0], y0=c["box"][1], x1=c["box"][0] + c["box"][2],
                                         y1=c["box"][1] + c["box"][3]),
                         [], c["wide"], c["gaps"], c["severs"], c["joins"], c["edge"]) for c in stored["candidates"]]


def spellings(reading: str) -> list[str | None]:
    """The reading, one digit changed (first and last), one dropped, one added, repeated digits, nothing and
    an impossible one (more digits than the lattice has runs for); None: decide's own best reading."""
    out: list[str | None] = [None, reading, "", "1" * 40]
    if reading:
        out += [str((int(reading[0]) + 1) % 10) + reading[1:], reading[:-1] + str((int(reading[-1]) + 5) % 10),
                reading[:-1], reading[1:], reading + "1", reading[0] * len(reading)]
    return out


def spell_cases() -> list[dict]:
    cases = []
    for path in NUMBERS:
        stored = load(path)["read"]
        if not stored["candidates"]:
            continue
        probs = stored["batch_scores"]
        chosen = segment.decide(stored["skippable"], spans_of(stored), probs)
        reading = "".join(str(segment._top_digit(probs[k])) for k in chosen)
        cases.append({"name": path.stem, "skippable": stored["skippable"], "candidates": stored["candidates"],
                      "probs": probs, "spellings": spellings(reading), "chosen": stored["chosen"]})
    return cases


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot check web/js/preprocess")
    tmp = tmp_path_factory.mktemp("referee_port")
    pages = FIXTURES + drawn_pages(tmp)
    requests = {
        "rows": [str(p) for p in pages],
        "referee": referee_cases(),
        "spell": [{k: c[k] for k in ("skippable", "candidates", "probs", "spellings")} for c in spell_cases()],
    }
    (tmp / "requests.json").write_text(json.dumps(requests))
    proc = subprocess.run([node, str(RUNNER), str(tmp / "requests.json")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return SimpleNamespace(pages=pages, requests=requests, results=json.loads(proc.stdout))


def test_constants_match(js):
    got = subprocess.run(
        [shutil.which("node"), "--input-type=module", "-e", f"""
        const rows = await import({json.dumps((ROOT / "web/js/preprocess/rows.js").as_uri())});
        const referee = await import({json.dumps((ROOT / "web/js/preprocess/referee.js").as_uri())});
        console.log(JSON.stringify([rows.PARAMETERS, rows.TOP, referee.BLANK, referee.BEAM]));
        """], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True).stdout
    assert json.loads(got) == [rows.PARAMETERS, rows.TOP, referee.BLANK, referee.BEAM]


def test_row_pictures_match(js):
    """rowImage(page, buildRow(page)) against rows.row_image(page, segment.build_row(page)) on every golden
    fixture and on drawn numbers: the row's digits, width, x0 and scale exactly, the pixels to rounding."""
    pictures = 0
    for path, got in zip(js.pages, js.results["rows"]):
        fx = load(path)
        page = analyse(fx["gray"], fx["width"], fx["height"], fx["read"]["drawn"])
        row = [] if page.empty else segment.build_row(page)
        assert got["row"] == [d.box for d in row], path.name
        want = None if page.empty else rows.row_image(page, row)
        if want is None:
            assert got["image"] is None, path.name
            continue
        pictures += 1
        image = got["image"]
        assert (image["width"], image["x0"], image["scale"], image["columns"]) == (
            want.width, want.x0, want.scale, want.columns), path.name
        assert image["column"] == [want.column(x) for x in (want.x0, want.x0 + 7, want.x0 + 0.5)], path.name
        assert len(image["pixels"]) == len(want.pixels) == rows.HEIGHT * want.width
        assert max(abs(a - b) for a, b in zip(image["pixels"], want.pixels)) <= PIXEL_TOLERANCE, path.name
    # The set holds pictures of rows of several digits, and rows with none (empty pages, too wide a row).
    assert pictures >= 50
    assert sum(len(got["row"]) >= 3 for got in js.results["rows"]) >= 15
    too_wide = js.results["rows"][-1]
    assert len(too_wide["row"]) == 24 and too_wide["image"] is None


def _close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= TOLERANCE  # a == b: both -inf


def test_referee_matches(js):
    """logSoftmax, logProb and likeliest on the same columns; likeliest's strings in the same order exactly
    (ties broken the same way), their scores to rounding; and the whole way from the logits."""
    ties = 0
    for case, got in zip(js.requests["referee"], js.results["referee"]):
        columns = case["columns"]
        assert len(got["logSoftmax"]) == len(columns)
        for a, b in zip(got["logSoftmax"], columns):
            assert max(abs(x - y) for x, y in zip(a, b)) <= TOLERANCE
        want = [referee.log_prob(columns, s) for s in case["strings"]]
        assert all(_close(a, b) for a, b in zip(got["logProb"], want)), case["strings"]
        assert len(got["logProb"]) == len(want)
        assert any(p == -math.inf for p in want)  # the impossible strings are so in both
        for found in (got["likeliest"], got["fromLogits"]):
            expected = referee.likeliest(columns, case["beam"], case["n"])
            assert [s for s, _ in found] == [s for s, _ in expected]
            assert all(_close(a, b) for (_, a), (_, b) in zip(found, expected))
        scores = [p for _, p in referee.likeliest(columns, case["beam"], case["n"])]
        ties += len(scores) - len(set(scores))
    assert ties >= 5  # exactly equal scores, ranked by the tie-breaking keys


def test_best_path_with_spelling_matches(js):
    """bestPath on the number fixtures' stored candidates and outputs: decide's reading, the reading spelled,
    other spellings (a digit changed, dropped, added; nothing; impossible) give Python's score and spans."""
    cases = spell_cases()
    assert len(cases) >= 15
    spelled = impossible = 0
    for case, got in zip(cases, js.results["spell"]):
        spans = spans_of(case)
        assert segment.best_path(case["skippable"], spans, case["probs"])[1] == case["chosen"], case["name"]
        assert len(got) == len(case["spellings"])
        for spelling, (score, chosen) in zip(case["spellings"], got):
            want_score, want_chosen = segment.best_path(case["skippable"], spans, case["probs"], spelling)
            assert chosen == want_chosen and _close(score, want_score), (case["name"], spelling)
            spelled += spelling is not None and want_score > -math.inf
            impossible += want_score == -math.inf
    assert spelled >= 5 * len(cases) and impossible >= len(cases)
