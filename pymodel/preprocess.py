"""Find the digit in any grey image (a canvas drawing, a photo or scan of paper, a plot screenshot) and turn
it into the 28x28 picture MNIST digits look like.

One algorithm for every source, in pure Python so it runs unchanged in CPython and in Pyodide without
NumPy; `web/js/preprocess.js` is a line-by-line port (checked against shared golden fixtures). This
docstring is the specification; each step's details are in the module named next to it.

Input: `gray`, a flat row-major sequence of floats in [0, 1] (0 black, 1 white), `width` x `height`.
Transparency is flattened onto white and colour reduced to the grey that best separates ink from paper
before this point (pymodel.imageio.rgba_to_gray_array and its JavaScript twin).

0. Already the model's input: a SIZE x SIZE image with a flat black border (an MNIST digit), or a flat
   white one (MNIST inverted), is read as it is, the border's level taken as black (as_model_input).
   Finding, cropping and resampling a digit already centred in 28x28 can only lose detail: on MNIST test
   digits the steps below read 99.12% right where the model reads 99.49% (88.6% before step 1 enlarged
   small images and ink.py took a plain background as one level).
1. Reduce (raster.py): if the longer side exceeds MAX_SIDE, average k x k blocks, k = ceil(longer /
   MAX_SIDE). Keeps the pure-Python steps fast on photos; boxes are scaled back by k at the end. If it is
   below MIN_SIDE and its background is plain (ink.py step 0: a clean drawing or a dataset's image, no
   photo), repeat each pixel up = ceil(MIN_SIDE / longer) times both ways instead: the steps below count
   some things in pixels (a line is thin up to lines.THIN_MIN px, a cell is at least ink.CELL_MIN px),
   which a digit a few tens of pixels high does not fit (MNIST digits padded to 32x32 read 96.3%, cut to
   24x24 87.7%; enlarged, 99.7% and 99.0%). A small photo is not enlarged: its ruled lines, a pixel or two
   thick, would no longer be thin.
2. Filled region (region.py): when a big filled rectangle differs strongly from the border (the colour-
   mapped area of a plot, a dark canvas in a light window; a light one only in a screenshot or drawing,
   not in a photo's noise) and holds something, everything below happens inside it, on a paper of one
   level (its border median).
3. Ink map (ink.py): the paper level is estimated per cell and interpolated, so shadows and light
   gradients are paper; the polarity comes from the residuals' tails, the cells' spreads, then the
   border and the extremes. Every pixel gets an ink
   strength d (distance from its local paper towards the ink), and the image gets weak and strong
   thresholds from its contrast and noise. A contrast below MIN_CONTRAST is an empty image.
4. Lines (lines.py): long straight thin structures (ruled and margin lines, box borders, underlines,
   plot axes, canvas frames) are found in the weak-ink mask and again in the strong-ink mask (where a
   dark line beside a faint band is thin; a line found in both counts once), and erased, run by run,
   where they are thin; strokes crossing them are kept. When the ink left after erasing the lines that
   span the image (pieces no bigger than a crossing of two lines aside) has a contrast below RELINE
   times the image's (dark print, faint writing), the thresholds of step 3 are set from what is left
   and the lines are found again; nothing left is an empty image (a blank form).
5. Components (components.py): 8-connected components of what is left; a component without one strong
   pixel is dropped (hysteresis: faint strokes survive when attached to real ink, paper texture does not),
   and so is one at the image border that surrounds another (locate.surroundings: the desk round a sheet).
   The walls between the cells of a form (a row of boxes, a comb field: walls.py) are erased as lines, and
   the components found again. Never in a drawing on the pad.
6. Locate (locate.py): the digit is the main ink group nearest the centre, fragments cut by the border
   only when nothing better exists; specks are dropped, the parts of the digit (a 5's flag, broken
   strokes) are merged, and lines that are the digit's own strokes (a 1, the bar of a 7) are given back.
   If nothing is left but lines, or the digit chosen lies within a line that does not span the image
   (the crossings of a straight 1 with ruled lines), those lines are given back and the digit is chosen
   again (the straight 1 itself). Fewer than max(MIN_INK_PIXELS, MIN_INK_FRACTION * area)
   strong pixels in the digit is an empty image.
7. Normalize (normalize.py): ink values relative to the digit's own stroke level, crop, thicken too-thin
   strokes, scale the longer side to 20 px, centre by centre of mass in 28x28, as MNIST was made.

The result carries the box read, [x, y, width, height] in pixels of the image given to preprocess.
Rounding is floor(x + 0.5) everywhere, because JavaScript's Math.round does that and Python's round()
does not; sums that decide values are plain left-to-right additions (never Python's sum()).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pymodel import ink as ink_module
from pymodel import lines as lines_module
from pymodel import locate as locate_module
from pymodel import normalize as normalize_module
from pymodel import region as region_module
from pymodel import segment as segment_module
from pymodel import walls as walls_module
from pymodel.components import Component, label, measure, row_runs
from pymodel.ink import (
    MIN_CONTRAST,
    MIN_INK_FRACTION,
    MIN_INK_PIXELS,
    STRONG_OF_CONTRAST,
    WEAK_OF_CONTRAST,
    InkMap,
    cell_grid,
    cell_grid_size,
    ink_map,
    noise_level,
    plain_level,
    top_ink,
)
from pymodel.lines import Line, box_lines, find_lines, frame_lines, same_line, thin_limit
from pymodel.locate import Digit, choose, give_back, inside, surroundings
from pymodel.normalize import FIT, SIZE, digit_values, to_mnist
from pymodel.raster import crop, enlarge, reduce_blocks, scale_box, shrink_box
from pymodel.region import filled_region
from pymodel.walls import find_walls

MAX_SIDE = 256
MIN_SIDE = 56
RELINE = 0.7
# Step 0: a border pixel within BORDER_FLAT of black (or white) is background, and an image is in the model's
# format when at least BORDER_SHARE of its border pixels are (1.1% of MNIST test digits touch the border).
BORDER_FLAT = 0.1
BORDER_SHARE = 0.9

PARAMETERS = {
    "max_side": MAX_SIDE,
    "min_side": MIN_SIDE,
    "reline": RELINE,
    "border_flat": BORDER_FLAT,
    "border_share": BORDER_SHARE,
    **normalize_module.PARAMETERS,
    **ink_module.PARAMETERS,
    **region_module.PARAMETERS,
    **lines_module.PARAMETERS,
    **locate_module.PARAMETERS,
    **segment_module.PARAMETERS,
    **walls_module.PARAMETERS,
}

__all__ = [
    "FIT", "MAX_SIDE", "MIN_CONTRAST", "MIN_SIDE", "PARAMETERS", "SIZE", "ImageError", "Preprocessed", "Page",
    "analyse", "as_model_input", "locate", "normalize", "preprocess", "reduce_blocks", "single",
]


class ImageError(ValueError):
    """The pixel data does not describe an image (wrong length, size or values)."""


@dataclass
class Preprocessed:
    image28: list[float] | None  # 784 floats in [0, 1], light ink on black; None when empty
    empty: bool
    inverted: bool  # True when the source was dark ink on a light background
    box: list[int] | None = None  # [x, y, w, h] of the region read, in pixels of preprocess's input


@dataclass
class Page:
    """Steps 1-5: the ink of one image, ready for choosing digits (locate.py, segment.py)."""
    width: int  # the image given to preprocess
    height: int
    k: int  # block reduction factor of step 1
    x_off: int  # the region of step 2, in reduced pixels
    y_off: int
    ink: InkMap  # over the region: ink.width x ink.height
    lines: list[Line] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    # A drawing on the page's pad: cut out of nothing, so ink at its border is no fragment of a neighbour
    # (locate.choose). Photos and scans may be crops of a sheet.
    drawn: bool = False
    up: int = 1  # enlargement factor of step 1 (a small image), instead of k

    @property
    def empty(self) -> bool:
        return self.ink.empty

    def components_with(self, restored: Sequence[Line]) -> list[Component]:
        """Step 5 again, with some erased lines put back."""
        comps = _components(self.ink, [ln for ln in self.lines if all(ln is not r for r in restored)], restored)
        return surroundings([c for c in comps if c.peak > self.ink.strong], self.ink.width, self.ink.height,
                            self.drawn)

    def source_box(self, box: Sequence[int]) -> list[int]:
        """A box in the ink map's pixels -> pixels of the image given to preprocess."""
        x, y, w, h = box
        if self.up > 1:
            return shrink_box([x + self.x_off, y + self.y_off, w, h], self.up)
        return scale_box([x + self.x_off, y + self.y_off, w, h], self.k, self.width, self.height)

    def strong_pixels(self, digit: Digit) -> int:
        d, w, strong = self.ink.d, self.ink.width, self.ink.strong
        n = sum(1 for y, x0, x1 in digit.runs for v in d[y * w + x0:y * w + x1] if v > strong)
        return n + sum(1 for i in digit.extra if d[i] > strong)


def _lines(ink: InkMap) -> list[Line]:
    """Faint ruled lines show in the weak mask; a dark line beside a faint band (a canvas frame in a grey
    window) is thin only in the strong one. A line found in both counts once. Then the thick sides of a
    frame (lines.frame_lines) and the short sides of a box round the digit (lines.box_lines)."""
    w, h = ink.width, ink.height
    mask = ink.mask_rows()
    lines = find_lines(mask, w, h)
    lines += [ln for ln in find_lines(ink.mask_rows(ink.strong), w, h)
              if not any(same_line(ln, other) for other in lines)]
    lines += frame_lines(mask, w, h, lines)
    return lines + box_lines(mask, w, h, lines)


def _components(ink: InkMap, erase: Sequence[Line], keep: Sequence[Line] = ()) -> list[Component]:
    """Components of the ink with the lines erased. A line put back keeps every pixel, also those a line
    still erased took with it: a 1 written along a grid line found both lines."""
    mask = ink.mask_rows()
    rows = [bytearray(r) for r in mask]
    w = ink.width
    for line in erase:
        for i in line.pixels:
            rows[i // w][i % w] = 0
    for line in keep:
        for i in line.pixels:
            rows[i // w][i % w] = mask[i // w][i % w]
    comps = label(row_runs(rows))
    measure(comps, ink.d, w)
    return comps


def _check(gray: Sequence[float], width: int, height: int) -> list[float]:
    if width < 1 or height < 1:
        raise ImageError(f"image size {width}x{height} is empty: it needs at least one pixel")
    if len(gray) != width * height:
        raise ImageError(f"got {len(gray)} pixel values for a {width}x{height} image (expected {width * height})")
    img = list(map(float, gray))
    # min/max/sum run in C; the sum check catches NaN, which min and max can step over.
    total = sum(img)
    if not (0.0 <= min(img) and max(img) <= 1.0) or total != total:
        raise ImageError("pixel values must be numbers between 0 and 1")
    return img


def as_model_input(gray: Sequence[float], width: int, height: int) -> Preprocessed | None:
    """Step 0 of the module docstring: the image as the model's 28x28 when it already is one, else None."""
    if width != SIZE or height != SIZE:
        return None  # before _check: analyse checks (and copies) every other image once, not twice
    img = _check(gray, width, height)
    last = SIZE - 1
    border = img[:SIZE] + img[last * SIZE:] + [img[y * SIZE + x] for y in range(1, last) for x in (0, last)]
    need = BORDER_SHARE * len(border)
    if sum(1 for v in border if v <= BORDER_FLAT) >= need:
        inverted = False
    elif sum(1 for v in border if v >= 1.0 - BORDER_FLAT) >= need:
        inverted = True
        img = [1.0 - v for v in img]
        border = [1.0 - v for v in border]
    else:
        return None
    paper = sorted(border)[len(border) // 2]
    if max(img) - paper < MIN_CONTRAST:
        return Preprocessed(None, True, inverted)
    image28 = [min(1.0, max(0.0, (v - paper) / (1.0 - paper))) for v in img]
    if sum(1 for v in image28 if v > STRONG_OF_CONTRAST) < MIN_INK_PIXELS:
        return Preprocessed(None, True, inverted)
    xs = [i % SIZE for i, v in enumerate(image28) if v > WEAK_OF_CONTRAST]
    ys = [i // SIZE for i, v in enumerate(image28) if v > WEAK_OF_CONTRAST]
    box = [min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1]
    return Preprocessed(image28, False, inverted, box)


def analyse(gray: Sequence[float], width: int, height: int, drawn: bool = False) -> Page:
    """Steps 1-5 of the module docstring. drawn: a drawing on the pad (Page.drawn)."""
    img = _check(gray, width, height)
    w, h, k, up = width, height, 1, 1
    # 1. Reduce (or enlarge).
    longer = max(w, h)
    if longer > MAX_SIDE:
        k = -(-longer // MAX_SIDE)
        img, w, h = reduce_blocks(img, w, h, k)
    elif longer < MIN_SIDE and plain_level(img, w, h, noise_level(img, w, h)) is not None:
        up = -(-MIN_SIDE // longer)
        img, w, h = enlarge(img, w, h, up)
    # 2. Filled region.
    x_off = y_off = 0
    coarse = cell_grid(img, w, h, max(w, h))  # a filled area is big: cells across the longer side
    noise = noise_level(img, w, h)
    rect = filled_region(img, w, h, coarse, noise)
    if rect is not None:
        x0, y0, x1, y1 = rect
        img, w, h, x_off, y_off = crop(img, w, x0, y0, x1, y1), x1 - x0, y1 - y0, x0, y0
    grid = coarse if rect is None and coarse.size == cell_grid_size(w, h) else cell_grid(img, w, h)
    # 3. Ink map.
    ink = ink_map(img, w, h, grid, flat=rect is not None, noise=None if rect is not None else noise)
    page = Page(width, height, k, x_off, y_off, ink, drawn=drawn, up=up)
    if ink.empty:
        return page
    # 4. Lines, 5. components.
    page.lines = _lines(ink)
    comps = _components(ink, page.lines)
    # Dark print (a form's boxes, ruled lines) may have set the thresholds for far fainter writing.
    # Lines that may be the digit's own stroke stay, and so do the crossings of lines (tiny pieces).
    spanning = [ln for ln in page.lines if ln.spans]
    if spanning:
        rest = comps if len(spanning) == len(page.lines) else _components(ink, spanning)
        crossing = (thin_limit(w, h) + 1) ** 2
        d = ink.d
        values = [v for c in rest if c.area > crossing for y, x0, x1 in c.runs for v in d[y * w + x0:y * w + x1]]
        left = top_ink(values, w * h)
        if left < RELINE * ink.contrast:
            ink.set_contrast(left)
            if ink.empty:
                return page
            page.lines = _lines(ink)
            comps = _components(ink, page.lines)
    page.components = surroundings([c for c in comps if c.peak > ink.strong], w, h, drawn)
    # The walls of a form's cells (walls.py) are erased as lines are, and the components found again.
    walls = [] if drawn else find_walls(ink.mask_rows(), page.lines, page.components, w, h, ink.d)
    if walls:
        page.lines += [ln for ln in walls if all(ln is not other for other in page.lines)]
        page.components = page.components_with([])
    return page


def locate(page: Page) -> Digit | None:
    """Step 6 of the module docstring: the digit of a single-digit image, or None."""
    w, h = page.ink.width, page.ink.height
    loose = [ln for ln in page.lines if not ln.spans and not ln.wall]
    digit = choose(page.components, w, h, page.drawn)
    if digit is not None and not any(inside(digit, ln) for ln in loose):
        give_back(digit, page.lines, w, h, page.drawn)
        return digit
    # Nothing but lines, or only the crossings of a line with others: the line is the digit (a 1).
    return choose(page.components_with(loose), w, h, page.drawn) if loose else digit


def normalize(page: Page, digit: Digit) -> list[float] | None:
    """Step 7 of the module docstring for one chosen digit."""
    box = digit.box
    values = digit_values(page.ink.d, page.ink.width, digit.runs, digit.extra, page.ink.weak, box)
    return to_mnist(values, box[2], box[3])


def preprocess(gray: Sequence[float], width: int, height: int) -> Preprocessed:
    """Apply the documented algorithm; see the module docstring."""
    ready = as_model_input(gray, width, height)
    return ready if ready is not None else single(analyse(gray, width, height))


def single(page: Page) -> Preprocessed:
    """Steps 6-7 on an analysed page: the one digit it holds."""
    if page.empty:
        return Preprocessed(None, True, page.ink.inverted)
    digit = locate(page)
    area = page.ink.width * page.ink.height
    if digit is None or page.strong_pixels(digit) < max(MIN_INK_PIXELS, MIN_INK_FRACTION * area):
        return Preprocessed(None, True, page.ink.inverted)
    image28 = normalize(page, digit)
    if image28 is None:
        return Preprocessed(None, True, page.ink.inverted)
    return Preprocessed(image28, False, page.ink.inverted, page.source_box(digit.box))
