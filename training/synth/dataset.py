"""Realistic scenes through the run-time preprocessing, as 28x28 training arrays, cached under build/.

Each scene is decoded the way pymodel.imageio decodes a file (JPEG artefacts included, RGBA -> grey,
reduced to preprocess.MAX_SIDE) and passed through pymodel.preprocess.preprocess, exactly as at run
time. The preprocessing is pure Python, so scenes are made in worker processes (one per core), in chunks
whose results do not depend on which worker made them. A request may also ask for whole numbers: their
training crops are the candidates of the run-time number reader, labelled by training.synth.number_crops.

The cache file name is a hash of every line of code that shapes the arrays (this package, the
preprocessing, the image decoding) and of the request (split, counts, seed): change any of them and the
arrays are made again.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "build" / "synth"
NOT_A_DIGIT = 10  # class index of "not_a_digit" (TEAM.md interface 2: labels "0".."9", "not_a_digit")
CHUNK = 200
KEPT, EMPTY, MISSED = 0, 1, 2  # what became of each scene
# Every pymodel module: the preprocessing is spread over several (ink, lines, locate, normalize, ...) and
# the number crops come from segment.py.
CODE_FILES = [*sorted((ROOT / "training" / "synth").glob("*.py")), *sorted((ROOT / "pymodel").glob("*.py")),
              ROOT / "training" / "data.py"]


@dataclass(frozen=True)
class Request:
    split: str  # train | val (evaluation images are files: training.evalsets)
    digits: int
    non_digits: int
    seed: int = 0
    numbers: int = 0  # synthetic numbers whose reader candidates become training crops


def code_hash() -> str:
    h = hashlib.sha256()
    for path in CODE_FILES:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_path(req: Request) -> Path:
    key = hashlib.sha256(f"{code_hash()}|{req}".encode()).hexdigest()[:16]
    return CACHE_DIR / f"{req.split}-{req.digits}d-{req.non_digits}n-s{req.seed}-{key}.npz"


# The region the preprocessing read "found" the writing when it holds most of it (MIN_COVERED of the true
# box's area) and is not mostly something else (the true box is at least MIN_SHARE of it).
MIN_COVERED = 0.6
MIN_SHARE = 0.35


def region_found(read_box, true_box) -> bool | None:
    """Did the region read ([x, y, w, h]) find the writing? None when either box is unknown."""
    if not read_box or not true_box:
        return None
    ax, ay, aw, ah = read_box
    bx, by, bw, bh = true_box
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter >= MIN_COVERED * bw * bh and inter >= MIN_SHARE * aw * ah


def scene_to_28(scene) -> tuple[np.ndarray | None, list[float] | None]:
    """The run-time path from an image to the model's input: (28x28 or None when preprocessing finds the
    image empty, the region read in the scene's pixels when the preprocessing reports one)."""
    from pymodel.imageio import gray_image
    from pymodel.preprocess import preprocess
    img = gray_image(scene.pixels())
    h, w = img.gray.shape
    pre = preprocess(img.gray.ravel().tolist(), w, h)
    if pre.empty:
        return None, None
    return np.asarray(pre.image28, np.float32).reshape(28, 28), img.source_box(pre.box)


def _pack(images: list[np.ndarray], status: list[int], labels: list[int], cpu: float):
    return (np.clip(np.stack(images) * 255.0 + 0.5, 0, 255).astype(np.uint8), np.array(status, np.uint8),
            np.array(labels, np.uint8), cpu)


def _make_chunk(args: tuple[str, str, int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(images, status, labels, CPU seconds) of scenes start..stop-1 of one kind; for "number", the
    labelled candidate crops of those numbers (a number without any gives one EMPTY placeholder)."""
    split, kind, seed, start, stop = args
    images, status, labels = [], [], []
    cpu = time.process_time()
    if kind == "number":
        from training.synth.number_crops import number_crops
        for i in range(start, stop):
            crops, crop_labels = number_crops(split, i, seed)
            images += crops or [np.zeros((28, 28), np.float32)]
            labels += crop_labels or [NOT_A_DIGIT]
            status += [KEPT] * len(crops) or [EMPTY]
        return _pack(images, status, labels, time.process_time() - cpu)
    from training.synth.scene import render
    for i in range(start, stop):
        scene = render(split, kind, i, seed)
        x, box = scene_to_28(scene)
        # A digit whose region was missed (the crop holds a line, a shadow or a neighbour instead) is not
        # trained on as that digit: it would teach the model to see digits in clutter.
        missed = kind == "digit" and region_found(box, scene.box) is False
        status.append(EMPTY if x is None else MISSED if missed else KEPT)
        labels.append(int(scene.label) if kind == "digit" else NOT_A_DIGIT)
        images.append(np.zeros((28, 28), np.float32) if x is None else x)
    return _pack(images, status, labels, time.process_time() - cpu)


def generate(req: Request, workers: int | None = None, verbose: bool = True) -> dict[str, np.ndarray]:
    """Make (or load from the cache) the arrays of a request: images uint8 [N, 28, 28] (light ink on
    black), labels uint8 [N] (10 = not a digit); how many scenes preprocessing found empty or (digits) read
    elsewhere than the digit, which are left out; and the CPU seconds the scenes cost. With numbers, also
    number_images / number_labels (the reader's labelled candidates) and numbers_without_candidates."""
    path = cache_path(req)
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    started = time.time()
    jobs = []
    for kind, count in (("digit", req.digits), ("not_a_digit", req.non_digits), ("number", req.numbers)):
        jobs += [(req.split, kind, req.seed, s, min(count, s + CHUNK)) for s in range(0, count, CHUNK)]
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    # spawn, not fork: the caller may already hold TensorFlow's threads, which do not survive a fork.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_make_chunk, jobs, chunksize=1)
    kinds = [job[1] for job in jobs]
    scenes = [p for p, kind in zip(parts, kinds) if kind != "number"]
    crops = [p for p, kind in zip(parts, kinds) if kind == "number"]
    images = np.concatenate([p[0] for p in scenes])
    status = np.concatenate([p[1] for p in scenes])
    labels = np.concatenate([p[2] for p in scenes])
    cpu = sum(p[3] for p in parts)
    keep = status == KEPT
    out = {"images": images[keep], "labels": labels[keep],
           "empty_digits": np.array(int((status[:req.digits] == EMPTY).sum())),
           "empty_non_digits": np.array(int((status[req.digits:] == EMPTY).sum())),
           "missed_digits": np.array(int((status == MISSED).sum())),
           "cpu_seconds": np.array(round(cpu, 1))}
    if crops:
        crop_images = np.concatenate([p[0] for p in crops])
        crop_status = np.concatenate([p[1] for p in crops])
        crop_labels = np.concatenate([p[2] for p in crops])
        crop_keep = crop_status == KEPT
        out.update({"number_images": crop_images[crop_keep], "number_labels": crop_labels[crop_keep],
                    "numbers_without_candidates": np.array(int((crop_status == EMPTY).sum()))})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **out)
    tmp.replace(path)
    if verbose:
        made = f", {req.numbers:,} numbers -> {len(out['number_labels']):,} crops" if crops else ""
        print(f"Made {req.digits + req.non_digits:,} {req.split} scenes{made} in {time.time() - started:.0f} s "
              f"({workers} processes, {cpu:.0f} CPU s): {int(out['empty_digits'])} digits and "
              f"{int(out['empty_non_digits'])} non-digits came out empty, {int(out['missed_digits'])} digits' "
              f"regions were missed by the preprocessing -> {path.relative_to(ROOT)}", flush=True)
    return out
