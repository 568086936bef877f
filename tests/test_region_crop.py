"""The user's region in pixels (web/js/region-geometry.js, web/js/region-crop.js), in Node: boxes between an
upload's grey pixels and the shown picture, the checks on a drawn box, the crop with its paper margin, and
answers mapped back. The page-level behaviour is tests/browser/test_region.py."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import { boxToFractions, fractionsToBox, checkBox, reduction } from './web/js/region-geometry.js';
import { cropInput } from './web/js/region-crop.js';
const out = {};
const attempt = (f) => { try { return f(); } catch (e) { return {error: e.constructor.name, message: e.message}; } };
// A 1024x624 decode reduced by blocks of 4: 256x156 grey pixels.
const big = {width: 256, height: 156, frame: {width: 1024, height: 624}};
out.k = reduction(big.frame);
out.fractions = boxToFractions([64, 39, 128, 78], big);
out.roundTrip = fractionsToBox(boxToFractions([10, 20, 30, 40], big), big);
// A frame whose last block is partial: 1001 px in blocks of 4 -> 251 grey pixels, the last covering 1 px.
const partial = {width: 251, height: 100, frame: {width: 1001, height: 400}};
out.partialEnd = boxToFractions([250, 0, 1, 100], partial);
out.clipped = fractionsToBox({left: -0.5, top: 0.5, right: 0.25, bottom: 2}, big);
out.reversed = fractionsToBox({left: 0.5, top: 0.5, right: 0.25, bottom: 0.25}, big);
out.outside = attempt(() => fractionsToBox({left: 1.1, top: 0.1, right: 1.5, bottom: 0.5}, big));
out.zero = attempt(() => checkBox([5, 5, 0, 10], big));
out.tiny = attempt(() => checkBox([5, 5, 2, 10], big));
out.offImage = attempt(() => checkBox([-40, -40, 20, 20], big));
out.notBox = attempt(() => checkBox([1, 2, 3], big));
// A 10x8 image: paper 0.9, "ink" 0.1 in a 3x2 block at (4, 3).
const gray = new Float64Array(80).fill(0.9);
for (const [x, y] of [[4, 3], [5, 3], [6, 3], [4, 4], [5, 4], [6, 4]]) gray[y * 10 + x] = 0.1;
const src = {gray, width: 10, height: 8, source: 'upload', frame: {width: 10, height: 8}};
const c = cropInput(src, [3, 2, 5, 4]);
const pad = (c.width - 5) / 2;
out.crop = {width: c.width, height: c.height, pad, source: c.source, region: c.region.box,
  sameSource: c.region.source === src, corner: c.gray[0],
  ink: [...c.gray].filter((v) => v === 0.1).length,
  firstInk: [...c.gray].indexOf(0.1)};
out.mapped = c.mapResult({digit: 7, box: [pad + 1, pad + 1, 3, 2], status: 'ok'});
out.mappedOverhang = c.mapResult({box: [0, 0, c.width, c.height]}).box;
out.mappedDigits = c.mapResult({number: '7', box: null, digits: [{box: [pad, pad, 2, 2]}, {box: null}]});
out.readingKeys = Object.keys(c.mapResult({engine: 'tfjs', number: '', digits: []})).sort();
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def out() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    proc = subprocess.run([node, "--input-type=module", "-e", SCRIPT], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_boxes_map_onto_the_picture_and_back(out):
    assert out["k"] == 4
    assert out["fractions"] == {"left": 0.25, "top": 0.25, "right": 0.75, "bottom": 0.75}
    assert out["roundTrip"] == [10, 20, 30, 40]
    # The last grey pixel covers only what is left of the decoded frame: it ends at the picture's edge.
    assert out["partialEnd"]["left"] == pytest.approx(1000 / 1001)
    assert out["partialEnd"]["right"] == 1.0


def test_a_drawn_box_is_clipped_to_the_image_and_may_be_drawn_backwards(out):
    assert out["clipped"] == [0, 78, 64, 78]
    assert out["reversed"] == [64, 39, 64, 39]


def test_bad_boxes_are_refused_with_a_message(out):
    for key, words in [("outside", "outside the image"), ("offImage", "outside the image"), ("zero", "no size"),
                       ("tiny", "too small"), ("notBox", "four numbers")]:
        assert out[key]["error"] == "RegionError", out[key]
        assert words in out[key]["message"], out[key]


def test_the_crop_has_a_paper_margin_and_answers_map_back(out):
    crop = out["crop"]
    assert crop["pad"] == 3  # round(0.25 * 5) + 2
    assert (crop["width"], crop["height"]) == (11, 10)
    assert crop["source"] == "upload" and crop["sameSource"] and crop["region"] == [3, 2, 5, 4]
    assert crop["corner"] == 0.9, "the margin is the grey of the crop's border ring (paper)"
    assert crop["ink"] == 6
    assert crop["firstInk"] == (3 + 1) * 11 + 3 + 1, "the ink sits at its place inside the margin"
    assert out["mapped"]["box"] == [4, 3, 3, 2] and out["mapped"]["digit"] == 7
    assert out["mapped"]["region"] == [3, 2, 5, 4]
    assert out["mappedOverhang"] == [3, 2, 5, 4], "a box over the margin is kept inside the chosen region"
    assert out["mappedDigits"]["digits"][0]["box"] == [3, 2, 2, 2]
    assert out["mappedDigits"]["box"] is None and out["mappedDigits"]["digits"][1]["box"] is None
    assert out["readingKeys"] == ["digits", "engine", "number", "region"], "a reading gains no `box` of its own"
