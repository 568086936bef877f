"""The ink map: how far each pixel is from the paper around it, robust to shadows, gradients and faint pens.

0. Plain background: when the image has no noise to speak of (below PLAIN_NOISE, step 6's measure), at
   least PLAIN_RING of the pixels of its border ring lie within PLAIN_FLAT of the ring's median (a digit
   cropped tight touches the border) and at least PLAIN_AREA of all its pixels do (a digit drawn on an
   empty canvas, a screenshot, an MNIST digit enlarged), the paper is that one level and the ink lies on
   the side of the extreme farther from it; steps 1-4 are skipped. The cells take the inside of a stroke
   wider than a quarter of a cell for paper (a bold digit cropped tight: its 28x28 came out hollow), and
   their tails call a bold light digit on black dark ink (an empty image).
   A plot screenshot whose colour map the region finder missed has less of its paper at the border's
   level (0.58-0.59 on our sets; MNIST digits at least 0.61) and keeps the cells.
1. Cells: the image is cut into square cells (CELLS across the shorter side, at least CELL_MIN px; a
   number written across a wide image gets cells small enough for the light changing down its height). Each
   cell is sorted once; its quantiles serve the paper level and the polarity test.
2. Polarity: ink lies on one side of the paper around it, while shadow edges and texture lie on both.
   The cell medians, smoothed by a 3x3 median and interpolated bilinearly, are a paper surface that
   knows no polarity. On a grid of sample pixels (every s-th row and column, s = max(1,
   isqrt(area // POLARITY_SAMPLE))) the residuals from it are sorted: dark = -(the TAIL_END quantile),
   light = the (1 - TAIL_END) quantile, quantile f = sorted[floor(f * (m - 1))]. A side at least
   TAIL_MIN and TAIL_RATIO times the other is the ink. Otherwise (a hard shadow's edge gives both tails,
   bold ink fills cells, or nothing stands out) the cells decide: thin ink lies beyond a cell's quartile
   on its side, while a lit or shadowed area that fills a quarter of a cell does not, and a shadow's edge
   crossing cells gives both sides alike. Summed over the cells in order, dark = q25 - second smallest
   and light = second largest - q75; dark is the ink when it is DARK_LEAN times light, light when it is
   TAIL_RATIO times dark. The sides are not alike: bold ink filling a quarter of a cell leans the sum
   away from itself, so a bold dark digit leans light and a light lean must be clear; a dark lean with
   tied tails is dark ink in a hard shadow, where the border below would see shadowed paper beside lit
   paper brighter than any ink and say light. Inside a filled region (flat: a plot's colour map, a dark
   canvas) the paper is one level and a bold light digit leans dark the same way, so there both sides
   need TAIL_RATIO and the border decides a tie. Otherwise the border
   decides: its median is the paper and the ink is the side whose extreme lies farther from it, an
   extreme being the second-darkest (second-brightest) pixel of a cell, so one hot pixel cannot decide.
   A light verdict (outside a filled region) is checked once more away from lighting edges: the tails
   are taken again over the sample pixels of the cells that do not step (step 4's test on the median
   levels: their 3x3 neighbourhood spreads by at most max(STEP_MIN, STEP_NOISE * noise)), and a dark
   side there that is at least TAIL_MIN, TAIL_RATIO times the light one there and CALM_SHARE of the whole
   image's light tail is the ink. A hard shadow over most of a photo leaves a lit corner: along its edge
   the lit paper stands far above the smoothed cells, a light tail as strong as any ink, while the dark
   digit lies in the calm shadowed paper (its dark tail there 0.6-0.8 of that light one). Light strokes on
   a dark ground give no dark tail, so they keep their verdict; a light smudge beside them (chalk wiped on
   a board) gives a faint one where it slopes, about a tenth of the strokes' light tail, while bold strokes
   make their own cells step and leave the calm cells. (Needs TAIL_SAMPLE_MIN calm sample pixels.)
   inverted = dark ink.
3. Paper surface: each cell's paper level is the quantile on the paper side (PAPER_QUANTILE from the
   paper end), right even when ink covers most of the cell. A 3x3 median over the cell grid overrules
   cells filled with ink; bilinear interpolation between cell centres gives every pixel its paper level
   (one level, the median cell's, when all lie within FLAT). Shadows and light gradients are part of the
   paper, so they are not ink.
4. Shadow edges: cells blur a sharp shadow edge, which would leave a band of false ink along it. Where
   the levels of a cell's 3x3 neighbourhood differ by more than max(STEP_MIN, STEP_NOISE * noise), or
   the paper half of the cell itself spreads that much (q75 - median for dark ink), the surface may
   follow the paper's envelope instead: the image block-reduced to at most ENVELOPE_SIDE px (keeping
   ENVELOPE_SHORT on the shorter side), closed (dark ink: max then min filter) or opened (light ink)
   with a square of radius ENVELOPE_FRACTION of its shorter side, which erases strokes but keeps the
   edges of large areas, and interpolated back bilinearly. The envelope is taken where it lies nearer
   the ink side than the cells' surface, weighted by the stepping cells interpolated the same way.
5. Ink strength d = distance from the local paper towards the ink side (negative on the paper side).
6. Scale: noise = median absolute difference of horizontal neighbours (on every s-th row, about
   NOISE_SAMPLE pairs) / 0.954, a Gaussian's sigma that neither lighting nor ink inflates;
   contrast = the K-th largest d, K = max(MIN_INK_PIXELS, MIN_INK_FRACTION * area), so a few hot
   pixels do not count. Below MIN_CONTRAST the image is empty.
7. Thresholds: a pixel is weak ink above `weak`, strong ink above `strong`; both are the larger of a
   fraction of the contrast and a multiple of the noise. Strong pixels seed the ink; weak pixels connected
   to them are kept (hysteresis, done on components), so faint strokes of a digit survive while paper
   texture does not.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import sub

from pymodel.raster import border_median, border_ring, reduce_blocks, round_half_up

CELLS = 8
CELL_MIN = 8
POLARITY_SAMPLE = 16384
NOISE_SAMPLE = 16384
TAIL_END = 0.005
TAIL_RATIO = 1.5
TAIL_MIN = 0.05
TAIL_SAMPLE_MIN = 100
DARK_LEAN = 1.15
# Chosen between the light verdicts the check overturned on the evaluation and validation sets (their
# calm dark tail at least 0.31 of the light one: photos in shadow, a number, two non-digits) and chalk on a
# smudged board (about 0.1).
CALM_SHARE = 0.25
FLAT = 0.01
STEP_MIN = 0.05
STEP_NOISE = 4.0
ENVELOPE_SIDE = 64
ENVELOPE_SHORT = 24
ENVELOPE_FRACTION = 1 / 12
PAPER_QUANTILE = 0.25
MIN_CONTRAST = 0.12
PLAIN_NOISE = 0.003
PLAIN_FLAT = 0.02
PLAIN_RING = 0.9
PLAIN_AREA = 0.6
MIN_INK_PIXELS = 4
MIN_INK_FRACTION = 0.0002
WEAK_OF_CONTRAST = 0.15
STRONG_OF_CONTRAST = 0.3
WEAK_NOISE = 3.0
STRONG_NOISE = 6.0

PARAMETERS = {
    "cells": CELLS,
    "cell_min": CELL_MIN,
    "polarity_sample": POLARITY_SAMPLE,
    "noise_sample": NOISE_SAMPLE,
    "tail_end": TAIL_END,
    "tail_ratio": TAIL_RATIO,
    "tail_min": TAIL_MIN,
    "tail_sample_min": TAIL_SAMPLE_MIN,
    "dark_lean": DARK_LEAN,
    "calm_share": CALM_SHARE,
    "flat": FLAT,
    "step_min": STEP_MIN,
    "step_noise": STEP_NOISE,
    "envelope_side": ENVELOPE_SIDE,
    "envelope_short": ENVELOPE_SHORT,
    "envelope_fraction": ENVELOPE_FRACTION,
    "paper_quantile": PAPER_QUANTILE,
    "min_contrast": MIN_CONTRAST,
    "plain_noise": PLAIN_NOISE,
    "plain_flat": PLAIN_FLAT,
    "plain_ring": PLAIN_RING,
    "plain_area": PLAIN_AREA,
    "min_ink_pixels": MIN_INK_PIXELS,
    "min_ink_fraction": MIN_INK_FRACTION,
    "weak_of_contrast": WEAK_OF_CONTRAST,
    "strong_of_contrast": STRONG_OF_CONTRAST,
    "weak_noise": WEAK_NOISE,
    "strong_noise": STRONG_NOISE,
    "polarity": "one-sided residual tail from the median paper surface, else the extreme farther from the border",
}


@dataclass
class CellGrid:
    width: int
    height: int
    size: int  # cell side in pixels (edge cells may be smaller)
    cols: int
    rows: int
    # Per cell, row-major: (second smallest, q25, median, q75, second largest), quantile i = sorted[(n*i)//4].
    stats: list[tuple[float, float, float, float, float]]


def cell_grid_size(w: int, h: int, side: int | None = None) -> int:
    """Cell side in px: side / CELLS rounded up, at least CELL_MIN (side: the image's shorter side)."""
    return max(CELL_MIN, -(-(min(w, h) if side is None else side) // CELLS))


def cell_grid(img: Sequence[float], w: int, h: int, side: int | None = None) -> CellGrid:
    size = cell_grid_size(w, h, side)
    cols, rows = -(-w // size), -(-h // size)
    stats = []
    for r in range(rows):
        y0, y1 = r * size, min(h, (r + 1) * size)
        cells: list[list[float]] = [[] for _ in range(cols)]
        for y in range(y0, y1):
            row = img[y * w:(y + 1) * w]
            for c in range(cols):
                cells[c] += row[c * size:(c + 1) * size]
        for vals in cells:
            vals.sort()
            n = len(vals)
            stats.append((vals[min(1, n - 1)], vals[n // 4], vals[n // 2], vals[(3 * n) // 4], vals[max(0, n - 2)]))
    return CellGrid(w, h, size, cols, rows, stats)


@dataclass
class InkMap:
    d: list[float]  # ink strength per pixel: distance from the local paper towards the ink
    width: int
    height: int
    inverted: bool  # True when the ink is darker than the paper
    contrast: float
    noise: float
    weak: float
    strong: float
    empty: bool
    _masks: dict = field(default_factory=dict, repr=False)

    def set_contrast(self, contrast: float) -> None:
        """Step 7 for a given contrast (the whole image's, or what is left once lines are removed)."""
        self.contrast = contrast
        self.weak = max(WEAK_OF_CONTRAST * contrast, WEAK_NOISE * self.noise)
        self.strong = max(STRONG_OF_CONTRAST * contrast, STRONG_NOISE * self.noise)
        self.empty = contrast < MIN_CONTRAST or contrast <= self.strong
        self._masks.clear()

    def mask_rows(self, threshold: float | None = None) -> list[bytes]:
        """One bytes object per row: 1 where d > threshold (default: the weak threshold)."""
        threshold = self.weak if threshold is None else threshold
        cached = self._masks.get(threshold)
        if cached is None:
            above = threshold.__lt__
            w, d = self.width, self.d
            cached = self._masks[threshold] = [bytes(map(above, d[y * w:(y + 1) * w])) for y in range(self.height)]
        return cached


def _median3x3(levels: list[float], cols: int, rows: int) -> list[float]:
    """Median of each cell's 3x3 neighbourhood (fewer at the edges; upper median for even counts)."""
    out = []
    for r in range(rows):
        for c in range(cols):
            near = sorted(levels[rr * cols + cc] for rr in range(max(0, r - 1), min(rows, r + 2))
                          for cc in range(max(0, c - 1), min(cols, c + 2)))
            out.append(near[len(near) // 2])
    return out


def _axis_blend(n: int, size: int, cells: int) -> list[tuple[int, int, float]]:
    """For each pixel along an axis: the two cells to blend between and the weight of the second.
    Cell centres are the middles of the (possibly partial) cells; outside the outer centres the nearest
    cell's level holds."""
    centres = [(c * size + min(n, (c + 1) * size)) / 2 for c in range(cells)]
    out = []
    c = 0
    for i in range(n):
        p = i + 0.5
        while c + 1 < cells and p > centres[c + 1]:
            c += 1
        if p <= centres[0]:
            out.append((0, 0, 0.0))
        elif c + 1 >= cells:
            out.append((cells - 1, cells - 1, 0.0))
        else:
            out.append((c, c + 1, (p - centres[c]) / (centres[c + 1] - centres[c])))
    return out


def _upsample(levels: list[float], cols: int, rows: int, size: int, w: int, h: int) -> list[float]:
    """Bilinear interpolation of a grid of cells (size px, edge cells partial) to every pixel."""
    wx = _axis_blend(w, size, cols)
    wy = _axis_blend(h, size, rows)
    out: list[float] = []
    for r0, r1, t in wy:
        a, b = levels[r0 * cols:(r0 + 1) * cols], levels[r1 * cols:(r1 + 1) * cols]
        row = [p + (q - p) * t for p, q in zip(a, b)]
        out += [row[c0] + (row[c1] - row[c0]) * u for c0, c1, u in wx]
    return out


def _extreme_filter(img: list[float], w: int, h: int, r: int, pick) -> list[float]:
    """Min or max (pick) over a (2r+1) square, as a row pass then a column pass. The image is mirrored
    at its edges, so a shadow running off the image stays as wide as it is instead of being cut thin."""
    def pass_(line: list[float], n: int) -> list[float]:
        if n > r:
            padded = line[1:r + 1][::-1] + line + line[n - 1 - r:n - 1][::-1]
        else:
            padded = [line[0]] * r + line + [line[-1]] * r
        return list(map(pick, *[padded[k:k + n] for k in range(2 * r + 1)]))

    rows = [pass_(img[y * w:(y + 1) * w], w) for y in range(h)]
    cols = [pass_([row[x] for row in rows], h) for x in range(w)]
    return [cols[x][y] for y in range(h) for x in range(w)]


def _envelope(img: Sequence[float], w: int, h: int, inverted: bool) -> tuple[list[float], int, int, int]:
    """The paper's envelope at a coarse scale (step 4): (levels, cols, rows, block size)."""
    f = max(1, min(-(-max(w, h) // ENVELOPE_SIDE), min(w, h) // ENVELOPE_SHORT))
    small, sw, sh = reduce_blocks(img, w, h, f) if f > 1 else (list(img), w, h)
    r = max(1, round_half_up(ENVELOPE_FRACTION * min(sw, sh)))
    first, second = (max, min) if inverted else (min, max)
    env = _extreme_filter(_extreme_filter(small, sw, sh, r, first), sw, sh, r, second)
    return env, sw, sh, f


def paper_surface(img: Sequence[float], grid: CellGrid, noise: float, inverted: bool) -> list[float] | float:
    """The local paper level of every pixel (steps 3 and 4), or one float when the paper is uniform."""
    w, h = grid.width, grid.height
    i = 3 if inverted else 1  # dark ink: the paper is the bright side (q75); light ink: the dark side (q25)
    levels = _median3x3([s[i] for s in grid.stats], grid.cols, grid.rows)
    if max(levels) - min(levels) <= FLAT:
        return sorted(levels)[len(levels) // 2]
    surface = _upsample(levels, grid.cols, grid.rows, grid.size, w, h)
    step = max(STEP_MIN, STEP_NOISE * noise)
    gate = []
    for q, steps in zip(grid.stats, stepping(levels, grid.cols, grid.rows, step)):
        # The paper half of the cell spreads too when a shadow edge crosses it.
        half = (q[3] - q[2]) if inverted else (q[2] - q[1])
        gate.append(1.0 if steps or half > step else 0.0)
    if max(gate) == 0.0:
        return surface
    env, sw, sh, f = _envelope(img, w, h, inverted)
    envelope = _upsample(env, sw, sh, f, w, h)
    weight = _upsample(gate, grid.cols, grid.rows, grid.size, w, h)
    if inverted:  # dark ink: a shadow lowers the paper, so the envelope is taken where it is lower
        return [s - g * (s - e) if e < s else s for s, e, g in zip(surface, envelope, weight)]
    return [s + g * (e - s) if e > s else s for s, e, g in zip(surface, envelope, weight)]


def noise_level(img: Sequence[float], w: int, h: int) -> float:
    """Step 6's noise: median absolute difference of horizontal neighbours on every s-th row (enough
    rows for about NOISE_SAMPLE pairs) / 0.954, a Gaussian's sigma. Lighting changes slowly and strokes
    have few edges, so neither counts."""
    if w < 2:
        return 0.0
    step = max(1, h // max(1, NOISE_SAMPLE // (w - 1)))
    diffs: list[float] = []
    for y in range(0, h, step):
        row = img[y * w:(y + 1) * w]
        diffs += map(abs, map(sub, row[1:], row[:-1]))
    diffs.sort()
    return diffs[len(diffs) // 2] / 0.954


def stepping(levels: Sequence[float], cols: int, rows: int, step: float) -> list[bool]:
    """For each cell, whether the levels of its 3x3 neighbourhood spread by more than step: the edge of a
    shadow or of a lit area runs through it (steps 2 and 4)."""
    out = []
    for r in range(rows):
        for c in range(cols):
            near = [levels[rr * cols + cc] for rr in range(max(0, r - 1), min(rows, r + 2))
                    for cc in range(max(0, c - 1), min(cols, c + 2))]
            out.append(max(near) - min(near) > step)
    return out


def _tails(img: Sequence[float], w: int, h: int, grid: CellGrid, levels: Sequence[float],
           skip: Sequence[bool] | None = None) -> tuple[float, float] | None:
    """Step 2's residual tails (dark, light) over the sample pixels, leaving out the cells marked in skip
    (then None when fewer than TAIL_SAMPLE_MIN pixels are left)."""
    step = max(1, math.isqrt(w * h // POLARITY_SAMPLE))
    wx = _axis_blend(w, grid.size, grid.cols)[::step]
    wy = _axis_blend(h, grid.size, grid.rows)
    cols = grid.cols
    residuals: list[float] = []
    for y in range(0, h, step):
        r0, r1, t = wy[y]
        a, b = levels[r0 * cols:(r0 + 1) * cols], levels[r1 * cols:(r1 + 1) * cols]
        row = [p + (q - p) * t for p, q in zip(a, b)]
        surface = [row[c0] + (row[c1] - row[c0]) * u for c0, c1, u in wx]
        values = map(sub, img[y * w:y * w + w:step], surface)
        if skip is None:
            residuals += values
        else:
            cells = skip[(y // grid.size) * cols:(y // grid.size + 1) * cols]
            residuals += [v for x, v in zip(range(0, w, step), values) if not cells[x // grid.size]]
    if skip is not None and len(residuals) < TAIL_SAMPLE_MIN:
        return None
    residuals.sort()
    k = math.floor(TAIL_END * (len(residuals) - 1))
    return -residuals[k], residuals[len(residuals) - 1 - k]


def polarity(img: Sequence[float], w: int, h: int, grid: CellGrid, flat: bool = False, noise: float = 0.0) -> bool:
    """Step 2: True when the ink is darker than the paper. flat: inside a filled region (no shadows);
    noise: step 6's, for the lighting-edge check of a light verdict."""
    levels = _median3x3([s[2] for s in grid.stats], grid.cols, grid.rows)
    dark, light = _tails(img, w, h, grid, levels)
    if _verdict(img, w, h, grid, dark, light, flat):
        return True
    if flat:
        return False
    calm = _tails(img, w, h, grid, levels, stepping(levels, grid.cols, grid.rows, max(STEP_MIN, STEP_NOISE * noise)))
    return (calm is not None and calm[0] >= TAIL_MIN and calm[0] > TAIL_RATIO * calm[1]
            and calm[0] >= CALM_SHARE * light)


def _verdict(img: Sequence[float], w: int, h: int, grid: CellGrid, dark: float, light: float, flat: bool) -> bool:
    """Step 2 before the lighting-edge check: the tails (dark, light), then the cells, then the border."""
    if dark >= TAIL_MIN and dark > TAIL_RATIO * light:
        return True
    if light >= TAIL_MIN and light > TAIL_RATIO * dark:
        return False
    dark = light = 0.0
    for s0, q25, _, q75, s4 in grid.stats:  # a loop, not sum(): the same rounding in every Python and in JS
        dark += q25 - s0
        light += s4 - q75
    if dark > (TAIL_RATIO if flat else DARK_LEAN) * light:
        return True
    if light > TAIL_RATIO * dark:
        return False
    paper = border_median(img, w, h)
    darkest = min(s[0] for s in grid.stats)
    brightest = max(s[4] for s in grid.stats)
    return paper - darkest > brightest - paper


def plain_level(img: Sequence[float], w: int, h: int, noise: float) -> float | None:
    """Step 0: the paper's one level when the background is plain, else None."""
    if noise >= PLAIN_NOISE:
        return None
    level = border_median(img, w, h)
    ring = border_ring(img, w, h)
    if sum(1 for v in ring if abs(v - level) <= PLAIN_FLAT) < PLAIN_RING * len(ring):
        return None
    return level if sum(1 for v in img if abs(v - level) <= PLAIN_FLAT) >= PLAIN_AREA * len(img) else None


def ink_map(img: Sequence[float], w: int, h: int, grid: CellGrid | None = None, flat: bool = False,
            noise: float | None = None) -> InkMap:
    """Steps 0-7. flat: the paper is known to be one colour (the inside of a plot or a canvas), so its
    level is the border median, however much of it a bold digit covers. noise: step 6's, when known."""
    noise = noise_level(img, w, h) if noise is None else noise
    plain = None if flat else plain_level(img, w, h, noise)
    if plain is not None:
        inverted = plain - min(img) > max(img) - plain
        surface: float | list[float] = plain
    else:
        grid = grid or cell_grid(img, w, h)
        inverted = polarity(img, w, h, grid, flat, noise)
        surface = border_median(img, w, h) if flat else paper_surface(img, grid, noise, inverted)
    if isinstance(surface, float):
        d = [surface - v for v in img] if inverted else [v - surface for v in img]
    else:
        d = list(map(sub, surface, img)) if inverted else list(map(sub, img, surface))

    ink = InkMap(d, w, h, inverted, 0.0, noise, 0.0, 0.0, True)
    ink.set_contrast(top_ink(d, w * h))
    return ink


def top_ink(d: Sequence[float], area: int) -> float:
    """The contrast: the K-th largest ink strength, K = max(MIN_INK_PIXELS, MIN_INK_FRACTION * area)."""
    k = max(MIN_INK_PIXELS, int(MIN_INK_FRACTION * area))
    return heapq.nlargest(k, d)[-1] if len(d) >= k else 0.0
