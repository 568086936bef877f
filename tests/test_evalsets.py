"""The committed evaluation sets (training/evalsets) and the command that evaluates the shipped model on them."""
import hashlib
import json
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.helpers import ROOT
from training import evalsets
from training.evaluate_realistic import evaluate_numbers, evaluate_pad_numbers, pad_knockout, status_from_probs
from training.synth import split

EVAL = ROOT / "training" / "evalsets"


def test_files_match_their_labels_file():
    assert evalsets.check() == []


def test_sizes_and_contents():
    total = sum(p.stat().st_size for p in EVAL.rglob("*") if p.is_file())
    assert total < 5_000_000
    items = evalsets.load("realistic")["items"]
    digits = [r for r in items if r["kind"] == "digit"]
    non = [r for r in items if r["kind"] == "not_a_digit"]
    assert len(digits) >= 500 and len(non) >= 300
    assert {r["label"] for r in digits} == {str(d) for d in range(10)}
    assert {r["style"] for r in items} == {"photo", "drawing", "plot"}
    for r in digits:  # held-out writers and fonts only
        assert r["source"].startswith("mnist-test:") or r["source"].split(":")[1] in split.EVAL_FONTS
    for r in non:
        assert not any(f":{fam}:" in r["source"] for fam in split.TRAIN_FONTS)
    numbers = evalsets.load("numbers")["items"]
    assert {len(r["label"]) for r in numbers} == {2, 3, 4, 5, 6}
    assert {"touching", "separated"} <= {t for r in numbers for t in r["distortions"]}
    for r in numbers:
        assert "".join(str(d["digit"]) for d in r["digits"]) == r["label"]


def test_a_few_files_regenerate_byte_identically():
    from training.synth.numbers import render_number
    from training.synth.scene import render
    doc = evalsets.load("realistic")
    if doc["made_with"] != evalsets._versions():
        pytest.skip(f"made with {doc['made_with']}, this machine has {evalsets._versions()}")
    for i in (0, 123, 599):
        scene = render("eval", "digit", i, evalsets.SEED)
        assert scene.encoded() == (EVAL / "realistic" / f"d{i:04d}{scene.suffix}").read_bytes()
    scene = render_number("eval", 5, evalsets.SEED)
    assert scene.encoded() == (EVAL / "numbers" / f"m0005{scene.suffix}").read_bytes()


def test_check_reports_a_changed_file(tmp_path):
    copy = tmp_path / "sets"
    shutil.copytree(EVAL, copy)
    victim = sorted((copy / "realistic").glob("d*"))[0]
    victim.write_bytes(victim.read_bytes()[:-10])
    (copy / "realistic" / "stray.png").write_bytes(b"x")
    problems = evalsets.check(copy)
    assert any(victim.name in p and "sha256" in p for p in problems) and any("stray.png" in p for p in problems)


def test_status_rule():
    probs = [0.0] * 11
    probs[3], probs[10] = 0.7, 0.3
    assert status_from_probs(probs, 0.5, 0.4) == (3, "ok")
    assert status_from_probs(probs, 0.8, 0.4) == (3, "unsure")
    assert status_from_probs(probs, 0.5, 0.3) == (None, "not_a_digit")
    assert status_from_probs(probs[:10], 0.5, None) == (3, "ok")  # a 10-class model never rejects


def test_numbers_are_scored_through_model_read(monkeypatch):
    """Exact-number accuracy uses model.read(gray, w, h).number; a model without read is skipped."""
    import numpy as np

    import pymodel.imageio
    import training.evaluate_realistic as er
    items = evalsets.load("numbers")["items"][:12]
    labels = iter(r["label"] for r in items)
    current = {}
    monkeypatch.setattr(er, "load", lambda name, eval_dir=None: {"items": items})
    blank = pymodel.imageio.GrayImage(np.ones((4, 4)), 1, 4, 4)
    monkeypatch.setattr(pymodel.imageio, "load_gray", lambda path: current.update(label=next(labels)) or blank)

    class Reader:  # right on every number that starts with an odd digit
        def read(self, gray, w, h, drawn=False):
            label = current["label"]
            return SimpleNamespace(number=label if int(label[0]) % 2 else "0", digits=[])

    fig = evaluate_numbers(Reader())
    assert fig["all"]["n"] == 12 and fig["all"]["exact"] == sum(int(r["label"][0]) % 2 for r in items)
    assert sum(v["n"] for k, v in fig.items() if k.startswith("length_")) == 12
    assert evaluate_numbers(SimpleNamespace())["skipped"]


def test_pad_numbers_are_the_set_drawn_again_with_gaps_between_digits():
    """The pad figure draws the set's numbers again from their seeds: without the knockout byte for byte the
    committed file; with it the same digits, but touching neighbours no longer share one ink group."""
    import numpy as np
    from scipy import ndimage

    from training.synth.numbers import render_number
    item = evalsets.load("numbers")["items"][0]
    assert item["style"] == "drawing" and item["digits"][0]["touching"] and item["digits"][1]["touching"]
    plain = render_number("eval", 0, evalsets.SEED)
    assert hashlib.sha256(plain.encoded()).hexdigest() == item["sha256"]
    gapped = render_number("eval", 0, evalsets.SEED, pad_knockout())
    assert gapped.label == plain.label and gapped.digits == plain.digits

    def groups(scene) -> int:
        grey = np.asarray(scene.image.convert("L"), float)
        ink = np.abs(grey - np.median(grey)) > 100
        return ndimage.label(ink, np.ones((3, 3)))[1]

    assert groups(gapped) == groups(plain) + 1  # the 3 and the 8 apart


def test_pad_numbers_are_read_as_drawings():
    """The pad hands over a whole drawing, so its numbers are read with drawn=True (no border cuts a digit)."""
    seen = []

    class Reader:
        def read(self, gray, w, h, drawn=False):
            seen.append(drawn)
            return SimpleNamespace(number="", digits=[])

    assert evaluate_pad_numbers(Reader(), stride=40)["all"]["n"] == len(seen) > 0
    assert all(seen)


def test_pad_numbers_are_skipped_when_the_generator_has_changed(monkeypatch):
    import training.evaluate_realistic as er
    items = [dict(r) for r in evalsets.load("numbers")["items"][:1]]
    items[0]["sha256"] = "0" * 64
    monkeypatch.setattr(er, "load", lambda name, eval_dir=None: {"items": items})
    assert "drawn differently" in evaluate_pad_numbers(SimpleNamespace())["skipped"]


def test_evaluation_command_output(tmp_path):
    """The command on a small slice of the sets: every figure line is printed and the JSON has them."""
    sets = tmp_path / "sets"
    for name, keep in (("realistic", lambda r: r["file"] in {"d0000.jpg", "d0001.png"} or r["file"][:4] in
                        {"d000", "n000"}), ("numbers", lambda r: r["file"] < "m0003")):
        doc = evalsets.load(name)
        doc["items"] = [r for r in doc["items"] if keep(r)]
        (sets / name).mkdir(parents=True)
        for r in doc["items"]:
            shutil.copy(EVAL / name / r["file"], sets / name / r["file"])
        (sets / name / "labels.json").write_text(json.dumps(doc))
    out = tmp_path / "fig.json"
    command = [sys.executable, "-m", "training.evaluate_realistic", "--sets", str(sets), "--json", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for needle in ("thresholds:", "realistic digits: accuracy", "non-digits: flagged", "MNIST test: accuracy",
                   "| digits with | n | accuracy | flagged | region found |", "| all |",
                   "| non-digit source | n | flagged |"):
        assert needle in text, needle
    assert "numbers: skipped" in text or "| numbers | n | exact |" in text
    assert "| drawn on the pad | n | exact |" in text
    fig = json.loads(out.read_text())
    drawn = [r for r in evalsets.load("numbers", sets)["items"] if r["style"] == "drawing"]
    assert fig["pad_numbers"]["all"]["n"] == len(drawn) > 0 and fig["pad_numbers"]["knockout"] == pad_knockout()
    items = evalsets.load("realistic", sets)["items"]
    assert fig["realistic"]["digits"]["n"] == sum(1 for r in items if r["kind"] == "digit")
    assert 0.0 <= fig["realistic"]["digits"]["accuracy"] <= 1.0 and fig["mnist_test"]["n"] == 10000


def test_validation_sets_come_from_the_training_writers(tmp_path):
    """`--split val` writes the same layout from the validation scenes (other writers and random streams than
    the committed sets), so the reader's parameters can be chosen without looking at the evaluation sets."""
    sizes = evalsets.build(tmp_path, {"digit": 2, "not_a_digit": 1, "number": 2}, split="val")
    assert set(sizes) == {"realistic", "numbers"}
    val = evalsets.load("numbers", tmp_path)
    assert "training writers" in evalsets.load("realistic", tmp_path)["description"]
    committed = {r["sha256"] for r in evalsets.load("numbers")["items"]}
    assert len(val["items"]) == 2 and not committed & {r["sha256"] for r in val["items"]}
    assert all(not r["source"].endswith("test") for r in val["items"])  # MNIST test digits stay held out
    refused = subprocess.run([sys.executable, "-m", "training.evalsets", "--split", "val"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "other than training/evalsets" in refused.stderr


def test_try_sets_a_reader_parameter_for_one_run(monkeypatch):
    """--try NAME=VALUE changes a pymodel.segment parameter (and Model.read's copy of it) for the run; an
    unknown name or a value that is not a number is refused with the names to use."""
    from pymodel import model, segment
    from training.evaluate_realistic import try_parameters
    for name in ("STEP", "NUMBER_SURE"):
        monkeypatch.setattr(segment, name, getattr(segment, name))
    monkeypatch.setattr(model, "NUMBER_SURE", model.NUMBER_SURE)
    assert try_parameters(["step=0.05", "number_sure=0.5"]) == {"step": 0.05, "number_sure": 0.5}
    assert segment.STEP == 0.05 and segment.NUMBER_SURE == 0.5 and model.NUMBER_SURE == 0.5
    with pytest.raises(ValueError, match="use one of .*digit_cost"):
        try_parameters(["stepp=1"])
    with pytest.raises(ValueError, match="must be a number"):
        try_parameters(["step=straight"])
    with pytest.raises(ValueError, match="not a number-reader parameter"):
        try_parameters(["wide=1"])  # a tuple, one value per digit
    monkeypatch.setattr(segment, "MAX_SPAN", segment.MAX_SPAN)
    assert try_parameters(["max_span=2"]) == {"max_span": 2} and isinstance(segment.MAX_SPAN, int)
    with pytest.raises(ValueError, match="whole number"):
        try_parameters(["max_span=2.5"])
