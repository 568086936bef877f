"""Bad input gives a clear message on the page, nothing freezes, and the next drawing still works.
Odd-but-valid images (animated GIF, transparent PNG) are recognized the sensible way."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from tests.browser.pages import DIGIT_STROKES, PREDICTION, PageHandle, mnist_file


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open(python=False)
    h.set_engine("tfjs")
    yield h
    h.close()


def _next_drawing_works(page: PageHandle) -> None:
    page.clear()
    page.draw_mouse(DIGIT_STROKES["1"])
    page.page.wait_for_selector(f'{PREDICTION}[data-digit="1"]', state="attached")
    assert page.page.is_hidden("[data-testid=message]"), "a new drawing clears the old message"
    assert not page.errors, page.errors


def _huge_png(side: int = 12000) -> bytes:
    """A valid white side x side greyscale PNG, written directly (compresses to a few hundred KB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\xff" * side
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _svg() -> bytes:
    return (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
            b'<path d="M50 10 L50 90" stroke="black" stroke-width="10"/></svg>')


BAD_FILES = {
    "not-an-image": ("notes.png", "image/png", b"this is plain text, not a picture\n" * 20, "not an image"),
    "zero-bytes": ("empty.png", "image/png", b"", "empty"),
    "svg": ("digit.svg", "image/svg+xml", _svg(), "SVG"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_message(page, case):
    name, mime, data, expected = BAD_FILES[case]
    page.clear()
    page.upload_bytes(name, mime, data)
    assert expected.lower() in page.message().lower()
    assert page.page.get_attribute(PREDICTION, "data-digit") == ""
    _next_drawing_works(page)


def test_corrupt_image(page, mnist):
    images, _ = mnist
    good = mnist_file(images[0], "PNG")
    page.clear()
    page.upload_bytes("broken.png", "image/png", good[: len(good) // 2])  # truncated mid-IDAT
    assert "corrupt" in page.message().lower()
    page.upload_bytes("garbage.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    assert "corrupt" in page.message().lower()
    # A photo large enough to be decoded at a quarter of its size (decode-image.js's jpegScale), cut short.
    photo = io.BytesIO()
    Image.fromarray(np.tile(np.arange(1000, dtype=np.uint8)[None, :], (1000, 1)), "L").save(photo, "JPEG")
    page.upload_bytes("cut.jpg", "image/jpeg", photo.getvalue()[: len(photo.getvalue()) // 2])
    assert "corrupt" in page.message().lower()
    _next_drawing_works(page)


def test_giant_image_is_refused_without_freezing(page):
    page.clear()
    page.upload_bytes("giant.png", "image/png", _huge_png())
    msg = page.message()
    assert "12000×12000" in msg and "too large" in msg
    _next_drawing_works(page)


def test_animated_gif_uses_first_frame(page, mnist):
    images, labels = mnist
    frames = [Image.fromarray(255 - images[i]).resize((140, 140)).convert("P") for i in (0, 2)]  # a 7, then a 1
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    page.clear()
    page.upload_bytes("anim.gif", "image/gif", buf.getvalue())
    assert page.result("tfjs")["digit"] == str(int(labels[0]))
    _next_drawing_works(page)


def test_transparent_png_is_flattened_on_white(page, mnist):
    images, labels = mnist
    ink = np.asarray(Image.fromarray(images[1]).resize((196, 196), Image.BILINEAR))
    rgba = np.zeros((196, 196, 4), np.uint8)  # black ink whose alpha is the stroke; fully transparent paper
    rgba[..., 3] = ink
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    page.clear()
    page.upload_bytes("transparent.png", "image/png", buf.getvalue())
    assert page.result("tfjs")["digit"] == str(int(labels[1]))
    _next_drawing_works(page)


def test_huge_text_paste_gives_message(page):
    page.clear()
    page.page.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.setData('text/plain', 'x'.repeat(50 * 1024 * 1024));
            document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        }"""
    )
    assert "no image" in page.message().lower()
    _next_drawing_works(page)


def test_huge_image_paste_is_refused(page):
    page.clear()
    page.page.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(30 * 1024 * 1024)], 'big.png', { type: 'image/png' }));
            document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
        }"""
    )
    assert "limit" in page.message().lower()
    _next_drawing_works(page)
