"""The PyScript engine's failure modes: whatever breaks, the page says so on the Python chip within seconds
(never waits forever), TF.js keeps answering, and no request leaves the site's origin (PyScript's fallback
is Pyodide from a CDN: it must never be tried)."""
from __future__ import annotations

import shutil

import pytest

from tests.browser.pages import DIGIT_STROKES, PYTHON_LOAD_MS, PageHandle

CSP_WITHOUT_EVAL = ("script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval'")
CSP_WITHOUT_BLOB = ("worker-src 'self' blob:", "worker-src 'self'")


def _edit(site, name, old, new):
    path = site / name
    text = path.read_text()
    assert old in text, f"{name} no longer contains {old!r}"
    path.write_text(text.replace(old, new))


BREAKAGES = {
    # what is broken -> (how to break a copy of the site, words the Python chip must show)
    "missing pyscript.json": (lambda site: (site / "pyscript.json").unlink(), "pyscript.json"),
    "malformed pyscript.json": (lambda site: (site / "pyscript.json").write_text('{"files": {'), "JSON"),
    "engine.py raises": (lambda site: _edit(site, "engine.py", "ENGINE = Engine()", "raise ImportError('no pymodel')"),
                         "engine.py did not load"),
    "PyScript's core.js missing": (lambda site: next(site.glob("vendor/pyscript-*/core.js")).unlink(),
                                   "could not be loaded"),
    "CSP without unsafe-eval": (lambda site: _edit(site, "index.html", *CSP_WITHOUT_EVAL), "'unsafe-eval'"),
    "CSP without blob: workers": (lambda site: _edit(site, "index.html", *CSP_WITHOUT_BLOB), "blob:"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_python_engine_reports_and_tfjs_keeps_working(chromium_browser, site_dir, tmp_path, serve, breakage):
    break_it, expected = BREAKAGES[breakage]
    site = tmp_path / "site"
    shutil.copytree(site_dir, site)
    break_it(site)
    h = PageHandle(chromium_browser, serve(site))
    try:
        h.open(python=False)
        # Well inside the start-up timeout: each of these is detected, not waited out.
        status = h.wait_python("error", timeout=45_000)
        assert "Python engine failed" in status and expected in status, status
        h.set_engine("python")
        h.draw_mouse(DIGIT_STROKES["7"])
        assert h.result("tfjs")["digit"] == "7"
        assert "Python engine unavailable" in h.page.inner_text("#engine-line")
        assert h.foreign_requests() == [], "PyScript must not fall back to a CDN"
    finally:
        h.close()


def test_a_worker_that_never_starts_times_out_and_a_late_start_is_picked_up(chromium_browser, site_url):
    """Hold Pyodide's wasm past a short start-up timeout: the page reports instead of waiting; when the
    download finally arrives, the engine comes up after all."""
    h = PageHandle(chromium_browser, site_url)
    held = []
    h.context.route("**/pyodide.asm.wasm", lambda route: held.append(route))
    try:
        h.open("?pytimeout=3000", python=False)
        status = h.wait_python("error", timeout=20_000)
        assert "did not start within 3 s" in status, status
        assert held, "the worker asked for pyodide.asm.wasm"
        for route in held:
            route.continue_()
        h.context.unroute("**/pyodide.asm.wasm")
        h.page.wait_for_selector("html[data-python=ready]", state="attached", timeout=PYTHON_LOAD_MS)
        h.set_engine("python")
        h.draw_mouse(DIGIT_STROKES["1"])
        assert h.result("python")["digit"] == "1"
        assert h.foreign_requests() == []
    finally:
        h.close()
