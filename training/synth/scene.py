"""One realistic image and what is in it.

    render(split, kind, index, seed) -> Scene       kind: "digit" or "not_a_digit"

A scene is a photo of paper (most), a drawing like the page's pad (dark on light or light on dark) or a
screenshot of a plotted image. The random stream is (split, kind, seed, index), so any image can be
re-made alone, in any process, in any order.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

from training.synth import glyphs, marks
from training.synth.capture import camera, homography, jpeg_bytes, light_field, png_bytes, to_output, warp
from training.synth.ink import ink_alpha, lay_ink, lay_paint, pick_pen
from training.synth.paper import make_paper
from training.synth.plot import plot_screenshot
from training.synth.split import LETTERS, SPLIT_STREAM, fonts_for, mnist_source
from training.synth.strokes import line_mask, paste_max

KIND_STREAM = {"digit": 1, "not_a_digit": 2, "number": 3}
STYLE_SHARE = {"photo": 0.68, "drawing": 0.2, "plot": 0.12}
NON_DIGIT_SHARE = {"font_letter": 0.24, "drawn_letter": 0.2, "shape": 0.26, "scribble": 0.14, "smudge": 0.07,
                   "blank": 0.09}


@dataclass
class Scene:
    image: Image.Image  # RGB, before encoding
    kind: str  # digit | not_a_digit | number
    label: str  # "0".."9", "not_a_digit", or the digits of a number
    source: str
    style: str  # photo | drawing | plot
    distortions: list[str]
    box: list[float] | None  # [x, y, w, h] of the writing in output pixels (None: nothing written)
    jpeg_quality: int | None = None  # saved as JPEG at this quality, else PNG
    lines: list[dict] = field(default_factory=list)
    digits: list[dict] = field(default_factory=list)  # numbers: {"digit", "box", "touching"}

    def encoded(self) -> bytes:
        return jpeg_bytes(self.image, self.jpeg_quality) if self.jpeg_quality else png_bytes(self.image)

    def pixels(self) -> Image.Image:
        """The image as a reader of the file sees it (JPEG artefacts included)."""
        if self.jpeg_quality:
            return Image.open(io.BytesIO(jpeg_bytes(self.image, self.jpeg_quality)))
        return self.image

    @property
    def suffix(self) -> str:
        return ".jpg" if self.jpeg_quality else ".png"

    def record(self) -> dict:
        rec = {"kind": self.kind, "label": self.label, "source": self.source, "style": self.style,
               "distortions": sorted(set(self.distortions)), "box": self.box,
               "size": [self.image.width, self.image.height]}
        if self.digits:
            rec["digits"] = self.digits
        return rec


def rng_for(split: str, kind: str, seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([SPLIT_STREAM[split], KIND_STREAM[kind], seed, index])


def pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    names = list(shares)
    p = np.array([shares[n] for n in names], float)
    return str(rng.choice(names, p=p / p.sum()))


@lru_cache(maxsize=3)
def mnist_pool(split: str) -> tuple[np.ndarray, np.ndarray]:
    from training.data import load_split, train_val_indices
    which = mnist_source(split)
    if which == "test":
        return load_split("t10k")
    images, labels = load_split("train")
    train_idx, val_idx = train_val_indices(labels)
    idx = np.sort(train_idx if which == "train" else val_idx)
    return images[idx], labels[idx]


# ---- what is written ------------------------------------------------------------------------------------

@dataclass
class Writing:
    shape: np.ndarray | None  # base shape (glyphs.render input) or None for a blank sheet
    label: str
    source: str
    image28: np.ndarray | None = None  # MNIST pixels, for plots
    drawn: np.ndarray | None = None  # already drawn at its final height (drawn letters, shapes, ...)


class Hand:
    """One writer for a scene: a digit source (an MNIST writer pool or a font) and a style."""

    def __init__(self, rng: np.random.Generator, split: str):
        self.split = split
        self.fonts = fonts_for(split)
        self.mnist = rng.random() < 0.6
        fam = str(rng.choice(sorted(self.fonts)))
        files = self.fonts[fam]
        self.font = files[int(rng.integers(len(files)))]
        self.family = fam

    def digit(self, rng: np.random.Generator, d: int | None = None) -> Writing:
        if d is None:
            d = int(rng.integers(10))
        if self.mnist:
            images, labels = mnist_pool(self.split)
            choices = np.flatnonzero(labels == d)
            i = int(choices[rng.integers(len(choices))])
            return Writing(glyphs.mnist_shape(images[i]), str(d), f"mnist-{mnist_source(self.split)}:{i}", images[i])
        return Writing(glyphs.font_shape(self.font, str(d)), str(d), f"font:{self.family}")


def non_digit(rng: np.random.Generator, split: str, height: int, pen_rel: float) -> Writing:
    what = pick(rng, NON_DIGIT_SHARE)
    if what == "font_letter":
        fonts = fonts_for(split)
        fam = str(rng.choice(sorted(fonts)))
        letter = str(rng.choice(list(LETTERS)))
        return Writing(glyphs.font_shape(fonts[fam][0], letter), "not_a_digit", f"letter:font:{fam}:{letter}")
    if what == "drawn_letter":
        letter = str(rng.choice(sorted(marks.DRAWN_LETTERS)))
        drawn = marks.drawn_letter(letter, rng, height, pen_rel, float(rng.normal(0, 0.15)))
        return Writing(None, "not_a_digit", f"letter:drawn:{letter}", drawn=drawn)
    if what == "shape":
        name = str(rng.choice(marks.SHAPES))
        return Writing(None, "not_a_digit", f"shape:{name}", drawn=marks.shape(name, rng, height, pen_rel))
    if what == "scribble":
        return Writing(None, "not_a_digit", "scribble", drawn=marks.scribble(rng, height, pen_rel))
    if what == "smudge":
        return Writing(None, "not_a_digit", "smudge", drawn=marks.blob(rng, height))
    return Writing(None, "not_a_digit", "blank")


def ink_of(writing: Writing, rng: np.random.Generator, height: int, pen_rel: float) -> np.ndarray | None:
    if writing.drawn is not None:
        return writing.drawn
    if writing.shape is None:
        return None
    return glyphs.render(writing.shape, glyphs.Style.random(rng, pen_rel), height)


def pen_share(rng: np.random.Generator) -> float:
    """Pen width as a fraction of the digit height: thin pens on big photos to fat markers."""
    r = rng.random()
    if r < 0.25:
        return float(rng.uniform(0.025, 0.055))
    if r < 0.85:
        return float(rng.uniform(0.055, 0.12))
    return float(rng.uniform(0.12, 0.17))


def pen_tags(pen_rel: float) -> list[str]:
    return ["thin_pen"] if pen_rel < 0.055 else ["thick_pen"] if pen_rel > 0.12 else []


# ---- the three looks ---------------------------------------------------------------------------------------

def _fit(mask: np.ndarray, max_w: float, max_h: float) -> np.ndarray:
    h, w = mask.shape
    f = min(1.0, max_w / w, max_h / h)
    if f >= 1.0:
        return mask
    img = Image.fromarray(mask, mode="F").resize((max(1, int(w * f)), max(1, int(h * f))), Image.Resampling.BOX)
    return np.asarray(img, np.float32)


def _shift(rng: np.random.Generator, sigma: float, free: float) -> float:
    """An off-centre placement that keeps the writing inside the image (free: spare pixels on that axis)."""
    half = max(0.0, free / 2 - 1)
    return float(np.clip(rng.normal(0, sigma), -half, half))


def _box_of(mask: np.ndarray, left: int, top: int) -> list[float]:
    ys, xs = np.nonzero(mask > 0.5)
    if not len(ys):
        return [float(left), float(top), float(mask.shape[1]), float(mask.shape[0])]
    return [float(left + xs.min()), float(top + ys.min()),
            float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


def _frame(rgb: np.ndarray, rng: np.random.Generator) -> None:
    """A canvas or window frame near the image edges."""
    h, w, _ = rgb.shape
    inset = rng.uniform(0.5, 6.0)
    t = rng.uniform(1.0, 3.5)
    color = (0.1, 0.1, 0.12) if rng.random() < 0.6 else (0.55, 0.56, 0.6)
    alpha = np.zeros((h, w), np.float32)
    corners = [(inset, inset), (w - inset, inset), (w - inset, h - inset), (inset, h - inset)]
    for a, b in zip(corners, corners[1:] + corners[:1]):
        np.maximum(alpha, line_mask(h, w, a, b, t), out=alpha)
    lay_paint(rgb, alpha, color)


def _neighbours(rng, hand: Hand, ink: np.ndarray, main_box, window, height: int, pen_rel: float) -> int:
    """Parts of other digits cut by the crop's edges, as in a crop from a sheet of digits; returns how many."""
    wx0, wy0, wx1, wy1 = window
    mx, my, mw, mh = main_box
    count = 0
    for side in ("left", "right", "top", "bottom"):
        if rng.random() > (0.55 if side in ("left", "right") else 0.25):
            continue
        glyph = ink_of(hand.digit(rng), rng, int(height * rng.uniform(0.8, 1.15)), pen_rel)
        gh, gw = glyph.shape
        if side in ("left", "right"):
            visible = rng.uniform(0.12, 0.55) * gw
            left = int(wx1 - visible) if side == "right" else int(wx0 + visible - gw)
            top = int(my + rng.normal(0, 0.12) * mh)
            if ((side == "right" and left < mx + mw + 0.1 * height)
                    or (side == "left" and left + gw > mx - 0.1 * height)):
                continue
        else:
            visible = rng.uniform(0.1, 0.4) * gh
            top = int(wy1 - visible) if side == "bottom" else int(wy0 + visible - gh)
            left = int(mx + rng.uniform(-0.6, 0.6) * mw)
            if ((side == "bottom" and top < my + mh + 0.08 * height)
                    or (side == "top" and top + gh > my - 0.08 * height)):
                continue
        paste_max(ink, glyph, left, top)
        count += 1
    return count


def photo(rng: np.random.Generator, split: str, main: np.ndarray | None, hand: Hand | None, pen_rel: float,
          out_w: int, out_h: int, clutter: bool = True, strength: float | None = None) -> dict:
    """Writing photographed on paper. main: the ink mask (or None for a blank sheet), already sized."""
    if strength is None:
        strength = float(rng.uniform(0.25, 1.0))
    tags = ["photo"]
    margin = int(0.15 * max(out_w, out_h)) + 4
    cw, ch = out_w + 2 * margin, out_h + 2 * margin
    ink = np.zeros((ch, cw), np.float32)
    if main is not None:
        mh, mw = main.shape
        left = int(margin + (out_w - mw) / 2 + _shift(rng, 0.06 * out_w, out_w - mw))
        top = int(margin + (out_h - mh) / 2 + _shift(rng, 0.06 * out_h, out_h - mh))
        paste_max(ink, main, left, top)
        main_box = (left, top, mw, mh)
    else:
        mw, mh = int(out_w * 0.5), int(out_h * 0.5)
        main_box = (margin + out_w / 4, margin + out_h / 4, mw, mh)
    paper = make_paper(rng, ch, cw, split, main_box)
    tags += paper.distortions
    window = (margin, margin, margin + out_w, margin + out_h)
    if clutter and hand is not None and rng.random() < 0.4:
        if _neighbours(rng, hand, ink, main_box, window, main_box[3], pen_rel):
            tags.append("neighbours")
    pen = pick_pen(rng)
    tags += pen.distortions + pen_tags(pen_rel)
    alpha = ink_alpha(ink, pen, rng)
    lay_ink(paper.rgb, alpha, pen.color)
    if clutter and rng.random() < 0.3:
        sp = marks.specks(ch, cw, rng, int(rng.integers(1, 14)))
        lay_ink(paper.rgb, sp * rng.uniform(0.5, 1.0), pen.color if rng.random() < 0.5 else (0.2, 0.2, 0.2))
        tags.append("specks")
    if clutter and rng.random() < 0.15:
        stray = marks.stray_stroke(ch, cw, rng, max(1.0, pen_rel * main_box[3] * rng.uniform(0.5, 1.2)))
        other = pick_pen(rng, 0.0) if rng.random() < 0.5 else pen
        lay_ink(paper.rgb, ink_alpha(stray, other, rng), other.color)
        tags.append("stray_mark")
    field_, light_tags = light_field(rng, ch, cw, strength)
    paper.rgb *= field_[..., None]
    tags += light_tags
    hmat = homography(rng, out_w, out_h, margin, strength)
    if abs(hmat[0, 1]) > 0.035 or abs(hmat[2, 0]) + abs(hmat[2, 1]) > 2e-4:
        tags.append("perspective_rotation")
    rgb = warp(paper.rgb, hmat, out_w, out_h)
    if rng.random() < 0.06:
        _frame(rgb, rng)
        tags.append("frame")
    img, cam_tags = camera(rgb, rng, strength)
    tags += cam_tags
    quality = int(rng.integers(25, 95))  # phone photos are JPEGs
    if quality < 50:
        tags.append("jpeg_strong")
    mx, my, mw_, mh_ = main_box
    corners = to_output(hmat, np.array([[mx, my], [mx + mw_, my], [mx, my + mh_], [mx + mw_, my + mh_]], float))
    box = _clip_box(corners, out_w, out_h) if main is not None else None
    lines = []
    for line in paper.lines:
        p = to_output(hmat, np.array([line["p0"], line["p1"]], float))
        lines.append({**line, "p0": np.round(p[0], 2).tolist(), "p1": np.round(p[1], 2).tolist()})
    return {"image": img, "tags": tags, "box": box, "quality": quality, "lines": lines, "hmat": hmat,
            "origin": main_box[:2]}


def _clip_box(points: np.ndarray, w: int, h: int) -> list[float]:
    x0, y0 = np.clip(points.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(points.max(axis=0), 0, [w, h])
    return [round(float(x0), 1), round(float(y0), 1), round(float(x1 - x0), 1), round(float(y1 - y0), 1)]


def drawing(rng: np.random.Generator, main: np.ndarray | None, out_w: int, out_h: int) -> dict:
    """A drawing on a screen pad: flat background, opaque strokes, saved losslessly."""
    light = rng.random() < 0.6
    bg = rng.uniform(0.93, 1.0) if light else rng.uniform(0.0, 0.16)
    fg = rng.uniform(0.0, 0.2) if light else rng.uniform(0.85, 1.0)
    rgb = np.full((out_h, out_w, 3), bg, np.float32)
    tags = ["drawing_dark_on_light" if light else "drawing_light_on_dark"]
    box = None
    if main is not None:
        mh, mw = main.shape
        left = int((out_w - mw) / 2 + _shift(rng, 0.08 * out_w, out_w - mw))
        top = int((out_h - mh) / 2 + _shift(rng, 0.08 * out_h, out_h - mh))
        alpha = np.zeros((out_h, out_w), np.float32)
        paste_max(alpha, main, left, top)
        lay_paint(rgb, alpha, (fg, fg, fg))
        box = _box_of(main, left, top)
    else:
        left = top = 0
    if rng.random() < 0.12:
        _frame(rgb, rng)
        tags.append("frame")
    img = Image.fromarray(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8))
    return {"image": img, "tags": tags, "box": box, "quality": None, "lines": [], "origin": (left, top)}


def _as28(writing: Writing, mask: np.ndarray | None) -> np.ndarray:
    """A 28x28 picture of the writing for a plot: MNIST pixels as they are, anything else fitted in 20x20."""
    if writing.image28 is not None:
        return writing.image28.astype(np.float32) / 255.0
    out = np.zeros((28, 28), np.float32)
    if mask is not None:
        small = _fit(mask, 20, 20)
        h, w = small.shape
        paste_max(out, small, (28 - w) // 2, (28 - h) // 2)
    return out


# ---- one scene -----------------------------------------------------------------------------------------

def size_range(split: str) -> tuple[int, int]:
    return (56, 200) if split != "eval" else (72, 200)


def render(split: str, kind: str, index: int, seed: int = 0) -> Scene:
    if kind not in ("digit", "not_a_digit"):
        raise ValueError(f"unknown scene kind {kind!r}: use 'digit' or 'not_a_digit' (numbers: synth.numbers)")
    rng = rng_for(split, kind, seed, index)
    style = pick(rng, STYLE_SHARE)
    lo, hi = size_range(split)
    if style == "drawing":
        out_w = int(rng.integers(180, 300))
        out_h = out_w if rng.random() < 0.7 else int(out_w * rng.uniform(0.6, 1.0))
        height = int(out_h * rng.uniform(0.4, 0.85))
        pen_rel = float(rng.uniform(0.05, 0.13))
    else:
        out_h = int(rng.integers(lo, hi))
        out_w = int(out_h * rng.uniform(0.75, 1.35))
        height = int(out_h * rng.uniform(0.38, 0.8))
        pen_rel = pen_share(rng)
    hand = Hand(rng, split)
    writing = hand.digit(rng) if kind == "digit" else non_digit(rng, split, height, pen_rel)
    main = ink_of(writing, rng, height, pen_rel)
    if main is not None:
        main = _fit(main, out_w * 0.9, out_h * 0.9)
    if style == "plot":
        page, box, tags = plot_screenshot(_as28(writing, main), rng)
        quality = int(rng.integers(40, 95)) if rng.random() < 0.4 else None
        return Scene(page, kind, writing.label, writing.source, "plot", tags, box if writing.label != "not_a_digit"
                     or main is not None else None, quality)
    if style == "drawing":
        out = drawing(rng, main, out_w, out_h)
    else:
        out = photo(rng, split, main, hand, pen_rel, out_w, out_h)
    tags = out["tags"] + (pen_tags(pen_rel) if style == "drawing" else [])
    return Scene(out["image"], kind, writing.label, writing.source, style, tags, out["box"], out["quality"],
                 out["lines"])
