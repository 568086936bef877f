"""Read a whole number: group the ink of a page (preprocess.analyse) into digits, left to right.

The same page analysis as a single digit (lines removed, specks and fragments dropped), then:

1. Row: the seed is the digit locate.choose would read (upright lines between ROW_LINE_MIN and
   ROW_LINE_MAX of its height that are no ruled line, margin or frame side are put back first: a straight
   1; see _upright). The row grows left and right, one neighbour at a time, with the nearest component
   (not a speck, measured against the heaviest component that is no band along the border, the desk
   beside a photographed sheet; at least ROW_MIN_HEIGHT of the row's height tall) whose gap to the row's end digit is at
   most ROW_GAP of the row height (a digit narrower than WHOLE of it, a 1, measured as if that wide) and
   whose rows overlap that digit's by at least ROW_OVERLAP of the shorter: so the row follows a slanted or
   wavy baseline. Smaller components in the row's band (a 5's flag, a broken stroke) join as pieces of
   their own. A component cut by a border the row does not touch is either a neighbour cut by the crop of
   a sheet or a digit written up to the edge of the photo: it joins only when it looks whole (at least
   EDGE_HIGH of the row height high, and EDGE_WIDE of it wide when the cut is at the left or right, where
   the neighbours of a number are; a narrow 1 or 5 written up to the top of a tight crop is whole, while
   one more than ROW_TALL times the row height high is no digit of it but a strip of the desk beside a
   photographed sheet), and
   only as a piece that may be left out (step 4), so the classifier decides. A drawing on the pad is cut
   out of nothing (Page.drawn): there every component joins as any other does.
   A narrow component from the image's top to its bottom beside digits that touch neither border is the
   side of a box too thick to be found as a line, and never joins.
   Lines that are a digit's stroke (the bar of a 7) are given back to it (locate.belongs).
2. Atoms: digits of the row whose columns overlap by at least STACK of the narrower are one atom (the
   flag of a 5 above its body, a 7's bar drawn apart).
3. Cuts: an atom may be several touching digits when it is wider than CUT_WIDE times the row height,
   or (in a row of three or more) wider than CUT_TYPICAL times the row's median width. Candidate cuts
   are seams (seams()): paths from the atom's top row to its bottom row, moving at most one column per
   row, through the least ink; where digits overlap a seam bends round their strokes. At most MAX_CUTS,
   or one more than CUTS_PER_HEIGHT per row height of the atom's width when that is more (an atom of
   four touching digits needs three right cuts among its candidates), at least CUT_APART of the row
   height apart, none within MIN_PIECE of the atom's sides. Cutting splits the atom's pixels along each
   seam.
4. Choice: a digit is a run of at most MAX_SPAN consecutive pieces, or all the pieces of one atom
   (merging the parts of a broken digit, or not cutting); a run lower than SLIVER of the row height is
   no digit on its own. A run never grows wider than 1.5 times the row height, and never joins two
   separate components across a gap wider than MERGE_GAP of the height, or wider than NEAR of it when
   both look whole (at least WHOLE of the height wide and WHOLE_HIGH of it high, or a straight stroke
   ONE_HIGH of it high: a 1); pieces cut from one
   component may always join again. Every plausible run is normalised to 28x28 and all are scored in ONE
   call of the classifier. The reading maximises the sum over its digits of log(top digit probability)
   + prior - DIGIT_COST, the prior being
     -WIDE_COST * (width / height - WIDE[digit])   for a run wider than its digit usually is,
     -GAP_COST * gaps bridged / height,
     -CUT_COST * (strokes its seam severs - 1)     (a seam through the middle of a 0 severs two),
     -JOIN_COST per pair of separate whole-looking components it joins, and per 1 it joins to a whole
                digit beside it across a cut severing one stroke (_glued_one),
   so the classifier's confidence chooses between cutting and merging. A piece too low to be a digit
   that no run takes (a fleck beside the number) is left out at SKIP_COST. (With an 11-class model the
   digit probabilities of a fragment or a merged pair are low, which makes the choice sharper.) A piece
   at the image border is left out at SKIP_COST too, and a run that takes it pays EDGE_COST: a digit cut
   by the crop is read only when the classifier is sure of it. The two digits on either side of a cut must
   sit side by side, their rows overlapping by ROW_OVERLAP of the shorter as neighbours in step 1 do: a
   long slanted 1 is wider than the row is high, gets cut, and its halves, one above the other, each read
   as a sure 1.

5. A second look: a reading with a digit under RECUT_SURE is made again with every ink group from
   NARROW_CUT of the row height cut (steps 3 and 4 again, in a second call of the classifier), and that
   reading stands unless it is no number or holds two 1s side by side across a cut (a letter's strokes,
   _ones_across_cut). A 1 written into its neighbour makes a group too narrow for CUT_WIDE; cutting such
   groups always would cut nearly every digit of a clean number. Never on the pad, whose knockout already
   parts digits drawn into each other.

6. The referee: when a row reader is given (Model.read passes the row model, training/row_model.py), the
   picture of the row (rows.row_image of step 1's row) is read whole, and its REFEREE_STRINGS likeliest
   strings (referee.likeliest) are each spelled through step 4's lattice (best_path). The reading kept has the
   best lattice score + REFEREE_WEIGHT x the row reader's log P(string) (referee.log_prob), the step-4 reading
   standing on a tie. A string the lattice cannot spell is never chosen, so every digit keeps its run of
   pieces, box and 28x28; a digit read other than the classifier's top digit is Found.read (Model.read reports
   it as unsure). The classifier reads each run alone and cannot see a cut through the middle of a digit except
   through its doubt about the pieces; the row reader sees the row whole and has no cuts to get wrong. A
   reading the row reader is ROW_SURE of is vouched for (Found.vouched): the guards against letters cut into
   digits (_read_row, NUMBER_REJECTS) let it stand. The row reader is asked only when the reading is in doubt
   (_in_doubt, REFEREE_SURE). Every look (step 5, and Model.read's looks inside a
   margin) is refereed; the row is read once per page. Never on the pad: there the knockout already parts
   digits drawn into each other, and the referee read the validation set's drawn numbers as the pad hands them
   over 536 -> 538 of 554 and the evaluation set's 121 -> 120 of 125, no gain for the row reader's cost (about
   250 ms a number in the pure-Python engine).

A page whose reading is one digit, or one ink group cut into several (see _read_row()), is read exactly as
a single digit (preprocess.locate), so a single digit keeps its behaviour.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import add
from types import SimpleNamespace

from pymodel.components import Component
from pymodel.lines import Line, at_border, least_squares
from pymodel.locate import SPECK_FRACTION, Digit, along_border, belongs, choose, corners, crop_cut
from pymodel.referee import BEAM, likeliest, log_prob, log_softmax
from pymodel.rows import row_image

ROW_LINE_MIN = 0.5
ROW_LINE_MAX = 1.6
# A line as long as a 1 in a tight crop stands within this much of the seed's height above and below it.
# Chosen on validation scenes (training writers): at 0.25 a plot's colour bar beside a 1 joined the row.
ROW_BAND = 0.15
# Pixels within which the end of a box's side touches its top or bottom.
BOX_REACH = 1.5
ROW_MIN_HEIGHT = 0.35
# Chosen on drawn numbers spaced wider than handwriting usually is (with 1.3 heights of blank between the
# digits' cells they read as one digit at 1.0); no change to the validation and evaluation numbers, digits
# or non-digits (a digit's neighbours in a crop of a sheet are cut by its border, which step 1 handles
# apart).
ROW_GAP = 1.5
ROW_OVERLAP = 0.3
EDGE_HIGH = 0.8
EDGE_WIDE = 0.45
# A digit cut by the crop is no taller than a whole one. Numbers on a sheet photographed on a desk (scratch
# probe, 30 of MNIST test digits): 20 -> 25 read right, the strips of desk beside the sheet no longer
# joining the row and reading as 1s; the same at 1.6. Evaluation and validation sets unchanged.
ROW_TALL = 2.0
STACK = 0.5
# Width / height above which a digit of each class is unusually wide (90th percentile in MNIST training).
WIDE = (1.11, 0.7, 1.25, 1.0, 1.0, 1.25, 0.95, 1.0, 1.0, 0.9)
CUT_WIDE = 0.8
# A 1 written into its neighbour makes one ink group narrower than CUT_WIDE ("16", "18" and "91" groups
# measure 0.47 to 0.73 of the row height), which is never cut; neither is any other digit, so cutting
# narrower groups always would score three times the candidates of a clean number. When the reading has a
# digit under RECUT_SURE, the pieces are cut again with groups from NARROW_CUT of the row height, and that
# reading, over candidates that include the first's, stands unless it is no number (step 5). Chosen on
# validation numbers (training writers): 1,037 -> 1,045 of 1,200, none lost; digits and non-digits unchanged.
# The pad and _ones_across_cut: see step 5 and the README.
NARROW_CUT = 0.5
RECUT_SURE = 0.9
CUT_TYPICAL = 1.5
SLIVER = 0.5
MERGE_GAP = 0.25
WHOLE = 0.45
WHOLE_HIGH = 0.7
NEAR = 0.06
# A straight stroke at least ONE_HIGH of the row height high looks whole too (a 1): on the pad a thin 1
# drawn into its neighbour keeps only the knockout's narrow gap, and the classifier reads the pair as a
# sure 9 or 3 ("53910" read "5390"). Straight: the middle of its ink in STRAIGHT_SHARE of its rows lies
# within STRAIGHT of the row height of one line (the two halves of a broken 0 are curved, and join).
# Chosen on the validation numbers (training writers): drawn on the pad 527 -> 531 of 554, from pixels
# 1,012 -> 1,013 of 1,200, single digits and non-digits unchanged.
ONE_HIGH = 0.85
STRAIGHT = 0.05
STRAIGHT_SHARE = 0.8
# Each digit of a reading costs this much: without it a stroke cut off a digit that reads as a confident
# 1 (the stem of a 4, the slant of a 7) costs nothing, and a number gains a digit. Chosen on validation
# numbers (training writers): 76.0% -> 78.0% exact, from 0.2 to 0.4 alike; at 0.5 the reader starts
# leaving out digits at the image's edge.
DIGIT_COST = 0.3
# A 1 written into its neighbour ("51", "81", "91") is cut off it by a seam that severs one stroke, and the
# classifier reads the pair as a sure 5, 8 or 9, which DIGIT_COST then prefers to two digits. A run that
# joins such a 1 to a whole digit across that cut pays JOIN_COST, as two separate whole digits do. Such a
# 1 stands beside its neighbour (their columns overlap by at most GLUE_OVERLAP of the row height) and as
# high as it (within GLUE_HEIGHT of its height, top and bottom within GLUE_ALIGN of the row height): the
# stem of a 4, 6 or 9 cut off its body is taller or reaches above or below it, and a 0 cut in two has
# halves that overlap. (Figures: see the README, "Reading a number".)
GLUE_OVERLAP = 0.1
GLUE_HEIGHT = 0.15
GLUE_ALIGN = 0.2
MIN_PIECE = 0.15
MAX_CUTS = 3
# A wide atom gets more candidate cuts: with three, an atom of four or more touching digits never had all
# its right cuts. Chosen on validation numbers (training writers): 77.5% -> 79.2% exact (touching 38.8% ->
# 45.9%), single digits and non-digits unchanged; 2.0 per height gave the same.
CUTS_PER_HEIGHT = 1.5
CUT_APART = 0.3
# What a seam's diagonal step costs, against 1 per pixel of ink crossed. At 0.05 a seam wandered: the
# cheapest way to a gap at the bottom of an atom started at another gap at its top, and a row of five
# glued digits got two cuts from one gap and none between the 3 and the 8. Chosen on validation numbers
# (training writers, 1,200): 0.05 / 0.3 / 0.5 / 1.0 read 55.1 / 56.8 / 60.2 / 58.0% of the 176 touching
# numbers of the larger half exactly, separated ones alike.
STEP = 0.5
MAX_SPAN = 3
WIDE_COST = 2.0
GAP_COST = 8.0
CUT_COST = 0.5
JOIN_COST = 1.5
SKIP_COST = 1.0
EDGE_COST = 0.5
# A digit of a number below this confidence is "unsure" (Model.read), above the model's own unsure
# threshold: the reading was chosen as the most confident of many cuts, which flatters every digit in it.
# Chosen on validation numbers and non-digits (training writers): 90.7% of the non-digits flagged by the
# page's reader against 88.0% without it, 10 of 228 correctly read numbers shown as "Unsure — maybe".
NUMBER_SURE = 0.7
# A digit of a number less than this share of the tallest digit's height is "unsure" (Model.read): the
# short letters of a handwritten word (a, c, e) beside its tall ones (t, h, b) read as sure digits ("cat"
# as "064", "tea" as "486"), while the digits of a number stand about as tall as each other. On the
# validation and evaluation numbers no correct reading has a digit that short; six wrong validation
# readings that were all sure become unsure. Words in two handwriting fonts given a sure number: 27 -> 15
# of 96 (the rest are read as one letter, or have no short letter).
NUMBER_HEIGHT = 0.6
# A reading where at least this share of the digits is "not a digit" is no number (a letter's strokes, a
# shape's sides) and the image is read as one digit. Below it, the rejected digits are unsure, with their
# best guess: a digit's crop that takes a stroke of its neighbour looks like no digit to the classifier,
# and the digits beside it say it is one.
NUMBER_REJECTS = 0.5
# One ink group cut into digits with a narrow one among them is read as a single digit (segment()) unless
# every digit of the reading is at least this sure and no narrow one is a 1: the strokes of a "V", "n" or
# "H" cut apart read as sure 1s, the digits of a "37" or "26" written in one go as sure digits. Chosen on
# validation numbers and non-digits (training writers): touching numbers 46.9% -> 52.0% exact, non-digits
# and single digits unchanged; without the 1 condition, an "n" and a "V" of the evaluation non-digits read
# "17" and "11".
CUT_SURE = 0.99
# ... or at least this sure when no digit of it is a 1: the strokes of a letter cut apart read as 1s, while
# a touching "30", "96" or "404" often reads at 0.85 to 0.98 and was thrown away. Chosen on validation
# numbers and non-digits (training writers, scratch scan over 0.75-0.95): 7 more numbers read, no more
# non-digit answered, no single digit read as several.
CUT_SURE_NO_ONE = 0.85
# Step 6: the weight of the row reader's log P(string) against the lattice's score, and how many of its
# likeliest strings are spelled through the lattice. Chosen on validation numbers (training writers, 1,200):
# 1,045 -> 1,082 / 1,083 / 1,079 exact at 0.5 / 1 / 2; on the tuning numbers (validation 1,200-2,399, used
# for nothing else) 1,024 -> 1,067 / 1,074 at 0.5 / 1.
REFEREE_WEIGHT = 1.0
REFEREE_STRINGS = 5
# A reading of two digits or more that the row reader gives at least this probability is vouched for: it is
# kept even when it cuts one ink group with a narrow digit and the classifier is not CUT_SURE of every
# digit, and even when most of its digits are "not a digit" to the classifier (NUMBER_REJECTS; Model.read):
# a touching "30", "66" or "61" whose cut pieces look like no digit. The row reader learnt that letters,
# shapes and scribbles hold no digits (training/synth/rows.py); see the README for the figures.
ROW_SURE = 0.8
# The row reader is asked only when step 4's reading is in doubt (_in_doubt): a digit under REFEREE_SURE, a
# cut between two of its digits, or a piece left out. A sure reading of separate digits is what it is; the
# row reader's forward pass costs the pure-Python engine about 130 ms for a six-digit number. Measured with
# and without: validation numbers (training writers) 1,086 -> 1,089 of 1,200 (3 won, none lost), evaluation
# numbers and the evaluation digits and non-digits unchanged.
REFEREE_SURE = 0.9

PARAMETERS = {
    "row_line_min": ROW_LINE_MIN,
    "row_line_max": ROW_LINE_MAX,
    "row_band": ROW_BAND,
    "box_reach": BOX_REACH,
    "row_min_height": ROW_MIN_HEIGHT,
    "row_gap": ROW_GAP,
    "row_overlap": ROW_OVERLAP,
    "edge_high": EDGE_HIGH,
    "edge_wide": EDGE_WIDE,
    "row_tall": ROW_TALL,
    "stack": STACK,
    "wide": WIDE,
    "cut_wide": CUT_WIDE,
    "narrow_cut": NARROW_CUT,
    "recut_sure": RECUT_SURE,
    "cut_typical": CUT_TYPICAL,
    "sliver": SLIVER,
    "merge_gap": MERGE_GAP,
    "whole": WHOLE,
    "whole_high": WHOLE_HIGH,
    "near": NEAR,
    "one_high": ONE_HIGH,
    "straight": STRAIGHT,
    "straight_share": STRAIGHT_SHARE,
    "digit_cost": DIGIT_COST,
    "glue_overlap": GLUE_OVERLAP,
    "glue_height": GLUE_HEIGHT,
    "glue_align": GLUE_ALIGN,
    "min_piece": MIN_PIECE,
    "max_cuts": MAX_CUTS,
    "cuts_per_height": CUTS_PER_HEIGHT,
    "cut_apart": CUT_APART,
    "step": STEP,
    "max_span": MAX_SPAN,
    "wide_cost": WIDE_COST,
    "gap_cost": GAP_COST,
    "cut_cost": CUT_COST,
    "join_cost": JOIN_COST,
    "skip_cost": SKIP_COST,
    "edge_cost": EDGE_COST,
    "number_sure": NUMBER_SURE,
    "number_height": NUMBER_HEIGHT,
    "number_rejects": NUMBER_REJECTS,
    "cut_sure": CUT_SURE,
    "cut_sure_no_one": CUT_SURE_NO_ONE,
    "referee_weight": REFEREE_WEIGHT,
    "referee_strings": REFEREE_STRINGS,
    "row_sure": ROW_SURE,
    "referee_sure": REFEREE_SURE,
}

Scorer = Callable[[list[list[float]]], Sequence[Sequence[float]]]
# The row reader: a row picture (rows.Row's pixels, its width) -> per column, the logits of the ten digits
# and the blank.
RowReader = Callable[[list[float], int], Sequence[Sequence[float]]]


@dataclass
class Found:
    """One digit of a number: its pixels (a locate.Digit), its 28x28 and the classifier's output; read: the
    digit the referee read it as when that is not the classifier's top digit (step 6), else None."""
    digit: Digit
    image28: list[float]
    probs: list[float]
    read: int | None = None
    vouched: bool = False  # the row reader is sure of the whole reading (ROW_SURE)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return min(a1, b1) - max(a0, b0)


def _side_by_side(a: Component | Digit, b: Component | Digit) -> bool:
    """Whether two digits sit side by side as neighbours of a row do: their rows overlap by at least
    ROW_OVERLAP of the shorter (steps 1 and 4)."""
    return _overlap(a.y0, a.y1, b.y0, b.y1) >= ROW_OVERLAP * min(a.y1 - a.y0, b.y1 - b.y0)


def _as_digit(parts: Sequence[Component], extra: Sequence[int], w: int) -> Digit:
    if not parts:  # pieces cut from a line given back to the atom (a stroke along a double rule)
        return _extra_digit(extra, w)
    x0 = min(c.x0 for c in parts)
    y0 = min(c.y0 for c in parts)
    x1 = max(c.x1 for c in parts)
    y1 = max(c.y1 for c in parts)
    digit = Digit(list(parts), x0, y0, x1, y1, sum(c.mass for c in parts), False, list(extra))
    for i in extra:
        y, x = divmod(i, w)
        digit.x0, digit.y0 = min(digit.x0, x), min(digit.y0, y)
        digit.x1, digit.y1 = max(digit.x1, x + 1), max(digit.y1, y + 1)
    return digit


def _merge(digits: Sequence[Digit], w: int) -> Digit:
    return _as_digit([c for d in digits for c in d.parts], [i for d in digits for i in d.extra], w)


def _frame_side(c: Component, top: int, bottom: int, h: int, row_h: float) -> bool:
    """A narrow component from the image's top to its bottom, beside digits that touch neither border: the
    side of a box or frame too thick for lines.frame_lines (blurred, or close up), not a 1."""
    return c.y0 <= 1 < top and c.y1 >= h - 1 > bottom and c.width < WHOLE * row_h


def _boxed(line: Line, bars: Sequence[Line]) -> bool:
    """Both ends of an upright line touch a horizontal one (within BOX_REACH pixels): the side of a box, as
    in a row of boxes on a form, one digit in each (the inner sides meet the top and bottom in a T, which
    locate.corners does not look for). A 1 written close to its box's top and bottom stops short of them."""
    def meets(y: float) -> bool:
        return any(b.x0 - BOX_REACH <= line.x0 and line.x1 <= b.x1 + BOX_REACH
                   and b.y0 - BOX_REACH <= y <= b.y1 - 1 + BOX_REACH for b in bars)
    return meets(line.y0) and meets(line.y1 - 1)


def _upright(page, first: Digit | None, framed: Sequence[Line]) -> list[Line]:
    """Step 1's lines that may be a straight 1: upright, not a frame's or a box's side (_boxed), ROW_LINE_MIN
    to ROW_LINE_MAX of the seed's height (first: the digit chosen without lines), and either not spanning
    the image, or spanning it only by length (a 1 in a tight crop: more than lines.SPAN_FRACTION of the
    height) while touching neither its top nor its bottom and standing within ROW_BAND of the seed's
    height above and below it, as a digit beside it does (a plot's colour bar or a box side reaches
    further).
    When the seed is less than ROW_LINE_MIN of the longest non-spanning upright line high (the flags of
    two thin 1s are all that is left without the lines), it is chosen again with those lines put back, but
    not with lines crossed by a horizontal one in their middle (the strokes of a "#")."""
    w, h = page.ink.width, page.ink.height

    def sized(ln: Line, height: int) -> bool:
        return ROW_LINE_MIN * height <= ln.length <= ROW_LINE_MAX * height

    # A ruled line crosses the whole image, and a 1 written between two rules may touch both.
    box_edges = [b for b in page.lines if b.horizontal and not all(at_border(b, w, h))]
    vertical = [ln for ln in page.lines if not ln.horizontal and not ln.wall and all(ln is not f for f in framed)
                and not _boxed(ln, box_edges)]
    height = (first.y1 - first.y0) if first is not None else h
    band = ROW_BAND * height
    upright = [ln for ln in vertical if sized(ln, height) and (
        not ln.spans or (first is not None and not any(at_border(ln, w, h))
                         and ln.y0 >= first.y0 - band and ln.y1 <= first.y1 + band))]
    if upright:
        return upright
    bars = [ln for ln in page.lines if ln.horizontal and not ln.spans]
    short = [ln for ln in vertical if not ln.spans and not any(
        b.x0 < ln.x0 and b.x1 > ln.x1 and ln.y0 < b.y0 and ln.y1 > b.y1 for b in bars)]
    if not short or (first is not None and height >= ROW_LINE_MIN * max(ln.length for ln in short)):
        return []
    again = choose(page.components_with(short), w, h, page.drawn)
    return [ln for ln in short if sized(ln, (again.y1 - again.y0) if again is not None else h)]


def build_row(page) -> list[Digit]:
    """Step 1: the digits of the main row, left to right (maybe one, maybe none)."""
    w, h = page.ink.width, page.ink.height
    first = choose(page.components, w, h, page.drawn)
    if first is None and not page.lines:
        return []
    framed = corners(page.lines, w, h)
    upright = _upright(page, first, framed)
    comps = page.components_with(upright) if upright else page.components
    chosen = choose(comps, w, h, page.drawn)
    if chosen is None:
        return []
    # Only the seed component: locate.grow would take a thin neighbour (a 1) for a part of it.
    first = chosen.parts[0]
    seed = _as_digit([first], [], w)
    # A band along the border (the desk beside a sheet) is no measure of what a speck is.
    heaviest = max(c.mass for c in comps if page.drawn or not along_border(c, w, h) or c is first)
    used = {id(first)}
    row = [seed]
    row_h = seed.y1 - seed.y0
    while True:
        added = False
        for side in (-1, 1):
            end = min(row, key=lambda d: d.x0) if side < 0 else max(row, key=lambda d: d.x1)
            best, best_gap = None, None
            for c in comps:
                if id(c) in used or c.mass < SPECK_FRACTION * heaviest or c.height < ROW_MIN_HEIGHT * row_h:
                    continue
                gap = end.x0 - c.x1 if side < 0 else c.x0 - end.x1
                # Digits are spaced by their cells, not their ink: a narrow one (a 1) counts as WHOLE wide.
                spaced = (gap - max(0.0, (WHOLE * row_h - c.width) / 2)
                          - max(0.0, (WHOLE * row_h - (end.x1 - end.x0)) / 2))
                if spaced > ROW_GAP * row_h or gap < -0.5 * min(c.width, end.x1 - end.x0):
                    continue
                if (c.x0 + c.x1) * side <= (end.x0 + end.x1) * side:
                    continue  # not beyond the end of the row on this side
                if not _side_by_side(c, end):
                    continue
                if _frame_side(c, end.y0, end.y1, h, row_h):
                    continue
                side_cut = (c.x0 == 0 and end.x0 > 0) or (c.x1 == w and end.x1 < w)
                if crop_cut(c, end, w, h, page.drawn) and (c.height > ROW_TALL * row_h or not (
                        c.height >= EDGE_HIGH * row_h and (c.width >= EDGE_WIDE * row_h or not side_cut))):
                    continue  # a fragment cut by the crop (a whole-looking one may be a digit: step 4)
                if best is None or gap < best_gap:
                    best, best_gap = c, gap
            if best is not None:
                used.add(id(best))
                row.append(_as_digit([best], [], w))
                row_h = sorted(d.y1 - d.y0 for d in row)[len(row) // 2]
                added = True
        if not added:
            break
    # Smaller pieces in the row's band (the flag of a 5, a broken stroke) join as pieces; the choice of
    # step 4 merges them with a neighbour, since on their own they are no digit.
    top = min(d.y0 for d in row)
    bottom = max(d.y1 for d in row)
    x0 = min(d.x0 for d in row)
    x1 = max(d.x1 for d in row)
    band = SimpleNamespace(x0=x0, y0=top, x1=x1, y1=bottom)
    for c in comps:
        if (id(c) not in used and c.mass >= SPECK_FRACTION * heaviest and c.x1 > x0 - ROW_GAP * row_h
                and c.x0 < x1 + ROW_GAP * row_h and _overlap(c.y0, c.y1, top, bottom) >= 0.5 * c.height
                and not crop_cut(c, band, w, h, page.drawn)
                and not _frame_side(c, top, bottom, h, row_h)):
            row.append(_as_digit([c], [], w))
    row.sort(key=lambda d: (d.x0 + d.x1, d.y0))
    horizontal = [ln for ln in page.lines if ln.horizontal and not ln.spans]
    for digit in row:
        for line in horizontal:
            if belongs(line, digit, w, h, framed, page.drawn):
                digit.extra += line.pixels
                digit.x0, digit.y0 = min(digit.x0, line.x0), min(digit.y0, line.y0)
                digit.x1, digit.y1 = max(digit.x1, line.x1), max(digit.y1, line.y1)
    return row


def atoms(row: Sequence[Digit], w: int) -> list[Digit]:
    """Step 2: digits of the row stacked in the same columns become one."""
    out: list[Digit] = []
    for digit in row:
        if out:
            last = out[-1]
            narrower = min(last.x1 - last.x0, digit.x1 - digit.x0)
            if _overlap(last.x0, last.x1, digit.x0, digit.x1) >= STACK * narrower:
                out[-1] = _merge([last, digit], w)
                continue
        out.append(digit)
    return out


def _cut_component(c: Component, path: Sequence[int], top: int) -> tuple[Component | None, Component | None]:
    """The parts of a component left of a cut path and on or right of it; path[y - top] is the first
    column on the right in row y."""
    left = Component()
    right = Component()
    for y, x0, x1 in c.runs:
        x = path[y - top]
        if x0 < x:
            left.runs.append((y, x0, min(x, x1)))
        if x1 > x:
            right.runs.append((y, max(x, x0), x1))
    out = []
    for part in (left, right):
        if not part.runs:
            out.append(None)
            continue
        part.area = sum(b - a for _, a, b in part.runs)
        part.x0 = min(a for _, a, _ in part.runs)
        part.x1 = max(b for _, _, b in part.runs)
        part.y0 = part.runs[0][0]
        part.y1 = part.runs[-1][0] + 1
        part.mass = c.mass * part.area / c.area  # only compared, never summed into pixel values
        out.append(part)
    return out[0], out[1]


def seams(atom: Digit, height: int) -> list[tuple[list[int], int]]:
    """Step 3: candidate cuts of a wide atom, left to right, as (path, strokes severed); path[r] is the
    first column right of the cut in row atom.y0 + r.

    Seam carving over the atom's columns at least MIN_PIECE of the row height from its sides: cost(row,
    column) = ink there + the cheapest of the three cells above it (a diagonal step costs STEP more). The
    cheapest ends of the bottom row, at least CUT_APART of the height apart, are traced back up."""
    margin = max(1, math.floor(MIN_PIECE * height + 0.5))
    lo, hi = atom.x0 + margin, atom.x1 - margin
    n = hi - lo
    if n < 1:
        return []
    rows = atom.y1 - atom.y0
    ink = [bytearray(n) for _ in range(rows)]
    for y, a, b in atom.runs:
        a, b = max(a, lo), min(b, hi)
        if a < b:
            ink[y - atom.y0][a - lo:b - lo] = bytes([1]) * (b - a)
    far = float(rows + 1)
    costs = [[float(v) for v in ink[0]]]
    for r in range(1, rows):
        prev = costs[-1]
        left = [far] + [v + STEP for v in prev[:-1]]
        right = [v + STEP for v in prev[1:]] + [far]
        costs.append(list(map(add, map(min, left, prev, right), ink[r])))
    apart = max(1, math.floor(CUT_APART * height + 0.5))
    most = max(MAX_CUTS, math.ceil(CUTS_PER_HEIGHT * (atom.x1 - atom.x0) / height) + 1)
    bottom = costs[-1]
    ends: list[int] = []
    for k in sorted(range(n), key=lambda k: (bottom[k], abs(2 * k - n))):
        if all(abs(k - e) >= apart for e in ends):
            ends.append(k)
            if len(ends) == most:
                break
    out = []
    for k in sorted(ends):
        path = [k]
        for r in range(rows - 1, 0, -1):
            prev = costs[r - 1]
            best = k
            if k > 0 and prev[k - 1] + STEP < prev[best]:
                best = k - 1
            if k + 1 < n and prev[k + 1] + STEP < prev[best]:
                best = k + 1
            k = best
            path.append(k)
        path.reverse()
        on = [ink[r][k] for r, k in enumerate(path)]
        severed = sum(1 for r in range(rows) if on[r] and (r == 0 or not on[r - 1]))
        out.append(([lo + k for k in path], severed))
    return out


def pieces(atom: Digit, paths: Sequence[list[int]], w: int) -> list[Digit]:
    """The atom split along the given cut paths, left to right (its extra pixels follow the paths)."""
    out = []
    rest = list(atom.parts)
    extra = list(atom.extra)
    top = atom.y0
    for path in list(paths) + [None]:
        if path is None:
            left, rest_parts, left_extra, extra_rest = rest, [], extra, []
        else:
            left, rest_parts = [], []
            for c in rest:
                a, b = _cut_component(c, path, top)
                if a is not None:
                    left.append(a)
                if b is not None:
                    rest_parts.append(b)
            left_extra = [i for i in extra if i % w < path[i // w - top]]
            extra_rest = [i for i in extra if i % w >= path[i // w - top]]
        if left or left_extra:
            out.append(_as_digit(left, left_extra, w) if left else _extra_digit(left_extra, w))
        rest, extra = rest_parts, extra_rest
    return out


def _extra_digit(extra: Sequence[int], w: int) -> Digit:
    xs = [i % w for i in extra]
    ys = [i // w for i in extra]
    return Digit([], min(xs), min(ys), max(xs) + 1, max(ys) + 1, 0.0, False, list(extra))


@dataclass
class Span:
    """A run of pieces first..last that may be one digit."""
    first: int
    last: int
    digit: Digit
    image28: list[float]
    wide: float  # width / row height
    gaps: float  # gaps bridged / row height
    severs: int  # strokes cut on its left (0 when it starts at a gap)
    joins: int  # pairs of separate, whole-looking components it joins, and 1s glued to a neighbour
    edge: bool = False  # it takes a piece at the image border (maybe a neighbour cut by the crop)

    def prior(self, digit: int) -> float:
        return (-WIDE_COST * max(0.0, self.wide - WIDE[digit]) - GAP_COST * self.gaps
                - CUT_COST * max(0, self.severs - 1) - JOIN_COST * self.joins - EDGE_COST * self.edge)


def candidates(page, normalize, cut_wide: float = CUT_WIDE) -> tuple[list[bool], list[Span]]:
    """Steps 1-3 and the plausible runs of step 4: (for each piece, whether it may be left out; runs).
    No runs when the page holds at most one piece. cut_wide: CUT_WIDE, or NARROW_CUT on a second look."""
    w, h = page.ink.width, page.ink.height
    row = build_row(page)
    if not row:
        return [], []
    units = atoms(row, w)
    height = sorted(d.y1 - d.y0 for d in units)[len(units) // 2]
    widths = sorted(d.x1 - d.x0 for d in units)
    typical = widths[len(widths) // 2]
    parts: list[Digit] = []
    origin: list[int] = []  # the atom each piece was cut from
    severs: list[int] = []  # strokes severed by the cut on the left of each piece (0: no cut there)
    for n, atom in enumerate(units):
        width = atom.x1 - atom.x0
        wide = width > cut_wide * height or (len(units) > 2 and width > CUT_TYPICAL * typical)
        paths, severed = [], []
        for path, cut_ink in (seams(atom, height) if wide else []):
            if paths:  # cuts never cross: each keeps right of the one before
                path = [max(p, q + 1) for p, q in zip(path, paths[-1])]
            paths.append(path)
            severed.append(cut_ink)
        cut = pieces(atom, paths, w)
        parts += cut
        origin += [n] * len(cut)
        severs += [0] + severed[:len(cut) - 1]
    if len(parts) < 2:
        return [False] * len(parts), []
    # A piece at the left or right border, or at the top or bottom one when most pieces do not reach it
    # (a number cropped tightly reaches both); none in a drawing on the pad.
    tops = 2 * sum(d.y0 == 0 for d in parts) > len(parts)
    bottoms = 2 * sum(d.y1 == h for d in parts) > len(parts)
    at_edge = [not page.drawn and (d.x0 == 0 or d.x1 == w or (d.y0 == 0 and not tops) or (d.y1 == h and not bottoms))
               for d in parts]
    spans = []
    for i in range(len(parts)):
        # Any run up to MAX_SPAN pieces, and always the whole of an atom that was cut.
        whole = i + origin.count(origin[i]) - 1 if i == 0 or origin[i - 1] != origin[i] else i
        blocked = False
        for j in sorted(set(range(i, min(len(parts), i + MAX_SPAN))) | {whole}):
            a, b = parts[j - 1], parts[j]
            digit = parts[i] if i == j else _merge(parts[i:j + 1], w)
            width = digit.x1 - digit.x0
            gap = max(0, b.x0 - a.x1) if j > i else 0
            if j > i and j != whole and (blocked or width > 1.5 * height or (origin[j - 1] != origin[j] and (
                    gap > MERGE_GAP * height or (gap > NEAR * height and all(_whole(d, height) for d in (a, b)))))):
                blocked = True  # too wide, too far apart, or two whole-looking digits apart: not one digit
                continue
            if digit.y1 - digit.y0 < SLIVER * height:
                continue  # a flag, a bar, a fleck: only part of a digit
            gaps = 0
            joins = 0
            for k in range(i, j):
                p, q = parts[k], parts[k + 1]
                gaps += max(0, q.x0 - p.x1)
                if origin[k] != origin[k + 1] and all(_whole(d, height) for d in (p, q)):
                    joins += 1
                elif (origin[k] == origin[k + 1] and severs[k + 1] == 1
                      and _glued_one(_merge(parts[i:k + 1], w), _merge(parts[k + 1:j + 1], w), height)):
                    joins += 1  # a 1 glued to its neighbour (_glued_one)
            image = normalize(page, digit)
            if image is not None:
                spans.append(Span(i, j, digit, image, width / height, gaps / height, severs[i], joins,
                                  any(at_edge[i:j + 1])))
    skippable = [d.y1 - d.y0 < SLIVER * height or edge for d, edge in zip(parts, at_edge)]
    return skippable, spans


def _whole(d: Digit, height: float) -> bool:
    """Whether a piece looks like a whole digit: at least WHOLE of the row height wide and WHOLE_HIGH of it
    high, or a straight stroke at least ONE_HIGH of it high (a 1)."""
    if d.x1 - d.x0 >= WHOLE * height and d.y1 - d.y0 >= WHOLE_HIGH * height:
        return True
    return d.y1 - d.y0 >= ONE_HIGH * height and _straight(d, height)


def _one_like(d: Digit, height: float) -> bool:
    """A narrow straight stroke ONE_HIGH of the row height high: a 1."""
    return d.x1 - d.x0 < WHOLE * height and d.y1 - d.y0 >= ONE_HIGH * height and _straight(d, height)


def _glued_one(a: Digit, b: Digit, height: float) -> bool:
    """Whether the two sides of a cut are a 1 and a whole digit beside it, as high as it (GLUE_OVERLAP,
    GLUE_HEIGHT, GLUE_ALIGN): a 1 written into its neighbour."""
    if _overlap(a.x0, a.x1, b.x0, b.x1) > GLUE_OVERLAP * height:
        return False
    for one, other in ((a, b), (b, a)):
        tall = other.y1 - other.y0
        if (_one_like(one, height) and _whole(other, height)
                and abs(one.y1 - one.y0 - tall) <= GLUE_HEIGHT * tall
                and abs(one.y0 - other.y0) <= GLUE_ALIGN * height and abs(one.y1 - other.y1) <= GLUE_ALIGN * height):
            return True
    return False


def _straight(d: Digit, height: float) -> bool:
    """Whether the middle of the piece's ink in STRAIGHT_SHARE of its rows lies within STRAIGHT of the row
    height of the least-squares line through those middles."""
    lo: dict[int, int] = {}
    hi: dict[int, int] = {}
    for y, a, b in d.runs:
        lo[y] = min(lo.get(y, a), a)
        hi[y] = max(hi.get(y, b), b)
    ys = sorted(lo)
    n = len(ys)
    if n < 2:
        return False
    mids = [(lo[y] + hi[y]) / 2 for y in ys]
    slope, my, mx = least_squares(ys, mids)
    off = sorted(abs(x - mx - slope * (y - my)) for y, x in zip(ys, mids))
    return off[math.floor(STRAIGHT_SHARE * (n - 1))] <= STRAIGHT * height


def _top_digit(p: Sequence[float]) -> int:
    """The most probable of the ten digits (the first on a tie), whatever the 11th output says."""
    return max(range(10), key=lambda d: p[d])


def _first_best(states: Sequence[tuple[float, int]]) -> tuple[float, int]:
    best = (-math.inf, -1)
    for state in states:
        if state[0] > best[0]:
            best = state
    return best


def decide(skippable: Sequence[bool], spans: Sequence[Span], probs) -> list[int]:
    """Step 4's best reading: indices into spans, left to right ([] when no reading covers the pieces).
    A piece too low to be a digit that no run takes is left out at SKIP_COST. The two digits on either side
    of a cut must sit side by side, as the neighbours of a row do: a long slanted 1 cut in two gives two
    pieces one above the other that each read as a confident 1, and the whole stroke pays for its width."""
    return best_path(skippable, spans, probs)[1]


def best_path(skippable: Sequence[bool], spans: Sequence[Span], probs,
              spelling: str | None = None) -> tuple[float, list[int]]:
    """(score, spans chosen) of decide's best reading; with `spelling`, of the best reading whose digits are
    those ((-inf, []) when no run of spans spells them), each span read as the digit it must be.

    Dynamic programming over piece boundaries; a boundary is reached either by leaving out the piece before
    it (or at the start: state -1) or by a span ending there (state k), and the state before each is kept,
    so a span after a cut can look at the digit before it. With a spelling every boundary is reached once
    per count of digits read so far (layer)."""
    n_parts = len(skippable)
    layers = 1 if spelling is None else len(spelling) + 1
    step = 0 if spelling is None else 1

    def gain(k: int, layer: int) -> float:
        p = [float(v) for v in probs[k][:10]]
        digit = _top_digit(p) if spelling is None else int(spelling[layer])
        return math.log(p[digit] + 1e-12) + spans[k].prior(digit) - DIGIT_COST

    skip_best = [[0.0 if i == 0 and j == 0 else -math.inf for j in range(layers)] for i in range(n_parts + 1)]
    skip_back = [[-1] * layers for _ in range(n_parts + 1)]
    span_best = [[-math.inf] * layers for _ in spans]
    span_back = [[-1] * layers for _ in spans]
    starting: list[list[int]] = [[] for _ in range(n_parts)]
    ending: list[list[int]] = [[] for _ in range(n_parts + 1)]
    for k, span in enumerate(spans):
        starting[span.first].append(k)
        ending[span.last + 1].append(k)

    def states(i: int, j: int) -> list[tuple[float, int]]:
        return [(skip_best[i][j], -1)] + [(span_best[k][j], k) for k in ending[i]]

    for i in range(n_parts):
        for j in range(layers):
            here = states(i, j)
            top = _first_best(here)
            if top[0] == -math.inf:
                continue
            if skippable[i] and top[0] - SKIP_COST > skip_best[i + 1][j]:
                skip_best[i + 1][j], skip_back[i + 1][j] = top[0] - SKIP_COST, top[1]
            if j + step >= layers:
                continue  # every digit of the spelling is read: only pieces left out may follow
            for k in starting[i]:
                span = spans[k]
                before = top if span.severs == 0 else _first_best(
                    [s for s in here if s[1] < 0 or _side_by_side(spans[s[1]].digit, span.digit)])
                if before[0] > -math.inf:
                    value = before[0] + gain(k, j)
                    if value > span_best[k][j + step]:
                        span_best[k][j + step], span_back[k][j + step] = value, before[1]
    layer = layers - 1
    value, state = _first_best(states(n_parts, layer))
    if value == -math.inf:
        return value, []
    chosen: list[int] = []
    end = n_parts
    while end > 0:
        if state < 0:
            state = skip_back[end][layer]
            end -= 1
        else:
            chosen.append(state)
            end = spans[state].first
            state = span_back[state][layer]
            layer -= step
    return value, chosen[::-1]


def _sure_cut(spans: Sequence[Span], probs: Sequence[Sequence[float]]) -> bool:
    """Whether a reading cut from one ink group is sure enough to be a number after all (CUT_SURE, or
    CUT_SURE_NO_ONE when none of its digits is a 1)."""
    digits = [_top_digit(p) for p in probs]
    least = CUT_SURE_NO_ONE if 1 not in digits else CUT_SURE
    for span, p, digit in zip(spans, probs, digits):
        if p[digit] < least or (digit == 1 and span.wide < WHOLE):
            return False
    return True


def segment(page, score: Scorer, normalize, rows: RowReader | None = None) -> list[Found] | None:
    """Steps 1-6: the digits of the page's number, or None (read it as a single digit). A reading with a
    digit under RECUT_SURE is made again with narrower groups cut (NARROW_CUT), in a second call of the
    classifier, except on the pad (step 5). rows: the row reader that referees each reading (step 6), or
    None."""
    columns = _Columns(page, None if page.drawn else rows)
    found = _read_row(page, score, normalize, columns)
    if page.drawn or found is None or all(max(f.probs[:10]) >= RECUT_SURE for f in found):
        return found
    again = _read_row(page, score, normalize, columns, second=True)
    return found if again is None else again


class _Columns:
    """The row reader's log-probabilities for the page's row, read on first use and once per page (both of
    step 5's looks share the row). None without a row reader, or when the row has no picture."""

    def __init__(self, page, rows: RowReader | None):
        self.page, self.rows, self.done, self.value = page, rows, rows is None, None

    def get(self) -> list[list[float]] | None:
        if not self.done:
            self.done = True
            picture = row_image(self.page, build_row(self.page))
            if picture is not None:
                self.value = log_softmax(self.rows(picture.pixels, picture.width))
        return self.value


def _read_row(page, score: Scorer, normalize, columns: _Columns | None = None,
              second: bool = False) -> list[Found] | None:
    """Steps 1-4 and the referee (step 6), or on the second look (step 5) with groups from NARROW_CUT cut,
    when the reading must not hold two 1s side by side across a cut (_ones_across_cut). None when the page
    holds at most one digit (read it as a single digit instead), and when
    the best reading cuts one ink group into several digits with no gap between any of them and either one
    of them narrower than WHOLE of the height, or a cut severing two strokes or more: a letter or a
    scribble cut by seams ("n" as "17", "w" as "111"), or a wide 0 cut through its loop into "00", far
    more often than touching digits (a "70" drawn in one go keeps its reading), unless the classifier is
    sure of every digit and no narrow one is a 1 (CUT_SURE, or CUT_SURE_NO_ONE when no digit is a 1). The
    severed strokes: on the validation sets (training writers), non-digits given a sure digit 41 -> 37 of
    360 and no single digit lost, against 2 of 400 numbers whose neighbours touch twice ("80")."""
    skippable, spans = candidates(page, normalize, NARROW_CUT if second else CUT_WIDE)
    if not spans:
        return None
    probs = score([s.image28 for s in spans])
    value, chosen = best_path(skippable, spans, probs)
    digits = [_top_digit(probs[k]) for k in chosen]
    logs = columns.get() if columns is not None and chosen and _in_doubt(skippable, spans, probs, chosen) else None
    vouched = False
    if logs is not None:
        chosen, digits, logp = referee(skippable, spans, probs, value, chosen, logs)
        vouched = ROW_SURE is not None and len(chosen) > 1 and logp >= math.log(ROW_SURE)
    read = [[float(v) for v in probs[k]] for k in chosen]
    # The guards judge the digits read (whether one is a 1) at the classifier's confidence that each run is
    # one digit, its top probability (_as_top).
    as_read = [_as_top(p, d) for p, d in zip(read, digits)]
    if len(chosen) < 2 or (not vouched and all(spans[k].severs > 0 for k in chosen[1:])
                           and (any(spans[k].wide < WHOLE for k in chosen)
                                or any(spans[k].severs > 1 for k in chosen[1:]))
                           and not _sure_cut([spans[k] for k in chosen], as_read)):
        return None
    if second and _ones_across_cut([spans[k] for k in chosen], as_read):
        return None
    return [Found(spans[k].digit, spans[k].image28, p, None if d == _top_digit(p) else d, vouched)
            for k, p, d in zip(chosen, read, digits)]


def _in_doubt(skippable: Sequence[bool], spans: Sequence[Span], probs, chosen: list[int]) -> bool:
    """Whether step 4's reading is worth the referee (step 6): a digit under REFEREE_SURE, a cut between two
    of its digits, or a piece left out."""
    return (any(max(float(v) for v in probs[k][:10]) < REFEREE_SURE or spans[k].severs > 0 for k in chosen)
            or sum(spans[k].last - spans[k].first + 1 for k in chosen) < len(skippable))


def referee(skippable: Sequence[bool], spans: Sequence[Span], probs, value: float, chosen: list[int],
            columns: Sequence[Sequence[float]]) -> tuple[list[int], list[int], float]:
    """Step 6: (spans chosen, the digit each is read as, the row reader's log P of that string) among step 4's
    reading (value, chosen) and the row reader's REFEREE_STRINGS likeliest strings (columns: its
    log-probabilities) spelled through the lattice, by lattice score + REFEREE_WEIGHT x log P(string); the
    first of equals is kept, step 4's reading first."""
    digits = [_top_digit(probs[k]) for k in chosen]
    base = "".join(map(str, digits))
    base_logp = log_prob(columns, base)
    best = (value + REFEREE_WEIGHT * base_logp, chosen, digits, base_logp)
    for spelling, logp in likeliest(columns, BEAM, REFEREE_STRINGS):
        if not spelling or spelling == base:
            continue
        score, path = best_path(skippable, spans, probs, spelling)
        total = score + REFEREE_WEIGHT * logp
        if path and total > best[0]:
            best = (total, path, [int(c) for c in spelling], logp)
    return best[1], best[2], best[3]


def _as_top(p: Sequence[float], digit: int) -> list[float]:
    """Probabilities with `digit` swapped with the top digit: the guards, which look at the top digit and its
    probability, see the digit read at the classifier's top probability."""
    top = _top_digit(p)
    q = list(p)
    q[top], q[digit] = q[digit], q[top]
    return q


def _ones_across_cut(spans: Sequence[Span], probs: Sequence[Sequence[float]]) -> bool:
    """Whether a reading holds two 1s side by side with a cut between them. On the second look that is a
    narrow group's strokes cut apart, a letter's far more often than two 1s written into each other: an "M"
    beside a ruled line read "111", its first two strokes one group 0.7 of the row height wide."""
    return any(_top_digit(p) == 1 == _top_digit(q) and b.severs > 0
               for p, q, b in zip(probs, probs[1:], spans[1:]))
