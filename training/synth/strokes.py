"""Anti-aliased ink as alpha masks (float32 [H, W] in [0, 1], 1 = full ink).

Pen strokes are drawn by Pillow on a SUPER-times larger canvas with round joints and caps, then averaged
down: smooth edges like a pen photographed, at C speed.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from PIL import Image, ImageDraw

SUPER = 4

Point = tuple[float, float]


def polyline_mask(height: int, width: int, strokes: Iterable[Sequence[Point]], pen: float) -> np.ndarray:
    """Alpha mask of polylines (points in pixel coordinates) drawn with a round pen `pen` pixels wide."""
    s = SUPER
    canvas = Image.new("L", (width * s, height * s), 0)
    draw = ImageDraw.Draw(canvas)
    r = max(0.5, pen * s / 2)
    for stroke in strokes:
        pts = [(x * s, y * s) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, int(round(pen * s))), joint="curve")
        for x, y in (pts[0], pts[-1]) if len(pts) > 1 else pts:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = canvas.resize((width, height), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


def line_mask(height: int, width: int, p0: Point, p1: Point, thickness: float) -> np.ndarray:
    """A printed straight line (flat ends), exact area coverage from the distance to the segment."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy or 1e-9
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / length2, 0.0, 1.0)
    dist = np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))
    return np.clip(thickness / 2 + 0.5 - dist, 0.0, 1.0).astype(np.float32)


def smooth_path(rng: np.random.Generator, points: int, start: Point, step: float, turn: float,
                steps: int = 4) -> list[Point]:
    """A wandering pen path: heading changes smoothly (a random walk in curvature), like a hand moving."""
    x, y = start
    heading = rng.uniform(0, 2 * np.pi)
    curvature = 0.0
    out = [(x, y)]
    for _ in range(points):
        curvature = 0.7 * curvature + rng.normal(0, turn)
        for _ in range(steps):
            heading += curvature / steps
            x += np.cos(heading) * step / steps
            y += np.sin(heading) * step / steps
            out.append((float(x), float(y)))
    return out


def paste_max(dst: np.ndarray, src: np.ndarray, left: int, top: int) -> None:
    """dst = max(dst, src) where src lands at (left, top); parts outside dst are cut off (a crop)."""
    h, w = src.shape
    H, W = dst.shape
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(W, left + w), min(H, top + h)
    if x1 <= x0 or y1 <= y0:
        return
    region = src[y0 - top:y1 - top, x0 - left:x1 - left]
    np.maximum(dst[y0:y1, x0:x1], region, out=dst[y0:y1, x0:x1])
