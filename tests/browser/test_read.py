"""Reading a whole number in the page (TEAM.md interface 4): TfjsEngine.read (segment.js + read.js + one
batched TF.js forward pass) with the shipped model, through the page's test hooks, against pymodel's
Model.read (NumPy, the same weights) on the same pixels."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pymodel import load_model
from tests.browser.pages import PageHandle
from tests.fixtures.make_golden import in_row, strokes, to_gray
from tests.helpers import upload_gray
from tests.scenes import DigitSource, number_scene

READ = "([e, g, w, h]) => window.__digits.readGray(e, g, w, h)"
RECOGNIZE = "([e, g, w, h]) => window.__digits.recognizeGray(e, g, w, h)"


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open(python=False)
    yield h
    h.close()


@pytest.fixture(scope="module")
def cpython(site_dir):
    return load_model(site_dir / "pymodel" / "weights")


def summary(reading) -> dict:
    """number, and each digit's answer and box (what must agree between engines)."""
    if isinstance(reading, dict):
        return {"number": reading["number"],
                "digits": [(d["digit"], d["status"], d["box"]) for d in reading["digits"]]}
    return {"number": reading.number, "digits": [(d.digit, d.status, d.box) for d in reading.digits]}


def assert_same_reading(page_reading: dict, py, engine: str) -> None:
    assert page_reading["engine"] == engine
    assert summary(page_reading) == summary(py)
    for d, p in zip(page_reading["digits"], py.digits):
        assert set(d) >= {"digit", "confidence", "probs", "status", "box", "image28"}
        assert np.max(np.abs(np.array(d["probs"]) - np.array(p.probs))) < 1e-3
    assert page_reading["ms"] >= 0


def test_tfjs_reads_a_drawn_number(page, cpython):
    img = strokes((200, 80), in_row([2, 0, 2, 6], 14, 12, 32, 54, 46), 6)
    gray, w, h = to_gray(img), img.width, img.height
    py = cpython.read(gray, w, h)
    assert py.number == "2026"
    tfjs = page.page.evaluate(READ, ["tfjs", gray, w, h])
    assert tfjs["number"] == "2026"
    assert_same_reading(tfjs, py, "tfjs")


@pytest.mark.parametrize("seed,n", [(34, 4), (33, 4), (42, 3)])
def test_tfjs_reads_a_number_in_an_uploaded_photo(page, cpython, seed, n):
    """A photo of a number on paper through the page's upload path (decode, grey, reduce) and read, as
    CPython reads it. (Scenes the shipped model reads right: this is about the path and the parity; the
    reader's accuracy is measured by `python build.py evaluate`. Seeds 30-39 read 9 of 10 right.)"""
    scene = number_scene(DigitSource(), np.random.default_rng(seed), n, False, True)
    truth = "".join(map(str, scene.labels))
    rgb = scene.decoded()
    h, w = rgb.shape[:2]
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, "PNG")
    gray, gw, gh = upload_gray(rgb)
    py = cpython.read(gray, gw, gh)
    assert py.number == truth
    got = page.page.evaluate(
        "([b, t]) => window.__digits.recognizeFile('tfjs', b, t, true)", [list(png.getvalue()), "image/png"])
    assert got["result"]["number"] == truth
    assert_same_reading(got["result"], py, "tfjs")


def test_tfjs_reads_a_single_digit_as_recognize(page, cpython):
    img = strokes((100, 100), [(7, (30, 20, 40, 60))], 6)
    gray, w, h = to_gray(img), img.width, img.height
    read = page.page.evaluate(READ, ["tfjs", gray, w, h])
    one = page.page.evaluate(RECOGNIZE, ["tfjs", gray, w, h])
    assert read["number"] == "7" and len(read["digits"]) == 1
    d = read["digits"][0]
    assert one["digit"] == d["digit"] == 7
    for key in ("status", "confidence", "probs", "box", "image28"):
        assert d[key] == one[key], key
    assert_same_reading(read, cpython.read(gray, w, h), "tfjs")


def test_tfjs_reads_nothing_on_a_blank_page(page):
    got = page.page.evaluate(READ, ["tfjs", [1.0] * (60 * 40), 60, 40])
    assert (got["number"], got["digits"]) == ("", [])


def test_reading_numbers_does_not_grow_tensor_count(page):
    img = strokes((200, 80), in_row([2, 0, 2, 6], 14, 12, 32, 54, 46), 6)
    before = page.page.evaluate("window.__digits.numTensors()")
    numbers = page.page.evaluate(
        "async ([g, w, h]) => { const out = []; for (let i = 0; i < 20; i++)"
        " out.push((await window.__digits.readGray('tfjs', g, w, h)).number); return out; }",
        [to_gray(img), img.width, img.height])
    assert numbers == ["2026"] * 20
    assert page.page.evaluate("window.__digits.numTensors()") == before
