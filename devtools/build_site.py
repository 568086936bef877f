"""Build the static, offline site into one folder, and serve it locally.

`build_site()` assembles:
  - the page itself: everything in web/ (html, css, js, engine.py, service worker, manifest, icons),
  - the pymodel modules engine.py imports, and the weights (the digit classifier's and the row reader's),
    under `pymodel/` (devtools/browser_python.py decides which modules: the command line's cli.py,
    imageio.py and idx.py stay out),
  - the TF.js graph models: the digit classifier under `model/`, the row reader under `model/rows/`,
  - only the browser runtime files the page needs, copied out of node_modules into version-named folders
    (`vendor/pyodide-314.0.7/`, `vendor/pyscript-0.7.31/`, `vendor/tfjs-4.22.0/`) that a host may cache as
    immutable; every other file keeps a stable name,
  - `pyscript.json` (PyScript's config for the engine worker) and `config.json` (what the page's JavaScript
    needs to know about this build),
  - the service worker's precache list and a content-hash version, written into `sw.js`.

web/ names the vendored folders itself (index.html); the build checks that every `vendor/...` path the site
refers to exists, so a version bump in package.json that web/ does not follow fails here, not in a browser.
All URLs in the site are relative, so it works under any sub-path (GitHub Pages project sites, COS buckets).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

from devtools import server
from devtools.browser_python import browser_modules
from pymodel.checksum import sha256_bytes
from pymodel.row_weights import MANIFEST_NAME as ROWS_MANIFEST_NAME
from pymodel.row_weights import NPZ_NAME as ROWS_NPZ_NAME
from pymodel.weights import MANIFEST_NAME, NPZ_NAME

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
NODE = ROOT / "node_modules"
ENGINE = "engine.py"
PYSCRIPT_CONFIG = "pyscript.json"

# Exactly the runtime files the page loads; anything else in node_modules stays out of the site.
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
TFJS_FILES = [
    # The ES2017 builds: the ES5 ones bundle regenerator-runtime, which falls back to Function() (eval).
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
# PyScript: core.js and the chunks it imports statically, plus the chunks it imports at start-up: every
# plugin in its table (once per interpreter type: <py-config> can switch a plugin off for "py" but not for
# "mpy", so they all load; their code only acts on elements this page does not have) and, when
# pyscript.json lists packages (NumPy), its package graph. Chunk names carry an 8-character content hash.
PYSCRIPT_ENTRY = "core.js"
PYSCRIPT_CHUNKS = ("deprecations-manager", "donkey", "error", "py-editor", "py-game", "py-terminal", "pyodide_graph")
_STATIC_IMPORT = re.compile(r'(?:\bfrom|\bimport)\s*"\./([\w.-]+\.js)"')
# web/model/ (and web/model/rows/) is copied by _copy_tfjs_model (from wherever the models were exported);
# the rest of web/ is the site.
WEB_EXCLUDE_DIRS = {"model"}
_VENDOR_REF = re.compile(r"""(?<![\w/.-])\.?/?(vendor/[\w.+-]+/[\w./-]+\.(?:m?js|wasm|json|zip))""")


class BuildError(RuntimeError):
    """A file the site cannot work without is missing."""


def _copy(src: Path, dst: Path) -> None:
    if not src.is_file():
        raise BuildError(f"missing {src} (run `npm ci` for runtime files, or the model pipeline for weights)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def npm_version(node_modules: Path, package: str) -> str:
    try:
        return json.loads((node_modules / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError) as exc:
        raise BuildError(f"cannot read the version of npm package {package} ({exc}); run `npm ci`") from exc


def vendor_dirs(node_modules: Path = NODE) -> dict[str, str]:
    """Site-relative folder of each vendored runtime, named by its npm version."""
    tfjs = npm_version(node_modules, "@tensorflow/tfjs")
    wasm = npm_version(node_modules, "@tensorflow/tfjs-backend-wasm")
    if tfjs != wasm:
        raise BuildError(f"@tensorflow/tfjs {tfjs} and @tensorflow/tfjs-backend-wasm {wasm} must be the same version")
    return {
        "pyodide": f"vendor/pyodide-{npm_version(node_modules, 'pyodide')}",
        "pyscript": f"vendor/pyscript-{npm_version(node_modules, '@pyscript/core')}",
        "tfjs": f"vendor/tfjs-{tfjs}",
        "pouchdb": f"vendor/pouchdb-{npm_version(node_modules, 'pouchdb')}",
    }


def _copy_web(out: Path) -> None:
    for src in sorted(WEB.rglob("*")):
        rel = src.relative_to(WEB)
        if src.is_dir() or WEB_EXCLUDE_DIRS & set(rel.parts) or "__pycache__" in rel.parts:
            continue
        _copy(src, out / rel)


def _copy_pymodel(out: Path, pymodel_dir: Path) -> list[str]:
    """Copy the pymodel modules engine.py imports, and the weights; return their site-relative paths."""
    files: list[str] = []
    for src in browser_modules(WEB / ENGINE, pymodel_dir):
        rel = f"pymodel/{src.relative_to(pymodel_dir).as_posix()}"
        _copy(src, out / rel)
        files.append(rel)
    for name in (MANIFEST_NAME, NPZ_NAME, ROWS_MANIFEST_NAME, ROWS_NPZ_NAME):
        _copy(pymodel_dir / "weights" / name, out / "pymodel" / "weights" / name)
        files.append(f"pymodel/weights/{name}")
    return files


def _copy_tfjs_model(out: Path, model_dir: Path, dest: str = "model") -> str:
    """Copy a graph model's model.json and the shards it names into `dest`; return model.json's site path."""
    manifest = model_dir / "model.json"
    _copy(manifest, out / dest / "model.json")
    spec = json.loads(manifest.read_text())
    for group in spec.get("weightsManifest", []):
        for shard in group["paths"]:
            _copy(model_dir / shard, out / dest / shard)
    return f"{dest}/model.json"


def pyscript_files(dist: Path) -> list[str]:
    """The files of @pyscript/core's dist/ that the page loads (see PYSCRIPT_ENTRY and PYSCRIPT_CHUNKS)."""
    names: list[str] = []
    todo = [PYSCRIPT_ENTRY]
    for chunk in PYSCRIPT_CHUNKS:
        pattern = re.compile(rf"{re.escape(chunk)}-[\w-]{{8}}\.js")
        matches = [p.name for p in dist.glob(f"{chunk}-*.js") if pattern.fullmatch(p.name)]
        if len(matches) != 1:
            raise BuildError(f"@pyscript/core: expected one {chunk}-<hash>.js chunk in {dist}, found {matches}")
        todo.append(matches[0])
    while todo:
        name = todo.pop()
        if name in names:
            continue
        if not (dist / name).is_file():
            raise BuildError(f"@pyscript/core: {name} is missing from {dist} (run `npm ci`)")
        names.append(name)
        todo.extend(_STATIC_IMPORT.findall((dist / name).read_text()))
    return sorted(names)


def _vendor_runtimes(out: Path, node_modules: Path, dirs: dict[str, str]) -> None:
    for name in PYODIDE_FILES:
        _copy(node_modules / "pyodide" / name, out / dirs["pyodide"] / name)
    for src, name in TFJS_FILES:
        _copy(node_modules / src, out / dirs["tfjs"] / name)
    dist = node_modules / "@pyscript" / "core" / "dist"
    for name in pyscript_files(dist):
        _copy(dist / name, out / dirs["pyscript"] / name)
    for name in POUCHDB_FILES:
        _copy(node_modules / "pouchdb" / "dist" / name, out / dirs["pouchdb"] / name)


def _vendor_numpy(out: Path, pyodide_dir: str, base_url: str | None) -> str | None:
    """Vendor the NumPy wheel next to pyodide-lock.json so Pyodide finds it locally and checks its sha256.

    devtools/numpy_wheel.py fetches the exact wheel named in the lock and checks its sha256;
    it returns None when the distribution is unreachable (offline build): the site then runs pure-Python kernels.
    """
    from devtools.numpy_wheel import vendor_numpy_wheel
    dest = out / pyodide_dir
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


def pyscript_config(py_files: list[str], pyodide_dir: str, numpy: bool) -> dict:
    """PyScript's config for the engine worker. Paths are relative to pyscript.json (the site's root)."""
    config: dict = {
        "interpreter": f"./{pyodide_dir}/pyodide.mjs",
        # URL in the site -> path in the worker's file system (engine.py's folder, on sys.path).
        "files": {f"./{rel}": f"./{rel}" for rel in py_files},
    }
    if numpy:
        # "passthrough" hands the list straight to Pyodide, which installs the wheel next to
        # pyodide-lock.json after checking its sha256; PyScript's default would fetch micropip first.
        config["packages"] = ["numpy"]
        config["packages_cache"] = "passthrough"
    return config


def _check_vendor_references(out: Path) -> None:
    """Every vendor/... file the page, its scripts and configs name must be in the site."""
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.suffix not in (".html", ".js", ".json") or not path.is_file() or rel.parts[0] == "vendor":
            continue
        for ref in _VENDOR_REF.findall(path.read_text()):
            if not (out / ref).is_file():
                raise BuildError(
                    f"{rel} refers to {ref}, which the build did not produce: the vendored "
                    f"folders are {', '.join(sorted(p.name for p in (out / 'vendor').iterdir()))} "
                    f"(named by the versions in package.json); update the reference in web/"
                )


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


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def build_site(
    out_dir: Path = ROOT / "site",
    *,
    pymodel_dir: Path = ROOT / "pymodel",
    tfjs_model_dir: Path = ROOT / "web" / "model",
    tfjs_rows_dir: Path = ROOT / "web" / "model" / "rows",
    node_modules: Path = NODE,
    numpy_base_url: str | None = None,
) -> Path:
    """Build the site into `out_dir` (replaced) and return it."""
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    node_modules = Path(node_modules)
    dirs = vendor_dirs(node_modules)
    _copy_web(out)
    py_files = _copy_pymodel(out, Path(pymodel_dir))
    tfjs_model = _copy_tfjs_model(out, Path(tfjs_model_dir))
    tfjs_rows_model = _copy_tfjs_model(out, Path(tfjs_rows_dir), "model/rows")
    _vendor_runtimes(out, node_modules, dirs)
    wheel = _vendor_numpy(out, dirs["pyodide"], numpy_base_url)
    write_json(out / PYSCRIPT_CONFIG, pyscript_config(py_files, dirs["pyodide"], numpy=wheel is not None))
    write_json(out / "config.json", {
        "numpy_wheel": wheel,  # file name next to pyodide-lock.json, or null: pure-Python kernels
        "manifest": f"pymodel/weights/{MANIFEST_NAME}",
        "tfjs_model": tfjs_model,
        "tfjs_rows_model": tfjs_rows_model,  # the row reader (web/js/tfjs-rows.js)
        "pouchdb": f"{dirs['pouchdb']}/{POUCHDB_FILES[0]}",
    })
    _check_vendor_references(out)
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
