"""Drawing with real mouse and touch input gives the right digit from each engine; pad controls work."""
from __future__ import annotations

import pytest

from tests.browser.pages import DIGIT_STROKES, PREDICTION


@pytest.fixture(scope="module")
def mouse_page(chromium_browser, site_url):
    from tests.browser.pages import PageHandle
    h = PageHandle(chromium_browser, site_url).open()
    yield h
    h.close()


@pytest.fixture(scope="module")
def touch_page(chromium_browser, site_url):
    from tests.browser.pages import PageHandle
    phone = {"has_touch": True, "is_mobile": True, "viewport": {"width": 390, "height": 844}}
    h = PageHandle(chromium_browser, site_url, **phone).open()
    yield h
    h.close()


@pytest.mark.parametrize("engine", ["tfjs", "python"])
@pytest.mark.parametrize("digit", sorted(DIGIT_STROKES))
def test_mouse_drawing_is_recognized(mouse_page, engine, digit):
    mouse_page.set_engine(engine)
    mouse_page.clear()
    mouse_page.draw_mouse(DIGIT_STROKES[digit])
    r = mouse_page.result(engine)
    assert r["digit"] == digit, r
    assert 0.0 < float(r["confidence"]) <= 1.0
    assert not mouse_page.errors


@pytest.mark.parametrize("engine", ["tfjs", "python"])
@pytest.mark.parametrize("digit", sorted(DIGIT_STROKES))
def test_touch_drawing_is_recognized(touch_page, engine, digit):
    touch_page.set_engine(engine)
    touch_page.clear()
    touch_page.page.evaluate("""() => { window.__pointerTypes = new Set();
        document.querySelector('[data-testid=pad]').addEventListener('pointerdown',
            e => window.__pointerTypes.add(e.pointerType)); }""")
    touch_page.draw_touch(DIGIT_STROKES[digit])
    r = touch_page.result(engine)
    assert r["digit"] == digit, r
    assert touch_page.page.evaluate("[...window.__pointerTypes]") == ["touch"]


@pytest.mark.parametrize("digit", ["7", "0"])
def test_pen_drawing_is_recognized(mouse_page, digit):
    page = mouse_page.page
    mouse_page.set_engine("tfjs")
    mouse_page.clear()
    page.evaluate("""() => { window.__pointerTypes = new Set();
        document.querySelector('[data-testid=pad]').addEventListener('pointerdown',
            e => window.__pointerTypes.add(e.pointerType)); }""")
    mouse_page.draw_pen(DIGIT_STROKES[digit])
    assert mouse_page.result("tfjs")["digit"] == digit
    assert page.evaluate("[...window.__pointerTypes]") == ["pen"]


def test_touch_does_not_scroll_the_page(touch_page):
    assert touch_page.page.eval_on_selector("[data-testid=pad]", "c => getComputedStyle(c).touchAction") == "none"


def test_empty_pad_asks_for_a_digit_and_never_guesses(mouse_page):
    page = mouse_page.page
    mouse_page.set_engine("tfjs")
    mouse_page.draw_mouse(DIGIT_STROKES["1"])
    mouse_page.result()
    mouse_page.clear()
    assert page.get_attribute(PREDICTION, "data-digit") == ""
    assert page.get_attribute(PREDICTION, "data-confidence") == ""
    assert "Draw a digit" in page.inner_text(PREDICTION)


def _seen(page):
    return page.evaluate("Array.from(window.__digits.lastResult.image28 || [])")


def test_undo_and_keyboard_shortcuts(mouse_page):
    page = mouse_page.page
    mouse_page.set_engine("tfjs")
    mouse_page.clear()
    mouse_page.draw_mouse(DIGIT_STROKES["1"])
    assert mouse_page.result()["digit"] == "1"
    one = _seen(page)
    mouse_page.draw_mouse(DIGIT_STROKES["0"])  # a second stroke changes what the model sees
    two = _seen(page)
    assert two != one
    page.click("[data-testid=undo]")  # back to the single "1"
    page.wait_for_selector(f'{PREDICTION}[data-digit="1"]', state="attached")
    assert _seen(page) == one
    page.locator("[data-testid=pad]").focus()
    page.keyboard.press("Control+z")  # undo the last stroke too: the pad is empty again
    page.wait_for_selector(f'{PREDICTION}[data-digit=""]', state="attached")
    assert "Draw a digit" in page.inner_text(PREDICTION)
    mouse_page.draw_mouse(DIGIT_STROKES["7"])
    assert mouse_page.result()["digit"] == "7"
    page.keyboard.press("Escape")
    page.wait_for_selector(f'{PREDICTION}[data-digit=""]', state="attached")
    mouse_page.draw_mouse(DIGIT_STROKES["0"])
    assert mouse_page.result()["digit"] == "0"
    page.keyboard.press("Delete")
    page.wait_for_selector(f'{PREDICTION}[data-digit=""]', state="attached")


def test_compare_mode_shows_agreement(mouse_page):
    page = mouse_page.page
    mouse_page.set_engine("compare")
    mouse_page.clear()
    mouse_page.draw_mouse(DIGIT_STROKES["7"])
    assert mouse_page.result("tfjs")["digit"] == "7"
    box = page.wait_for_selector("#compare[data-agree=true]", state="visible")
    assert "agree" in box.inner_text()
    assert float(box.get_attribute("data-max-diff")) < 1e-3
    mouse_page.set_engine("tfjs")


def test_page_has_accessible_labels_and_live_result(mouse_page):
    page = mouse_page.page
    assert page.get_attribute(PREDICTION, "aria-live") == "polite"
    assert page.get_attribute("[data-testid=pad]", "aria-label")
    assert page.locator("label[for=engine]").count() == 1
    assert page.locator("label[for=upload]").count() == 1
    assert page.get_attribute("html", "data-kernels") in ("numpy", "python")


def test_keyboard_focus_is_visible(mouse_page):
    """Tabbing reaches every control, and each shows a focus outline (on the label for the hidden file input)."""
    page = mouse_page.page
    # Start at the top (the skip link): below the controls, the history adds a button or two per entry.
    page.focus("a.skip")
    seen = {}
    for _ in range(12):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            const shown = el.id === 'upload' ? document.querySelector('label[for=upload]') : el;
            const style = getComputedStyle(shown);
            return { id: el.id, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
        }""")
        seen[info["id"]] = info
    for control in ("engine", "undo", "clear", "pad", "upload"):
        assert control in seen, f"{control} is not reachable with Tab ({list(seen)})"
        assert seen[control]["outline"] != "none" and seen[control]["width"] >= 2, seen[control]


@pytest.mark.parametrize("status,digit,verdict,big", [
    ("ok", 3, "It's a 3", "3"),
    ("ok", 8, "It's an 8", "8"),  # "an eight"
    ("unsure", 7, "Unsure — maybe 7", "7?"),
    ("not_a_digit", None, "That doesn't look like a digit", "✕"),
    ("empty", None, "Draw a digit", "?"),
])
def test_every_status_is_shown(mouse_page, status, digit, verdict, big):
    """The four statuses of the result interface, as the view renders them (an 11-class model's
    "not_a_digit" included, before such a model ships)."""
    page = mouse_page.page
    probs = [0.01] * 10
    if digit is not None:
        probs[digit] = 0.91
    page.evaluate("r => window.__digits.render(r)", {"engine": "tfjs", "status": status, "digit": digit,
                                                    "confidence": 0.91 if status != "empty" else 0, "probs": probs})
    el = page.locator(PREDICTION)
    assert el.get_attribute("data-status") == status
    assert el.get_attribute("data-digit") == ("" if digit is None else str(digit))
    assert page.inner_text("[data-testid=verdict]") == verdict
    assert page.inner_text("#big-digit") == big
    assert el.get_attribute("data-unsure") == str(status == "unsure").lower()
    mouse_page.clear()


# Capital letters as pad-relative strokes, drawn in the middle of the landscape pad.
LETTERS = {
    "A": [[(0.1, 1.0), (0.5, 0.0), (0.9, 1.0)], [(0.28, 0.6), (0.72, 0.6)]],
    "E": [[(0.85, 0.0), (0.15, 0.0), (0.15, 1.0), (0.85, 1.0)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.85, 1.0)], [(0.15, 0.5), (0.85, 0.5)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    # Pen lifted at each corner: strokes that carry on from each other stay one mark (stroke-groups.js).
    "V": [[(-0.15, 0.0), (0.5, 1.0)], [(0.5, 1.0), (1.15, 0.0)]],
    "M": [[(0.05, 1.0), (0.05, 0.0)], [(0.05, 0.0), (0.5, 0.6)], [(0.5, 0.6), (0.95, 0.0)], [(0.95, 0.0), (0.95, 1.0)]],
}


@pytest.mark.parametrize("engine", ["tfjs", "python"])
@pytest.mark.parametrize("letter", sorted(LETTERS))
def test_drawn_letter_is_not_a_digit(mouse_page, engine, letter):
    """The shipped 11-class model through the page's reader: a letter is "not a digit", not a number made of
    its strokes."""
    mouse_page.set_engine(engine)
    mouse_page.clear()
    strokes = [[(0.38 + 0.24 * x, 0.2 + 0.6 * y) for x, y in s] for s in LETTERS[letter]]
    mouse_page.draw_mouse(strokes)
    el = mouse_page.page.wait_for_selector(f"{PREDICTION}[data-engine={engine}][data-status=not_a_digit]",
                                           state="attached")
    assert el.get_attribute("data-digit") == ""
    assert "doesn't look like a digit" in mouse_page.page.inner_text("[data-testid=verdict]")
    assert not mouse_page.errors
