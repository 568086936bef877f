"""web/js/result.js: the status rules TF.js applies to its model's outputs (pymodel applies the same in Python),
for today's 10-class manifest and for an 11-class one with a "not_a_digit" output."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.helpers import ROOT, SHIPPED_WEIGHTS

RUN = """
import { rulesFromManifest, decide, normalize } from %s;
const cases = JSON.parse(process.argv[1]);
const out = cases.map(([manifest, outputs]) => decide(outputs, rulesFromManifest(manifest)));
out.push(normalize("python", { empty: true }, 1), normalize("python", { digit: 4, probs: [0], unsure: true }, 2));
process.stdout.write(JSON.stringify(out));
"""


def _run(cases: list) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    url = json.dumps((ROOT / "web" / "js" / "result.js").as_uri())
    proc = subprocess.run([node, "--input-type=module", "-e", RUN % url, json.dumps(cases)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_ten_and_eleven_class_rules():
    ten = json.loads((SHIPPED_WEIGHTS / "digits.json").read_text())
    eleven = {**ten, "labels": [*ten["labels"][:10], "not_a_digit"], "reject_threshold": 0.5}
    sure = [0.0] * 10
    sure[3] = 0.97
    unsure = [0.1] * 10
    unsure[7] = 0.1 + 1e-3
    *results, legacy_empty, legacy_unsure = _run([
        [ten, sure],
        [ten, unsure],
        [eleven, [*sure[:10], 0.02]],
        [eleven, [0.01] * 10 + [0.9]],
        [eleven, [0.04] * 10 + [0.5]],  # at the threshold counts as rejected
        [{**ten, "reject_threshold": 0.1}, [0.0] * 9 + [0.05]],  # 10 classes never say not_a_digit
    ])
    assert results[0] == {"digit": 3, "confidence": 0.97, "probs": sure, "status": "ok"}
    assert results[1]["digit"] == 7 and results[1]["status"] == "unsure"  # below the manifest's threshold
    assert results[2]["digit"] == 3 and results[2]["status"] == "ok" and len(results[2]["probs"]) == 10
    assert results[3] == {"digit": None, "confidence": 0.9, "probs": [0.01] * 10, "status": "not_a_digit"}
    assert results[4]["status"] == "not_a_digit"
    assert results[5]["status"] == "unsure" and results[5]["digit"] == 9
    # Old-style results (only empty/unsure flags) get a status; every result gets the legacy flags.
    assert legacy_empty["status"] == "empty" and legacy_empty["digit"] is None and legacy_empty["empty"] is True
    assert legacy_unsure["status"] == "unsure" and legacy_unsure["digit"] == 4 and legacy_unsure["box"] is None
