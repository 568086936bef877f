"""Choose the digit among the ink components: the main ink group nearest the centre, with its own parts.

0. Surroundings (`surroundings`, applied by preprocess with the components): a component that touches the
   image border and whose box holds the whole box of another component, no speck and clear of the
   border, is what lies round the writing (the desk round a photographed sheet, where it is narrower
   than the paper surface's reach and so came out as ink; the remains of a frame or of a shadow's edge),
   not ink of a digit. It is dropped. Never in a drawing on the pad (`drawn`, below).
1. Specks: components lighter (less ink mass) than SPECK_FRACTION of the heaviest are never a seed.
2. Seed: the component with the highest score = mass / (1 + (distance of its box centre from the image
   centre / (CENTRE_RADIUS * image diagonal))^2), times BORDER_PENALTY when it touches the image border
   (a fragment of a neighbouring digit cut by the crop), so a digit near the centre wins over a bigger
   fragment at the edge, and a large digit wins over a speck that happens to be central. A border piece
   lying along the side it touches, at least BAND_ASPECT times longer that way than it is deep, is a band
   (the desk beside a photographed sheet, cut into strips where the sheet's edges were found as lines)
   and is further scaled by BAND_PENALTY: a band's ink fills it, so it outweighs the digits. A drawing on
   the page's pad is cut out of nothing: its borders cut no ink, and every rule about them is off
   (`drawn`; a digit drawn up to the pad's edge is whole).
3. Parts: other components join the digit, repeatedly, while their box is within GROW of the digit's
   larger side from the digit's box, they weigh at least SPECK_FRACTION of the digit, and either they are
   lighter than PART_OF of it (the flag of a 5, a broken stroke, dots of a dotted pen) or nearly touch it
   (within TOUCH of its size). A component touching a border the digit does not touch never joins (a
   neighbour's fragment cut by the crop stays out), nor does one more than ENCLOSE times the digit's
   width and height (what is left of a frame around it).
4. Lines (lines.py) that do not span the image are judged against the digit: a line that does not touch
   it (within max(2, TOUCH * size) px), overhangs it at both ends by OVERHANG of the digit's extent (an
   underline, the side of a box) or is longer than LINE_LONGER times that extent stays removed, and so
   does a line with an end within CORNER times its thickness of an end of a perpendicular line (two
   sides of a box or frame meeting) and one that reaches an image edge the digit does not reach. Any
   other line is the digit's own stroke (the stem of a 1, the bar of a 7 or a 4) and is given back.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymodel.components import Component, Run
from pymodel.lines import Line

SPECK_FRACTION = 0.05
CENTRE_RADIUS = 0.25
BORDER_PENALTY = 0.25
# Chosen on numbers written on a sheet photographed on a desk (scratch probe, 30 of MNIST test digits):
# 13 -> 20 read right, the same at 2 to 3 and 0.05 to 0.1; 3 is the strictest. Evaluation and validation
# sets: digits and numbers unchanged, a "1" no longer read "11" beside the photo's lit edge, one non-digit
# more and one less answered by the page's reader.
BAND_ASPECT = 3.0
BAND_PENALTY = 0.1
GROW = 0.3
PART_OF = 0.6
TOUCH = 0.04
ENCLOSE = 1.2
OVERHANG = 0.1
LINE_LONGER = 2.5
CORNER = 2.0

PARAMETERS = {
    "speck_fraction": SPECK_FRACTION,
    "centre_radius": CENTRE_RADIUS,
    "border_penalty": BORDER_PENALTY,
    "band_aspect": BAND_ASPECT,
    "band_penalty": BAND_PENALTY,
    "grow": GROW,
    "part_of": PART_OF,
    "touch": TOUCH,
    "enclose": ENCLOSE,
    "overhang": OVERHANG,
    "line_longer": LINE_LONGER,
    "corner": CORNER,
}


@dataclass
class Digit:
    parts: list[Component]
    x0: int
    y0: int
    x1: int  # exclusive
    y1: int  # exclusive
    mass: float
    border: bool  # its seed touches the image border
    extra: list[int] = field(default_factory=list)  # flat pixel indices of lines given back to it

    @property
    def runs(self) -> list[Run]:
        return [r for c in self.parts for r in c.runs]

    @property
    def box(self) -> list[int]:
        return [self.x0, self.y0, self.x1 - self.x0, self.y1 - self.y0]


def gap(a, b) -> int:
    """Chebyshev distance between two boxes (objects with x0, y0, x1, y1; 0 when they touch or overlap)."""
    dx = max(a.x0 - b.x1, b.x0 - a.x1, -1) + 1
    dy = max(a.y0 - b.y1, b.y0 - a.y1, -1) + 1
    return max(dx, dy)


def crop_cut(a, b, w: int, h: int, drawn: bool) -> bool:
    """Whether box a (x0, y0, x1, y1) reaches a border of the image that box b does not: a neighbour or a
    rule cut by the crop, beside the digit b. Never in a drawing on the pad, which is cut out of nothing."""
    return not drawn and ((a.x0 == 0 < b.x0) or (a.y0 == 0 < b.y0) or (a.x1 == w > b.x1) or (a.y1 == h > b.y1))


def surroundings(comps: Sequence[Component], w: int, h: int, drawn: bool) -> list[Component]:
    """The components without those that surround the writing (step 0). A digit cut by the crop never holds
    a whole other digit's box, and a speck inside a 0's loop is no reason to drop the 0."""
    if drawn or not comps:
        return list(comps)
    heaviest = max(c.mass for c in comps)
    inner = [c for c in comps if not c.touches_border(w, h) and c.mass >= SPECK_FRACTION * heaviest]
    return [c for c in comps if not (c.touches_border(w, h) and any(
        c.x0 <= o.x0 and o.x1 <= c.x1 and c.y0 <= o.y0 and o.y1 <= c.y1 for o in inner))]


def along_border(c: Component, w: int, h: int) -> bool:
    """Whether a component lies along a side of the image it touches, at least BAND_ASPECT times longer
    that way than it is deep (step 2)."""
    along_top_or_bottom = (c.y0 == 0 or c.y1 == h) and c.width >= BAND_ASPECT * c.height
    along_a_side = (c.x0 == 0 or c.x1 == w) and c.height >= BAND_ASPECT * c.width
    return along_top_or_bottom or along_a_side


def _score(c: Component, w: int, h: int, drawn: bool) -> float:
    radius = CENTRE_RADIUS * math.hypot(w, h)
    dx = (c.x0 + c.x1) / 2 - w / 2
    dy = (c.y0 + c.y1) / 2 - h / 2
    s = c.mass / (1.0 + (dx * dx + dy * dy) / (radius * radius))
    if drawn or not c.touches_border(w, h):
        return s
    s = s * BORDER_PENALTY
    return s * BAND_PENALTY if along_border(c, w, h) else s


def grow(seed: Component, pool: Sequence[Component], w: int, h: int, drawn: bool = False) -> Digit:
    """The seed plus the components of `pool` that are parts of the same digit (step 3)."""
    digit = Digit([seed], seed.x0, seed.y0, seed.x1, seed.y1, seed.mass, not drawn and seed.touches_border(w, h))
    left = [c for c in pool if c is not seed]
    changed = True
    while changed:
        changed = False
        size = max(digit.x1 - digit.x0, digit.y1 - digit.y0)
        for c in left:
            if c.mass < SPECK_FRACTION * digit.mass:
                continue
            g = gap(c, digit)
            if g > GROW * size:
                continue
            if c.mass > PART_OF * digit.mass and g > TOUCH * size:
                continue
            if c.width > ENCLOSE * (digit.x1 - digit.x0) and c.height > ENCLOSE * (digit.y1 - digit.y0):
                continue  # bigger every way: what is left of a frame or a box around it, not a part
            if crop_cut(c, digit, w, h, drawn):
                continue
            digit.parts.append(c)
            digit.mass += c.mass
            digit.x0, digit.y0 = min(digit.x0, c.x0), min(digit.y0, c.y0)
            digit.x1, digit.y1 = max(digit.x1, c.x1), max(digit.y1, c.y1)
            left = [o for o in left if o is not c]
            changed = True
            break
    return digit


def choose(comps: Sequence[Component], w: int, h: int, drawn: bool = False) -> Digit | None:
    """Steps 1-3: the digit among the components, or None when there is no ink. drawn: the image is a
    drawing on the pad, whose borders cut nothing."""
    if not comps:
        return None
    heaviest = max(c.mass for c in comps)
    pool = [c for c in comps if c.mass >= SPECK_FRACTION * heaviest]
    seed = pool[0]
    best = _score(seed, w, h, drawn)
    for c in pool[1:]:
        s = _score(c, w, h, drawn)
        if s > best:
            seed, best = c, s
    return grow(seed, comps, w, h, drawn)


def inside(digit: Digit, line: Line) -> bool:
    """The digit's box lies within the line's box (grown by 1 px): it is a piece of that line."""
    return (digit.x0 >= line.x0 - 1 and digit.y0 >= line.y0 - 1 and digit.x1 <= line.x1 + 1
            and digit.y1 <= line.y1 + 1)


def _ends(line: Line, w: int, h: int) -> list[tuple[float, float]]:
    """The two end points (x, y) of a line."""
    side = w if line.horizontal else h
    out = []
    for t in (line.start, line.end):
        across = line.across_at(t, side)
        out.append((t, across) if line.horizontal else (across, t))
    return out


def corners(lines: Sequence[Line], w: int, h: int) -> list[Line]:
    """Lines that end where a perpendicular line ends: the sides of a box or a frame. Near means within
    CORNER thicknesses (not the box across a slanted line: a 1 ending near a ruled line's end was a corner)."""
    ends = [(ln, _ends(ln, w, h)) for ln in lines]
    found = []
    for a, ea in ends:
        reach = CORNER * max(1.0, a.thickness)
        for b, eb in ends:
            if a.horizontal != b.horizontal and any(
                    abs(p[0] - q[0]) <= reach and abs(p[1] - q[1]) <= reach for p in ea for q in eb):
                found.append(a)
                break
    return found


def belongs(line: Line, digit: Digit, w: int, h: int, framed: Sequence[Line] = (), drawn: bool = False) -> bool:
    """Step 4: is this (non-spanning) line a stroke of the digit?"""
    if line.spans or line.wall or any(line is f for f in framed):
        return False
    if crop_cut(line, digit, w, h, drawn):
        return False  # it runs off the image where the digit does not: a rule cut by the crop
    size = max(digit.x1 - digit.x0, digit.y1 - digit.y0)
    if gap(line, digit) > max(2.0, TOUCH * size):
        return False  # a stroke of the digit touches the rest of it; a box side or a margin does not
    if line.horizontal:
        extent, before, after = digit.x1 - digit.x0, digit.x0 - line.x0, line.x1 - digit.x1
    else:
        extent, before, after = digit.y1 - digit.y0, digit.y0 - line.y0, line.y1 - digit.y1
    reach = max(2.0, OVERHANG * extent)
    if before >= reach and after >= reach:
        return False
    return line.length <= LINE_LONGER * max(extent, 1)


def give_back(digit: Digit, lines: Sequence[Line], w: int, h: int, drawn: bool = False) -> None:
    """Add the lines that belong to the digit (step 4) to it, in place."""
    framed = corners(lines, w, h)
    for line in lines:
        if belongs(line, digit, w, h, framed, drawn):
            digit.extra += line.pixels
            digit.x0, digit.y0 = min(digit.x0, line.x0), min(digit.y0, line.y0)
            digit.x1, digit.y1 = max(digit.x1, line.x1), max(digit.y1, line.y1)
