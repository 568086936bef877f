"""The walls of a form's boxes: the upright strokes between the cells of a row of boxes or a comb field.

A number written on a form sits in a row of cells: boxes side by side, separate boxes, or a comb (a line
under the cells with a short tick between each two). lines.py erases the long lines, but the walls stayed as
ink: a comb's ticks are too short to be found as lines, where two boxes share a side it is twice as thick
as a line, and a digit touching a side breaks it into pieces. Each wall then read as a 1 ("549" written in
a comb read "154141").

An upright is a vertical line that does not reach both ends of the image, or a component at most NARROW
times as wide as it is high. Between two horizontal lines that face each other (the top and bottom of a
row of boxes), where at least two uprights at least half as long as the distance between them stand on one
of the two (the row's outer sides, or a few of its inner ones), upright lines are also searched among runs
up to twice the thin limit and in the rows between the two lines where they are (lines.lines_between): the
shared sides, whole even where a digit touches them.

The walls of one form stand on the same horizontal line with the same end (within REACH pixels of the
line's middle, across it, and of its ends, along it), are as long as each other (within SAME_LENGTH of the
first pair's length), and stand at a regular pitch: PITCH_MIN to PITCH_MAX times their length, each within
SAME_PITCH of the pitch (at least 2 px) of where the walls found so far put it, and at most one missing
between two. There are at least WALLS_MIN of them, and writing stands between them: a component at least
HOLDS of their length high in two cells or more, and in at least a third of the cells. Separate boxes have
two walls at each pitch, a left and a right one, found one set after the other. Where the pitch puts a wall
that no upright showed (between the row's walls, and one pitch beyond each end while the line goes on: a
digit touching a comb's tick makes the tick part of the digit's component), an upright line is searched
on the walls' side of the line, among runs up to twice the thin limit (lines.lines_in), at least BOX_SIDE
of the walls' length long and with its end on the line. An upright lying along a wall, within its rows
(its part above or below a digit that touches it), is a piece of that wall.

Handwriting has no such row: 1s written on a ruled line are neither as regular nor as alike, and there is
no writing between each two of them. A drawing on the pad has no form (preprocess skips this step there).

The walls are returned as lines marked `wall`: preprocess erases them as it erases every line and finds the
components again, and no wall is ever given back to a digit as its stroke (locate.belongs), taken for a
straight 1 (segment._upright) or read when nothing else is left (preprocess.locate).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from pymodel.components import Component
from pymodel.lines import BOX_SIDE, Line, at_border, lines_between, lines_in, same_line

NARROW = 0.25
REACH = 2.0
SAME_LENGTH = 0.15
SAME_PITCH = 0.12
PITCH_MIN = 0.4
PITCH_MAX = 4.0
WALLS_MIN = 3
HOLDS = 0.3

PARAMETERS = {
    "wall_narrow": NARROW,
    "wall_reach": REACH,
    "wall_same_length": SAME_LENGTH,
    "wall_same_pitch": SAME_PITCH,
    "wall_pitch_min": PITCH_MIN,
    "wall_pitch_max": PITCH_MAX,
    "walls_min": WALLS_MIN,
    "wall_holds": HOLDS,
}

Upright = tuple[float, int, int, Line | Component]  # centre x, top y, bottom y (exclusive), the stroke


def _uprights(lines: Sequence[Line], comps: Sequence[Component], w: int, h: int) -> list[Upright]:
    """The strokes that may be walls: vertical lines that do not reach both ends of the image (those are a
    grid's or a margin's), and components at most NARROW times as wide as they are high."""
    out: list[Upright] = []
    for ln in lines:
        if not ln.horizontal and not all(at_border(ln, w, h)):
            out.append(((ln.x0 + ln.x1) / 2, ln.y0, ln.y1, ln))
    for c in comps:
        if c.width <= NARROW * c.height:
            out.append(((c.x0 + c.x1) / 2, c.y0, c.y1, c))
    return out


def _stands_on(bar: Line, x: float, y: float, w: int) -> bool:
    """Whether the point (x, y), an end of an upright stroke, lies on the horizontal line bar."""
    if not bar.x0 - REACH <= x <= bar.x1 + REACH:
        return False
    return abs(y - bar.across_at(x, w)) <= bar.thickness / 2 + REACH


def _length(u: Upright) -> int:
    return u[2] - u[1]


def _row_from(first: Upright, second: Upright, group: Sequence[Upright], right: float) -> list[Upright]:
    """The walls at the pitch that first and second set, from first rightwards (module docstring)."""
    length = (_length(first) + _length(second)) / 2
    pitch = second[0] - first[0]
    if not PITCH_MIN * length <= pitch <= PITCH_MAX * length:
        return []
    near = max(2.0, SAME_PITCH * pitch)
    alike = [u for u in group if abs(_length(u) - length) <= SAME_LENGTH * length]
    row = [first]
    last_x, last_k, k, missed = first[0], 0, 1, 0
    while last_x + (k - last_k) * pitch <= right + near:
        want = last_x + (k - last_k) * pitch
        # Each wall lies at least half a pitch beyond the last: two finds of one wall never shrink the pitch.
        here = [u for u in alike if abs(u[0] - want) <= near and u[0] - last_x >= 0.5 * pitch]
        if here:
            best = min(here, key=lambda u: abs(u[0] - want))
            row.append(best)
            last_x, last_k, missed = best[0], k, 0
            pitch = (last_x - first[0]) / k  # the pitch of the walls found so far, so it does not drift
        else:
            missed += 1
            if missed > 1:
                break
        k += 1
    return row


def _row(group: Sequence[Upright]) -> list[Upright]:
    """The longest regular row of walls among the uprights (the shortest pitch on a tie)."""
    group = sorted(group, key=lambda u: u[0])
    right = group[-1][0] if group else 0.0
    best: list[Upright] = []
    best_pitch = 0.0
    for i, first in enumerate(group):
        for second in group[i + 1:]:
            if abs(_length(first) - _length(second)) > SAME_LENGTH * max(_length(first), _length(second)):
                continue
            row = _row_from(first, second, group, right)
            pitch = second[0] - first[0]
            if len(row) > len(best) or (len(row) == len(best) and pitch < best_pitch):
                best, best_pitch = row, pitch
    return best


def _holds_writing(row: Sequence[Upright], comps: Sequence[Component]) -> bool:
    """Whether writing stands in at least two of the row's cells, and in a third of them."""
    own = [u[3] for u in row]
    length = sorted(_length(u) for u in row)[len(row) // 2]
    writing = [c for c in comps if all(c is not o for o in own) and c.height >= HOLDS * length]
    filled = sum(1 for a, b in zip(row, row[1:]) if any(a[0] < (c.x0 + c.x1) / 2 < b[0] for c in writing))
    return filled >= 2 and 3 * filled >= len(row) - 1


def _facing(top: Line, bottom: Line) -> bool:
    """Whether bottom is a horizontal line below top, and they share at least half the shorter's columns."""
    shared = min(top.x1, bottom.x1) - max(top.x0, bottom.x0)
    return bottom.y0 >= top.y1 and shared >= 0.5 * min(top.x1 - top.x0, bottom.x1 - bottom.x0)


def _between(mask_rows: Sequence[bytes], lines: Sequence[Line], uprights: Sequence[Upright], w: int,
             h: int) -> list[Line]:
    """The inner sides of a row of boxes: upright lines between each horizontal line and the next one below
    it (lines.lines_between), searched only where at least two upright strokes already reach from the one to
    the other (the row's outer sides), and not found before."""
    bars = [ln for ln in lines if ln.horizontal]
    out: list[Line] = []
    for top in bars:
        below = [b for b in bars if b is not top and _facing(top, b)]
        if not below:
            continue
        bottom = min(below, key=lambda b: b.y0)
        tall = 0.5 * (bottom.y0 - top.y1)
        reaching = [u for u in uprights if _length(u) >= tall
                    and (_stands_on(top, u[0], u[1], w) or _stands_on(bottom, u[0], u[2] - 1, w))]
        if len(reaching) < 2:
            continue
        out += [ln for ln in lines_between(mask_rows, w, h, top, bottom) if not any(same_line(ln, o) for o in out)]
    return out


def find_walls(mask_rows: Sequence[bytes], lines: Sequence[Line], comps: Sequence[Component], w: int,
               h: int) -> list[Line]:
    """The walls of a form's cells (module docstring), as lines: lines already found, upright lines found
    between two horizontal ones, and components (a line of the component's pixels each)."""
    uprights = _uprights(lines, comps, w, h)
    uprights += _uprights(_between(mask_rows, lines, uprights, w, h), [], w, h)
    found: list[Upright] = []
    for bar in (ln for ln in lines if ln.horizontal):
        for end in (1, 2):
            group = [u for u in uprights if _stands_on(bar, u[0], u[end] - (end == 2), w)]
            while len(group) >= WALLS_MIN:
                row = _row(group)
                if len(row) < WALLS_MIN:
                    break
                group = [u for u in group if all(u[3] is not r[3] for r in row)]
                if _holds_writing(row, comps):
                    found += [r for r in row if all(r[3] is not f[3] for f in found)]
                    found += _unseen(mask_rows, bar, end, row, w, h)
    # Pieces of a wall (its part above or below a digit that touches it, found as a line of its own) too.
    found += [u for u in uprights if all(u[3] is not f[3] for f in found) and any(_piece_of(u, f) for f in found)]
    return [_as_line(u[3], w) for u in found]


def _unseen(mask_rows: Sequence[bytes], bar: Line, end: int, row: Sequence[Upright], w: int,
            h: int) -> list[Upright]:
    """The walls of the row that no upright showed (a digit touching one makes it part of the digit's
    component): where the pitch puts one, between the row's walls and one pitch beyond each end while the
    bar goes on, an upright line on the bar's side of the walls (lines.lines_in), at least BOX_SIDE of
    their length long, with its end on the bar."""
    pitch = min(b[0] - a[0] for a, b in zip(row, row[1:]))
    near = max(2.0, SAME_PITCH * pitch)
    length = sorted(_length(u) for u in row)[len(row) // 2]
    steps = math.floor((row[-1][0] - row[0][0]) / pitch + 0.5)
    out: list[Upright] = []
    for k in range(-1, steps + 2):
        x = row[0][0] + k * pitch
        if any(abs(u[0] - x) <= near for u in row) or not bar.x0 - near <= x <= bar.x1 + near:
            continue
        middle = bar.across_at(x, w)
        if end == 2:  # the walls stand on the bar: their lower end on it
            window = (x - near, x + near, middle - length - REACH, middle - bar.thickness / 2)
        else:
            window = (x - near, x + near, middle + bar.thickness / 2, middle + length + REACH)
        for line in lines_in(mask_rows, w, h, window, BOX_SIDE * length):
            u = ((line.x0 + line.x1) / 2, line.y0, line.y1, line)
            if _stands_on(bar, u[0], u[end] - (end == 2), w):
                out.append(u)
                break
    return out


def _piece_of(piece: Upright, wall: Upright) -> bool:
    """Whether an upright lies along a wall: its middle within REACH of the wall's, within its rows."""
    return abs(piece[0] - wall[0]) <= REACH and wall[1] - REACH <= piece[1] and piece[2] <= wall[2] + REACH


def _as_line(wall: Line | Component, w: int) -> Line:
    """A wall as a line marked `wall` (a component becomes a line of its pixels)."""
    if isinstance(wall, Line):
        wall.wall = True
        return wall
    line = Line(False, (wall.x0 + wall.x1) / 2, 0.0, wall.y0, wall.y1 - 1, wall.y1 - wall.y0, False, wall=True)
    line.pixels = [y * w + x for y, x0, x1 in wall.runs for x in range(x0, x1)]
    line.x0, line.y0, line.x1, line.y1 = wall.x0, wall.y0, wall.x1, wall.y1
    return line
