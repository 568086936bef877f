"""python -m pymodel predict [--json] IMAGE...  |  read [--json] IMAGE...  |  evaluate --images IDX --labels IDX"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pymodel.model import BACKENDS, load_model
from pymodel.weights import DEFAULT_DIR, WeightsError


def _images(names: list[str], failures: list[str]):
    """(name, GrayImage) of each file that decodes; a bad one gets its message on stderr and joins failures."""
    from pymodel.imageio import ImageFileError, load_gray

    for name in names:
        try:
            image = load_gray(name)
        except ImageFileError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            failures.append(name)
            continue
        yield name, image


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.weights, args.backend)
    failures: list[str] = []
    for name, image in _images(args.images, failures):
        h, w = image.gray.shape
        result = model.recognize_gray(image.gray.ravel().tolist(), w, h)
        box = image.source_box(result.box)
        if args.json:
            print(json.dumps({"file": name, "digit": result.digit, "confidence": round(result.confidence, 6),
                              "probs": [round(p, 6) for p in result.probs], "unsure": result.unsure,
                              "status": result.status, "box": box}))
        elif result.empty:
            print(f"{name}: no digit found (the image looks empty)")
        elif result.status == "not_a_digit":
            print(f"{name}: not a digit ({result.confidence:.1%})")
        else:
            note = " (unsure)" if result.unsure else ""
            print(f"{name}: {result.digit} ({result.confidence:.1%}){note} at x={box[0]} y={box[1]} "
                  f"w={box[2]} h={box[3]}")
    return 1 if failures else 0


# How the text output says why a digit of a number is unsure (Prediction.reason).
WHY = {"low_confidence": ", low confidence", "not_digit_like": ", does not look like a digit",
       "smaller": ", smaller than the others", "whole_row": ", read from the whole row"}


def cmd_read(args: argparse.Namespace) -> int:
    """The number in each image file: every digit, left to right, each with its own answer and box."""
    model = load_model(args.weights, args.backend)
    failures: list[str] = []
    for name, image in _images(args.images, failures):
        h, w = image.gray.shape
        reading = model.read(image.gray.ravel().tolist(), w, h, args.drawn)
        digits = [{"digit": d.digit, "confidence": round(d.confidence, 6), "status": d.status,
                   "box": image.source_box(d.box), "probs": [round(p, 6) for p in d.probs]} for d in reading.digits]
        if args.json:
            print(json.dumps({"file": name, "number": reading.number, "digits": digits}))
        elif not reading.digits:
            print(f"{name}: no digits found (the image looks empty)")
        else:
            notes = [f"{i + 1}: {d['status'].replace('_', ' ')}{WHY.get(p.reason, '')}"
                     for i, (d, p) in enumerate(zip(digits, reading.digits)) if d["status"] != "ok"]
            note = f" ({'; '.join(notes)})" if notes else ""
            print(f"{name}: {reading.number or '-'}{note}")
    return 1 if failures else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from pymodel.idx import IdxError, read_idx

    try:
        images, labels = read_idx(args.images), read_idx(args.labels)
    except (OSError, IdxError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(images) != len(labels):
        print(f"error: need 28x28 images and one label each; got images {images.shape}, labels {labels.shape}",
              file=sys.stderr)
        return 1
    model = load_model(args.weights, args.backend)
    # MNIST digits are already in the model's input form, so they skip the preprocessing for drawings.
    probs = np.asarray(model.predict_batch(images.astype(np.float32) / 255.0))
    predicted = probs.argmax(axis=1)
    accuracy = float((predicted == labels).mean())
    report = {"digits": int(len(labels)), "correct": int((predicted == labels).sum()), "accuracy": accuracy,
              "backend": model.backend}
    print(json.dumps(report) if args.json else
          f"accuracy {accuracy:.4%} ({report['correct']}/{report['digits']}) on the {model.backend} backend")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Per-digit forward-pass latency of each available backend on this Python (a benchmark, not a test)."""
    import platform
    import statistics
    import time

    from pymodel.bench import timings
    from pymodel.model import numpy_available

    model_images = [[((x * 7 + y * 13 + i) % 17) / 16.0 for y in range(28) for x in range(28)] for i in range(args.n)]
    rows = []
    for backend in [b for b in ("numpy", "python") if b == "python" or numpy_available()]:
        model = load_model(args.weights, backend)
        model.predict28(model_images[0])  # warm-up
        times = []
        for img in model_images:
            t = time.perf_counter()
            model.predict28(img)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        rows.append((backend, statistics.median(times), times[int(0.95 * (len(times) - 1))]))
    models = {backend: load_model(args.weights, backend) for backend, _, _ in rows}
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.n} digits per backend")
    print("| backend | median ms/digit | p95 ms/digit |\n|---|---|---|")
    for backend, median, p95 in rows:
        print(f"| {backend} | {median:.2f} | {p95:.2f} |")
    print("\n| pure-Python preprocessing and whole recognition | median ms | p95 ms |\n|---|---|---|")
    for what, median, p95 in timings(models, args.repeats):
        print(f"| {what} | {median:.1f} | {p95:.1f} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pymodel", description="Recognize handwritten digits.")
    parser.add_argument("--weights", type=Path, default=DEFAULT_DIR, help="folder with digits.json and digits.npz")
    parser.add_argument("--backend", choices=BACKENDS, default="auto",
                        help="kernels to run (default: numpy if installed)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="recognize the digit in each image file")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("read", help="read the number (one or more digits) in each image file")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--drawn", action="store_true",
                   help="the images are whole drawings, as the page's pad hands them over: ink at their border "
                        "is never a neighbour cut by a crop")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.set_defaults(func=cmd_read)
    p = sub.add_parser("evaluate", help="accuracy on MNIST-format IDX files")
    p.add_argument("--images", required=True, type=Path)
    p.add_argument("--labels", required=True, type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bench", help="latency of each backend and of preprocessing on this Python")
    p.add_argument("-n", type=int, default=50, help="digits per backend")
    p.add_argument("--repeats", type=int, default=7, help="runs of each preprocessing and recognition timing")
    p.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except WeightsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head -1`): stop quietly, as Unix tools do, and keep Python from
        # reporting the same broken pipe again when it flushes stdout on exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
