"""Small raster helpers shared by the preprocessing steps: rounding, block reduction, medians, boxes.

Images are flat row-major lists of floats. Rounding is floor(x + 0.5) everywhere, because JavaScript's
Math.round does that and Python's round() does not. Sums that decide a pixel value are written as
explicit element-wise additions (operator.add) in a fixed order, never sum(), whose compensated
summation on Python 3.12+ would differ from CPython 3.11 and from the JavaScript port.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from operator import add


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def reduce_blocks(gray: Sequence[float], width: int, height: int, k: int) -> tuple[list[float], int, int]:
    """Average k x k blocks; partial blocks at the right and bottom edges average what they cover.
    Order of additions: the k rows of a block row are added element-wise first (row 0 + row 1 + ...),
    then the k columns of each block (column 0 + column 1 + ...), then divided by the pixel count."""
    out_w, out_h = -(-width // k), -(-height // k)
    pad = [0.0] * (out_w * k - width)  # adding 0.0 leaves the partial block's sum unchanged
    out: list[float] = []
    last_cols = width - (out_w - 1) * k
    for by in range(out_h):
        y0, y1 = by * k, min(height, (by + 1) * k)
        acc = list(gray[y0 * width:(y0 + 1) * width])
        for y in range(y0 + 1, y1):
            acc = list(map(add, acc, gray[y * width:(y + 1) * width]))
        acc += pad
        sums = acc[0::k]
        for j in range(1, k):
            sums = list(map(add, sums, acc[j::k]))
        n_rows = y1 - y0
        full = n_rows * k
        row = [s / full for s in sums]
        row[-1] = sums[-1] / (n_rows * last_cols)
        out += row
    return out, out_w, out_h


def median_sorted(values: Sequence[float]) -> float:
    """Median of an already sorted, non-empty sequence (mean of the middle two for even length)."""
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def border_ring(img: Sequence[float], w: int, h: int) -> list[float]:
    """The pixels of the border ring, width max(1, min(w, h) // 16), row by row."""
    ring = max(1, min(w, h) // 16)
    values: list[float] = []
    for y in range(h):
        row = img[y * w:(y + 1) * w]
        if y < ring or y >= h - ring:
            values.extend(row)
        else:
            values.extend(row[:ring])
            values.extend(row[w - ring:])
    return values


def border_median(img: Sequence[float], w: int, h: int) -> float:
    values = border_ring(img, w, h)
    values.sort()
    return median_sorted(values)


def crop(img: Sequence[float], w: int, x0: int, y0: int, x1: int, y1: int) -> list[float]:
    out: list[float] = []
    for y in range(y0, y1):
        out += img[y * w + x0:y * w + x1]
    return out


def enlarge(img: Sequence[float], w: int, h: int, k: int) -> tuple[list[float], int, int]:
    """Each pixel repeated k times across and down: (pixels, w * k, h * k)."""
    out: list[float] = []
    for y in range(h):
        row: list[float] = []
        for v in img[y * w:(y + 1) * w]:
            row += [v] * k
        out += row * k
    return out, w * k, h * k


def shrink_box(box: Sequence[int], k: int) -> list[int]:
    """A box [x, y, w, h] in pixels of an image enlarged k times -> the pixels of the original it covers."""
    x, y, w, h = box
    x0, y0 = x // k, y // k
    x1, y1 = -(-(x + w) // k), -(-(y + h) // k)
    return [x0, y0, x1 - x0, y1 - y0]


def margin_width(w: int, h: int) -> int:
    """The margin with_margin and with_side_margin put round a w x h image: a quarter of its longer side, plus
    2 px (floor(longer / 4 + 0.5) + 2, as JavaScript's Math.round)."""
    return (max(w, h) + 2) // 4 + 2


def with_margin(img: Sequence[float], w: int, h: int, paper: float) -> tuple[list[float], int, int, int]:
    """The image inside a margin of plain paper of grey `paper` on every side: (pixels, width, height,
    margin), the margin margin_width wide. Model.read's second look at a tight crop takes the paper from the
    image's border ring, the page's region tool from the whole crop (web/js/region-crop.js, with this
    function's port)."""
    pad = margin_width(w, h)
    width = w + 2 * pad
    out = [paper] * (width * pad)
    side = [paper] * pad
    for y in range(h):
        out += side + list(img[y * w:(y + 1) * w]) + side
    out += [paper] * (width * pad)
    return out, width, h + 2 * pad, pad


SIDE_SEGMENTS = 8


def side_paper(values: Sequence[float]) -> list[float]:
    """The paper along one side of an image, pixel by pixel: the side cut into SIDE_SEGMENTS segments, each
    given the median of itself and its two neighbours (so a stroke crossing the side, narrower than half of
    three segments, is not paper), interpolated linearly between the segments' centres."""
    n = len(values)
    k = min(SIDE_SEGMENTS, n)
    bounds = [i * n // k for i in range(k + 1)]
    medians = [median_sorted(sorted(values[bounds[max(0, i - 1)]:bounds[min(k, i + 2)]])) for i in range(k)]
    centres = [(bounds[i] + bounds[i + 1] - 1) / 2 for i in range(k)]
    out: list[float] = []
    j = 0
    for x in range(n):
        if x <= centres[0]:
            out.append(medians[0])
        elif x >= centres[-1]:
            out.append(medians[-1])
        else:
            while x > centres[j + 1]:
                j += 1
            t = (x - centres[j]) / (centres[j + 1] - centres[j])
            out.append(medians[j] * (1 - t) + medians[j + 1] * t)
    return out


def with_side_margin(img: Sequence[float], w: int, h: int) -> tuple[list[float], int, int, int]:
    """The image inside a margin that continues the paper of each of its sides outwards (side_paper; the
    corners take the mean of the two sides meeting there): (pixels, width, height, margin), the margin
    margin_width wide. Model.read's third look at a tight crop: along a shadow or a light gradient one
    grey all round makes a step at the crop's edge, found as ink, where the paper at that edge is darker or
    lighter than the grey."""
    pad = margin_width(w, h)
    top, bottom = side_paper(img[0:w]), side_paper(img[(h - 1) * w:h * w])
    left, right = side_paper(img[0::w][:h]), side_paper(img[w - 1::w][:h])
    top_left, top_right = (top[0] + left[0]) / 2, (top[-1] + right[0]) / 2
    bottom_left, bottom_right = (bottom[0] + left[-1]) / 2, (bottom[-1] + right[-1]) / 2
    out: list[float] = []
    for _ in range(pad):
        out += [top_left] * pad + top + [top_right] * pad
    for y in range(h):
        out += [left[y]] * pad + list(img[y * w:(y + 1) * w]) + [right[y]] * pad
    for _ in range(pad):
        out += [bottom_left] * pad + bottom + [bottom_right] * pad
    return out, w + 2 * pad, h + 2 * pad, pad


def unmargin_box(box: Sequence[int] | None, pad: int, w: int, h: int) -> list[int] | None:
    """A box [x, y, w, h] in pixels of with_margin's image -> the pixels of the w x h image inside it."""
    if box is None:
        return None
    x0, y0 = min(w, max(0, box[0] - pad)), min(h, max(0, box[1] - pad))
    x1, y1 = min(w, max(0, box[0] + box[2] - pad)), min(h, max(0, box[1] + box[3] - pad))
    return [x0, y0, x1 - x0, y1 - y0]


def scale_box(box: Sequence[int], k: int, width: int, height: int) -> list[int]:
    """A box [x, y, w, h] in pixels of an image reduced by k x k blocks -> pixels of the width x height
    original. Block i covers source pixels [i*k, min((i+1)*k, size)), so the far edges are clipped."""
    x, y, w, h = box
    x0, y0 = x * k, y * k
    x1, y1 = min(width, (x + w) * k), min(height, (y + h) * k)
    return [x0, y0, x1 - x0, y1 - y0]
