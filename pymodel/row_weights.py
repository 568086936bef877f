"""The row reader's weights (training/row_model.py): a JSON manifest plus an .npz, validated before use, as
pymodel.weights does for the digit classifier.

Manifest (`rows.json`):
    format, format_version       "digits-row-ctc", 1; a different version is refused, not guessed at
    weights {file, sha256, bytes} the .npz next to it, checked byte for byte
    input {height, stride, channels} a picture `height` px high and any multiple of `stride` px wide
                                 (pymodel.rows.row_image); one output column per `stride` px
    layers                       pad {top, bottom, left, right} (zeros) /
                                 conv2d {name, filters, kernel [h, w], activation "relu" | "linear"} (valid, stride 1) /
                                 maxpool2d {size [h, w]} (stride = size)
    tensors {name: {shape, dtype}} every array in the .npz: `<conv>.kernel` [kh, kw, cin, filters], `<conv>.bias`
    labels                       "0".."9", "blank": the classes of each column's logits (CTC's blank last)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.rows import HEIGHT, STRIDE
from pymodel.weights import DIGIT_LABELS, WeightsError, _fail, read_json_manifest, read_tensors

FORMAT = "digits-row-ctc"
FORMAT_VERSION = 1
MANIFEST_NAME = "rows.json"
NPZ_NAME = "rows.npz"
DEFAULT_DIR = Path(__file__).resolve().parent / "weights"
LABELS = DIGIT_LABELS + ["blank"]
ACTIVATIONS = ("relu", "linear")
REBUILD = "Re-export them with `python -m training.export_rows` or restore them from git."

__all__ = ["RowWeights", "WeightsError", "load_row_weights"]


@dataclass
class RowWeights:
    manifest: dict[str, Any]
    # name -> (shape, flat row-major list of floats), as pymodel.weights.Weights
    tensors: dict[str, tuple[tuple[int, ...], list[float]]]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self.manifest["layers"]

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])


def _ints(layer: dict[str, Any], key: str, count: int) -> list[int]:
    """layer[key] as `count` integers (one integer when count is 1); KeyError/ValueError/TypeError if not."""
    value = layer[key]
    values = [value] if count == 1 else list(value)
    if len(values) != count or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{key!r} must be {count} integer(s)")
    return values


def _expected_tensors(manifest: dict[str, Any], where: Path) -> dict[str, tuple[int, ...]]:
    """Walk the layers from the input and derive every tensor's shape. The width is any multiple of the
    stride, so rather than a width the walk checks that convolutions keep it (their padding adds kernel
    width - 1 columns) and that the pools divide it by exactly the stride: one output column per stride px."""
    def fail(problem: str) -> WeightsError:
        return _fail(where, problem, REBUILD)

    inp = manifest.get("input") or {}
    if (inp.get("height"), inp.get("stride"), inp.get("channels")) != (HEIGHT, STRIDE, 1):
        raise fail(f"manifest 'input' must be height {HEIGHT}, stride {STRIDE}, channels 1, as pymodel.rows makes "
                   f"the picture; got {inp!r}")
    h, c, shrink = HEIGHT, 1, 1
    pad_h = pad_w = 0  # padding since the last convolution
    shapes: dict[str, tuple[int, ...]] = {}
    layers = manifest.get("layers") or []
    if not layers:
        raise fail("manifest lists no layers")
    for i, layer in enumerate(layers):
        kind = layer.get("type") if isinstance(layer, dict) else None
        try:
            if kind == "pad":
                top, bottom, left, right = (_ints(layer, k, 1)[0] for k in ("top", "bottom", "left", "right"))
                if min(top, bottom, left, right) < 0:
                    raise ValueError("padding cannot be negative")
                h, pad_h, pad_w = h + top + bottom, pad_h + top + bottom, pad_w + left + right
            elif kind == "conv2d":
                name, f = str(layer["name"]), _ints(layer, "filters", 1)[0]
                kh, kw = _ints(layer, "kernel", 2)
                if min(f, kh, kw) < 1 or layer.get("activation") not in ACTIVATIONS:
                    raise ValueError(f"needs positive filters and kernel and an activation in {ACTIVATIONS}")
                if pad_w != kw - 1:
                    raise ValueError(f"a {kh}x{kw} kernel after {pad_w} columns of padding would change the width")
                if f"{name}.kernel" in shapes:
                    raise ValueError(f"the name {name!r} is used twice")
                shapes[f"{name}.kernel"], shapes[f"{name}.bias"] = (kh, kw, c, f), (f,)
                h, c, pad_h, pad_w = h - kh + 1, f, 0, 0
            elif kind == "maxpool2d":
                ph, pw = _ints(layer, "size", 2)
                if pad_h or pad_w:
                    raise ValueError("padding must come right before a convolution")
                if min(ph, pw) < 1:
                    raise ValueError("pool sizes must be positive")
                h, shrink = h // ph, shrink * pw
            else:
                raise fail(f"layer {i} has unknown type {kind!r} (known: pad, conv2d, maxpool2d)")
        except (KeyError, TypeError, ValueError) as exc:
            raise fail(f"layer {i} ({kind}) is malformed: {exc}") from None
        if h < 1:
            raise fail(f"layer {i} ({kind}) shrinks the picture's height to nothing")
    last = layers[-1]
    if last.get("type") != "conv2d" or last.get("activation") != "linear":
        raise fail("the last layer must be a linear conv2d giving the logits")
    if pad_h or pad_w:
        raise fail("padding after the last convolution")
    if h != 1:
        raise fail(f"the logits are {h} px high; the layers must bring the height to 1")
    if shrink != STRIDE:
        raise fail(f"the pools narrow the picture {shrink}-fold; one column per {STRIDE} px needs {STRIDE}-fold")
    if c != len(LABELS):
        raise fail(f"the last layer outputs {c} classes but there are {len(LABELS)} labels")
    return shapes


def read_row_manifest(weights_dir: Path) -> dict[str, Any]:
    path = Path(weights_dir) / MANIFEST_NAME
    manifest = read_json_manifest(path, FORMAT, FORMAT_VERSION, REBUILD)
    if manifest.get("labels") != LABELS:
        raise _fail(path, f"labels must be {LABELS!r}; got {manifest.get('labels')!r}", REBUILD)
    return manifest


def load_row_weights(weights_dir: str | Path = DEFAULT_DIR) -> RowWeights:
    """Read and validate rows.json and its .npz; raise WeightsError naming the first problem."""
    weights_dir = Path(weights_dir)
    manifest = read_row_manifest(weights_dir)
    expected = _expected_tensors(manifest, weights_dir / MANIFEST_NAME)
    return RowWeights(manifest, read_tensors(weights_dir, manifest, expected, REBUILD))
