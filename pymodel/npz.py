"""Read .npz weight files with the standard library alone.

Pyodide may have no NumPy, so the pure-Python backend cannot call numpy.load. An .npz is a zip of .npy
files; each .npy is a magic string, a small Python-literal header (dtype, order, shape) and raw data.
Only what the weights use is supported: little-endian float16/float32, C order. Object arrays (pickles)
are refused, as numpy.load(allow_pickle=False) would.
"""
from __future__ import annotations

import ast
import io
import struct
import zipfile

_MAGIC = b"\x93NUMPY"
_FORMATS = {"<f2": "e", "<f4": "f", "<f8": "d"}


class NpzError(ValueError):
    """The bytes are not an .npz of plain float arrays."""


def _parse_npy(name: str, data: bytes) -> tuple[tuple[int, ...], str, list[float]]:
    if not data.startswith(_MAGIC) or len(data) < 10:
        raise NpzError(f"{name}: not an .npy array")
    major = data[6]
    if major == 1:
        header_len, start = struct.unpack("<H", data[8:10])[0], 10
    elif major in (2, 3):
        header_len, start = struct.unpack("<I", data[8:12])[0], 12
    else:
        raise NpzError(f"{name}: unsupported .npy version {major}")
    try:
        header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
        descr, fortran, shape = header["descr"], header["fortran_order"], tuple(header["shape"])
    except (ValueError, SyntaxError, KeyError, TypeError) as exc:
        raise NpzError(f"{name}: unreadable .npy header ({exc})") from None
    if descr not in _FORMATS:
        raise NpzError(f"{name}: dtype {descr!r} is not a little-endian float")
    if fortran:
        raise NpzError(f"{name}: Fortran-ordered arrays are not supported")
    count = 1
    for n in shape:
        count *= n
    code = _FORMATS[descr]
    body = data[start + header_len:]
    if len(body) != count * struct.calcsize(code):
        raise NpzError(f"{name}: shape {shape} needs {count * struct.calcsize(code)} bytes, file has {len(body)}")
    values = list(struct.unpack(f"<{count}{code}", body))
    dtype = {"e": "float16", "f": "float32", "d": "float64"}[code]
    return shape, dtype, values


def read_npz(data: bytes) -> dict[str, tuple[tuple[int, ...], str, list[float]]]:
    """Map each array name to (shape, dtype name, flat row-major list of floats)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        arrays = {}
        for member in names:
            if not member.endswith(".npy"):
                raise NpzError(f"{member}: unexpected file in the .npz")
            arrays[member[:-4]] = _parse_npy(member, archive.read(member))
        return arrays
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise NpzError(f"not a valid .npz archive ({exc})") from None
