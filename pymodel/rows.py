"""The picture of a whole row of digits that the row reader (a CTC model, training/row_model.py) reads.

The row is segment.build_row's: the ink groups of the number, lines removed and specks dropped, exactly
what the digit reader cuts into digits. Its ink values (relative to the row's own stroke level, as a digit's
are in normalize.digit_values) are cropped to the row's box, scaled so the box is INNER px high (area
averaging, normalize._resize), divided by their peak, and set in an image HEIGHT px high with PAD px of
blank on each side. The model reads it in columns STRIDE px wide; the width is a multiple of STRIDE.

    row_image(page, row) -> Row | None
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymodel.locate import Digit
from pymodel.normalize import _resize, digit_values
from pymodel.raster import round_half_up

HEIGHT = 32
INNER = 26
TOP = (HEIGHT - INNER) // 2
PAD = 4
STRIDE = 4
MAX_COLUMNS = 120  # a row wider than this many columns (about 15 digits) is not read whole

PARAMETERS = {"HEIGHT": HEIGHT, "INNER": INNER, "PAD": PAD, "STRIDE": STRIDE, "MAX_COLUMNS": MAX_COLUMNS}


@dataclass
class Row:
    pixels: list[float]  # HEIGHT x width, row-major, 0 paper .. 1 ink
    width: int
    x0: int  # the row box's left side in the ink map's pixels
    scale: float  # row-image pixels per ink-map pixel

    @property
    def columns(self) -> int:
        return self.width // STRIDE

    def column(self, x: float) -> float:
        """An ink-map x -> the model's column (fractional)."""
        return (PAD + (x - self.x0) * self.scale) / STRIDE


def row_image(page, row: Sequence[Digit]) -> Row | None:
    """The row's picture (module docstring), or None when the row has no ink or is too wide to read whole."""
    if not row:
        return None
    w = page.ink.width
    runs = [r for d in row for r in d.runs]
    extra = [i for d in row for i in d.extra]
    x0, y0 = min(d.x0 for d in row), min(d.y0 for d in row)
    x1, y1 = max(d.x1 for d in row), max(d.y1 for d in row)
    bw, bh = x1 - x0, y1 - y0
    scale = INNER / bh
    inner_w = max(1, round_half_up(bw * scale))
    width = -(-(inner_w + 2 * PAD) // STRIDE) * STRIDE
    if width // STRIDE > MAX_COLUMNS:
        return None
    values = digit_values(page.ink.d, w, runs, extra, page.ink.weak, [x0, y0, bw, bh])
    small = _resize(values, bw, bh, inner_w, INNER)
    peak = max(small)
    if peak <= 0.0:
        return None
    pixels = [0.0] * (HEIGHT * width)
    for y in range(INNER):
        start = (TOP + y) * width + PAD
        pixels[start:start + inner_w] = [v / peak for v in small[y * inner_w:(y + 1) * inner_w]]
    return Row(pixels, width, x0, scale)
