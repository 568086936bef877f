"""What a camera and a room do to a sheet: uneven light, hard shadows, perspective and rotation (one
homography), blur, sensor noise, low resolution and JPEG compression."""
from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageFilter


def light_field(rng: np.random.Generator, h: int, w: int, strong: float) -> tuple[np.ndarray, list[str]]:
    """Multiplicative illumination [h, w]: a gradient across the sheet and, often, a hard-edged shadow
    (a phone or a hand between the lamp and the paper). strong in [0, 1] scales how dark it gets."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    field = np.ones((h, w), np.float32)
    tags = []
    if rng.random() < 0.75:
        a = rng.uniform(0, 2 * math.pi)
        ramp = ((xx - w / 2) * math.cos(a) + (yy - h / 2) * math.sin(a)) / max(h, w)  # about -0.7..0.7
        depth = rng.uniform(0.15, 0.55) * strong
        field *= np.clip(1.0 - depth * (ramp + 0.7), 0.2, 1.0)
        if depth > 0.25:
            tags.append("light_gradient")
    if rng.random() < 0.45 * strong + 0.05:
        # A shadow edge: a line through a random point, softened by 0.5-3 px, sometimes a second edge (a corner).
        a = rng.uniform(0, 2 * math.pi)
        px, py = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        d = (xx - px) * math.cos(a) + (yy - py) * math.sin(a)
        soft = rng.uniform(0.5, 3.0)
        inside = 0.5 + 0.5 * np.tanh(d / (2 * soft))
        if rng.random() < 0.4:
            b = a + rng.uniform(0.6, 2.0)
            d2 = (xx - px) * math.cos(b) + (yy - py) * math.sin(b)
            inside = inside * (0.5 + 0.5 * np.tanh(d2 / (2 * soft)))
        dark = rng.uniform(0.3, 0.7)
        field *= 1.0 - (1.0 - dark) * inside
        tags.append("shadow")
    return field, tags


def homography(rng: np.random.Generator, out_w: int, out_h: int, margin: int, strength: float) -> np.ndarray:
    """3x3 map from output pixels to canvas pixels: the crop window, rotated (a few degrees) and with its
    corners pulled a little (perspective) about its centre."""
    angle = math.radians(rng.normal(0, 4.0) * strength)
    jitter = 0.05 * strength
    src = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], float)
    c = np.array([out_w / 2, out_h / 2])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = (src - c) @ rot.T + c + margin
    dst += rng.uniform(-jitter, jitter, (4, 2)) * [out_w, out_h]
    # Solve dst ~ H @ src for H (8 unknowns, h33 = 1).
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    hvec = np.linalg.solve(np.array(rows), np.array(rhs))
    return np.append(hvec, 1.0).reshape(3, 3)


def warp(rgb: np.ndarray, hmat: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Resample the canvas through hmat (output -> canvas) into an out_w x out_h image."""
    img = Image.fromarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))
    coeffs = tuple((hmat / hmat[2, 2]).ravel()[:8])
    out = img.transform((out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    return np.asarray(out, np.float32) / 255.0


def to_output(hmat: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Canvas points [N, 2] -> output pixels (the inverse of hmat)."""
    inv = np.linalg.inv(hmat)
    p = np.c_[points, np.ones(len(points))] @ inv.T
    return p[:, :2] / p[:, 2:3]


def camera(rgb: np.ndarray, rng: np.random.Generator, strength: float) -> tuple[Image.Image, list[str]]:
    """Blur, low resolution and sensor noise on a float RGB image; returns an 8-bit image and the tags."""
    tags = []
    h, w, _ = rgb.shape
    img = Image.fromarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if rng.random() < 0.2 * strength:
        f = rng.uniform(0.35, 0.7)
        img = img.resize((max(8, int(w * f)), max(8, int(h * f))), Image.Resampling.BILINEAR).resize(
            (w, h), Image.Resampling.BILINEAR)
        tags.append("low_resolution")
    if rng.random() < 0.55 * strength:
        radius = rng.uniform(0.5, 1.1 + 1.2 * strength) * min(h, w) / 150
        img = img.filter(ImageFilter.GaussianBlur(radius))
        if radius > 0.9:
            tags.append("blur")
    a = np.asarray(img, np.float32)
    sigma = rng.uniform(0.5, 2.0 + 7.0 * strength)
    noisy = a + rng.normal(0, sigma, a.shape) + rng.normal(0, sigma * 0.6, a.shape[:2])[..., None]
    if sigma > 5.0:
        tags.append("noise")
    return Image.fromarray(np.clip(noisy + 0.5, 0, 255).astype(np.uint8)), tags


def jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
