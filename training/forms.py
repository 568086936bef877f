"""Numbers written into a form's cells, photographed: the scenes of the model card's forms line.

A form asks for a number one digit to a cell, in one of three layouts:
- "comb": a line under the cells, with a short tick between each two (a third to two thirds of the cell's
  height);
- "boxes": a row of boxes side by side, each shared side as thick as two;
- "apart": separate boxes with a gap between each two.

A form's cells are not always all filled: the scenes with `partly` leave the last cells empty (all of them
in a blank form), as a 2-digit amount in a 6-cell field.

The digits are MNIST test digits (never trained on), scaled to 85-105% of the cell's height and placed in
their cell with a few pixels of jitter, so some touch a wall. The form is printed in grey, blue, green or
red ink, 1 to 3 px thick; the writing is in dark blue or black. The photo is turned by up to 2 degrees,
blurred a little, given sensor noise and saved as a JPEG, as a phone photo of a form cropped to its field.
pymodel/walls.py is what reads these: without it every wall is a 1.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

LAYOUTS = ("comb", "boxes", "apart")
SEED = 2026
PRINT_COLOURS = ((90, 90, 90), (60, 90, 170), (40, 120, 80), (190, 60, 60))
PEN_COLOURS = ((30, 40, 110), (25, 25, 30))


def render_form(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, layout: str,
                partly: bool = False) -> tuple[bytes, str]:
    """One photo (JPEG bytes) of a 3- to 6-digit number written in a form of this layout, and its label.
    partly: only the first 0 to n - 1 of the n cells are written, the rest left empty (a short amount in a
    long field, or a blank form, whose label is "")."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown form layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    n = int(rng.integers(3, 7))
    cell_w = int(rng.integers(40, 70))
    cell_h = int(cell_w * rng.uniform(1.1, 1.4))
    gap = int(cell_w * rng.uniform(0.2, 0.4)) if layout == "apart" else 0
    thick = int(rng.integers(1, 4))
    mx, my = int(rng.integers(10, 60)), int(rng.integers(10, 50))
    w, h = 2 * mx + n * cell_w + (n - 1) * gap, 2 * my + cell_h
    form = Image.new("L", (w, h), 0)  # how much print covers each pixel
    d = ImageDraw.Draw(form)
    tick = int(cell_h * rng.uniform(0.35, 0.65))
    for k in range(n):
        x = mx + k * (cell_w + gap)
        if layout == "comb":
            d.rectangle([x, my + cell_h - thick, x + cell_w, my + cell_h], fill=255)
            for side in ((x, x + thick - 1),) + (((x + cell_w - thick + 1, x + cell_w),) if k == n - 1 else ()):
                d.rectangle([side[0], my + cell_h - tick, side[1], my + cell_h], fill=255)
        else:
            for r in range(thick):
                d.rectangle([x + r, my + r, x + cell_w - r, my + cell_h - r], outline=255)
    picked = [int(rng.integers(len(labels))) for _ in range(n)]
    if partly:
        picked = picked[:int(rng.integers(0, n))]
    writing = np.zeros((h, w))
    for k, i in enumerate(picked):
        size = int(cell_h * rng.uniform(0.85, 1.05))
        digit = np.asarray(Image.fromarray(images[i]).resize((size, size), Image.BICUBIC), float) / 255
        x = mx + k * (cell_w + gap) + cell_w // 2 - size // 2 + int(rng.integers(-3, 4))
        y = my + cell_h // 2 - size // 2 + int(rng.integers(-4, 5))
        x, y = max(0, min(w - size, x)), max(0, min(h - size, y))
        writing[y:y + size, x:x + size] = np.maximum(writing[y:y + size, x:x + size], digit)
    printed = np.asarray(form, float)[..., None] / 255
    paper = np.array([242, 240, 232]) * rng.uniform(0.85, 1.0)
    ink = np.array(PEN_COLOURS[int(rng.integers(len(PEN_COLOURS)))], float)
    colour = np.array(PRINT_COLOURS[int(rng.integers(len(PRINT_COLOURS)))], float)
    rgb = paper * (1 - printed) + colour * printed
    rgb = rgb * (1 - writing[..., None]) + ink * writing[..., None]
    photo = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    photo = photo.rotate(float(rng.uniform(-2, 2)), resample=Image.BICUBIC, fillcolor=tuple(int(v) for v in paper))
    photo = photo.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.9))))
    noisy = np.asarray(photo, float) + rng.normal(0, 3, (h, w, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=int(rng.integers(75, 92)))
    return out.getvalue(), "".join(str(int(labels[i])) for i in picked)


def form_numbers(images: np.ndarray, labels: np.ndarray, n_each: int, seed: int = SEED, partly: bool = False):
    """(layout, JPEG bytes, label) for n_each photos of each layout, the same every time for a seed; partly:
    with only some cells written (render_form)."""
    rng = np.random.default_rng(seed)
    for layout in LAYOUTS:
        for _ in range(n_each):
            photo, label = render_form(rng, images, labels, layout, partly)
            yield layout, photo, label
