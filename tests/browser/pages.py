"""Helpers for browser tests: a page handle that records what the page did, digit strokes, MNIST files."""
from __future__ import annotations

import io
import math
from urllib.parse import urlsplit

import numpy as np

PYTHON_LOAD_MS = 90_000  # generous upper bound for Pyodide + pymodel on a busy 2-core machine
PAD = "[data-testid=pad]"
PREDICTION = "[data-testid=prediction]"


class PageHandle:
    """A page plus what it did: every request URL (the Python worker's too), failed responses, page errors,
    CSP violations (window.__csp)."""

    def __init__(self, browser, url: str, **context_args):
        context_args.setdefault("viewport", {"width": 1000, "height": 900})
        self.context = browser.new_context(**context_args)
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
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

    def wait_python(self, state: str = "ready", timeout: float = PYTHON_LOAD_MS) -> str:
        """Wait until the Python engine is no longer loading; assert it reached `state`; return its chip's text."""
        self.page.wait_for_selector("html:not([data-python=loading])", state="attached", timeout=timeout)
        text = self.page.inner_text("#status-python")
        assert self.page.get_attribute("html", "data-python") == state, text
        return text

    def foreign_requests(self) -> list[str]:
        """Requests that left the page's origin (blob: and data: URLs are the page's own)."""
        origin = urlsplit(self.url)[:2]
        return [u for u in self.requests if not u.startswith(("blob:", "data:")) and urlsplit(u)[:2] != origin]

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
            start = {"type": "touchStart", "touchPoints": [{"x": pts[0][0], "y": pts[0][1]}]}
            cdp.send("Input.dispatchTouchEvent", start)
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
