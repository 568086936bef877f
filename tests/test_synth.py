"""training.synth: deterministic realistic scenes, held-out writers and papers, metadata that matches pixels."""
import numpy as np
import pytest

from training.synth import glyphs, paper, split
from training.synth.scene import render

pytest.importorskip("scipy")
needs_fonts = pytest.mark.skipif(not any(f.is_file() for files in split.EVAL_FONTS.values() for f in
                                         (split.FONT_ROOT / p for p in files)),
                                 reason="handwriting fonts not installed: run `python build.py setup`")


@needs_fonts
@pytest.mark.parametrize("kind", ["digit", "not_a_digit"])
def test_same_seed_same_bytes(kind):
    a = render("train", kind, 7, seed=3)
    b = render("train", kind, 7, seed=3)
    assert a.encoded() == b.encoded() and a.record() == b.record()
    assert render("train", kind, 8, seed=3).encoded() != a.encoded()
    assert render("train", kind, 7, seed=4).encoded() != a.encoded()
    assert render("val", kind, 7, seed=3).encoded() != a.encoded()


def test_font_split_is_disjoint():
    train = {f for files in split.TRAIN_FONTS.values() for f in files}
    held_out = {f for files in split.EVAL_FONTS.values() for f in files}
    assert not train & held_out
    assert not set(split.TRAIN_FONTS) & set(split.EVAL_FONTS)
    assert all("femkeklaver" not in f for f in train | held_out)
    with pytest.raises(ValueError):
        split.fonts_for("test")


@needs_fonts
def test_training_scenes_never_use_held_out_fonts_or_mnist_test():
    sources = [render(s, k, i).source for s in ("train", "val") for k in ("digit", "not_a_digit") for i in range(60)]
    for source in sources:
        assert not any(fam in source for fam in split.EVAL_FONTS), source
        assert "mnist-test" not in source
    assert any(s.startswith("font:") for s in sources) and any(s.startswith("mnist-train") for s in sources)
    assert any(s.startswith("mnist-val") for s in sources)
    held_out = [render("eval", "digit", i).source for i in range(60)]
    assert all(s.startswith("mnist-test") or s.split(":")[1] in split.EVAL_FONTS for s in held_out)


def test_held_out_papers_only_in_evaluation():
    train_kinds, _ = paper.paper_kinds("train")
    eval_kinds, _ = paper.paper_kinds("eval")
    assert not split.EVAL_ONLY_PAPERS & set(train_kinds)
    assert split.EVAL_ONLY_PAPERS <= set(eval_kinds)


def test_mnist_validation_digits_are_not_training_scenes():
    from training.data import load_split, train_val_indices
    try:
        _, labels = load_split("train")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"MNIST not installed: {exc}")
    train_idx, val_idx = train_val_indices(labels)
    assert len(val_idx) == 5000 and not set(train_idx) & set(val_idx)
    assert len(train_idx) + len(val_idx) == len(labels)


def test_ruled_lines_are_where_the_metadata_says():
    rng = np.random.default_rng(0)
    sheet = paper.make_paper(rng, 160, 200, "train", (70, 40, 50, 70), kind="ruled_margin")
    assert {line["kind"] for line in sheet.lines} >= {"ruled", "margin"}
    lum = sheet.rgb.mean(axis=2)
    for line in sheet.lines:
        (x0, y0), (x1, y1) = line["p0"], line["p1"]
        t = np.linspace(0.1, 0.9, 25)
        xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        inside = [(int(x), int(y)) for x, y in zip(xs, ys) if 0 <= x < 200 and 0 <= y < 160]
        if len(inside) < 5:
            continue
        # Compare with the paper a few pixels beside the line (across it).
        nx, ny = -(y1 - y0), (x1 - x0)
        norm = np.hypot(nx, ny)
        off = [(int(x + 5 * nx / norm), int(y + 5 * ny / norm)) for x, y in inside]
        off = [(x, y) for x, y in off if 0 <= x < 200 and 0 <= y < 160]
        on_line = np.mean([lum[y, x] for x, y in inside])
        beside = np.mean([lum[y, x] for x, y in off])
        assert on_line < beside - 0.03, line


@needs_fonts
def test_scene_lines_and_box_follow_the_camera():
    """In whole scenes (perspective, blur, JPEG) the recorded lines are still darker than the paper beside
    them, and the writing's box holds ink."""
    checked = 0
    for i in range(40):
        s = render("train", "digit", i)
        if s.style != "photo":
            continue
        lum = np.asarray(s.pixels().convert("L"), np.float32) / 255.0
        h, w = lum.shape
        x, y, bw, bh = s.box
        assert 0 <= x and 0 <= y and x + bw <= w + 0.5 and y + bh <= h + 0.5
        box = lum[int(y):int(y + bh) + 1, int(x):int(x + bw) + 1]
        assert box.min() < np.median(lum) - 0.1  # ink in the box
        for line in s.lines:
            if line["kind"] not in ("ruled", "grid"):
                continue
            (x0, y0), (x1, y1) = line["p0"], line["p1"]
            pts = [(x0 + t * (x1 - x0), y0 + t * (y1 - y0)) for t in np.linspace(0, 1, 60)]
            pts = [(int(px), int(py)) for px, py in pts if 3 <= px < w - 3 and 5 <= py < h - 5
                   and not (x - 4 <= px <= x + bw + 4 and y - 4 <= py <= y + bh + 4)]
            if len(pts) < 10:
                continue
            on = np.median([lum[py, px] for px, py in pts])
            around = np.median([lum[py + d, px] for px, py in pts for d in (-4, 4) if 0 <= py + d < h])
            assert on <= around + 0.01, (i, line)
            checked += 1
    assert checked >= 5


def test_set_pen_gives_the_asked_stroke_width():
    shape = np.zeros((60, 60), np.float32)
    shape[10:50, 27:33] = 1.0  # a bar 6 px wide
    for pen in (3.0, 6.0, 10.0):
        out = glyphs.set_pen(shape, pen)
        width = out[out.shape[0] // 2].sum()  # ink across the middle of the bar
        assert abs(width - pen) < 1.0, (pen, width)


@needs_fonts
def test_numbers_have_consistent_digits_and_boxes():
    from training.synth.numbers import render_number
    seen_touching = seen_separated = False
    for i in range(30):
        s = render_number("eval", i)
        assert s.kind == "number" and 2 <= len(s.label) <= 6
        assert [d["digit"] for d in s.digits] == [int(c) for c in s.label]
        w, h = s.image.size
        lefts = []
        for d in s.digits:
            x, y, bw, bh = d["box"]
            assert 0 <= x and 0 <= y and x + bw <= w + 0.5 and y + bh <= h + 0.5 and bw > 0 and bh > 0
            lefts.append(x + bw / 2)
        assert lefts == sorted(lefts)  # written left to right
        touching = any(d["touching"] for d in s.digits)
        assert ("touching" in s.distortions) == touching and ("separated" in s.distortions) != touching
        seen_touching |= touching
        seen_separated |= not touching
        assert render_number("eval", i).encoded() == s.encoded()
    assert seen_touching and seen_separated


@needs_fonts
def test_every_scene_records_label_and_distortions():
    for i in range(20):
        for kind in ("digit", "not_a_digit"):
            rec = render("eval", kind, i).record()
            assert rec["kind"] == kind and rec["style"] in ("photo", "drawing", "plot")
            assert rec["label"] in ([str(d) for d in range(10)] if kind == "digit" else ["not_a_digit"])
            assert rec["distortions"] and rec["distortions"] == sorted(set(rec["distortions"]))


def test_region_found_rule():
    from training.synth.dataset import region_found
    digit = [40, 30, 20, 40]
    assert region_found([38, 28, 26, 46], digit)  # the digit, a little margin
    assert not region_found([0, 0, 30, 100], digit)  # mostly a margin line beside it
    assert not region_found([0, 0, 200, 200], digit)  # the whole page
    assert not region_found([45, 35, 5, 5], digit)  # a fragment
    assert region_found(None, digit) is None and region_found(digit, None) is None


@needs_fonts
def test_plot_box_is_the_digit_inside_the_axes():
    plots = [s for s in (render("train", "digit", i) for i in range(80)) if s.style == "plot"]
    assert plots
    for s in plots:
        x, y, w, h = s.box
        img = np.asarray(s.image.convert("RGB"), np.float32)
        inside = img[int(y):int(y + h), int(x):int(x + w)]
        assert inside.std() > 20  # digit and background colours, not the white page
