"""Turn any grey image (a canvas drawing or a photo) into the 28x28 picture MNIST digits look like.

One algorithm for every source, in pure Python so it runs unchanged in CPython and in Pyodide without
NumPy; `web/js/preprocess.js` is a line-by-line port (checked against shared golden fixtures).

Input: `gray`, a flat row-major sequence of floats in [0, 1] (0 black, 1 white), `width` x `height`.
Transparency is flattened onto white and colour converted to luma before this point.

1. Reduce: if the longer side exceeds MAX_SIDE, average k x k blocks, k = ceil(longer / MAX_SIDE)
   (edge blocks average the pixels they have). Keeps the pure-Python steps fast on photos.
2. Polarity: the background level is the median of the border ring (width max(1, min(w, h) // 16)).
   The ink is whichever extreme lies farther from it: when the darkest pixel is farther than the
   brightest, the ink is dark, so invert to make ink high (MNIST is light ink on black). Comparing
   with the background, not with mid-grey, keeps dim photos and grey paper right.
3. Background removal: ink = (v - background) / (max - background); a contrast below MIN_CONTRAST is
   an empty image. Then a soft threshold removes paper texture and shadows:
   ink = clamp((ink - NOISE_FLOOR) / (1 - NOISE_FLOOR)).
4. Specks: 8-connected blobs of ink whose total ink is below SPECK_FRACTION of the heaviest blob are
   erased (dust, a paper edge, a stray tap), so they cannot stretch the crop of step 5.
   Then empty: fewer than max(MIN_INK_PIXELS, MIN_INK_FRACTION * area) pixels above 0.5 is reported empty.
5. Crop to the bounding box of the remaining ink.
6. Stroke width: a thin line (a pen in a photo, a fine stylus) would fade to nothing when shrunk, so
   strokes narrower than TARGET_STROKE (in 28x28 pixels) are dilated first. Width is estimated as
   2 * ink area / ink perimeter, which holds for long thin strokes.
7. Scale so the longer side is FIT (20) pixels, keeping the aspect ratio: box (area) averaging when
   shrinking, bilinear when enlarging. Then stretch so the brightest pixel is 1.
8. Centre: paste into 28x28 so the centre of mass lands on the centre, as MNIST was made.

Rounding is floor(x + 0.5) everywhere, because JavaScript's Math.round does that and Python's round()
does not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

SIZE = 28
FIT = 20
MAX_SIDE = 256
MIN_CONTRAST = 0.15
NOISE_FLOOR = 0.3
MIN_INK_PIXELS = 4
MIN_INK_FRACTION = 0.0002
TARGET_STROKE = 2.0  # MNIST strokes are about 2-3 px wide at 28x28
MAX_DILATE = 8
SPECK_FRACTION = 0.05

PARAMETERS = {
    "size": SIZE,
    "fit": FIT,
    "max_side": MAX_SIDE,
    "min_contrast": MIN_CONTRAST,
    "noise_floor": NOISE_FLOOR,
    "min_ink_pixels": MIN_INK_PIXELS,
    "min_ink_fraction": MIN_INK_FRACTION,
    "target_stroke": TARGET_STROKE,
    "max_dilate": MAX_DILATE,
    "speck_fraction": SPECK_FRACTION,
    "polarity": "median of border ring is the background; ink is the extreme farther from it",
    "centering": "center of mass",
}


class ImageError(ValueError):
    """The pixel data does not describe an image (wrong length, size or values)."""


@dataclass
class Preprocessed:
    image28: list[float] | None  # 784 floats in [0, 1], light ink on black; None when empty
    empty: bool
    inverted: bool  # True when the source was dark ink on a light background


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def reduce_blocks(gray: Sequence[float], width: int, height: int, k: int) -> tuple[list[float], int, int]:
    """Average k x k blocks; partial blocks at the right and bottom edges average what they cover."""
    out_w, out_h = -(-width // k), -(-height // k)
    # Sum each row's blocks first, then add up k rows: two cheap passes instead of k*k lookups per pixel.
    row_sums = []
    for y in range(height):
        row = gray[y * width:(y + 1) * width]
        row_sums.append([sum(row[x:x + k]) for x in range(0, width, k)])
    out = []
    for by in range(out_h):
        rows = row_sums[by * k:(by + 1) * k]
        n_rows = len(rows)
        for bx in range(out_w):
            n_cols = min(k, width - bx * k)
            out.append(sum(r[bx] for r in rows) / (n_rows * n_cols))
    return out, out_w, out_h


def _border_median(img: list[float], w: int, h: int) -> float:
    ring = max(1, min(w, h) // 16)
    values = []
    for y in range(h):
        row = img[y * w:(y + 1) * w]
        if y < ring or y >= h - ring:
            values.extend(row)
        else:
            values.extend(row[:ring])
            values.extend(row[w - ring:])
    values.sort()
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


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


def _drop_specks(img: list[float], w: int, h: int) -> None:
    """Erase 8-connected ink blobs lighter than SPECK_FRACTION of the heaviest, in place. The blob masses
    are summed pixel by pixel in depth-first order, so the JavaScript port adds in the same order."""
    label = [0] * (w * h)
    blobs: list[tuple[float, list[int]]] = []
    for start in [i for i, v in enumerate(img) if v > 0.0]:  # ink only: most pixels are background
        if label[start]:
            continue
        n = len(blobs) + 1
        label[start] = n
        stack, pixels, mass = [start], [], 0.0
        while stack:
            i = stack.pop()
            pixels.append(i)
            mass += img[i]
            y, x = divmod(i, w)
            for ny in (y - 1, y, y + 1):
                if 0 <= ny < h:
                    for nx in (x - 1, x, x + 1):
                        j = ny * w + nx
                        if 0 <= nx < w and img[j] > 0.0 and not label[j]:
                            label[j] = n
                            stack.append(j)
        blobs.append((mass, pixels))
    if len(blobs) > 1:
        heaviest = max(m for m, _ in blobs)
        for m, pixels in blobs:
            if m < SPECK_FRACTION * heaviest:
                for i in pixels:
                    img[i] = 0.0


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
        rows.append([sum(row[j] * c for j, c in pairs) for pairs in wx])
    out = []
    for pairs in wy:
        for x in range(new_w):
            out.append(sum(rows[j][x] * c for j, c in pairs))
    return out


def preprocess(gray: Sequence[float], width: int, height: int) -> Preprocessed:
    """Apply the documented algorithm; see the module docstring."""
    if width < 1 or height < 1:
        raise ImageError(f"image size {width}x{height} is empty: it needs at least one pixel")
    if len(gray) != width * height:
        raise ImageError(f"got {len(gray)} pixel values for a {width}x{height} image (expected {width * height})")
    img = [float(v) for v in gray]
    # min/max/sum run in C; the sum check catches NaN, which min and max can step over.
    total = sum(img)
    if not (0.0 <= min(img) and max(img) <= 1.0) or total != total:
        raise ImageError("pixel values must be numbers between 0 and 1")
    w, h = width, height

    # 1. Reduce.
    longer = max(w, h)
    if longer > MAX_SIDE:
        img, w, h = reduce_blocks(img, w, h, -(-longer // MAX_SIDE))

    # 2. Polarity.
    background = _border_median(img, w, h)
    inverted = background - min(img) > max(img) - background
    if inverted:
        img = [1.0 - v for v in img]
        background = 1.0 - background

    # 3. Background removal.
    top = max(img)
    contrast = top - background
    if contrast < MIN_CONTRAST:
        return Preprocessed(None, True, inverted)
    scale = 1.0 / (contrast * (1.0 - NOISE_FLOOR))
    offset = background + NOISE_FLOOR * contrast
    # The background (most pixels) takes the first branch without a function call.
    img = [0.0 if v <= offset else min(1.0, (v - offset) * scale) for v in img]

    # 4. Specks, then empty.
    _drop_specks(img, w, h)
    strong = sum(1 for v in img if v > 0.5)
    if strong < max(MIN_INK_PIXELS, MIN_INK_FRACTION * w * h):
        return Preprocessed(None, True, inverted)

    # 5. Crop.
    ys = [y for y in range(h) if max(img[y * w:(y + 1) * w]) > 0.0]
    # Column maxima in one C-level pass; the zero row keeps max() given two or more arguments.
    cols = list(map(max, [0.0] * w, *[img[y * w:(y + 1) * w] for y in ys]))
    xs = [x for x in range(w) if cols[x] > 0.0]
    x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
    cw, ch = x1 - x0, y1 - y0
    img = [v for y in range(y0, y1) for v in img[y * w + x0:y * w + x1]]

    # 6. Stroke width.
    factor = FIT / max(cw, ch)
    width_now = _stroke_width(img, cw, ch) * factor
    if width_now < TARGET_STROKE:
        r = min(MAX_DILATE, _round((TARGET_STROKE - width_now) / (2.0 * factor)))
        if r > 0:
            pad = r
            pw, ph = cw + 2 * pad, ch + 2 * pad
            padded = [0.0] * (pw * ph)
            for y in range(ch):
                padded[(y + pad) * pw + pad:(y + pad) * pw + pad + cw] = img[y * cw:(y + 1) * cw]
            img, cw, ch = _dilate(padded, pw, ph, r), pw, ph
            factor = FIT / max(cw, ch)

    # 7. Scale to fit FIT x FIT.
    new_w = max(1, min(FIT, _round(cw * factor)))
    new_h = max(1, min(FIT, _round(ch * factor)))
    small = _resize(img, cw, ch, new_w, new_h)
    peak = max(small)
    if peak <= 0.0:
        return Preprocessed(None, True, inverted)
    small = [v / peak for v in small]

    # 8. Centre of mass on the centre of the 28x28 field.
    mass = sum(small)
    cx = sum(small[y * new_w + x] * (x + 0.5) for y in range(new_h) for x in range(new_w)) / mass
    cy = sum(small[y * new_w + x] * (y + 0.5) for y in range(new_h) for x in range(new_w)) / mass
    left = min(max(_round(SIZE / 2 - cx), 0), SIZE - new_w)
    top_row = min(max(_round(SIZE / 2 - cy), 0), SIZE - new_h)
    out = [0.0] * (SIZE * SIZE)
    for y in range(new_h):
        start = (top_row + y) * SIZE + left
        out[start:start + new_w] = small[y * new_w:(y + 1) * new_w]
    return Preprocessed(out, False, inverted)
