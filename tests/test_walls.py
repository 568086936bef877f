"""Numbers written in a form's boxes (pymodel/walls.py): the walls between the cells are not read as 1s.

The photos are MNIST test digits written into the cells of a form (a scratch probe's scenes, and one of
training/forms.py's): a comb field (a line under the cells with a short tick between each two), a row of
boxes side by side (the shared sides are twice as thick as a line), separate boxes, and boxes in red print
photographed askew with digits touching the sides (found only by the search between the two long lines,
lines.lines_between), and a comb in green print whose last tick the 0 touches (found only where the pitch
of the others puts it, lines.lines_in). Before walls.py they read "1313111151", "71711181613",
"9916141111", "8171811" and "151514101"
(JavaScript reads them as Python does: tests/test_preprocess_golden.py reads every photo of
tests/fixtures/photos in both ports).
"""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pymodel import preprocess as preprocess_module
from pymodel import walls
from pymodel.preprocess import analyse
from tests.test_finding import photo

FORMS = [
    ("form_comb_33115.jpg", "33115"),
    ("form_boxes_771863.jpg", "771863"),
    ("form_boxes_apart_096411.jpg", "096411"),
    ("form_boxes_tilted_8781.jpg", "8781"),
    ("form_comb_5540.jpg", "5540"),
    ("form_comb_partly_80.jpg", "80"),
    ("form_comb_partly_51.jpg", "51"),
    ("form_boxes_empty.jpg", ""),
    ("form_comb_empty.jpg", ""),
    ("form_comb_blurred_63.jpg", "63"),
    ("form_boxes_faint_empty.jpg", ""),
    ("form_boxes_partly_7.jpg", "7"),
]


@pytest.mark.parametrize("name,number", FORMS)
def test_a_number_in_a_form_is_read_without_its_walls(model, monkeypatch, name, number):
    flat, w, h = photo(name)
    page = analyse(flat, w, h)
    assert sum(ln.wall for ln in page.lines) >= 3
    assert model.read(flat, w, h).number == number

    monkeypatch.setattr(preprocess_module, "find_walls", lambda mask, lines, comps, w, h, d: [])
    wrong = model.read(flat, w, h).number
    assert wrong != number and len(wrong) > len(number), wrong


# How a careful hand varies from one 1 to the next: where its top is, how far from the last it stands, how far
# it leans (pixels). Four 1s exactly alike at an exact pitch would be taken for a printed form's walls.
TOPS = (0, 5, -3, 6, 2)
SHIFTS = (0, 2, -1, 3, 1)
LEANS = (3, 2, 4, 3, 5)


def _ones_on_ruled_paper(n: int, pitch: int) -> tuple[list[float], int, int]:
    """n straight 1s evenly spaced by hand, standing on a ruled line, nothing between them."""
    w, h = 60 + n * pitch, 120
    img = Image.new("L", (w, h), 235)
    d = ImageDraw.Draw(img)
    for y in (20, 60, 100):
        d.line([(0, y), (w, y)], fill=150, width=1)
    for k in range(n):
        x = 40 + k * pitch + SHIFTS[k]
        d.line([(x + LEANS[k], 24 + TOPS[k]), (x, 99)], fill=30, width=3)
    return [v / 255 for v in img.tobytes()], w, h


@pytest.mark.parametrize("n,pitch", [(3, 40), (5, 26)])
def test_ones_standing_on_a_ruled_line_are_no_walls(model, monkeypatch, n, pitch):
    """1s are nearly as regular as walls and stand on the line too, but no writing stands between them, and
    a hand does not make them as alike as print (walls._printed)."""
    flat, w, h = _ones_on_ruled_paper(n, pitch)
    assert not any(ln.wall for ln in analyse(flat, w, h).lines)
    assert model.read(flat, w, h).number == "1" * n

    monkeypatch.setattr(walls, "_holds_writing", lambda row, comps: True)
    assert sum(ln.wall for ln in analyse(flat, w, h).lines) >= 3
    assert model.read(flat, w, h).number != "1" * n


def test_a_one_where_the_row_misses_a_wall_is_no_writing(model, monkeypatch):
    """Five MNIST 1s written evenly on a ruled line (a scratch probe's photo): three of them alike make a row
    with a gap, and the fourth, shorter, stood in its "cell" as writing, so three 1s were erased ("11"). A
    stroke centred where the row misses a wall is no writing (walls._holds_writing)."""
    flat, w, h = photo("ones_on_a_rule_11111.jpg")
    assert not any(ln.wall for ln in analyse(flat, w, h).lines)
    assert model.read(flat, w, h).number == "11111"

    def before(row, comps):  # the rule before: every component in a cell is writing
        own = [u[3] for u in row]
        length = sorted(walls._length(u) for u in row)[len(row) // 2]
        writing = [c for c in comps if all(c is not o for o in own) and c.height >= walls.HOLDS * length]
        filled = sum(1 for a, b in zip(row, row[1:]) if any(a[0] < (c.x0 + c.x1) / 2 < b[0] for c in writing))
        return filled >= 2 and 3 * filled >= len(row) - 1

    monkeypatch.setattr(walls, "_holds_writing", before)
    assert model.read(flat, w, h).number == "11"


def test_ones_as_alike_as_print_are_kept_by_their_ink(model, monkeypatch):
    """Five upright 1s exactly alike at an exact pitch on a ruled line: as regular as a form's walls, with
    nothing between them, but a pen's ink is darker than the printed rule's (walls.PRINTED_INK)."""
    w, h = 220, 120
    img = Image.new("L", (w, h), 235)
    d = ImageDraw.Draw(img)
    for y in (20, 60, 100):
        d.line([(0, y), (w, y)], fill=150, width=1)
    for k in range(5):
        d.line([(40 + 30 * k, 30), (40 + 30 * k, 99)], fill=30, width=3)
    flat = [v / 255 for v in img.tobytes()]
    assert not any(ln.wall for ln in analyse(flat, w, h).lines)
    assert model.read(flat, w, h).number == "11111"

    monkeypatch.setattr(walls, "PRINTED_INK", 10.0)
    assert sum(ln.wall for ln in analyse(flat, w, h).lines) >= 4
    assert model.read(flat, w, h).number != "11111"


@pytest.mark.parametrize("name,number,before", [("form_comb_partly_80.jpg", "80", "8011"),
                                                ("form_comb_partly_51.jpg", "51", "511111"),
                                                ("form_boxes_empty.jpg", "", "111111")])
def test_empty_cells_need_no_writing_when_the_walls_are_as_regular_as_print(model, monkeypatch, name,
                                                                            number, before):
    """"80" in the first two cells of a six-cell comb, "51" in a four-cell one (the 1 stays a 1), and a row of
    six empty boxes: too few cells hold writing for the writing rule, but the walls are as alike and as
    evenly spaced as print (walls._printed)."""
    flat, w, h = photo(name)
    assert model.read(flat, w, h).number == number
    monkeypatch.setattr(walls, "_printed", lambda row, bar, d, w: False)
    assert model.read(flat, w, h).number == before


def test_a_printed_row_must_be_alike_evenly_spaced_square_to_its_line_and_in_its_ink():
    """walls._printed on rows of uprights standing on a flat line: five ticks 20 px long every 30 px, in the
    line's ink, are print; one tick 5 px shorter (a quarter of their length), one 2 px off the pitch, one
    leaning 2 px over its length, only three ticks, or ticks twice as dark as the line (a pen's 1s on a
    printed rule), and they are not. Turned with the photo, the ticks stay square to the line."""
    from pymodel.components import Component
    from pymodel.lines import Line

    w, h = 200, 80

    def bar(slope: float = 0.0) -> Line:
        line = Line(True, 50.0, slope, 0, w - 1, w, True)
        line.pixels = [round(50 + slope * (x - w / 2)) * w + x for x in range(w)]
        return line

    def tick(x: float, top: int = 30, lean: float = 0.0) -> walls.Upright:
        c = Component()
        c.runs = [(y, round(x + lean * (49 - y)), round(x + lean * (49 - y)) + 2) for y in range(top, 50)]
        c.x0, c.x1 = min(r[1] for r in c.runs), max(r[2] for r in c.runs)
        return (x + 1, top, 50, c)

    def row(**change: walls.Upright) -> list[walls.Upright]:
        ticks = [tick(10.0 + 30 * k) for k in range(5)]
        for k, u in change.items():
            ticks[int(k[1:])] = u
        return ticks

    def ink(ticks: list[walls.Upright], line: Line, pen: float = 0.5) -> list[float]:
        d = [0.0] * (w * h)
        for i in line.pixels:
            d[i] = 0.5
        for u in ticks:
            for y, x0, x1 in u[3].runs:
                for x in range(x0, x1):
                    d[y * w + x] = pen
        return d

    def printed(ticks: list[walls.Upright], line: Line | None = None, pen: float = 0.5) -> bool:
        line = line or bar()
        return walls._printed(ticks, line, ink(ticks, line, pen), w)

    assert printed(row())
    assert not printed(row(k2=tick(70.0, top=35)))
    assert not printed(row(k2=tick(72.0)))
    assert not printed(row(k2=tick(70.0, lean=0.1)))
    assert not printed(row()[:3])
    assert not printed(row(), pen=1.0)
    # A photo turned: the line falls 0.1 px per pixel across, and the ticks lean back 0.1 px per pixel down.
    assert printed([tick(10.0 + 30 * k, lean=0.1) for k in range(5)], bar(0.1))
    assert not printed([tick(10.0 + 30 * k, lean=0.1) for k in range(5)], bar(0.0))


def test_ticks_joined_to_a_blurred_lines_fringe_are_cut_from_it(model, monkeypatch):
    """A small blurred photo of "63" in a three-cell comb: the line's fringe stays as ink and joins each tick
    with a stretch of the line into one wide component, so no tick is an upright. The parts above the line's
    band are (walls._split_on), and the fringe goes with them."""
    flat, w, h = photo("form_comb_blurred_63.jpg")
    assert model.read(flat, w, h).number == "63"
    monkeypatch.setattr(walls, "_split_on", lambda bar, comps, w: [])
    # The first reading (its last "1" ends near the photo's bottom, so Model.read then reads it again inside a
    # margin of paper, model.BORDER_NEAR, and that second reading happens to read "63" too).
    assert model.read_once(flat, w, h).number == "16311"


def test_a_side_found_twice_goes_with_its_wall(model, monkeypatch):
    """Three empty boxes in faint print: the right side is found once from the mask's runs (24 to 81) and once
    between the two lines (27 to 80); the row takes the second, and the first, 3 px longer at its top, is a
    piece of that wall too. Left as ink, it read as a "1" (and as a "2" with the lines' fringes, before the
    lines a row of walls stands on were taken as the form's)."""
    flat, w, h = photo("form_boxes_faint_empty.jpg")
    assert model.read(flat, w, h).number == ""
    # The rule before: a piece lies within the wall's rows, give or take REACH.
    monkeypatch.setattr(walls, "_piece_of", lambda piece, wall: abs(piece[0] - wall[0]) <= walls.REACH
                        and wall[1] - walls.REACH <= piece[1] and piece[2] <= wall[2] + walls.REACH)
    assert model.read(flat, w, h).number == "1"


def test_the_line_the_walls_stand_on_is_never_read_alone(model):
    """An empty comb: once its ticks are erased nothing is left but its line, and a stretch of it was read as
    "not a digit" when nothing else was left (preprocess.locate). The line a row of walls stands on is marked
    as the form's too."""
    flat, w, h = photo("form_comb_empty.jpg")
    page = analyse(flat, w, h)
    assert [ln.wall for ln in page.lines if ln.horizontal] == [True]
    reading = model.read(flat, w, h)
    assert reading.number == "" and reading.digits == []


def test_a_blank_form_is_empty(model, monkeypatch):
    """Six empty boxes: once the walls are erased nothing is left, not even the joints where each side meets
    the top and bottom lines (walls._junction); they stayed as flecks, and the form read "not a digit"."""
    flat, w, h = photo("form_boxes_empty.jpg")
    reading = model.read(flat, w, h)
    assert reading.number == "" and reading.digits == []
    monkeypatch.setattr(walls, "_junction", lambda bar, u, mask_rows, w: [])
    reading = model.read(flat, w, h)
    assert reading.number == "" and [d.status for d in reading.digits] == ["not_a_digit"]


def test_a_side_found_between_the_lines_comes_before_its_component(model, monkeypatch):
    """A 7 in the first of four boxes side by side: the second side is a component (with the corners where it
    meets the lines) and a line found between the lines. Taking the component, the row's lengths were too
    unlike for print, and the 7's box alone is too little writing (walls._lines_first)."""
    flat, w, h = photo("form_boxes_partly_7.jpg")
    assert model.read(flat, w, h).number == "7"
    monkeypatch.setattr(walls, "_lines_first", lambda uprights, sides: list(uprights) + list(sides))
    assert model.read(flat, w, h).number == "711"


def test_a_tick_at_the_very_end_of_the_line_stands_on_it():
    """A comb's last tick makes a corner with the line, and the corner's runs are no part of the line found
    (lines.py leaves crossings out): the line found ends at the tick's left edge, 2.5 px short of its middle
    and past REACH. Any of the tick's width on the line will do (the empty comb form_comb_empty.jpg read
    "1111" without it)."""
    from pymodel.components import Component
    from pymodel.lines import Line

    bar = Line(True, 120.0, 0.0, 39, 205, 167, True)
    bar.x0, bar.x1, bar.y0, bar.y1 = 39, 206, 118, 123
    tick = Component()
    tick.x0, tick.x1, tick.y0, tick.y1 = 206, 211, 73, 122
    assert walls._stands_on(bar, ((tick.x0 + tick.x1) / 2, tick.y0, tick.y1, tick), 2, 300)
    assert not walls._stands_on(bar, (216.5, tick.y0, tick.y1, tick), 2, 300)  # beyond the line's end
    assert not walls._stands_on(bar, (208.5, tick.y0, tick.y1, tick), 1, 300)  # its top is nowhere near


def test_a_drawing_on_the_pad_has_no_walls():
    """The pad's drawings are cut out of nothing, and have no form: the step is skipped there."""
    flat, w, h = photo("form_comb_33115.jpg")
    assert any(ln.wall for ln in analyse(flat, w, h).lines)
    assert not any(ln.wall for ln in analyse(flat, w, h, drawn=True).lines)


def test_walls_are_never_given_back_to_a_digit():
    """A wall that touches a digit is still a wall: locate.belongs never gives it back as the digit's stroke."""
    from pymodel.lines import Line
    from pymodel.locate import Digit, belongs

    digit = Digit([], 10, 10, 30, 40, 100.0, False)
    line = Line(False, 31.0, 0.0, 10, 39, 30, False)
    line.x0, line.y0, line.x1, line.y1 = 30, 10, 32, 40
    assert belongs(line, digit, 100, 60)
    line.wall = True
    assert not belongs(line, digit, 100, 60)


def test_sides_that_digits_touch_are_found_between_the_long_lines(model, monkeypatch):
    """In the tilted red boxes the digits touch the inner sides, which come apart into pieces of other
    lengths and into the digits' components: only the search between the top and bottom lines finds them
    whole (lines.lines_between), and their pieces go with them."""
    flat, w, h = photo("form_boxes_tilted_8781.jpg")
    assert model.read(flat, w, h).number == "8781"
    monkeypatch.setattr(walls, "lines_between", lambda mask_rows, w, h, top, bottom: [])
    assert model.read(flat, w, h).number != "8781"


def test_the_form_scenes_are_the_same_every_time():
    """training/forms.py (the model card's forms line): a seed gives the same photos; a layout it does not
    know is an error that names the ones it knows."""
    import numpy as np

    from training.forms import LAYOUTS, form_numbers, render_form

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)
    labels = np.arange(20) % 10
    first = list(form_numbers(images, labels, 2, seed=5))
    assert first == list(form_numbers(images, labels, 2, seed=5))
    assert [layout for layout, _, _ in first] == [layout for layout in LAYOUTS for _ in range(2)]
    assert all(photo[:2] == b"\xff\xd8" and 3 <= len(label) <= 6 for _, photo, label in first)
    with pytest.raises(ValueError, match="comb, boxes, apart"):
        render_form(rng, images, labels, "grid")


def test_a_tick_that_a_digit_touches_is_found_where_the_pitch_puts_it(model, monkeypatch):
    """The 0 touches the comb's last tick, which is then part of the 0's component and made it a 9: the ticks
    the row does show give the pitch, and a line is searched where it puts one (walls._unseen,
    lines.lines_in)."""
    flat, w, h = photo("form_comb_5540.jpg")
    assert model.read(flat, w, h).number == "5540"
    monkeypatch.setattr(walls, "lines_in", lambda mask_rows, w, h, window, min_len: [])
    assert model.read(flat, w, h).number == "5549"


def test_a_row_never_takes_one_upright_twice():
    """Two uprights 2 px apart, 5 px long, set a 2 px pitch, and the one at 12 px lay within reach of the
    next place the pitch put a wall (14 px) again and again: the row kept taking it, its pitch shrank and
    the search never ended (a validation photo hung there, growing the row until memory ran out). A wall
    now lies at least half a pitch beyond the last one."""
    import signal

    from pymodel.components import Component

    def stop(signum, frame):
        raise TimeoutError("walls._row did not finish")

    a, b = Component(), Component()
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(5)
    try:
        row = walls._row([(10.0, 0, 5, a), (12.0, 0, 5, b)])
    finally:
        signal.alarm(0)
    assert [u[0] for u in row] == [10.0, 12.0]
