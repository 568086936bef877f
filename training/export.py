"""Export a trained model: fold BatchNorm, round to float16, write the .npz + manifest and the TF.js model.

The float16-rounded folded weights are loaded back into a BatchNorm-free Keras model (`build_inference_model`)
so that Keras, TF.js and pymodel all compute with exactly the same numbers.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np

from pymodel.checksum import sha256_bytes
from pymodel.preprocess import PARAMETERS as PREPROCESSING
from pymodel.weights import FORMAT, FORMAT_VERSION, MANIFEST_NAME, NPZ_NAME
from training.model import CONV_PLAN, LABELS, NUM_CLASSES, POOL_AFTER, build_inference_model

DENSE_NAMES = ("hidden", "dense")  # in order; "hidden" only when the plan has it


def fold_batchnorm(model: keras.Model) -> dict[str, np.ndarray]:
    """conv(x, W) then BN  ==  conv(x, W * g / s) + (beta - mean * g / s), with s = sqrt(var + eps)."""
    tensors = {}
    for name, _, _ in CONV_PLAN:
        kernel = model.get_layer(name).kernel.numpy()
        bn = model.get_layer(f"{name}_bn")
        gamma, beta, mean, var = (w.numpy() for w in (bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance))
        scale = gamma / np.sqrt(var + bn.epsilon)
        tensors[f"{name}.kernel"] = kernel * scale
        tensors[f"{name}.bias"] = beta - mean * scale
    for name in DENSE_NAMES:
        if any(layer.name == name for layer in model.layers):
            tensors[f"{name}.kernel"] = model.get_layer(name).kernel.numpy()
            tensors[f"{name}.bias"] = model.get_layer(name).bias.numpy()
    return {k: v.astype(np.float16) for k, v in tensors.items()}


def hidden_units(tensors: dict[str, np.ndarray]) -> int:
    """Units of the hidden dense layer these weights have (0: none)."""
    return int(tensors["hidden.kernel"].shape[1]) if "hidden.kernel" in tensors else 0


def inference_model(tensors: dict[str, np.ndarray]) -> keras.Model:
    """A Keras model computing with exactly these tensors; widths and classes are read from their shapes,
    so weights exported by an earlier layer plan (e.g. the committed ones) load too."""
    plan = [(name, int(tensors[f"{name}.kernel"].shape[3]), int(tensors[f"{name}.kernel"].shape[0]))
            for name, _, _ in CONV_PLAN]
    model = build_inference_model(plan, int(tensors["dense.kernel"].shape[1]), hidden_units(tensors))
    for layer_name in [name for name, _, _ in CONV_PLAN] + [n for n in DENSE_NAMES if f"{n}.kernel" in tensors]:
        model.get_layer(layer_name).set_weights(
            [tensors[f"{layer_name}.kernel"].astype(np.float32), tensors[f"{layer_name}.bias"].astype(np.float32)]
        )
    return model


def layer_list(hidden: int = 0) -> list[dict]:
    """The manifest's layers; hidden: units of the hidden dense layer of the weights written (0: none)."""
    layers = []
    for name, filters, size in CONV_PLAN:
        layers.append({"type": "conv2d", "name": name, "filters": filters, "kernel_size": size,
                       "padding": "valid", "stride": 1, "activation": "relu"})
        if name in POOL_AFTER:
            layers.append({"type": "maxpool2d", "size": 2})
    layers.append({"type": "flatten", "order": "HWC"})
    if hidden:
        layers.append({"type": "dense", "name": "hidden", "units": hidden, "activation": "relu"})
    layers.append({"type": "dense", "name": "dense", "units": NUM_CLASSES, "activation": "softmax"})
    return layers


def write_npz(tensors: dict[str, np.ndarray], path: Path) -> dict:
    """Write the arrays as a compressed .npz; returns the manifest's `weights` entry (file, sha256, bytes)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **tensors)
    data = buffer.getvalue()
    path.write_bytes(data)
    return {"file": path.name, "sha256": sha256_bytes(data), "bytes": len(data)}


def write_weights(tensors: dict[str, np.ndarray], out_dir: Path, unsure_threshold: float, reject_threshold: float,
                  extra: dict) -> Path:
    """Write digits.npz and its manifest; returns the manifest path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "weights": write_npz(tensors, out_dir / NPZ_NAME),
        "input": {"height": 28, "width": 28, "channels": 1, "layout": "HWC", "dtype": "float32",
                  "range": [0.0, 1.0], "ink": "light ink on a black background, as MNIST"},
        "preprocessing": PREPROCESSING,
        "layers": layer_list(hidden_units(tensors)),
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in tensors.items()},
        "labels": LABELS,
        "unsure_threshold": round(float(unsure_threshold), 4),
        "reject_threshold": round(float(reject_threshold), 4),
        **extra,
    }
    path = out_dir / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def export_tfjs(model: keras.Model, out_dir: Path, *, float16: bool = False) -> Path:
    """SavedModel -> TF.js graph model. (A Keras 3 layers-model JSON does not load in tfjs-layers.)

    float16: store the weights as float16 in the shard, half the bytes; lossless only when every weight is
    already a float16 value (TF.js widens them back to float32 when it loads the model).
    Only model.json and the shards in out_dir are replaced: a folder inside it (web/model/rows/, the row
    reader's model) stays.
    """
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "saved_model"
        model.export(str(saved), verbose=False)
        staged = Path(tmp) / "tfjs"
        _convert(saved, staged, float16=float16)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.iterdir():
            if old.is_file() and (old.name == "model.json" or old.suffix == ".bin"):
                old.unlink()
        for new in staged.iterdir():
            shutil.copy2(new, out_dir / new.name)
    return out_dir / "model.json"


def _convert(saved: Path, staged: Path, *, float16: bool = False) -> None:
    # In its own process: the converter imports TF-DF and JAX, which is slow and floods the log.
    cmd = [sys.executable, "-c",
           "import sys; from tensorflowjs.converters.converter import pip_main; "
           "sys.argv=['tensorflowjs_converter']+sys.argv[1:]; pip_main()",
           "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
           "--signature_name=serving_default", "--saved_model_tags=serve",
           *(["--quantize_float16=*"] if float16 else []), str(saved), str(staged)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not (staged / "model.json").is_file():
        raise RuntimeError(f"tensorflowjs_converter failed:\n{result.stderr[-3000:]}")
