"""The history and sync modules with the vendored PouchDB in Chromium: real IndexedDB, real CORS.

The page UI for history comes later; this drives web/js/history/* through a small harness page that
carries the built site's Content-Security-Policy, with connect-src widened exactly as sync needs
(SYNC_CONNECT_SRC), and loads PouchDB the way the page will.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser.pages import PageHandle

HARNESS = Path(__file__).parent / "history_harness"
# What sync needs: the user's database is named only at run time, https anywhere or a local CouchDB.
SYNC_CONNECT_SRC = "connect-src 'self' https: http://127.0.0.1:* http://localhost:*"


@pytest.fixture(scope="module")
def harness_dir(site_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("history-harness")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', (site_dir / "index.html").read_text()).group(0)
    csp = re.sub(r"connect-src [^;\"]*", SYNC_CONNECT_SRC, csp)
    assert SYNC_CONNECT_SRC in csp
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

    _open.url = url
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
    # Newest first: ids sort by creation time (two made in the same millisecond, as this loop can, by
    # their random tails).
    assert listed["ids"] == sorted(ids, reverse=True), "30 entries, newest first, after a reload"
    created = lambda i: i.removeprefix("entry:").rsplit(":", 1)[0]  # noqa: E731
    assert [created(i) for i in listed["ids"]] == [created(i) for i in reversed(ids)]
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


# ---------- sync from a browser: CORS, credentials, IAM ----------

def _origin(url: str) -> str:
    return url.rstrip("/")


def _wait_sync(h: PageHandle, state: str, reason: str | None = None, timeout_ms: int = 20000) -> dict:
    h.page.wait_for_function(
        "([state, reason]) => window.sync && window.sync.state.state === state && (reason === null || window.sync.state.reason === reason)",
        arg=[state, reason], timeout=timeout_ms)
    return h.page.evaluate("() => window.sync.state")


ADD = f"""async (n) => {{ const reading = {READING}; const ids = [];
    for (let i = 0; i < n; i++) ids.push((await window.store.add(reading(i % 10)))._id); return ids; }}"""


@pytest.fixture
def couch(tmp_path, harness):
    """A CouchDB-protocol server that allows the harness page's origin (CORS, with credentials)."""
    from tests.sync_server import CouchServer
    servers = []

    def _start(cors: bool = True) -> CouchServer:
        server = CouchServer(tmp_path / f"couch{len(servers)}", cors_origins=(_origin(harness.url),) if cors else ()).start()
        servers.append(server)
        server.create_db("digits")
        return server

    yield _start
    for server in servers:
        server.stop()


def test_sync_browser_both_ways_across_origins(harness, couch):
    from tests.sync_server import ADMIN, wait_until
    server = couch()
    h = harness()
    h.page.evaluate("() => harness.open()")
    ids = h.page.evaluate(ADD, 3)
    h.page.evaluate("(s) => harness.startSync(s)", {"url": f"{server.url}/digits", "auth": "basic", "username": ADMIN[0], "password": ADMIN[1]})
    wait_until(lambda: set(ids) <= set(server.docs("digits")), what="entries from the browser on the server")
    server.put("digits", {"_id": "entry:2040-01-01T00:00:00.000Z:c0ffee00", "type": "digits-entry", "answer": "6",
                          "created": "2040-01-01T00:00:00.000Z", "updated": "2040-01-01T00:00:00.000Z"})
    wait_until(lambda: h.page.evaluate("window.store.count()") == 4, what="the server's entry in the browser")
    _wait_sync(h, "up_to_date")
    assert h.page.evaluate("() => window.__csp") == [], "the widened connect-src is enough for sync"
    assert h.errors == []


def test_sync_browser_offline_then_online(harness, couch):
    from tests.sync_server import ADMIN, wait_until
    server = couch()
    h = harness()
    h.page.evaluate("() => harness.open()")
    h.page.evaluate("(s) => harness.startSync(s)", {"url": f"{server.url}/digits", "auth": "basic", "username": ADMIN[0], "password": ADMIN[1]})
    _wait_sync(h, "up_to_date")
    h.context.set_offline(True)
    state = _wait_sync(h, "offline")
    assert "back online" in state["message"]
    ids = h.page.evaluate(ADD, 2)
    h.context.set_offline(False)
    wait_until(lambda: set(ids) <= set(server.docs("digits")), what="entries after coming back online")
    _wait_sync(h, "up_to_date")


def test_sync_browser_server_without_cors_is_named(harness, couch):
    from tests.sync_server import ADMIN
    server = couch(cors=False)
    h = harness()
    h.page.evaluate("(s) => harness.startSync(s)", {"url": f"{server.url}/digits", "auth": "basic", "username": ADMIN[0], "password": ADMIN[1]})
    state = _wait_sync(h, "error", "cors")
    assert state["retryInMs"] is None
    assert "CORS" in state["message"] and _origin(harness.url) in state["message"]


def test_sync_browser_unreachable_server(harness):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    h = harness()
    h.page.evaluate("(s) => harness.startSync(s)", {"url": f"http://127.0.0.1:{port}/digits", "auth": "basic", "username": "u", "password": "p"})
    state = _wait_sync(h, "error", "unreachable")
    assert state["retryInMs"] and f"Cannot reach 127.0.0.1:{port}" in state["message"]


def test_sync_browser_iam_token_endpoint_without_cors_is_explained(harness, couch):
    # What happens against iam.cloud.ibm.com, which sends no CORS headers: the browser blocks the reply.
    from tests.sync_server import FakeIam
    server = couch()
    iam = FakeIam("key-1").start()  # no CORS origins, like the real endpoint
    try:
        h = harness()
        h.page.evaluate("(s) => harness.startSync(s)", {"url": f"{server.url}/digits", "auth": "iam", "apiKey": "key-1", "tokenUrl": iam.token_url})
        state = _wait_sync(h, "error", "iam_unreachable")
        assert state["retryInMs"] is None, "a CORS refusal does not go away by retrying"
        assert "no CORS headers" in state["message"] and "token proxy" in state["message"]
        # The form POST is a CORS "simple request": it reaches IAM, which mints a token, but the browser
        # withholds the reply from the page, so the page never holds a token.
        assert state["iamTokens"] == 0
    finally:
        iam.close()


def test_sync_browser_iam_through_the_token_proxy(harness, couch):
    import threading

    from devtools.iam_token_proxy import make_server
    from tests.sync_server import FakeIam, FaultProxy, wait_until
    server = couch()
    iam = FakeIam("key-2", lifetime_s=3).start()
    token_proxy = make_server(0, [_origin(harness.url)], upstream=iam.token_url)
    threading.Thread(target=token_proxy.serve_forever, daemon=True).start()
    db = FaultProxy(server)
    db.require_iam(iam)  # the database accepts only IAM bearer tokens, like Cloudant with IAM
    db.up()
    try:
        h = harness()
        h.page.evaluate("() => harness.open()")
        token_url = f"http://127.0.0.1:{token_proxy.server_address[1]}/identity/token"
        h.page.evaluate("(s) => harness.startSync(s)", {"url": f"{db.url}/digits", "auth": "iam", "apiKey": "key-2", "tokenUrl": token_url})
        ids = []
        for _ in range(4):  # longer than a token's life: it is refreshed in time
            ids += h.page.evaluate(ADD, 1)
            h.page.wait_for_timeout(1000)
        wait_until(lambda: set(ids) <= set(server.docs("digits")), what="entries through IAM from the browser")
        assert iam.exchanges >= 2 and db.rejected_tokens == 0
        assert h.errors == [] and h.page.evaluate("() => window.__csp") == []
    finally:
        db.close()
        token_proxy.shutdown()
        token_proxy.server_close()
        iam.close()
