"""The built site: only the needed runtime files in version-named folders, the pymodel modules engine.py
imports, relative URLs only, one local interpreter for PyScript, a complete precache list, right MIME types."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest

from devtools.browser_python import browser_modules
from devtools.build_site import (
    NODE,
    POUCHDB_FILES,
    PYODIDE_FILES,
    TFJS_FILES,
    WEB,
    BuildError,
    build_site,
    pyscript_files,
    vendor_dirs,
)
from tests.helpers import ROOT


def _files(site_dir) -> set[str]:
    return {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()}


def test_site_holds_only_what_the_page_needs(site_dir):
    files = _files(site_dir)
    dirs = vendor_dirs()
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert dirs == {
        "pyodide": f"vendor/pyodide-{pinned['pyodide']}",
        "pyscript": f"vendor/pyscript-{pinned['@pyscript/core']}",
        "tfjs": f"vendor/tfjs-{pinned['@tensorflow/tfjs']}",
        "pouchdb": f"vendor/pouchdb-{pinned['pouchdb']}",
    }
    wheel = json.loads((site_dir / "config.json").read_text())["numpy_wheel"]
    expected_vendor = (
        {f"{dirs['pyodide']}/{n}" for n in PYODIDE_FILES + ([wheel] if wheel else [])}
        | {f"{dirs['tfjs']}/{name}" for _, name in TFJS_FILES}
        | {f"{dirs['pyscript']}/{n}" for n in pyscript_files(NODE / "@pyscript" / "core" / "dist")}
        | {f"{dirs['pouchdb']}/{n}" for n in POUCHDB_FILES}
    )
    assert {f for f in files if f.startswith("vendor/")} == expected_vendor
    # Python: engine.py and exactly the pymodel modules it imports (no cli.py, imageio.py, idx.py).
    shipped = {f for f in files if f.endswith(".py")}
    modules = {f"pymodel/{p.name}" for p in browser_modules(WEB / "engine.py", ROOT / "pymodel")}
    assert shipped == {"engine.py"} | modules
    assert not {"pymodel/cli.py", "pymodel/imageio.py", "pymodel/idx.py", "pymodel/__main__.py"} & shipped
    assert {"model/model.json", "pymodel/weights/digits.npz", "pymodel/weights/digits.json"} <= files
    # The row reader: its TF.js model where config.json says, its weights for the Python engine.
    assert {"model/rows/model.json", "pymodel/weights/rows.json", "pymodel/weights/rows.npz"} <= files
    rows_spec = json.loads((site_dir / "model" / "rows" / "model.json").read_text())
    assert {f"model/rows/{p}" for group in rows_spec["weightsManifest"] for p in group["paths"]} <= files
    config = json.loads((site_dir / "config.json").read_text())
    assert (config["tfjs_model"], config["tfjs_rows_model"]) == ("model/model.json", "model/rows/model.json")
    assert not any("node_modules" in f or f.endswith(".map") or "__pycache__" in f for f in files)


def test_pyscript_config_names_the_local_interpreter_and_every_python_file(site_dir):
    config = json.loads((site_dir / "pyscript.json").read_text())
    html = (site_dir / "index.html").read_text()
    py_config = json.loads(re.search(r"<py-config type=\"json\">(.*?)</py-config>", html, re.S).group(1))
    # One interpreter, local, named alike by the page's <py-config> and the worker's pyscript.json.
    assert py_config["interpreter"] == config["interpreter"] == f"./{vendor_dirs()['pyodide']}/pyodide.mjs"
    assert (site_dir / config["interpreter"]).is_file()
    shipped = {p.relative_to(site_dir).as_posix() for p in (site_dir / "pymodel").rglob("*") if p.is_file()}
    assert set(config["files"]) == {f"./{f}" for f in shipped}
    assert all(src == dst for src, dst in config["files"].items())
    assert ("packages" in config) == bool(json.loads((site_dir / "config.json").read_text())["numpy_wheel"])
    assert re.search(r'<script type="py" worker name="engine" src="./engine.py" config="./pyscript.json">', html)


def test_a_stale_vendor_reference_fails_the_build(tmp_path):
    """web/ names the version folders; a package.json bump that web/ does not follow must not build."""
    fake = tmp_path / "node_modules"  # the real packages, except that @pyscript/core says it is 0.7.99
    for package in ("pyodide", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "pouchdb"):
        (fake / package).parent.mkdir(parents=True, exist_ok=True)
        (fake / package).symlink_to(NODE / package, target_is_directory=True)
    core = fake / "@pyscript" / "core"
    core.mkdir(parents=True)
    (core / "dist").symlink_to(NODE / "@pyscript" / "core" / "dist", target_is_directory=True)
    (core / "package.json").write_text(json.dumps({"name": "@pyscript/core", "version": "0.7.99"}))
    with pytest.raises(BuildError, match=r"index\.html refers to vendor/pyscript-0\.7\.31/core\.js"):
        build_site(tmp_path / "site", node_modules=fake)


def test_only_relative_urls(site_dir):
    html = (site_dir / "index.html").read_text()
    urls = re.findall(r'(?:src|href|config)="([^"]+)"', html)
    assert urls
    for url in urls:
        assert not url.startswith(("/", "http:", "https:", "//")) or url.startswith("#"), url
    for js in (site_dir / "js").glob("*.*js"):
        text = js.read_text()
        assert "http://" not in text and "https://" not in text, js.name
        assert not re.search(r'''(?:fetch|import|new URL)\(\s*["']/''', text), js.name
    config = json.loads((site_dir / "pyscript.json").read_text())
    assert all(path.startswith("./") for path in [config["interpreter"], *config["files"]])


def test_service_worker_precaches_every_file_with_a_content_version(site_dir):
    sw = (site_dir / "sw.js").read_text()
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', sw).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw, re.S).group(1))
    assert set(precache) == (_files(site_dir) - {"sw.js"}) | {"./"}
    assert {"model/rows/model.json", "pymodel/weights/rows.npz", "js/tfjs-rows.js"} <= set(precache)
    assert version


def test_server_sends_correct_mime_types(site_url):
    dirs = vendor_dirs()
    expected = {
        f"{dirs['pyodide']}/pyodide.asm.wasm": "application/wasm",
        f"{dirs['pyodide']}/pyodide.mjs": "text/javascript",
        f"{dirs['pyscript']}/core.js": "text/javascript",
        "js/python-engine.js": "text/javascript",
        "pyscript.json": "application/json",
        "manifest.webmanifest": "application/manifest+json",
        "index.html": "text/html",
    }
    for path, mime in expected.items():
        with urllib.request.urlopen(site_url + path) as r:
            assert r.headers["Content-Type"].split(";")[0] == mime, path
