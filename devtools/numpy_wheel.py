"""Vendor Pyodide's NumPy wheel next to the site's pyodide-lock.json, checked against the lock's sha256.

NumPy built for Pyodide is not on PyPI or npm: it exists only in the official Pyodide distribution
(a CDN). The npm `pyodide` package ships the lock file that names the exact wheel and its sha256, so we
fetch that file, verify it, and place it where `pyodide.loadPackage("numpy")` looks (next to the lock).

When the distribution cannot be reached (offline build machine) this returns None and prints one line;
the site then runs its pure-Python kernels. A download whose checksum does not match the lock raises
WheelChecksumError: that is a wrong or tampered file, not a network hiccup, and must not be ignored.
A bad or partial file is never left behind: downloads go to a temporary file that is renamed into place
only after its sha256 matched.

Standard library only.

    python -m devtools.numpy_wheel DEST_DIR
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from pymodel.checksum import sha256_file

ROOT = Path(__file__).resolve().parents[1]
NODE_PYODIDE = ROOT / "node_modules" / "pyodide"
DEFAULT_LOCK = NODE_PYODIDE / "pyodide-lock.json"
DEFAULT_CACHE = ROOT / ".cache" / "pyodide-wheels"  # git-ignored (.cache/)
DEFAULT_BASE_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
ENV_BASE_URL = "PYODIDE_BASE_URL"
PACKAGE = "numpy"
_CHUNK = 1 << 16


class WheelChecksumError(RuntimeError):
    """The downloaded wheel's sha256 is not the one in pyodide-lock.json."""


class WheelLockError(ValueError):
    """pyodide-lock.json (or the pyodide package.json) does not say which wheel to fetch."""


def _note(message: str) -> None:
    print(f"numpy_wheel: {message}", file=sys.stderr)


def lock_entry(lock_path: Path, package: str = PACKAGE) -> tuple[str, str]:
    """(file_name, sha256) of `package` in a pyodide-lock.json."""
    try:
        lock = json.loads(Path(lock_path).read_text())
        entry = lock["packages"][package]
        file_name, sha = entry["file_name"], entry["sha256"].lower()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WheelLockError(f"{lock_path}: no usable packages.{package} entry ({exc!r})") from exc
    # The name becomes part of a URL and a path: refuse anything that is not a plain file name.
    if not file_name or Path(file_name).name != file_name or file_name in (".", ".."):
        raise WheelLockError(f"{lock_path}: suspicious file_name {file_name!r}")
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise WheelLockError(f"{lock_path}: malformed sha256 {sha!r}")
    return file_name, sha


def pyodide_version(lock_path: Path) -> str:
    """The pyodide npm package version: package.json next to the lock, else node_modules/pyodide's,
    else the lock's own info.version (newer locks carry it)."""
    for pkg in (Path(lock_path).parent / "package.json", NODE_PYODIDE / "package.json"):
        try:
            data = json.loads(pkg.read_text())
        except (OSError, ValueError):
            continue
        if data.get("name") == "pyodide" and data.get("version"):
            return str(data["version"])
    try:
        version = json.loads(Path(lock_path).read_text())["info"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        version = None
    if not version:
        raise WheelLockError("cannot tell the Pyodide version (no node_modules/pyodide/package.json)")
    return str(version)


def resolve_base_url(lock_path: Path, base_url: str | None) -> str:
    """Argument, else $PYODIDE_BASE_URL, else the jsDelivr mirror of this Pyodide version."""
    url = base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL.format(version=pyodide_version(lock_path))
    return url if url.endswith("/") else url + "/"


def _atomic_copy(src: Path, dest: Path) -> None:
    """Copy via a temporary file in dest's directory, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out, _CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _download(url: str, dest: Path, sha: str, timeout: float) -> bool:
    """Fetch url into dest if its sha256 is `sha`. False (with a note) when unreachable or on an HTTP
    error; WheelChecksumError when the bytes arrive but are wrong. Nothing is left behind on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp_path = Path(tmp)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as exc:
                _note(f"HTTP error {exc.code} fetching {url}; using pure-Python kernels")
                return False
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                _note(f"unreachable: {url} ({reason}); using pure-Python kernels")
                return False
        got = digest.hexdigest()
        if got != sha:
            raise WheelChecksumError(
                f"{url}: sha256 {got} does not match pyodide-lock.json ({sha}); file discarded"
            )
        os.replace(tmp_path, dest)
        return True
    finally:
        tmp_path.unlink(missing_ok=True)  # no-op after a successful rename


def vendor_numpy_wheel(
    lock_path: Path,
    dest_dir: Path,
    base_url: str | None = None,
    timeout: float = 10,
    *,
    cache_dir: Path | None = DEFAULT_CACHE,
) -> Path | None:
    """Put the NumPy wheel named in `lock_path` into `dest_dir`, verified; return its path or None.

    Order: a matching file already in dest_dir, then one in cache_dir (no request either way), then a
    download from `<base_url><file_name>`. cache_dir=None disables the cache.
    """
    file_name, sha = lock_entry(Path(lock_path))
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / file_name

    if dest.is_file():
        if sha256_file(dest) == sha:
            return dest
        _note(f"removing {dest}: its sha256 does not match the lock")
        dest.unlink()

    cached = Path(cache_dir) / file_name if cache_dir is not None else None
    if cached is not None and cached.is_file():
        if sha256_file(cached) == sha:
            _atomic_copy(cached, dest)
            return dest
        _note(f"removing {cached}: its sha256 does not match the lock")
        cached.unlink()

    url = resolve_base_url(Path(lock_path), base_url) + urllib.parse.quote(file_name)
    if not _download(url, dest, sha, timeout):
        return None
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            _atomic_copy(dest, cached)
        except OSError as exc:  # the cache is an optimisation; the wheel itself is in place
            _note(f"could not cache the wheel in {cached.parent} ({exc})")
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        dest = Path(args[0])
    else:
        from devtools.build_site import vendor_dirs  # the built site's version-named Pyodide folder
        dest = ROOT / "site" / vendor_dirs()["pyodide"]
    try:
        wheel = vendor_numpy_wheel(DEFAULT_LOCK, dest, timeout=5)
    except (WheelChecksumError, WheelLockError) as exc:
        print(f"numpy_wheel: {exc}", file=sys.stderr)
        return 1
    print(wheel if wheel else "NumPy wheel not vendored")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
