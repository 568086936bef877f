from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import MNIST, ROOT, SHIPPED_WEIGHTS


@pytest.fixture(scope="session")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    from pymodel.idx import read_idx
    return read_idx(MNIST / "t10k-images-idx3-ubyte"), read_idx(MNIST / "t10k-labels-idx1-ubyte")


@pytest.fixture
def weights_copy(tmp_path: Path) -> Path:
    """A scratch copy of the shipped weights that a test may damage."""
    dest = tmp_path / "weights"
    shutil.copytree(SHIPPED_WEIGHTS, dest)
    return dest


# ---- history and sync (web/js/history) ----

def _need_node_packages(*names: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    missing = [n for n in names if not (ROOT / "node_modules" / n).is_dir()]
    if missing:
        pytest.skip(f"npm packages missing: {', '.join(missing)} (run `npm ci`)")


@pytest.fixture
def history_node():
    """A Node process running web/js/history/* with the vendored PouchDB (tests/history_driver.py)."""
    _need_node_packages("pouchdb", "pouchdb-adapter-memory")
    from tests.history_driver import NodeDriver
    driver = NodeDriver()
    yield driver
    driver.close()


@pytest.fixture
def couch_server(tmp_path: Path):
    """A real CouchDB-protocol server on 127.0.0.1 with an admin user (tests/sync_server.py), stopped after."""
    _need_node_packages("express-pouchdb", "pouchdb-node")
    from tests.sync_server import CouchServer
    server = CouchServer(tmp_path / "couch").start()
    yield server
    server.stop()
