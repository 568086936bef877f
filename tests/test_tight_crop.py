"""A photo cropped tight to the writing is read again inside a margin of paper (pymodel/model.py's
MARGIN_SURE; web/js/read.js is held to the same by the golden fixtures tight_crop_one and tight_crop_nine)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from pymodel.model import MARGIN_SURE
from pymodel.raster import unmargin_box, with_margin
from tests.helpers import ROOT
from training.data import load_split


def test_both_ports_keep_a_second_reading_at_the_same_bar():
    js = (ROOT / "web" / "js" / "read.js").read_text()
    assert float(re.search(r"export const MARGIN_SURE = ([0-9.]+);", js).group(1)) == MARGIN_SURE


def test_with_margin_puts_the_image_in_the_middle_of_its_median_paper():
    img = [0.0, 0.5, 0.9, 0.9, 0.8, 0.2]  # 3 x 2; median (0.5 + 0.8) / 2
    gray, w, h, pad = with_margin(img, 3, 2)
    assert pad == (3 + 2) // 4 + 2 == 3  # a quarter of the longer side, rounded half up, + 2
    assert (w, h) == (9, 8) and len(gray) == w * h
    rows = [gray[y * w:(y + 1) * w] for y in range(h)]
    assert rows[pad][pad:pad + 3] == img[:3] and rows[pad + 1][pad:pad + 3] == img[3:]
    inside = {(pad + y) * w + pad + x for y in range(2) for x in range(3)}
    assert {v for k, v in enumerate(gray) if k not in inside} == {0.65}
    # Boxes come back into the image's pixels, clipped to it.
    assert unmargin_box([pad + 1, pad, 2, 2], pad, 3, 2) == [1, 0, 2, 2]
    assert unmargin_box([0, 0, w, h], pad, 3, 2) == [0, 0, 3, 2]
    assert unmargin_box(None, pad, 3, 2) is None


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
    padded, pw, ph, pad = with_margin(g, w, h)
    calls = []
    original = model.read_once
    model.read_once = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        reading = model.read(padded, pw, ph)
    finally:
        del model.read_once
    assert reading.number == str(label) and len(calls) == 1
