"""Timing of the pure-Python preprocessing and of whole recognition on this Python (`python -m pymodel bench`).

The inputs are drawn deterministically with Pillow: a 252x252 pad drawing, a 1000x1000 photo of ruled
paper with a light gradient and noise (given to preprocess whole, and after the block reduction the
command line and the page do first), and a six-digit number written across a 720x240 pad, its digits apart
and touching (the row reader referees the reading of the second: segment.py's step 6).
"""
from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

# Pen strokes of each digit in a unit box (x right, y down), enough to time the pipeline realistically.
STROKES = {
    0: [[(0.5, 0.0), (0.1, 0.2), (0.05, 0.6), (0.3, 1.0), (0.75, 0.9), (0.95, 0.45), (0.8, 0.05), (0.5, 0.0)]],
    1: [[(0.3, 0.2), (0.6, 0.0), (0.6, 1.0)]],
    2: [[(0.1, 0.25), (0.4, 0.0), (0.85, 0.15), (0.8, 0.45), (0.1, 1.0), (0.95, 1.0)]],
    3: [[(0.1, 0.1), (0.8, 0.05), (0.4, 0.45), (0.9, 0.7), (0.6, 1.0), (0.1, 0.9)]],
    4: [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    5: [[(0.9, 0.0), (0.2, 0.0), (0.15, 0.45), (0.7, 0.4), (0.9, 0.7), (0.6, 1.0), (0.1, 0.9)]],
    6: [[(0.8, 0.0), (0.3, 0.3), (0.1, 0.75), (0.4, 1.0), (0.85, 0.8), (0.6, 0.5), (0.15, 0.65)]],
    7: [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
    8: [[(0.5, 0.45), (0.15, 0.2), (0.5, 0.0), (0.85, 0.2), (0.5, 0.45), (0.1, 0.75), (0.5, 1.0), (0.9, 0.75),
         (0.5, 0.45)]],
    9: [[(0.85, 0.3), (0.5, 0.5), (0.15, 0.3), (0.5, 0.0), (0.85, 0.25), (0.7, 1.0)]],
}


def _draw(size: tuple[int, int], digits: list[tuple[int, tuple[float, float, float, float]]], pen: int,
          ink: int, paper: int):
    from PIL import Image, ImageDraw

    img = Image.new("L", size, paper)
    d = ImageDraw.Draw(img)
    for digit, (x, y, w, h) in digits:
        for stroke in STROKES[digit]:
            d.line([(x + px * w, y + py * h) for px, py in stroke], fill=ink, width=pen, joint="curve")
    return img


def drawing() -> tuple[list[float], int, int]:
    """A 7 on the 252x252 pad (dark ink on white, the pad's stroke width)."""
    img = _draw((252, 252), [(7, (60, 40, 130, 170))], 16, 17, 255)
    return [v / 255 for v in img.tobytes()], 252, 252


def photo() -> tuple[list[float], int, int]:
    """A 4 in blue-grey pen on ruled paper, 1000x1000, with a light gradient, a margin line and noise."""
    from PIL import ImageDraw

    img = _draw((1000, 1000), [(4, (330, 250, 360, 480))], 12, 70, 235)
    d = ImageDraw.Draw(img)
    for y in range(90, 1000, 110):
        d.line([(0, y), (1000, y + 12)], fill=180, width=3)
    d.line([(140, 0), (143, 1000)], fill=170, width=3)
    rng = random.Random(1)
    gray = [v / 255 for v in img.tobytes()]
    return [min(1.0, max(0.0, v * (1.0 - 0.25 * (i % 1000) / 1000) + rng.gauss(0, 0.02)))
            for i, v in enumerate(gray)], 1000, 1000


def number() -> tuple[list[float], int, int]:
    """202607 written across a landscape pad, 720x240."""
    digits = [(d, (40 + 110 * k, 50, 80, 140)) for k, d in enumerate((2, 0, 2, 6, 0, 7))]
    img = _draw((720, 240), digits, 14, 17, 255)
    return [v / 255 for v in img.tobytes()], 720, 240


def touching_number() -> tuple[list[float], int, int]:
    """The same 202607 written with its digits running into each other: the digit reader is in doubt about
    its first two digits, and the row reader is asked (segment.REFEREE_SURE)."""
    digits = [(d, (40 + 74 * k, 50, 80, 140)) for k, d in enumerate((2, 0, 2, 6, 0, 7))]
    img = _draw((720, 240), digits, 14, 17, 255)
    return [v / 255 for v in img.tobytes()], 720, 240


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def timings(models: dict, repeats: int = 5) -> list[tuple[str, float, float]]:
    """(what, median ms, p95 ms) for preprocessing and whole recognition; models: backend -> Model."""
    from pymodel.preprocess import preprocess, reduce_blocks

    rows = []
    g, w, h = drawing()
    rows.append(("preprocess, 252x252 drawing", *_time(lambda: preprocess(g, w, h), repeats)))
    p, pw, ph = photo()
    rows.append(("preprocess, 1000x1000 photo given whole", *_time(lambda: preprocess(p, pw, ph), repeats)))
    small, sw, sh = reduce_blocks(p, pw, ph, 4)  # what the command line and the page hand over
    rows.append(("preprocess, 1000x1000 photo reduced to 250x250 first", *_time(lambda: preprocess(small, sw, sh),
                                                                                 repeats)))
    n, nw, nh = number()
    t, tw, th = touching_number()
    for backend, model in models.items():
        rows.append((f"recognize_gray, 1000x1000 photo reduced, {backend} kernels",
                     *_time(lambda m=model: m.recognize_gray(small, sw, sh), repeats)))
        rows.append((f"read, six-digit number 720x240, {backend} kernels",
                     *_time(lambda m=model: m.read(n, nw, nh), repeats)))
        rows.append((f"read, six-digit number with touching digits (refereed), {backend} kernels",
                     *_time(lambda m=model: m.read(t, tw, th), repeats)))
    return rows
