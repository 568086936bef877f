"""8-connected components of a binary mask, found on runs of pixels rather than pixel by pixel.

A run is a maximal horizontal stretch of mask pixels in one row: (y, x0, x1), x1 exclusive. Runs in
neighbouring rows belong together when they overlap or touch diagonally (x0 <= u1 and u0 <= x1).
Components are numbered in the order their first run appears (top to bottom, left to right), and each
keeps its runs in that order, so every later sum over a component has one fixed order.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import add

_RUN = re.compile(rb"[^\x00]+")

Run = tuple[int, int, int]  # y, x0, x1


def row_runs(mask_rows: Sequence[bytes]) -> list[list[tuple[int, int]]]:
    """For each row, its runs of non-zero bytes as (x0, x1)."""
    return [[m.span() for m in _RUN.finditer(row)] for row in mask_rows]


@dataclass
class Component:
    runs: list[Run] = field(default_factory=list)
    area: int = 0
    x0: int = 0
    y0: int = 0
    x1: int = 0  # exclusive
    y1: int = 0  # exclusive
    mass: float = 0.0  # sum of ink strength, filled in by measure()
    peak: float = 0.0  # largest ink strength

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def touches_border(self, w: int, h: int) -> bool:
        return self.x0 == 0 or self.y0 == 0 or self.x1 == w or self.y1 == h


def label(runs_by_row: Sequence[Sequence[tuple[int, int]]]) -> list[Component]:
    """Group the runs into 8-connected components (union-find over runs)."""
    runs: list[Run] = []
    parent: list[int] = []

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    prev_start = prev_end = 0
    for y, row in enumerate(runs_by_row):
        start = len(runs)
        j = prev_start
        for x0, x1 in row:
            i = len(runs)
            runs.append((y, x0, x1))
            parent.append(i)
            # Skip runs of the previous row that end too far left to touch this one.
            while j < prev_end and runs[j][2] < x0:
                j += 1
            k = j
            while k < prev_end and runs[k][1] <= x1:
                a, b = find(i), find(k)
                if a != b:
                    if a < b:
                        parent[b] = a
                    else:
                        parent[a] = b
                k += 1
        prev_start, prev_end = start, len(runs)

    index: dict[int, Component] = {}
    comps: list[Component] = []
    for i, (y, x0, x1) in enumerate(runs):
        root = find(i)
        c = index.get(root)
        if c is None:
            c = index[root] = Component(x0=x0, y0=y, x1=x1, y1=y + 1)
            comps.append(c)
        c.runs.append((y, x0, x1))
        c.area += x1 - x0
        if x0 < c.x0:
            c.x0 = x0
        if x1 > c.x1:
            c.x1 = x1
        c.y1 = y + 1
    return comps


def measure(comps: Sequence[Component], d: Sequence[float], w: int) -> None:
    """Fill in mass and peak from the ink strength map (runs added in order, left to right)."""
    for c in comps:
        mass = 0.0
        peak = 0.0
        for y, x0, x1 in c.runs:
            seg = d[y * w + x0:y * w + x1]
            mass = reduce(add, seg, mass)  # plain left-to-right addition, as in JavaScript
            top = max(seg)
            if top > peak:
                peak = top
        c.mass = mass
        c.peak = peak
