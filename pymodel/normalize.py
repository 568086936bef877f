"""From the digit's pixels to the 28x28 picture MNIST digits look like (light ink on black).

1. Ink values: inside the digit's pixels, value = clamp((d - weak) / (level - weak)) where d is the ink
   strength (ink.py) and level is the digit's own stroke level: the LEVEL_QUANTILE quantile of d over its
   pixels. A faint digit therefore comes out as dark as a bold one. Everything else is 0.
2. Crop to the digit's box.
3. Stroke width: a thin line (a pen in a photo, a fine stylus) would fade to nothing when shrunk, so
   strokes narrower than TARGET_STROKE (in 28x28 pixels) are dilated first. Width is estimated as
   2 * ink area / ink perimeter (pixels above 0.5), which holds for long thin strokes.
4. Scale so the longer side is FIT (20) pixels, keeping the aspect ratio: box (area) averaging when
   shrinking, bilinear when enlarging. Then stretch so the brightest pixel is 1.
5. Centre: paste into 28x28 so the centre of mass lands on the centre, as MNIST was made.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import reduce
from operator import add

from pymodel.raster import round_half_up

SIZE = 28
FIT = 20
TARGET_STROKE = 2.0  # MNIST strokes are about 2-3 px wide at 28x28
MAX_DILATE = 8
LEVEL_QUANTILE = 0.8

PARAMETERS = {
    "size": SIZE,
    "fit": FIT,
    "target_stroke": TARGET_STROKE,
    "max_dilate": MAX_DILATE,
    "level_quantile": LEVEL_QUANTILE,
    "centering": "center of mass",
}


def digit_values(d: Sequence[float], w: int, runs: Sequence[tuple[int, int, int]], extra: Sequence[int],
                 weak: float, box: Sequence[int]) -> list[float]:
    """Step 1 and 2: the digit's ink values inside its box [x, y, w, h], 0 elsewhere."""
    bx, by, cw, ch = box
    strengths: list[float] = []
    for y, x0, x1 in runs:
        strengths += d[y * w + x0:y * w + x1]
    strengths += [d[i] for i in extra]
    strengths.sort()
    level = strengths[math.floor(LEVEL_QUANTILE * (len(strengths) - 1))]
    if level <= weak:
        level = strengths[-1]
    span = level - weak
    if span <= 0.0:
        return [0.0] * (cw * ch)

    def value(v: float) -> float:
        t = (v - weak) / span
        return 0.0 if t <= 0.0 else (1.0 if t >= 1.0 else t)

    out = [0.0] * (cw * ch)
    for y, x0, x1 in runs:
        start = (y - by) * cw + x0 - bx
        out[start:start + x1 - x0] = [value(v) for v in d[y * w + x0:y * w + x1]]
    for i in extra:
        y, x = divmod(i, w)
        out[(y - by) * cw + x - bx] = value(d[i])
    return out


def _dilate(img: list[float], w: int, h: int, r: int) -> list[float]:
    """Grey dilation with a (2r+1) square of non-negative values, done as a row pass then a column pass.
    Each pass takes the element-wise max of 2r+1 shifted copies (one C-level map); the zero padding
    changes nothing because every value is >= 0."""
    pad = [0.0] * r

    def pass_(line: list[float], n: int) -> list[float]:
        padded = pad + line + pad
        return list(map(max, *[padded[k:k + n] for k in range(2 * r + 1)]))

    rows = [pass_(img[y * w:(y + 1) * w], w) for y in range(h)]
    cols = [pass_([row[x] for row in rows], h) for x in range(w)]
    return [cols[x][y] for y in range(h) for x in range(w)]


def _stroke_width(img: list[float], w: int, h: int) -> float:
    """2 * area / perimeter of the ink mask (pixels above 0.5), in source pixels."""
    area = 0
    edges = 0
    for y in range(h):
        base = y * w
        for x in range(w):
            if img[base + x] > 0.5:
                area += 1
                if x == 0 or img[base + x - 1] <= 0.5:
                    edges += 1
                if x == w - 1 or img[base + x + 1] <= 0.5:
                    edges += 1
                if y == 0 or img[base - w + x] <= 0.5:
                    edges += 1
                if y == h - 1 or img[base + w + x] <= 0.5:
                    edges += 1
    return 2.0 * area / edges if edges else 0.0


def _axis_weights(src: int, dst: int) -> list[list[tuple[int, float]]]:
    """For each output index, the (source index, weight) pairs: area overlap when shrinking, linear when
    enlarging. Weights of one output sum to 1."""
    scale = src / dst
    table = []
    for i in range(dst):
        if scale >= 1.0:
            lo, hi = i * scale, (i + 1) * scale
            pairs = []
            j = math.floor(lo)
            while j < hi and j < src:
                overlap = min(hi, j + 1) - max(lo, j)
                if overlap > 1e-12:
                    pairs.append((j, overlap / scale))
                j += 1
        else:
            c = (i + 0.5) * scale - 0.5
            j0 = math.floor(c)
            t = c - j0
            a, b = min(max(j0, 0), src - 1), min(max(j0 + 1, 0), src - 1)
            pairs = [(a, 1.0 - t), (b, t)] if a != b else [(a, 1.0)]
        table.append(pairs)
    return table


def _resize(img: list[float], w: int, h: int, new_w: int, new_h: int) -> list[float]:
    wx, wy = _axis_weights(w, new_w), _axis_weights(h, new_h)
    rows = []
    for y in range(h):
        row = img[y * w:(y + 1) * w]
        rows.append([reduce(add, [row[j] * c for j, c in pairs]) for pairs in wx])
    out = []
    for pairs in wy:
        for x in range(new_w):
            out.append(reduce(add, [rows[j][x] * c for j, c in pairs]))
    return out


def to_mnist(img: list[float], cw: int, ch: int) -> list[float] | None:
    """Steps 3-5 on the cropped values (cw x ch): 784 floats, or None when nothing is left."""
    factor = FIT / max(cw, ch)
    width_now = _stroke_width(img, cw, ch) * factor
    if width_now < TARGET_STROKE:
        r = min(MAX_DILATE, round_half_up((TARGET_STROKE - width_now) / (2.0 * factor)))
        if r > 0:
            pad = r
            pw, ph = cw + 2 * pad, ch + 2 * pad
            padded = [0.0] * (pw * ph)
            for y in range(ch):
                padded[(y + pad) * pw + pad:(y + pad) * pw + pad + cw] = img[y * cw:(y + 1) * cw]
            img, cw, ch = _dilate(padded, pw, ph, r), pw, ph
            factor = FIT / max(cw, ch)

    new_w = max(1, min(FIT, round_half_up(cw * factor)))
    new_h = max(1, min(FIT, round_half_up(ch * factor)))
    small = _resize(img, cw, ch, new_w, new_h)
    peak = max(small)
    if peak <= 0.0:
        return None
    small = [v / peak for v in small]

    mass = reduce(add, small)
    cx = reduce(add, [small[y * new_w + x] * (x + 0.5) for y in range(new_h) for x in range(new_w)]) / mass
    cy = reduce(add, [small[y * new_w + x] * (y + 0.5) for y in range(new_h) for x in range(new_w)]) / mass
    left = min(max(round_half_up(SIZE / 2 - cx), 0), SIZE - new_w)
    top = min(max(round_half_up(SIZE / 2 - cy), 0), SIZE - new_h)
    out = [0.0] * (SIZE * SIZE)
    for y in range(new_h):
        start = (top + y) * SIZE + left
        out[start:start + new_w] = small[y * new_w:(y + 1) * new_w]
    return out
