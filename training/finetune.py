"""Fine-tune the shipped model on corrections that users exported from the page (issue 9 §3).

    python build.py train --extra FILE.npz [FILE.npz ...] [--out DIR] [--quick]

A corrections file holds `images` uint8 [N, 28, 28] (the 28x28 the model saw: light ink on black) and
`labels` uint8 [N] (the true digit; 10 = not a digit when the model has that class). The JSON sidecar the
page writes next to it (same name, .json) is kept in the model card as provenance.

A seeded fifth of the corrections is held out. Fine-tuning starts from the shipped weights (BatchNorm is
already folded into them, so the plain inference network is trained), mixes the other corrections with
MNIST and the realistic training scenes so the model does not forget what it knew, then exports exactly as
`build.py train` does (thresholds on realistic validation scenes, weights, TF.js, model card) and reports
before/after figures on the model card's sets and on the held-out corrections.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from training.train import TrainConfig, quick_config, split_train_val, to_float

HELD_OUT_SHARE = 0.2
CORRECTION_SHARE = 0.1  # corrections are repeated until they are about this share of an epoch
LEARNING_RATE = 3e-4
SEED = 1234


class CorrectionsError(ValueError):
    """A corrections file cannot be used."""


def load_corrections(paths: list[Path], classes: int) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    images, labels, provenance = [], [], []
    for path in map(Path, paths):
        try:
            with np.load(path, allow_pickle=False) as data:
                x, y = data["images"], data["labels"]
        except FileNotFoundError:
            raise CorrectionsError(f"{path}: no such file") from None
        except KeyError as exc:
            raise CorrectionsError(f"{path}: needs arrays 'images' and 'labels' (missing {exc})") from None
        except (OSError, ValueError) as exc:
            raise CorrectionsError(f"{path}: not a readable .npz ({exc}); export it again from the page") from None
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise CorrectionsError(f"{path}: 'images' must be uint8 [N, 28, 28], got {x.dtype} {list(x.shape)}")
        if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
            raise CorrectionsError(f"{path}: 'labels' must be {len(x)} integers, got {y.dtype} {list(y.shape)}")
        if len(y) and (y.min() < 0 or y.max() >= classes):
            raise CorrectionsError(f"{path}: labels must be 0..{classes - 1}, found {int(y.min())}..{int(y.max())}")
        sidecar = path.with_suffix(".json")
        info = {"file": str(path), "count": int(len(y))}
        if sidecar.is_file():
            try:
                info["sidecar"] = json.loads(sidecar.read_text())
            except json.JSONDecodeError as exc:
                raise CorrectionsError(f"{sidecar}: not valid JSON ({exc})") from None
        images.append(x)
        labels.append(y.astype(np.uint8))
        provenance.append(info)
    x, y = np.concatenate(images), np.concatenate(labels)
    if not len(y):
        raise CorrectionsError("the corrections files hold no images: correct some answers in the page first")
    return x, y, provenance


def hold_out(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(fine-tuning indices, held-out indices); nothing is held out from fewer than 5 corrections."""
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(n * HELD_OUT_SHARE)) if n >= 5 else 0
    return np.sort(order[k:]), np.sort(order[:k])


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float | None:
    if not len(y):
        return None
    return float((model.predict(to_float(x), verbose=0).argmax(1) == y).mean())


def _summary(card: dict) -> dict:
    r = card["realistic_eval"]
    return {"mnist_test_accuracy": card["test"]["accuracy"],
            "realistic_digit_accuracy": r["realistic"]["digits"]["accuracy"],
            "realistic_digits_flagged": r["realistic"]["digits"]["flagged_rate"],
            "non_digits_flagged": r["realistic"]["non_digits"]["flagged_rate"],
            "mnist_test_flagged": r["mnist_test"]["flagged_rate"]}


def run(extra: list[Path], quick: bool = False, out: Path | None = None, epochs: int | None = None,
        start: dict[str, Path] | None = None) -> dict:
    """start: {"weights", "card"} folders of the model to fine-tune (default: the shipped one)."""
    import keras
    import tensorflow as tf

    from pymodel.weights import load_weights
    from training.augment import augment_batch
    from training.data import load_split
    from training.export import inference_model
    from training.pipeline import SHIPPED, output_paths, publish
    from training.realistic import realistic_arrays, training_examples

    started = time.time()
    cfg: TrainConfig = quick_config() if quick else TrainConfig()
    paths = output_paths(out, quick)
    start = start or SHIPPED
    shipped = load_weights(start["weights"])
    if len(shipped.labels) != 11:
        raise CorrectionsError("the shipped model has no not_a_digit class: run `python build.py train` first")
    before_card = json.loads((start["card"] / "model_card.json").read_text())
    x_c, y_c, provenance = load_corrections(extra, len(shipped.labels))
    tune_idx, held_idx = hold_out(len(y_c))

    keras.utils.set_random_seed(cfg.seed)
    tf.config.experimental.enable_op_determinism()
    tensors = {name: np.asarray(values, np.float32).reshape(shape) for name, (shape, values) in shipped.tensors.items()}
    model = inference_model(tensors)
    held_before = _accuracy(model, x_c[held_idx], y_c[held_idx])

    images, labels = load_split("train")
    (x_m, y_m), _ = split_train_val(images, labels, cfg)
    real_tr, _ = realistic_arrays(cfg)
    keep = np.random.default_rng(SEED).permutation(len(y_m))[: (3000 if quick else 20000)]
    real_x, real_y, _ = training_examples(real_tr)
    base_x = np.concatenate([x_m[keep], real_x])
    base_y = np.concatenate([y_m[keep], real_y])
    repeat = int(np.clip(round(CORRECTION_SHARE * len(base_y) / max(1, len(tune_idx))), 1, 50))
    x_tr = to_float(np.concatenate([base_x] + [x_c[tune_idx]] * repeat))
    y_tr = np.concatenate([base_y] + [y_c[tune_idx]] * repeat)
    ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr.astype(np.int32)))
          .shuffle(len(y_tr), seed=cfg.seed).batch(cfg.batch_size)
          .map(lambda x, y: (augment_batch(x), y), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    epochs = epochs or (1 if quick else 3)
    print(f"Fine-tuning on {len(tune_idx)} corrections (x{repeat}) mixed with {len(base_y):,} MNIST and realistic "
          f"examples, {epochs} epoch(s); {len(held_idx)} corrections held out ...", flush=True)
    fit_started = time.time()
    model.fit(ds, epochs=epochs, verbose=2)
    held_after = _accuracy(model, x_c[held_idx], y_c[held_idx])

    new_tensors = {}
    for layer in [layer for layer in model.layers if layer.get_weights()]:
        kernel, bias = layer.get_weights()
        new_tensors[f"{layer.name}.kernel"], new_tensors[f"{layer.name}.bias"] = kernel, bias
    new_tensors = {k: v.astype(np.float16) for k, v in new_tensors.items()}
    card = {k: before_card[k] for k in ("training", "machine") if k in before_card}
    card["command"] = "python build.py train --extra " + " ".join(str(p) for p in extra) + (" --quick" if quick else "")
    card["fine_tune"] = {
        "corrections": provenance, "fine_tuned_on": int(len(tune_idx)), "held_out": int(len(held_idx)),
        "repeat": repeat, "epochs": epochs, "learning_rate": LEARNING_RATE,
        "seconds": round(time.time() - fit_started, 1),
        "held_out_accuracy": {"before": held_before, "after": held_after},
        "before": _summary(before_card),
    }
    card = publish(new_tensors, cfg, paths, card, started, reference=model)
    card["fine_tune"]["after"] = _summary(card)
    from training.evaluate import write_model_card
    write_model_card(card, paths["card"])
    ft = card["fine_tune"]
    fmt = lambda v: "n/a" if v is None else f"{v:.1%}"  # noqa: E731
    print(f"Held-out corrections: {fmt(held_before)} -> {fmt(held_after)}; MNIST test "
          f"{ft['before']['mnist_test_accuracy']:.2%} -> {ft['after']['mnist_test_accuracy']:.2%}; realistic digits "
          f"{fmt(ft['before']['realistic_digit_accuracy'])} -> {fmt(ft['after']['realistic_digit_accuracy'])}",
          flush=True)
    return card
