"""Paper: colour, texture, printed lines (ruled, margin, squared, dotted), form boxes, underlines and frames.

Every straight printed line is recorded as {"kind", "p0", "p1", "thickness"} in canvas pixels, so a test
(or a figure) can find it where the metadata says.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

from training.synth.ink import lay_ink
from training.synth.split import EVAL_ONLY_PAPERS
from training.synth.strokes import line_mask

# Paper kinds and their shares of photographed scenes. Eval-only kinds take their share in evaluation.
PAPER_KINDS = {"plain": 0.3, "ruled": 0.24, "ruled_margin": 0.12, "grid": 0.18, "form_box": 0.1,
               "dot_grid": 0.03, "green_grid": 0.03}
LINE_BLUE = (0.55, 0.68, 0.88)
LINE_GREY = (0.62, 0.64, 0.66)
MARGIN_RED = (0.88, 0.42, 0.45)
GRID_GREEN = (0.55, 0.8, 0.6)


@dataclass
class Paper:
    rgb: np.ndarray  # float32 [H, W, 3], ink and light not yet applied
    kind: str
    lines: list[dict] = field(default_factory=list)
    distortions: list[str] = field(default_factory=list)


def paper_kinds(split: str) -> tuple[list[str], np.ndarray]:
    kinds = [k for k in PAPER_KINDS if split == "eval" or k not in EVAL_ONLY_PAPERS]
    p = np.array([PAPER_KINDS[k] for k in kinds])
    return kinds, p / p.sum()


def blank(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, list[str]]:
    """White, cream or grey paper with low-frequency unevenness and fine grain."""
    r = rng.random()
    tags = []
    if r < 0.5:
        base = np.array([1.0, 1.0, 1.0]) * rng.uniform(0.9, 1.0)
    elif r < 0.75:
        base = np.array([1.0, rng.uniform(0.93, 0.98), rng.uniform(0.78, 0.9)]) * rng.uniform(0.9, 1.0)
        tags.append("paper_cream")
    else:
        base = np.array([1.0, 1.0, 1.0]) * rng.uniform(0.62, 0.85)
        tags.append("paper_grey")
    base = base * rng.uniform(0.96, 1.04, 3)  # camera white balance
    coarse = rng.normal(0, 1, (max(2, h // 24), max(2, w // 24)))
    coarse = np.asarray(Image.fromarray(coarse.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BICUBIC))
    fine = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)), rng.uniform(0.4, 1.2))
    texture = coarse * rng.uniform(0.005, 0.035) + fine * rng.uniform(0.005, 0.03)
    rgb = np.clip(base[None, None, :] + texture[..., None], 0.0, 1.0).astype(np.float32)
    return rgb, tags


def _draw(paper: Paper, kind: str, p0, p1, thickness: float, color, strength: float = 1.0) -> None:
    h, w, _ = paper.rgb.shape
    lay_ink(paper.rgb, line_mask(h, w, p0, p1, thickness) * strength, color)
    paper.lines.append({"kind": kind, "p0": [round(float(p0[0]), 2), round(float(p0[1]), 2)],
                        "p1": [round(float(p1[0]), 2), round(float(p1[1]), 2)],
                        "thickness": round(float(thickness), 2)})


def make_paper(rng: np.random.Generator, h: int, w: int, split: str, ink_box: tuple[float, float, float, float],
               kind: str | None = None) -> Paper:
    """A sheet h x w whose writing will occupy ink_box (x, y, w, h): ruled lines sit on its baseline, a form
    box goes around it, a grid is sized to it."""
    rgb, tags = blank(rng, h, w)
    if kind is None:
        kinds, p = paper_kinds(split)
        kind = str(rng.choice(kinds, p=p))
    paper = Paper(rgb, kind, [], tags)
    bx, by, bw, bh = ink_box
    tilt = rng.normal(0, 0.01)  # printed lines are straight but rarely exactly level in a crop
    thick = rng.uniform(0.7, 2.2)
    strength = rng.uniform(0.45, 1.0)
    if kind in ("ruled", "ruled_margin"):
        color = LINE_BLUE if rng.random() < 0.7 else LINE_GREY
        spacing = bh * rng.uniform(0.75, 1.5)
        base = by + bh * rng.uniform(0.85, 1.05)
        for k in range(-int(base / spacing) - 2, int((h - base) / spacing) + 3):
            y = base + k * spacing
            _draw(paper, "ruled", (0, y - tilt * w / 2), (w, y + tilt * w / 2), thick, color, strength)
        paper.distortions.append("ruled_lines")
        if kind == "ruled_margin":
            x = bx + rng.uniform(-0.5, 1.5) * bw if rng.random() < 0.6 else rng.uniform(0.05, 0.95) * w
            for dx in ((0.0,) if rng.random() < 0.7 else (0.0, rng.uniform(3, 6))):
                _draw(paper, "margin", (x + dx, 0), (x + dx + tilt * h, h), thick * rng.uniform(1.0, 1.6), MARGIN_RED,
                      min(1.0, strength * 1.3))
            paper.distortions.append("margin_line")
    elif kind in ("grid", "green_grid", "dot_grid"):
        color = GRID_GREEN if kind == "green_grid" else (LINE_BLUE if rng.random() < 0.6 else LINE_GREY)
        cell = bh * rng.uniform(0.3, 0.75)
        ox, oy = rng.uniform(0, cell), rng.uniform(0, cell)
        if kind == "dot_grid":
            dots = np.zeros((h, w), np.float32)
            r = max(0.6, thick * 0.8)
            yy, xx = np.mgrid[0:h, 0:w] + 0.5
            dx = (xx - ox + cell / 2) % cell - cell / 2
            dy = (yy - oy + cell / 2) % cell - cell / 2
            dots = np.clip(r + 0.5 - np.hypot(dx, dy), 0, 1).astype(np.float32)
            lay_ink(paper.rgb, dots * strength, (0.35, 0.38, 0.42))
            paper.distortions.append("dot_grid")
        else:
            x = ox
            while x < w:
                _draw(paper, "grid", (x, 0), (x + tilt * h, h), thick * 0.8, color, strength)
                x += cell
            y = oy
            while y < h:
                _draw(paper, "grid", (0, y), (w, y + tilt * w), thick * 0.8, color, strength)
                y += cell
            paper.distortions.append("grid_paper")
    elif kind == "form_box":
        pad_x, pad_y = bw * rng.uniform(-0.05, 0.45), bh * rng.uniform(-0.05, 0.3)
        x0, y0 = bx - pad_x, by - pad_y
        x1, y1 = bx + bw + pad_x * rng.uniform(0.5, 1.5), by + bh + pad_y * rng.uniform(0.5, 1.5)
        c = (0.15, 0.15, 0.18) if rng.random() < 0.6 else LINE_GREY
        t = thick * rng.uniform(1.0, 1.8)
        for p0, p1 in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
            _draw(paper, "box", p0, p1, t, c, 1.0)
        paper.distortions.append("box_border")
    if kind != "form_box" and rng.random() < 0.1:
        y = by + bh * rng.uniform(1.0, 1.2)
        x0, x1 = bx - bw * rng.uniform(0.1, 0.6), bx + bw * rng.uniform(1.1, 1.8)
        _draw(paper, "underline", (x0, y), (x1, y + rng.normal(0, 2)), rng.uniform(1.0, 3.0), (0.1, 0.1, 0.15), 1.0)
        paper.distortions.append("underline")
    return paper
