from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import MNIST, SHIPPED_WEIGHTS


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    from pymodel.idx import read_idx
    return read_idx(MNIST / "t10k-images-idx3-ubyte"), read_idx(MNIST / "t10k-labels-idx1-ubyte")


@pytest.fixture
def weights_copy(tmp_path: Path) -> Path:
    """A scratch copy of the shipped weights that a test may damage."""
    dest = tmp_path / "weights"
    shutil.copytree(SHIPPED_WEIGHTS, dest)
    return dest
