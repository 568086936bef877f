"""End to end on digits that are not MNIST: handwriting fonts rendered as photos and drawings would be
(size, position, slant, pen width, polarity, grey paper with noise), through preprocessing and the model.

The fonts come from Debian (installed by `python build.py setup`). femkeklaver is left out on purpose:
it is an outline ("bubble") font, which nobody writes with.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pymodel import load_model

FONT_FILES = [
    "truetype/fifthhorseman/dkg.ttf", "truetype/breip/Breip.ttf", "opentype/bwht/BecauseWeBuild-Regular.otf",
    "opentype/bwht/BecauseWeLearn-Regular.otf", "truetype/humor-sans/Humor-Sans.ttf",
    "truetype/rufscript/Rufscript010.ttf", "opentype/kaushanscript/KaushanScript-Regular.otf",
    "opentype/dancingscript/DancingScript-Regular.otf", "opentype/comic-neue/ComicNeue-Regular.otf",
    "truetype/cabinsketch/CabinSketch-Regular.ttf",
]
FONTS = [p for p in (Path("/usr/share/fonts") / f for f in FONT_FILES) if p.is_file()]


def render(font_path: Path, digit: int, rng: random.Random) -> tuple[list[float], int, int]:
    w, h = rng.choice([(200, 200), (320, 240), (180, 300)])
    size = rng.randint(int(min(w, h) * 0.35), int(min(w, h) * 0.8))
    font = ImageFont.truetype(str(font_path), size)
    paper, ink = rng.choice([(255, 0), (220, 40), (0, 255), (30, 230)])
    img = Image.new("L", (w, h), paper)
    cx, cy = w / 2 + rng.uniform(-0.2, 0.2) * w, h / 2 + rng.uniform(-0.15, 0.15) * h
    ImageDraw.Draw(img).text((cx, cy), str(digit), font=font, fill=ink, anchor="mm",
                             stroke_width=rng.choice([0, 0, 1, 3]), stroke_fill=ink)
    img = img.rotate(rng.uniform(-10, 10), fillcolor=paper, resample=Image.BILINEAR)
    a = np.asarray(img, np.float64) / 255.0
    a = np.clip(a + np.random.default_rng(rng.randint(0, 1 << 30)).normal(0, 0.03, a.shape), 0, 1)
    return a.ravel().tolist(), w, h


@pytest.mark.skipif(len(FONTS) < 5, reason="handwriting fonts not installed: run `python build.py setup`")
def test_handwriting_fonts_are_recognized():
    model = load_model(backend="numpy")
    rng = random.Random(7)
    results = []
    for font in FONTS:
        for digit in range(10):
            for _ in range(3):
                p = model.recognize_gray(*render(font, digit, rng))
                assert not p.empty, f"{font.name} {digit} was reported empty"
                results.append(p.digit == digit)
    accuracy = sum(results) / len(results)
    print(f"handwriting-font digits: {sum(results)}/{len(results)} = {accuracy:.1%} over {len(FONTS)} fonts")
    assert accuracy >= 0.95
