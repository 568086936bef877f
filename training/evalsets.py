"""The committed evaluation sets: realistic images from held-out writers, fonts and papers
(training.synth.split), written as small image files plus one labels file per set.

    python -m training.evalsets            (re)write training/evalsets/ (byte-identical on the same
                                           Pillow/NumPy/SciPy versions: every image comes from its own seed)
    python -m training.evalsets --check    verify the files against their labels file (sha256), write nothing
    python -m training.evalsets --split val --out DIR [--numbers N]
                                           the same sets from the validation split (training writers, other
                                           random streams), for choosing the reader's parameters without
                                           looking at the evaluation sets; not committed (evaluate them with
                                           `python -m training.evaluate_realistic --sets DIR`)

Sets:
    realistic/   digits and non-digits (photos on paper, pad drawings, plot screenshots), one per file
    numbers/     2 to 6 digits in a row, separated or touching, drawings and photos, with per-digit boxes
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "training" / "evalsets"
LABELS = "labels.json"
COUNTS = {"digit": 600, "not_a_digit": 360, "number": 250}
SEED = 0


def _versions() -> dict[str, str]:
    import numpy
    import PIL
    import scipy
    return {"numpy": numpy.__version__, "pillow": PIL.__version__, "scipy": scipy.__version__}


def _write_set(name: str, items: list[tuple[str, object]], out_dir: Path, description: str) -> int:
    folder = out_dir / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    records, total = [], 0
    for stem, scene in items:
        data = scene.encoded()
        file = stem + scene.suffix
        (folder / file).write_bytes(data)
        total += len(data)
        records.append({"file": file, "sha256": hashlib.sha256(data).hexdigest(), **scene.record()})
    doc = {"set": name, "description": description, "command": "python -m training.evalsets", "seed": SEED,
           "made_with": _versions(), "items": records}
    text = json.dumps(doc, indent=1) + "\n"
    (folder / LABELS).write_text(text)
    return total + len(text.encode())


def build(out_dir: Path = EVAL_DIR, counts: dict[str, int] = COUNTS, split: str = "eval") -> dict[str, int]:
    """Write every set; returns bytes per set. split "val" gives the validation scenes (training writers)."""
    from training.synth.numbers import render_number
    from training.synth.scene import render
    realistic = [(f"d{i:04d}", render(split, "digit", i, SEED)) for i in range(counts["digit"])]
    realistic += [(f"n{i:04d}", render(split, "not_a_digit", i, SEED)) for i in range(counts["not_a_digit"])]
    numbers = [(f"m{i:04d}", render_number(split, i, SEED)) for i in range(counts["number"])]
    writers = ("held-out writers (MNIST test), fonts and papers" if split == "eval"
               else f"the '{split}' split (training writers, fonts and papers; other random streams)")
    return {
        "realistic": _write_set("realistic", realistic, out_dir,
                                "Single digits (kind 'digit', label '0'..'9') and non-digits (kind 'not_a_digit') "
                                f"from {writers}; see training/synth/split.py."),
        "numbers": _write_set("numbers", numbers, out_dir,
                              "Numbers of 2-6 digits (kind 'number', label = the digits), with per-digit boxes "
                              "[x, y, w, h] in image pixels and whether each digit touches a neighbour."),
    }


def load(name: str, eval_dir: Path = EVAL_DIR) -> dict:
    path = eval_dir / name / LABELS
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python -m training.evalsets` to write the evaluation sets")
    return json.loads(path.read_text())


def check(eval_dir: Path = EVAL_DIR) -> list[str]:
    """Problems found: files missing, extra or different from their labels file."""
    problems = []
    for name in ("realistic", "numbers"):
        doc = load(name, eval_dir)
        listed = {r["file"]: r["sha256"] for r in doc["items"]}
        present = {p.name for p in (eval_dir / name).iterdir() if p.name != LABELS}
        problems += [f"{name}/{f}: not in {LABELS}" for f in sorted(present - set(listed))]
        for file, digest in listed.items():
            path = eval_dir / name / file
            if not path.is_file():
                problems.append(f"{name}/{file}: missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                problems.append(f"{name}/{file}: sha256 differs from {LABELS}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evalsets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="verify the files, write nothing")
    parser.add_argument("--out", type=Path, default=EVAL_DIR, help="folder to write (default: training/evalsets)")
    parser.add_argument("--split", choices=("eval", "val"), default="eval",
                        help="eval: the committed sets (default); val: validation scenes from the training writers")
    parser.add_argument("--numbers", type=int, default=COUNTS["number"], help="how many numbers (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.numbers < 0:
        parser.error("--numbers must be 0 or more")
    if args.out.resolve() == EVAL_DIR.resolve() and not args.check and (
            args.split != "eval" or args.numbers != COUNTS["number"]):
        parser.error("training/evalsets holds the committed sets as they are: for validation scenes or "
                     "another number of numbers, give --out a folder other than training/evalsets")
    if args.check:
        problems = check(args.out)
        for p in problems:
            print(p, file=sys.stderr)
        print("evaluation sets OK" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    sizes = build(args.out, {**COUNTS, "number": args.numbers}, args.split)
    for name, n in sizes.items():
        print(f"{name}: {n:,} bytes")
    print(f"total {sum(sizes.values()):,} bytes in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
