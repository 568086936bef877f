"""`python build.py train`: train -> fold and export -> evaluate -> model card, in one go."""
from __future__ import annotations

import datetime
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from pymodel.weights import NPZ_NAME
from training.data import dataset_checksums, load_split
from training.evaluate import (
    classification_figures,
    pick_thresholds,
    plot_confusion,
    plot_misclassified,
    write_model_card,
)
from training.export import export_tfjs, fold_batchnorm, inference_model, write_weights
from training.model import LABELS, multiply_adds
from training.realistic import realistic_arrays, split_kinds
from training.train import TrainConfig, quick_config, split_train_val, to_float, train

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    "weights": ROOT / "pymodel" / "weights",
    "tfjs": ROOT / "web" / "model",
    "card": ROOT / "training" / "model_card",
    "run": ROOT / "runs" / "full",
}


def output_paths(out: Path | None, quick: bool) -> dict[str, Path]:
    """The shipped locations, or a scratch folder for --quick / --out so a test run never overwrites them."""
    if out is None and not quick:
        return dict(SHIPPED)
    base = Path(out) if out else ROOT / "build" / "quick"
    return {"weights": base / "weights", "tfjs": base / "tfjs", "card": base / "model_card", "run": base / "run"}


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    names = ["tensorflow", "keras", "tensorflowjs", "numpy", "scikit-learn", "matplotlib"]
    return {"python": platform.python_version(), **{n: md.version(n) for n in names}}


def _dir_bytes(path: Path) -> int:
    # The folder's own files only: web/model/rows/ (the row reader) is not the digit model.
    return sum(f.stat().st_size for f in Path(path).iterdir() if f.is_file())


def run(quick: bool = False, out: Path | None = None, reuse_run: bool = False) -> dict:
    import keras

    started = time.time()
    cfg: TrainConfig = quick_config() if quick else TrainConfig()
    paths = output_paths(out, quick)
    model_file = paths["run"] / "model.keras"
    if reuse_run and model_file.is_file():
        print(f"Reusing the trained model in {paths['run']}", flush=True)
        summary = json.loads((paths["run"] / "train_summary.json").read_text())
    else:
        summary = train(paths["run"], cfg)
    trained = keras.models.load_model(model_file)

    print("Folding BatchNorm and rounding to float16 ...", flush=True)
    tensors = fold_batchnorm(trained)
    card = {
        "command": "python build.py train" + (" --quick" if quick else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {summary['replicas']} replica(s)",
        "training": summary,
    }
    return publish(tensors, cfg, paths, card, started, reference=trained)


def publish(tensors: dict[str, np.ndarray], cfg: TrainConfig, paths: dict[str, Path], card: dict, started: float,
            reference=None) -> dict:
    """Thresholds on realistic validation scenes, the weights + manifest, TF.js, the evaluations and the
    model card, for float16 folded `tensors`. `reference`: the float32 Keras model they came from, if any."""
    shipped_keras = inference_model(tensors)
    print("Choosing the unsure and reject thresholds on realistic validation scenes ...", flush=True)
    images, labels = load_split("train")
    _, (x_val, _) = split_train_val(images, labels, cfg)
    _, real_val = realistic_arrays(cfg)
    val_digits, _, val_non_digits = split_kinds(real_val)
    predict = lambda x: shipped_keras.predict(to_float(x), verbose=0, batch_size=512)  # noqa: E731
    chosen = pick_thresholds(predict(val_digits), predict(val_non_digits), predict(x_val))
    unsure, reject = chosen["unsure_threshold"], chosen["reject_threshold"]

    macs = multiply_adds(shipped_keras)
    params = int(shipped_keras.count_params())
    write_weights(tensors, paths["weights"], unsure, reject,
                  {"multiply_adds": macs, "parameters": params, "model_card": "training/model_card/model_card.md"})
    print("Converting to TF.js ...", flush=True)
    export_tfjs(shipped_keras, paths["tfjs"])

    print("Evaluating the exported weights with pymodel on the MNIST test set ...", flush=True)
    from pymodel import load_model
    x_test, y_test = load_split("t10k")
    test_float = to_float(x_test)
    shipped = load_model(paths["weights"], backend="numpy")
    probs = shipped.predict_batch(test_float)
    figures = classification_figures(probs, y_test, unsure, reject)
    print("Evaluating the exported weights on the realistic evaluation sets (training/evalsets) ...", flush=True)
    from training.evaluate_realistic import evaluate as evaluate_realistic
    realistic = evaluate_realistic(paths["weights"], stride=4 if cfg.quick else 1)

    paths["card"].mkdir(parents=True, exist_ok=True)
    plot_confusion(figures["confusion_matrix"], paths["card"] / "confusion_matrix.png")
    plot_misclassified(x_test, y_test, probs, paths["card"] / "misclassified.png")
    npz = paths["weights"] / NPZ_NAME
    card = {
        **card,
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "model": {"parameters": params, "multiply_adds": macs},
        "labels": LABELS,
        "test": figures,
        "thresholds": chosen,
        "realistic_eval": realistic,
        "files": {"npz_bytes": npz.stat().st_size, "tfjs_bytes": _dir_bytes(paths["tfjs"])},
        "pipeline_seconds": None,
        "data_sha256": dataset_checksums(),
        "versions": _versions(),
    }
    if reference is not None:
        keras_probs = reference.predict(test_float, verbose=0)
        card["test_keras_float32_accuracy"] = float((keras_probs.argmax(1) == y_test).mean())
        card["float16_max_prob_change"] = float(np.abs(keras_probs - probs).max())
    card["pipeline_seconds"] = round(time.time() - started, 1)
    write_model_card(card, paths["card"])
    print(
        f"Test accuracy {figures['accuracy']:.4%} ({figures['errors']} errors), "
        f"ECE {figures['expected_calibration_error']:.4f}, "
        f"unsure below {unsure:.2f}, not a digit at {reject:.2f}; realistic digits "
        f"{realistic['realistic']['digits']['accuracy']:.1%} "
        f"(flagged {realistic['realistic']['digits']['flagged_rate']:.1%}), "
        f"non-digits flagged {realistic['realistic']['non_digits']['flagged_rate']:.1%}, MNIST test flagged "
        f"{realistic['mnist_test']['flagged_rate']:.2%}; {macs:,} multiply-adds, "
        f"npz {card['files']['npz_bytes']:,} bytes, "
        f"pipeline {card['pipeline_seconds']:.0f} s. Model card: {paths['card'] / 'model_card.md'}",
        flush=True,
    )
    return card
