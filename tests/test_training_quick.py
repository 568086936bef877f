"""`python build.py train --quick` runs every step of the pipeline end to end into a scratch folder."""
import json
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) is not installed")


def test_quick_training_pipeline(tmp_path):
    out = tmp_path / "quick"
    subprocess.run([sys.executable, "build.py", "train", "--quick", "--out", str(out)], cwd=ROOT, check=True,
                   timeout=600)
    from pymodel import load_model

    model = load_model(out / "weights")
    card = json.loads((out / "model_card" / "model_card.json").read_text())
    assert card["training"]["train_digits"] == 8000 and card["training"]["epochs_run"] >= 1
    # Two short epochs already learn a lot; far above the 10% of guessing.
    assert card["test"]["accuracy"] > 0.8
    assert card["model"]["multiply_adds"] == json.loads((out / "weights" / "digits.json").read_text())["multiply_adds"]
    assert (out / "tfjs" / "model.json").is_file()
    assert (out / "model_card" / "confusion_matrix.png").is_file()
    assert model.predict28([0.0] * 784) is not None
    # The shipped artifacts are untouched by a quick run.
    assert json.loads((ROOT / "pymodel" / "weights" / "digits.json").read_text())["weights"]["sha256"] != \
        json.loads((out / "weights" / "digits.json").read_text())["weights"]["sha256"]
