"""Ink that is not a digit: drawn letters, shapes, scribbles, smudges; and the small marks around a digit on
real paper (specks, stray pen strokes). Shapes are drawn as wobbly pen paths, as a hand draws them.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from training.synth.glyphs import crop
from training.synth.strokes import polyline_mask, smooth_path

Strokes = list[list[tuple[float, float]]]

# Block letters as pen strokes in a unit box (x right, y down). Only letters in split.LETTERS.
DRAWN_LETTERS: dict[str, Strokes] = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.62), (0.78, 0.62)]],
    "E": [[(0.9, 0), (0, 0), (0, 1), (0.9, 1)], [(0, 0.5), (0.65, 0.5)]],
    "F": [[(0.9, 0), (0, 0), (0, 1)], [(0, 0.48), (0.65, 0.48)]],
    "H": [[(0, 0), (0, 1)], [(0.8, 0), (0.8, 1)], [(0, 0.5), (0.8, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(0.8, 0), (0, 0.6)], [(0.28, 0.42), (0.85, 1)]],
    "M": [[(0, 1), (0.08, 0), (0.5, 0.65), (0.92, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (0.8, 1), (0.8, 0)]],
    "R": [[(0, 1), (0, 0), (0.55, 0), (0.75, 0.12), (0.75, 0.36), (0.55, 0.5), (0, 0.5)], [(0.3, 0.5), (0.85, 1)]],
    "V": [[(0, 0), (0.45, 1), (0.9, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (0.85, 1)], [(0.85, 0), (0, 1)]],
    "h": [[(0, 0), (0, 1)], [(0, 0.7), (0.25, 0.5), (0.55, 0.48), (0.7, 0.62), (0.7, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.65, 0.4), (0, 0.75)], [(0.2, 0.65), (0.7, 1)]],
    "m": [[(0, 1), (0, 0.3)], [(0, 0.5), (0.2, 0.3), (0.42, 0.35), (0.48, 1)],
          [(0.48, 0.5), (0.7, 0.3), (0.92, 0.35), (1, 1)]],
    "n": [[(0, 1), (0, 0.2)], [(0, 0.45), (0.3, 0.2), (0.65, 0.25), (0.75, 0.5), (0.75, 1)]],
    "v": [[(0, 0.2), (0.4, 1), (0.8, 0.2)]],
    "w": [[(0, 0.2), (0.22, 1), (0.45, 0.45), (0.68, 1), (0.9, 0.2)]],
    "x": [[(0, 0.2), (0.8, 1)], [(0.8, 0.2), (0, 1)]],
}

SHAPES = ("triangle", "square", "star", "arrow", "heart", "tick", "cross", "hash", "spiral", "zigzag")


def _shape_strokes(name: str, rng: np.random.Generator) -> Strokes:
    if name == "triangle":
        return [[(0.5, 0), (1, 0.9), (0, 0.9), (0.5, 0)]]
    if name == "square":
        return [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]]
    if name == "star":
        pts = [(0.5 + 0.5 * math.sin(k * 4 * math.pi / 5), 0.5 - 0.5 * math.cos(k * 4 * math.pi / 5)) for k in range(6)]
        return [pts]
    if name == "arrow":
        return [[(0, 0.5), (1, 0.5)], [(0.68, 0.2), (1, 0.5), (0.68, 0.8)]]
    if name == "heart":
        t = np.linspace(0, 2 * np.pi, 40)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        return [list(zip(((x + 17) / 34).tolist(), ((y + 17) / 30).tolist()))]
    if name == "tick":
        return [[(0, 0.55), (0.35, 1), (1, 0)]]
    if name == "cross":
        return [[(0, 0), (1, 1)], [(1, 0), (0, 1)]]
    if name == "hash":
        return [[(0.3, 0), (0.2, 1)], [(0.75, 0), (0.65, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.68), (1, 0.68)]]
    if name == "spiral":
        t = np.linspace(0, rng.uniform(3, 5) * np.pi, 60)
        r = t / t[-1]
        return [list(zip((0.5 + 0.5 * r * np.cos(t)).tolist(), (0.5 + 0.5 * r * np.sin(t)).tolist()))]
    if name == "zigzag":
        n = int(rng.integers(3, 7))
        return [[(k / n, float(k % 2)) for k in range(n + 1)]]
    raise ValueError(f"unknown shape {name!r}")


def _wobble(strokes: Strokes, rng: np.random.Generator, amount: float) -> Strokes:
    """Subdivide and jitter the points a little: a hand, not a ruler."""
    out = []
    for stroke in strokes:
        pts = np.asarray(stroke, float) + rng.normal(0, amount, (len(stroke), 2))
        dense = [pts[0]]
        for a, b in zip(pts[:-1], pts[1:]):
            for t in np.linspace(0, 1, 5)[1:]:
                dense.append(a + (b - a) * t)
        dense = np.asarray(dense)
        dense[1:-1] += rng.normal(0, amount / 3, (len(dense) - 2, 2))
        out.append([tuple(p) for p in dense])
    return out


def draw_unit_strokes(strokes: Strokes, rng: np.random.Generator, height: int, aspect: float, pen_rel: float,
                      slant: float = 0.0) -> np.ndarray:
    """Strokes in a unit box drawn as ink `height` px high, width aspect * height, with slant and wobble."""
    strokes = _wobble(strokes, rng, 0.025)
    w = max(4, int(height * aspect))
    pen = max(1.0, pen_rel * height)
    m = int(pen + abs(slant) * height) + 3
    pix = [[(m + (x - slant * (y - 0.5)) * w, m + y * height) for x, y in s] for s in strokes]
    return crop(polyline_mask(height + 2 * m, w + 2 * m, pix, pen))


def drawn_letter(letter: str, rng: np.random.Generator, height: int, pen_rel: float, slant: float) -> np.ndarray:
    return draw_unit_strokes(DRAWN_LETTERS[letter], rng, height, rng.uniform(0.6, 0.9), pen_rel, slant)


def shape(name: str, rng: np.random.Generator, height: int, pen_rel: float) -> np.ndarray:
    aspect = 1.0 if name in ("square", "star", "heart", "spiral") else rng.uniform(0.7, 1.4)
    return draw_unit_strokes(_shape_strokes(name, rng), rng, height, aspect * rng.uniform(0.85, 1.15), pen_rel)


def scribble(rng: np.random.Generator, height: int, pen_rel: float) -> np.ndarray:
    """A tangle of smooth loops, scaled into a box about `height` high."""
    path = np.asarray(smooth_path(rng, int(rng.integers(8, 30)), (0.0, 0.0), 1.0, rng.uniform(0.5, 1.4)))
    path -= path.min(axis=0)
    span = path.max(axis=0).max() or 1.0
    unit = (path / span).tolist()
    return draw_unit_strokes([[tuple(p) for p in unit]], rng, height, rng.uniform(0.7, 1.6), pen_rel)


def blob(rng: np.random.Generator, height: int) -> np.ndarray:
    """A smudge: an irregular filled patch with soft, uneven density (a thumb, a wiped pencil, a stain)."""
    w = int(height * rng.uniform(0.6, 1.6))
    noise = ndimage.gaussian_filter(rng.normal(0, 1, (height, w)), max(2.0, height / 8))
    y, x = np.mgrid[0:height, 0:w]
    r = np.hypot((x - w / 2) / (w / 2), (y - height / 2) / (height / 2))
    field = (1.0 - r) + noise / (noise.std() + 1e-9) * 0.35
    density = np.clip(field * rng.uniform(1.5, 4.0), 0.0, 1.0) * rng.uniform(0.35, 0.9)
    return crop(density.astype(np.float32))


def specks(height: int, width: int, rng: np.random.Generator, count: int) -> np.ndarray:
    """Dust, dots and pen taps: small round marks anywhere."""
    img = Image.new("L", (width * 4, height * 4), 0)
    draw = ImageDraw.Draw(img)
    for _ in range(count):
        r = rng.uniform(0.4, 2.2) * 4 * (2.0 if rng.random() < 0.15 else 1.0)
        x, y = rng.uniform(0, width * 4), rng.uniform(0, height * 4)
        draw.ellipse((x - r, y - r * rng.uniform(0.6, 1.4), x + r, y + r), fill=int(rng.uniform(120, 255)))
    return np.asarray(img.resize((width, height), Image.Resampling.BOX), np.float32) / 255.0


def stray_stroke(height: int, width: int, rng: np.random.Generator, pen: float) -> np.ndarray:
    """A pen mark that does not belong to the digit: a tick, a slip or a line crossing part of the image."""
    start = (rng.uniform(0, width), rng.uniform(0, height))
    length = rng.uniform(0.25, 0.8) * max(height, width)
    path = smooth_path(rng, int(rng.integers(2, 6)), start, length / 4, rng.uniform(0.05, 0.5))
    return polyline_mask(height, width, [path], pen)
