"""Build the static, offline site into one folder, and serve it locally.

`build_site()` assembles:
  - the page itself (web/: html, css, js, service worker, manifest, icons; no .py files, no tests),
  - the `pymodel` package + its weights under `py/pymodel/` (loaded into Pyodide's filesystem by the worker),
  - the TF.js graph model under `model/`,
  - only the browser runtime files the page needs, copied out of node_modules into `vendor/`,
  - `config.json` (what the build found: NumPy wheel or not, which files the Python worker must load),
  - the service worker's precache list and a content-hash version, written into `sw.js`.

All URLs in the site are relative, so it works under any sub-path (GitHub Pages project sites, COS buckets).
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import socketserver
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
NODE = ROOT / "node_modules"

# Exactly the runtime files the page loads; anything else in node_modules stays out of the site.
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
TFJS_FILES = [
    # The ES2017 builds: the ES5 ones bundle regenerator-runtime, which falls back to Function() (eval)
    # in strict mode, and the page's CSP rightly forbids eval.
    ("@tensorflow/tfjs/dist/tf.es2017.min.js", "tf.min.js"),
    ("@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js", "tf-backend-wasm.min.js"),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", "tfjs-backend-wasm.wasm"),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-simd.wasm"),
    # Threaded build only runs when the page is cross-origin isolated (never on GitHub Pages), but TF.js
    # picks it by feature detection, so ship it rather than 404 on a host that does send COOP/COEP.
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"),
]
# Files in web/ that are build/test tooling, not part of the site.
WEB_EXCLUDE_SUFFIXES = {".py", ".pyc"}
WEB_EXCLUDE_DIRS = {"__pycache__", "tests", "vendor", "model"}

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".zip": "application/zip",
    ".npz": "application/octet-stream",
    ".whl": "application/zip",
    ".py": "text/x-python",
    ".bin": "application/octet-stream",
    ".css": "text/css",
    ".html": "text/html",
}


class BuildError(RuntimeError):
    """A file the site cannot work without is missing."""


def _copy(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise BuildError(f"missing {src} (run `npm ci` for runtime files, or the model pipeline for weights)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def _copy_web(out: Path) -> None:
    for src in sorted(WEB.rglob("*")):
        rel = src.relative_to(WEB)
        if src.is_dir() or src.suffix in WEB_EXCLUDE_SUFFIXES or WEB_EXCLUDE_DIRS & set(rel.parts):
            continue
        _copy(src, out / rel)


def _copy_pymodel(out: Path, pymodel_dir: Path) -> list[str]:
    """Copy pymodel's sources and weights; return their site-relative paths (the worker writes them to Pyodide's FS)."""
    files: list[str] = []
    for src in sorted(pymodel_dir.glob("*.py")):
        _copy(src, out / "py" / "pymodel" / src.name)
        files.append(f"py/pymodel/{src.name}")
    weights = pymodel_dir / "weights"
    for name in ("digits.json", "digits.npz"):
        _copy(weights / name, out / "py" / "pymodel" / "weights" / name)
        files.append(f"py/pymodel/weights/{name}")
    return files


def _copy_tfjs_model(out: Path, model_dir: Path) -> None:
    manifest = model_dir / "model.json"
    _copy(manifest, out / "model" / "model.json")
    spec = json.loads(manifest.read_text())
    for group in spec.get("weightsManifest", []):
        for shard in group["paths"]:
            _copy(model_dir / shard, out / "model" / shard)


def _vendor_runtimes(out: Path, node_modules: Path) -> None:
    for name in PYODIDE_FILES:
        _copy(node_modules / "pyodide" / name, out / "vendor" / "pyodide" / name)
    for src, name in TFJS_FILES:
        _copy(node_modules / src, out / "vendor" / "tfjs" / name)


def _vendor_numpy(out: Path, base_url: str | None) -> str | None:
    """Vendor the NumPy wheel next to pyodide-lock.json so `loadPackage("numpy")` finds it locally.

    web/numpy_wheel.py (another module) fetches the exact wheel named in the lock and checks its sha256;
    it returns None when the distribution is unreachable (offline build): the site then runs pure-Python kernels.
    """
    try:
        from web.numpy_wheel import vendor_numpy_wheel
    except ImportError:
        try:  # when run as a script from web/
            from numpy_wheel import vendor_numpy_wheel  # type: ignore
        except ImportError:
            return None
    dest = out / "vendor" / "pyodide"
    try:
        wheel = vendor_numpy_wheel(dest / "pyodide-lock.json", dest, base_url)
    except Exception as exc:  # a failed optional download must not fail the site build
        print(f"build_site: NumPy wheel not vendored ({exc})", file=sys.stderr)
        return None
    if wheel is None:
        return None
    wheel = Path(wheel)
    if wheel.parent.resolve() != dest.resolve():
        shutil.copy2(wheel, dest / wheel.name)
    return wheel.name


def _precache(out: Path) -> tuple[list[str], str]:
    files = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "sw.js"
    )
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode())
        digest.update(hashlib.sha256((out / rel).read_bytes()).digest())
    digest.update((WEB / "sw.js").read_bytes())
    return files, digest.hexdigest()[:16]


def _write_sw(out: Path) -> str:
    files, version = _precache(out)
    # "./" is the page itself (navigations to the folder URL); index.html is listed too.
    entries = ["./"] + files
    src = (WEB / "sw.js").read_text()
    marker = "/*__PRECACHE__*/"
    if marker not in src:
        raise BuildError("web/sw.js lost its precache marker")
    injected = f"const VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(entries, indent=0)};\n"
    (out / "sw.js").write_text(src.replace(marker, injected))
    return version


def build_site(
    out_dir: Path = ROOT / "site",
    *,
    pymodel_dir: Path = ROOT / "pymodel",
    tfjs_model_dir: Path = ROOT / "web" / "model",
    node_modules: Path = NODE,
    numpy_base_url: str | None = None,
) -> Path:
    """Build the site into `out_dir` (replaced) and return it."""
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    _copy_web(out)
    py_files = _copy_pymodel(out, Path(pymodel_dir))
    _copy_tfjs_model(out, Path(tfjs_model_dir))
    _vendor_runtimes(out, Path(node_modules))
    wheel = _vendor_numpy(out, numpy_base_url)
    config = {
        "pymodel_files": py_files,
        "numpy_wheel": wheel,  # file name in vendor/pyodide/, or null: pure-Python kernels
        "manifest": "py/pymodel/weights/digits.json",
        "tfjs_model": "model/model.json",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    version = _write_sw(out)
    print(f"build_site: built {out} (cache version {version}, NumPy wheel: {wheel or 'not vendored'})")
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        # Revalidate every time so a rebuilt site is picked up; the service worker provides offline copies.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - keep test and bench output readable
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(port: int, out_dir: Path = ROOT / "site") -> http.server.HTTPServer:
    """A server bound to 127.0.0.1:port (0 picks a free port: see `server.server_address`)."""
    handler = functools.partial(_Handler, directory=str(out_dir))
    return _Server(("127.0.0.1", port), handler)


def serve(port: int = 8000, out_dir: Path = ROOT / "site") -> None:
    """Serve the built site on 127.0.0.1 until interrupted (builds it first when missing)."""
    out = Path(out_dir)
    if not (out / "index.html").is_file():
        build_site(out)
    server = make_server(port, out)
    print(f"Serving {out} at http://127.0.0.1:{server.server_address[1]}/  (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    build_site()
