"""A photo cropped tight to the writing is read again inside a margin of paper (pymodel/model.py's
MARGIN_SURE, BORDER_NEAR and HOLD_SLACK; web/js/read.js is held to the same by the golden fixtures
tight_crop_one and tight_crop_nine, and by the test photos below read in both ports with the model's outputs)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

import pymodel.model
from pymodel.model import BORDER_NEAR, HOLD_SLACK, MARGIN_SURE
from pymodel.raster import median_sorted, side_paper, unmargin_box, with_margin, with_side_margin
from tests.helpers import ROOT
from tests.test_finding import photo
from tests.test_preprocess_golden import javascript_reads_photos
from training.data import load_split


def test_both_ports_keep_a_second_reading_at_the_same_bar():
    js = (ROOT / "web" / "js" / "read.js").read_text()
    for name, value in (("MARGIN_SURE", MARGIN_SURE), ("BORDER_NEAR", BORDER_NEAR), ("HOLD_SLACK", HOLD_SLACK)):
        assert float(re.search(rf"export const {name} = ([0-9.]+);", js).group(1)) == value, name


def test_with_margin_puts_the_image_in_the_middle_of_its_paper():
    img = [0.9, 0.1, 0.1, 0.9] * 6  # 4 x 6
    gray, w, h, pad = with_margin(img, 4, 6, 0.8)
    assert pad == (6 + 2) // 4 + 2 == 4  # a quarter of the longer side, rounded half up, + 2
    assert (w, h) == (12, 14) and len(gray) == w * h
    rows = [gray[y * w:(y + 1) * w] for y in range(h)]
    assert all(rows[pad + y][pad:pad + 4] == img[y * 4:(y + 1) * 4] for y in range(6))
    inside = {(pad + y) * w + pad + x for y in range(6) for x in range(4)}
    assert {v for k, v in enumerate(gray) if k not in inside} == {0.8}
    # Boxes come back into the image's pixels, clipped to it.
    assert unmargin_box([pad + 1, pad, 2, 2], pad, 4, 6) == [1, 0, 2, 2]
    assert unmargin_box([0, 0, w, h], pad, 4, 6) == [0, 0, 4, 6]
    assert unmargin_box(None, pad, 4, 6) is None


def test_the_second_look_takes_its_paper_from_the_border_ring():
    # A bold 1 cropped tight, 4 x 6: its two middle columns are ink, so half the pixels are ink and their
    # median is grey (0.5); the border ring (one pixel wide here) is 12 of paper and 4 of ink: 0.9.
    img = [0.9, 0.1, 0.1, 0.9] * 6
    gray, w, h, pad = pymodel.model._in_margin(img, 4, 6)
    assert gray[0] == gray[-1] == 0.9 and (w, h, pad) == (12, 14, 4)


def _whole_median(img, w, h):
    """The margin's paper before 2026-12-07: the whole image's median grey."""
    return median_sorted(sorted(img))


def tight_crops(n: int = 40, side: int = 120) -> list[tuple[list[float], int, int, int]]:
    """MNIST test digits cropped to their ink and enlarged, dark on grey paper with a little noise."""
    x, y = load_split("t10k")
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        ys, xs = np.nonzero(x[i] > 30)
        crop = x[i][ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        s = side / max(crop.shape)
        img = Image.fromarray(255 - crop).resize((max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))),
                                                 Image.BILINEAR)
        g = np.clip(np.asarray(img, float) / 255 * 0.8 + 0.12 + rng.normal(0, 0.02, (img.height, img.width)), 0, 1)
        out.append((g.ravel().tolist(), img.width, img.height, int(y[i])))
    return out


@pytest.fixture(scope="module")
def crops():
    return tight_crops()


def test_digits_cropped_tight_are_read(model, crops):
    # As they are, 29 of these 40 are read right: a 1 is erased as a line, a 0's sides as a frame, and
    # strokes at the border are taken for a neighbour's fragments.
    once = sum(model.read_once(g, w, h).number == str(label) for g, w, h, label in crops)
    read = [model.read(g, w, h) for g, w, h, _ in crops]
    assert sum(r.number == str(label) for r, (_, _, _, label) in zip(read, crops)) >= 34 > once
    for r, (_, w, h, _) in zip(read, crops):  # boxes in the image's own pixels
        for d in r.digits:
            x, y, bw, bh = d.box
            assert 0 <= x and 0 <= y and bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
    # `predict` (recognize_gray) reads them the same way.
    assert sum(model.recognize_gray(g, w, h).digit == label for g, w, h, label in crops) >= 34


def test_a_drawing_is_never_read_again(model, crops):
    # The pad's borders cut nothing (drawn), so there is nothing for a margin to mend.
    for g, w, h, _ in crops[:10]:
        assert model.read(g, w, h, drawn=True) == model.read_once(g, w, h, drawn=True)


def test_a_digit_clear_of_the_border_is_read_once(model, crops):
    # A sure digit away from the border: the first reading stands and no second one is made.
    g, w, h, label = crops[0]
    padded, pw, ph, pad = pymodel.model._in_margin(g, w, h)
    calls = []
    original = model.read_once
    model.read_once = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        reading = model.read(padded, pw, ph)
    finally:
        del model.read_once
    assert reading.number == str(label) and len(calls) == 1


def test_a_digit_whose_box_stops_short_of_the_border_is_read_again(model, monkeypatch):
    """A 6 photographed and cropped at its ink (a validation scene of the training writers): the box the
    finding gives stops a pixel or two short of the crop's edge, the blurred fringe being no ink, and the
    first reading, its stem as a sure 1, was kept as clear of the border (BORDER_NEAR)."""
    flat, w, h = photo("tight_crop_near_6.jpg")
    assert model.read(flat, w, h).number == "6" and model.recognize_gray(flat, w, h).digit == 6
    monkeypatch.setattr(pymodel.model, "BORDER_NEAR", 0.0)
    assert model.read(flat, w, h).number == "1" and model.recognize_gray(flat, w, h).digit == 1


@pytest.mark.parametrize("name, right", [("tight_crop_bold_6.jpg", "6"), ("tight_crop_bold_8.jpg", "8")])
def test_a_bold_digit_cropped_tight_is_read_inside_a_margin_of_the_paper_at_its_edge(model, monkeypatch, name, right):
    """A bold 6 (a photo) and 8 (a thick-pen drawing) cropped at their ink, validation scenes of the training
    writers. Half of such a crop is ink; a margin of its median grey, halfway to the ink, made a step all
    round the crop, and both came back "not a digit" in either reading. The margin is now the grey of the
    crop's border ring (model._in_margin)."""
    flat, w, h = photo(name)
    assert model.read(flat, w, h).number == right and model.recognize_gray(flat, w, h).digit == int(right)
    monkeypatch.setattr(pymodel.model, "border_median", _whole_median)
    monkeypatch.setattr(pymodel.model, "_LOOKS", pymodel.model._LOOKS[:1])  # the second look alone
    assert model.read(flat, w, h).number == "" and model.recognize_gray(flat, w, h).status == "not_a_digit"


def _old_trigger(digits, width, height):
    """The second look's trigger before MARGIN_SURE was part of it: no sure digit, or one at the border."""
    return (not any(d.status == "ok" for d in digits)
            or any(pymodel.model._touches_border(d.box, width, height) for d in digits))


@pytest.mark.parametrize("name, right, wrong", [("tight_crop_drawn_2.png", "2", "7"),
                                                ("tight_crop_bold_4.jpg", "4", "9")])
def test_a_fairly_sure_reading_of_a_tight_crop_is_read_again(model, monkeypatch, name, right, wrong):
    """A bold 2 (a thick-pen drawing) and 4 (a photo) cropped at their ink, validation scenes of the training
    writers. The finding keeps one stroke clear of the border (the 2's diagonal, the 4's inner corner) and
    drops the rest as ink cut by the crop; that stroke reads as a fairly sure digit (0.75, 0.49) touching no
    border, so no second reading was made. A digit under MARGIN_SURE now calls for one."""
    flat, w, h = photo(name)
    first = model.read_once(flat, w, h).digits
    assert [str(d.digit) for d in first] == [wrong] and first[0].status == "ok" and first[0].confidence < MARGIN_SURE
    assert model.read(flat, w, h).number == right and model.recognize_gray(flat, w, h).digit == int(right)
    monkeypatch.setattr(pymodel.model, "_margin_needed", _old_trigger)
    assert model.read(flat, w, h).number == wrong and model.recognize_gray(flat, w, h).digit == int(wrong)


@pytest.mark.parametrize("name, right", [("tight_crop_shadow_7.jpg", "7"), ("tight_crop_shadow_1.jpg", "1")])
def test_a_shadowed_tight_crop_is_read_inside_a_margin_that_continues_its_paper(model, monkeypatch, name, right):
    """A 7 on grid paper under a light gradient and a faint 1 beside a shadow, cropped at their ink
    (validation scenes of the training writers). Inside the second look's margin, one grey all round, the
    paper at a shadowed edge is darker than the margin and the step is found as ink: "not a digit" either way.
    The third look's margin continues each side's paper (raster.with_side_margin)."""
    flat, w, h = photo(name)
    assert model.read(flat, w, h).number == right and model.recognize_gray(flat, w, h).digit == int(right)
    monkeypatch.setattr(pymodel.model, "_LOOKS", pymodel.model._LOOKS[:1])  # the second look alone
    assert model.read(flat, w, h).number == "" and model.recognize_gray(flat, w, h).status == "not_a_digit"


def test_the_third_look_completes_the_first_reading_but_does_not_replace_it():
    """_side_better: no more digits than the first reading (or one), and the first's sure digits held."""
    def p(digit, box, confidence=0.99):
        return pymodel.model.Prediction(digit, confidence, [0.0] * 10, None, "ok", box)

    first = [p(7, [0, 0, 10, 20]), p(3, [12, 0, 10, 20])]
    assert pymodel.model._side_better([p(7, [0, 0, 22, 20], 1.0)], first, 40, 20)
    more = [p(1, [0, 0, 2, 20], 1.0), p(7, [3, 0, 9, 20], 1.0), p(3, [12, 0, 10, 20], 1.0)]
    assert not pymodel.model._side_better(more, first, 40, 20)  # one digit more
    assert not pymodel.model._side_better([p(7, [0, 0, 10, 20], 1.0)], first, 40, 20)  # the sure 3 dropped
    assert pymodel.model._side_better([p(8, [0, 0, 10, 20], 1.0)], [], 40, 20)  # nothing read first: one digit


def test_side_margin_continues_each_side_of_the_paper():
    # Paper lit on the left (0.9) and shadowed on the right (0.5), a dark stroke down the middle column.
    w, h = 9, 6
    img = [0.1 if x == 4 else (0.9 if x < 4 else 0.5) for y in range(h) for x in range(w)]
    gray, width, height, pad = with_side_margin(img, w, h)
    assert (width, height, pad) == (w + 2 * pad, h + 2 * pad, pad) and pad == (max(w, h) + 2) // 4 + 2
    rows = [gray[y * width:(y + 1) * width] for y in range(height)]
    assert rows[pad + 2][:pad] == [0.9] * pad and rows[pad + 2][-pad:] == [0.5] * pad  # left and right sides
    assert rows[0][pad] == 0.9 and rows[0][pad + w - 1] == 0.5  # the top continues the row beneath it...
    assert 0.5 <= rows[0][pad + 4] <= 0.9  # ...and the stroke crossing it (0.1) is not paper
    assert side_paper([0.7] * 30) == [0.7] * 30 and len(side_paper([0.2, 0.4])) == 2


@pytest.mark.parametrize("name, right, wrong", [("number_near_edge_9490.jpg", "9490", "94"),
                                                ("digit_near_edge_7.jpg", "7", "2")])
def test_a_sure_reading_stays_unless_the_one_inside_a_margin_holds_it(model, monkeypatch, name, right, wrong):
    """A digit near the border calls for a second reading inside a margin; there a neighbour's fragment at
    the image's edge is no longer cut by it, and read with what is beside it as a sure digit it replaced a
    sure reading ("9490" as "94", a 7 as a 2). A second reading must hold the first's sure digits (HOLD_SLACK)."""
    flat, w, h = photo(name)
    assert model.read(flat, w, h).number == right
    monkeypatch.setattr(pymodel.model, "_holds", lambda outer, inner, slack: True)
    assert model.read(flat, w, h).number == wrong


def test_javascript_reads_again_inside_a_margin_as_python(model, tmp_path):
    """web/js/read.js's readNumber on the photos above, the model's outputs for both readings served to it:
    the same final reading as Model.read (the margin's rules are not in the golden fixtures' made-up scores)."""
    names = ["tight_crop_near_6.jpg", "number_near_edge_9490.jpg", "digit_near_edge_7.jpg", "tight_crop_bold_6.jpg",
             "tight_crop_bold_8.jpg", "tight_crop_drawn_2.png", "tight_crop_bold_4.jpg", "tight_crop_shadow_7.jpg",
             "tight_crop_shadow_1.jpg"]
    for name, (record, js) in zip(names, javascript_reads_photos(model, tmp_path, names)):
        assert "margin" in record, name  # each is read a second time
        want = model.read(*photo(name))
        got = js["final"]
        assert got["number"] == want.number, name
        assert [d["box"] for d in got["digits"]] == [d.box for d in want.digits], name
