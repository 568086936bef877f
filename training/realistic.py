"""The realistic part of the training data (training.synth scenes through the run-time preprocessing):
which scenes a run asks for, and the cached 28x28 arrays that come back."""
from __future__ import annotations

import numpy as np

from training.synth.dataset import NOT_A_DIGIT, Request, generate


def requests(cfg) -> tuple[Request, Request]:
    """(training scenes, validation scenes) of a TrainConfig. Validation scenes come from the held-out
    MNIST validation digits and their own random streams; they choose the thresholds."""
    return (Request("train", cfg.synth_digits, cfg.synth_non_digits, cfg.synth_seed, cfg.synth_numbers),
            Request("val", cfg.synth_val_digits, cfg.synth_val_non_digits, cfg.synth_seed))


def realistic_arrays(cfg) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Generate (or load from build/synth) the training and validation arrays of a TrainConfig."""
    train_req, val_req = requests(cfg)
    return generate(train_req), generate(val_req)


def training_examples(data: dict[str, np.ndarray], fragment_weight: float = 1.0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, sample weights) of a generated set to train on: the single-digit scenes and the
    number reader's labelled candidates. A fragment of a digit cut from a number can look exactly like a
    whole 1 or 7 once normalised, so its "not_a_digit" label weighs `fragment_weight`: enough for the
    reader to prefer whole digits, not so much that thin MNIST digits become "not a digit"."""
    weights = np.ones(len(data["labels"]), np.float32)
    if "number_images" not in data:
        return data["images"], data["labels"], weights
    number_weights = np.where(data["number_labels"] == NOT_A_DIGIT, fragment_weight, 1.0).astype(np.float32)
    return (np.concatenate([data["images"], data["number_images"]]),
            np.concatenate([data["labels"], data["number_labels"]]),
            np.concatenate([weights, number_weights]))


def to_float(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[..., None]


def split_kinds(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(digit images, their labels, non-digit images) of a generated set."""
    digit = data["labels"] != NOT_A_DIGIT
    return data["images"][digit], data["labels"][digit], data["images"][~digit]
