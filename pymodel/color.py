"""RGBA pixels to the grey input of `pymodel.preprocess`, identical to `rgbaToGray` in web/js/preprocess.js.

The browser reads a canvas or a photo as RGBA bytes. Both engines (TF.js in JavaScript, and Python in
Pyodide) must turn the same bytes into the same grey values, so the formula and the order of operations
are the same on both sides:

    a = A / 255
    c' = c * a + 255 * (1 - a)          for c in R, G, B   (transparency flattened onto white paper)
    grey = (0.299 R' + 0.587 G' + 0.114 B') / 255          (ITU-R BT.601 luma, 0 black .. 1 white)

Pure Python (no NumPy) so it runs in Pyodide without the NumPy wheel.
"""
from __future__ import annotations

from typing import Sequence

from .preprocess import ImageError


def rgba_to_gray(rgba: bytes | bytearray | memoryview | Sequence[int], width: int, height: int) -> list[float]:
    """Flat RGBA (4 values per pixel, 0..255, row-major) -> flat grey floats in [0, 1]."""
    if width < 1 or height < 1:
        raise ImageError(f"image size {width}x{height} is empty: it needs at least one pixel")
    if len(rgba) != 4 * width * height:
        raise ImageError(
            f"got {len(rgba)} RGBA values for a {width}x{height} image (expected {4 * width * height})"
        )
    out = []
    for i in range(0, 4 * width * height, 4):
        a = rgba[i + 3] / 255
        r = rgba[i] * a + 255 * (1 - a)
        g = rgba[i + 1] * a + 255 * (1 - a)
        b = rgba[i + 2] * a + 255 * (1 - a)
        out.append((0.299 * r + 0.587 * g + 0.114 * b) / 255)
    return out
