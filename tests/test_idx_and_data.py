import shutil
import struct

import numpy as np
import pytest

from pymodel.idx import IdxError, parse_idx, read_idx
from tests.helpers import MNIST
from training import data


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_parse_round_trip():
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = parse_idx(idx_bytes(arr))
    assert out.shape == (2, 3, 4) and (out == arr).all()


@pytest.mark.parametrize("damage, message", [
    (lambda b: b"\x01" + b[1:], "magic"),
    (lambda b: b[:-1], "header says shape"),
    (lambda b: b[:6], "truncated"),
    (lambda b: b[:2] + b"\x42" + b[3:], "element type"),
])
def test_parse_rejects_bad_files(damage, message):
    good = idx_bytes(np.zeros((2, 5), np.uint8))
    with pytest.raises(IdxError, match=message):
        parse_idx(damage(good))


def test_full_mnist_loads_with_checksums():
    images, labels = data.load_split("t10k")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_images, train_labels = data.load_split("train")
    assert train_images.shape == (60000, 28, 28) and len(train_labels) == 60000


def test_corrupt_data_file_is_refused(tmp_path):
    for name in data.SHA256:
        shutil.copy(MNIST / name, tmp_path / name)
    path = tmp_path / "t10k-labels-idx1-ubyte"
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match="corrupt.*npm ci"):
        data.load_split("t10k", tmp_path)


def test_missing_data_file_says_how_to_fix(tmp_path):
    with pytest.raises(data.DataError, match="missing.*npm ci"):
        data.load_split("train", tmp_path)


def test_read_idx_reads_the_real_labels():
    labels = read_idx(MNIST / "t10k-labels-idx1-ubyte")
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
