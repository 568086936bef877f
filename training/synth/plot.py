"""Screenshots of a digit plotted as an image (matplotlib's imshow look): a colour-mapped 28x28 picture
inside axes with ticks and tick labels on a white page, sometimes with a colour bar."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Colour maps as evenly spaced anchors (sampled from matplotlib's tables), interpolated linearly.
COLORMAPS = {
    "viridis": ["#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    "magma": ["#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8761", "#fec287", "#fcfdbf"],
    "gray": ["#000000", "#ffffff"],
    "gray_r": ["#ffffff", "#000000"],
    "plasma": ["#0d0887", "#5302a3", "#8b0aa5", "#b83289", "#db5c68", "#f48849", "#febd2a", "#f0f921"],
}
CMAP_SHARE = {"viridis": 0.5, "magma": 0.12, "gray": 0.18, "gray_r": 0.1, "plasma": 0.1}


def _rgb(hexes: list[str]) -> np.ndarray:
    return np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in hexes], np.float32) / 255.0


def colormap(values: np.ndarray, name: str) -> np.ndarray:
    table = _rgb(COLORMAPS[name])
    pos = np.clip(values, 0, 1) * (len(table) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(table) - 2)
    t = (pos - lo)[..., None]
    return table[lo] * (1 - t) + table[lo + 1] * t


def plot_screenshot(image28: np.ndarray, rng: np.random.Generator) -> tuple[Image.Image, list[float], list[str]]:
    """image28: float [28, 28] in [0, 1] (1 = ink). Returns the screenshot, the box of the digit inside the
    plot [x, y, w, h] and the tags."""
    names = list(CMAP_SHARE)
    cmap = str(rng.choice(names, p=np.array([CMAP_SHARE[n] for n in names])))
    side = int(rng.integers(70, 170))
    left, top = int(rng.integers(22, 40)), int(rng.integers(8, 30))
    bar = rng.random() < 0.3
    width = left + side + int(rng.integers(8, 24)) + (side // 8 + 30 if bar else 0)
    height = top + side + int(rng.integers(18, 34))
    page = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(243, 256, 3)))
    pixels = (colormap(image28, cmap) * 255 + 0.5).astype(np.uint8)
    resample = Image.Resampling.NEAREST if rng.random() < 0.7 else Image.Resampling.BILINEAR
    page.paste(Image.fromarray(pixels).resize((side, side), resample), (left, top))
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=int(rng.integers(8, 13)))
    draw.rectangle((left - 1, top - 1, left + side, top + side), outline=(0, 0, 0))
    step = int(rng.choice([5, 10]))
    for v in range(0, 28, step):
        p = (v + 0.5) * side / 28
        draw.line((left + p, top + side, left + p, top + side + 3), fill=(0, 0, 0))
        draw.line((left - 4, top + p, left - 1, top + p), fill=(0, 0, 0))
        draw.text((left + p, top + side + 4), str(v), fill=(0, 0, 0), font=font, anchor="ma")
        draw.text((left - 6, top + p), str(v), fill=(0, 0, 0), font=font, anchor="rm")
    tags = ["plot", f"plot_{cmap}"]
    if bar:
        bx = left + side + 10
        ramp = np.linspace(1, 0, side)[:, None].repeat(side // 8, axis=1)
        page.paste(Image.fromarray((colormap(ramp, cmap) * 255 + 0.5).astype(np.uint8)), (bx, top))
        draw.rectangle((bx - 1, top - 1, bx + side // 8, top + side), outline=(0, 0, 0))
        for v, label in ((0.0, "1.0"), (0.5, "0.5"), (1.0, "0.0")):
            draw.text((bx + side // 8 + 3, top + v * (side - 1)), label, fill=(0, 0, 0), font=font, anchor="lm")
        tags.append("colorbar")
    ys, xs = np.nonzero(image28 > 0.3)
    cell = side / 28
    box = ([left + xs.min() * cell, top + ys.min() * cell,
            (xs.max() - xs.min() + 1) * cell, (ys.max() - ys.min() + 1) * cell] if len(ys) else [left, top, side, side])
    return page, [round(float(v), 1) for v in box], tags
