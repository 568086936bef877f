"""Pens and how their ink sits on paper. Ink is subtractive: paper * mix(1, ink colour, alpha), so a blue
pen on cream paper looks darker blue and a shadow darkens ink and paper alike."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass
class Pen:
    name: str  # black, blue, red, green, pencil (for per-distortion figures)
    color: tuple[float, float, float]
    strength: float  # multiplies alpha: < 1 is faint ink
    grain: float  # 0 for liquid ink; pencil graphite leaves paper showing through

    @property
    def distortions(self) -> list[str]:
        tags = [f"ink_{self.name}"] if self.name != "black" else []
        if self.strength < 0.6:
            tags.append("faint_ink")
        return tags


def pick_pen(rng: np.random.Generator, faint_share: float = 0.15) -> Pen:
    r = rng.random()
    if r < 0.38:
        g = rng.uniform(0.02, 0.25)
        pen = Pen("black", (g, g, g * rng.uniform(0.9, 1.2)), 1.0, 0.0)
    elif r < 0.68:
        pen = Pen("blue", (rng.uniform(0.05, 0.25), rng.uniform(0.12, 0.35), rng.uniform(0.45, 0.85)), 1.0, 0.0)
    elif r < 0.76:
        pen = Pen("red", (rng.uniform(0.65, 0.85), rng.uniform(0.05, 0.2), rng.uniform(0.08, 0.25)), 1.0, 0.0)
    elif r < 0.8:
        pen = Pen("green", (rng.uniform(0.05, 0.2), rng.uniform(0.35, 0.55), rng.uniform(0.15, 0.3)), 1.0, 0.0)
    else:
        g = rng.uniform(0.25, 0.5)
        pen = Pen("pencil", (g, g, g * 1.03), rng.uniform(0.6, 0.95), rng.uniform(0.25, 0.6))
    if rng.random() < faint_share:
        pen.strength *= rng.uniform(0.3, 0.58)
    return pen


def ink_alpha(alpha: np.ndarray, pen: Pen, rng: np.random.Generator) -> np.ndarray:
    """How much the pen covers each pixel: its strength, and for pencil a grainy, speckled coverage."""
    a = alpha * pen.strength
    if pen.grain > 0:
        grain = ndimage.gaussian_filter(rng.random(alpha.shape).astype(np.float32), 0.7)
        grain = (grain - grain.mean()) / (grain.std() + 1e-6)
        a = a * np.clip(1.0 - pen.grain * 0.5 + grain * pen.grain * 0.5, 0.15, 1.0)
    return np.clip(a, 0.0, 1.0).astype(np.float32)


def lay_ink(rgb: np.ndarray, alpha: np.ndarray, color) -> None:
    """Subtractive ink on paper, in place."""
    c = np.asarray(color, np.float32)
    rgb *= 1.0 - alpha[..., None] * (1.0 - c)


def lay_paint(rgb: np.ndarray, alpha: np.ndarray, color) -> None:
    """Opaque paint (a screen drawing, light ink on dark), in place."""
    c = np.asarray(color, np.float32)
    rgb += alpha[..., None] * (c - rgb)
