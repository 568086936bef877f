"""The shipped weights: a JSON manifest plus an .npz, validated before anything runs on them.

Manifest (`digits.json`):
    format, format_version       what wrote it; a different version is refused, not guessed at
    weights {file, sha256, bytes} the .npz next to it, checked byte for byte
    input {height, width, channels, layout, range, ink}
    preprocessing                the parameters of pymodel.preprocess, for the record
    layers                       conv2d (valid padding, stride 1, ReLU) / maxpool2d / flatten / dense
    tensors {name: {shape, dtype}} every array in the .npz, BatchNorm already folded in
    labels                       output classes: "0".."9", optionally "not_a_digit" (absent: the ten digits)
    unsure_threshold             below this confidence the app says "unsure"
    reject_threshold             11-class models: p(not_a_digit) at or above it means "not a digit"
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.checksum import sha256_bytes
from pymodel.npz import NpzError, read_npz

FORMAT = "digits-cnn"
FORMAT_VERSION = 1
MANIFEST_NAME = "digits.json"
NPZ_NAME = "digits.npz"
DEFAULT_DIR = Path(__file__).resolve().parent / "weights"
ALLOWED_DTYPES = ("float16", "float32")


class WeightsError(ValueError):
    """The weights or their manifest are missing, corrupt or inconsistent."""


@dataclass
class Weights:
    manifest: dict[str, Any]
    # name -> (shape, flat row-major list of floats); the NumPy backend reshapes these itself.
    tensors: dict[str, tuple[tuple[int, ...], list[float]]]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self.manifest["layers"]

    @property
    def unsure_threshold(self) -> float:
        return float(self.manifest["unsure_threshold"])

    @property
    def labels(self) -> list[str]:
        return class_labels(self.manifest)

    @property
    def reject_threshold(self) -> float | None:
        """None for a 10-class model, which never says "not a digit"."""
        return float(self.manifest["reject_threshold"]) if len(self.labels) == 11 else None


REBUILD = "Rebuild the weights with `python build.py train` or restore them from git."


def _fail(where: Path, problem: str, remedy: str = REBUILD) -> WeightsError:
    return WeightsError(f"{where}: {problem}. {remedy}")


def _expected_tensors(manifest: dict[str, Any], where: Path) -> dict[str, tuple[int, ...]]:
    """Walk the layer list from the input shape and derive every tensor's shape."""
    inp = manifest.get("input", {})
    try:
        h, w, c = int(inp["height"]), int(inp["width"]), int(inp["channels"])
    except (KeyError, TypeError, ValueError):
        raise _fail(where, "manifest 'input' needs integer height, width and channels") from None
    shapes: dict[str, tuple[int, ...]] = {}
    flat = None
    for i, layer in enumerate(manifest.get("layers") or []):
        kind = layer.get("type")
        if kind == "conv2d":
            k, f = int(layer["kernel_size"]), int(layer["filters"])
            shapes[f"{layer['name']}.kernel"] = (k, k, c, f)
            shapes[f"{layer['name']}.bias"] = (f,)
            h, w, c = h - k + 1, w - k + 1, f
        elif kind == "maxpool2d":
            s = int(layer["size"])
            h, w = h // s, w // s
        elif kind == "flatten":
            flat = h * w * c
        elif kind == "dense":
            if flat is None:
                raise _fail(where, f"layer {i} (dense) must follow a flatten layer")
            units = int(layer["units"])
            shapes[f"{layer['name']}.kernel"] = (flat, units)
            shapes[f"{layer['name']}.bias"] = (units,)
            flat = units
        else:
            raise _fail(where, f"layer {i} has unknown type {kind!r}")
        if h < 1 or w < 1:
            raise _fail(where, f"layer {i} ({kind}) shrinks the image to nothing")
    if not shapes:
        raise _fail(where, "manifest lists no layers")
    labels = class_labels(manifest)
    if flat != len(labels):
        raise _fail(where, f"the last layer outputs {flat} classes but the manifest lists {len(labels)} labels")
    return shapes


DIGIT_LABELS = [str(d) for d in range(10)]
REJECT_LABEL = "not_a_digit"


def class_labels(manifest: dict[str, Any]) -> list[str]:
    """The output classes: the ten digits, optionally followed by "not_a_digit" (a manifest without
    `labels` is an older 10-class one)."""
    return list(manifest.get("labels") or DIGIT_LABELS)


def read_json_manifest(path: Path, fmt: str, version: int, remedy: str = REBUILD) -> dict[str, Any]:
    """The manifest at path, refused unless it is valid JSON of this format and version."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(path, "manifest is missing", remedy) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"manifest is not valid JSON ({exc})", remedy) from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise _fail(path, f"not a {fmt} manifest", remedy)
    got = manifest.get("format_version")
    if got != version:
        raise _fail(path, f"format_version {got!r} is not supported (this pymodel reads version {version})", remedy)
    return manifest


def read_manifest(weights_dir: Path) -> dict[str, Any]:
    path = Path(weights_dir) / MANIFEST_NAME
    manifest = read_json_manifest(path, FORMAT, FORMAT_VERSION)
    threshold = manifest.get("unsure_threshold")
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise _fail(path, "unsure_threshold must be a number between 0 and 1")
    labels = class_labels(manifest)
    if labels not in (DIGIT_LABELS, DIGIT_LABELS + [REJECT_LABEL]):
        raise _fail(path, f'labels must be "0".."9", optionally followed by "{REJECT_LABEL}"; got {labels!r}')
    if len(labels) == 11:
        reject = manifest.get("reject_threshold")
        if isinstance(reject, bool) or not isinstance(reject, (int, float)) or not 0.0 < reject <= 1.0:
            raise _fail(path, f'a model with a "{REJECT_LABEL}" class needs reject_threshold, a number in (0, 1]')
    return manifest


def load_weights(weights_dir: str | Path = DEFAULT_DIR) -> Weights:
    """Read and validate the manifest and its .npz; raise WeightsError naming the first problem."""
    weights_dir = Path(weights_dir)
    manifest = read_manifest(weights_dir)
    expected = _expected_tensors(manifest, weights_dir / MANIFEST_NAME)
    return Weights(manifest, read_tensors(weights_dir, manifest, expected))


def read_tensors(weights_dir: Path, manifest: dict[str, Any], expected: dict[str, tuple[int, ...]],
                 remedy: str = REBUILD) -> dict[str, tuple[tuple[int, ...], list[float]]]:
    """The manifest's .npz, checked byte for byte against its sha256, holding exactly the expected arrays
    (name -> shape) as finite float16/float32 of the dtypes the manifest declares."""
    info = manifest.get("weights") or {}
    npz_path = weights_dir / str(info.get("file", ""))
    if not info.get("file") or not npz_path.is_file():
        raise _fail(npz_path, "weights file is missing", remedy)
    data = npz_path.read_bytes()
    digest = sha256_bytes(data)
    if digest != info.get("sha256"):
        raise _fail(npz_path, f"sha256 {digest} does not match the manifest's {info.get('sha256')} "
                              "(corrupt or replaced file)", remedy)

    try:
        arrays = read_npz(data)
    except NpzError as exc:
        raise _fail(npz_path, str(exc), remedy) from None
    declared = manifest.get("tensors") or {}
    tensors = {}
    for name, shape in expected.items():
        if name not in arrays:
            raise _fail(npz_path, f"array {name!r} is missing", remedy)
        got_shape, dtype, values = arrays[name]
        if got_shape != shape:
            raise _fail(npz_path, f"array {name!r} has shape {got_shape}, the layers need {shape}", remedy)
        if dtype not in ALLOWED_DTYPES or declared.get(name, {}).get("dtype") != dtype:
            raise _fail(npz_path, f"array {name!r} is {dtype}, the manifest says {declared.get(name, {}).get('dtype')}",
                        remedy)
        if any(v != v or v in (float("inf"), float("-inf")) for v in values):
            raise _fail(npz_path, f"array {name!r} contains NaN or infinity", remedy)
        tensors[name] = (shape, values)
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise _fail(npz_path, f"unexpected arrays {extra}", remedy)
    return tensors
