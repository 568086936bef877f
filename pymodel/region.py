"""A big filled rectangle that holds the digit: the colour-mapped area of a plot screenshot (dark purple with
a yellow digit, inside axes with tick labels, on a white page), or a dark drawing canvas inside a light
app window. Read inside it, with its own paper and polarity.

1. On a grid of ink.py's cells (CELLS across the image's longer side), a cell is far when its first or
   third quartile differs from the border median by at least FILL_CONTRAST (a quarter of the cell is
   enough: the digit inside may cover the rest). The largest 4-connected group of far cells is the
   candidate when it has at least FILL_MIN_CELLS of the cells, fills at least FILL_RATIO of its bounding
   box of cells, and that box is at least FILL_MIN_SIDE of the grid both ways (a fat 1 is no rectangle).
   A candidate lighter than the border is taken only in a flat image, a screenshot or a drawing (a white
   canvas in a dark-mode window): its noise (ink.noise_level) is below REGION_NOISE. In a photo it is
   paper inside a thick dark frame drawn round the writing, and the paper's light is the ink map's job:
   with a hard shadow over part of the frame, only the lit part was read and the digits in the shadow
   were lost. A darker one (a colour map) is taken in a photo too: a photo of a plot on a screen.
2. Exact edges: inside the candidate's cell box grown by one cell, a pixel is far when it lies beyond the
   midpoint between the border level and the group's level. The rectangle is the longest unbroken run of
   columns (rows) where at least a quarter of the pixels in the group's rows (columns) are far: the
   digit inside covers at most three quarters, a colour bar beside the plot is a separate, shorter run.
   A rectangle within MARGIN px of the image edge is not a region (a shadow or a dark corner runs off
   the image; a framed area does not), nor is one whose rim (its outer two pixels all round) is less
   than RIM far (the box of a bold digit). It then shrinks by INSET of its size (at least one pixel),
   which drops the axis lines drawn on its edge.
3. It holds a digit only when something inside differs from its level: at least FILL_MIN_INSIDE of its
   pixels lie beyond the same midpoint back towards the border level. A uniform block (a smudge, a solid
   shape) is not a region.
"""
from __future__ import annotations

from collections.abc import Sequence
from operator import add

from pymodel.ink import CellGrid
from pymodel.raster import border_median, median_sorted

FILL_CONTRAST = 0.3
FILL_MIN_CELLS = 0.12
FILL_RATIO = 0.8
FILL_MIN_SIDE = 0.3
INSET = 0.03
FILL_MIN_INSIDE = 0.005
MARGIN = 2
RIM = 0.6
# Every region on the evaluation and validation sets lighter than the border lies in a photo of framed paper,
# with noise from 0.0041; the plots (darker regions) have at most 0.0015. Without those regions 2 more
# validation numbers and 2 more validation digits read right (the lit part of a shadowed frame, a bold 2
# touching its frame), none fewer on either set; a white canvas in a dark-mode window (a screenshot,
# scratch probe) keeps its region.
REGION_NOISE = 0.003

PARAMETERS = {
    "fill_contrast": FILL_CONTRAST,
    "fill_min_cells": FILL_MIN_CELLS,
    "fill_ratio": FILL_RATIO,
    "fill_min_side": FILL_MIN_SIDE,
    "inset": INSET,
    "fill_min_inside": FILL_MIN_INSIDE,
    "margin": MARGIN,
    "rim": RIM,
    "region_noise": REGION_NOISE,
}


def _largest_group(far: list[bool], cols: int, rows: int) -> list[int]:
    seen = [False] * len(far)
    best: list[int] = []
    for start in range(len(far)):
        if not far[start] or seen[start]:
            continue
        seen[start] = True
        stack, group = [start], []
        while stack:
            i = stack.pop()
            group.append(i)
            r, c = divmod(i, cols)
            for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                j = rr * cols + cc
                if 0 <= rr < rows and 0 <= cc < cols and far[j] and not seen[j]:
                    seen[j] = True
                    stack.append(j)
        if len(group) > len(best):
            best = group
    return best


def _longest_run(flags: list[bool]) -> tuple[int, int] | None:
    """The longest run of True, as (start, end exclusive), the first of equals; None when all False."""
    best = None
    start = None
    for i, f in enumerate(flags + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def filled_region(img: Sequence[float], w: int, h: int, grid: CellGrid,
                  noise: float) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the filled rectangle to read inside, or None. noise: the image's (step 1)."""
    if grid.cols < 3 or grid.rows < 3:
        return None
    paper = border_median(img, w, h)
    medians = [s[2] for s in grid.stats]
    # A quarter of the cell is enough: the digit inside the area may cover the rest.
    far = [max(abs(s[1] - paper), abs(s[3] - paper)) >= FILL_CONTRAST for s in grid.stats]
    group = _largest_group(far, grid.cols, grid.rows)
    n_cells = grid.cols * grid.rows
    if len(group) < FILL_MIN_CELLS * n_cells:
        return None
    rs = [i // grid.cols for i in group]
    cs = [i % grid.cols for i in group]
    r0, r1, c0, c1 = min(rs), max(rs) + 1, min(cs), max(cs) + 1
    if len(group) < FILL_RATIO * (r1 - r0) * (c1 - c0):
        return None
    if r1 - r0 < FILL_MIN_SIDE * grid.rows or c1 - c0 < FILL_MIN_SIDE * grid.cols:
        return None
    level = median_sorted(sorted(medians[i] for i in group))
    if abs(level - paper) < FILL_CONTRAST or (level > paper and noise >= REGION_NOISE):
        return None
    mid = (paper + level) / 2
    darker = level < paper
    is_far = mid.__gt__ if darker else mid.__lt__

    s = grid.size
    bx0, by0 = max(0, (c0 - 1) * s), max(0, (r0 - 1) * s)
    bx1, by1 = min(w, (c1 + 1) * s), min(h, (r1 + 1) * s)
    rows = [bytes(map(is_far, img[y * w + bx0:y * w + bx1])) for y in range(by0, by1)]
    # Rows are judged over the group's columns, columns over its rows: the digit inside covers at most
    # three quarters of either, the gap to a colour bar none of it.
    gx0, gx1 = c0 * s - bx0, min(w, c1 * s) - bx0
    gy0, gy1 = r0 * s - by0, min(h, r1 * s) - by0
    row_flags = [4 * r[gx0:gx1].count(1) >= gx1 - gx0 for r in rows]
    col_far = [0] * (bx1 - bx0)
    for r in rows[gy0:gy1]:
        col_far = list(map(add, col_far, r))
    col_flags = [4 * n >= gy1 - gy0 for n in col_far]
    y_span = _longest_run(row_flags)
    x_span = _longest_run(col_flags)
    if x_span is None or y_span is None:
        return None
    x0, x1, y0, y1 = bx0 + x_span[0], bx0 + x_span[1], by0 + y_span[0], by0 + y_span[1]
    if x0 < MARGIN or y0 < MARGIN or x1 > w - MARGIN or y1 > h - MARGIN:
        return None  # a shadow or a dark corner running off the image, not a framed area
    rim = 0
    for y in (y0, y0 + 1, y1 - 2, y1 - 1):
        rim += bytes(map(is_far, img[y * w + x0:y * w + x1])).count(1)
    for y in range(y0 + 2, y1 - 2):
        rim += bytes(map(is_far, (img[y * w + x0], img[y * w + x0 + 1], img[y * w + x1 - 2],
                                  img[y * w + x1 - 1]))).count(1)
    if rim < RIM * 4 * (x1 - x0 + y1 - y0 - 4):
        return None  # its edge is not filled: the box of a bold digit or a blob, not a framed area
    inset_x = max(1, int(INSET * (x1 - x0) + 0.5))
    inset_y = max(1, int(INSET * (y1 - y0) + 0.5))
    x0, x1, y0, y1 = x0 + inset_x, x1 - inset_x, y0 + inset_y, y1 - inset_y
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    inside = 0
    for y in range(y0, y1):
        inside += bytes(map(is_far, img[y * w + x0:y * w + x1])).count(0)
    if inside < FILL_MIN_INSIDE * (x1 - x0) * (y1 - y0):
        return None
    return x0, y0, x1, y1
