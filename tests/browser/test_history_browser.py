"""The history modules with the vendored PouchDB in Chromium: real IndexedDB, the site's own CSP.

The page UI for history comes later; this drives web/js/history/* through a small harness page that
carries the built site's Content-Security-Policy and loads PouchDB the way the page will.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser.pages import PageHandle

HARNESS = Path(__file__).parent / "history_harness"


@pytest.fixture(scope="module")
def harness_dir(site_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("history-harness")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', (site_dir / "index.html").read_text()).group(0)
    (out / "index.html").write_text((HARNESS / "index.html").read_text().replace("<!--CSP-->", csp))
    shutil.copy(HARNESS / "harness.js", out / "harness.js")
    shutil.copy(site_dir / "config.json", out / "config.json")
    shutil.copytree(site_dir / "js" / "history", out / "js" / "history")
    shutil.copytree(site_dir / "vendor", out / "vendor", ignore=shutil.ignore_patterns("pyodide", "tfjs*"))
    return out


@pytest.fixture
def harness(chromium_browser, harness_dir, serve):
    url = serve(harness_dir)
    handles = []

    def _open(init_script: str | None = None) -> PageHandle:
        h = PageHandle(chromium_browser, url)
        if init_script:
            h.page.add_init_script(init_script)
        handles.append(h)
        h.page.goto(url)
        h.page.wait_for_selector("html[data-ready=true]", state="attached")
        return h

    yield _open
    for h in handles:
        h.close()


READING = """(digit, thumbnail = null) => ({
  prediction: {digit, confidence: 0.9, status: 'ok', box: [0, 0, 9, 9], image28: new Array(784).fill(digit / 9)},
  engine: 'tfjs', model_sha256: 'e'.repeat(64), source: 'pad', thumbnail})"""


def test_history_indexeddb_in_chromium_survives_a_reload(harness):
    h = harness()
    ids = h.page.evaluate(f"""async () => {{
        const reading = {READING};
        const store = await harness.open();
        const ids = [];
        for (let i = 0; i < 30; i++) ids.push((await store.add(reading(i % 10)))._id);
        await store.correct(ids[3], '8');
        return ids;
    }}""")
    assert h.page.evaluate("() => typeof window.PouchDB") == "function"
    h.page.reload()
    h.page.wait_for_selector("html[data-ready=true]", state="attached")
    listed = h.page.evaluate("""async () => {
        const store = await harness.open();
        const all = await store.listAll();
        const out = harness.exportCorrections(all);
        return {ids: all.map(e => e._id), corrected: all.filter(e => e.correction).map(e => [e._id, e.correction.digits]),
                exported: out.count, bytes: out.npz.length, adapter: store.db.adapter};
    }""")
    assert listed["adapter"] == "idb"
    assert listed["ids"] == list(reversed(ids)), "30 entries, newest first, after a reload"
    assert listed["corrected"] == [[ids[3], "8"]]
    assert listed["exported"] == 1 and listed["bytes"] > 784
    assert h.errors == []
    assert h.page.evaluate("() => window.__csp") == [], "PouchDB and the history run under the site's CSP"


def test_history_without_indexeddb_in_chromium(harness):
    # Private modes and blocked site data make indexedDB throw or vanish.
    h = harness("Object.defineProperty(window, 'indexedDB', {get() { throw new DOMException('blocked', 'SecurityError'); }});")
    err = h.page.evaluate("""async () => {
        try { await harness.open(); return null; } catch (e) { return {name: e.name, kind: e.kind, message: e.message}; }
    }""")
    assert err["name"] == "HistoryError" and err["kind"] == "unavailable"
    assert "Recognition still works" in err["message"]


def test_history_quota_exceeded_in_chromium(harness):
    h = harness()
    origin = h.page.evaluate("() => location.origin")
    cdp = h.context.new_cdp_session(h.page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": origin, "quotaSize": 200_000})
    result = h.page.evaluate(f"""async () => {{
        const reading = {READING};
        const store = await harness.open('quota-test');
        // About 60 KB a thumbnail (base64 of random bytes), so the 200 kB quota runs out within a few entries.
        const big = () => {{ const b = new Uint8Array(45000); crypto.getRandomValues(b);
                             let s = ''; for (const x of b) s += String.fromCharCode(x); return 'data:image/png;base64,' + btoa(s); }};
        let saved = 0;
        for (let i = 0; i < 40; i++) {{
            try {{ await store.add(reading(1, big())); saved++; }}
            catch (e) {{ return {{saved, name: e.name, kind: e.kind, message: e.message, count: await store.count()}}; }}
        }}
        return {{saved, name: null}};
    }}""")
    cdp.detach()
    assert result["name"] == "HistoryError" and result["kind"] == "quota", result
    assert "History is full" in result["message"]
    assert result["count"] == result["saved"], "entries saved before the quota ran out are intact"
