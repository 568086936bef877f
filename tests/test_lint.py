"""The linters the project is held to: ruff for Python (pyproject.toml) and ESLint for JavaScript
(eslint.config.js). Their output is the failure message."""
from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff():
    proc = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])
    assert proc.returncode == 0, f"ruff found problems (it comes with the test extra):\n{proc.stdout}{proc.stderr}"


def test_eslint():
    eslint = ROOT / "node_modules" / ".bin" / "eslint"
    assert eslint.exists(), "ESLint is missing: run `npm ci` (it is a devDependency in package.json)"
    proc = _run([str(eslint), "--max-warnings", "0", "."])
    assert proc.returncode == 0, f"ESLint found problems:\n{proc.stdout}{proc.stderr}"
