"""Training rows for the row reader (training/row_model.py): synthetic numbers (and some single digits)
through the run-time path to pymodel.rows.row_image, with the digits written as the label.

    row_sample(split, index, seed) -> (uint8 HEIGHT x width, label) | None
    generate_rows(split, count, seed) -> {"pixels", "widths", "labels", "styles"}   (cached under build/synth)

Every SINGLE-th item is a single digit (training.synth.scene "digit"), so a lone digit reads as itself, and
every NON_DIGIT-th (offset by half of it) a non-digit (a letter, a shape, a scribble: scene "not_a_digit")
labelled with no digits at all, so the row reader reads nothing there instead of the digits the strokes look
most like (segment.py's ROW_SURE trusts it only when it is sure). An item whose row the run-time path does not
find, or finds too narrow for its digits to be told apart (fewer than 2 columns per digit, plus one), is left
out: a label the picture cannot hold would teach the model to invent digits.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time

import numpy as np

from training.synth.dataset import CACHE_DIR, ROOT, code_hash

SINGLE = 8
NON_DIGIT = 8
CHUNK = 500


def row_sample(split: str, index: int, seed: int = 0) -> tuple[np.ndarray, str, str] | None:
    """(row picture as uint8, the digits written, style "drawing"/"photo" + "/touching"), or None."""
    from pymodel.imageio import gray_image
    from pymodel.preprocess import analyse
    from pymodel.rows import HEIGHT, STRIDE, row_image
    from pymodel.segment import build_row
    from training.synth.numbers import render_number
    from training.synth.scene import render
    if index % SINGLE == SINGLE - 1:
        scene = render(split, "digit", index, seed)
    elif index % NON_DIGIT == NON_DIGIT // 2 - 1:
        scene = render(split, "not_a_digit", index, seed)
    else:
        scene = render_number(split, index, seed)
    img = gray_image(scene.pixels())
    h, w = img.gray.shape
    page = analyse(img.gray.ravel().tolist(), w, h)
    if page.empty:
        return None
    label = "" if scene.kind == "not_a_digit" else scene.label
    row = row_image(page, build_row(page))
    if row is None or row.width // STRIDE < 2 * len(label) + 1:
        return None
    pixels = np.clip(np.asarray(row.pixels, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    style = scene.style + ("/touching" if "touching" in scene.distortions else "")
    return pixels.reshape(HEIGHT, row.width), label, style


def _chunk(args: tuple[str, int, int, int]) -> list[tuple[np.ndarray, str, str]]:
    split, seed, start, stop = args
    return [s for s in (row_sample(split, i, seed) for i in range(start, stop)) if s is not None]


def cache_path(split: str, count: int, seed: int):
    key = hashlib.sha256(f"{code_hash()}|rows|{split}|{count}|{seed}".encode()).hexdigest()[:16]
    return CACHE_DIR / f"rows-{split}-{count}-s{seed}-{key}.npz"


def generate_rows(split: str, count: int, seed: int = 0, workers: int | None = None,
                  verbose: bool = True) -> dict[str, np.ndarray]:
    """Make (or load from the cache) `count` items' rows: pixels (all rows' uint8 values, row after row),
    widths, labels and styles. The rows do not depend on how many workers made them."""
    path = cache_path(split, count, seed)
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    started = time.time()
    jobs = [(split, seed, s, min(count, s + CHUNK)) for s in range(0, count, CHUNK)]
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        rows = [r for part in pool.map(_chunk, jobs, chunksize=1) for r in part]
    out = {"pixels": np.concatenate([r[0].ravel() for r in rows]), "widths": np.array([r[0].shape[1] for r in rows]),
           "labels": np.array([r[1] for r in rows]), "styles": np.array([r[2] for r in rows])}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(path)
    if verbose:
        print(f"Made {len(rows):,} {split} rows of {count:,} items in {time.time() - started:.0f} s "
              f"({workers} processes) -> {path.relative_to(ROOT)}", flush=True)
    return out


def unpack(data: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The rows of generate_rows as HEIGHT x width arrays."""
    from pymodel.rows import HEIGHT
    out, off = [], 0
    pixels = data["pixels"]
    for w in data["widths"]:
        n = HEIGHT * int(w)
        out.append(pixels[off:off + n].reshape(HEIGHT, int(w)))
        off += n
    return out
