"""The committed artifacts meet the issue's targets, and the model card's figures are reproducible."""
import json
import subprocess
import sys

from tests.helpers import MNIST, ROOT, SHIPPED_WEIGHTS

CARD = ROOT / "training" / "model_card" / "model_card.json"


def test_model_card_meets_targets():
    card = json.loads(CARD.read_text())
    assert card["test"]["accuracy"] >= 0.996
    assert card["model"]["multiply_adds"] <= 2_500_000
    assert card["files"]["npz_bytes"] <= 200_000
    manifest = json.loads((SHIPPED_WEIGHTS / "digits.json").read_text())
    assert manifest["unsure_threshold"] == card["test"]["unsure_threshold"]
    for name in ("confusion_matrix.png", "misclassified.png", "model_card.md"):
        assert (CARD.parent / name).stat().st_size > 1000


def test_cli_evaluate_reproduces_model_card_accuracy():
    card = json.loads(CARD.read_text())
    out = subprocess.run(
        [sys.executable, "-m", "pymodel", "evaluate", "--json",
         "--images", str(MNIST / "t10k-images-idx3-ubyte"), "--labels", str(MNIST / "t10k-labels-idx1-ubyte")],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    report = json.loads(out.stdout)
    assert report["digits"] == 10000
    assert report["accuracy"] == card["test"]["accuracy"]


def test_tfjs_model_is_exported():
    model = json.loads((ROOT / "web" / "model" / "model.json").read_text())
    assert model["format"] == "graph-model"
    shards = [p for group in model["weightsManifest"] for p in group["paths"]]
    assert all((ROOT / "web" / "model" / p).is_file() for p in shards)
