"""Browser tests: the built site served on 127.0.0.1, driven by Debian's chromium through Playwright.

One site build and one browser per session; each test module opens the pages it needs (loading the Python
engine costs seconds, so modules share a page where the tests do not disturb each other).

DIGITS_TEST_PYMODEL_DIR / DIGITS_TEST_TFJS_MODEL_DIR point the build at other model artifacts (used while
the real ones were being trained); by default the shipped pymodel/ and web/model/ are used.
"""
from __future__ import annotations

import io
import math
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from web.build_site import build_site, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic",
]
PYTHON_LOAD_MS = 90_000  # generous upper bound for Pyodide + pymodel on a busy 2-core machine
PAD = "[data-testid=pad]"
PREDICTION = "[data-testid=prediction]"


def _artifact_dirs() -> dict:
    kw = {}
    if os.environ.get("DIGITS_TEST_PYMODEL_DIR"):
        kw["pymodel_dir"] = Path(os.environ["DIGITS_TEST_PYMODEL_DIR"])
    if os.environ.get("DIGITS_TEST_TFJS_MODEL_DIR"):
        kw["tfjs_model_dir"] = Path(os.environ["DIGITS_TEST_TFJS_MODEL_DIR"])
    return kw


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("site") / "site", **_artifact_dirs())


def start_server(directory: Path) -> tuple[str, object]:
    server = make_server(0, directory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


@pytest.fixture(scope="session")
def site_url(site_dir):
    url, server = start_server(site_dir)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageHandle:
    """A page plus what it did: every request URL, page errors, CSP violations."""

    def __init__(self, browser, url: str, **context_args):
        context_args.setdefault("viewport", {"width": 1000, "height": 900})
        self.context = browser.new_context(**context_args)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        self.url = url

    def open(self, query: str = "", python: bool = True):
        self.page.goto(self.url + query)
        self.page.wait_for_selector("html[data-tfjs=ready]", state="attached")
        if python:
            self.wait_python()
        return self

    def wait_python(self, state: str = "ready"):
        self.page.wait_for_selector("html:not([data-python=loading])", state="attached", timeout=PYTHON_LOAD_MS)
        assert self.page.get_attribute("html", "data-python") == state, self.page.inner_text("#status-python")

    def close(self):
        self.context.close()

    # ---- page actions ----

    def set_engine(self, engine: str):
        self.page.select_option("[data-testid=engine]", engine)

    def clear(self):
        self.page.click("[data-testid=clear]")
        self.page.wait_for_selector(f'{PREDICTION}[data-digit=""]', state="attached")

    def pad_box(self):
        self.page.locator(PAD).scroll_into_view_if_needed()
        return self.page.locator(PAD).bounding_box()

    def draw_mouse(self, strokes):
        box = self.pad_box()
        mouse = self.page.mouse
        for stroke in strokes:
            pts = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
            mouse.move(*pts[0])
            mouse.down()
            for x, y in pts[1:]:
                mouse.move(x, y, steps=2)
            mouse.up()

    def draw_touch(self, strokes):
        """Real touch input through the DevTools protocol: Chromium turns it into touch pointer events."""
        box = self.pad_box()
        cdp = self.context.new_cdp_session(self.page)
        for stroke in strokes:
            pts = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": pts[0][0], "y": pts[0][1]}]})
            for x, y in pts[1:]:
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def draw_pen(self, strokes):
        """A stylus through the DevTools protocol (mouse events with pointerType "pen")."""
        box = self.pad_box()
        cdp = self.context.new_cdp_session(self.page)
        for stroke in strokes:
            pts = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
            common = {"pointerType": "pen", "button": "left", "clickCount": 1, "force": 0.5}
            cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": pts[0][0], "y": pts[0][1], **common})
            for x, y in pts[1:]:
                cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "buttons": 1, **common})
            cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": pts[-1][0], "y": pts[-1][1], **common})
        cdp.detach()

    def result(self, engine: str | None = None) -> dict:
        """Wait for a non-empty answer (from `engine` if given) and return the prediction's attributes."""
        sel = f'{PREDICTION}:not([data-digit=""])'
        if engine:
            sel += f"[data-engine={engine}]"
        el = self.page.wait_for_selector(sel, state="attached")
        return {
            "digit": el.get_attribute("data-digit"),
            "confidence": el.get_attribute("data-confidence"),
            "engine": el.get_attribute("data-engine"),
        }

    def message(self) -> str:
        el = self.page.wait_for_selector("[data-testid=message]:not([hidden])")
        return el.inner_text()

    def upload_bytes(self, name: str, mime: str, data: bytes):
        self.page.set_input_files("[data-testid=upload]", files=[{"name": name, "mimeType": mime, "buffer": data}])


@pytest.fixture
def open_page(chromium_browser, site_url):
    """Factory fixture: open_page(query="", python=True, **context_args) -> PageHandle (closed after the test)."""
    handles = []

    def _open(query: str = "", python: bool = True, url: str | None = None, **context_args) -> PageHandle:
        h = PageHandle(chromium_browser, url or site_url, **context_args)
        handles.append(h)
        return h.open(query, python)

    yield _open
    for h in handles:
        h.close()


# ---- digit shapes, as strokes of (x, y) fractions of the pad ----

def _ellipse(cx, cy, rx, ry, n=48):
    return [(cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n)) for i in range(n + 1)]


def _line(a, b, n=12):
    return [(a[0] + (b[0] - a[0]) * t / n, a[1] + (b[1] - a[1]) * t / n) for t in range(n + 1)]


DIGIT_STROKES = {
    "1": [_line((0.52, 0.15), (0.48, 0.85))],
    "0": [_ellipse(0.5, 0.5, 0.2, 0.33)],
    "7": [_line((0.27, 0.2), (0.73, 0.2)) + _line((0.73, 0.2), (0.42, 0.85))[1:]],
}


# ---- MNIST images as uploadable files ----

def mnist_file(image28: np.ndarray, fmt: str = "PNG", invert: bool = False, scale: int = 10, mode: str = "L") -> bytes:
    """An MNIST digit scaled up like a photo/scan; `invert` gives dark ink on white paper."""
    from PIL import Image
    arr = 255 - image28 if invert else image28
    img = Image.fromarray(arr.astype(np.uint8), "L").resize((28 * scale, 28 * scale), Image.BILINEAR)
    if mode != "L":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


@pytest.fixture(scope="session")
def mnist(mnist_test):
    images, labels = mnist_test
    return images, labels


