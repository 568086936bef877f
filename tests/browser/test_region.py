"""The region read, drawn over an uploaded photo, and the user's own region (issue 7, "In the page").

The photo: a three-digit number written on paper (tests/scenes.py, seeded), scaled up to about 1050 px
wide so the page reduces it twice (decode to 1024 px, then blocks of 4 to 256 px) before recognition.
The automatic reading is the whole number (issue 8), one box per digit; the user then boxes one digit with
the mouse, a finger or the keyboard, and that digit is read.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pymodel.preprocess import MAX_SIDE
from tests.browser.pages import PREDICTION, PageHandle
from tests.scenes import DigitSource, iou, number_scene

SEED = 0  # digits 6, 9, 4 (checked below), read as the number 694
SCALE = 3
LEFT, MIDDLE, RIGHT = 0, 1, 2


@pytest.fixture(scope="module")
def photo():
    scene = number_scene(DigitSource(), np.random.default_rng(SEED), 3, touching=False, photo=True)
    h, w = scene.image.shape[:2]
    big = Image.fromarray(scene.image).resize((w * SCALE, h * SCALE), Image.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, "PNG")
    boxes = [[v * SCALE for v in b] for b in scene.boxes]
    assert len(set(scene.labels)) == 3, scene.labels
    return {"png": buf.getvalue(), "labels": scene.labels, "boxes": boxes, "size": big.size}


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open("?nosw", python=False)
    yield h
    h.close()


def _number(photo) -> str:
    return "".join(map(str, photo["labels"]))


def _upload(h: PageHandle, photo) -> dict:
    h.clear()
    h.upload_bytes("number.png", "image/png", photo["png"])
    return _answer(h, _number(photo), chosen=False)


def _answer(h: PageHandle, digit: int | str, chosen: bool) -> dict:
    mode = "chosen" if chosen else "automatic"
    h.page.wait_for_selector(f'{PREDICTION}[data-digit="{digit}"]', state="attached")
    h.page.wait_for_selector(f"[data-testid=region-view][data-mode={mode}]:not([hidden])")
    return h.page.evaluate("window.__digits.lastResult")


def _file_box(h: PageHandle, photo, box) -> list[float]:
    """A box in the grey pixels the engines saw -> the uploaded file's pixels (decoded size, then blocks of k)."""
    frame = h.page.evaluate("window.__digits.region.source")["frame"]
    k = max(1, -(-max(frame["width"], frame["height"]) // MAX_SIDE))
    fx = photo["size"][0] / frame["width"]
    fy = photo["size"][1] / frame["height"]
    return [box[0] * k * fx, box[1] * k * fy, box[2] * k * fx, box[3] * k * fy]


def _screen(h: PageHandle, photo, file_box, grow: float = 0.0) -> dict:
    """A box in the file's pixels -> screen coordinates over the preview (object-fit: contain)."""
    img = h.page.locator("#upload-preview").bounding_box()
    w, h_ = photo["size"]
    s = min(img["width"] / w, img["height"] / h_)
    ox = img["x"] + (img["width"] - w * s) / 2
    oy = img["y"] + (img["height"] - h_ * s) / 2
    x, y, bw, bh = file_box
    m = grow * max(bw, bh)
    return {"x0": ox + (x - m) * s, "y0": oy + (y - m) * s, "x1": ox + (x + bw + m) * s, "y1": oy + (y + bh + m) * s}


def _rect_iou(a: dict, b: dict) -> float:
    return iou([a["x0"], a["y0"], a["x1"] - a["x0"], a["y1"] - a["y0"]],
               [b["x0"], b["y0"], b["x1"] - b["x0"], b["y1"] - b["y0"]])


def _drag_mouse(h: PageHandle, r: dict) -> None:
    m = h.page.mouse
    m.move(r["x0"], r["y0"])
    m.down()
    m.move((r["x0"] + r["x1"]) / 2, (r["y0"] + r["y1"]) / 2, steps=3)
    m.move(r["x1"], r["y1"], steps=3)
    m.up()


def _drag_touch(h: PageHandle, r: dict) -> None:
    cdp = h.context.new_cdp_session(h.page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": r["x0"], "y": r["y0"]}]})
    for t in (0.25, 0.5, 0.75, 1.0):
        x, y = r["x0"] + t * (r["x1"] - r["x0"]), r["y0"] + t * (r["y1"] - r["y0"])
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _drag_pen(h: PageHandle, r: dict) -> None:
    """A stylus through the DevTools protocol: mouse events with pointerType "pen"."""
    cdp = h.context.new_cdp_session(h.page)
    common = {"pointerType": "pen", "button": "left", "clickCount": 1, "force": 0.5}
    cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": r["x0"], "y": r["y0"], **common})
    for t in (0.25, 0.5, 0.75, 1.0):
        x, y = r["x0"] + t * (r["x1"] - r["x0"]), r["y0"] + t * (r["y1"] - r["y0"])
        cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "buttons": 1, **common})
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": r["x1"], "y": r["y1"], **common})
    cdp.detach()


def _choose_region(h: PageHandle) -> None:
    h.page.click("[data-testid=crop-start]")
    h.page.wait_for_selector("[data-testid=crop-tool][data-active=true]", state="attached")


def _message(h: PageHandle) -> str:
    return h.page.wait_for_selector("[data-testid=message]:not([hidden])").inner_text()


def test_the_boxes_read_are_drawn_around_the_digits(page, photo):
    r = _upload(page, photo)
    assert r["number"] == _number(photo) and len(r["digits"]) == 3, r
    boxes = page.page.locator("[data-testid=region-box]")
    assert boxes.count() == 3
    for i, d in enumerate(r["digits"]):
        # Each digit's box is its ink, in the engines' pixels mapped back to the file's...
        assert d["status"] == "ok" and d["box"], d
        assert iou(_file_box(page, photo, d["box"]), photo["boxes"][i]) > 0.6
        assert boxes.nth(i).get_attribute("data-box") == ",".join(str(v) for v in d["box"])
        # ...and the box on screen is where that digit is on the shown picture.
        bb = boxes.nth(i).bounding_box()
        drawn = {"x0": bb["x"], "y0": bb["y"], "x1": bb["x"] + bb["width"], "y1": bb["y"] + bb["height"]}
        assert _rect_iou(drawn, _screen(page, photo, photo["boxes"][i])) > 0.6
    assert page.page.is_visible("[data-testid=crop-start]")
    assert not page.page.is_visible("[data-testid=crop-reset]")


def _check_chosen(h: PageHandle, photo, which: int) -> dict:
    r = _answer(h, photo["labels"][which], chosen=True)
    assert r["region"] and r["box"], r
    assert iou(_file_box(h, photo, r["box"]), photo["boxes"][which]) > 0.5, (r["box"], photo["boxes"][which])
    rx, ry, rw, rh = r["region"]
    bx, by, bw, bh = r["box"]
    assert rx <= bx and ry <= by and bx + bw <= rx + rw and by + bh <= ry + rh, "the box read lies inside the region"
    assert h.page.locator("[data-testid=region-choice]").count() == 1
    assert h.page.is_visible("[data-testid=crop-reset]")
    return r


def _history_count(h: PageHandle) -> int:
    return int(h.page.get_attribute("#history-card", "data-count") or 0)


def _history_answers(h: PageHandle, n: int) -> None:
    """Wait until the newest history entry says `n`."""
    h.page.wait_for_selector(f"[data-testid=history-entry]:first-child[data-answer='{n}']", state="attached")


def test_a_box_drawn_with_the_mouse_is_read_and_automatic_goes_back(chromium_browser, site_url, photo):
    # A page of its own: its history starts empty, so the upload's entry can be counted.
    page = PageHandle(chromium_browser, site_url).open("?nosw", python=False)
    try:
        _mouse_and_automatic(page, photo)
    finally:
        page.close()


def _mouse_and_automatic(page: PageHandle, photo) -> None:
    page.page.wait_for_selector("#history-card[data-available=true]", state="attached")
    assert _history_count(page) == 0
    _upload(page, photo)
    _history_answers(page, _number(photo))
    assert _history_count(page) == 1
    _choose_region(page)
    _drag_mouse(page, _screen(page, photo, photo["boxes"][RIGHT], grow=0.2))
    _check_chosen(page, photo, RIGHT)
    assert page.page.get_attribute("[data-testid=crop-tool]", "data-active") == "false"
    assert page.page.is_hidden("[data-testid=message]")
    _history_answers(page, photo["labels"][RIGHT])
    page.page.click("[data-testid=crop-reset]")
    r = _answer(page, _number(photo), chosen=False)
    assert "region" not in r
    assert page.page.locator("[data-testid=region-choice]").count() == 0
    _history_answers(page, _number(photo))
    assert _history_count(page) == 1, "the upload keeps one history entry, updated"


def test_a_box_drawn_by_touch_or_pen_is_read(page, photo):
    _upload(page, photo)
    _choose_region(page)
    _drag_touch(page, _screen(page, photo, photo["boxes"][LEFT], grow=0.2))
    _check_chosen(page, photo, LEFT)
    _choose_region(page)
    _drag_pen(page, _screen(page, photo, photo["boxes"][RIGHT], grow=0.2))
    _check_chosen(page, photo, RIGHT)


def test_the_keyboard_moves_the_box_and_reads_it(page, photo):
    _upload(page, photo)
    kb = page.page.keyboard
    page.page.focus("[data-testid=pad]")
    kb.press("Tab")
    assert page.page.evaluate("document.activeElement.dataset.testid") == "crop-start"
    kb.press("Enter")
    assert page.page.evaluate("document.activeElement.dataset.testid") == "crop-tool"
    # The box starts on the first region read (the left digit); step it right onto the middle digit.
    left, middle = photo["boxes"][LEFT], photo["boxes"][MIDDLE]
    shift = ((middle[0] + middle[2] / 2) - (left[0] + left[2] / 2)) / photo["size"][0]
    for _ in range(round(shift / 0.025)):
        kb.press("ArrowRight")
    kb.press("Shift+ArrowDown")  # one step taller: resizing works too
    kb.press("Enter")
    _check_chosen(page, photo, MIDDLE)
    assert page.page.evaluate("document.activeElement.dataset.testid") == "crop-start", "focus returns"
    # Escape cancels crop mode without clearing the upload (Escape elsewhere clears the pad).
    kb.press("Enter")
    kb.press("ArrowRight")
    kb.press("Escape")
    assert page.page.get_attribute("[data-testid=crop-tool]", "data-active") == "false"
    assert page.page.is_visible("#upload-preview")
    assert page.page.get_attribute(PREDICTION, "data-digit") == str(photo["labels"][MIDDLE])
    # The same from the Cancel button: Escape there ends drawing, and the upload stays.
    kb.press("Enter")
    kb.press("Tab")
    assert page.page.evaluate("document.activeElement.dataset.testid") == "crop-start"
    kb.press("Escape")
    assert page.page.get_attribute("[data-testid=crop-tool]", "data-active") == "false"
    assert page.page.is_visible("#upload-preview")


def test_bad_boxes_get_a_message_and_the_page_keeps_working(page, photo):
    _upload(page, photo)
    _choose_region(page)
    # A click is a box of no size.
    img = page.page.locator("#upload-preview").bounding_box()
    page.page.mouse.click(img["x"] + img["width"] / 2, img["y"] + img["height"] / 2)
    assert "no size" in _message(page) or "too small" in _message(page)
    assert page.page.get_attribute("[data-testid=crop-tool]", "data-active") == "true", "still drawing"
    # A box in the empty band above the picture (the photo is wider than tall) misses the image.
    pic = _screen(page, photo, [0, 0, photo["size"][0], photo["size"][1]])
    # (The pad is landscape, 3:2, so the band of this 1.6:1 photo is narrow.)
    assert pic["y0"] - img["y"] > 8, "the picture is letterboxed"
    _drag_mouse(page, {"x0": pic["x0"] + 10, "y0": img["y"] + 2, "x1": pic["x1"] - 10, "y1": pic["y0"] - 3})
    assert "outside the image" in _message(page)
    assert page.page.get_attribute(PREDICTION, "data-digit") == _number(photo), "answer unchanged"
    # The same through the hook, in pixels.
    assert page.page.evaluate("window.__digits.region.choose([-50, -50, 20, 20])") is False
    assert "outside the image" in _message(page)
    assert page.page.evaluate("window.__digits.region.choose([10, 10, 0, 30])") is False
    assert "no size" in _message(page)
    # A box of blank paper: nothing to read, said so; Automatic is there to go back.
    assert page.page.evaluate("window.__digits.region.choose([2, 2, 20, 20])") is True
    page.page.wait_for_selector(f'{PREDICTION}[data-status=empty]', state="attached")
    assert "No digit in the box you chose" in _message(page)
    assert page.page.is_visible("[data-testid=crop-reset]")
    _choose_region(page)
    # ...and a good box still works afterwards.
    _drag_mouse(page, _screen(page, photo, photo["boxes"][RIGHT], grow=0.2))
    _check_chosen(page, photo, RIGHT)
    assert page.page.is_hidden("[data-testid=message]")


def test_drawing_on_the_pad_hides_the_region_tools(page, photo):
    from tests.browser.pages import DIGIT_STROKES
    _upload(page, photo)
    page.draw_mouse(DIGIT_STROKES["1"])
    page.page.wait_for_selector(f'{PREDICTION}[data-digit="1"]', state="attached")
    assert page.page.is_hidden("[data-testid=region-view]")
    assert page.page.is_hidden("[data-testid=region-tools]")


def test_a_360px_phone(chromium_browser, site_url, photo):
    h = PageHandle(chromium_browser, site_url, viewport={"width": 360, "height": 740}, has_touch=True,
                   is_mobile=True, device_scale_factor=2).open("?nosw", python=False)
    try:
        _upload(h, photo)
        assert h.page.evaluate("document.documentElement.scrollWidth") <= 360
        tools = h.page.locator("[data-testid=region-tools]")
        tools.scroll_into_view_if_needed()
        box = tools.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        h.page.tap("[data-testid=crop-start]")
        h.page.wait_for_selector("[data-testid=crop-tool][data-active=true]", state="attached")
        h.page.locator("#upload-preview").scroll_into_view_if_needed()
        _drag_touch(h, _screen(h, photo, photo["boxes"][LEFT], grow=0.2))
        _check_chosen(h, photo, LEFT)
        assert h.page.evaluate("document.documentElement.scrollWidth") <= 360
        for sel in ("[data-testid=crop-start]", "[data-testid=crop-reset]"):
            b = h.page.locator(sel).bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= 360 and b["height"] >= 44, (sel, b)
    finally:
        h.close()


def test_the_python_engine_reads_the_chosen_region_too(chromium_browser, site_url, photo):
    h = PageHandle(chromium_browser, site_url).open("?nosw")
    try:
        h.set_engine("python")
        r = _upload(h, photo)
        assert r["engine"] == "python"
        assert iou(_file_box(h, photo, r["digits"][MIDDLE]["box"]), photo["boxes"][MIDDLE]) > 0.6
        _choose_region(h)
        _drag_mouse(h, _screen(h, photo, photo["boxes"][RIGHT], grow=0.2))
        r = _check_chosen(h, photo, RIGHT)
        assert r["engine"] == "python"
    finally:
        h.close()


def test_every_digit_of_a_reading_gets_its_box(page):
    """A reading of a whole number (TEAM.md interface 4: `digits`, each with a box) draws one box per digit,
    placed on the picture as object-fit: contain shows it."""
    got = page.page.evaluate("""async () => {
        const { RegionView } = await import('./js/region-view.js');
        const layer = document.createElement('div');
        layer.style.position = 'fixed'; layer.style.left = '0px'; layer.style.top = '0px';
        layer.style.width = '400px'; layer.style.height = '400px';
        document.body.append(layer);
        const view = new RegionView(layer);
        // An 800x400 decode in blocks of 4: 200x100 grey pixels, shown 400x200 in the middle of 400x400.
        const source = {width: 200, height: 100, frame: {width: 800, height: 400}};
        view.show(source, {number: '123', digits: [{box: [0, 0, 50, 100]}, {box: [75, 25, 50, 50]}, {box: null}]});
        const rects = [...layer.querySelectorAll('[data-testid=region-box]')].map((el) => {
            const r = el.getBoundingClientRect();
            return [r.left, r.top, r.width, r.height, el.dataset.box];
        });
        layer.remove();
        return rects;
    }""")
    assert got == [[0, 100, 100, 200, "0,0,50,100"], [150, 150, 100, 100, "75,25,50,50"]]
