"""Evaluate the SHIPPED recognizer on the committed realistic sets, through the full run-time path:
image file -> pymodel.imageio.load_gray -> pymodel.preprocess -> the model (pymodel, never TensorFlow).

    python -m training.evaluate_realistic [--weights DIR] [--json FILE]
    python build.py evaluate                (the same)
    python -m training.evaluate_realistic --sets DIR --try step=0.05
                                            validation sets written by `python -m training.evalsets --split
                                            val --out DIR`, with a number-reader parameter of
                                            pymodel.segment.PARAMETERS changed for this run (repeatable): how
                                            the reader's parameters are chosen (the JavaScript port is not
                                            affected)

Prints accuracy per kind of distortion, overall accuracy, how many non-digits are flagged, how many real
digits are flagged by mistake (realistic set and MNIST test) and the thresholds; with --json also writes
the figures (the model card embeds them). Numbers are read through `model.read(gray, w, h)` (an object
with `.number` and `.digits`); while pymodel has no `read`, that part is reported as skipped. The drawn
numbers are also read as the page's pad hands them over, each digit's strokes clearing a gap round them
(evaluate_pad_numbers).

A result is "flagged" when the recognizer does not give a confident digit: status "unsure",
"not_a_digit" or "empty". "Correct" means the digit shown equals the label (a flagged digit that still
shows the right best guess counts as correct but also as flagged).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from training.evalsets import EVAL_DIR, load
from training.synth.dataset import region_found

FLAGGED = ("unsure", "not_a_digit", "empty")


def thresholds(model) -> dict:
    m = model.weights.manifest
    labels = m.get("labels") or [str(d) for d in range(10)]
    return {"classes": len(labels), "unsure_threshold": float(m["unsure_threshold"]),
            "reject_threshold": float(m["reject_threshold"]) if "reject_threshold" in m else None}


def status_from_probs(probs, unsure: float, reject: float | None) -> tuple[int | None, str]:
    """(digit, status) from one softmax output, per TEAM.md interface 2: p(not_a_digit) >= reject ->
    "not_a_digit"; otherwise the best of the ten digits, "unsure" below the unsure threshold."""
    probs = list(probs)
    if reject is not None and len(probs) > 10 and probs[10] >= reject:
        return None, "not_a_digit"
    digit = max(range(10), key=probs.__getitem__)
    return digit, ("unsure" if probs[digit] < unsure else "ok")


def recognize_file(model, path: Path, limits: dict) -> tuple[int | None, str, list[float] | None, list[str] | None]:
    """(digit, status, region read in the file's pixels or None, the statuses of the digits the page's number
    reader finds when it finds several, else None) for one image file. The page reads every image as a
    possible number (model.read), which reads a lone digit exactly as recognize_gray: the single-digit
    figures are recognize_gray's, and the last item says when the page would show a number instead."""
    from pymodel.imageio import load_gray
    img = load_gray(path)
    h, w = img.gray.shape
    gray = img.gray.ravel().tolist()
    several, p = None, None
    if callable(getattr(model, "read", None)):
        reading = model.read(gray, w, h)
        if len(reading.digits) > 1:
            several = [d.status for d in reading.digits]
        elif reading.digits:
            p = reading.digits[0]  # read's lone digit is recognize_gray's answer (Model.read)
    if p is None:
        p = model.recognize_gray(gray, w, h)
    return (*_judged(model, p, img, limits), several)


def _judged(model, p, img, limits: dict) -> tuple[int | None, str, list[float] | None]:
    box = img.source_box(p.box)  # load_gray may have reduced the image: back to the file's pixels
    status = getattr(p, "status", None)
    if status is not None:  # the recognizer decides (pymodel.model's status logic)
        return p.digit, status, box
    if p.empty:
        return None, "empty", None
    probs = model.predict28(p.image28)  # all outputs, the 11th included
    return (*status_from_probs(probs, limits["unsure_threshold"], limits["reject_threshold"]), box)


def _rate(n: int, d: int) -> float | None:
    return n / d if d else None


def evaluate_realistic(model, limits: dict, eval_dir: Path = EVAL_DIR, stride: int = 1) -> dict:
    doc = load("realistic", eval_dir)
    doc["items"] = doc["items"][::stride]
    digits = {"n": 0, "correct": 0, "flagged": 0, "confident_wrong": 0, "with_region": 0, "region_found": 0,
              "read_as_number": 0}
    # read_answered: the number reader shows a confident number, every digit "ok" (the page's view: one
    # doubtful digit makes it "Unsure — maybe ...", result.js's worstStatus)
    non = {"n": 0, "flagged": 0, "not_a_digit": 0, "empty": 0, "unsure": 0, "read_as_number": 0,
           "read_answered": 0}
    per_tag: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "correct": 0, "flagged": 0, "region_found": 0})
    non_per_source: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "flagged": 0})
    for item in doc["items"]:
        digit, status, box, several = recognize_file(model, eval_dir / "realistic" / item["file"], limits)
        flagged = status in FLAGGED
        if item["kind"] == "digit":
            correct = digit is not None and str(digit) == item["label"]
            found = region_found(box, item["box"])
            digits["n"] += 1
            digits["correct"] += correct
            digits["flagged"] += flagged
            digits["confident_wrong"] += (not correct) and not flagged
            digits["with_region"] += found is not None
            digits["region_found"] += bool(found)
            digits["read_as_number"] += several is not None
            source = "mnist" if item["source"].startswith("mnist") else "font"
            for tag in item["distortions"] + [f"source_{source}", f"style_{item['style']}", "all"]:
                t = per_tag[tag]
                t["n"] += 1
                t["correct"] += correct
                t["flagged"] += flagged
                t["region_found"] += bool(found)
        else:
            non["n"] += 1
            non["flagged"] += flagged
            non["read_as_number"] += several is not None
            non["read_answered"] += all(s == "ok" for s in several) if several is not None else not flagged
            if status in non:
                non[status] += 1
            s = non_per_source[item["source"].split(":")[0]]
            s["n"] += 1
            s["flagged"] += flagged
    return {
        "digits": {**digits, "accuracy": _rate(digits["correct"], digits["n"]),
                   "flagged_rate": _rate(digits["flagged"], digits["n"]),
                   "confident_wrong_rate": _rate(digits["confident_wrong"], digits["n"]),
                   "read_as_number_rate": _rate(digits["read_as_number"], digits["n"]),
                   # only when the recognizer reports the region it read (Prediction.box)
                   "region_found_rate": _rate(digits["region_found"], digits["with_region"])},
        "non_digits": {**non, "flagged_rate": _rate(non["flagged"], non["n"]),
                       "read_answered_rate": _rate(non["read_answered"], non["n"])},
        "per_distortion": {k: {**v, "accuracy": _rate(v["correct"], v["n"]),
                               "flagged_rate": _rate(v["flagged"], v["n"]),
                               "region_found_rate": _rate(v["region_found"], v["n"]) if digits["with_region"] else None}
                           for k, v in sorted(per_tag.items())},
        "non_digits_per_source": {k: {**v, "flagged_rate": _rate(v["flagged"], v["n"])}
                                  for k, v in sorted(non_per_source.items())},
    }


def evaluate_tight_crops(model, eval_dir: Path = EVAL_DIR, stride: int = 1, margins=(0.0, 0.05)) -> dict:
    """The realistic digits cropped to their true box, as a photo cropped to the digit before it is uploaded
    (plus a share of the box's longer side round it), read through model.read as the page reads an upload."""
    from PIL import Image

    from pymodel.imageio import reduce_blocks_array, rgba_to_gray_array
    from pymodel.preprocess import MAX_SIDE
    items = [it for it in load("realistic", eval_dir)["items"][::stride] if it["kind"] == "digit"]
    out = {}
    for share in margins:
        n = correct = sure_wrong = 0
        for item in items:
            with Image.open(eval_dir / "realistic" / item["file"]) as img:
                x, y, w, h = item["box"]
                m = share * max(w, h)
                box = (max(0, int(x - m)), max(0, int(y - m)),
                       min(img.width, int(np.ceil(x + w + m))), min(img.height, int(np.ceil(y + h + m))))
                rgba = np.asarray(img.convert("RGBA").crop(box), np.float64) / 255.0
            gray = rgba_to_gray_array(rgba)
            k = -(-max(gray.shape) // MAX_SIDE)
            if k > 1:
                gray = reduce_blocks_array(gray, k)
            reading = model.read(gray.ravel().tolist(), gray.shape[1], gray.shape[0])
            right = reading.number == item["label"]
            n += 1
            correct += right
            sure_wrong += not right and bool(reading.digits) and all(d.status == "ok" for d in reading.digits)
        out[f"{share:g}"] = {"n": n, "correct": correct, "confident_wrong": sure_wrong,
                             "accuracy": _rate(correct, n), "confident_wrong_rate": _rate(sure_wrong, n)}
    return out


def evaluate_mnist(model, limits: dict) -> dict:
    from training.data import load_split
    images, labels = load_split("t10k")
    probs = np.asarray(model.kernels.forward_batch(images.astype(np.float32) / 255.0)) \
        if model.backend == "numpy" else np.asarray(model.predict_batch(images.astype(np.float32) / 255.0))
    results = [status_from_probs(p, limits["unsure_threshold"], limits["reject_threshold"]) for p in probs]
    shown = np.array([-1 if d is None else d for d, _ in results])
    flagged = np.array([s in FLAGGED for _, s in results])
    return {"n": int(len(labels)), "accuracy": float((probs[:, :10].argmax(1) == labels).mean()),
            "shown_correct": float((shown == labels).mean()), "flagged_rate": float(flagged.mean()),
            "read_as_files": mnist_as_files(model, images, labels)}


def mnist_as_files(model, images: np.ndarray, labels: np.ndarray, enlarged_stride: int = 10) -> dict:
    """MNIST test digits as a user's image files are read (Model.read on the grey image, the digit shown
    must be the label): each 28x28 as saved (light on black), and every enlarged_stride-th one enlarged
    four times and dark on white (112x112, pixels repeated), which goes through the whole finding."""
    def shown_right(gray: np.ndarray, label: int) -> bool:
        h, w = gray.shape
        digits = model.read(gray.ravel().tolist(), w, h).digits
        return len(digits) == 1 and digits[0].digit == label

    as_saved = [shown_right(img / 255.0, int(y)) for img, y in zip(images, labels)]
    picked = range(0, len(labels), enlarged_stride)
    enlarged = [shown_right(1.0 - np.kron(images[i], np.ones((4, 4))) / 255.0, int(labels[i])) for i in picked]
    return {"as_saved": {"n": len(as_saved), "shown_correct": float(np.mean(as_saved))},
            "enlarged_4x_dark_on_white": {"n": len(enlarged), "shown_correct": float(np.mean(enlarged))}}


def evaluate_forms(model, n_each: int = 100) -> dict:
    """Numbers written into a form's cells (training/forms.py: MNIST test digits in a comb field, a row of
    boxes side by side and separate boxes, n_each photos of each), read exactly; then as many with only
    the first cells written ("comb_partly", ...: a blank form is read right when nothing is read)."""
    import tempfile

    from training.data import load_split
    from training.forms import form_numbers
    images, labels = load_split("t10k")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "exact": 0})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "form.jpg"
        for partly in (False, True):
            for layout, photo, label in form_numbers(images, labels, n_each, partly=partly):
                path.write_bytes(photo)  # read from a file, as the command line and the page read a photo
                key = f"{layout}_partly" if partly else layout
                groups[key]["n"] += 1
                groups[key]["exact"] += _read_exactly(model, path, label)
    return _rates(groups)


def evaluate_numbers(model, eval_dir: Path = EVAL_DIR, stride: int = 1) -> dict:
    if not callable(getattr(model, "read", None)):
        return {"skipped": "pymodel's Model has no read(gray, w, h) yet (issue 8)"}
    doc = load("numbers", eval_dir)
    doc["items"] = doc["items"][::stride]
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "exact": 0})
    for item in doc["items"]:
        exact = _read_exactly(model, eval_dir / "numbers" / item["file"], item["label"])
        for key in ("all", f"length_{len(item['label'])}", _touching(item), f"style_{item['style']}"):
            groups[key]["n"] += 1
            groups[key]["exact"] += exact
    return _rates(groups)


def _read_exactly(model, path: Path, label: str, drawn: bool = False) -> bool:
    from pymodel.imageio import load_gray
    img = load_gray(path)
    h, w = img.gray.shape
    return str(model.read(img.gray.ravel().tolist(), w, h, drawn).number) == label


def _touching(item: dict) -> str:
    return "touching" if any(d["touching"] for d in item["digits"]) else "separated"


def _rates(groups: dict[str, dict[str, int]]) -> dict:
    return {k: {**v, "exact_rate": _rate(v["exact"], v["n"])} for k, v in sorted(groups.items())}


def pad_knockout() -> float:
    """The band the page's pad clears round each digit (KNOCKOUT in web/js/stroke-groups.js), in line widths."""
    text = (Path(__file__).resolve().parents[1] / "web" / "js" / "stroke-groups.js").read_text()
    return float(re.search(r"^export const KNOCKOUT = ([0-9.]+);$", text, re.M).group(1))


def evaluate_pad_numbers(model, eval_dir: Path = EVAL_DIR, stride: int = 1) -> dict:
    """The drawn numbers of the set as the page's pad hands them to the reader: drawn again from their seeds
    with each digit clearing the ink before it (training.synth.numbers, knockout), each digit one group of
    strokes, and read as a drawing whose borders cut nothing (Model.read's drawn). Drawn without the
    knockout, every scene must give the set's file byte for byte (else the generator has changed since the
    set was made, and this is skipped)."""
    import hashlib
    import tempfile

    from training.evalsets import SEED
    from training.synth.numbers import render_number
    items = load("numbers", eval_dir)["items"][::stride]
    mnist = [it["source"] for it in items if it["source"].startswith("mnist-")]
    if not mnist:
        return {"skipped": "no MNIST-written number tells which split the set was drawn from"}
    split = "eval" if mnist[0] == "mnist-test" else mnist[0].removeprefix("mnist-")
    knockout = pad_knockout()
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "exact": 0})
    with tempfile.TemporaryDirectory() as tmp:
        for item in items:
            if item["style"] != "drawing":
                continue
            index = int(item["file"][1:5])
            if hashlib.sha256(render_number(split, index, SEED).encoded()).hexdigest() != item["sha256"]:
                return {"skipped": f"{item['file']} is drawn differently today than when the set was made"}
            scene = render_number(split, index, SEED, knockout)
            path = Path(tmp) / ("pad" + scene.suffix)
            path.write_bytes(scene.encoded())
            exact = _read_exactly(model, path, item["label"], drawn=True)
            for key in ("all", _touching(item)):
                groups[key]["n"] += 1
                groups[key]["exact"] += exact
    return {"knockout": knockout, **_rates(groups)}


def _shown(path: Path) -> str:
    """A path as the card shows it: relative to the repository when inside it (no machine's folders)."""
    root = Path(__file__).resolve().parents[1]
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def evaluate(weights_dir: Path | None = None, eval_dir: Path = EVAL_DIR, stride: int = 1) -> dict:
    """All figures; stride > 1 takes every stride-th image only (quick runs)."""
    from pymodel import load_model
    from pymodel.weights import DEFAULT_DIR
    model = load_model(weights_dir or DEFAULT_DIR, backend="numpy")
    limits = thresholds(model)
    started = time.time()
    out = {"command": "python -m training.evaluate_realistic", "weights": _shown(weights_dir or DEFAULT_DIR),
           "thresholds": limits, "realistic": evaluate_realistic(model, limits, eval_dir, stride),
           "tight_crops": evaluate_tight_crops(model, eval_dir, stride),
           "mnist_test": evaluate_mnist(model, limits), "numbers": evaluate_numbers(model, eval_dir, stride),
           "forms": evaluate_forms(model, max(1, 100 // stride)),
           "pad_numbers": evaluate_pad_numbers(model, eval_dir, stride)}
    if stride > 1:
        out["subset"] = f"every {stride}th image of the sets"
    out["seconds"] = round(time.time() - started, 1)
    return out


def try_parameters(pairs: list[str]) -> dict[str, float]:
    """Set number-reader parameters (pymodel.segment.PARAMETERS names, NAME=VALUE) for this process; returns
    them. Model.read takes some of them from pymodel.segment at import, so both modules are set."""
    from pymodel import model, segment
    tried = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in segment.PARAMETERS or isinstance(segment.PARAMETERS[name], tuple):
            numeric = ", ".join(k for k, v in segment.PARAMETERS.items() if not isinstance(v, tuple))
            raise ValueError(f"--try {pair!r}: not a number-reader parameter; use one of {numeric}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--try {pair!r}: the value must be a number, like {name}=0.5") from None
        if isinstance(segment.PARAMETERS[name], int):  # a count (max_cuts, max_span): ranges need an int
            if not number.is_integer():
                raise ValueError(f"--try {pair!r}: {name} is a count, give a whole number")
            number = int(number)
        for module in (segment, model):
            if hasattr(module, name.upper()):
                setattr(module, name.upper(), number)
        tried[name] = number
    return tried


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def report(fig: dict) -> str:
    r, t = fig["realistic"], fig["thresholds"]
    lines = [f"(quick run: {fig['subset']})"] if "subset" in fig else []
    lines += [
        f"thresholds: {t['classes']} classes, unsure below {t['unsure_threshold']:.3f}, "
        f"not_a_digit at p >= {t['reject_threshold'] if t['reject_threshold'] is not None else 'n/a (10-class model)'}",
        f"realistic digits: accuracy {_pct(r['digits']['accuracy'])} ({r['digits']['correct']}/{r['digits']['n']}), "
        f"flagged {_pct(r['digits']['flagged_rate'])}, confidently wrong {_pct(r['digits']['confident_wrong_rate'])}",
        f"non-digits: flagged {_pct(r['non_digits']['flagged_rate'])} "
        f"({r['non_digits']['flagged']}/{r['non_digits']['n']}; "
        f"not_a_digit {r['non_digits']['not_a_digit']}, unsure {r['non_digits']['unsure']}, "
        f"empty {r['non_digits']['empty']})",
        f"MNIST test: accuracy {fig['mnist_test']['accuracy']:.2%}, flagged {_pct(fig['mnist_test']['flagged_rate'])}",
        *_mnist_files_line(fig["mnist_test"]),
        *_tight_crops_line(fig.get("tight_crops")),
        f"read as a number by the page's reader (several digits): {_pct(r['digits']['read_as_number_rate'])} of the "
        f"realistic digits; non-digits given a confident answer by the reader (a digit, or a number with every "
        f"digit sure): {_pct(r['non_digits']['read_answered_rate'])}",
        "",
        *([f"realistic digits: the region read holds the digit in {_pct(r['digits']['region_found_rate'])}", ""]
          if r["digits"]["region_found_rate"] is not None else []),
        "| digits with | n | accuracy | flagged | region found |",
        "|---|---|---|---|---|",
        *[f"| {k} | {v['n']} | {_pct(v['accuracy'])} | {_pct(v['flagged_rate'])} | {_pct(v['region_found_rate'])} |"
          for k, v in r["per_distortion"].items()],
        "",
        "| non-digit source | n | flagged |",
        "|---|---|---|",
        *[f"| {k} | {v['n']} | {_pct(v['flagged_rate'])} |" for k, v in r["non_digits_per_source"].items()],
        "",
    ]
    numbers = fig["numbers"]
    if "skipped" in numbers:
        lines.append(f"numbers: skipped ({numbers['skipped']})")
    else:
        lines += ["| numbers | n | exact |", "|---|---|---|",
                  *[f"| {k} | {v['n']} | {_pct(v['exact_rate'])} |" for k, v in numbers.items()]]
    forms = fig.get("forms")
    if forms:
        lines += ["", "numbers written one digit to a cell of a form, photographed (MNIST test digits; "
                  "training/forms.py):", "", "| form | n | exact |", "|---|---|---|",
                  *[f"| {k} | {v['n']} | {_pct(v['exact_rate'])} |" for k, v in forms.items()]]
    pad = fig.get("pad_numbers", {"skipped": "not measured"})
    lines.append("")
    if "skipped" in pad:
        lines.append(f"numbers drawn on the pad: skipped ({pad['skipped']})")
    else:
        lines += [f"the drawn numbers as the page's pad hands them to the reader (each digit clearing "
                  f"{pad['knockout']} line widths round its strokes on the digits before it; "
                  "web/js/stroke-groups.js):", "",
                  "| drawn on the pad | n | exact |", "|---|---|---|",
                  *[f"| {k} | {v['n']} | {_pct(v['exact_rate'])} |" for k, v in pad.items() if k != "knockout"]]
    return "\n".join(lines)


def _tight_crops_line(tight: dict | None) -> list[str]:
    if not tight:
        return []
    parts = [f"{'on the box' if share == '0' else f'with {float(share):.0%} of its side added round it'} "
             f"{_pct(v['accuracy'])} ({_pct(v['confident_wrong_rate'])} confidently wrong)"
             for share, v in tight.items()]
    return [f"realistic digits cropped to their box, as a photo cropped to the digit before it is uploaded "
            f"(read as the page reads an upload): {'; '.join(parts)}"]


def _mnist_files_line(mnist: dict) -> list[str]:
    files = mnist.get("read_as_files")
    if not files:
        return []
    saved, big = files["as_saved"], files["enlarged_4x_dark_on_white"]
    return [f"MNIST test read from image files (the digit shown): as saved, 28x28, {saved['shown_correct']:.2%} "
            f"of {saved['n']:,}; enlarged 4x, dark on white, {big['shown_correct']:.2%} of {big['n']:,}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate_realistic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=None,
                        help="weights folder (default: the shipped pymodel/weights)")
    parser.add_argument("--sets", type=Path, default=EVAL_DIR,
                        help="evaluation sets folder (default: training/evalsets)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--stride", type=int, default=1,
                        help="a quick look: every STRIDE-th image of the sets only (the model card uses 1)")
    parser.add_argument("--card", type=Path, default=None,
                        help="refresh this model card folder's realistic evaluation (after a change to the "
                             "finding or the number reader; the training figures stay as trained)")
    parser.add_argument("--try", dest="tries", action="append", default=[], metavar="NAME=VALUE",
                        help="read numbers with this pymodel.segment parameter changed (repeatable; not with --card)")
    args = parser.parse_args(argv)
    if args.stride < 1:
        parser.error("--stride must be 1 or more")
    if args.card and args.stride != 1:
        parser.error("--card needs the whole sets (--stride 1)")
    if args.card and args.tries:
        parser.error("--card records the shipped reader: leave out --try")
    try:
        tried = try_parameters(args.tries)
    except ValueError as e:
        parser.error(str(e))
    fig = evaluate(args.weights, args.sets, args.stride)
    if tried:
        fig["tried"] = tried
        print(f"number-reader parameters changed for this run: {tried}")
    print(report(fig))
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2) + "\n")
    if args.card:
        import datetime

        from training.evaluate import write_model_card
        card = json.loads((args.card / "model_card.json").read_text())
        card["realistic_eval"] = fig
        card["realistic_eval_refreshed"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        write_model_card(card, args.card)
        print(f"Model card refreshed: {args.card / 'model_card.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
