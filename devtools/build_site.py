"""Build the static, offline site into one folder, and serve it locally.

`build_site()` assembles:
  - the page itself (web/: html, css, js, service worker, manifest, icons),
  - the `pymodel` package + its weights under `py/pymodel/` (loaded into Pyodide's filesystem by the worker),
  - the TF.js graph model under `model/`,
  - only the browser runtime files the page needs, copied out of node_modules into `vendor/`,
  - `config.json` (what the build found: NumPy wheel or not, which files the Python worker must load),
  - the service worker's precache list and a content-hash version, written into `sw.js`.

All URLs in the site are relative, so it works under any sub-path (GitHub Pages project sites, COS buckets).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

from devtools import server
from pymodel.checksum import sha256_bytes
from pymodel.weights import MANIFEST_NAME, NPZ_NAME

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
# PouchDB's browser build (IndexedDB, HTTP, replication) as one classic script defining window.PouchDB; the
# history loads it on demand (web/js/history/pouchdb.js). Served from vendor/pouchdb-<version>/.
POUCHDB_FILES = ["pouchdb.min.js"]
# web/model/ is copied by _copy_tfjs_model (from wherever the model was exported); the rest of web/ is the site.
WEB_EXCLUDE_DIRS = {"model"}



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
        if src.is_dir() or WEB_EXCLUDE_DIRS & set(rel.parts):
            continue
        _copy(src, out / rel)


def _copy_pymodel(out: Path, pymodel_dir: Path) -> list[str]:
    """Copy pymodel's sources and weights; return their site-relative paths (the worker writes them to Pyodide's FS)."""
    files: list[str] = []
    for src in sorted(pymodel_dir.glob("*.py")):
        _copy(src, out / "py" / "pymodel" / src.name)
        files.append(f"py/pymodel/{src.name}")
    weights = pymodel_dir / "weights"
    for name in (MANIFEST_NAME, NPZ_NAME):
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


def _vendor_pouchdb(out: Path, node_modules: Path) -> str:
    """Copy PouchDB into vendor/pouchdb-<version>/; return the script's site-relative path."""
    package = node_modules / "pouchdb" / "package.json"
    if not package.is_file():
        raise BuildError(f"missing {package} (run `npm ci`)")
    folder = f"vendor/pouchdb-{json.loads(package.read_text())['version']}"
    for name in POUCHDB_FILES:
        _copy(node_modules / "pouchdb" / "dist" / name, out / folder / name)
    return f"{folder}/{POUCHDB_FILES[0]}"


def _vendor_numpy(out: Path, base_url: str | None) -> str | None:
    """Vendor the NumPy wheel next to pyodide-lock.json so `loadPackage("numpy")` finds it locally.

    devtools/numpy_wheel.py fetches the exact wheel named in the lock and checks its sha256;
    it returns None when the distribution is unreachable (offline build): the site then runs pure-Python kernels.
    """
    from devtools.numpy_wheel import vendor_numpy_wheel
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
        digest.update(bytes.fromhex(sha256_bytes((out / rel).read_bytes())))
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
        "manifest": f"py/pymodel/weights/{MANIFEST_NAME}",
        "tfjs_model": "model/model.json",
        "pouchdb": _vendor_pouchdb(out, Path(node_modules)),
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    version = _write_sw(out)
    print(f"build_site: built {out} (cache version {version}, NumPy wheel: {wheel or 'not vendored'})")
    return out


def serve(port: int = 8000, out_dir: Path = ROOT / "site") -> None:
    """Serve the built site on 127.0.0.1 until interrupted (builds it first when missing)."""
    out = Path(out_dir)
    if not (out / "index.html").is_file():
        build_site(out)
    server.serve(port, out)


if __name__ == "__main__":
    build_site()
