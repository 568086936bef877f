"""The command line on good files of every supported kind, and on bad ones."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from pymodel import load_model, load_weights
from pymodel.imageio import reduce_blocks_array
from pymodel.preprocess import reduce_blocks
from tests.helpers import ROOT, SHIPPED_WEIGHTS

# MNIST test digits 0..3 are a 7, a 2, a 1 and a 0.
DIGITS = {0: 7, 1: 2, 3: 0}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pymodel", *args], capture_output=True, text=True, cwd=ROOT)


def paper(mnist_test, index, scale=8):
    """An MNIST digit as dark ink on white paper, scaled up like a photo or scan."""
    img = 255 - mnist_test[0][index]
    return Image.fromarray(img.astype(np.uint8)).resize((28 * scale, 28 * scale), Image.BILINEAR)


@pytest.fixture(scope="module")
def good_files(tmp_path_factory, mnist_test):
    d = tmp_path_factory.mktemp("good")
    files = {}
    seven, two, zero = paper(mnist_test, 0), paper(mnist_test, 1), paper(mnist_test, 3)
    seven.save(d / "seven.png")
    files["seven.png"] = 7
    two.convert("RGB").save(d / "two.jpg", quality=85)
    files["two.jpg"] = 2
    zero.convert("RGB").save(d / "zero.bmp")
    files["zero.bmp"] = 0
    seven.save(d / "seven.webp")
    files["seven.webp"] = 7
    # Palette GIF with a transparent background: flattened onto white.
    pal = two.convert("P")
    pal.save(d / "two.gif", transparency=int(np.asarray(pal)[0, 0]))
    files["two.gif"] = 2
    # Ink only, on a fully transparent background.
    rgba = Image.new("RGBA", zero.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(zero, lambda v: 255 - v))
    rgba.save(d / "zero_transparent.png")
    files["zero_transparent.png"] = 0
    # 16-bit greyscale.
    Image.fromarray(np.asarray(seven, np.uint16) * 257).save(d / "seven16.png")
    files["seven16.png"] = 7
    # Stored sideways with an EXIF orientation tag saying "rotate 90° clockwise to view".
    exif = Image.Exif()
    exif[0x0112] = 6
    two.rotate(90, expand=True).convert("RGB").save(d / "two_exif.jpg", exif=exif)
    files["two_exif.jpg"] = 2
    # Light ink on black, like a canvas.
    Image.eval(zero, lambda v: 255 - v).save(d / "zero_dark.png")
    files["zero_dark.png"] = 0
    Image.new("L", (300, 200), 255).save(d / "blank.png")
    files["blank.png"] = None
    return d, files


def test_predict_json_on_every_format(good_files):
    d, files = good_files
    out = run_cli("predict", "--json", *[str(d / f) for f in files])
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(d / f) for f in files]
    for row in rows:
        expected = files[row["file"].split("/")[-1]]
        assert row["digit"] == expected, row
        assert set(row) >= {"file", "digit", "confidence", "probs"} and len(row["probs"]) == 10
        if expected is not None:
            # The ten digit probabilities: all of the softmax for a 10-class model; with "not_a_digit" as an
            # 11th output, what it leaves, which is more than 1 - reject_threshold for an answered digit.
            reject = load_weights(SHIPPED_WEIGHTS).reject_threshold or 0.0
            assert 1 - reject < sum(row["probs"]) <= 1 + 1e-4 and row["confidence"] == max(row["probs"])


def test_predict_plain_text(good_files):
    d, _ = good_files
    out = run_cli("predict", str(d / "seven.png"), str(d / "blank.png"))
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].startswith(f"{d / 'seven.png'}: 7 (")
    assert "no digit found" in out.stdout.splitlines()[1]


def test_bad_files_get_one_error_each_and_the_rest_still_run(good_files, tmp_path):
    d, _ = good_files
    (tmp_path / "notes.png").write_text("this is not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    whole = (d / "seven.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "folder.png").mkdir()
    Image.new("L", (8000, 5200), 255).save(tmp_path / "huge.png")  # 41.6 megapixels
    bad = ["notes.png", "empty.png", "truncated.png", "folder.png", "huge.png", "missing.png"]
    args = [str(tmp_path / b) for b in bad]
    out = run_cli("predict", "--json", args[0], str(d / "seven.png"), *args[1:])
    assert out.returncode == 1
    errors = out.stderr.strip().splitlines()
    assert len(errors) == len(bad)
    for name, line, why in zip(bad, errors, ["not an image", "0 bytes", "corrupt or truncated", "directory",
                                              "megapixels", "no such file"]):
        assert line.startswith(f"error: {tmp_path / name}: ") and why in line, line
    assert [json.loads(x)["digit"] for x in out.stdout.splitlines()] == [7]


def test_a_reader_that_stops_early_gets_no_traceback(good_files):
    """`python -m pymodel read FILES | head -1`: the pipe closes after the first line; the command stops
    quietly instead of printing a BrokenPipeError traceback."""
    d, _ = good_files
    files = [str(p) for p in sorted(d.iterdir()) if p.is_file()] * 50  # far more than a pipe buffer holds
    proc = subprocess.Popen([sys.executable, "-m", "pymodel", "read", "--json", *files], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert json.loads(first)["file"] == files[0]
    assert proc.returncode == 1 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_mnist_test_digits_saved_as_png_are_read_as_the_model_reads_them(tmp_path, mnist_test):
    """An MNIST digit saved as a 28x28 PNG (light on black, or inverted) is already the model's input:
    predict and read answer what the model answers on it, instead of finding a digit in it again (the
    finding read 88.6% of them, the 1s mostly as empty images)."""
    images, labels = mnist_test
    files, truth = [], []
    for i in range(200):
        img = images[i] if i % 2 == 0 else 255 - images[i]
        Image.fromarray(img.astype(np.uint8)).save(tmp_path / f"m{i:03d}.png")
        files.append(str(tmp_path / f"m{i:03d}.png"))
        truth.append(int(labels[i]))
    model = load_model(SHIPPED_WEIGHTS, backend="numpy")
    expected = [model.judge(model.predict28((images[i] / 255.0).ravel().tolist())).digit for i in range(200)]
    for command in ("predict", "read"):
        out = run_cli(command, "--json", *files)
        assert out.returncode == 0, out.stderr
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        got = [r["digit"] if command == "predict" else (r["digits"][0]["digit"] if r["digits"] else None)
               for r in rows]
        assert got == expected, command
        assert sum(g == t for g, t in zip(got, truth)) >= 198, command
    rows = [json.loads(line) for line in run_cli("predict", "--json", files[2]).stdout.splitlines()]
    x, y, w, h = rows[0]["box"]
    assert 0 <= x and 0 <= y and x + w <= 28 and y + h <= 28 and 10 <= h <= 20  # a 1, with its margin


def test_evaluate_on_small_idx_files(tmp_path, mnist_test):
    images, labels = mnist_test
    (tmp_path / "img").write_bytes(bytes([0, 0, 8, 3]) + (200).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
                                   + images[:200].tobytes())
    (tmp_path / "lab").write_bytes(bytes([0, 0, 8, 1]) + (200).to_bytes(4, "big") + labels[:200].tobytes())
    for backend in ("numpy", "python"):
        out = run_cli("--backend", backend, "evaluate", "--json", "--images", str(tmp_path / "img"),
                      "--labels", str(tmp_path / "lab"))
        report = json.loads(out.stdout)
        assert report["digits"] == 200 and report["backend"] == backend and report["accuracy"] >= 0.99


def test_evaluate_rejects_bad_idx(tmp_path):
    (tmp_path / "img").write_bytes(b"garbage")
    out = run_cli("evaluate", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "img"))
    assert out.returncode == 1 and "not an IDX file" in out.stderr


def test_broken_weights_give_a_clear_error(tmp_path, weights_copy):
    (weights_copy / "digits.npz").write_bytes(b"broken")
    out = run_cli("--weights", str(weights_copy), "predict", str(tmp_path))
    assert out.returncode == 2 and "sha256" in out.stderr and "python build.py train" in out.stderr


@pytest.mark.parametrize("shape, k", [((57, 83), 3), ((256, 256), 2), ((10, 7), 4)])
def test_numpy_block_reduce_matches_the_reference(shape, k):
    gray = np.random.default_rng(0).random(shape)
    reference, w, h = reduce_blocks(gray.ravel().tolist(), shape[1], shape[0], k)
    assert np.allclose(reduce_blocks_array(gray, k).ravel(), reference)
    assert reduce_blocks_array(gray, k).shape == (h, w)
