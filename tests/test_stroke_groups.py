"""web/js/stroke-groups.js: which of the pad's strokes make one digit (the pad then draws each digit clearing a
band round it on the digits before, so digits written touching reach the reader apart; the browser tests in
tests/browser/test_number_page.py check the reading)."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers import ROOT

HALF = {"x": 0.01, "y": 0.02}  # half the line width, in pad widths and heights

SCRIPT = """
const { strokeGroups } = await import(process.argv[1]);
const [cases, half] = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map((strokes) =>
  strokeGroups(strokes.map((s) => s.map(([x, y]) => ({ x, y }))), half))));
"""


def groups(*cases: list) -> list:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, cannot run web/js/stroke-groups.js")
    module = (ROOT / "web" / "js" / "stroke-groups.js").as_uri()
    proc = subprocess.run([node, "--input-type=module", "-e", SCRIPT, module, json.dumps([list(cases), HALF])],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def digit(x: float, *strokes: list) -> list:
    """Strokes of a digit 0.1 wide whose left side is at x (stroke points given in the digit's 0..1 box)."""
    return [[(x + px * 0.1, py) for px, py in s] for s in strokes]


FOUR = ([(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)])
SEVEN = ([(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)],)
ONE = ([(0.5, 0.0), (0.5, 1.0)],)


def test_digits_side_by_side_are_groups_in_the_order_they_were_written():
    strokes = digit(0.1, *SEVEN) + digit(0.22, *ONE) + digit(0.3, *SEVEN)
    assert groups(strokes) == [{"digits": [[0], [1], [2]], "across": []}]


def test_touching_neighbours_are_still_two_digits():
    # The 1's ink (0.05 wide with the line) meets the 7 beside it: they share a sliver of columns.
    assert groups(digit(0.1, *SEVEN) + digit(0.16, *ONE))[0]["digits"] == [[0], [1]]


def test_a_digits_later_strokes_join_it():
    # A 4's stem after its corner; a 7 crossed after the next digit was written.
    crossed = digit(0.1, *SEVEN) + digit(0.3, *ONE) + digit(0.1, [(0.3, 0.5), (0.8, 0.5)])
    assert [g["digits"] for g in groups(digit(0.1, *FOUR), crossed)] == [[[0, 1]], [[0, 2], [1]]]


def test_neighbours_overlapping_by_half_or_more_stay_one_group():
    # Read from the pixels as today: the reader decides where to cut.
    assert groups(digit(0.1, *SEVEN) + digit(0.14, *SEVEN))[0]["digits"] == [[0, 1]]


def test_an_underline_across_several_digits_is_left_out():
    # Under "71", clear of it or touching it; under a single digit it cannot be told from a stroke of that
    # digit. A line over the number is left out too.
    number = digit(0.1, *SEVEN) + digit(0.2, *ONE)
    clear, touching, over = [[(0.09, 1.1), (0.31, 1.1)]], [[(0.09, 1.0), (0.31, 1.02)]], [[(0.09, -0.02), (0.31, 0.0)]]
    assert groups(number + clear, number + touching, number + over, digit(0.1, *SEVEN) + clear) == [
        {"digits": [[0], [1]], "across": [2]}] * 3 + [{"digits": [[0, 1]], "across": []}]


def test_a_stroke_crossing_several_digits_makes_them_one_group():
    # The bar of an "H" drawn after its two stems, a line through "717": read from their pixels, as drawn.
    h = digit(0.1, *ONE) + digit(0.2, *ONE) + [[(0.15, 0.5), (0.25, 0.5)]]
    through = digit(0.1, *SEVEN) + digit(0.2, *ONE) + digit(0.28, *SEVEN) + [[(0.1, 0.5), (0.35, 0.5)]]
    assert groups(h, through) == [{"digits": [[0, 1, 2]], "across": []}, {"digits": [[0, 1, 2, 3]], "across": []}]


def test_a_stroke_that_carries_on_from_the_one_before_is_the_same_mark():
    # A "V" and an "M" with the pen lifted at each corner: one mark, not "11" and "1111". Two 1s are two digits.
    v = [[(0.1, 0.0), (0.2, 1.0)], [(0.2, 1.0), (0.3, 0.0)]]
    m = [[(0.1, 1.0), (0.1, 0.0)], [(0.1, 0.0), (0.2, 0.6)], [(0.2, 0.6), (0.3, 0.0)], [(0.3, 0.0), (0.3, 1.0)]]
    ones = [[(0.1, 0.0), (0.1, 1.0)], [(0.2, 0.0), (0.2, 1.0)]]
    assert [g["digits"] for g in groups(v, m, ones)] == [[[0, 1]], [[0, 1, 2, 3]], [[0], [1]]]


def test_no_strokes_no_groups():
    assert groups([], [[]]) == [{"digits": [], "across": []}] * 2
