"""Train the row reader (training/row_model.py) with CTC on training.synth.rows, and say how often it reads a
held-out part of those rows exactly (greedy decoding).

    python -m training.train_rows [--items N] [--epochs E] [--out FILE.keras]

Rows of similar width are batched together (padded with blank paper to the widest); each batch is
stretched or squeezed across by one random factor (WIDEN) and shifted up or down by up to SHIFT px, so
the reader does not learn one writer's spacing.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from pymodel.rows import HEIGHT, STRIDE
from training.synth.rows import generate_rows, unpack

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 40000
EPOCHS = 25
BATCH = 64
RATE = 2e-3
HELD_OUT = 0.05
WIDEN = (0.8, 1.25)
SHIFT = 2
SEED = 0


def _batch(rows, labels, idx, rng, augment: bool):
    import tensorflow as tf
    f = rng.uniform(*WIDEN) if augment else 1.0
    # never narrower than its digits need: two columns each, and one more
    widths = [max(STRIDE * (2 * len(labels[i]) + 1), int(round(rows[i].shape[1] * f))) for i in idx]
    width = -(-max(widths) // STRIDE) * STRIDE
    x = np.zeros((len(idx), HEIGHT, width, 1), np.float32)
    for j, i in enumerate(idx):
        a = rows[i].astype(np.float32) / 255.0
        if widths[j] != a.shape[1]:
            a = tf.image.resize(a[..., None], (HEIGHT, widths[j])).numpy()[..., 0]
        if augment:
            a = np.roll(a, int(rng.integers(-SHIFT, SHIFT + 1)), axis=0)
        x[j, :, :widths[j], 0] = a
    return x, np.array([w // STRIDE for w in widths], np.int32)


def batches(rows, labels, order, rng, augment: bool):
    """Lists of row indices of similar width, in random order."""
    order = sorted(order, key=lambda i: rows[i].shape[1])
    chunks = [order[k:k + BATCH] for k in range(0, len(order), BATCH)]
    if augment:
        rng.shuffle(chunks)
    return chunks


def _dense(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Labels as a zero-padded int32 array (at least one column) and their lengths."""
    out = np.zeros((len(labels), max(1, max(len(t) for t in labels))), np.int32)
    for i, text in enumerate(labels):
        out[i, :len(text)] = [int(ch) for ch in text]
    return out, np.array([len(t) for t in labels], np.int32)


def greedy(logits: np.ndarray, columns: int, blank: int) -> str:
    """CTC best path: the most likely class per column, repeats merged, blanks dropped."""
    out, prev = [], -1
    for c in np.argmax(logits[:columns], -1):
        if c != prev and c != blank:
            out.append(str(int(c)))
        prev = c
    return "".join(out)


def read_rows(model, rows, labels, order, blank: int) -> list[str]:
    rng = np.random.default_rng(0)
    out = {}
    for idx in batches(rows, labels, order, rng, augment=False):
        x, cols = _batch(rows, labels, idx, rng, augment=False)
        logits = model(x, training=False).numpy()
        for i, lg, c in zip(idx, logits, cols):
            out[i] = greedy(lg, int(c), blank)
    return [out[i] for i in order]


def train(items: int = ITEMS, epochs: int = EPOCHS, out: Path | None = None):
    import keras
    import tensorflow as tf

    from training.row_model import BLANK, build_row_model, multiply_adds
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    data = generate_rows("train", items)
    rows, labels = unpack(data), [str(v) for v in data["labels"]]
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(rows))
    held = int(len(rows) * HELD_OUT)
    test_idx, train_idx = sorted(order[:held].tolist()), order[held:].tolist()
    model = build_row_model()
    print(f"{len(train_idx):,} rows to train on, {held:,} held out; {model.count_params():,} parameters, "
          f"{multiply_adds():,} multiply-adds per column", flush=True)
    opt = keras.optimizers.Adam(RATE)

    @tf.function(reduce_retracing=True)
    def step(x, dense, lengths, columns):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            # Dense labels: TensorFlow's sparse CTC op refuses a row with no digits (a non-digit's, all blank).
            loss = tf.reduce_mean(tf.nn.ctc_loss(dense, logits, lengths, columns, logits_time_major=False,
                                                 blank_index=BLANK))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    steps = epochs * math.ceil(len(train_idx) / BATCH)
    done = 0
    for epoch in range(epochs):
        started, losses = time.time(), []
        for idx in batches(rows, labels, train_idx, rng, augment=True):
            opt.learning_rate.assign(RATE * 0.5 * (1 + math.cos(math.pi * done / steps)))
            done += 1
            x, cols = _batch(rows, labels, idx, rng, augment=True)
            dense, lengths = _dense([labels[i] for i in idx])
            losses.append(float(step(tf.constant(x), tf.constant(dense), tf.constant(lengths), tf.constant(cols))))
        print(f"epoch {epoch + 1}/{epochs}: CTC loss {np.mean(losses):.3f} ({time.time() - started:.0f} s)", flush=True)
    read = read_rows(model, rows, labels, test_idx, BLANK)
    exact = sum(r == labels[i] for r, i in zip(read, test_idx))
    print(f"held-out rows read exactly (greedy): {exact:,} of {held:,} ({exact / max(1, held):.1%})")
    if out:
        model.save(out)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train_rows", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=ROOT / "training" / "row_reader" / "row_reader.keras")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    train(args.items, args.epochs, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
