"""Result fields of issue 7 (status, box), the ink-separating grey, an 11-class "not a digit" model, and
the batched forward pass."""
from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pymodel import WeightsError, load_model, load_weights
from pymodel.imageio import load_gray, rgba_to_gray_array
from tests.conftest import SHIPPED_WEIGHTS
from tests.test_cli import run_cli


def rgba(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=-1)


def paper_with(ink_rgb, strength: float = 1.0) -> np.ndarray:
    """A 7 in the given ink on white paper, RGB floats."""
    mask = Image.new("L", (120, 120), 0)
    ImageDraw.Draw(mask).line([(35, 30), (85, 30), (50, 95)], fill=255, width=7)
    m = np.asarray(mask, np.float64)[..., None] / 255.0 * strength
    return np.ones((120, 120, 3)) * (1 - m) + m * np.asarray(ink_rgb)


# --- the ink-separating grey ------------------------------------------------------------------------


def test_red_ink_is_read_in_the_channel_where_it_is_darkest():
    rgb = paper_with((0.8, 0.1, 0.1), 0.6)  # a faint red pen
    gray = rgba_to_gray_array(rgba(rgb))
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.allclose(gray, rgb[..., 1])  # green: red ink absorbs it
    assert (gray.max() - gray.min()) > 1.3 * (luma.max() - luma.min())


@pytest.mark.parametrize("ink", [(0.05, 0.05, 0.05), (0.4, 0.4, 0.42)])
def test_black_ink_and_pencil_keep_luma(ink):
    rgb = paper_with(ink)
    assert np.allclose(rgba_to_gray_array(rgba(rgb)), rgb @ np.array([0.299, 0.587, 0.114]))


def test_colour_map_keeps_luma():
    # viridis from dark purple to yellow fills most of the image: a colour map, not ink.
    t = np.linspace(0, 1, 100)[None, :, None]
    rgb = np.broadcast_to((1 - t) * np.array([0.27, 0.0, 0.33]) + t * np.array([0.99, 0.9, 0.14]), (80, 100, 3))
    assert np.allclose(rgba_to_gray_array(rgba(rgb)), rgb @ np.array([0.299, 0.587, 0.114]))


def test_load_gray_reports_its_reduction(tmp_path):
    Image.new("RGB", (1030, 700), "white").save(tmp_path / "big.png")
    image = load_gray(tmp_path / "big.png")
    assert image.scale == 5 and image.gray.shape == (140, 206)
    assert (image.source_width, image.source_height) == (1030, 700)
    # The last block column covers source pixels 1025..1029 only: the box is clipped to the file.
    assert image.source_box([200, 10, 6, 20]) == [1000, 50, 30, 100]
    assert image.source_box(None) is None


# --- status and box ---------------------------------------------------------------------------------


def test_prediction_has_status_and_box():
    model = load_model(backend="numpy")
    img = Image.new("L", (200, 160), 255)
    ImageDraw.Draw(img).line([(80, 40), (130, 40), (95, 130)], fill=0, width=8)
    gray = (np.asarray(img, np.float64) / 255).ravel().tolist()
    p = model.recognize_gray(gray, 200, 160)
    assert p.status == "ok" and p.digit == 7 and not p.empty and not p.unsure
    x, y, w, h = p.box
    assert 74 <= x <= 80 and 34 <= y <= 40 and 128 <= x + w <= 136 and 128 <= y + h <= 136
    d = p.as_dict()
    assert set(d) >= {"digit", "confidence", "probs", "status", "box", "empty", "unsure", "image28"}
    empty = model.recognize_gray([1.0] * 400, 20, 20)
    assert empty.status == "empty" and empty.digit is None and empty.box is None and empty.empty


def test_unsure_status_below_the_threshold():
    model = load_model(backend="numpy")
    top = round(model.weights.unsure_threshold * 0.9, 4)
    probs = [0.0] * 10
    probs[3], probs[8] = top, top * 0.8
    p = model.judge(probs)
    assert p.status == "unsure" and p.digit == 3 and p.confidence == top and p.unsure
    probs[3] = model.weights.unsure_threshold
    assert model.judge(probs).status == "ok"


def class_copy(tmp_path, classes: int = 11, reject_bias: float = 0.0, threshold: float | None = 0.5, labels=None):
    """The shipped weights' ten digit outputs, and (classes=11) an 11th output ("not_a_digit") whose logit is
    the constant reject_bias, whatever the shipped model has."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((SHIPPED_WEIGHTS / "digits.json").read_text())
    arrays = dict(np.load(SHIPPED_WEIGHTS / "digits.npz"))
    kernel, bias = arrays["dense.kernel"][:, :10], arrays["dense.bias"][:10]
    if classes == 11:
        kernel = np.concatenate([kernel, np.zeros((kernel.shape[0], 1), kernel.dtype)], axis=1)
        bias = np.concatenate([bias, np.array([reject_bias], bias.dtype)])
    arrays["dense.kernel"], arrays["dense.bias"] = kernel, bias
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    (tmp_path / "digits.npz").write_bytes(data)
    manifest["weights"] = {"file": "digits.npz", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest["layers"][-1]["units"] = classes
    manifest["tensors"]["dense.kernel"]["shape"] = list(kernel.shape)
    manifest["tensors"]["dense.bias"]["shape"] = [classes]
    manifest["labels"] = labels or [str(i) for i in range(10)] + ["not_a_digit"] * (classes == 11)
    manifest.pop("reject_threshold", None)
    if classes == 11 and threshold is not None:
        manifest["reject_threshold"] = threshold
    (tmp_path / "digits.json").write_text(json.dumps(manifest))
    return tmp_path


def eleven_class_copy(tmp_path, reject_bias: float, threshold: float | None = 0.5, labels=None):
    return class_copy(tmp_path, 11, reject_bias, threshold, labels)


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_eleven_class_model_says_not_a_digit(tmp_path, backend):
    gray = [1.0] * (60 * 60)
    for i in range(15, 45):
        gray[i * 60 + 30] = 0.0  # a 1
    rejecting = load_model(eleven_class_copy(tmp_path / "a", 40.0), backend)
    p = rejecting.recognize_gray(gray, 60, 60)
    assert p.status == "not_a_digit" and p.digit is None and p.confidence > 0.99 and len(p.probs) == 10
    assert p.box is not None  # the region read is still reported
    accepting = load_model(eleven_class_copy(tmp_path / "b", -40.0), backend)
    p = accepting.recognize_gray(gray, 60, 60)
    assert p.status == "ok" and p.digit == 1


def test_ten_class_model_never_says_not_a_digit(tmp_path):
    model = load_model(class_copy(tmp_path, classes=10), backend="numpy")
    assert model.reject_threshold is None
    assert model.judge([0.1] * 10 + [0.99]).status != "not_a_digit"  # an extra output is ignored


def test_eleven_class_manifest_is_validated(tmp_path):
    with pytest.raises(WeightsError, match="reject_threshold"):
        load_weights(eleven_class_copy(tmp_path / "a", 0.0, threshold=None))
    with pytest.raises(WeightsError, match="labels"):
        load_weights(eleven_class_copy(tmp_path / "b", 0.0, labels=[str(i) for i in range(10)] + ["letter"]))


def test_pure_python_batch_matches_numpy(mnist_test):
    images = mnist_test[0][:3].astype(np.float32) / 255.0
    a = np.asarray(load_model(backend="numpy").predict_batch(images))
    b = load_model(backend="python").predict_batch([img.ravel().tolist() for img in images])
    assert isinstance(b, list) and len(b) == 3
    assert np.abs(a - np.asarray(b)).max() < 1e-4


# --- command line -----------------------------------------------------------------------------------


def test_predict_json_reports_status_and_box_in_file_pixels(tmp_path):
    img = Image.new("RGB", (1200, 900), (235, 232, 225))
    d = ImageDraw.Draw(img)
    for y in range(60, 900, 110):
        d.line([(0, y), (1200, y + 8)], fill=(150, 180, 230), width=4)  # ruled paper, slightly askew
    d.line([(500, 320), (700, 320), (560, 660)], fill=(30, 40, 140), width=22)  # a blue 7 across two rules
    img.save(tmp_path / "seven.jpg", quality=85)
    out = run_cli("predict", "--json", str(tmp_path / "seven.jpg"))
    row = json.loads(out.stdout)
    assert row["digit"] == 7 and row["status"] == "ok"
    x, y, w, h = row["box"]
    assert abs(x - 489) <= 15 and abs(y - 309) <= 15 and abs(x + w - 711) <= 15 and abs(y + h - 671) <= 15
