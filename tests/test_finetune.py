"""`python build.py train --extra FILE.npz`: corrections are validated, held out in part, and fine-tuning
exports a working model with before/after figures (issue 9 §3)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import ROOT, SHIPPED_WEIGHTS

pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) is not installed")
from training.finetune import CorrectionsError, hold_out, load_corrections  # noqa: E402


def write(path, images, labels, sidecar=None):
    np.savez(path, images=images, labels=labels)
    if sidecar is not None:
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    return path


def test_corrections_are_validated(tmp_path):
    ok = write(tmp_path / "ok.npz", np.zeros((6, 28, 28), np.uint8), np.arange(6, dtype=np.uint8), {"app": "digits"})
    x, y, prov = load_corrections([ok, ok], classes=11)
    assert x.shape == (12, 28, 28) and list(y[:6]) == list(range(6)) and prov[0]["sidecar"] == {"app": "digits"}
    bad = [
        (write(tmp_path / "a.npz", np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8)), "uint8"),
        (write(tmp_path / "b.npz", np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8)), "must be 2 integers"),
        (write(tmp_path / "c.npz", np.zeros((2, 28, 28), np.uint8), np.array([1, 11], np.uint8)),
         "labels must be 0..10"),
        (tmp_path / "missing.npz", "no such file"),
    ]
    np.savez(tmp_path / "d.npz", pictures=np.zeros((1, 28, 28), np.uint8))
    bad.append((tmp_path / "d.npz", "needs arrays"))
    (tmp_path / "e.npz").write_bytes(b"not a zip")
    bad.append((tmp_path / "e.npz", "not a readable"))
    for path, message in bad:
        with pytest.raises(CorrectionsError, match=message):
            load_corrections([path], classes=11)


def test_hold_out_is_seeded_and_disjoint():
    tune, held = hold_out(20)
    assert len(held) == 4 and not set(tune) & set(held) and len(tune) + len(held) == 20
    assert (hold_out(20)[1] == held).all()
    assert len(hold_out(3)[1]) == 0


@pytest.mark.skipif(len(json.loads((SHIPPED_WEIGHTS / "digits.json").read_text()).get("labels", [])) != 11,
                    reason="the shipped model has no not_a_digit class yet")
def test_quick_fine_tune_end_to_end(tmp_path, mnist_test):
    images, labels = mnist_test
    corrections = write(tmp_path / "corrections.npz", images[:40], labels[:40], {"exported": "test"})
    out = tmp_path / "ft"
    command = [sys.executable, "build.py", "train", "--quick", "--extra", str(corrections), "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Held-out corrections:" in result.stdout
    card = json.loads((out / "model_card" / "model_card.json").read_text())
    ft = card["fine_tune"]
    assert ft["held_out"] == 8 and ft["fine_tuned_on"] == 32
    assert set(ft["before"]) == set(ft["after"]) and ft["held_out_accuracy"]["after"] is not None
    from pymodel import load_model
    assert len(load_model(out / "weights").predict28([0.0] * 784)) == 11
    command = [sys.executable, "build.py", "train", "--extra", str(tmp_path / "nope.npz"), "--out", str(out)]
    bad = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "nope.npz: no such file" in bad.stderr
