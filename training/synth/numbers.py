"""Whole numbers: 2 to 6 digits by one writer in a row, with realistic spacing, a shared slant with jitter,
baseline drift, size variation and, in "touching" numbers, neighbours that touch or slightly overlap.
Rendered as a drawing on a wide pad or as a photo on paper; each digit's box is kept as ground truth.

    render_number(split, index, seed) -> Scene   (kind "number"; scene.digits = [{digit, box, touching}])

knockout > 0 draws the number as the page's pad hands it to the reader (web/js/stroke-groups.js): each digit
clears the ink of the digits before it within `knockout` pen widths of its own ink. The random streams are
the same, so the scene is the one drawn without it, digit for digit.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from training.synth import glyphs
from training.synth.capture import to_output
from training.synth.scene import Hand, Scene, _clip_box, drawing, pen_share, photo, rng_for
from training.synth.strokes import paste_max


def _touch(a: np.ndarray, ax: int, ay: int, b: np.ndarray, bx: int, by: int) -> bool:
    """Do two placed masks touch (their ink, grown by one pixel, overlaps)?"""
    x0, y0 = min(ax, bx), min(ay, by)
    x1 = max(ax + a.shape[1], bx + b.shape[1])
    y1 = max(ay + a.shape[0], by + b.shape[0])
    ca = np.zeros((y1 - y0, x1 - x0), bool)
    cb = np.zeros_like(ca)
    ca[ay - y0:ay - y0 + a.shape[0], ax - x0:ax - x0 + a.shape[1]] = a > 0.5
    cb[by - y0:by - y0 + b.shape[0], bx - x0:bx - x0 + b.shape[1]] = b > 0.5
    return bool((ndimage.binary_dilation(ca) & cb).any())


def _clear_around(ink: np.ndarray, glyph: np.ndarray, left: int, top: int, reach: int) -> None:
    """Erase the ink within `reach` pixels of the glyph's ink, the glyph placed at (left, top)."""
    grown = np.pad(glyph > 0.5, reach)
    grown = ndimage.distance_transform_edt(~grown) <= reach
    h, w = ink.shape
    x0, y0 = left - reach, top - reach
    a, b = max(0, x0), max(0, y0)
    c, d = min(w, x0 + grown.shape[1]), min(h, y0 + grown.shape[0])
    if c > a and d > b:
        ink[b:d, a:c][grown[b - y0:d - y0, a - x0:c - x0]] = 0.0


def write_row(rng: np.random.Generator, hand: Hand, digits: list[int], height: int, pen_rel: float,
              touching: bool, knockout: float = 0.0) -> tuple[np.ndarray, list[list[float]], list[bool]]:
    """The ink of a row of digits, each digit's box in it, and whether each digit touches a neighbour (as
    written: knockout, the pad's gaps, changes the ink only)."""
    slant = float(rng.normal(0.0, 0.15))
    slope = float(rng.normal(0.0, 0.06))  # baseline drift, pixels of rise per pixel across
    wave_amp, wave_len = rng.uniform(0.0, 0.08) * height, rng.uniform(2.0, 6.0) * height
    placed = []
    x = 0.0
    pairs_touch = [touching and rng.random() < 0.65 for _ in range(len(digits) - 1)]
    if touching and not any(pairs_touch):
        pairs_touch[int(rng.integers(len(pairs_touch)))] = True
    for k, d in enumerate(digits):
        style = glyphs.Style(slant=slant + float(rng.normal(0, 0.05)), aspect=float(rng.uniform(0.8, 1.15)),
                             rotate=float(rng.normal(0, 3.0)), pen=pen_rel)
        g = glyphs.render(hand.digit(rng, d).shape, style, int(height * rng.uniform(0.85, 1.12)))
        gh, gw = g.shape
        if k:
            if pairs_touch[k - 1]:
                gap = -rng.uniform(0.0, 0.08) * height - pen_rel * height * 0.3
            else:
                gap = rng.uniform(0.12, 0.5) * height
            x += gap
        base = height * 1.3 + slope * x + wave_amp * np.sin(2 * np.pi * x / wave_len) + rng.normal(0, 0.03) * height
        placed.append((g, int(round(x)), int(round(base - gh))))
        x += gw
    min_x = min(px for _, px, _ in placed)
    min_y = min(py for _, _, py in placed)
    max_x = max(px + g.shape[1] for g, px, _ in placed)
    max_y = max(py + g.shape[0] for g, _, py in placed)
    ink = np.zeros((max_y - min_y, max_x - min_x), np.float32)
    boxes, touches = [], [False] * len(placed)
    reach = int(round(knockout * pen_rel * height))
    for k, (g, px, py) in enumerate(placed):
        if k and reach > 0:
            _clear_around(ink, g, px - min_x, py - min_y, reach)
        paste_max(ink, g, px - min_x, py - min_y)
        ys, xs = np.nonzero(g > 0.5)
        boxes.append([float(px - min_x + xs.min()), float(py - min_y + ys.min()),
                      float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)])
        if k and _touch(placed[k - 1][0], placed[k - 1][1], placed[k - 1][2], g, px, py):
            touches[k - 1] = touches[k] = True
    return ink, boxes, touches


def render_number(split: str, index: int, seed: int = 0, knockout: float = 0.0) -> Scene:
    rng = rng_for(split, "number", seed, index)
    n = int(rng.integers(2, 7))
    touching = rng.random() < 0.4
    as_photo = rng.random() < 0.55
    hand = Hand(rng, split)
    digits = [int(rng.integers(1, 10))] + [int(rng.integers(10)) for _ in range(n - 1)]
    height = int(rng.integers(34, 80)) if as_photo else int(rng.integers(60, 120))
    pen_rel = pen_share(rng) if as_photo else float(rng.uniform(0.06, 0.12))
    ink, boxes, touches = write_row(rng, hand, digits, height, pen_rel, touching, knockout)
    ih, iw = ink.shape
    out_w = int(iw / rng.uniform(0.6, 0.85))
    out_h = int(ih / rng.uniform(0.45, 0.75))
    if as_photo:
        out = photo(rng, split, ink, hand, pen_rel, out_w, out_h, clutter=False)
        ox, oy = out["origin"]
        boxes = [_clip_box(to_output(out["hmat"], np.array(
            [[ox + x, oy + y], [ox + x + w, oy + y], [ox + x, oy + y + h], [ox + x + w, oy + y + h]], float)),
            out_w, out_h) for x, y, w, h in boxes]
    else:
        out = drawing(rng, ink, out_w, out_h)
        ox, oy = out["origin"]
        boxes = [[x + ox, y + oy, w, h] for x, y, w, h in boxes]
    tags = out["tags"] + (["touching"] if any(touches) else ["separated"])
    source = "mnist-" + ("test" if split == "eval" else split) if hand.mnist else f"font:{hand.family}"
    scene = Scene(out["image"], "number", "".join(map(str, digits)), source, "photo" if as_photo else "drawing",
                  tags, out["box"], out["quality"], out["lines"])
    scene.digits = [{"digit": d, "box": [round(v, 1) for v in b], "touching": t}
                    for d, b, t in zip(digits, boxes, touches)]
    return scene
