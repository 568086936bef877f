"""Export the trained row reader (training/row_model.py): rows.json + rows.npz for pymodel
(pymodel/row_weights.py) and a TF.js graph model for the page (web/js/tfjs-engine.js).

    python -m training.export_rows [--model training/row_reader/row_reader.keras] [--out pymodel/weights]
                                   [--tfjs web/model/rows]

The layer list is read off the Keras model itself rather than row_model.PLAN, so a model trained on an
earlier plan exports as it is. Weights are rounded to float16, as the digit classifier's are
(training/export.py), and the TF.js model is converted from a Keras model rebuilt from the manifest's layers
and those rounded weights (`row_inference_model`), so every engine computes with exactly the same numbers.
The TF.js model takes [batch, 32, width, 1] with any width a multiple of 4 and gives [batch, width / 4, 11].
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import keras
import numpy as np

from pymodel.row_weights import DEFAULT_DIR, FORMAT, FORMAT_VERSION, LABELS, MANIFEST_NAME, NPZ_NAME
from pymodel.rows import HEIGHT, STRIDE
from training.export import export_tfjs, write_npz

DEFAULT_MODEL = Path(__file__).resolve().parent / "row_reader" / "row_reader.keras"
# Inside the digit model's folder, which build_site.py copies whole; export_tfjs leaves subfolders alone.
DEFAULT_TFJS_DIR = Path(__file__).resolve().parent.parent / "web" / "model" / "rows"


def _pair(value) -> list[int]:
    return [int(v) for v in (value if isinstance(value, (tuple, list)) else (value, value))]


def row_layers(model: keras.Model) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The manifest's layer list and the float16 tensors, in the model's order."""
    manifest_layers, tensors = [], {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.ZeroPadding2D):
            (top, bottom), (left, right) = layer.padding
            manifest_layers.append({"type": "pad", "top": int(top), "bottom": int(bottom),
                                    "left": int(left), "right": int(right)})
        elif isinstance(layer, keras.layers.Conv2D):
            # pymodel runs valid, stride-1, undilated convolutions only; anything else must not slip through.
            if (layer.padding != "valid" or _pair(layer.strides) != [1, 1] or _pair(layer.dilation_rate) != [1, 1]
                    or layer.data_format != "channels_last" or not layer.use_bias):
                raise ValueError(f"layer {layer.name}: only valid, stride-1, biased channels-last Conv2D is exported")
            activation = layer.activation.__name__
            if activation not in ("relu", "linear"):
                raise ValueError(f"layer {layer.name}: activation {activation!r} is not supported")
            kernel, bias = layer.get_weights()
            manifest_layers.append({"type": "conv2d", "name": layer.name, "filters": int(kernel.shape[3]),
                                    "kernel": [int(kernel.shape[0]), int(kernel.shape[1])], "activation": activation})
            tensors[f"{layer.name}.kernel"], tensors[f"{layer.name}.bias"] = kernel, bias
        elif isinstance(layer, keras.layers.MaxPooling2D):
            if _pair(layer.strides) != _pair(layer.pool_size) or layer.padding != "valid":
                raise ValueError(f"layer {layer.name}: only valid pooling with stride = pool size is exported")
            manifest_layers.append({"type": "maxpool2d", "size": _pair(layer.pool_size)})
        elif not isinstance(layer, (keras.layers.InputLayer, keras.layers.Reshape)):
            raise ValueError(f"layer {layer.name} ({type(layer).__name__}) has no counterpart in pymodel")
    return manifest_layers, {k: v.astype(np.float16) for k, v in tensors.items()}


def row_inference_model(layers: list[dict], tensors: dict[str, np.ndarray]) -> keras.Model:
    """A Keras model running the manifest's layer list (row_layers) with exactly these tensors, widened to
    float32: what pymodel's row kernels compute, for the TF.js conversion."""
    inputs = keras.Input((HEIGHT, None, 1), name="row")
    x, convs = inputs, []
    for spec in layers:
        if spec["type"] == "pad":
            x = keras.layers.ZeroPadding2D(((spec["top"], spec["bottom"]), (spec["left"], spec["right"])))(x)
        elif spec["type"] == "conv2d":
            conv = keras.layers.Conv2D(spec["filters"], tuple(spec["kernel"]), activation=spec["activation"],
                                       name=spec["name"])
            x = conv(x)
            convs.append(conv)
        elif spec["type"] == "maxpool2d":
            x = keras.layers.MaxPooling2D(tuple(spec["size"]))(x)
        else:
            raise ValueError(f"layer type {spec['type']!r} has no Keras counterpart here")
    model = keras.Model(inputs, keras.layers.Reshape((-1, len(LABELS)), name="columns")(x), name="row_reader")
    for conv in convs:
        conv.set_weights([tensors[f"{conv.name}.kernel"].astype(np.float32),
                          tensors[f"{conv.name}.bias"].astype(np.float32)])
    return model


def export_rows(model_path: Path = DEFAULT_MODEL, out_dir: Path = DEFAULT_DIR,
                tfjs_dir: Path | None = DEFAULT_TFJS_DIR) -> Path:
    """Write rows.npz and rows.json, and the TF.js model into tfjs_dir (None: not); returns the manifest's path."""
    layers, tensors = row_layers(keras.models.load_model(model_path, compile=False))
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "weights": write_npz(tensors, out_dir / NPZ_NAME),
        "input": {"height": HEIGHT, "stride": STRIDE, "channels": 1},
        "labels": LABELS,
        "layers": layers,
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in tensors.items()},
    }
    path = out_dir / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    if tfjs_dir is not None:
        # float16 in the shard is lossless: every weight already is a float16 value.
        export_tfjs(row_inference_model(layers, tensors), tfjs_dir, float16=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the trained Keras row reader")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR, help="directory for rows.json and rows.npz")
    parser.add_argument("--tfjs", type=Path, default=DEFAULT_TFJS_DIR,
                        help="directory for the TF.js graph model (model.json and its shard)")
    args = parser.parse_args(argv)
    print(f"wrote {export_rows(args.model, args.out, args.tfjs)} and {args.tfjs / 'model.json'}")


if __name__ == "__main__":
    main()
