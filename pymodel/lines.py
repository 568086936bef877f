"""Long, straight, thin structures: ruled and margin lines, box borders, underlines, plot axes, canvas frames.

A line is found from the runs that cross it: for a horizontal line, the vertical runs of ink in each
column that are at most `thin` pixels long (THIN_FRACTION of the shorter side, at least THIN_MIN). A
digit's stroke crossing the line makes the run through it long, so the crossing is not part of the line
and survives its removal; this is how a line touching or crossing the digit is removed without cutting
the digit's strokes. Long means above the thin limit, or above CROSSING times the line's median run: a
pen that is thin for the image, crossing a line at a slant, makes runs under the thin limit that are
still far longer than the line's own, and erasing them would cut the stroke in two.

Finding: each thin run is a point (position along the line, centre across it). For every slope in
[-SLOPE_MAX, SLOPE_MAX] (step SLOPE_STEP, enough for a photo taken slightly askew) the points are
counted in 2-pixel bins across the line, twice with the bins shifted by one pixel. The fullest bin is a
candidate: the points within BAND of it are fitted by least squares, the points within BAND of the fitted
line are its members. It is a line when its members cover at least LINE_MIN_FRACTION of the image side
(and LINE_MIN_PIXELS) and the mask has ink on the fitted line (rounded) at COVERAGE of the positions
from its first member to its last (dashed lines pass; a thick stroke crossing it still counts as ink).
Its points leave every count, and the search repeats until no bin is full enough.

Whether a line is ink of the digit (the stem of a 1, the bar of a 7) is decided later, by locate.py, from
how it relates to the digit; here a line only records whether it spans the image: it reaches within
EDGE_FRACTION of both ends of the image, or is longer than SPAN_FRACTION of it.

Frames (frame_lines): the border of a box or frame round the digit, blurred in a photo or drawn with a
marker, is thicker than the thin limit and stays as ink, so the region read is the frame. A second search
allows runs up to FRAME_THIN_FRACTION of the shorter side and keeps the lines that span the image within
FRAME_NEAR of the shorter side from its border, when there are at least FRAME_SIDES of them: a frame has
sides, while one straight stroke near the border (a triangle's base, the bar of a 7 in a tight crop) is
alone.

Boxes (box_lines): a box drawn round a digit in a wide photo has sides shorter than LINE_MIN_FRACTION of
the image. When its two long sides are found (facing each other: ends within BOX_ALIGN of their length
of each other, BOX_APART to BOX_FAR lengths apart), the short ones are looked for where they must be,
at the pair's two ends, between them: the same search among the runs there (up to twice the thin limit),
at least BOX_SIDE of the pair's distance long. Found at both ends, and holding ink, the four are a box:
its sides meet (locate.corners), so none is taken for a 1 and the box is not read with the digit.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pymodel.components import row_runs

# A sheet photographed askew tilts its grid and rules past 0.11 (the old limit: a 6 on tilted grid paper was
# read with the grid as "not a digit"). The coarser step keeps the number of slopes tried (17, was 15) and
# so the time of the search nearly as before: a line between two slopes is at most 1/96 off the nearer,
# under 3 pixels across the 256-pixel working image, so most of its points still share a 2-pixel bin, and
# the least-squares fit then takes its exact slope from the members. Measured: the benchmark photo's time
# did not change, and 1/64 steps (23 slopes) read only 1 more of the 600 evaluation digits.
SLOPE_MAX = 0.18
SLOPE_STEP = 1 / 48
THIN_FRACTION = 1 / 33
THIN_MIN = 3
LINE_MIN_FRACTION = 0.3
LINE_MIN_PIXELS = 16
COVERAGE = 0.6
BAND = 1.5
EDGE_FRACTION = 0.05
SPAN_FRACTION = 0.7
CROSSING = 2
FRAME_THIN_FRACTION = 1 / 12
FRAME_NEAR = 0.2
FRAME_SIDES = 2
# Box sides (box_lines): the ends of the two found sides lie within BOX_ALIGN of their length of each
# other, they stand BOX_APART to BOX_FAR times their length apart, and the missing sides are found among
# the runs between them, at least BOX_SIDE of the distance between the two long.
BOX_ALIGN = 0.2
BOX_APART = 0.25
BOX_FAR = 3.0
BOX_SIDE = 0.6

PARAMETERS = {
    "slope_max": SLOPE_MAX,
    "slope_step": SLOPE_STEP,
    "thin_fraction": THIN_FRACTION,
    "thin_min": THIN_MIN,
    "line_min_fraction": LINE_MIN_FRACTION,
    "line_min_pixels": LINE_MIN_PIXELS,
    "coverage": COVERAGE,
    "band": BAND,
    "edge_fraction": EDGE_FRACTION,
    "span_fraction": SPAN_FRACTION,
    "crossing": CROSSING,
    "frame_thin_fraction": FRAME_THIN_FRACTION,
    "frame_near": FRAME_NEAR,
    "frame_sides": FRAME_SIDES,
    "box_align": BOX_ALIGN,
    "box_apart": BOX_APART,
    "box_far": BOX_FAR,
    "box_side": BOX_SIDE,
}

Point = tuple[int, int, int, int]  # position along the line, 2 x centre across it, run start, run end


@dataclass
class Line:
    horizontal: bool
    offset: float  # centre across the line at the middle of the image's axis
    slope: float  # change across per pixel along
    start: int  # first position along the line (inclusive)
    end: int  # last position along the line (inclusive)
    covered: int  # positions along the line that have a thin run on it
    spans: bool
    pixels: list[int] = field(default_factory=list)  # flat indices of the runs it removes
    wall: bool = False  # a wall between the cells of a form (walls.py): never a stroke of a digit
    x0: int = 0
    y0: int = 0
    x1: int = 0  # exclusive
    y1: int = 0  # exclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def thickness(self) -> float:
        """Its box across it, less the drift of its slope along it."""
        if self.horizontal:
            return (self.y1 - self.y0) - abs(self.slope) * (self.x1 - self.x0)
        return (self.x1 - self.x0) - abs(self.slope) * (self.y1 - self.y0)

    def across_at(self, along: float, side: int) -> float:
        """Its centre across itself at a position along it; `side` is the image's side along the line (its
        width for a flat line, its height for an upright one), whose middle `offset` is measured at."""
        return self.offset + self.slope * (along - side / 2)


def least_squares(ts: Sequence[float], xs: Sequence[float]) -> tuple[float, float, float]:
    """The least-squares line x = mean_x + slope * (t - mean_t) through the points (ts[i], xs[i]):
    (slope, mean_t, mean_x), the slope 0 when every t is the same. Sums are loops, not sum(): Python 3.12's
    sum() of floats compensates its rounding and JavaScript's additions do not, and the page's Pyodide, the
    command line's Python and lines.js's leastSquares must agree to the bit."""
    n = len(ts)
    st = sx = 0.0
    for t, x in zip(ts, xs):
        st += t
        sx += x
    mt, mx = st / n, sx / n
    stt = stx = 0.0
    for t, x in zip(ts, xs):
        stt += (t - mt) * (t - mt)
        stx += (t - mt) * (x - mx)
    return (stx / stt if stt > 0 else 0.0), mt, mx


def same_line(a: Line, b: Line) -> bool:
    """Two finds of one line (from different masks): same direction, position within BAND, slope
    within two steps."""
    return (a.horizontal == b.horizontal and abs(a.offset - b.offset) <= BAND
            and abs(a.slope - b.slope) <= 2 * SLOPE_STEP)


def thin_limit(w: int, h: int) -> int:
    return max(THIN_MIN, math.floor(min(w, h) * THIN_FRACTION + 0.5))


def _points(runs_by_line: Sequence[Sequence[tuple[int, int]]], thin: int) -> list[Point]:
    return [(t, a + b - 1, a, b) for t, runs in enumerate(runs_by_line) for a, b in runs if b - a <= thin]


Found = tuple[list[Point], float, float, int, int, int]  # members, offset, slope, first, last, covered


def _search(points: list[Point], n: int, lanes: Sequence[bytes], min_len: float | None = None) -> list[Found]:
    """The lines among the points, as (members, offset, slope, first, last, covered). n = image side
    along the lines; lanes[t][c] is the mask at position t along, c across; a line has at least min_len
    points (default: LINE_MIN_FRACTION of n, at least LINE_MIN_PIXELS)."""
    if min_len is None:
        min_len = max(LINE_MIN_PIXELS, LINE_MIN_FRACTION * n)
    if len(points) < min_len:
        return []
    centre = n / 2
    steps = math.floor(SLOPE_MAX / SLOPE_STEP + 1e-9)
    slopes = [i * SLOPE_STEP for i in range(-steps, steps + 1)]
    tables = []  # (slope, shift, key of every point, counts)
    for s in slopes:
        across = [c / 2 - s * (t - centre) for t, c, _, _ in points]
        for shift in (0, 1):
            keys = [math.floor((u + shift) / 2) for u in across]
            tables.append((s, shift, keys, Counter(keys)))
    alive = [True] * len(points)
    found = []
    while True:
        best, best_table = 0, None
        for table in tables:
            top = max(table[3].values())
            if top > best:
                best, best_table = top, table
        if best < min_len or best_table is None:
            break
        s, shift, keys, counts = best_table
        key = max(counts, key=counts.get)
        mid = 2 * key + 1 - shift
        near = [i for i, p in enumerate(points) if alive[i] and abs(p[1] / 2 - s * (p[0] - centre) - mid) <= BAND]
        # Least squares across = offset + slope * (along - centre) over the near points.
        m = len(near)
        st = sc = stt = stc = 0.0
        for i in near:
            t, c = points[i][0] - centre, points[i][1] / 2
            st += t
            sc += c
            stt += t * t
            stc += t * c
        den = m * stt - st * st
        slope = (m * stc - st * sc) / den if den > 1e-9 else s
        if abs(slope) > SLOPE_MAX + SLOPE_STEP:
            slope = s
        offset = (sc - slope * st) / m
        members = [i for i, p in enumerate(points)
                   if alive[i] and abs(p[1] / 2 - offset - slope * (p[0] - centre)) <= BAND]
        if not members:
            members = near
        thin_count = len({points[i][0] for i in members})
        first = min(points[i][0] for i in members)
        last = max(points[i][0] for i in members)
        # Where a stroke crosses the line its run is thick, but the line is still there: count ink.
        covered = 0
        for t in range(first, last + 1):
            c = math.floor(offset + slope * (t - centre) + 0.5)
            if 0 <= c < len(lanes[t]) and lanes[t][c]:
                covered += 1
        if thin_count >= min_len and covered >= COVERAGE * (last - first + 1):
            found.append(([points[i] for i in members], offset, slope, first, last, covered))
        for i in members:
            alive[i] = False
            for _, _, k, c in tables:
                c[k[i]] -= 1
    return found


def crossing_limit(lengths: Sequence[int]) -> int:
    """The longest run a line erases: CROSSING times its median run. A longer run is a stroke crossing the
    line (or resting on it) and stays, whatever the image-wide thin limit says."""
    ordered = sorted(lengths)
    return CROSSING * ordered[len(ordered) // 2]


def _at_border(first: float, last: float, n: int) -> tuple[bool, bool]:
    """Whether a line from position first to last (inclusive) along a side n long reaches within
    EDGE_FRACTION of that side's start, and of its end."""
    edge = max(2.0, EDGE_FRACTION * n)
    return first <= edge, last >= n - 1 - edge


def at_border(line: Line, w: int, h: int) -> tuple[bool, bool]:
    """Whether the line reaches the image's border at its start, and at its end (see _at_border)."""
    return _at_border(line.start, line.end, w if line.horizontal else h)


def find_lines(mask_rows: Sequence[bytes], w: int, h: int, thin: int | None = None,
               border: float | None = None) -> list[Line]:
    """Horizontal and vertical lines in the mask (one bytes object per row, non-zero = ink), made of runs
    up to `thin` pixels across (default: thin_limit); with `border`, only of runs whose centre lies within
    that many pixels of the image's edge across them."""
    thin = thin_limit(w, h) if thin is None else thin
    lines = []
    for horizontal in (True, False):
        lanes, n = _lanes(mask_rows, w, h, horizontal)
        points = _points(row_runs(lanes), thin)
        if border is not None:
            far = 2 * ((h if horizontal else w) - 1 - border)
            points = [p for p in points if p[1] <= 2 * border or p[1] >= far]
        lines += [_line(horizontal, found, n, w) for found in _search(points, n, lanes)]
    return lines


def _lanes(mask_rows: Sequence[bytes], w: int, h: int, horizontal: bool) -> tuple[Sequence[bytes], int]:
    """The lanes that cross lines running this way, and the image's side along them: the columns cross
    horizontal lines, the rows vertical ones."""
    if horizontal:
        return ([bytes(col) for col in zip(*mask_rows)] if mask_rows else []), w
    return mask_rows, h


def _line(horizontal: bool, found: Found, n: int, w: int) -> Line:
    members, offset, slope, first, last, covered = found
    spans = all(_at_border(first, last, n)) or last - first + 1 >= SPAN_FRACTION * n
    line = Line(horizontal, offset, slope, first, last, covered, spans)
    lo = min(p[2] for p in members)
    hi = max(p[3] for p in members)
    limit = crossing_limit([b - a for _, _, a, b in members])
    erased = [p for p in members if p[3] - p[2] <= limit]
    if horizontal:
        line.pixels = [y * w + t for t, _, a, b in erased for y in range(a, b)]
        line.x0, line.x1, line.y0, line.y1 = first, last + 1, lo, hi
    else:
        line.pixels = [t * w + x for t, _, a, b in erased for x in range(a, b)]
        line.x0, line.x1, line.y0, line.y1 = lo, hi, first, last + 1
    return line


def frame_lines(mask_rows: Sequence[bytes], w: int, h: int, found: Sequence[Line]) -> list[Line]:
    """The thick sides of a frame round the image (module docstring), those not among `found`."""
    side = min(w, h)
    near = FRAME_NEAR * side
    thick = max(THIN_MIN, math.floor(side * FRAME_THIN_FRACTION + 0.5))
    # Runs farther from the edge than a side can lie, tilted as far as the search goes, are left out.
    reach = near + SLOPE_MAX * max(w, h) / 2 + BAND
    border = [ln for ln in find_lines(mask_rows, w, h, thick, reach)
              if ln.spans and (ln.offset <= near or ln.offset >= (h if ln.horizontal else w) - near)]
    if len(border) < FRAME_SIDES:
        return []
    return [ln for ln in border if not any(same_line(ln, other) for other in found)]


def box_lines(mask_rows: Sequence[bytes], w: int, h: int, found: Sequence[Line]) -> list[Line]:
    """The two short sides of a box drawn round the digit, when two sides of it were found (module
    docstring): the pair faces each other (_facing), and at each of its two ends the runs between them up
    to twice the thin limit (a marker's box is thicker one way than the other in a blurred photo) make a
    line at least BOX_SIDE of the pair's distance long. The box must hold ink (a digit); an empty
    rectangle is a shape, or a 0 written square, and stays."""
    thick = 2 * thin_limit(w, h)
    out: list[Line] = []
    for horizontal in (True, False):
        # The missing sides run this way; the two found run across it.
        found_sides = sorted((ln for ln in found if ln.horizontal != horizontal and not ln.spans), key=_across)
        pairs = [(a, b) for i, a in enumerate(found_sides) for b in found_sides[i + 1:] if _facing(a, b)]
        if not pairs:
            continue
        lanes, n = _lanes(mask_rows, w, h, horizontal)
        points = _points(row_runs(lanes), thick)
        # The widest box first, and a line is the side of one box: a 1 inside a box faces its sides too.
        pairs.sort(key=lambda pair: _across(pair[0])[0] - _across(pair[1])[1])
        used: list[Line] = []
        for a, b in pairs:
            if any(ln is a or ln is b for ln in used):
                continue
            lo, hi = _across(a)[0], _across(b)[1] - 1
            sides = []
            for one, other in ((a.start, b.start), (a.end, b.end)):
                reach = abs(one - other) / 2 + BAND + 2
                near = [p for p in points if lo <= p[0] <= hi and abs(p[1] / 2 - (one + other) / 2) <= reach]
                got = _search(near, n, lanes, BOX_SIDE * (hi - lo + 1))
                if got:
                    sides.append(_line(horizontal, got[0], n, w))
            if len(sides) == 2 and _holds_ink(mask_rows, a, b, sides):
                used += [a, b]
                for side in sides:
                    _take_corners(side, (a, b), mask_rows, w)
                out += [ln for ln in sides if not any(same_line(ln, other) for other in list(found) + out)]
    return out


def lines_between(mask_rows: Sequence[bytes], w: int, h: int, top: Line, bottom: Line) -> list[Line]:
    """Upright lines between two horizontal lines, within the columns both cover: the inner sides of a row of
    boxes (walls.py). Made of runs up to twice the thin limit, as box_lines allows (two boxes' shared side is
    twice as thick as one, and blurred in a photo), lying between the two lines where they are (a photo
    askew tilts them), and at least BOX_SIDE of the distance between them long; a stroke touching a side
    breaks no line (COVERAGE counts its ink)."""
    left, right = max(top.x0, bottom.x0) - BAND, min(top.x1, bottom.x1) + BAND
    middle = (left + right) / 2
    distance = bottom.across_at(middle, w) - bottom.thickness / 2 - top.across_at(middle, w) - top.thickness / 2
    if distance < LINE_MIN_PIXELS:
        return []

    def between(y: float, x: float) -> bool:
        return (left <= x <= right and top.across_at(x, w) + top.thickness / 2 < y
                < bottom.across_at(x, w) - bottom.thickness / 2)
    return _uprights(mask_rows, w, h, between, BOX_SIDE * distance)


def lines_in(mask_rows: Sequence[bytes], w: int, h: int, window: tuple[float, float, float, float],
             min_len: float) -> list[Line]:
    """Upright lines of runs up to twice the thin limit whose centres lie in the window (x0, x1, y0, y1,
    bounds included), at least min_len long: a wall of a form where the walls beside it say one stands
    (walls.py), even where a digit touches it."""
    x0, x1, y0, y1 = window
    return _uprights(mask_rows, w, h, lambda y, x: y0 <= y <= y1 and x0 <= x <= x1, min_len)


def _uprights(mask_rows: Sequence[bytes], w: int, h: int, where: Callable[[float, float], bool],
              min_len: float) -> list[Line]:
    """Upright lines at least min_len long, of runs up to twice the thin limit whose centre (y, x) is
    `where` a form's wall may stand."""
    points = [p for p in _points(row_runs(mask_rows), 2 * thin_limit(w, h)) if where(p[0], p[1] / 2)]
    return [_line(False, found, h, w) for found in _search(points, h, mask_rows, min_len)]


def _take_corners(side: Line, ends: Sequence[Line], mask_rows: Sequence[bytes], w: int) -> None:
    """Add to a box side the ink where it meets the two sides at its ends: there each side's runs are the
    other's length, so neither erases the corner, and it would stay as a fleck beside the digit."""
    for end in ends:
        cols, rows = (_across(end), _across(side)) if side.horizontal else (_across(side), _across(end))
        side.pixels += [y * w + x for y in range(rows[0], rows[1]) for x in range(cols[0], cols[1])
                        if mask_rows[y][x]]


def _across(line: Line) -> tuple[int, int]:
    """The pixels a line covers across itself: its columns when upright, its rows when flat."""
    return (line.y0, line.y1) if line.horizontal else (line.x0, line.x1)


def _facing(a: Line, b: Line) -> bool:
    """Two parallel lines (a before b across) that may be opposite sides of a box: ends within BOX_ALIGN
    of the longer's length of each other (a stroke touching a side shortens what is found of it),
    BOX_APART to BOX_FAR lengths apart."""
    shorter = min(a.length, b.length)
    tol = BOX_ALIGN * max(a.length, b.length)
    gap = _across(b)[0] - _across(a)[1]
    return (abs(a.start - b.start) <= tol and abs(a.end - b.end) <= tol
            and BOX_APART * shorter <= gap <= BOX_FAR * max(a.length, b.length))


def _holds_ink(mask_rows: Sequence[bytes], a: Line, b: Line, sides: Sequence[Line]) -> bool:
    """Whether the box that a, b and the two sides make holds at least LINE_MIN_PIXELS of ink clear of
    its sides."""
    first, second = sorted(sides, key=_across)
    lo, hi = _across(a)[1] + 1, _across(b)[0] - 1
    top, bottom = _across(first)[1] + 1, _across(second)[0] - 1
    if a.horizontal:  # a and b are flat: the box's columns come from the upright sides
        lo, hi, top, bottom = top, bottom, lo, hi
    count = 0
    for row in mask_rows[max(0, top):max(0, bottom)]:
        count += sum(1 for v in row[max(0, lo):max(0, hi)] if v)
    return count >= LINE_MIN_PIXELS
