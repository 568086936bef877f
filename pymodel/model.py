"""The recognizer: validated weights + the fastest kernels this Python has + the shared preprocessing."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pymodel.preprocess import Page, analyse, as_model_input, normalize, single
from pymodel.raster import border_median, unmargin_box, with_margin, with_side_margin
from pymodel.row_weights import MANIFEST_NAME as ROW_MANIFEST
from pymodel.row_weights import RowWeights, load_row_weights
from pymodel.segment import NUMBER_HEIGHT, NUMBER_REJECTS, NUMBER_SURE, segment
from pymodel.weights import DEFAULT_DIR, Weights, load_weights

BACKENDS = ("auto", "numpy", "python")
STATUSES = ("ok", "unsure", "not_a_digit", "empty")
REASONS = ("low_confidence", "not_digit_like", "smaller", "whole_row")
# A photo cropped tight to the writing leaves the digit at the image's border, where the finding takes its
# strokes for a neighbour cut by the crop or for lines, and reads nothing, "not a digit" or a part of it.
# A reading with no sure digit, a digit under MARGIN_SURE, or a digit touching the border is done again
# inside a margin of paper (raster.with_margin, the margin the page gives a region the user draws), and the
# second reading is kept when each of its digits is at least MARGIN_SURE sure and surer than the first's
# least sure digit. A reading under MARGIN_SURE could be replaced, so it is worth the second look even clear
# of the border: cropped tight round a bold digit, the finding can keep one stroke clear of the border (the
# top of a 3, the diagonal of a 2) and drop the rest as ink cut by the crop, and read that stroke as a
# fairly sure digit (validation digits cropped to their box: 542 -> 553 of 600, with 5% round it 547 -> 561).
MARGIN_SURE = 0.9
# A box within BORDER_NEAR of the image's longer side from its border touches it: in a crop cut at the ink,
# the box the finding gives stops a pixel or two short of the edge (a blurred stroke's fringe is no ink).
# Chosen on the validation digits (training writers) cropped to their box: 516 -> 533 of 600 read right.
BORDER_NEAR = 0.03
# When every digit of the first reading is sure (NUMBER_SURE), the second must hold the first's digits,
# its box within HOLD_SLACK of the longer side round theirs: inside a margin a neighbour's fragment at the
# image's edge is no longer cut by it, and a sure "53004" came back as the "1" of a fragment there.
HOLD_SLACK = 0.05


@dataclass
class Prediction:
    digit: int | None  # None when the image is empty or not a digit: nothing is guessed
    confidence: float  # probability of the answer given (of "not a digit" for that status; 0 when empty)
    probs: list[float]  # the ten digit probabilities (first ten softmax outputs)
    image28: list[float] | None
    status: str  # one of STATUSES
    box: list[int] | None = None  # [x, y, w, h] of the region read, in pixels of the image given
    # Why a digit of a number is unsure (_in_number): one of REASONS, "" otherwise. A digit shorter than
    # the others is unsure however confident the classifier is, and the page says so instead of "unsure 99%".
    reason: str = ""

    @property
    def empty(self) -> bool:
        return self.status == "empty"

    @property
    def unsure(self) -> bool:
        return self.status == "unsure"

    def as_dict(self) -> dict:
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "probs": self.probs,
            "status": self.status,
            "box": self.box,
            "empty": self.empty,
            "unsure": self.unsure,
            "image28": self.image28,
            "reason": self.reason,
        }


@dataclass
class Reading:
    """A number read from one image: its digits left to right (each a Prediction with its own box)."""
    number: str  # the digits read, unsure ones included with their best guess; "" when none
    digits: list[Prediction]

    def as_dict(self) -> dict:
        return {"number": self.number, "digits": [d.as_dict() for d in self.digits]}


def numpy_available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class Model:
    """rows: the row reader's weights, which referee the reading of a number (segment.py, step 6); without
    them numbers are read by the digit classifier alone."""

    def __init__(self, weights: Weights, backend: str = "auto", rows: RowWeights | None = None):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        if backend == "auto":
            backend = "numpy" if numpy_available() else "python"
        self.row_kernels = None
        if backend == "numpy":
            from pymodel.kernels_numpy import NumpyKernels, NumpyRowKernels
            self.kernels = NumpyKernels(weights)
            if rows is not None:
                self.row_kernels = NumpyRowKernels(rows)
        else:
            from pymodel.kernels_python import PythonKernels, PythonRowKernels
            self.kernels = PythonKernels(weights)
            if rows is not None:
                self.row_kernels = PythonRowKernels(rows)
        self.weights = weights
        self.rows = rows
        self.backend = backend

    @property
    def unsure_threshold(self) -> float:
        return self.weights.unsure_threshold

    @property
    def reject_threshold(self) -> float | None:
        """p(not_a_digit) at or above which the answer is "not_a_digit"; None for a 10-class model."""
        return self.weights.reject_threshold

    def predict28(self, image28: Sequence[float]) -> list[float]:
        """All class probabilities for one preprocessed 28x28 image (784 floats, light ink on black)."""
        return [float(p) for p in self.kernels.forward(image28)]

    def row_logits(self, pixels: Sequence[float], width: int) -> Sequence[Sequence[float]]:
        """The row reader's logits, per column, for one row picture (pymodel.rows.Row's pixels and width)."""
        return self.row_kernels.forward(pixels, width)

    def predict_batch(self, images):
        """N images (each 784 floats, or 28 rows of 28) -> N rows of class probabilities, in one forward
        pass per kernel batch (a NumPy array on the NumPy backend, lists on the pure-Python one)."""
        return self.kernels.forward_batch(images)

    def judge(self, probs: Sequence[float], image28: list[float] | None = None,
              box: list[int] | None = None) -> Prediction:
        """Turn the model's outputs for one digit into an answer with its status."""
        probs = [float(p) for p in probs]
        digit_probs = probs[:10]
        threshold = self.reject_threshold
        if threshold is not None and len(probs) > 10 and probs[10] >= threshold:
            return Prediction(None, probs[10], digit_probs, image28, "not_a_digit", box)
        digit = max(range(10), key=digit_probs.__getitem__)
        confidence = digit_probs[digit]
        status = "unsure" if confidence < self.unsure_threshold else "ok"
        return Prediction(digit, confidence, digit_probs, image28, status, box)

    def recognize_gray(self, gray: Sequence[float], width: int, height: int) -> Prediction:
        """Find the digit in a grey image (flat, row-major, 0 black .. 1 white) and classify it. An image
        cropped tight to its digit is read again inside a margin of paper (MARGIN_SURE, _LOOKS)."""
        ready = as_model_input(gray, width, height)
        if ready is not None:
            return self._classify(ready)
        first = self._classify(single(analyse(gray, width, height)))
        if not _margin_needed([] if first.empty else [first], width, height):
            return first
        firsts = [] if first.empty else [first]
        for look, keeps in _LOOKS:
            padded, w, h, pad = look(gray, width, height)
            second = self._classify(single(analyse(padded, w, h)))
            if second.empty:
                continue
            second = replace(second, box=unmargin_box(second.box, pad, width, height))
            if keeps([second], firsts, width, height):
                return second
        return first

    def _classify(self, pre) -> Prediction:
        if pre.empty:
            return Prediction(None, 0.0, [0.0] * 10, None, "empty", None)
        return self.judge(self.predict28(pre.image28), pre.image28, pre.box)

    def read(self, gray: Sequence[float], width: int, height: int, drawn: bool = False) -> Reading:
        """Read every digit of a number (or the one digit) in a grey image. All the candidate digits of a
        number go through the classifier in one batched forward pass (a second for an unsure reading,
        segment.RECUT_SURE; each 28x28 scored once over all the looks, remembered); a lone digit is read
        exactly as recognize_gray reads it. drawn: the image is a drawing on the pad, whose borders cut
        nothing (a digit drawn up to its edge is whole; preprocess.Page.drawn). An image cropped tight to its
        writing is read again inside a margin of paper (MARGIN_SURE, _LOOKS); a drawing never is."""
        ready = as_model_input(gray, width, height)
        if ready is not None:  # already the model's 28x28: one digit (preprocess's step 0)
            return self._reading(self._classify(ready))
        score = remembered(self.predict_batch)  # the looks share candidates: each is scored once
        rows = remembered_row(self.row_logits) if self.row_kernels is not None else None  # and often the row
        first = self.read_once(gray, width, height, drawn, score=score, rows=rows)
        if drawn or not _margin_needed(first.digits, width, height):
            return first
        for look, keeps in _LOOKS:
            padded, w, h, pad = look(gray, width, height)
            second = self.read_once(padded, w, h, score=score, rows=rows)
            digits = [replace(d, box=unmargin_box(d.box, pad, width, height)) for d in second.digits]
            if keeps(digits, first.digits, width, height):
                return Reading(second.number, digits)
        return first

    def read_once(self, gray: Sequence[float], width: int, height: int, drawn: bool = False,
                  score: Callable | None = None, rows: Callable | None = None) -> Reading:
        """One reading of the image as it is (read without the second look inside a margin). score: the
        batched classifier, remembered(self.predict_batch) unless given (read shares one between looks);
        rows: the row reader, self.row_logits unless given (read shares remembered_row's between looks)."""
        ready = as_model_input(gray, width, height)
        if ready is not None:
            return self._reading(self._classify(ready))
        page = analyse(gray, width, height, drawn)
        if rows is None and self.row_kernels is not None:
            rows = self.row_logits
        found = None if page.empty else segment(page, score or remembered(self.predict_batch), normalize, rows)
        if found is None:
            return self._read_single(page)
        digits = [self.judge(f.probs, f.image28, page.source_box(f.digit.box)) for f in found]
        # No number, unless the row reader vouches for it: read as one digit (segment.NUMBER_REJECTS, ROW_SURE).
        if (not found[0].vouched
                and sum(d.status == "not_a_digit" for d in digits) >= NUMBER_REJECTS * len(digits)):
            return self._read_single(page)
        tallest = max(f.digit.y1 - f.digit.y0 for f in found)
        digits = [_in_number(d, f.digit.y1 - f.digit.y0 < NUMBER_HEIGHT * tallest, f.read)
                  for d, f in zip(digits, found)]
        return Reading(_number(digits), digits)

    def _read_single(self, page: Page) -> Reading:
        return self._reading(self._classify(single(page)))

    @staticmethod
    def _reading(p: Prediction) -> Reading:
        return Reading(_number([p]), [] if p.empty else [p])


def remembered(score: Callable) -> Callable:
    """The batched classifier, remembering what it scored: a call passes on, in order, only the 28x28s no
    earlier call scored (no call when there are none) and answers every image. The number reader's second
    look (segment.RECUT_SURE) and the looks inside a margin repeat most of the first look's candidates.
    read.js's rememberScores does the same, so both ports make the same calls."""
    seen: dict[tuple, Sequence[float]] = {}

    def score_new(images):
        keys = [tuple(image) for image in images]
        new = [(k, image) for k, image in zip(keys, images) if k not in seen]
        if new:
            seen.update(zip([k for k, _ in new], score([image for _, image in new])))
        return [seen[k] for k in keys]
    return score_new


def remembered_row(row_logits: Callable) -> Callable:
    """The row reader, remembering what it read: the looks inside a margin often find the same row picture
    (a margin adds paper, not ink), which is then read once. read.js's rememberRows does the same."""
    seen: dict[tuple, Sequence[Sequence[float]]] = {}

    def read_new(pixels, width: int):
        key = (width, tuple(pixels))
        if key not in seen:
            seen[key] = row_logits(pixels, width)
        return seen[key]
    return read_new


def _in_margin(gray: Sequence[float], width: int, height: int) -> tuple[list[float], int, int, int]:
    """The image inside a margin of paper for the second look (raster.with_margin). The paper is the median
    grey of the image's border ring, not of the whole image: a crop cut tight round a bold digit is half ink,
    and the median of all its pixels is a grey halfway to the ink; the margin then made a step at the crop's
    edge and the digit was lost ("not a digit" for bold 6s, 7s and 8s). Strokes that reach the crop's edge
    cross the ring, but fill less than half of it."""
    return with_margin(gray, width, height, border_median(gray, width, height))


def _touches_border(box: Sequence[int] | None, width: int, height: int) -> bool:
    near = BORDER_NEAR * max(width, height)
    return box is not None and (box[0] <= near or box[1] <= near or box[0] + box[2] >= width - near
                                or box[1] + box[3] >= height - near)


def _sureness(d: Prediction) -> float:
    """How sure a digit is, for the looks inside a margin: its confidence, or for a digit the row reader read
    as another than the classifier's top one ("whole_row"), the top probability, the classifier's confidence
    that it is one digit (as segment._as_top gives the guards). Its own probability is low by construction,
    and a margin adds nothing to a row already read whole: every such reading was read twice more."""
    return max(d.probs) if d.reason == "whole_row" else d.confidence


def _margin_needed(digits: Sequence[Prediction], width: int, height: int) -> bool:
    """Whether a reading's digits (empty ones left out) call for a second reading inside a margin: none is
    sure, one is under MARGIN_SURE (_sureness), or one touches the image's border (BORDER_NEAR)."""
    return (not any(d.status == "ok" for d in digits) or any(_sureness(d) < MARGIN_SURE for d in digits)
            or any(_touches_border(d.box, width, height) for d in digits))


def _margin_better(second: Sequence[Prediction], first: Sequence[Prediction], width: int, height: int) -> bool:
    """Whether the reading inside a margin (its boxes in the image's pixels) replaces the first: each of its
    digits sure to MARGIN_SURE, and surer than the first reading's least sure digit when that one has a sure
    digit; and when every digit of the first is sure to NUMBER_SURE, holding them all (HOLD_SLACK)."""
    if not second or any(d.status != "ok" or d.confidence < MARGIN_SURE for d in second):
        return False
    if not any(d.status == "ok" for d in first):
        return True
    if min(d.confidence for d in second) <= min(_sureness(d) for d in first):
        return False
    if all(d.status == "ok" and d.confidence >= NUMBER_SURE for d in first):
        return _holds(_union([d.box for d in second]), _union([d.box for d in first]), HOLD_SLACK * max(width, height))
    return True


def _side_better(second: Sequence[Prediction], first: Sequence[Prediction], width: int, height: int) -> bool:
    """Whether the third look's reading (inside a margin continuing each side's paper) replaces the first:
    as _margin_better, reading no more digits than the first (or one), and holding the first's sure digits
    (NUMBER_SURE, HOLD_SLACK)."""
    if len(second) > max(1, len(first)):
        return False
    sure = [d.box for d in first if d.status == "ok" and d.confidence >= NUMBER_SURE]
    if sure and not _holds(_union([d.box for d in second]), _union(sure), HOLD_SLACK * max(width, height)):
        return False
    return _margin_better(second, first, width, height)


# The looks at an image inside a margin, in order, each with the rule for keeping its reading.
# When the second look is not kept, a third reads the image inside a margin that continues the paper of each
# of its sides (raster.with_side_margin): along a shadow or a light gradient the second look's one grey makes
# a step at the crop's edge that is found as ink (a wedge in the 28x28, "not a digit"). The third may complete
# the first reading but not replace it: it reads no more digits than the first (or one), and holds the first's
# sure digits (NUMBER_SURE, HOLD_SLACK): a margin brings the image's edges inside the paper, where a
# neighbour's fragment becomes one more digit, and a number with one short digit read "739112" came back as
# a sure "73". Chosen on the validation sets (training writers): digits cropped to their box 553 -> 572 of 600.
_LOOKS = ((_in_margin, _margin_better), (with_side_margin, _side_better))


def _union(boxes: Sequence[Sequence[int] | None]) -> list[int] | None:
    """The box [x, y, w, h] round all the boxes given (None when there are none; web/js/result.js unionBox)."""
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    return [x0, y0, max(b[0] + b[2] for b in boxes) - x0, max(b[1] + b[3] for b in boxes) - y0]


def _holds(outer: Sequence[int] | None, inner: Sequence[int] | None, slack: float) -> bool:
    """Whether box outer holds box inner, give or take slack pixels on each side."""
    if inner is None:
        return True
    if outer is None:
        return False
    return (outer[0] <= inner[0] + slack and outer[1] <= inner[1] + slack
            and outer[0] + outer[2] >= inner[0] + inner[2] - slack
            and outer[1] + outer[3] >= inner[1] + inner[3] - slack)


def _in_number(d: Prediction, short: bool, read: int | None = None) -> Prediction:
    """A digit as part of a number: read by the referee as a digit other than the classifier's top one
    (segment.Found.read), it is that digit at the classifier's probability for it (below the top one's, so
    below one half), unsure for "whole_row"; rejected, it is unsure with its best guess
    (segment.NUMBER_REJECTS); below NUMBER_SURE, or short beside the tallest digit (segment.NUMBER_HEIGHT),
    unsure. The reason says which (the first that holds)."""
    if read is not None:
        return replace(d, digit=read, confidence=d.probs[read], status="unsure", reason="whole_row")
    if d.status == "not_a_digit":
        best = max(range(10), key=d.probs.__getitem__)
        return replace(d, digit=best, confidence=d.probs[best], status="unsure", reason="not_digit_like")
    if d.status == "unsure" or (d.status == "ok" and d.confidence < NUMBER_SURE):
        return replace(d, status="unsure", reason="low_confidence")
    return replace(d, status="unsure", reason="smaller") if d.status == "ok" and short else d


def _number(digits: Sequence[Prediction]) -> str:
    return "".join(str(d.digit) for d in digits if d.digit is not None)


def load_model(weights_dir: str | Path = DEFAULT_DIR, backend: str = "auto") -> Model:
    """Load and validate the weights in weights_dir (raises WeightsError) on the chosen backend, with the
    row reader's when the directory holds them (rows.json: a row reader that is there must be whole)."""
    weights_dir = Path(weights_dir)
    rows = load_row_weights(weights_dir) if (weights_dir / ROW_MANIFEST).exists() else None
    return Model(load_weights(weights_dir), backend, rows)
