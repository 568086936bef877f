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
