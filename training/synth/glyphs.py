"""Digits (and font letters) as ink masks with a writer's per-glyph style.

A glyph is a float32 alpha mask [h, w] (1 = ink), tightly cropped. Every source goes through one path:
base shape -> slant, aspect and rotation (one affine map) -> resize to the wanted height -> pen width set
through the signed distance to the stroke edge (round erosion or dilation, anti-aliased), so a stroke looks
drawn by a pen of that width rather than like blurred pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

FONT_PX = 112  # fonts are rendered this large, then transformed and resized


@dataclass
class Style:
    """One glyph's hand: slant (shear, + leans right), aspect (width factor), rotation (degrees),
    pen width as a fraction of the glyph height."""
    slant: float
    aspect: float
    rotate: float
    pen: float

    @classmethod
    def random(cls, rng: np.random.Generator, pen: float | None = None) -> Style:
        return cls(slant=float(rng.normal(0.0, 0.16)), aspect=float(rng.uniform(0.78, 1.22)),
                   rotate=float(rng.normal(0.0, 5.0)),
                   pen=float(pen if pen is not None else rng.uniform(0.05, 0.14)))


def crop(mask: np.ndarray, level: float = 0.02) -> np.ndarray:
    rows = np.flatnonzero(mask.max(axis=1) > level)
    cols = np.flatnonzero(mask.max(axis=0) > level)
    if not len(rows):
        return np.zeros((1, 1), np.float32)
    return mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def mnist_shape(image28: np.ndarray) -> np.ndarray:
    """An MNIST digit as a clean shape 6x larger: smooth upsampling, then the 0.5 level as the stroke edge."""
    img = Image.fromarray(np.asarray(image28, np.uint8)).resize((168, 168), Image.Resampling.BICUBIC)
    smooth = ndimage.gaussian_filter(np.asarray(img, np.float32) / 255.0, 2.0)
    return crop(np.clip((smooth - 0.42) / 0.1 + 0.5, 0.0, 1.0))


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def font_shape(font_path: Path, text: str) -> np.ndarray:
    """One character (or a short string) of a font as a mask FONT_PX high."""
    font = _font(str(font_path), FONT_PX)
    img = Image.new("L", (FONT_PX * 2 * max(1, len(text)), FONT_PX * 2), 0)
    ImageDraw.Draw(img).text((FONT_PX // 2, FONT_PX // 2), text, font=font, fill=255)
    return crop(np.asarray(img, np.float32) / 255.0)


def _affine(mask: np.ndarray, style: Style) -> np.ndarray:
    """Shear, aspect and rotation about the centre in one resampling; the output is big enough to hold it."""
    h, w = mask.shape
    a = math.radians(style.rotate)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    forward = rot @ np.array([[style.aspect, -style.slant], [0.0, 1.0]])  # x' = aspect*x - slant*y (y down)
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - [w / 2, h / 2]
    moved = corners @ forward.T
    out_w = int(math.ceil(moved[:, 0].max() - moved[:, 0].min())) + 2
    out_h = int(math.ceil(moved[:, 1].max() - moved[:, 1].min())) + 2
    inv = np.linalg.inv(forward)
    # input = inv @ (out - out_centre) + in_centre
    c_in, c_out = np.array([w / 2, h / 2]), np.array([out_w / 2, out_h / 2])
    off = c_in - inv @ c_out
    coeffs = (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1])
    img = Image.fromarray(mask.astype(np.float32), mode="F")
    return np.asarray(img.transform((out_w, out_h), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR),
                      np.float32)


def stroke_width(binary: np.ndarray) -> float:
    """2 * area / perimeter of a binary mask: the width of long strokes (as pymodel.preprocess estimates it)."""
    area = binary.sum()
    padded = np.pad(binary, 1)
    signed = padded.astype(np.int8)
    edges = np.abs(np.diff(signed, axis=0)).sum() + np.abs(np.diff(signed, axis=1)).sum()
    return float(2.0 * area / edges) if edges else 0.0


def set_pen(mask: np.ndarray, pen_px: float) -> np.ndarray:
    """Re-draw a shape with strokes about pen_px wide: move its edge by half the width difference along the
    signed distance. Thinning stops before strokes break (at most 45% of their width is taken)."""
    binary = mask > 0.5
    if not binary.any():
        return mask
    pad = int(math.ceil(max(pen_px, 1.0))) + 2
    binary = np.pad(binary, pad)
    inside = ndimage.distance_transform_edt(binary)
    outside = ndimage.distance_transform_edt(~binary)
    signed = np.where(binary, inside - 0.5, 0.5 - outside)
    width = stroke_width(binary)
    delta = (pen_px - width) / 2.0
    delta = max(delta, -0.45 * width / 2.0)
    return crop(np.clip(signed + delta + 0.5, 0.0, 1.0).astype(np.float32))


def render(shape: np.ndarray, style: Style, height: int) -> np.ndarray:
    """A base shape in a writer's style, `height` pixels high, strokes style.pen * height wide."""
    warped = crop(_affine(shape, style))
    h, w = warped.shape
    scale = height / h
    new_w = max(1, int(round(w * scale)))
    small = np.asarray(Image.fromarray(warped, mode="F").resize((new_w, max(1, height)), Image.Resampling.BOX
                                                                 if scale < 1 else Image.Resampling.BILINEAR),
                       np.float32)
    return set_pen(np.clip(small, 0.0, 1.0), max(0.8, style.pen * height))
