"""Decode an image file with Pillow into the grey pixels pymodel.preprocess expects.

EXIF orientation is applied, transparency is flattened onto white, palette and 16-bit images are
handled, animated images use their first frame. Anything else is an ImageFileError with a message a
person can act on.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pymodel.preprocess import MAX_SIDE

MAX_PIXELS = 40_000_000


class ImageFileError(ValueError):
    """The file cannot be used as an image."""


def _to_rgba_float(img: Image.Image) -> np.ndarray:
    """Any Pillow mode -> float RGBA in [0, 1]."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        bits = 16 if img.mode.startswith("I;16") else 32
        a = np.asarray(img.convert("I"), dtype=np.float64)
        top = 65535.0 if bits == 16 or a.max() <= 65535 else float(a.max())
        g = np.clip(a / top, 0.0, 1.0)
        return np.stack([g, g, g, np.ones_like(g)], axis=-1)
    if img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        span = float(a.max() - a.min()) or 1.0
        g = (a - a.min()) / span
        return np.stack([g, g, g, np.ones_like(g)], axis=-1)
    return np.asarray(img.convert("RGBA"), dtype=np.float64) / 255.0


def rgba_to_gray_array(rgba: np.ndarray) -> np.ndarray:
    """Composite on white, then ITU-R 601 luma: the same formula as the page's rgbaToGray."""
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + (1.0 - alpha)
    return rgb @ np.array([0.299, 0.587, 0.114])


def reduce_blocks_array(gray: np.ndarray, k: int) -> np.ndarray:
    """NumPy version of preprocess.reduce_blocks (k x k block means, partial edge blocks averaged over
    what they cover), for photos of many megapixels; equality is tested."""
    h, w = gray.shape
    ph, pw = -h % k, -w % k
    padded = np.pad(gray, ((0, ph), (0, pw)))
    counts = np.pad(np.ones_like(gray), ((0, ph), (0, pw)))
    shape = (padded.shape[0] // k, k, padded.shape[1] // k, k)
    return padded.reshape(shape).sum(axis=(1, 3)) / counts.reshape(shape).sum(axis=(1, 3))


def load_gray(path: str | Path) -> np.ndarray:
    """Grey image [H, W] in [0, 1] (0 black), already reduced so the longer side is <= preprocess.MAX_SIDE."""
    path = Path(path)
    if path.is_dir():
        raise ImageFileError("is a directory, not an image file")
    if not path.exists():
        raise ImageFileError("no such file")
    if path.stat().st_size == 0:
        raise ImageFileError("the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageFileError(f"the image is {w}x{h} ({w * h / 1e6:.0f} megapixels); the limit is {MAX_PIXELS / 1e6:.0f}")
            img.seek(0)  # first frame of an animation
            img.load()
            img = ImageOps.exif_transpose(img)
    except ImageFileError:
        raise
    except UnidentifiedImageError:
        raise ImageFileError("not an image Pillow can read (use PNG, JPEG, GIF, BMP or WebP)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageFileError(f"the image has more than {MAX_PIXELS / 1e6:.0f} megapixels") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageFileError(f"the image data is corrupt or truncated ({exc})") from None
    gray = rgba_to_gray_array(_to_rgba_float(img))
    longer = max(gray.shape)
    if longer > MAX_SIDE:
        gray = reduce_blocks_array(gray, -(-longer // MAX_SIDE))
    return gray
