"""The committed artifacts: their budgets and measured floors, the issue targets still open (xfail), and the
model card's figures are reproducible."""
import json
import subprocess
import sys

import pytest

from tests.helpers import MNIST, ROOT, SHIPPED_WEIGHTS

CARD = ROOT / "training" / "model_card" / "model_card.json"


def test_model_card_holds_the_shipped_figures():
    """The shipped model's card: the budgets it meets, and floors at what it measured, so a regression in a
    retrained model fails here. (Issue 7's MNIST and realistic-flagging targets: the test below.)"""
    card = json.loads(CARD.read_text())
    real = card["realistic_eval"]
    # Floors at the shipped model's figures (retrained with fragment_weight 0.5: realistic digits 94.2 -> 94.8%,
    # flagged 4.7 -> 4.2%, MNIST 99.35 -> 99.23%; the trade was taken for real paper, see the model card;
    # then the cells' spreads in the polarity test: realistic digits 95.5%, flagged 3.5%; then lines thin up to
    # 1/33 with crossings kept: 95.7%, and single-path non-digits 94.2 -> 93.9% while the page's reader, which
    # is what the page shows, answers fewer of them, 8.9 -> 8.6%; then a dark lean of the cells decides the
    # polarity under hard shadows: 96.2% correct, 3.0% flagged, numbers 80.4%; then the lighting-edge check of
    # a light verdict, a photo mostly in shadow with a lit corner: 96.3 -> 96.7% correct, 2.7 -> 2.5% flagged;
    # then the thick sides of a frame erased: 96.8%, 2.3% flagged, numbers 82.8%; then MNIST digits weighing 2
    # in the loss: MNIST 99.23 -> 99.49% argmax, realistic digits 97.2%, 1.8% flagged, numbers 83.2%).
    assert card["test"]["accuracy"] >= 0.994  # argmax over all outputs: "not_a_digit" on a digit is an error
    assert real["mnist_test"]["accuracy"] >= 0.995  # the digit chosen, through the run-time path
    assert real["mnist_test"]["flagged_rate"] <= 0.02
    # MNIST digits as image files through Model.read: 88.6% as saved and 97.7% enlarged before preprocess's
    # step 0 (read as they are) and ink.py's plain background.
    files = real["mnist_test"]["read_as_files"]
    assert files["as_saved"]["shown_correct"] >= 0.994 and files["as_saved"]["n"] == 10000
    assert files["enlarged_4x_dark_on_white"]["shown_correct"] >= 0.985
    assert real["realistic"]["non_digits"]["flagged_rate"] >= 0.90
    assert real["realistic"]["digits"]["accuracy"] >= 0.97
    assert real["realistic"]["digits"]["flagged_rate"] <= 0.03
    # 94.2% until a reading with no sure digit, or a digit at the border, was read again inside a margin of
    # paper: three non-digits written up to the crop's edge (letters, a scribble) then read as sure digits.
    assert real["realistic"]["non_digits"]["flagged_rate"] >= 0.93
    # Those digits cropped to their box, as a photo cropped before it is uploaded: 69.7% and 87.7% (with 5% of
    # the box's side round it) before that second reading; 88.8% on the box before a digit a pixel or two
    # short of the border counted as touching it (model.BORDER_NEAR); 94.2% and 93.5% before a digit under
    # MARGIN_SURE called for the second reading too; 95.0% and 95.5% before the third look (model._LOOKS).
    tight = real["tight_crops"]
    assert tight["0"]["accuracy"] >= 0.95 and tight["0.05"]["accuracy"] >= 0.95 and tight["0"]["n"] == 600
    # Numbers written one digit to a cell of a form (training/forms.py): comb 33%, boxes side by side 66% and
    # separate boxes 87% before the walls between the cells were erased (pymodel/walls.py); with only the first
    # cells written, 49%, 61% and 90% before a row as regular as print needed no writing (walls._printed).
    # The row reader (segment.py's step 6) took the six layouts from 564 to 568 of 600, but separate boxes from
    # 97 to 94: it reads a clear single digit in its box as another ("87214" as "87219", "8111" as "8112",
    # "031636" as "931636"), each shown unsure ("whole_row"). Left for the referee's next tuning.
    forms = real["forms"]
    assert forms["comb"]["exact_rate"] >= 0.83 and forms["boxes"]["exact_rate"] >= 0.91
    assert forms["apart"]["exact_rate"] >= 0.94 and forms["comb"]["n"] == 100
    assert forms["comb_partly"]["exact_rate"] >= 0.9 and forms["boxes_partly"]["exact_rate"] >= 0.9
    assert forms["apart_partly"]["exact_rate"] >= 0.96 and forms["comb_partly"]["n"] == 100
    # The page's number reader, same weights: numbers read exactly, single digits not cut into several,
    # non-digits given a confident reading (issue 8's reader; targets not met yet, see the README).
    assert real["numbers"]["all"]["exact_rate"] >= 0.82
    assert real["realistic"]["digits"]["read_as_number_rate"] <= 0.012
    assert real["realistic"]["non_digits"]["read_answered_rate"] <= 0.09
    assert card["model"]["multiply_adds"] <= 2_500_000
    assert card["files"]["npz_bytes"] <= 200_000
    manifest = json.loads((SHIPPED_WEIGHTS / "digits.json").read_text())
    assert manifest["unsure_threshold"] == card["test"]["unsure_threshold"]
    for name in ("confusion_matrix.png", "misclassified.png", "model_card.md"):
        assert (CARD.parent / name).stat().st_size > 1000


def test_model_card_meets_issue_7_realistic_flagging_target():
    """At most 3% of the realistic digits flagged (met since the dark-lean polarity rule: 3.0%; 2.7% since lines
    are found at slopes up to 0.18; 2.5% since a light polarity verdict is checked away from lighting edges;
    2.3% since the thick sides of a frame are erased; 1.8% since MNIST digits weigh 2 in the loss)."""
    card = json.loads(CARD.read_text())
    assert card["realistic_eval"]["realistic"]["digits"]["flagged_rate"] <= 0.03


@pytest.mark.xfail(strict=True, reason="issue 7's MNIST target is not met yet by the shipped 11-class model: "
                   "99.49% (target 99.60%); see the model card")
def test_model_card_meets_issue_7_mnist_target():
    card = json.loads(CARD.read_text())
    assert card["test"]["accuracy"] >= 0.996


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
