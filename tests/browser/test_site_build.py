"""The built site: only the needed runtime files, relative URLs only, a complete precache list, right MIME types."""
from __future__ import annotations

import json
import re
import urllib.request

from devtools.build_site import PYODIDE_FILES


def test_site_holds_only_what_the_page_needs(site_dir):
    files = {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()}
    assert not any("node_modules" in f for f in files)
    assert not any(f.endswith(".py") and not f.startswith("py/pymodel/") for f in files)
    assert {f"vendor/pyodide/{n}" for n in PYODIDE_FILES} <= files
    assert {f for f in files if f.startswith("vendor/pyodide/")} - {f"vendor/pyodide/{n}" for n in PYODIDE_FILES} <= {
        f"vendor/pyodide/{json.loads((site_dir / 'config.json').read_text())['numpy_wheel']}"}
    assert "model/model.json" in files and "py/pymodel/weights/digits.npz" in files
    assert not any(f.endswith(".map") for f in files)


def test_only_relative_urls(site_dir):
    html = (site_dir / "index.html").read_text()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        assert not url.startswith(("/", "http:", "https:", "//")) or url.startswith("#"), url
    for js in (site_dir / "js").glob("*.*js"):
        text = js.read_text()
        assert "http://" not in text and "https://" not in text, js.name
        assert not re.search(r'''(?:fetch|import|new URL)\(\s*["']/''', text), js.name


def test_service_worker_precaches_every_file_with_a_content_version(site_dir):
    sw = (site_dir / "sw.js").read_text()
    version = re.search(r'const VERSION = "([0-9a-f]{16})"', sw).group(1)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw, re.S).group(1))
    files = {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()} - {"sw.js"}
    assert set(precache) == files | {"./"}
    assert version


def test_server_sends_correct_mime_types(site_url):
    expected = {
        "vendor/pyodide/pyodide.asm.wasm": "application/wasm",
        "vendor/pyodide/pyodide.mjs": "text/javascript",
        "js/py-worker.mjs": "text/javascript",
        "manifest.webmanifest": "application/manifest+json",
        "index.html": "text/html",
    }
    for path, mime in expected.items():
        with urllib.request.urlopen(site_url + path) as r:
            assert r.headers["Content-Type"].split(";")[0] == mime, path
