"""build.py's npm step never runs `npm ci` through a node_modules link (it would empty the shared folder)."""
from __future__ import annotations

import os

import pytest

import build


def test_npm_ci_is_refused_through_a_linked_node_modules(tmp_path, monkeypatch):
    shared = tmp_path / "shared_node_modules"
    (shared / "pyodide").mkdir(parents=True)
    (shared / ".package-lock.json").write_text("{}")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "node_modules").symlink_to(shared, target_is_directory=True)
    lock = checkout / "package-lock.json"
    lock.write_text("{}")
    os.utime(shared / ".package-lock.json", (1, 1))  # the install looks older than the lock
    monkeypatch.setattr(build, "ROOT", checkout)
    ran = []
    monkeypatch.setattr(build, "_run", lambda cmd, **kw: ran.append(cmd))
    with pytest.raises(SystemExit, match="node_modules links to"):
        build.ensure_npm()
    assert ran == [] and (shared / "pyodide").is_dir()
