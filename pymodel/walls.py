"""The walls of a form's boxes: the upright strokes between the cells of a row of boxes or a comb field.

A number written on a form sits in a row of cells: boxes side by side, separate boxes, or a comb (a line
under the cells with a short tick between each two). lines.py erases the long lines, but the walls stayed as
ink: a comb's ticks are too short to be found as lines, where two boxes share a side it is twice as thick
as a line, and a digit touching a side breaks it into pieces. Each wall then read as a 1 ("549" written in
a comb read "154141").

An upright is a vertical line that does not reach both ends of the image, or a component at most NARROW
times as wide as it is high. In a small blurred photo a line's fringe stays as ink once the line is erased,
and joins each tick standing on it with a stretch of the line into one wide component: the part of such a
component above the line's band (its thickness and HALO pixels more) and the part below are uprights too
when narrow, and the fringe they were cut from goes with them (_split_on).

Between two horizontal lines that face each other (the top and bottom of a row of boxes), where at least
two uprights at least half as long as the distance between them stand on one of the two (the row's outer
sides, or a few of its inner ones), upright lines are also searched among runs up to twice the thin limit
and in the rows between the two lines where they are (lines.lines_between): the shared sides, whole even
where a digit touches them.

The walls of one form stand on the same horizontal line with the same end (within REACH pixels of the
line's middle, across it, and of its ends, along it), are as long as each other (within SAME_LENGTH of the
first pair's length), and stand at a regular pitch: PITCH_MIN to PITCH_MAX times their length, each within
SAME_PITCH of the pitch (at least 2 px) of where the walls found so far put it, and at most one missing
between two. There are at least WALLS_MIN of them, and writing stands between them: a component at least
HOLDS of their length high, not centred where the row misses a wall, in two cells or more, and in at least
a third of the cells. Where one stroke is both a side found between two lines and a component, the row
takes the side (a component also holds the corners, and is longer). Separate boxes have
two walls at each pitch, a left and a right one, found one set after the other. Where the pitch puts a wall
that no upright showed (between the row's walls, and one pitch beyond each end while the line goes on: a
digit touching a comb's tick makes the tick part of the digit's component), an upright line is searched
on the walls' side of the line, among runs up to twice the thin limit (lines.lines_in), at least BOX_SIDE
of the walls' length long and with its end on the line. An upright lying along a wall, within its rows
(its part above or below a digit that touches it), is a piece of that wall.

Handwriting has no such row: 1s written on a ruled line are neither as regular nor as alike, and there is
no writing between each two of them. A form's cells are often left empty, though (a 2-digit amount in a
6-cell field, or a blank form): a row needs no writing when it is as regular as print (_printed): at least
PRINTED_MIN walls, each at least PRINTED_SHORTEST pixels long, their lengths within PRINTED_LENGTH of their
median length and PRINTED_ENDS pixels (where a wall's ends meet the lines is a pixel or two either way),
each wall within PRINTED_PITCH of that length from a regular pitch, each square to its line within
PRINTED_LEAN, and the lightest of them printed in the line's ink: its core no darker than PRINTED_INK times
the line's. A hand can write four 1s nearly that alike (a scratch probe of one MNIST 1 repeated upright on a
ruled line, 2-5% apart in size and spacing, made such a row in 3 to 6 of 60), but a pen's strokes are darker
than the printed rule they stand on (2 to 3.9 times there; a form's lightest wall at most 1.1 times its
line). A drawing on the pad has no form (preprocess skips this step there).

The walls are returned as lines marked `wall`, each with the joints where it meets the lines it stands on
(_junction: there neither the wall's runs nor the line's are thin enough to be erased, and a blank form kept
a fleck at each joint), and so is the line a row of them stands on: preprocess erases them as it erases
every line and finds the components again, and no wall is ever given back to a digit as its stroke
(locate.belongs), taken for a straight 1 (segment._upright) or read when nothing else is left
(preprocess.locate; an empty comb read "not a digit" for a stretch of its line).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymodel.components import Component
from pymodel.lines import BOX_SIDE, Line, at_border, least_squares, lines_between, lines_in, same_line

NARROW = 0.25
REACH = 2.0
SAME_LENGTH = 0.15
SAME_PITCH = 0.12
PITCH_MIN = 0.4
PITCH_MAX = 4.0
WALLS_MIN = 3
HOLDS = 0.3
HALO = 1.0
PRINTED_MIN = 4
PRINTED_SHORTEST = 8
PRINTED_LENGTH = 0.1
PRINTED_ENDS = 2
PRINTED_PITCH = 0.05
PRINTED_LEAN = 0.05
PRINTED_INK = 1.5

PARAMETERS = {
    "wall_narrow": NARROW,
    "wall_reach": REACH,
    "wall_same_length": SAME_LENGTH,
    "wall_same_pitch": SAME_PITCH,
    "wall_pitch_min": PITCH_MIN,
    "wall_pitch_max": PITCH_MAX,
    "walls_min": WALLS_MIN,
    "wall_holds": HOLDS,
    "wall_halo": HALO,
    "printed_min": PRINTED_MIN,
    "printed_shortest": PRINTED_SHORTEST,
    "printed_length": PRINTED_LENGTH,
    "printed_ends": PRINTED_ENDS,
    "printed_pitch": PRINTED_PITCH,
    "printed_lean": PRINTED_LEAN,
    "printed_ink": PRINTED_INK,
}

Upright = tuple[float, int, int, Line | Component]  # centre x, top y, bottom y (exclusive), the stroke


@dataclass
class Piece(Component):
    """The part of a component on one side of a line's band (_split_on): a tick joined to the line's fringe."""
    parent: Component | None = None
    band: list[int] = field(default_factory=list)  # the parent's pixels in the band, erased with the piece


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


def _stands_on(bar: Line, u: Upright, end: int, w: int) -> bool:
    """Whether an upright stroke's end (1: its top, 2: its foot) lies on the horizontal line bar. Along the
    bar, any of the stroke's width will do: a comb's last tick stands at the line's very end, where the
    corner they make is no part of the line found."""
    x, y = u[0], u[end] - (end == 2)
    half = (u[3].x1 - u[3].x0) / 2
    if not bar.x0 - REACH - half <= x <= bar.x1 + REACH + half:
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


def _split_on(bar: Line, comps: Sequence[Component], w: int) -> list[Upright]:
    """Uprights hidden in a blurred line's fringe: the line found erases its thin runs, but in a blurred photo
    its fringe stays as ink and joins each tick standing on it, with a stretch of the line, into one wide
    component. The part of such a component above the line's band (HALO pixels beyond its thickness), and
    the part below, are each an upright when narrow."""
    half = bar.thickness / 2 + HALO
    out: list[Upright] = []
    for c in comps:
        if c.width <= NARROW * c.height or c.x1 <= bar.x0 - REACH or c.x0 >= bar.x1 + REACH:
            continue
        above: list[tuple[int, int, int]] = []
        below: list[tuple[int, int, int]] = []
        band: list[int] = []
        for y, x0, x1 in c.runs:
            middle = bar.across_at((x0 + x1) / 2, w)
            if y < middle - half:
                above.append((y, x0, x1))
            elif y > middle + half:
                below.append((y, x0, x1))
            else:
                band += range(y * w + x0, y * w + x1)
        if not band:
            continue
        for runs in (above, below):
            if runs:
                piece = Piece(runs, sum(x1 - x0 for _, x0, x1 in runs), min(r[1] for r in runs), runs[0][0],
                              max(r[2] for r in runs), runs[-1][0] + 1, parent=c, band=band)
                if piece.width <= NARROW * piece.height:
                    out.append(((piece.x0 + piece.x1) / 2, piece.y0, piece.y1, piece))
    return out


def _pitch_of(row: Sequence[Upright]) -> tuple[float, float]:
    """A found row's pitch (its walls' closest spacing: one may be missing between two), and how far from
    where the pitch puts a wall one may stand (SAME_PITCH of it, at least 2 px)."""
    pitch = min(b[0] - a[0] for a, b in zip(row, row[1:]))
    return pitch, max(2.0, SAME_PITCH * pitch)


def _holds_writing(row: Sequence[Upright], comps: Sequence[Component]) -> bool:
    """Whether writing stands in at least two of the row's cells, and in a third of them. A wall split from a
    component (_split_on) is not writing, nor is a component centred where the row puts a wall (within
    SAME_PITCH of the pitch): 1s written evenly on a ruled line make rows too, and one unlike the others in
    length, where the row missed a wall, stood in a "cell" of its neighbours."""
    own = [u[3] for u in row] + [u[3].parent for u in row if isinstance(u[3], Piece)]
    length = sorted(_length(u) for u in row)[len(row) // 2]
    pitch, near = _pitch_of(row)

    def at_a_wall(c: Component) -> bool:
        middle = (c.x0 + c.x1) / 2
        k = math.floor((middle - row[0][0]) / pitch + 0.5)
        return abs(middle - row[0][0] - k * pitch) <= near

    writing = [c for c in comps if all(c is not o for o in own) and c.height >= HOLDS * length and not at_a_wall(c)]
    filled = sum(1 for a, b in zip(row, row[1:]) if any(a[0] < (c.x0 + c.x1) / 2 < b[0] for c in writing))
    return filled >= 2 and 3 * filled >= len(row) - 1


def _printed(row: Sequence[Upright], bar: Line, d: Sequence[float], w: int) -> bool:
    """Whether the row is as regular as print (module docstring): at least PRINTED_MIN walls, none shorter
    than PRINTED_SHORTEST pixels; their lengths within PRINTED_LENGTH of their median length (and
    PRINTED_ENDS pixels) of each other, each within PRINTED_PITCH of that length from a regular pitch, each
    square to the bar within PRINTED_LEAN, and the lightest no darker than PRINTED_INK times the bar."""
    lengths = sorted(_length(u) for u in row)
    if len(row) < PRINTED_MIN or lengths[0] < PRINTED_SHORTEST:
        return False
    median = lengths[len(row) // 2]
    xs = [u[0] for u in row]
    pitch, mid_k, mid_x = least_squares(range(len(row)), xs)
    off = max(abs(x - mid_x - pitch * (k - mid_k)) for k, x in enumerate(xs))
    # Square to the bar: a bar falling by s per pixel across has walls leaning by -s per pixel down.
    lean = max(abs(_lean(u) + bar.slope) for u in row)
    if (lengths[-1] - lengths[0] > PRINTED_LENGTH * median + PRINTED_ENDS or off > PRINTED_PITCH * median
            or lean > PRINTED_LEAN):
        return False
    # One ink: the lightest wall is printed as the bar is (a shared side of two boxes, twice as thick, may be
    # darker), while a pen's strokes are darker than the printed rule they stand on.
    lightest = min(_strength(_pixels(u[3], w), d, w, False) for u in row)
    return lightest <= PRINTED_INK * _strength(bar.pixels, d, w, True)


def _strength(pixels: Sequence[int], d: Sequence[float], w: int, along_x: bool) -> float:
    """How dark a stroke's ink is: the median, along it, of its darkest pixel across it (a blurred stroke's
    edges are lighter than its core)."""
    core: dict[int, float] = {}
    for i in pixels:
        t = i % w if along_x else i // w
        if d[i] > core.get(t, -1.0):
            core[t] = d[i]
    values = sorted(core.values())
    return values[len(values) // 2] if values else 0.0


def _pixels(stroke: Line | Component, w: int) -> list[int]:
    if isinstance(stroke, Line):
        return stroke.pixels
    return [y * w + x for y, x0, x1 in stroke.runs for x in range(x0, x1)]


def _lean(u: Upright) -> float:
    """An upright's change across per pixel down: a line's slope, or a component's fitted to its runs."""
    if isinstance(u[3], Line):
        return u[3].slope
    return least_squares([y for y, _, _ in u[3].runs], [(a + b) / 2 for _, a, b in u[3].runs])[0]


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
                    and (_stands_on(top, u, 1, w) or _stands_on(bottom, u, 2, w))]
        if len(reaching) < 2:
            continue
        out += [ln for ln in lines_between(mask_rows, w, h, top, bottom) if not any(same_line(ln, o) for o in out)]
    return out


def find_walls(mask_rows: Sequence[bytes], lines: Sequence[Line], comps: Sequence[Component], w: int,
               h: int, d: Sequence[float]) -> list[Line]:
    """The walls of a form's cells (module docstring), as lines: lines already found, upright lines found
    between two horizontal ones, and components (a line of the component's pixels each). mask_rows: the weak
    ink mask; d: the ink strength per pixel (ink.InkMap.d), which _printed compares."""
    uprights = _uprights(lines, comps, w, h)
    uprights = _lines_first(uprights, _uprights(_between(mask_rows, lines, uprights, w, h), [], w, h))
    bars = [ln for ln in lines if ln.horizontal]
    found: list[Upright] = []
    bases: list[Line] = []  # the lines the walls stand on
    for bar in bars:
        split = _split_on(bar, comps, w)
        for end in (1, 2):
            group = [u for u in uprights + split if _stands_on(bar, u, end, w)]
            while len(group) >= WALLS_MIN:
                row = _row(group)
                if len(row) < WALLS_MIN:
                    break
                group = [u for u in group if all(u[3] is not r[3] for r in row)]
                if _holds_writing(row, comps) or _printed(row, bar, d, w):
                    found += [r for r in row if all(r[3] is not f[3] for f in found)]
                    found += _unseen(mask_rows, bar, end, row, w, h)
                    if all(bar is not b for b in bases):
                        bases.append(bar)
    # Pieces of a wall (its part above or below a digit that touches it, found as a line of its own) too.
    found += [u for u in uprights if all(u[3] is not f[3] for f in found) and any(_piece_of(u, f) for f in found)]
    out = []
    for u in found:
        wall = _as_line(u[3], w)
        for bar in bars:
            if _stands_on(bar, u, 1, w) or _stands_on(bar, u, 2, w):
                wall.pixels = wall.pixels + _junction(bar, u, mask_rows, w)
        out.append(wall)
    # The line a row of walls stands on is the form's too: it is never read when nothing else is left (a blank
    # comb read "not a digit" for a stretch of it), nor given back to a digit.
    for bar in bases:
        bar.wall = True
    return out + [bar for bar in bases if all(bar is not o for o in out)]


def _lines_first(uprights: Sequence[Upright], sides: Sequence[Upright]) -> list[Upright]:
    """The uprights with the sides found between two lines before the components: where one stroke is both,
    the row takes the line, whose ends are where the side meets the lines (a component also holds the
    corners, and is longer than the other walls)."""
    return ([u for u in uprights if isinstance(u[3], Line)] + list(sides)
            + [u for u in uprights if not isinstance(u[3], Line)])


def _junction(bar: Line, u: Upright, mask_rows: Sequence[bytes], w: int) -> list[int]:
    """The ink where a wall meets a line it stands on: there the wall's runs lie along the line and the line's
    across the wall, each too long for the other to erase, and the joint stayed as a fleck (a blank form read
    "not a digit")."""
    half = bar.thickness / 2 + HALO + 1
    out = []
    for x in range(max(0, u[3].x0 - 1), min(w, u[3].x1 + 1)):
        middle = bar.across_at(x, w)
        for y in range(max(0, math.ceil(middle - half)), min(len(mask_rows), math.floor(middle + half) + 1)):
            if mask_rows[y][x]:
                out.append(y * w + x)
    return out


def _unseen(mask_rows: Sequence[bytes], bar: Line, end: int, row: Sequence[Upright], w: int,
            h: int) -> list[Upright]:
    """The walls of the row that no upright showed (a digit touching one makes it part of the digit's
    component): where the pitch puts one, between the row's walls and one pitch beyond each end while the
    bar goes on, an upright line on the bar's side of the walls (lines.lines_in), at least BOX_SIDE of
    their length long, with its end on the bar."""
    pitch, near = _pitch_of(row)
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
            if _stands_on(bar, u, end, w):
                out.append(u)
                break
    return out


def _piece_of(piece: Upright, wall: Upright) -> bool:
    """Whether an upright lies along a wall: its middle within REACH of the wall's, within its rows (give or
    take REACH and SAME_LENGTH of the wall's length: the same side found twice, once from the mask's runs and
    once between the two lines, ends a few pixels apart)."""
    reach = REACH + SAME_LENGTH * _length(wall)
    return abs(piece[0] - wall[0]) <= REACH and wall[1] - reach <= piece[1] and piece[2] <= wall[2] + reach


def _as_line(wall: Line | Component, w: int) -> Line:
    """A wall as a line marked `wall` (a component becomes a line of its pixels)."""
    if isinstance(wall, Line):
        wall.wall = True
        return wall
    line = Line(False, (wall.x0 + wall.x1) / 2, 0.0, wall.y0, wall.y1 - 1, wall.y1 - wall.y0, False, wall=True)
    line.pixels = _pixels(wall, w)
    if isinstance(wall, Piece):
        line.pixels += wall.band
    line.x0, line.y0, line.x1, line.y1 = wall.x0, wall.y0, wall.x1, wall.y1
    return line
