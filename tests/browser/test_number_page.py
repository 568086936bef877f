"""Reading numbers in the page (issue 8, section 2): a number drawn with the mouse or a finger, or uploaded as a
photo, is shown with each of its digits (crop, answer, confidence, marks) on both engines; choosing a digit
shows its ten probabilities and its 28x28; compare mode and the history take numbers; a single digit keeps
its old result; the landscape pad fits a 360 px portrait phone and a phone held sideways."""
from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from pymodel.bench import STROKES
from tests.browser.pages import DIGIT_STROKES, PREDICTION, PageHandle
from tests.helpers import ROOT
from tests.scenes import DigitSource, number_scene

ITEM = "[data-testid=digit-item]"
LIST = "[data-testid=digit-list]"
WAIT_MS = 60_000


def _dense(stroke, n: int = 10):
    """A polyline with points every 1/n of each segment: the pad smooths through midpoints, so sparse corner
    points would round the digit off."""
    out = [stroke[0]]
    for a, b in zip(stroke, stroke[1:]):
        out += [(a[0] + (b[0] - a[0]) * t / n, a[1] + (b[1] - a[1]) * t / n) for t in range(1, n + 1)]
    return out


def number_strokes(number: str, height: float = 0.42, aspect: float = 1.5, spacing: float = 1.45) -> list:
    """Pen strokes of `number` written across the pad (fractions of its width and height), digits of one size
    on one baseline, each `spacing` digit widths after the one before (below 1 they overlap; the pen's
    width makes them touch already at 1.2). aspect: the pad's width / height."""
    h = height
    w = h * 0.6 / aspect  # a digit is about 0.6 as wide as it is tall, in pad-width fractions
    step = w * spacing
    x0 = (1 - (step * (len(number) - 1) + w)) / 2
    y0 = (1 - h) / 2
    return [_dense([(x0 + k * step + px * w, y0 + py * h) for px, py in stroke])
            for k, digit in enumerate(number) for stroke in STROKES[int(digit)]]


def pad_aspect(h: PageHandle) -> float:
    box = h.pad_box()
    return box["width"] / box["height"]


def wait_number(h: PageHandle, number: str, engine: str | None = None) -> None:
    """Wait until the page shows `number` (from `engine`); fail with what it shows instead."""
    sel = f'html[data-number="{number}"] {PREDICTION}' + (f"[data-engine={engine}]" if engine else "")
    try:
        h.page.wait_for_selector(sel, state="attached", timeout=WAIT_MS)
    except Exception:
        shown = h.page.evaluate("() => [document.documentElement.dataset.number,"
                                " document.querySelector('[data-testid=prediction]').dataset.engine]")
        raise AssertionError(f"the page shows {shown}, not {number!r} from {engine}") from None


def digit_items(h: PageHandle) -> list[dict]:
    return h.page.eval_on_selector_all(ITEM, """els => els.map(e => ({
        digit: e.dataset.digit, status: e.dataset.status, confidence: Number(e.dataset.confidence),
        pressed: e.getAttribute('aria-pressed'), text: e.innerText, canvas: !!e.querySelector('canvas')}))""")


def assert_number_shown(h: PageHandle, number: str, engine: str) -> list[dict]:
    wait_number(h, number, engine)
    page = h.page
    pred = page.locator(PREDICTION)
    assert pred.get_attribute("data-kind") == "number"
    assert pred.get_attribute("data-count") == str(len(number))
    assert pred.get_attribute("data-digit") == number  # data-digit: the digits read
    assert page.inner_text("[data-testid=number]") == number
    assert page.is_visible(LIST)
    items = digit_items(h)
    assert "".join(i["digit"] for i in items) == number
    for i in items:
        assert i["status"] in ("ok", "unsure") and 0 < i["confidence"] <= 1 and i["canvas"], i
        assert i["digit"] in i["text"] and "%" in i["text"], i
        if i["status"] == "unsure":  # said in words, not only in colour
            assert "?" in i["text"] and "unsure" in i["text"], i
    assert sum(i["pressed"] == "true" for i in items) == 1, "one digit's probabilities are shown"
    r = page.evaluate("window.__digits.lastResult")
    assert r["number"] == number and len(r["digits"]) == len(number) and r["engine"] == engine
    assert not h.errors
    return items


@pytest.fixture(scope="module")
def desk(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open()
    yield h
    h.close()


def _photo_png(seed: int, n: int) -> tuple[bytes, str]:
    scene = number_scene(DigitSource(), np.random.default_rng(seed), n, False, True)
    png = io.BytesIO()
    Image.fromarray(scene.decoded()).save(png, "PNG")
    return png.getvalue(), "".join(map(str, scene.labels))


def test_the_pad_is_landscape_on_a_desktop(desk):
    box = desk.pad_box()
    assert box["width"] >= 500 and box["width"] / box["height"] >= 1.4, box


@pytest.mark.parametrize("engine", ["tfjs", "python"])
def test_a_number_drawn_with_the_mouse_is_read_digit_by_digit(desk, engine):
    desk.set_engine(engine)
    desk.clear()
    desk.draw_mouse(number_strokes("2026", aspect=pad_aspect(desk)))
    assert_number_shown(desk, "2026", engine)
    assert "2026" in desk.page.inner_text("[data-testid=verdict]")


@pytest.mark.parametrize("engine", ["tfjs", "python"])
def test_digits_drawn_touching_are_read_apart(desk, engine):
    """Each digit's strokes clear a band round them on the digits drawn before (web/js/stroke-groups.js): from
    the pixels alone, these four overlapping digits are one ink group that no cut separates ("That doesn't
    look like a digit")."""
    desk.set_engine(engine)
    desk.clear()
    desk.draw_mouse(number_strokes("2026", aspect=pad_aspect(desk), spacing=0.9))
    assert_number_shown(desk, "2026", engine)


@pytest.mark.parametrize("engine", ["tfjs", "python"])
@pytest.mark.parametrize("number", ["14", "71"])
def test_a_digit_drawn_up_to_the_pads_edge_is_read(desk, engine, number):
    """A 1 drawn at the pad's very left or right edge: in a photo, a narrow mark cut by the image's side may
    be a neighbour cut by the crop and is left out ("4", "7"); the pad is cut out of nothing, so the page
    reads its drawing as one (read's drawn)."""
    strokes = number_strokes(number, aspect=pad_aspect(desk))
    one = strokes[0] if number[0] == "1" else strokes[-1]
    stem = one[-1][0]  # STROKES[1] ends at the foot of its stem
    # The stem on the edge itself: the pen reaches past it, so its ink is cut by the pad's side (and a flag
    # past the left edge is lost, as a finger's would be).
    shift = (0.002 if number[0] == "1" else 0.998) - stem
    desk.set_engine(engine)
    desk.clear()
    desk.draw_mouse([[(min(1.0, max(0.0, x + shift)), y) for x, y in s] for s in strokes])
    assert_number_shown(desk, number, engine)


@pytest.mark.parametrize("below", [0.04, 0.08])  # touching the digits, clear of them
def test_a_number_underlined_on_the_pad_is_read(desk, below):
    """A stroke under several digits is no digit (stroke-groups.js, across) and is left out of what is read:
    drawn as thick as the digits, an underline joined these touching ones into one mark ("That doesn't look
    like a digit")."""
    strokes = number_strokes("2026", aspect=pad_aspect(desk), spacing=0.9)
    xs = [x for s in strokes for x, _ in s]
    bottom = max(y for s in strokes for _, y in s)
    desk.set_engine("tfjs")
    desk.clear()
    desk.draw_mouse(strokes + [_dense([(min(xs) - 0.02, bottom + below), (max(xs) + 0.02, bottom + below)], 40)])
    assert_number_shown(desk, "2026", "tfjs")


@pytest.mark.parametrize("digit, strokes", [
    ("4", STROKES[4]),  # its corner, then its stem across the bar
    ("5", [[(0.2, 0.0), (0.15, 0.45), (0.7, 0.4), (0.9, 0.7), (0.6, 1.0), (0.1, 0.9)], [(0.2, 0.0), (0.9, 0.0)]]),
])
def test_a_digit_of_several_strokes_is_one_digit(desk, digit, strokes):
    """The strokes of one digit share its columns and stay one group: its own later stroke (a 4's stem, a 5's
    flag) clears nothing round it."""
    aspect = pad_aspect(desk)
    h, w = 0.42, 0.42 * 0.6 / aspect
    desk.clear()
    desk.draw_mouse([_dense([(0.5 - w / 2 + px * w, 0.29 + py * h) for px, py in s]) for s in strokes])
    desk.page.evaluate("() => window.__digits.recognizeRepeatedly(1)")  # the answer to the last stroke, shown
    assert desk.page.get_attribute("html", "data-number") == digit
    assert desk.page.get_attribute(PREDICTION, "data-count") == "1"


@pytest.mark.parametrize("engine", ["tfjs", "python"])
def test_an_uploaded_photo_of_a_number_is_read_digit_by_digit(desk, engine):
    data, truth = _photo_png(33, 4)  # read right by pymodel with the shipped weights
    desk.set_engine(engine)
    desk.clear()
    desk.upload_bytes("amount.png", "image/png", data)
    assert_number_shown(desk, truth, engine)
    # The upload is kept in the history at once, as the number read. (The list is drawn again as entries
    # arrive, so the newest entry is looked up afresh, never through an element found earlier.)
    desk.page.wait_for_function("t => { const e = document.querySelector('[data-testid=history-entry] .entry-answer');"
                                " return e !== null && e.textContent.includes(t); }", arg=truth, timeout=WAIT_MS)
    assert truth in desk.page.inner_text("[data-testid=history-entry] .entry-answer")


def test_choosing_a_digit_shows_its_probabilities_and_its_28x28(desk):
    page = desk.page
    desk.set_engine("tfjs")
    desk.clear()
    desk.draw_mouse(number_strokes("2026", aspect=pad_aspect(desk)))
    assert_number_shown(desk, "2026", "tfjs")
    digits = page.evaluate("window.__digits.lastResult.digits")
    seen = "() => Array.from(document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data)"
    tile = f"i => Array.from(document.querySelectorAll('{ITEM}')[i].querySelector('canvas')" \
           ".getContext('2d').getImageData(0, 0, 28, 28).data)"
    for i, how in [(2, "click"), (3, "Enter"), (1, " ")]:
        item = page.locator(ITEM).nth(i)
        if how == "click":
            item.click()
        else:
            item.focus()
            page.keyboard.press("Space" if how == " " else how)
        assert page.get_attribute("[data-testid=bars]", "data-index") == str(i)
        assert item.get_attribute("aria-pressed") == "true"
        assert page.locator(f'{ITEM}[aria-pressed="true"]').count() == 1
        shown = page.eval_on_selector_all("[data-testid=bars] .pct", "els => els.map(e => e.textContent)")
        best = int(np.argmax(digits[i]["probs"]))
        assert page.eval_on_selector("[data-testid=bars] li.best .label", "e => e.textContent") == str(best)
        assert str(best) == str(digits[i]["digit"])
        assert len(shown) == 10 and all(s.endswith("%") for s in shown)
        assert "digit of 4" in page.text_content("#bars-title")
        assert page.evaluate(seen) == page.evaluate(tile, i), "the main 28x28 view shows the chosen digit"
    assert not desk.errors


def test_compare_mode_reads_numbers_with_both_engines(desk):
    page = desk.page
    desk.set_engine("compare")
    desk.clear()
    desk.draw_mouse(number_strokes("2026", aspect=pad_aspect(desk)))
    assert_number_shown(desk, "2026", "tfjs")
    # Until Python has read the last stroke, no verdict (of an earlier stroke's reading) is shown.
    assert page.evaluate("() => { const b = document.getElementById('compare'); return !b.hasAttribute('data-agree')"
                         " || (b.textContent.match(/2026/g) || []).length === 2; }")
    page.wait_for_function("() => (document.getElementById('compare').textContent.match(/2026/g) || []).length"
                           " === 2", timeout=WAIT_MS)
    box = page.locator("[data-testid=compare]")
    assert box.get_attribute("data-agree") == "true", box.inner_text()
    assert float(box.get_attribute("data-max-diff")) < 1e-3
    desk.set_engine("tfjs")


def test_a_single_digit_keeps_its_old_result(desk):
    page = desk.page
    desk.set_engine("tfjs")
    desk.clear()
    desk.draw_mouse(DIGIT_STROKES["7"])
    assert desk.result("tfjs")["digit"] == "7"
    assert page.get_attribute(PREDICTION, "data-kind") == "digit"
    assert page.get_attribute("html", "data-number") == "7"
    assert page.inner_text("[data-testid=verdict]") == "It's a 7"
    assert not page.is_visible(LIST) and page.locator(ITEM).count() == 0
    assert page.text_content("#bars-title") == "Probabilities"
    assert not page.is_visible("[data-testid=pad-answer]")  # the result stands beside the pad
    desk.clear()
    assert page.get_attribute("html", "data-number") == ""
    assert page.get_attribute("[data-testid=pad-answer]", "data-state") == "empty"


def test_an_image_without_digits_says_so_and_the_page_keeps_working(desk):
    page = desk.page
    desk.set_engine("tfjs")
    desk.clear()
    blank = io.BytesIO()
    Image.new("RGB", (300, 120), (235, 235, 230)).save(blank, "PNG")
    desk.upload_bytes("blank.png", "image/png", blank.getvalue())
    page.wait_for_function("() => document.getElementById('confidence').textContent.includes('No digit')")
    assert page.get_attribute("html", "data-number") == "" and not page.is_visible(LIST)
    assert "No digit found" in page.text_content("[data-testid=pad-answer]")  # what a phone shows by the pad
    assert page.inner_text("[data-testid=verdict]") == "Nothing written here"  # not "Draw a digit": it was a photo
    desk.upload_bytes("broken.png", "image/png", b"\x89PNG\r\n\x1a\n not really")
    assert desk.message()
    desk.clear()
    desk.draw_mouse(number_strokes("2026", aspect=pad_aspect(desk)))
    assert_number_shown(desk, "2026", "tfjs")


@pytest.mark.parametrize("engine", ["tfjs", "python"])
def test_a_360px_portrait_phone_has_no_overflow_and_reads_a_number_written_with_a_finger(chromium_browser, site_url,
                                                                                          engine):
    phone = {"has_touch": True, "is_mobile": True, "viewport": {"width": 360, "height": 740}}
    h = PageHandle(chromium_browser, site_url, **phone).open(python=engine == "python")
    try:
        page = h.page
        box = h.pad_box()
        assert box["width"] >= 290 and box["width"] > box["height"] >= 180, box
        h.set_engine(engine)
        # Written cramped, as a finger on a phone does: neighbours touch.
        h.draw_touch(number_strokes("2026", aspect=box["width"] / box["height"], spacing=0.9))
        assert_number_shown(h, "2026", engine)
        overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(overflow) <= 0, "the page scrolls sideways at 360 px"
        right = page.eval_on_selector_all(f"{ITEM}, [data-testid=number], #bars", "els => els.map(e => "
                                          "e.getBoundingClientRect().right)")
        assert max(right) <= 360, right
        tops = page.eval_on_selector_all(ITEM, "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
        assert len(set(tops)) == 1, f"four digits in one row at 360 px: {tops}"
        # The result card is below the screen's edge; the answer is repeated under the pad, in sight.
        answer = page.locator("[data-testid=pad-answer]")
        assert "2026" in answer.inner_text()
        assert answer.bounding_box()["y"] + answer.bounding_box()["height"] <= 740
        page.locator(ITEM).nth(0).tap()
        assert page.get_attribute("[data-testid=bars]", "data-index") == "0"
    finally:
        h.close()


def test_a_phone_held_sideways_shows_the_whole_pad(chromium_browser, site_url):
    phone = {"has_touch": True, "is_mobile": True, "viewport": {"width": 740, "height": 360}}
    h = PageHandle(chromium_browser, site_url, **phone).open(python=False)
    try:
        box = h.pad_box()
        assert box["height"] <= 360 and box["width"] >= 1.8 * box["height"], box
        assert h.page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        h.close()


def test_unsure_and_rejected_digits_are_marked_in_words_not_only_colour(desk):
    """A made-up reading (an 11-class model's "not_a_digit" included, before one ships) through the view."""
    page = desk.page

    def digit(d, conf, status):
        probs = [0.01] * 10
        if d is not None:
            probs[d] = conf
        return {"digit": d, "confidence": conf, "probs": probs, "status": status, "box": [10, 10, 20, 30],
                "image28": [0.0] * 784}

    page.evaluate("r => window.__digits.renderReading(r)", {"engine": "tfjs", "number": "42", "digits": [
        digit(4, 0.97, "ok"), digit(None, 0.9, "not_a_digit"), digit(2, 0.41, "unsure")]})
    items = digit_items(desk)
    assert [i["status"] for i in items] == ["ok", "not_a_digit", "unsure"]
    assert items[0]["text"].split() == ["4", "97.0%"]
    assert "✕" in items[1]["text"] and "not a digit" in items[1]["text"]
    assert "2?" in items[2]["text"] and "unsure" in items[2]["text"]
    # Unsure for being smaller than the other digits, however confident: the tile says so, not "unsure 99%".
    small = digit(7, 0.99, "unsure")
    small["reason"] = "smaller"
    page.evaluate("r => window.__digits.renderReading(r)", {"engine": "tfjs", "number": "17", "digits": [
        digit(1, 0.98, "ok"), small]})
    assert digit_items(desk)[1]["text"].split() == ["7?", "unsure:", "small"]
    assert "smaller than the others" in page.get_attribute(f"{ITEM} >> nth=1", "aria-label")
    page.evaluate("r => window.__digits.renderReading(r)", {"engine": "tfjs", "number": "42", "digits": [
        digit(4, 0.97, "ok"), digit(None, 0.9, "not_a_digit"), digit(2, 0.41, "unsure")]})
    styles = page.eval_on_selector_all(ITEM, "els => els.map(e => getComputedStyle(e).borderStyle)")
    assert styles[0] == "solid" and styles[1] == styles[2] == "dashed"
    assert items[1]["pressed"] == "true", "the first doubtful digit is shown first"
    assert page.get_attribute(PREDICTION, "data-status") == "not_a_digit"
    assert page.get_attribute("html", "data-number") == "42"
    assert "doesn't look like a digit" in page.inner_text("[data-testid=verdict]")
    desk.clear()
    assert page.locator(ITEM).count() == 0


def test_the_pad_does_not_move_when_offline_becomes_ready_on_a_phone(chromium_browser, site_url):
    """At 360 px the "Offline ready" chip opens a second row of chips a few seconds after the page: its place
    is kept from the start, so the pad does not jump under a finger already drawing (it did, by 38 px)."""
    phone = {"has_touch": True, "is_mobile": True, "viewport": {"width": 360, "height": 740}}
    h = PageHandle(chromium_browser, site_url, **phone).open(python=True)  # both engines' chips settled
    try:
        before = h.pad_box()
        if h.page.get_attribute("html", "data-offline") == "ready":
            pytest.skip("the service worker was ready before both engines: nothing left to appear")
        h.page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=WAIT_MS)
        assert h.pad_box() == before
    finally:
        h.close()


@pytest.mark.parametrize("width", [360, 820, 1280])
def test_the_pad_does_not_move_while_python_loads(chromium_browser, site_url, width):
    """The Python chip's text changes as the engine loads (web/js/python-engine.js's stages, then "ready"):
    the chips keep their rows whatever they say, so the pad does not move under a finger already drawing
    (at 360 px it moved by 18 px, at 820 px by a whole row)."""
    source = (ROOT / "web" / "js" / "python-engine.js").read_text()
    stages = re.findall(r'^\s+\w+: \[(?:null|\d+), "([^"]+)"\],$', source, flags=re.M)
    assert len(stages) >= 3, "python-engine.js's STAGES moved: update this test"
    texts = ["Python: loading…"] + [f"Python: {s} (50%)" for s in stages]
    texts += ["Python 3.14: ready (pure-Python kernels)", "Python 3.14: ready (NumPy)"]
    h = PageHandle(chromium_browser, site_url, viewport={"width": width, "height": 800}).open("?nosw", python=False)
    try:
        tops = set()
        for text in texts:
            h.page.evaluate("""(t) => { document.querySelector('#status-python .chip-text').textContent = t;
                document.querySelector('#status-tfjs .chip-text').textContent = 'TF.js: ready (webgl)'; }""", text)
            tops.add(h.page.evaluate("document.getElementById('pad').getBoundingClientRect().top + window.scrollY"))
        assert len(tops) == 1, (width, tops)
    finally:
        h.close()
