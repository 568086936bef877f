"""Uploading, dropping and pasting images of digits: PNG and JPEG, both polarities, both engines."""
from __future__ import annotations

import base64
import io
import itertools

import numpy as np
import pytest

from tests.browser.pages import PREDICTION, PageHandle, mnist_file

# MNIST test-set indices (labels 7, 2, 1, 0, 4).
INDICES = [0, 1, 2, 3, 4]


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open()
    yield h
    h.close()


def _expect(page: PageHandle, label: int, engine: str) -> None:
    r = page.result(engine)
    assert r["digit"] == str(label), r
    assert page.page.is_visible("#upload-preview"), "the uploaded image is shown"
    assert page.page.get_attribute("#upload-preview", "src").startswith("blob:")


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
@pytest.mark.parametrize("invert", [False, True], ids=["light-ink", "dark-ink"])
@pytest.mark.parametrize("engine", ["tfjs", "python"])
def test_upload_mnist_digits(page, mnist, fmt, mime, invert, engine):
    images, labels = mnist
    page.set_engine(engine)
    for i in INDICES[:3] if engine == "python" else INDICES:
        page.clear()
        page.upload_bytes(f"digit{i}.{fmt.lower()}", mime, mnist_file(images[i], fmt, invert))
        _expect(page, int(labels[i]), engine)


def _dispatch_file(page: PageHandle, event: str, data: bytes, name: str, mime: str) -> None:
    page.page.evaluate(
        """([event, b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type }));
            const target = event === 'drop' ? document.getElementById('drop-zone') : document;
            const ev = event === 'drop'
              ? new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })
              : new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
            target.dispatchEvent(ev);
        }""",
        [event, base64.b64encode(data).decode(), name, mime],
    )


@pytest.mark.parametrize("event", ["drop", "paste"])
def test_drop_and_paste_an_image(page, mnist, event):
    images, labels = mnist
    page.set_engine("tfjs")
    page.clear()
    _dispatch_file(page, event, mnist_file(images[3], "PNG", invert=True), "digit.png", "image/png")
    _expect(page, int(labels[3]), "tfjs")


def test_drawing_after_an_upload_replaces_it(page, mnist):
    from tests.browser.pages import DIGIT_STROKES
    images, labels = mnist
    page.set_engine("tfjs")
    page.clear()
    page.upload_bytes("seven.png", "image/png", mnist_file(images[0]))
    _expect(page, int(labels[0]), "tfjs")
    page.draw_mouse(DIGIT_STROKES["1"])
    page.page.wait_for_selector(f'{PREDICTION}[data-digit="1"]', state="attached")
    assert not page.page.is_visible("#upload-preview")


def test_low_confidence_is_shown_as_unsure(page, mnist, site_dir):
    """A digit the model is unsure about (below the model card's threshold) is labelled "Unsure": the least
    confident MNIST test digits first, then two test digits written over each other (a mark between two
    digits), until the shipped model reads one as a single unsure digit."""
    from PIL import Image

    from pymodel import load_model
    images, _ = mnist
    model = load_model(site_dir / "pymodel" / "weights", backend="numpy")
    probs = np.asarray(model.predict_batch(images.astype("float32") / 255.0))
    # Doubtful digits: the best of the ten below the unsure threshold, "not a digit" not reached.
    doubt = np.where(probs[:, 10] < model.reject_threshold, probs[:, :10].max(axis=1), np.inf)
    plain = (images[int(i)] for i in np.argsort(doubt)[:20])
    overlaid = (np.maximum(images[a], images[b]) * 0.5 + (images[a].astype(float) + images[b]) * 0.25
                for a in range(300) for b in (a + 1, a + 2, a + 3))

    def unsure_reading(image28):
        big = np.asarray(Image.fromarray(image28.astype(np.uint8)).resize((252, 252), Image.BILINEAR))
        # The page reads numbers (Model.read): an image it reads as one unsure digit, read as recognize reads it.
        reading = model.read((big.astype(np.float64) / 255.0).ravel().tolist(), 252, 252)
        return big, (reading.digits[0] if len(reading.digits) == 1 and reading.digits[0].unsure else None)

    for image28 in itertools.chain(plain, overlaid):
        big, expected = unsure_reading(image28)
        if expected is not None:
            break
    else:
        pytest.skip("no MNIST test digit, alone or two overlaid, gives an unsure answer with this model")
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "PNG")
    for engine in ("tfjs", "python"):
        page.set_engine(engine)
        page.clear()
        page.upload_bytes("hard.png", "image/png", buf.getvalue())
        r = page.result(engine)
        assert r["digit"] == str(expected.digit)
        assert float(r["confidence"]) < model.unsure_threshold
        assert page.page.get_attribute(PREDICTION, "data-unsure") == "true"
        assert "Unsure" in page.page.inner_text(PREDICTION)


def _rotated_upload(image28: np.ndarray, side: int, tagged: bool) -> bytes:
    """A dark MNIST 7 on a wide white photo, stored turned a quarter and, when tagged, with the EXIF
    orientation (6) that turns it upright again: what a phone held sideways writes."""
    from PIL import Image

    digit = Image.fromarray(255 - image28).resize((side // 4, side // 4))
    upright = Image.new("L", (side, side * 2 // 3), 255)
    upright.paste(digit, (side // 5, side // 6))
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    if tagged:
        exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("side", [900, 1800], ids=["decoded-whole", "decoded-reduced"])
def test_exif_rotated_photo_is_read_upright(page, mnist, side):
    """Both decode paths (a small file straight to a bitmap, a large one through an <img> for its rotated
    size) turn the photo upright: the box lands where the digit is in the upright picture."""
    images, _ = mnist
    read = ("async ([bytes]) => (await window.__digits.recognizeFile('tfjs', bytes, 'image/jpeg')).result")
    tagged = page.page.evaluate(read, [list(_rotated_upload(images[0], side, True))])
    untagged = page.page.evaluate(read, [list(_rotated_upload(images[0], side, False))])
    assert tagged["digit"] == 7, tagged
    decoded = min(side, 1024)  # decode-image.js's DECODE_SIDE, then blocks down to at most 256 a side:
    k = side / decoded * -(-decoded // 256)  # boxes are in the reduced grey's pixels

    def inside(box, region):
        x, y, w, h = box
        rx, ry, rw, rh = (v / k for v in region)
        return rx - 2 <= x and ry - 2 <= y and x + w <= rx + rw + 2 and y + h <= ry + rh + 2

    d = side // 4
    assert inside(tagged["box"], (side // 5, side // 6, d, d)), tagged["box"]  # where the digit is, upright
    assert inside(untagged["box"], (side // 6, side - side // 5 - d, d, d)), untagged["box"]  # as stored
