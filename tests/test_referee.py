"""The row reader's string scoring (pymodel/referee.py), checked against TensorFlow's CTC loss, and the row
picture it reads (pymodel/rows.py)."""
import itertools
import math
import random

import pytest

from pymodel import referee
from pymodel.preprocess import analyse
from pymodel.rows import HEIGHT, INNER, PAD, STRIDE, TOP, row_image
from pymodel.segment import build_row


def _columns(seed: int, n: int) -> list[list[float]]:
    rng = random.Random(seed)
    return referee.log_softmax([[rng.gauss(0.0, 2.0) for _ in range(11)] for _ in range(n)])


def _brute_force(columns, digits: str) -> float:
    """Sum over every path of classes whose collapse (repeats merged, blanks dropped) is the digits."""
    total = -math.inf
    for path in itertools.product(range(11), repeat=len(columns)):
        out, prev = [], None
        for c in path:
            if c != prev and c != referee.BLANK:
                out.append(str(c))
            prev = c
        if "".join(out) == digits:
            total = referee._add(total, math.fsum(col[c] for col, c in zip(columns, path)))
    return total


@pytest.mark.parametrize("digits", ["", "3", "33", "37", "373"])
def test_log_prob_sums_every_path_that_collapses_to_the_digits(digits):
    columns = _columns(1, 4)
    assert referee.log_prob(columns, digits) == pytest.approx(_brute_force(columns, digits), abs=1e-9)


def test_log_prob_agrees_with_tensorflow_ctc_loss():
    tf = pytest.importorskip("tensorflow", reason="the training extra (TensorFlow) trains the row reader")
    for seed, (n, digits) in enumerate([(12, "2026"), (20, "1100"), (9, "7"), (30, "123456")]):
        columns = _columns(seed, n)
        sparse = tf.ragged.constant([[int(c) for c in digits]], dtype=tf.int32).to_sparse()
        loss = tf.nn.ctc_loss(sparse, tf.constant([columns]), None, tf.constant([n]), logits_time_major=False,
                              blank_index=referee.BLANK)
        assert referee.log_prob(columns, digits) == pytest.approx(-float(loss[0]), abs=1e-4)


def test_a_string_too_long_for_its_columns_is_impossible():
    assert referee.log_prob(_columns(0, 2), "11") == -math.inf  # a doubled digit needs a blank between


def test_likeliest_strings_are_ranked_by_their_true_probability():
    columns = _columns(3, 3)
    found = referee.likeliest(columns, beam=2000, n=6)  # no prefix of three columns is pruned: exact
    assert [p for _, p in found] == sorted((p for _, p in found), reverse=True)
    for digits, p in found:
        assert p == pytest.approx(referee.log_prob(columns, digits), abs=1e-9)
    every = {"".join(map(str, s)) for n in range(4) for s in itertools.product(range(10), repeat=n)}
    best = max(every, key=lambda s: referee.log_prob(columns, s))
    assert found[0][0] == best


def test_likeliest_reads_a_clear_row():
    clear = []
    for d in "2026":
        clear += [[0.0 if c == referee.BLANK else -9.0 for c in range(11)],
                  [0.0 if c == int(d) else -9.0 for c in range(11)]]
    assert referee.likeliest(referee.log_softmax(clear), n=1)[0][0] == "2026"


def _page_with_two_bars():
    w, h = 120, 60
    gray = [1.0] * (w * h)
    for x0 in (20, 70):
        for y in range(10, 50):
            for x in range(x0, x0 + 6):
                gray[y * w + x] = 0.0
    return analyse(gray, w, h)


def test_the_row_picture_holds_the_rows_ink_scaled_to_its_height():
    page = _page_with_two_bars()
    row = row_image(page, build_row(page))
    assert row is not None and row.width % STRIDE == 0 and len(row.pixels) == HEIGHT * row.width
    assert max(row.pixels) == pytest.approx(1.0)
    inked = [y for y in range(HEIGHT) if any(row.pixels[y * row.width:(y + 1) * row.width])]
    assert inked[0] >= TOP and inked[-1] < TOP + INNER and len(inked) >= INNER - 1
    columns = [x for x in range(row.width) if any(row.pixels[y * row.width + x] for y in range(HEIGHT))]
    assert columns[0] >= PAD
    # the two bars stay apart, where the ink map's x says they are
    assert row.column(20) * STRIDE == pytest.approx(PAD, abs=1)
    assert 0.0 == max(row.pixels[y * row.width + round(row.column(45) * STRIDE)] for y in range(HEIGHT))


def test_no_row_no_picture():
    assert row_image(_page_with_two_bars(), []) is None


def test_spelling_a_string_through_the_lattice(model):
    """segment.best_path with a spelling: the digit reader's own reading spells to the same spans and score
    as decide; a digit other than the classifier's top one costs what the classifier thinks of it; a string
    with more digits than the lattice has runs for cannot be spelled."""
    from pymodel import segment
    from pymodel.preprocess import normalize
    from tests.test_finding import photo
    flat, w, h = photo("number_narrow_group_17443.png")
    skippable, spans = segment.candidates(analyse(flat, w, h), normalize, segment.NARROW_CUT)
    probs = model.predict_batch([s.image28 for s in spans])
    score, chosen = segment.best_path(skippable, spans, probs)
    assert chosen == segment.decide(skippable, spans, probs)
    reading = "".join(str(segment._top_digit(probs[k])) for k in chosen)
    assert reading == "17443"
    assert segment.best_path(skippable, spans, probs, reading) == (score, chosen)
    other = "1" + "9" + reading[2:]
    other_score, other_chosen = segment.best_path(skippable, spans, probs, other)
    assert len(other_chosen) == 5 and other_score < score
    assert segment.best_path(skippable, spans, probs, "1" * 40) == (-math.inf, [])


def _eval_number(name: str) -> tuple[list[float], int, int]:
    from pymodel.imageio import load_gray
    from training.evalsets import EVAL_DIR
    gray = load_gray(EVAL_DIR / "numbers" / name).gray
    return [float(v) for v in gray.ravel()], gray.shape[1], gray.shape[0]


@pytest.mark.parametrize("name, right, alone", [
    # A touching "451": the classifier reads the 4 cut off the 5 as a 9 (0.47 for 4).
    ("m0014.png", "451", "951"),
    # Six separated digits, the last left out by the digit reader alone; the row reader sees six.
    ("m0010.jpg", "260306", "26030"),
])
def test_the_row_reader_referees_the_digit_readers_cuts(model, digit_reader, name, right, alone):
    """Evaluation numbers (held-out writers) that the digit reader alone reads wrong and the referee right
    (segment.py's step 6)."""
    flat, w, h = _eval_number(name)
    assert model.rows is not None and digit_reader.rows is None
    assert digit_reader.read(flat, w, h).number == alone
    assert model.read(flat, w, h).number == right


def test_a_digit_the_row_reader_reads_otherwise_is_unsure_at_the_classifiers_probability(model, tmp_path):
    """The 4 of "451" keeps its box and 28x28; it is the referee's digit at the classifier's probability for
    that digit, unsure, and says why ("whole_row"), in Model.read and on the command line."""
    from PIL import Image

    from tests.test_cli import run_cli
    flat, w, h = _eval_number("m0014.png")
    four, five, one = model.read(flat, w, h).digits
    assert (four.digit, four.status, four.reason) == (4, "unsure", "whole_row")
    assert four.confidence == four.probs[4] < max(four.probs) and max(range(10), key=four.probs.__getitem__) == 9
    assert four.box[0] < five.box[0] < one.box[0] and len(four.image28) == 784
    assert [(d.digit, d.status, d.reason) for d in (five, one)] == [(5, "ok", ""), (1, "ok", "")]
    Image.frombytes("L", (w, h), bytes(round(v * 255) for v in flat)).save(tmp_path / "n.png")
    assert "1: unsure, read from the whole row" in run_cli("read", str(tmp_path / "n.png")).stdout


def test_the_row_reader_is_asked_only_about_a_doubtful_reading_and_never_on_the_pad(model, monkeypatch):
    """A clean "2026" of separate, sure digits is not refereed (segment.REFEREE_SURE; the row reader's pass
    is the pure-Python engine's largest cost); the touching "451", read as a photo, is; read as a drawing on
    the pad it is not (segment.py's step 6 says why)."""
    from tests.fixtures.make_golden import in_row, strokes
    calls = []
    row_logits = model.row_logits
    monkeypatch.setattr(model, "row_logits", lambda pixels, width: calls.append(width) or row_logits(pixels, width))
    img = strokes((200, 80), in_row([2, 0, 2, 6], 14, 12, 32, 54, 46), 6)
    assert model.read([v / 255 for v in img.tobytes()], img.width, img.height).number == "2026"
    assert calls == []
    flat, w, h = _eval_number("m0014.png")
    model.read(flat, w, h, drawn=True)
    assert calls == []
    assert model.read_once(flat, w, h).number == "451"
    assert len(calls) == 1  # once per page: the second look (segment.NARROW_CUT) shares the row


def test_the_looks_inside_a_margin_read_a_row_picture_once():
    """Model.read's looks often find the same row picture; the row reader reads each picture once."""
    from pymodel.model import remembered_row
    calls = []
    rows = remembered_row(lambda pixels, width: calls.append(width) or [[float(width)] * 11])
    assert rows([0.0, 1.0] * 64, 4) == rows([0.0, 1.0] * 64, 4) == [[4.0] * 11]
    assert rows([1.0, 0.0] * 64, 4) == [[4.0] * 11]
    assert calls == [4, 4]


def test_weights_without_a_row_reader_read_numbers_without_the_referee(weights_copy):
    """A weights folder without rows.json (a model trained before the row reader) loads and reads numbers
    with the digit reader alone; a damaged rows.json is refused, naming the file."""
    from pymodel import WeightsError, load_model
    for name in ("rows.json", "rows.npz"):
        (weights_copy / name).unlink()
    assert load_model(weights_copy, backend="python").rows is None
    flat, w, h = _eval_number("m0014.png")
    assert load_model(weights_copy, backend="numpy").read(flat, w, h).number == "951"
    (weights_copy / "rows.json").write_text("{")
    with pytest.raises(WeightsError, match="rows.json"):
        load_model(weights_copy)


@pytest.mark.parametrize("name, number", [
    # One ink group: the 0 written into the 3, cut through two strokes, at 0.77 (segment._sure_cut).
    ("m0068.jpg", "30"),
    # The 1 glued to the 6; a narrow 1 in a one-group cut needs CUT_SURE.
    ("m0222.jpg", "61"),
    # Two of three digits "not a digit" to the classifier (segment.NUMBER_REJECTS).
    ("m0208.png", "710"),
])
def test_a_reading_the_row_reader_is_sure_of_stands(model, monkeypatch, name, number):
    """Evaluation numbers whose digits touch: the guards against a letter cut into digits threw each reading
    away, and the image was read as one mark. The row reader gives the reading at least segment.ROW_SURE,
    which vouches for it."""
    from pymodel import segment
    flat, w, h = _eval_number(name)
    assert model.read(flat, w, h).number == number
    monkeypatch.setattr(segment, "ROW_SURE", None)
    assert len(model.read(flat, w, h).number) < 2


def test_the_row_reader_reads_no_digits_in_a_letter(model):
    """Non-digits of the evaluation set that the row reader once read as sure numbers ("11" at 0.98): trained
    on letters, shapes and scribbles labelled with no digits (training/synth/rows.py), it gives no string
    ROW_SURE, and the page calls them no number."""
    from pymodel.imageio import load_gray
    from pymodel.preprocess import analyse
    from pymodel.segment import ROW_SURE, build_row
    from training.evalsets import EVAL_DIR
    for name in ("n0058.jpg", "n0052.jpg"):
        gray = load_gray(EVAL_DIR / "realistic" / name).gray
        h, w = gray.shape
        page = analyse([float(v) for v in gray.ravel()], w, h)
        picture = row_image(page, build_row(page))
        best, logp = referee.likeliest(referee.log_softmax(model.row_logits(picture.pixels, picture.width)), 10, 1)[0]
        assert logp < math.log(ROW_SURE) or best == "", (name, best, logp)
        assert model.read([float(v) for v in gray.ravel()], w, h).number == ""
