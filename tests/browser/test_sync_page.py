"""Sync through the real page, its settings panel and a real CouchDB-protocol server (tests/sync_server.py:
express-pouchdb on 127.0.0.1, another origin than the site's, with CORS for the site as CouchDB or Cloudant
would be set up): both directions, offline and back, conflicts, a server restart, what goes wrong and what
the page says, where the credentials go (nowhere but the database), no requests anywhere with sync off, and
database traffic that the service worker leaves alone."""
from __future__ import annotations

import functools
import http.client
import http.server
import itertools
import json
import socket
import threading
import urllib.parse

import pytest

from devtools.server import content_type
from tests.browser.history_ui import (
    ENTRY,
    HISTORY,
    READING,
    listed,
    open_sync_panel,
    record_sync_states,
    site_origin,
    stored,
    sync_states,
    turn_sync_on,
    wait_history,
    wait_js,
    wait_listed,
    wait_settled,
    wait_sync,
)
from tests.browser.pages import DIGIT_STROKES, PageHandle, mnist_file
from tests.helpers import ROOT
from tests.sync_server import ADMIN, CouchServer, FakeIam, wait_until

_names = itertools.count(1)


@pytest.fixture(scope="module")
def couch(site_url, tmp_path_factory):
    """One server for the module, allowing the site's origin; every test uses a database of its own."""
    if not (ROOT / "node_modules" / "express-pouchdb").is_dir():
        pytest.skip("npm packages missing: express-pouchdb (run `npm ci`)")
    server = CouchServer(tmp_path_factory.mktemp("couch") / "data", cors_origins=(site_origin(site_url),)).start()
    yield server
    server.stop()


def new_db(couch: CouchServer, members: list[str] | None = None) -> tuple[str, str]:
    name = f"digits-{next(_names)}"
    return name, couch.create_db(name, members)


@pytest.fixture
def open_history(chromium_browser, site_url):
    handles = []

    def _open(query: str = "?nosw", url: str | None = None, python: bool = False, **context_args) -> PageHandle:
        """python=True waits for the Python engine too: a test that cuts the network must not cut its download."""
        h = PageHandle(chromium_browser, url or site_url, **context_args)
        # Where an unhandled rejection came from (Playwright reports only its message).
        h.page.add_init_script("window.addEventListener('unhandledrejection',"
                               " e => console.log('unhandled:', e.reason && e.reason.stack))")
        h.stacks = []
        h.page.on("console", lambda m: m.text.startswith("unhandled:") and h.stacks.append(m.text))
        handles.append(h)
        h.open(query, python=python)
        wait_history(h)
        return h

    yield _open
    for h in handles:
        h.close()


def server_entries(couch: CouchServer, db: str) -> dict[str, dict]:
    return {k: v for k, v in couch.docs(db).items() if k.startswith("entry:")}


def server_entry(doc_id: str, answer: str, when: str) -> dict:
    """An entry as another device would have written it."""
    return {"_id": doc_id, "type": "digits-entry", "schema": 1, "created": when, "updated": when, "source": "upload",
            "engine": "python", "model_sha256": "d" * 64, "thumbnail": None, "answer": answer, "confidence": 0.7,
            "status": "ok",
            "digits": [{"answer": answer, "confidence": 0.7, "status": "ok", "box": None, "image28": None}],
            "correction": None, "correction_history": []}


def upload(h: PageHandle, image, name: str = "digit.png") -> None:
    h.upload_bytes(name, "image/png", mnist_file(image, invert=True))


def correct_in_page(h: PageHandle, entry_id: str, digits: str) -> None:
    item = f"{ENTRY}[data-id='{entry_id}']"
    h.page.click(f"{item} .entry-correct")
    h.page.fill(f"{item} .entry-input", digits)
    h.page.press(f"{item} .entry-input", "Enter")
    h.page.wait_for_selector(f"{item}[data-corrected='{digits}']", state="attached")


def no_page_errors(h: PageHandle) -> None:
    assert h.errors == [], (h.errors, getattr(h, "stacks", None))
    assert h.page.evaluate("window.__csp") == [], "sync runs inside the page's Content-Security-Policy"


def test_sync_page_entries_reach_the_server_and_server_edits_reach_the_page(open_history, couch, mnist):
    images, _ = mnist
    db, url = new_db(couch)
    h = open_history()
    upload(h, images[0])
    [before] = wait_listed(h, 1)
    assert wait_sync(h, "off")["chip"] == "off"
    turn_sync_on(h, url, *ADMIN)
    state = wait_sync(h, "up_to_date")
    assert state["chip"] == "up_to_date" and f"Up to date with 127.0.0.1:{couch.port}" in state["text"]
    wait_until(lambda: before["id"] in server_entries(couch, db), what="the entry made before sync on the server")
    # Live: a drawing made now follows.
    h.draw_mouse(DIGIT_STROKES["7"])
    h.result()
    h.clear()
    drawn = wait_listed(h, 2)[0]
    on_server = wait_until(lambda: server_entries(couch, db).get(drawn["id"]), what="the drawing on the server")
    assert on_server["answer"] == drawn["answer"] and on_server["thumbnail"].startswith("data:image/png")
    # A correction made on the server (another device, or by hand in the database) shows in the page.
    doc = couch.get(db, before["id"])
    doc["correction"] = {"digits": "3", "time": "2031-01-01T00:00:00.000Z"}
    couch.put(db, doc)
    h.page.wait_for_selector(f"{ENTRY}[data-id='{before['id']}'][data-corrected='3']", state="attached")
    # An entry made elsewhere appears, in its place by time.
    couch.put(db, server_entry("entry:2000-01-01T00:00:00.000Z:0ther0000", "6", "2000-01-01T00:00:00.000Z"))
    assert wait_listed(h, 3)[-1]["id"] == "entry:2000-01-01T00:00:00.000Z:0ther0000"
    wait_sync(h, "up_to_date")
    assert "Sent 2" in h.page.inner_text("[data-testid=sync-counts]")
    no_page_errors(h)


def test_sync_page_offline_then_online_catches_up_both_ways(open_history, couch, mnist):
    images, _ = mnist
    db, url = new_db(couch)
    h = open_history(python=True)
    upload(h, images[1])
    [first] = wait_listed(h, 1)
    turn_sync_on(h, url, *ADMIN)
    wait_sync(h, "up_to_date")
    wait_until(lambda: first["id"] in server_entries(couch, db), what="push")
    h.context.set_offline(True)
    try:
        state = wait_sync(h, "offline")
        assert state["chip"] == "offline" and "back online" in state["text"]
        # Both sides change while apart: an upload and a correction here, an entry and a correction there.
        upload(h, images[2])
        offline_entry = wait_listed(h, 2)[0]
        correct_in_page(h, offline_entry["id"], "5")
        doc = couch.get(db, first["id"])
        doc["correction"] = {"digits": "8", "time": "2031-01-01T00:00:00.000Z"}
        couch.put(db, doc)
        couch.put(db, server_entry("entry:2001-01-01T00:00:00.000Z:e1sewhe0", "2", "2001-01-01T00:00:00.000Z"))
        h.page.wait_for_timeout(1500)
        assert offline_entry["id"] not in server_entries(couch, db), "nothing is sent while offline"
        assert len(listed(h)) == 2
    finally:
        h.context.set_offline(False)
    wait_until(lambda: server_entries(couch, db).get(offline_entry["id"], {}).get("correction"),
               what="offline work on the server")
    assert server_entries(couch, db)[offline_entry["id"]]["correction"]["digits"] == "5"
    h.page.wait_for_selector(f"{ENTRY}[data-id='{first['id']}'][data-corrected='8']", state="attached")
    assert wait_listed(h, 3)[-1]["id"] == "entry:2001-01-01T00:00:00.000Z:e1sewhe0"
    wait_sync(h, "up_to_date")
    no_page_errors(h)


def test_sync_page_conflict_keeps_the_correction(open_history, couch, mnist):
    images, _ = mnist
    db, url = new_db(couch)
    h = open_history()
    upload(h, images[2])
    [entry] = wait_listed(h, 1)
    turn_sync_on(h, url, *ADMIN)
    wait_sync(h, "up_to_date")
    wait_until(lambda: entry["id"] in server_entries(couch, db), what="push")
    h.page.click("[data-testid=sync-off]")
    wait_sync(h, "off")
    # Apart: the user corrects the entry here; elsewhere it is read again, twice (the longer branch, so
    # CouchDB's own rule would pick the server's uncorrected copy).
    correct_in_page(h, entry["id"], "4")
    for edit in ({"answer": "9", "updated": "2099-01-01T00:00:00.000Z"}, {"confidence": 0.5}):
        doc = couch.get(db, entry["id"])
        doc.update(edit)
        couch.put(db, doc)
    # On again: the saved settings are used as they are (the password field stays empty: the saved one is kept).
    assert h.page.input_value("[data-testid=sync-password]") == ""
    h.page.click("[data-testid=sync-on]")

    def settled():
        server = couch.get(db, entry["id"], conflicts="true")
        local = h.page.evaluate(f"async (id) => (await {HISTORY}).store.db.get(id, {{conflicts: true}})", entry["id"])
        apart = server.get("_conflicts") or local.get("_conflicts") or server["_rev"] != local["_rev"]
        return None if apart else (server, local)

    server, local = wait_until(settled, timeout=30, what="one revision on both sides, no conflicts")
    for doc in (server, local):
        assert doc["correction"]["digits"] == "4", "the correction beats the uncorrected copy"
        assert doc["answer"] == "9", "the later reading is kept"
    h.page.wait_for_selector(f"{ENTRY}[data-id='{entry['id']}'][data-corrected='4'][data-answer='9']", state="attached")
    assert "conflict(s) merged" in h.page.inner_text("[data-testid=sync-counts]")
    no_page_errors(h)


def test_sync_page_server_restart_mid_sync_loses_nothing(open_history, couch):
    db, url = new_db(couch)
    h = open_history()
    turn_sync_on(h, url, *ADMIN)
    wait_sync(h, "up_to_date")
    record_sync_states(h)
    # The page keeps saving entries while the server goes down and comes back.
    h.page.evaluate(f"""() => {{ window.__written = (async () => {{
        const store = (await {HISTORY}).store; const reading = {READING}; const ids = [];
        for (let i = 0; i < 80; i++) {{
            ids.push((await store.add(reading(i % 10)))._id); await new Promise(r => setTimeout(r, 25)); }}
        return ids; }})(); }}""")
    before = [f"entry:2033-03-03T03:03:0{i}.000Z:aaaa000{i}" for i in range(3)]
    for i, doc_id in enumerate(before):
        couch.put(db, server_entry(doc_id, str(i), f"2033-03-03T03:03:0{i}.000Z"))
    wait_until(lambda: len(server_entries(couch, db)) >= 15, what="replication under way")
    # Down long enough for the page to notice (a quick restart can be hidden by the browser retrying a
    # request on a fresh connection), then back on the same port with the same data.
    couch.stop()
    wait_sync(h, "error", "unreachable")
    couch.start()
    after = "entry:2034-04-04T04:04:04.000Z:bbbb0000"
    couch.put(db, server_entry(after, "4", "2034-04-04T04:04:04.000Z"))
    written = h.page.evaluate("window.__written")
    assert len(written) == 80
    wait_until(lambda: set(written) <= set(server_entries(couch, db)), timeout=60, what="every entry on the server")
    wait_js(h, f"async (ids) => {{ const have = new Set((await (await {HISTORY}).store.listAll()).map(e => e._id));"
               " return ids.every(id => have.has(id)); }", before + [after], timeout=60,
            what="the server's entries in the page")
    assert {e["_id"] for e in stored(h)} == set(server_entries(couch, db))
    assert "error:unreachable" in sync_states(h), "the restart was seen, said, and retried"
    wait_sync(h, "up_to_date", timeout_ms=60_000)
    no_page_errors(h)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sync_page_bad_settings_and_failures_are_explained(open_history, couch):
    db, url = new_db(couch)
    h = open_history()
    page = h.page
    open_sync_panel(h)
    error = page.locator("[data-testid=sync-form-error]")

    def form_error(field_testid: str) -> str:
        error.wait_for(state="visible")
        assert page.get_attribute(f"[data-testid={field_testid}]", "aria-invalid") == "true"
        assert page.evaluate("document.activeElement.dataset.testid") == field_testid, "the field to fix has the focus"
        return error.inner_text()

    turn_sync_on(h, "couch.example/digits", "u", "p")
    assert "Not a web address" in form_error("sync-url")
    turn_sync_on(h, "http://db.example.com/digits", "u", "p")
    assert "Use https://" in form_error("sync-url")
    turn_sync_on(h, f"{couch.url}/", "u", "p")
    assert "Add the database name" in form_error("sync-url")
    turn_sync_on(h, url, "", "p")
    assert "Enter the user name" in form_error("sync-username")
    assert wait_sync(h, "off")["chip"] == "off", "nothing starts from settings that do not pass"

    turn_sync_on(h, url, ADMIN[0], "wrong password")
    state = wait_sync(h, "error", "unauthorized")
    assert "refused the credentials (401)" in state["text"] and state["chip"] == "error"
    assert error.is_hidden()
    turn_sync_on(h, f"{couch.url}/no-such-db", *ADMIN)
    assert "No database at this address (404)" in wait_sync(h, "error", "not_found")["text"]
    port = _free_port()
    turn_sync_on(h, f"http://127.0.0.1:{port}/digits", *ADMIN)
    state = wait_sync(h, "error", "unreachable")
    assert f"Cannot reach 127.0.0.1:{port}" in state["text"] and "Retrying in" in state["text"]
    assert page.locator("[data-testid=sync-retry]").is_visible()
    # IBM Cloud IAM's token endpoint sends no CORS headers: the page says so and names the way round it.
    iam = FakeIam("key-1").start()
    try:
        page.select_option("[data-testid=sync-auth]", "iam")
        page.fill("[data-testid=sync-url]", url)
        page.fill("[data-testid=sync-apikey]", "key-1")
        page.fill("[data-testid=sync-token-url]", iam.token_url)
        page.click("[data-testid=sync-on]")
        state = wait_sync(h, "error", "iam_unreachable")
        assert "no CORS headers" in state["text"] and "token proxy" in state["text"]
    finally:
        iam.close()
    page.click("[data-testid=sync-off]")
    wait_sync(h, "off")
    no_page_errors(h)


def test_sync_page_off_sends_nothing_beyond_the_site(open_history, mnist, tmp_path):
    """Sync is off until the user turns it on: drawing, uploads, corrections, exports stay on the origin."""
    images, _ = mnist
    h = open_history(query="", accept_downloads=True)
    h.page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=60_000)
    h.draw_mouse(DIGIT_STROKES["0"])
    h.result()
    h.clear()
    upload(h, images[4])
    entries = wait_listed(h, 2)
    correct_in_page(h, entries[0]["id"], "4")
    with h.page.expect_download():
        h.page.click("[data-testid=history-export]")
    assert wait_sync(h, "off")["chip"] == "off"
    assert h.requests and h.foreign_requests() == []
    no_page_errors(h)


def test_sync_page_credentials_stay_on_the_device_and_off_stops_sync(open_history, couch, mnist):
    images, _ = mnist
    password = "pw-Zq9-only-on-this-device"
    couch.create_user("alice", password)
    db, url = new_db(couch, members=["alice"])
    h = open_history(accept_downloads=True)
    console = []
    h.page.on("console", lambda m: console.append(m.text))
    turn_sync_on(h, url, "alice", password)
    wait_sync(h, "up_to_date")
    upload(h, images[5])
    [entry] = wait_listed(h, 1)
    wait_until(lambda: entry["id"] in server_entries(couch, db), what="push as alice")
    correct_in_page(h, entry["id"], "7")
    # The secret is in no page source, field, message or log, nor in the database or the export.
    assert h.page.input_value("[data-testid=sync-password]") == ""
    assert "Saved on this device" in h.page.get_attribute("[data-testid=sync-password]", "placeholder")
    assert password not in h.page.content() and password not in h.page.inner_text("body")
    assert not [m for m in console if password in m]
    assert couch.request("GET", f"/{db}/_local/sync-settings")[0] == 404, "settings are never replicated"
    assert password not in json.dumps(couch.request("GET", f"/{db}/_all_docs?include_docs=true")[1])
    downloads = []
    h.page.on("download", lambda d: downloads.append(d))
    h.page.click("[data-testid=history-export]")
    wait_until(lambda: len(downloads) == 2 or h.page.wait_for_timeout(50), what="the .npz and its .json")
    for download in downloads:
        data = open(download.path(), "rb").read()
        assert password.encode() not in data and b"alice" not in data and couch.url.encode() not in data

    # A reload: the settings are still on the device and sync starts again by itself.
    wait_settled(h)
    h.page.reload()
    wait_history(h)
    wait_sync(h, "up_to_date")
    open_sync_panel(h)
    assert h.page.input_value("[data-testid=sync-url]") == url
    assert h.page.input_value("[data-testid=sync-username]") == "alice"
    assert h.page.input_value("[data-testid=sync-password]") == ""

    # Off means off: no more requests to the database, and new entries stay here.
    h.page.click("[data-testid=sync-off]")
    wait_sync(h, "off")
    h.page.wait_for_timeout(300)
    to_db = lambda: [u for u in h.requests if u.startswith(couch.url)]  # noqa: E731
    sent = len(to_db())
    upload(h, images[6])
    later = wait_listed(h, 2)[0]
    h.page.wait_for_timeout(1500)
    assert len(to_db()) == sent and later["id"] not in server_entries(couch, db)
    # On again with the saved password; then forget the settings.
    h.page.click("[data-testid=sync-on]")
    wait_sync(h, "up_to_date")
    wait_until(lambda: later["id"] in server_entries(couch, db), what="the entry made while sync was off")
    h.page.click("[data-testid=sync-forget]")
    wait_sync(h, "off")
    wait_settled(h)  # "off" comes when sync stops, a moment before the settings are deleted
    h.page.reload()
    wait_history(h)
    open_sync_panel(h)
    assert h.page.input_value("[data-testid=sync-url]") == "" and wait_sync(h, "off")
    no_page_errors(h)


# ---------- the service worker leaves database traffic alone ----------

class _SiteAndDatabase(http.server.SimpleHTTPRequestHandler):
    """The built site, and the database under /couch/ on the same origin (a reverse proxy, as a host may set up)."""

    upstream_port = 0

    def log_message(self, format, *args):  # noqa: A002
        pass

    def guess_type(self, path):
        return content_type(path)

    def end_headers(self):
        if not self.path.startswith("/couch/"):
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def _proxy(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
        try:
            conn.request(self.command, self.path[len("/couch"):], body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
        except OSError:
            res, data = None, b""
        finally:
            conn.close()
        try:
            if res is None:
                self.send_error(502)
                return
            self.send_response(res.status)
            for k, v in res.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the page went away (offline, reload) while the database answered

    def do_GET(self):
        if self.path.startswith("/couch/"):
            return self._proxy()
        return super().do_GET()

    do_PUT = do_POST = do_DELETE = _proxy

    def do_HEAD(self):
        return self._proxy() if self.path.startswith("/couch/") else super().do_HEAD()


def test_sync_page_database_on_the_site_origin_bypasses_the_service_worker(chromium_browser, site_dir, couch, mnist):
    images, _ = mnist
    db, _url = new_db(couch)
    handler = functools.partial(type("H", (_SiteAndDatabase,), {"upstream_port": couch.port}), directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    h = PageHandle(chromium_browser, base)
    db_responses = []
    h.context.on("response", lambda r: "/couch/" in r.url and db_responses.append(r))
    try:
        h.open(python=False)
        wait_history(h)
        h.page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=60_000)
        h.page.wait_for_function("!!navigator.serviceWorker.controller", timeout=30_000)
        turn_sync_on(h, f"{base}couch/{db}", *ADMIN)
        wait_sync(h, "up_to_date")
        upload(h, images[7])
        [entry] = wait_listed(h, 1)
        wait_until(lambda: entry["id"] in server_entries(couch, db), what="push through the site's origin")
        # Offline, the database is unreachable, not answered from the cache.
        h.context.set_offline(True)
        wait_sync(h, "offline")
        h.page.evaluate(f"async () => (await {HISTORY}).sync.retryNow()")
        wait_sync(h, "offline")
        h.context.set_offline(False)
        wait_sync(h, "up_to_date")
        assert db_responses and not [r.url for r in db_responses if r.from_service_worker]
        cached = h.page.evaluate("""async () => { const urls = [];
            for (const name of await caches.keys())
                for (const r of await (await caches.open(name)).keys()) urls.push(r.url);
            return urls; }""")
        assert cached and not [u for u in cached if "/couch/" in urllib.parse.urlsplit(u).path]
        no_page_errors(h)
    finally:
        h.context.set_offline(False)
        h.close()
        server.shutdown()
        server.server_close()
