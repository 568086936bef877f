"""The history in the real page: when drawings and uploads are saved, the list, corrections (keyboard and
touch), deleting, the corrections export read by NumPy, reloads (offline, and after a new service worker),
storage that fails, and a phone-sized screen. Sync is in test_sync_page.py."""
from __future__ import annotations

import base64
import json
import shutil
import zipfile

import numpy as np
import pytest

from tests.browser.history_ui import (
    ENTRY,
    HISTORY,
    READING,
    listed,
    settle,
    stored,
    wait_history,
    wait_js,
    wait_listed,
)
from tests.browser.pages import DIGIT_STROKES, PageHandle, _line, mnist_file


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    """One page for the tests that only use the history UI; each starts with an empty history."""
    h = PageHandle(chromium_browser, site_url, accept_downloads=True).open("?nosw", python=False)
    wait_history(h)
    yield h
    h.close()


@pytest.fixture
def hist(page):
    page.page.evaluate("() => document.querySelectorAll('dialog[open]').forEach(d => d.close())")
    page.clear()
    settle(page)
    page.page.evaluate(f"async () => {{ await (await {HISTORY}).store.clear(); }}")
    wait_listed(page, 0)
    page.page.evaluate("() => ['history-message', 'message'].forEach(id => document.getElementById(id).hidden = true)")
    page.errors.clear()
    yield page
    assert page.errors == [], page.errors
    assert page.page.evaluate("window.__csp") == []


ONE_ENTRY_AT_REV = (f"async (rev) => (await {HISTORY}).store.listAll()"
                    ".then(a => a.length === 1 && a[0]._rev.startsWith(rev))")


def upload_mnist(h: PageHandle, image: np.ndarray, name: str = "digit.png") -> None:
    h.upload_bytes(name, "image/png", mnist_file(image, invert=True))


def test_history_drawing_saved_once_after_the_pause_later_strokes_update_it_clear_starts_anew(hist):
    page = hist.page
    one, bar = DIGIT_STROKES["1"][0], _line((0.3, 0.2), (0.7, 0.2))
    # Two strokes in quick succession, then the pause: one entry, written once, with the answer to both.
    hist.draw_mouse([bar])
    # An answer, whatever it is (the 11-class model calls a lone bar "not a digit").
    page.wait_for_selector("[data-testid=prediction]:not([data-status=empty])", state="attached")
    hist.draw_mouse([one])
    hist.result()
    [entry] = wait_listed(hist, 1)
    [doc] = stored(hist)
    assert doc["_rev"].startswith("1-"), "saved once, not once per stroke"
    assert doc["_id"] == entry["id"] and doc["source"] == "pad" and doc["engine"] == "tfjs"
    assert len(doc["model_sha256"]) == 64 and doc["thumbnail"].startswith("data:image/png;base64,")
    assert len(doc["digits"]) == 1 and doc["digits"][0]["image28"], "the 28x28 the model saw is kept"
    assert entry["thumb"]
    assert entry["answer"] == doc["answer"] == page.get_attribute("[data-testid=prediction]", "data-digit")
    # A later stroke on the same drawing updates that entry.
    hist.draw_mouse([_line((0.45, 0.55), (0.6, 0.55))])
    wait_js(hist, ONE_ENTRY_AT_REV, "2-")
    assert [e["id"] for e in listed(hist)] == [entry["id"]]
    # Clear ends the drawing: it is saved at once (even before the pause), and the next drawing is a new entry.
    hist.draw_mouse([_line((0.3, 0.7), (0.7, 0.7))])
    # Whatever the four strokes read as (a digit or "not a digit", depending on the model), once answered:
    page.wait_for_selector("[data-testid=prediction]:not([data-status=empty])", state="attached")
    hist.clear()
    wait_js(hist, ONE_ENTRY_AT_REV, "3-")
    hist.draw_mouse(DIGIT_STROKES["0"])
    hist.result()
    newest, older = wait_listed(hist, 2)
    assert older["id"] == entry["id"] and newest["answer"] == "0"
    assert "drawing" in newest["text"] and "TF.js" in newest["text"]


def test_history_upload_is_saved_at_once(hist, mnist):
    images, labels = mnist
    upload_mnist(hist, images[0])
    r = hist.result()
    [entry] = wait_listed(hist, 1)
    assert entry["source"] == "upload" and entry["answer"] == r["digit"] == str(labels[0]) and entry["thumb"]
    [doc] = stored(hist)
    assert doc["status"] == "ok" and abs(doc["confidence"] - float(r["confidence"])) < 1e-3
    # Switching the engine answers the same image again; the entry is not written again.
    hist.set_engine("compare")
    hist.page.wait_for_timeout(300)
    hist.set_engine("tfjs")
    settle(hist)
    assert [d["_rev"] for d in stored(hist)] == [doc["_rev"]]


def test_history_correction_by_keyboard_with_validation(hist, mnist):
    images, _ = mnist
    upload_mnist(hist, images[1])
    wait_listed(hist, 1)
    page = hist.page
    button = page.locator(f"{ENTRY} .entry-correct")
    button.focus()
    page.keyboard.press("Enter")
    field = page.locator(f"{ENTRY} .entry-input")
    assert page.evaluate("document.activeElement.classList.contains('entry-input')"), "the field has the focus"
    page.keyboard.type("4x")
    page.keyboard.press("Enter")
    error = page.locator(f"{ENTRY} .entry-error")
    assert error.is_visible() and "0-9 only" in error.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    assert stored(hist)[0]["correction"] is None, "nothing is saved from bad input"
    # Escape closes the form and leaves the pad and its answer alone.
    page.keyboard.press("Escape")
    assert not field.is_visible() and page.evaluate("document.activeElement.classList.contains('entry-correct')")
    assert page.get_attribute("[data-testid=prediction]", "data-digit") != ""
    page.keyboard.press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type(" 4 ")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{ENTRY}[data-corrected='4']", state="attached")
    assert "Marked as 4" in listed(hist)[0]["text"]
    assert stored(hist)[0]["correction"]["digits"] == "4"
    # The focus is back on the button, and it shows (a visible focus ring).
    assert page.evaluate("document.activeElement.classList.contains('entry-correct')")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def test_history_delete_one_and_delete_all_after_confirmation(hist):
    page = hist.page
    ids = page.evaluate(f"""async () => {{ const reading = {READING}; const store = (await {HISTORY}).store;
        const ids = []; for (const d of [3, 5, 8]) ids.push((await store.add(reading(d)))._id); return ids; }}""")
    wait_listed(hist, 3)
    page.click(f"{ENTRY}[data-id='{ids[1]}'] .entry-delete")
    assert [e["id"] for e in wait_listed(hist, 2)] == [ids[2], ids[0]]
    page.click("[data-testid=history-delete-all]")
    dialog = page.locator("[data-testid=history-confirm]")
    dialog.wait_for(state="visible")
    assert "All 2 entries" in dialog.inner_text()
    focused = page.evaluate("document.activeElement.dataset.testid")
    assert focused == "history-confirm-cancel", "the safe choice has the focus"
    page.click("[data-testid=history-confirm-cancel]")
    assert not dialog.is_visible()
    page.wait_for_timeout(200)
    assert len(listed(hist)) == 2, "cancelled: nothing deleted"
    page.click("[data-testid=history-delete-all]")
    dialog.wait_for(state="visible")
    page.click("[data-testid=history-confirm-delete]")
    wait_listed(hist, 0)
    assert page.locator("[data-testid=history-empty]").is_visible()
    assert stored(hist) == []


def test_history_export_downloads_an_npz_numpy_reads_with_the_right_labels(hist, mnist, tmp_path):
    images, labels = mnist
    page = hist.page
    for i in range(3):
        upload_mnist(hist, images[10 + i], f"d{i}.png")
        wait_listed(hist, i + 1)
    truth = ["7", str(labels[11]), "2"]  # the user's labels (one differs from the MNIST label on purpose)
    by_age = list(reversed(listed(hist)))
    for entry, label in zip(by_age, truth):
        page.click(f"{ENTRY}[data-id='{entry['id']}'] .entry-correct")
        page.fill(f"{ENTRY}[data-id='{entry['id']}'] .entry-input", label)
        page.press(f"{ENTRY}[data-id='{entry['id']}'] .entry-input", "Enter")
        page.wait_for_selector(f"{ENTRY}[data-id='{entry['id']}'][data-corrected='{label}']", state="attached")
    downloads = []
    def on_download(d):
        downloads.append(d)
    page.on("download", on_download)
    try:
        page.click("[data-testid=history-export]")
        page.wait_for_function("() => !document.getElementById('history-message').hidden")
        for _ in range(100):
            if len(downloads) == 2:
                break
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("download", on_download)
    files = {d.suggested_filename.rsplit(".", 1)[1]: d for d in downloads}
    assert set(files) == {"npz", "json"}, [d.suggested_filename for d in downloads]
    npz_path, json_path = tmp_path / files["npz"].suggested_filename, tmp_path / files["json"].suggested_filename
    files["npz"].save_as(npz_path)
    files["json"].save_as(json_path)
    assert zipfile.is_zipfile(npz_path)
    with np.load(npz_path, allow_pickle=False) as data:
        assert data["images"].dtype == np.uint8 and data["images"].shape == (3, 28, 28)
        assert data["labels"].dtype == np.uint8
        exported_labels = data["labels"].tolist()
        exported = data["images"]
    sidecar = json.loads(json_path.read_text())
    assert sidecar["count"] == 3 and sidecar["npz"] == npz_path.name
    # Each image is the 28x28 the model saw for that entry, paired with the label the user gave it.
    docs = {d["_id"]: d for d in stored(hist)}
    for i, item in enumerate(sidecar["items"]):
        doc = docs[item["entry_id"]]
        assert exported_labels[i] == int(doc["correction"]["digits"]) == item["label"]
        seen = np.frombuffer(base64.b64decode(doc["digits"][0]["image28"]), np.uint8).reshape(28, 28)
        assert np.array_equal(exported[i], seen)
        assert exported[i].mean() < 128, "light ink on black, as MNIST"
    assert sorted(exported_labels) == sorted(int(t) for t in truth)
    assert "Exported 3 corrected digits" in page.inner_text("[data-testid=history-message]")


def _wait_controlled(h: PageHandle) -> None:
    h.page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=60_000)
    h.page.wait_for_function("!!navigator.serviceWorker.controller", timeout=30_000)


def test_history_survives_reload_offline_reload_and_a_new_service_worker(chromium_browser, site_dir, tmp_path, serve,
                                                                        mnist):
    """Entries live in IndexedDB, apart from the service worker's caches: a new version of the site (new
    cache, old one deleted) keeps them, and so does a reload with the network cut."""
    images, _ = mnist
    copy = tmp_path / "site"
    shutil.copytree(site_dir, copy)
    url = serve(copy)
    h = PageHandle(chromium_browser, url).open(python=False)
    try:
        wait_history(h)
        upload_mnist(h, images[5])
        [entry] = wait_listed(h, 1)
        h.page.click(f"{ENTRY} .entry-correct")
        h.page.fill(f"{ENTRY} .entry-input", "9")
        h.page.press(f"{ENTRY} .entry-input", "Enter")
        h.page.wait_for_selector(f"{ENTRY}[data-corrected='9']", state="attached")
        _wait_controlled(h)
        old_caches = h.page.evaluate("caches.keys()")

        h.page.reload()
        wait_history(h)
        assert [(e["id"], e["corrected"]) for e in wait_listed(h, 1)] == [(entry["id"], "9")]

        # A new version of the site: another file changed, so sw.js has another VERSION.
        (copy / "css" / "app.css").write_text((copy / "css" / "app.css").read_text() + "\n/* v2 */\n")
        sw = (copy / "sw.js").read_text()
        old_version = sw.split('const VERSION = "', 1)[1].split('"', 1)[0]
        (copy / "sw.js").write_text(sw.replace(old_version, "f" * 16))
        h.page.reload()
        # The reload checks sw.js for an update; asking as well makes the check certain (CI once saw no new
        # version within 60 s). The new worker then precaches the whole site, about 16 MB, on a busy machine.
        # (An update already under way may refuse a second one; the wait below says whether it came.)
        h.page.evaluate("async () => { const r = await navigator.serviceWorker.getRegistration();"
                        " if (r) await r.update().catch(() => {}); }")
        wait_js(h, "async () => (await caches.keys()).join() === 'digits-' + 'f'.repeat(16)", timeout=120,
                what="the new version's cache, and the old one deleted")
        assert old_caches != ["digits-" + "f" * 16]

        h.context.set_offline(True)
        h.page.reload()
        h.page.wait_for_selector("html[data-tfjs=ready]", state="attached")
        wait_history(h)
        assert [(e["id"], e["corrected"]) for e in wait_listed(h, 1)] == [(entry["id"], "9")]
        assert "v2" in h.page.evaluate("fetch('css/app.css').then(r => r.text())"), "the new version, from its cache"
        # Offline, drawing still adds to the history.
        h.draw_mouse(DIGIT_STROKES["7"])
        h.result()
        assert len(wait_listed(h, 2)) == 2
        assert h.errors == []
    finally:
        h.context.set_offline(False)
        h.close()


@pytest.mark.parametrize("broken", ["no_indexeddb", "no_pouchdb"])
def test_history_unavailable_is_explained_and_recognition_goes_on(chromium_browser, site_url, broken):
    h = PageHandle(chromium_browser, site_url)
    try:
        if broken == "no_indexeddb":  # private modes and blocked site data
            h.page.add_init_script("Object.defineProperty(window, 'indexedDB',"
                                   " {get() { throw new DOMException('blocked', 'SecurityError'); }});")
        else:
            h.context.route("**/pouchdb.min.js", lambda route: route.abort())
        h.open("?nosw", python=False)
        wait_history(h)
        assert h.page.get_attribute("#history-card", "data-available") == "false"
        message = h.page.inner_text("[data-testid=history-message]")
        assert "History is off" in message and "Recognition still works" in message
        assert h.page.is_disabled("[data-testid=history-export]") and h.page.is_disabled("[data-testid=sync-on]")
        h.draw_mouse(DIGIT_STROKES["7"])
        assert h.result("tfjs")["digit"] == "7"
        assert listed(h) == []
        # PyScript's core also opens IndexedDB at start, without catching: the blocked API's own error is
        # the only one allowed to go unhandled.
        assert set(h.errors) <= ({"blocked"} if broken == "no_indexeddb" else set()), h.errors
    finally:
        h.close()


def test_history_full_storage_is_explained_and_recognition_goes_on(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url)
    try:
        # A small quota, set before the history database opens (an open database keeps the quota it saw).
        cdp = h.context.new_cdp_session(h.page)
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": site_url.rstrip("/"), "quotaSize": 300_000})
        h.open("?nosw", python=False)
        wait_history(h)
        # Fill the storage through the page's store until it refuses, with ever smaller entries: a browser
        # may still find room for a small drawing after a big entry was refused.
        filled = h.page.evaluate(f"""async () => {{ const store = (await {HISTORY}).store; const reading = {READING};
            const blob = (n) => {{ const b = new Uint8Array(n); crypto.getRandomValues(b); let s = '';
                for (const x of b) s += String.fromCharCode(x); return 'data:image/png;base64,' + btoa(s); }};
            let added = 0; let kind = '';
            for (const size of [45000, 8000, 1500, 200]) {{
                kind = 'never full';
                for (let i = 0; i < 200; i++) {{
                    try {{ await store.add({{...reading(1), thumbnail: blob(size)}}); added++; }}
                    catch (e) {{ kind = e.kind; break; }} }} }}
            return [kind, added]; }}""")
        assert filled[0] == "quota"
        before = filled[1]
        h.draw_mouse(DIGIT_STROKES["0"])
        assert h.result("tfjs")["digit"] == "0"
        h.clear()  # ends the drawing: the recorder tries to save it now
        message = h.page.wait_for_selector("[data-testid=history-message]:not([hidden])").inner_text()
        assert "History is full" in message and "Delete old entries" in message
        # Space comes back (the user freed some): the history carries on without a reload, nothing lost.
        # (PouchDB closed its IndexedDB connection after the aborted write; the store reopens it.)
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": site_url.rstrip("/")})
        cdp.detach()
        h.draw_mouse(DIGIT_STROKES["7"])
        assert h.result("tfjs")["digit"] == "7"
        h.clear()
        listed_now = wait_listed(h, before + 1)
        assert listed_now[0]["answer"] == "7"
        assert len(stored(h)) == before + 1
        assert h.errors == []
    finally:
        h.close()


def test_history_on_a_phone_in_dark_mode_by_touch(chromium_browser, site_url, mnist):
    images, _ = mnist
    phone = {"viewport": {"width": 360, "height": 800}, "has_touch": True, "is_mobile": True, "color_scheme": "dark"}
    h = PageHandle(chromium_browser, site_url, **phone).open("?nosw", python=False)
    try:
        wait_history(h)
        page = h.page
        h.draw_touch(DIGIT_STROKES["7"])
        h.result()
        upload_mnist(h, images[3])
        h.result()
        entries = wait_listed(h, 2)
        assert [e["source"] for e in entries] == ["upload", "pad"], "the drawing was saved when the upload replaced it"
        page.tap(f"{ENTRY}[data-id='{entries[1]['id']}'] .entry-correct")
        page.locator(f"{ENTRY}[data-id='{entries[1]['id']}'] .entry-input").tap()
        page.keyboard.type("1")
        page.tap(f"{ENTRY}[data-id='{entries[1]['id']}'] .entry-form button[type=submit]")
        page.wait_for_selector(f"{ENTRY}[data-corrected='1']", state="attached")
        page.tap("[data-testid=sync-panel] > summary")
        assert page.locator("[data-testid=sync-url]").is_visible()
        # Nothing wider than the screen; every button of the history big enough to tap.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        small = page.evaluate("""() => [...document.querySelectorAll('#history-card button, #history-card summary')]
            .filter(b => b.offsetParent).map(b => b.getBoundingClientRect())
            .filter(r => r.height < 40 || r.width < 40).length""")
        assert small == 0
        # Dark theme: the card follows the page's colours.
        background = "sel => getComputedStyle(document.querySelector(sel)).backgroundColor"
        card = page.evaluate(background, "#history-card")
        assert card == page.evaluate(background, ".result-card") != "rgb(255, 255, 255)"
        assert h.errors == []
    finally:
        h.close()


def test_history_export_with_nothing_corrected_says_so(hist):
    """Nothing corrected: the page says so and downloads nothing."""
    page = hist.page
    page.evaluate(f"async () => {{ const reading = {READING}; await (await {HISTORY}).store.add(reading(4)); }}")
    wait_listed(hist, 1)
    downloads = []
    def on_download(d):
        downloads.append(d)
    page.on("download", on_download)
    try:
        page.click("[data-testid=history-export]")
        message = page.wait_for_selector("[data-testid=history-message]:not([hidden])").inner_text()
        assert "Nothing to export yet" in message
        page.wait_for_timeout(300)
        assert downloads == []
    finally:
        page.remove_listener("download", on_download)
