"""Helpers for the page-level history and sync tests: the history list as data, the sync form, the page's
own store and sync controller (window.__digits.history), and a site origin that CouchDB allows (CORS)."""
from __future__ import annotations

import time
from typing import Any

from tests.browser.pages import PageHandle

ENTRY = "[data-testid=history] > li"
HISTORY = ("(async () => { const h = await window.__digits.history;"
           " if (!h) throw new Error('history is off'); return h; })()")
# A reading as the recognizer gives it, for writing many entries through the page's own store quickly.
READING = """(digit) => ({prediction: {digit, confidence: 0.9, status: 'ok', box: [0, 0, 9, 9],
  image28: new Array(784).fill(digit / 9)}, engine: 'tfjs', model_sha256: 'e'.repeat(64), source: 'pad',
  thumbnail: null})"""


def wait_js(h: PageHandle, expression: str, arg: Any = None, timeout: float = 20, what: str = "") -> Any:
    """Evaluate `expression` (it may be async) until it gives something truthy; return that.
    (Playwright's wait_for_function does not await a promise: an async predicate would pass at once.)"""
    end = time.monotonic() + timeout
    while True:
        value = h.page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or expression}")
        h.page.wait_for_timeout(50)


def wait_history(h: PageHandle) -> None:
    """Until the history is open (or has said why it is off)."""
    h.page.wait_for_selector("#history-card:not([data-available=loading])", state="attached")


def listed(h: PageHandle) -> list[dict]:
    """The history list as shown: one dict per `li`, newest first."""
    return h.page.eval_on_selector_all(ENTRY, """items => items.map(li => ({
        id: li.dataset.id, answer: li.dataset.answer, status: li.dataset.status, corrected: li.dataset.corrected,
        source: li.dataset.source, text: li.innerText, thumb: !li.querySelector('.thumb').hidden}))""")


def wait_listed(h: PageHandle, n: int, timeout_ms: int = 20_000) -> list[dict]:
    h.page.wait_for_function(f"n => document.querySelectorAll('{ENTRY}').length === n", arg=n, timeout=timeout_ms)
    return listed(h)


def stored(h: PageHandle) -> list[dict]:
    """Every entry in the page's store, newest first (with _rev)."""
    return h.page.evaluate(f"async () => (await {HISTORY}).store.listAll()")


def settle(h: PageHandle) -> None:
    """Let the recorder finish what it is saving."""
    h.page.evaluate(f"async () => {{ await (await {HISTORY}).recorder.queue; }}")


def record_sync_states(h: PageHandle) -> None:
    h.page.evaluate(f"""async () => {{ window.__syncStates = [];
        (await {HISTORY}).sync.subscribe(s => window.__syncStates.push(s.state + ':' + s.reason)); }}""")


def sync_states(h: PageHandle) -> list[str]:
    return h.page.evaluate("window.__syncStates")


def open_sync_panel(h: PageHandle) -> None:
    if not h.page.evaluate("document.getElementById('sync-panel').open"):
        h.page.click("[data-testid=sync-panel] > summary")


def turn_sync_on(h: PageHandle, url: str, username: str | None = None, password: str | None = None,
                 auth: str = "basic") -> None:
    """Fill the sync form as a user would and press "Turn sync on"."""
    open_sync_panel(h)
    page = h.page
    page.fill("[data-testid=sync-url]", url)
    page.select_option("[data-testid=sync-auth]", auth)
    if username is not None:
        page.fill("[data-testid=sync-username]", username)
    if password is not None:
        page.fill("[data-testid=sync-password]", password)
    page.click("[data-testid=sync-on]")


def wait_sync(h: PageHandle, state: str, reason: str | None = None, timeout_ms: int = 30_000) -> dict:
    """Wait until [data-testid=sync-state] shows `state` (and `reason`); returns its attributes and text, and
    the chip's state, read in the same tick: live sync may move on a moment later (a pull after a push), and
    reading them one round trip apart could mix two states."""
    handle = h.page.wait_for_function(
        """([state, reason]) => {
            const el = document.querySelector('[data-testid=sync-state]');
            if (!el || el.dataset.state !== state || (reason !== null && el.dataset.reason !== reason)) return null;
            const chip = document.querySelector('[data-testid=sync-chip]');
            return {state: el.dataset.state, reason: el.dataset.reason ?? null, text: el.innerText,
                    chip: chip ? chip.dataset.state ?? null : null};
        }""", arg=[state, reason], timeout=timeout_ms)
    return handle.json_value()


def wait_settled(h: PageHandle, timeout_ms: int = 30_000) -> None:
    """Wait until the sync form is no longer busy: what its last button did (settings saved or deleted)
    is done, though the sync state may have changed before."""
    h.page.wait_for_selector("[data-testid=sync-form][aria-busy=false]", state="attached", timeout=timeout_ms)


def site_origin(site_url: str) -> str:
    return site_url.rstrip("/")
