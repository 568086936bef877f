"""Decode an image file with Pillow into the grey pixels pymodel.preprocess expects.

A large JPEG is decoded at 1/2, 1/4 or 1/8 of its size (jpeg_scale), as the page decodes it. EXIF
orientation is applied, transparency is flattened onto white, palette and 16-bit images are
handled, animated images use their first frame. Anything else is an ImageFileError with a message a
person can act on.

Colour becomes the grey that best separates ink from paper (`rgba_to_gray_array`, the same algorithm
as the page's rgbaToGray in web/js/preprocess.js, equality tested):
1. Composite on white: c = c * alpha + (1 - alpha) for R, G, B in [0, 1].
2. Every s-th pixel in row-major order takes part, s = max(1, n // GRAY_SAMPLE). The paper colour is the
   per-channel median of the sample (upper median, sorted[m // 2]).
3. Coloured ink: only on paper of nearly neutral colour (chroma, max - min of R, G, B, at most
   PAPER_CHROMA), the sampled pixels whose chroma exceeds the paper's by at least INK_CHROMA. Shadows
   and light gradients scale the colour, so they add no chroma and cannot pose as ink. When there are
   at least max(INK_MIN_PIXELS, INK_MIN_FRACTION * m) of them and at most INK_MAX_FRACTION * m (more is
   a colour map or a coloured area, not ink), the ink colour is their per-channel median.
4. The channel where ink and paper differ most (R before G before B on ties) is the grey when it beats
   luma's difference (0.299 R + 0.587 G + 0.114 B, ITU-R 601, of the same two colours) by GRAY_MARGIN:
   red ink is darkest in green, so its faint strokes gain contrast. Otherwise the grey is luma, so black
   ink, pencil, drawings and colour maps keep their usual grey.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pymodel.preprocess import MAX_SIDE
from pymodel.raster import scale_box

MAX_PIXELS = 40_000_000
LUMA = (0.299, 0.587, 0.114)
GRAY_SAMPLE = 65536
PAPER_CHROMA = 0.15
INK_CHROMA = 0.15
INK_MIN_PIXELS = 8
INK_MIN_FRACTION = 0.001
INK_MAX_FRACTION = 0.25
GRAY_MARGIN = 1.2
JPEG_SCALE_MIN_SIDE = 64


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


def _median(values: np.ndarray) -> float:
    v = np.sort(values)
    return float(v[len(v) // 2])


def ink_channel(rgb: np.ndarray) -> int:
    """-1 for luma, else the channel (0 R, 1 G, 2 B) that separates coloured ink from paper best."""
    flat = rgb.reshape(-1, 3)
    sample = flat[::max(1, len(flat) // GRAY_SAMPLE)]
    paper = [_median(sample[:, c]) for c in range(3)]
    if max(paper) - min(paper) > PAPER_CHROMA:
        return -1  # not paper: a colour map, a photo of something else
    chroma = sample.max(axis=1) - sample.min(axis=1)
    inky = sample[chroma >= max(paper) - min(paper) + INK_CHROMA]
    if not max(INK_MIN_PIXELS, INK_MIN_FRACTION * len(sample)) <= len(inky) <= INK_MAX_FRACTION * len(sample):
        return -1
    ink = [_median(inky[:, c]) for c in range(3)]
    diff = [abs(paper[c] - ink[c]) for c in range(3)]
    luma = abs(LUMA[0] * (paper[0] - ink[0]) + LUMA[1] * (paper[1] - ink[1]) + LUMA[2] * (paper[2] - ink[2]))
    best = max(range(3), key=diff.__getitem__)
    return best if diff[best] >= GRAY_MARGIN * luma else -1


def rgba_to_gray_array(rgba: np.ndarray) -> np.ndarray:
    """[H, W, 4] RGBA in [0, 1] -> [H, W] ink-separating grey (see the module docstring)."""
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + (1.0 - alpha)
    channel = ink_channel(rgb)
    if channel >= 0:
        return np.ascontiguousarray(rgb[..., channel])
    return rgb[..., 0] * LUMA[0] + rgb[..., 1] * LUMA[1] + rgb[..., 2] * LUMA[2]


def reduce_blocks_array(gray: np.ndarray, k: int) -> np.ndarray:
    """NumPy version of preprocess.reduce_blocks (k x k block means, partial edge blocks averaged over
    what they cover), for photos of many megapixels; equality is tested."""
    h, w = gray.shape
    ph, pw = -h % k, -w % k
    padded = np.pad(gray, ((0, ph), (0, pw)))
    counts = np.pad(np.ones_like(gray), ((0, ph), (0, pw)))
    shape = (padded.shape[0] // k, k, padded.shape[1] // k, k)
    return padded.reshape(shape).sum(axis=(1, 3)) / counts.reshape(shape).sum(axis=(1, 3))


@dataclass
class GrayImage:
    gray: np.ndarray  # [H, W] in [0, 1], 0 black, longer side <= preprocess.MAX_SIDE
    scale: int  # one grey pixel is a scale x scale block of the file's pixels (1: not reduced)
    source_width: int  # the file's size after EXIF orientation
    source_height: int

    def source_box(self, box: list[int] | None) -> list[int] | None:
        """A box [x, y, w, h] in pixels of `gray` -> pixels of the file."""
        return None if box is None else scale_box(box, self.scale, self.source_width, self.source_height)


def jpeg_scale(width: int, height: int) -> int:
    """How many times smaller a JPEG of this size is decoded (1, 2, 4 or 8). A JPEG stores 8x8 blocks of
    frequencies, so libjpeg can give 1/2, 1/4 or 1/8 of the size from the low ones alone (Pillow's draft),
    at a fraction of the work. The scale divides the block reduction to MAX_SIDE, so the grey ends at the
    size a full decode gives. The page decodes the same way (jpegScale in web/js/decode-image.js). A sliver
    of an image (shorter side under JPEG_SCALE_MIN_SIDE) is decoded whole: libjpeg's scale for it would
    not be s in every decoder."""
    if min(width, height) < JPEG_SCALE_MIN_SIDE:
        return 1
    k = -(-max(width, height) // MAX_SIDE)
    s = 1
    while s < 8 and k % (2 * s) == 0:
        s *= 2
    return s


def load_gray(path: str | Path) -> GrayImage:
    """The file's ink-separating grey, reduced by block averaging so the longer side is <= MAX_SIDE."""
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
                raise ImageFileError(f"the image is {w}x{h} ({w * h / 1e6:.0f} megapixels); "
                                     f"the limit is {MAX_PIXELS / 1e6:.0f}")
            img.seek(0)  # first frame of an animation
            scale = jpeg_scale(w, h) if img.format == "JPEG" else 1
            if scale > 1:
                # Asking for w // s gives the scale s (Pillow takes the largest of 8, 4, 2 that fits).
                img.draft(img.mode, (w // scale, h // scale))
                if img.getexif().get(0x0112) in (5, 6, 7, 8):
                    w, h = h, w  # the file's size once upright: boxes are mapped back to it
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
    image = gray_image(img)
    # Decoded at 1/scale: one grey pixel covers scale times more of the file's pixels each way.
    return image if scale == 1 else GrayImage(image.gray, image.scale * scale, w, h)


def gray_image(img: Image.Image) -> GrayImage:
    """A decoded image -> its ink-separating grey, reduced by block averaging to at most MAX_SIDE a side."""
    gray = rgba_to_gray_array(_to_rgba_float(img))
    h, w = gray.shape
    k = -(-max(w, h) // MAX_SIDE)
    if k > 1:
        gray = reduce_blocks_array(gray, k)
    return GrayImage(gray, k, w, h)
