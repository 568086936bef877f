"""Training crops for the number reader: what pymodel.segment's candidate generator proposes on a synthetic
number, labelled against the number's true digit boxes.

The reader (pymodel.segment) lists candidate digits (runs of cut pieces) and lets the classifier choose
among them, so the classifier must say "not a digit" to a wrong candidate: a fragment of a digit (half a
0 cut by a seam, the flag of a 5 alone) or two neighbours merged into one picture. The candidates come from
the run-time code itself (`pymodel.segment.candidates`, the one implementation `Model.read` uses), on
numbers rendered from training writers and fonts (training.synth.numbers), and each is labelled by
comparing its box with the true digit boxes:

- the digit k when it covers at least MATCH of k's columns and of its rows, and at most STRAY of any other
  digit's columns (neighbours that overlap a little still share some columns);
- "not_a_digit" when it covers at least MERGE of two digits' columns (a merge), when it covers less than
  FRAGMENT of the best-matching digit's columns or rows (a piece), or when it touches no digit at all;
- anything in between is ambiguous and left out (a nearly right cut is neither clearly right nor wrong).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.synth.dataset import NOT_A_DIGIT

MATCH = 0.8
STRAY = 0.25
MERGE = 0.5
FRAGMENT = 0.6
# A photographed digit's true box is the bounding box of its rotated, warped box: wider and taller than its
# ink by up to a few percent of its height on each side. The candidate is given that much slack.
SLACK = 0.06


def _cover(a0: float, a1: float, b0: float, b1: float) -> float:
    """Share of the interval [b0, b1) that [a0, a1) covers."""
    return max(0.0, min(a1, b1) - max(a0, b0)) / max(1e-9, b1 - b0)


def label_candidate(box: Sequence[float], truths: Sequence[tuple[int, Sequence[float]]]) -> int | None:
    """The training label of a candidate whose box is [x, y, w, h] among true digits (digit, [x, y, w, h]):
    the digit, NOT_A_DIGIT, or None when it is ambiguous (see the module docstring)."""
    x, y, w, h = box
    cols = [_cover(x, x + w, tx, tx + tw) for _, (tx, _, tw, _) in truths]
    if not truths or max(cols) == 0.0:
        return NOT_A_DIGIT
    if sum(1 for c in cols if c >= MERGE) >= 2:
        return NOT_A_DIGIT
    rows = [_cover(y, y + h, ty, ty + th) for _, (_, ty, _, th) in truths]
    k = max(range(len(truths)), key=lambda i: (cols[i] * rows[i], cols[i]))
    digit, (tx, ty, tw, th) = truths[k]
    slack = SLACK * th
    col = _cover(x - slack, x + w + slack, tx, tx + tw)
    row = _cover(y - slack, y + h + slack, ty, ty + th)
    if col >= MATCH and row >= MATCH and all(c <= STRAY for i, c in enumerate(cols) if i != k):
        return int(digit)
    if col < FRAGMENT or row < FRAGMENT:
        return NOT_A_DIGIT
    return None


def number_crops(split: str, index: int, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """The labelled candidates of one synthetic number: (28x28 float images, labels); ambiguous ones left out.
    A number read as one piece (no candidates) gives nothing."""
    from pymodel.imageio import gray_image
    from pymodel.preprocess import analyse, normalize
    from pymodel.segment import candidates
    from training.synth.numbers import render_number

    scene = render_number(split, index, seed)
    img = gray_image(scene.pixels())
    h, w = img.gray.shape
    page = analyse(img.gray.ravel().tolist(), w, h)
    if page.empty:
        return [], []
    _, spans = candidates(page, normalize)
    truths = [(d["digit"], d["box"]) for d in scene.digits]
    images, labels = [], []
    for span in spans:
        label = label_candidate(img.source_box(page.source_box(span.digit.box)), truths)
        if label is not None:
            images.append(np.asarray(span.image28, np.float32).reshape(28, 28))
            labels.append(label)
    return images, labels
