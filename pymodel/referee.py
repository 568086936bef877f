"""What the row reader (training/row_model.py) says about a whole row, in pure Python: how likely a string of
digits is (CTC's forward algorithm), and which strings are the likeliest (prefix beam search).

The digit reader (segment.py) cuts a row into digits and reads each alone; it cannot see that a cut went
through the middle of a digit except through the classifier's doubt about the pieces. The row reader sees
the whole row at once and has no cuts to get wrong, but gives no box and no 28x28 per digit. So it
referees: the strings it finds likely are spelled through the digit reader's lattice
(segment.decide(spelling=...)), and the reading chosen is the best sum of both opinions.

    log_softmax(logits) -> per column, log-probabilities of the 10 digits and the blank (BLANK)
    log_prob(columns, digits) -> log P(digits | row)
    likeliest(columns, beam, n) -> [(digits, log P)], best first
"""
from __future__ import annotations

import math
from collections.abc import Sequence

BLANK = 10
BEAM = 10

_NEG = -math.inf


def _add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow."""
    if a < b:
        a, b = b, a
    return a if b == _NEG else a + math.log1p(math.exp(b - a))


def log_softmax(logits: Sequence[Sequence[float]]) -> list[list[float]]:
    out = []
    for column in logits:
        top = max(column)
        total = top + math.log(math.fsum(math.exp(v - top) for v in column))
        out.append([v - total for v in column])
    return out


def log_prob(columns: Sequence[Sequence[float]], digits: str) -> float:
    """log P(digits | row) by CTC's forward algorithm over the label with blanks between and around."""
    label = [BLANK]
    for ch in digits:
        label += [int(ch), BLANK]
    if not columns:
        return 0.0 if not digits else _NEG
    n = len(label)
    alpha = [_NEG] * n
    alpha[0] = columns[0][BLANK]
    if n > 1:
        alpha[1] = columns[0][label[1]]
    for column in columns[1:]:
        new = [_NEG] * n
        for k in range(n):
            v = alpha[k]
            if k > 0:
                v = _add(v, alpha[k - 1])
            if k > 1 and label[k] != BLANK and label[k] != label[k - 2]:
                v = _add(v, alpha[k - 2])
            new[k] = v + column[label[k]] if v > _NEG else _NEG
        alpha = new
    return _add(alpha[-1], alpha[-2]) if n > 1 else alpha[-1]


def _extend(beams: dict[str, tuple[float, float]], prefix: str, blank: float, digit: float) -> None:
    """Add to a prefix's probability of ending in a blank and of ending in its last digit."""
    old_blank, old_digit = beams.get(prefix, (_NEG, _NEG))
    beams[prefix] = (_add(old_blank, blank), _add(old_digit, digit))


def likeliest(columns: Sequence[Sequence[float]], beam: int = BEAM, n: int = 5) -> list[tuple[str, float]]:
    """The n likeliest strings by prefix beam search (each prefix's probability split into ending in a blank
    and ending in its last digit, so a doubled digit needs a blank between its two). Ties keep the
    shorter, then the smaller string, so the result does not depend on dictionary order."""
    beams: dict[str, tuple[float, float]] = {"": (0.0, _NEG)}
    for column in columns:
        grown: dict[str, tuple[float, float]] = {}
        for prefix, (p_blank, p_digit) in beams.items():
            total = _add(p_blank, p_digit)
            _extend(grown, prefix, total + column[BLANK], _NEG)
            last = prefix[-1:]
            for d in range(10):
                ch = str(d)
                if ch == last:
                    _extend(grown, prefix, _NEG, p_digit + column[d])  # the same stroke of the same digit
                    _extend(grown, prefix + ch, _NEG, p_blank + column[d])  # a blank between: a new digit
                else:
                    _extend(grown, prefix + ch, _NEG, total + column[d])
        ranked = sorted(grown.items(), key=lambda kv: (-_add(*kv[1]), len(kv[0]), kv[0]))
        beams = dict(ranked[:beam])
    ranked = sorted(((p, _add(*v)) for p, v in beams.items()), key=lambda pv: (-pv[1], len(pv[0]), pv[0]))
    return ranked[:n]
