"""The two engines agree; a damaged weights file disables only the Python engine; TF.js does not leak."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.browser.pages import DIGIT_STROKES, PREDICTION, PageHandle

N_DIGITS = 20


@pytest.fixture(scope="module")
def page(chromium_browser, site_url):
    h = PageHandle(chromium_browser, site_url).open()
    yield h
    h.close()


def test_tfjs_matches_pymodel_on_mnist(page, mnist, site_dir):
    from pymodel import load_model
    images, labels = mnist
    cpython = load_model(site_dir / "pymodel" / "weights")
    batch = [(images[i].astype(np.float64) / 255.0).ravel().tolist() for i in range(N_DIGITS)]
    tfjs = page.page.evaluate("async (xs) => Promise.all(xs.map(x => window.__digits.predict28('tfjs', x)))", batch)
    browser_py = page.page.evaluate(
        "async (xs) => { const out = []; for (const x of xs) out.push(await window.__digits.predict28('python', x));"
        " return out; }", batch)
    for i, x in enumerate(batch):
        ref = np.array(cpython.predict28(x))
        assert np.max(np.abs(np.array(tfjs[i]) - ref)) < 1e-3, (i, tfjs[i], ref)
        assert np.max(np.abs(np.array(browser_py[i]) - ref)) < 1e-6, i  # same code, same weights, same floats
    accuracy = np.mean([int(np.argmax(p)) == int(labels[i]) for i, p in enumerate(tfjs)])
    assert accuracy >= 0.9


def test_tfjs_row_reader_in_the_page_matches_pymodel(page, site_dir):
    """The site's row model (config.json's tfjs_rows_model) loads in the page's engine, on its wasm backend,
    and gives the row logits pymodel's NumPy kernels give with the site's rows.npz."""
    from pymodel.kernels_numpy import NumpyRowKernels
    from pymodel.row_weights import load_row_weights
    from tests.helpers import row_picture
    kernels = NumpyRowKernels(load_row_weights(site_dir / "pymodel" / "weights"))
    for name in ("m0000.png", "m0002.jpg"):
        pixels, width = row_picture(name)
        logits = np.array(page.page.evaluate("([p, w]) => window.__digits.rowLogits(p, w)", [pixels, width]))
        reference = kernels.forward_array(pixels, width)
        assert logits.shape == reference.shape == (width // 4, 11)
        assert np.abs(logits - reference).max() < 1e-3, name


def test_both_engines_preprocess_identically(page, mnist):
    """Same grey pixels in: TF.js (preprocess.js) and Python (pymodel.preprocess) see the same 28x28."""
    images, labels = mnist
    for i in (0, 1, 5):
        # dark ink on paper, scaled up 5x with a margin: like a scan
        img = np.kron(255 - images[i], np.ones((5, 5), np.uint8)).astype(np.float64) / 255.0
        img = np.pad(img, 20, constant_values=1.0)
        h, w = img.shape
        call = "([e, g, w, h]) => window.__digits.recognizeGray(e, g, w, h)"
        a = page.page.evaluate(call, ["tfjs", img.ravel().tolist(), w, h])
        b = page.page.evaluate(call, ["python", img.ravel().tolist(), w, h])
        seen_a = np.array(list(a["image28"].values()) if isinstance(a["image28"], dict) else a["image28"])
        assert np.max(np.abs(seen_a - np.array(b["image28"]))) < 1e-5
        assert np.max(np.abs(np.array(a["probs"]) - np.array(b["probs"]))) < 1e-3
        assert a["digit"] == b["digit"] == int(labels[i])


@pytest.mark.parametrize("kind,seed", [("ruled", 3), ("margin", 11), ("plot", 18)])
def test_both_engines_find_the_same_digit_in_an_uploaded_photo(page, kind, seed):
    """A photo of a digit on paper (coloured ink, lines) uploaded to the page: TF.js (rgbaToGray and the JS
    port) and Python read the same region and the same 28x28, and it is the region pymodel reads from the
    same pixels (imageio's grey, reduced as the page reduces)."""
    import io
    import json

    from PIL import Image

    from pymodel.preprocess import preprocess
    from tests.helpers import upload_gray
    from tests.scenes import DigitSource, make_scene

    scene = make_scene(DigitSource(), np.random.default_rng(seed), kind, label=seed % 10)
    rgb = scene.decoded()
    h, w = rgb.shape[:2]
    assert max(w, h) <= 1024  # the page decodes it at full size, pixel for pixel
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, "PNG")
    gray, gw, gh = upload_gray(rgb)
    expected = preprocess(gray, gw, gh)
    assert expected.box is not None

    seen = {}
    for engine in ("tfjs", "python"):
        page.set_engine(engine)
        page.clear()
        page.upload_bytes(f"{kind}.png", "image/png", png.getvalue())
        page.result(engine)
        seen[engine] = json.loads(page.page.evaluate(
            "() => { const r = window.__digits.lastResult;"
            " return JSON.stringify({box: r.box, digit: r.digit, image28: Array.from(r.image28)}); }"))
    page.set_engine("tfjs")
    assert seen["tfjs"]["box"] == seen["python"]["box"] == expected.box
    assert seen["tfjs"]["digit"] == seen["python"]["digit"]
    assert np.max(np.abs(np.array(seen["tfjs"]["image28"]) - np.array(expected.image28))) < 1e-6
    assert np.max(np.abs(np.array(seen["python"]["image28"]) - np.array(expected.image28))) < 1e-9


def test_500_recognitions_do_not_grow_tensor_count(page):
    page.set_engine("tfjs")
    page.clear()
    page.draw_mouse(DIGIT_STROKES["7"])
    assert page.result("tfjs")["digit"] == "7"
    before = page.page.evaluate("window.__digits.numTensors()")
    page.page.evaluate("window.__digits.recognizeRepeatedly(500)")
    assert page.page.get_attribute(PREDICTION, "data-digit") == "7"
    assert page.page.evaluate("window.__digits.numTensors()") == before


def test_corrupt_weights_disable_only_python(chromium_browser, site_dir, tmp_path, serve):
    broken = tmp_path / "site"
    shutil.copytree(site_dir, broken)
    npz = broken / "pymodel" / "weights" / "digits.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the sha256 check must catch it
    npz.write_bytes(bytes(data))
    url = serve(broken)
    h = PageHandle(chromium_browser, url)
    try:
        h.open(python=False)
        h.wait_python("error")
        status = h.page.inner_text("#status-python")
        assert "sha256" in status and "digits.npz" in status, status
        # TF.js keeps working, also with the Python engine selected (it answers and says why).
        h.set_engine("python")
        h.draw_mouse(DIGIT_STROKES["7"])
        r = h.result("tfjs")
        assert r["digit"] == "7"
        assert "Python engine unavailable" in h.page.inner_text("#engine-line")
    finally:
        h.close()


def test_drawing_works_while_python_is_still_loading(chromium_browser, site_url):
    """Hold back Pyodide's wasm: the page stays usable, TF.js answers, and the Python status shows progress."""
    h = PageHandle(chromium_browser, site_url)
    held = []
    h.context.route("**/pyodide.asm.wasm", lambda route: held.append(route))
    try:
        h.open(python=False)
        page = h.page
        assert page.get_attribute("html", "data-python") == "loading"
        assert page.is_visible("#python-progress")
        h.set_engine("python")
        h.draw_mouse(DIGIT_STROKES["1"])
        assert h.result("tfjs")["digit"] == "1"
        assert "Python still loading" in page.inner_text("#engine-line")
        assert page.get_attribute("html", "data-python") == "loading"
        assert held, "the worker's request for pyodide.asm.wasm is being held"
        for route in held:
            route.continue_()
        h.context.unroute("**/pyodide.asm.wasm")
        h.wait_python("ready")
        # Once ready, the waiting drawing is answered by Python itself.
        assert h.result("python")["digit"] == "1"
    finally:
        h.close()


def test_a_vendored_numpy_wheel_that_fails_to_load_falls_back_to_pure_python(
        chromium_browser, site_dir, tmp_path, serve):
    """The NumPy path: pyscript.json lists NumPy, whose wheel sits next to pyodide-lock.json; a wheel that fails
    Pyodide's sha256 check must leave the engine working on pure-Python kernels, and the page must say so."""
    import json

    from devtools.build_site import pyscript_config, vendor_dirs, write_json
    site = tmp_path / "site"
    shutil.copytree(site_dir, site)
    pyodide = vendor_dirs()["pyodide"]
    lock = json.loads((site / pyodide / "pyodide-lock.json").read_text())
    wheel = lock["packages"]["numpy"]["file_name"]
    (site / pyodide / wheel).write_bytes(b"PK\x03\x04 not really a wheel")
    config = json.loads((site / "config.json").read_text())
    config["numpy_wheel"] = wheel
    write_json(site / "config.json", config)
    files = [f.removeprefix("./") for f in json.loads((site / "pyscript.json").read_text())["files"]]
    write_json(site / "pyscript.json", pyscript_config(files, pyodide, numpy=True))
    url = serve(site)
    h = PageHandle(chromium_browser, url)
    try:
        h.open(python=True)
        assert any(u.endswith(wheel) for u in h.requests), "the worker asked for the vendored wheel"
        assert h.page.get_attribute("html", "data-kernels") == "python"
        assert "NumPy could not load" in h.message()
        h.set_engine("python")
        h.draw_mouse(DIGIT_STROKES["0"])
        assert h.result("python")["digit"] == "0"
    finally:
        h.close()


def test_broken_tfjs_model_disables_only_tfjs(chromium_browser, site_dir, tmp_path, serve):
    import json
    broken = tmp_path / "site"
    shutil.copytree(site_dir, broken)
    spec = json.loads((broken / "model" / "model.json").read_text())
    shard = broken / "model" / spec["weightsManifest"][0]["paths"][0]
    shard.write_bytes(shard.read_bytes()[:1000])  # truncated weights
    url = serve(broken)
    h = PageHandle(chromium_browser, url)
    try:
        h.page.goto(url)
        h.page.wait_for_selector("html[data-tfjs=error]", state="attached")
        assert "TF.js" in h.page.inner_text("#status-tfjs")
        h.wait_python("ready")
        h.draw_mouse(DIGIT_STROKES["7"])  # engine selector still says TF.js: Python answers and says why
        assert h.result("python")["digit"] == "7"
        assert "TF.js unavailable" in h.page.inner_text("#engine-line")
    finally:
        h.close()
