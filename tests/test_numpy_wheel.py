"""devtools/numpy_wheel.py against a local HTTP server: success, checksum mismatch, 404, unreachable, cache."""
from __future__ import annotations

import hashlib
import json
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devtools.numpy_wheel import WheelChecksumError, WheelLockError, vendor_numpy_wheel

WHEEL_NAME = "numpy-9.9.9-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
WHEEL_BYTES = b"PK\x03\x04 not really a wheel " * 5000  # ~130 kB: several read chunks


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/served on a free 127.0.0.1 port; yields (base_url, served_dir, requests)."""
    served = tmp_path / "served"
    served.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(served)))
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", served, httpd.requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def write_lock(path: Path, sha: str, file_name: str = WHEEL_NAME) -> Path:
    numpy = {"name": "numpy", "file_name": file_name, "sha256": sha}
    lock = {"info": {"python": "3.14.2"}, "packages": {"numpy": numpy}}
    path.write_text(json.dumps(lock))
    return path


@pytest.fixture
def lock(tmp_path):
    return write_lock(tmp_path / "pyodide-lock.json", hashlib.sha256(WHEEL_BYTES).hexdigest())


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_success_vendors_verified_wheel_and_caches_it(server, lock, tmp_path):
    base, served, requests = server
    (served / WHEEL_NAME).write_bytes(WHEEL_BYTES)
    dest, cache = tmp_path / "dest", tmp_path / "cache"
    got = vendor_numpy_wheel(lock, dest, base, timeout=5, cache_dir=cache)
    assert got == dest / WHEEL_NAME
    assert hashlib.sha256(got.read_bytes()).hexdigest() == hashlib.sha256(WHEEL_BYTES).hexdigest()
    assert requests == [f"/{WHEEL_NAME}"]
    assert leftovers(dest) == [WHEEL_NAME]  # no temporary files
    assert (cache / WHEEL_NAME).read_bytes() == WHEEL_BYTES


def test_base_url_without_trailing_slash_and_env_override(server, lock, tmp_path, monkeypatch):
    base, served, requests = server
    (served / "sub").mkdir()
    (served / "sub" / WHEEL_NAME).write_bytes(WHEEL_BYTES)
    monkeypatch.setenv("PYODIDE_BASE_URL", base + "sub")
    got = vendor_numpy_wheel(lock, tmp_path / "dest", timeout=5, cache_dir=None)
    assert got is not None and got.read_bytes() == WHEEL_BYTES
    assert requests == [f"/sub/{WHEEL_NAME}"]


def test_checksum_mismatch_raises_and_leaves_nothing(server, lock, tmp_path):
    base, served, requests = server
    (served / WHEEL_NAME).write_bytes(WHEEL_BYTES + b"tampered")
    dest, cache = tmp_path / "dest", tmp_path / "cache"
    with pytest.raises(WheelChecksumError, match="sha256"):
        vendor_numpy_wheel(lock, dest, base, timeout=5, cache_dir=cache)
    assert requests == [f"/{WHEEL_NAME}"]
    assert leftovers(dest) == []
    assert leftovers(cache) == []


def test_http_404_returns_none(server, lock, tmp_path, capsys):
    base, served, requests = server
    dest = tmp_path / "dest"
    assert vendor_numpy_wheel(lock, dest, base, timeout=5, cache_dir=tmp_path / "cache") is None
    assert requests == [f"/{WHEEL_NAME}"]
    assert leftovers(dest) == []
    err = capsys.readouterr().err
    assert "404" in err and len(err.strip().splitlines()) == 1


def test_unreachable_host_returns_none(lock, tmp_path, capsys):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "dest"
    got = vendor_numpy_wheel(lock, dest, f"http://127.0.0.1:{port}/", timeout=2, cache_dir=tmp_path / "cache")
    assert got is None
    assert leftovers(dest) == []
    err = capsys.readouterr().err
    assert "unreachable" in err and len(err.strip().splitlines()) == 1


def test_present_wheel_is_reused_without_request(server, lock, tmp_path):
    base, served, requests = server
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / WHEEL_NAME).write_bytes(WHEEL_BYTES)
    assert vendor_numpy_wheel(lock, dest, base, timeout=5, cache_dir=None) == dest / WHEEL_NAME
    assert requests == []


def test_cached_wheel_is_reused_without_request(server, lock, tmp_path):
    base, served, requests = server
    (served / WHEEL_NAME).write_bytes(WHEEL_BYTES)
    cache = tmp_path / "cache"
    first = vendor_numpy_wheel(lock, tmp_path / "dest1", base, timeout=5, cache_dir=cache)
    assert first is not None and len(requests) == 1
    second = vendor_numpy_wheel(lock, tmp_path / "dest2", base, timeout=5, cache_dir=cache)
    assert second == tmp_path / "dest2" / WHEEL_NAME
    assert second.read_bytes() == WHEEL_BYTES
    assert len(requests) == 1  # served from the cache


def test_bad_present_and_cached_files_are_replaced(server, lock, tmp_path):
    base, served, requests = server
    (served / WHEEL_NAME).write_bytes(WHEEL_BYTES)
    dest, cache = tmp_path / "dest", tmp_path / "cache"
    dest.mkdir()
    cache.mkdir()
    (dest / WHEEL_NAME).write_bytes(b"stale")
    (cache / WHEEL_NAME).write_bytes(b"corrupt")
    got = vendor_numpy_wheel(lock, dest, base, timeout=5, cache_dir=cache)
    assert got.read_bytes() == WHEEL_BYTES and (cache / WHEEL_NAME).read_bytes() == WHEEL_BYTES
    assert len(requests) == 1


def test_bad_present_file_is_removed_when_offline(lock, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / WHEEL_NAME).write_bytes(b"stale")
    assert vendor_numpy_wheel(lock, dest, f"http://127.0.0.1:{port}/", timeout=2, cache_dir=None) is None
    assert leftovers(dest) == []


@pytest.mark.parametrize("file_name", ["../evil.whl", "a/b.whl", ""])
def test_suspicious_lock_is_rejected(tmp_path, file_name):
    lock = write_lock(tmp_path / "pyodide-lock.json", "0" * 64, file_name)
    with pytest.raises(WheelLockError):
        vendor_numpy_wheel(lock, tmp_path / "dest", "http://127.0.0.1:9/", cache_dir=None)


def test_real_lock_names_numpy_and_default_url_uses_package_version(monkeypatch):
    from devtools.numpy_wheel import DEFAULT_LOCK, lock_entry, resolve_base_url

    if not DEFAULT_LOCK.exists():
        pytest.skip("node_modules/pyodide is not installed (npm install)")
    name, sha = lock_entry(DEFAULT_LOCK)
    assert name.startswith("numpy-") and name.endswith(".whl") and len(sha) == 64
    version = json.loads((DEFAULT_LOCK.parent / "package.json").read_text())["version"]
    monkeypatch.delenv("PYODIDE_BASE_URL", raising=False)
    assert resolve_base_url(DEFAULT_LOCK, None) == f"https://cdn.jsdelivr.net/pyodide/v{version}/full/"
