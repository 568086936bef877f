"""Zero requests to other origins, a strict CSP that nothing violates, and a reload with the network cut."""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.pages import DIGIT_STROKES, PageHandle


def _directives(csp: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in (part.strip() for part in csp.split(";")) if d}


def test_every_request_stays_on_the_site_and_csp_holds(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open()  # both engines loaded: page and worker requests
    try:
        h.set_engine("compare")
        h.draw_mouse(DIGIT_STROKES["7"])
        h.page.wait_for_selector("#compare[data-agree]", state="visible")
        assert h.requests, "requests were recorded"
        assert h.foreign_requests() == []
        assert all(urlsplit(u).hostname == "127.0.0.1" for u in h.requests if not u.startswith(("blob:", "data:")))
        assert h.failed == [], "every file the page and the worker asked for exists"
        # The Python worker's own downloads are in the log too (the runtime, pymodel and the weights).
        assert any(u.endswith("pyodide.asm.wasm") for u in h.requests)
        assert any(u.endswith("/pymodel/model.py") for u in h.requests)
        assert any(u.endswith("digits.npz") for u in h.requests)
        # The policy: only this origin, plus PyScript's two needs ('unsafe-eval', blob: workers), upload previews
        # and sync's connect-src; nothing else.
        csp = _directives(h.page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content"))
        assert csp.pop("script-src") == "'self' 'unsafe-eval' 'wasm-unsafe-eval'"
        assert csp.pop("worker-src") == "'self' blob:"
        assert csp.pop("img-src") == "'self' blob:"  # previews of uploaded images
        # Optional sync with the user's own database (off by default; tests/browser/test_sync_page.py):
        # any https: host, or a CouchDB on this computer. Nothing else may be fetched from elsewhere.
        assert csp.pop("connect-src") == "'self' https: http://127.0.0.1:* http://localhost:*"
        assert csp.pop("object-src") == "'none'" and csp.pop("form-action") == "'none'"
        assert set(csp.values()) == {"'self'"}, csp
        assert "default-src" in csp and "style-src" in csp
        assert h.page.evaluate("window.__csp") == []
        assert not h.errors, h.errors
    finally:
        h.close()


def test_reload_offline_after_service_worker_install(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open(python=False)
    try:
        page = h.page
        # The service worker has precached every file and controls the page.
        page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=60_000)
        for _ in range(600):
            if page.evaluate("!!navigator.serviceWorker.controller"):
                break
            page.wait_for_timeout(100)
        assert page.evaluate("!!navigator.serviceWorker.controller")
        h.context.set_offline(True)
        h.requests.clear()
        page.reload()
        page.wait_for_selector("html[data-tfjs=ready]", state="attached")
        h.draw_mouse(DIGIT_STROKES["7"])
        assert h.result("tfjs")["digit"] == "7"
        # Python loads from the cache too.
        h.wait_python("ready")
        h.set_engine("python")
        h.clear()
        h.draw_mouse(DIGIT_STROKES["0"])
        assert h.result("python")["digit"] == "0"
        manifest = page.evaluate("fetch('manifest.webmanifest').then(r => r.json())")
        assert manifest["icons"] and manifest["start_url"] == "./"
    finally:
        h.context.set_offline(False)
        h.close()


def test_site_works_under_a_sub_path(chromium_browser, site_dir, tmp_path, serve):
    """Like a GitHub Pages project site (https://user.github.io/repo/): everything is relative."""
    import shutil

    shutil.copytree(site_dir, tmp_path / "user" / "repo")
    url = serve(tmp_path)
    h = PageHandle(chromium_browser, url + "user/repo/")
    try:
        h.open(python=True)
        h.draw_mouse(DIGIT_STROKES["0"])
        assert h.result("tfjs")["digit"] == "0"
        paths = [urlsplit(u).path for u in h.requests if u.startswith(url)]
        outside = [p for p in paths if not p.startswith("/user/repo/")]
        assert paths and not outside, outside
    finally:
        h.close()
