// Port of pymodel/segment.py: read a whole number, the ink of an analysed page grouped into digits, left
// to right. The steps (row, atoms, cuts, choice, second look) and the reasons for them are in that
// module's docstring.
//
// Same constants, the same order of candidates and the same choice among equals (Python's min/max/sorted
// keep the first of equals; so do the loops here), so for the same classifier scores the same reading is
// chosen. Golden fixtures (tests/fixtures/golden/number_*.json) hold the two together.
import { Component } from "./components.js";
import { atBorder, leastSquares } from "./lines.js";
import { Digit, SPECK_FRACTION, alongBorder, belongs, choose, corners, cropCut } from "./locate.js";
import { BEAM, likeliest, logProb, logSoftmax } from "./referee.js";
import { rowImage } from "./rows.js";

export const ROW_LINE_MIN = 0.5;
export const ROW_LINE_MAX = 1.6;
export const ROW_BAND = 0.15;
export const BOX_REACH = 1.5;
export const ROW_MIN_HEIGHT = 0.35;
export const ROW_GAP = 1.5;
export const ROW_OVERLAP = 0.3;
export const EDGE_HIGH = 0.8;
export const EDGE_WIDE = 0.45;
export const ROW_TALL = 2.0;
export const STACK = 0.5;
// Width / height above which a digit of each class is unusually wide (90th percentile in MNIST training).
export const WIDE = Object.freeze([1.11, 0.7, 1.25, 1.0, 1.0, 1.25, 0.95, 1.0, 1.0, 0.9]);
export const CUT_WIDE = 0.8;
// A reading with a digit under RECUT_SURE is made again with groups from NARROW_CUT of the row height cut,
// except on the pad (a 1 written into its neighbour makes a group narrower than CUT_WIDE; segment.py, step 5).
export const NARROW_CUT = 0.5;
export const RECUT_SURE = 0.9;
export const CUT_TYPICAL = 1.5;
export const SLIVER = 0.5;
export const MERGE_GAP = 0.25;
export const WHOLE = 0.45;
export const WHOLE_HIGH = 0.7;
export const NEAR = 0.06;
// A straight stroke this high looks whole too (a 1 drawn into its neighbour; segment.py says why).
export const ONE_HIGH = 0.85;
export const STRAIGHT = 0.05;
export const STRAIGHT_SHARE = 0.8;
// Each digit of a reading costs this much, so a stroke cut off a digit is not read as an extra 1 (segment.py).
export const DIGIT_COST = 0.3;
// A run joining a 1 to the whole digit it was written into, across a cut severing one stroke, pays JOIN_COST:
// the 1 beside it (columns overlapping by at most GLUE_OVERLAP of the row height), as high as it
// (GLUE_HEIGHT, GLUE_ALIGN; segment.py says why).
export const GLUE_OVERLAP = 0.1;
export const GLUE_HEIGHT = 0.15;
export const GLUE_ALIGN = 0.2;
export const MIN_PIECE = 0.15;
export const MAX_CUTS = 3;
// More candidate cuts for a wide atom: one more than this many per row height of its width (segment.py).
export const CUTS_PER_HEIGHT = 1.5;
export const CUT_APART = 0.3;
// A seam's diagonal step costs this much against 1 per pixel of ink: cheaper, seams wander (segment.py).
export const STEP = 0.5;
export const MAX_SPAN = 3;
export const WIDE_COST = 2.0;
export const GAP_COST = 8.0;
export const CUT_COST = 0.5;
export const JOIN_COST = 1.5;
export const SKIP_COST = 1.0;
export const EDGE_COST = 0.5;
// A digit of a number below this confidence is "unsure" (read.js), as in Python's segment.py.
export const NUMBER_SURE = 0.7;
export const NUMBER_HEIGHT = 0.6;
// A reading where at least this share of digits is "not a digit" is read as one digit; below it, the
// rejected digits are unsure with their best guess (read.js; segment.py says why).
export const NUMBER_REJECTS = 0.5;
// One ink group cut into digits, a narrow one among them, stays a number only when every digit is this
// sure and no narrow one is a 1 (segment.py says why).
export const CUT_SURE = 0.99;
// ... or this sure when no digit of it is a 1 (segment.py says why).
export const CUT_SURE_NO_ONE = 0.85;
// Step 6: the weight of the row reader's log P(string) against the lattice's score, and how many of its
// likeliest strings are spelled through the lattice (segment.py says how they were chosen).
export const REFEREE_WEIGHT = 1.0;
export const REFEREE_STRINGS = 5;
// A reading the row reader gives at least this probability is vouched for (segment.py says why).
export const ROW_SURE = 0.8;
// The row reader is asked only when step 4's reading is in doubt: a digit under REFEREE_SURE, a cut between
// two of its digits, or a piece left out (segment.py's _in_doubt says why).
export const REFEREE_SURE = 0.9;

export const PARAMETERS = Object.freeze({
  row_line_min: ROW_LINE_MIN,
  row_line_max: ROW_LINE_MAX,
  row_band: ROW_BAND,
  box_reach: BOX_REACH,
  row_min_height: ROW_MIN_HEIGHT,
  row_gap: ROW_GAP,
  row_overlap: ROW_OVERLAP,
  edge_high: EDGE_HIGH,
  edge_wide: EDGE_WIDE,
  row_tall: ROW_TALL,
  stack: STACK,
  wide: WIDE,
  cut_wide: CUT_WIDE,
  narrow_cut: NARROW_CUT,
  recut_sure: RECUT_SURE,
  cut_typical: CUT_TYPICAL,
  sliver: SLIVER,
  merge_gap: MERGE_GAP,
  whole: WHOLE,
  whole_high: WHOLE_HIGH,
  near: NEAR,
  one_high: ONE_HIGH,
  straight: STRAIGHT,
  straight_share: STRAIGHT_SHARE,
  digit_cost: DIGIT_COST,
  glue_overlap: GLUE_OVERLAP,
  glue_height: GLUE_HEIGHT,
  glue_align: GLUE_ALIGN,
  min_piece: MIN_PIECE,
  max_cuts: MAX_CUTS,
  cuts_per_height: CUTS_PER_HEIGHT,
  cut_apart: CUT_APART,
  step: STEP,
  max_span: MAX_SPAN,
  wide_cost: WIDE_COST,
  gap_cost: GAP_COST,
  cut_cost: CUT_COST,
  join_cost: JOIN_COST,
  skip_cost: SKIP_COST,
  edge_cost: EDGE_COST,
  number_sure: NUMBER_SURE,
  number_height: NUMBER_HEIGHT,
  number_rejects: NUMBER_REJECTS,
  cut_sure: CUT_SURE,
  cut_sure_no_one: CUT_SURE_NO_ONE,
  referee_weight: REFEREE_WEIGHT,
  referee_strings: REFEREE_STRINGS,
  row_sure: ROW_SURE,
  referee_sure: REFEREE_SURE,
});

function overlap(a0, a1, b0, b1) {
  return Math.min(a1, b1) - Math.max(a0, b0);
}

// Whether two digits sit side by side as neighbours of a row do: their rows overlap by at least
// ROW_OVERLAP of the shorter (steps 1 and 4).
function sideBySide(a, b) {
  return overlap(a.y0, a.y1, b.y0, b.y1) >= ROW_OVERLAP * Math.min(a.y1 - a.y0, b.y1 - b.y0);
}

/** Python's sorted(values)[len // 2]: the upper median of a few integers. */
function upperMedian(values) {
  const sorted = Int32Array.from(values).sort();
  return sorted[sorted.length >> 1];
}

function asDigit(parts, extra, w) {
  if (!parts.length) return extraDigit(extra, w); // pieces cut from a line given back to the atom
  let x0 = parts[0].x0;
  let y0 = parts[0].y0;
  let x1 = parts[0].x1;
  let y1 = parts[0].y1;
  let mass = 0;
  for (const c of parts) {
    x0 = Math.min(x0, c.x0);
    y0 = Math.min(y0, c.y0);
    x1 = Math.max(x1, c.x1);
    y1 = Math.max(y1, c.y1);
    mass += c.mass; // Python's sum(): compensated on 3.12+, but a digit's mass decides nothing here
  }
  const digit = new Digit(parts.slice(), x0, y0, x1, y1, mass, false);
  digit.extra = extra.slice();
  for (const i of extra) {
    const y = Math.floor(i / w);
    const x = i - y * w;
    digit.x0 = Math.min(digit.x0, x);
    digit.y0 = Math.min(digit.y0, y);
    digit.x1 = Math.max(digit.x1, x + 1);
    digit.y1 = Math.max(digit.y1, y + 1);
  }
  return digit;
}

function merge(digits, w) {
  const parts = [];
  const extra = [];
  for (const d of digits) {
    for (const c of d.parts) parts.push(c);
    for (const i of d.extra) extra.push(i);
  }
  return asDigit(parts, extra, w);
}

function sideCut(c, end, w) {
  return (c.x0 === 0 && end.x0 > 0) || (c.x1 === w && end.x1 < w);
}

/** A narrow component from the image's top to its bottom, beside digits that touch neither border: the
 * side of a box or frame too thick for lines.frameLines (blurred, or close up), not a 1. */
function frameSide(c, top, bottom, h, rowH) {
  return c.y0 <= 1 && 1 < top && c.y1 >= h - 1 && h - 1 > bottom && c.width < WHOLE * rowH;
}

// A piece that looks like a whole digit, or a straight stroke ONE_HIGH of the row height high (segment.py's _whole).
function looksWhole(d, height) {
  if (d.x1 - d.x0 >= WHOLE * height && d.y1 - d.y0 >= WHOLE_HIGH * height) return true;
  return d.y1 - d.y0 >= ONE_HIGH * height && straight(d, height);
}

// A narrow straight stroke ONE_HIGH of the row height high: a 1 (segment.py's _one_like).
function oneLike(d, height) {
  return d.x1 - d.x0 < WHOLE * height && d.y1 - d.y0 >= ONE_HIGH * height && straight(d, height);
}

// The two sides of a cut are a 1 and a whole digit beside it, as high as it (segment.py's _glued_one).
function gluedOne(a, b, height) {
  if (overlap(a.x0, a.x1, b.x0, b.x1) > GLUE_OVERLAP * height) return false;
  for (const [one, other] of [[a, b], [b, a]]) {
    const tall = other.y1 - other.y0;
    if (oneLike(one, height) && looksWhole(other, height)
      && Math.abs(one.y1 - one.y0 - tall) <= GLUE_HEIGHT * tall
      && Math.abs(one.y0 - other.y0) <= GLUE_ALIGN * height && Math.abs(one.y1 - other.y1) <= GLUE_ALIGN * height) {
      return true;
    }
  }
  return false;
}

// The middle of the piece's ink in STRAIGHT_SHARE of its rows lies within STRAIGHT of the row height of the
// least-squares line through those middles (segment.py's _straight).
function straight(d, height) {
  const lo = new Map();
  const hi = new Map();
  const runs = d.runs; // y, x0, x1 flat
  for (let i = 0; i < runs.length; i += 3) {
    const [y, a, b] = [runs[i], runs[i + 1], runs[i + 2]];
    lo.set(y, lo.has(y) ? Math.min(lo.get(y), a) : a);
    hi.set(y, hi.has(y) ? Math.max(hi.get(y), b) : b);
  }
  const ys = [...lo.keys()].sort((p, q) => p - q);
  const n = ys.length;
  if (n < 2) return false;
  const mids = ys.map((y) => (lo.get(y) + hi.get(y)) / 2);
  const [slope, my, mx] = leastSquares(ys, mids);
  const off = ys.map((y, k) => Math.abs(mids[k] - mx - slope * (y - my))).sort((p, q) => p - q);
  return off[Math.floor(STRAIGHT_SHARE * (n - 1))] <= STRAIGHT * height;
}

// Both ends of an upright line touch a horizontal one: the side of a box (segment.py's _boxed).
function boxed(line, bars) {
  const meets = (y) => bars.some((b) => b.x0 - BOX_REACH <= line.x0 && line.x1 <= b.x1 + BOX_REACH
    && b.y0 - BOX_REACH <= y && y <= b.y1 - 1 + BOX_REACH);
  return meets(line.y0) && meets(line.y1 - 1);
}

// Step 1's lines that may be a straight 1 (segment.py's _upright says which and why).
function uprightLines(page, first, framed) {
  const { width: w, height: h } = page.ink;
  const sized = (ln, height) => ROW_LINE_MIN * height <= ln.length && ln.length <= ROW_LINE_MAX * height;
  const boxEdges = page.lines.filter((b) => b.horizontal && !atBorder(b, w, h).every(Boolean));
  const vertical = page.lines.filter((ln) => !ln.horizontal && !ln.wall && !framed.includes(ln) && !boxed(ln, boxEdges));
  const height = first !== null ? first.y1 - first.y0 : h;
  const band = ROW_BAND * height;
  const upright = vertical.filter((ln) => sized(ln, height) && (!ln.spans || (first !== null
    && !atBorder(ln, w, h).some(Boolean) && ln.y0 >= first.y0 - band && ln.y1 <= first.y1 + band)));
  if (upright.length) return upright;
  const bars = page.lines.filter((ln) => ln.horizontal && !ln.spans);
  const short = vertical.filter((ln) => !ln.spans && !bars.some(
    (b) => b.x0 < ln.x0 && b.x1 > ln.x1 && ln.y0 < b.y0 && ln.y1 > b.y1));
  if (!short.length) return [];
  let longest = short[0].length;
  for (const ln of short) if (ln.length > longest) longest = ln.length;
  if (first !== null && height >= ROW_LINE_MIN * longest) return [];
  const again = choose(page.componentsWith(short), w, h, page.drawn);
  return short.filter((ln) => sized(ln, again !== null ? again.y1 - again.y0 : h));
}

/** Step 1: the digits of the main row, left to right (maybe one, maybe none). */
export function buildRow(page) {
  const { width: w, height: h } = page.ink;
  let first = choose(page.components, w, h, page.drawn);
  if (first === null && page.lines.length === 0) return [];
  const framed = corners(page.lines, w, h);
  const upright = uprightLines(page, first, framed);
  const comps = upright.length ? page.componentsWith(upright) : page.components;
  const chosen = choose(comps, w, h, page.drawn);
  if (chosen === null) return [];
  // Only the seed component: locate.grow would take a thin neighbour (a 1) for a part of it.
  first = chosen.parts[0];
  const seed = asDigit([first], [], w);
  // A band along the border (the desk beside a sheet) is no measure of what a speck is.
  let heaviest = -Infinity;
  for (const c of comps) {
    if ((page.drawn || !alongBorder(c, w, h) || c === first) && c.mass > heaviest) heaviest = c.mass;
  }
  const used = new Set([first]);
  const row = [seed];
  let rowH = seed.y1 - seed.y0;
  for (;;) {
    let added = false;
    for (const side of [-1, 1]) {
      // Python's min/max with a key: the first of equals.
      let end = row[0];
      for (const d of row) if (side < 0 ? d.x0 < end.x0 : d.x1 > end.x1) end = d;
      let best = null;
      let bestGap = 0;
      for (const c of comps) {
        if (used.has(c) || c.mass < SPECK_FRACTION * heaviest || c.height < ROW_MIN_HEIGHT * rowH) continue;
        const gap = side < 0 ? end.x0 - c.x1 : c.x0 - end.x1;
        // A narrow digit (a 1) counts as WHOLE of the row height wide (segment.py).
        const spaced = gap - Math.max(0, (WHOLE * rowH - c.width) / 2)
          - Math.max(0, (WHOLE * rowH - (end.x1 - end.x0)) / 2);
        if (spaced > ROW_GAP * rowH || gap < -0.5 * Math.min(c.width, end.x1 - end.x0)) continue;
        if ((c.x0 + c.x1) * side <= (end.x0 + end.x1) * side) continue; // not beyond the row's end on this side
        if (!sideBySide(c, end)) continue;
        if (frameSide(c, end.y0, end.y1, h, rowH)) continue;
        if (cropCut(c, end, w, h, page.drawn) && (c.height > ROW_TALL * rowH
          || !(c.height >= EDGE_HIGH * rowH && (c.width >= EDGE_WIDE * rowH || !sideCut(c, end, w))))) {
          continue; // a fragment cut by the crop (a whole-looking one may be a digit: step 4)
        }
        if (best === null || gap < bestGap) {
          best = c;
          bestGap = gap;
        }
      }
      if (best !== null) {
        used.add(best);
        row.push(asDigit([best], [], w));
        rowH = upperMedian(row.map((d) => d.y1 - d.y0));
        added = true;
      }
    }
    if (!added) break;
  }
  // Smaller pieces in the row's band (the flag of a 5, a broken stroke) join as pieces; the choice of
  // step 4 merges them with a neighbour, since on their own they are no digit.
  let top = row[0].y0;
  let bottom = row[0].y1;
  let x0 = row[0].x0;
  let x1 = row[0].x1;
  for (const d of row) {
    top = Math.min(top, d.y0);
    bottom = Math.max(bottom, d.y1);
    x0 = Math.min(x0, d.x0);
    x1 = Math.max(x1, d.x1);
  }
  const band = { x0, y0: top, x1, y1: bottom };
  for (const c of comps) {
    if (!used.has(c) && c.mass >= SPECK_FRACTION * heaviest && c.x1 > x0 - ROW_GAP * rowH
        && c.x0 < x1 + ROW_GAP * rowH && overlap(c.y0, c.y1, top, bottom) >= 0.5 * c.height
        && !cropCut(c, band, w, h, page.drawn)
        && !frameSide(c, top, bottom, h, rowH)) {
      row.push(asDigit([c], [], w));
    }
  }
  // Python's sort by (x0 + x1, y0) is stable, and so is Array.prototype.sort.
  row.sort((a, b) => (a.x0 + a.x1) - (b.x0 + b.x1) || a.y0 - b.y0);
  const horizontal = page.lines.filter((ln) => ln.horizontal && !ln.spans);
  for (const digit of row) {
    for (const line of horizontal) {
      if (belongs(line, digit, w, h, framed, page.drawn)) {
        for (const i of line.pixels) digit.extra.push(i);
        digit.x0 = Math.min(digit.x0, line.x0);
        digit.y0 = Math.min(digit.y0, line.y0);
        digit.x1 = Math.max(digit.x1, line.x1);
        digit.y1 = Math.max(digit.y1, line.y1);
      }
    }
  }
  return row;
}

/** Step 2: digits of the row stacked in the same columns become one. */
export function atoms(row, w) {
  const out = [];
  for (const digit of row) {
    if (out.length) {
      const last = out[out.length - 1];
      const narrower = Math.min(last.x1 - last.x0, digit.x1 - digit.x0);
      if (overlap(last.x0, last.x1, digit.x0, digit.x1) >= STACK * narrower) {
        out[out.length - 1] = merge([last, digit], w);
        continue;
      }
    }
    out.push(digit);
  }
  return out;
}

/**
 * The parts of a component left of a cut path and on or right of it ([left, right], either may be null);
 * path[y - top] is the first column on the right in row y.
 */
function cutComponent(c, path, top) {
  const left = [];
  const right = [];
  const runs = c.runs;
  for (let r = 0; r < runs.length; r += 3) {
    const y = runs[r];
    const x0 = runs[r + 1];
    const x1 = runs[r + 2];
    const x = path[y - top];
    if (x0 < x) left.push(y, x0, Math.min(x, x1));
    if (x1 > x) right.push(y, Math.max(x, x0), x1);
  }
  return [left, right].map((partRuns) => {
    if (!partRuns.length) return null;
    let area = 0;
    let px0 = Infinity;
    let px1 = -Infinity;
    for (let r = 0; r < partRuns.length; r += 3) {
      area += partRuns[r + 2] - partRuns[r + 1];
      px0 = Math.min(px0, partRuns[r + 1]);
      px1 = Math.max(px1, partRuns[r + 2]);
    }
    const part = new Component(px0, partRuns[0], px1, partRuns[partRuns.length - 3] + 1);
    part.runs = partRuns;
    part.area = area;
    part.mass = (c.mass * area) / c.area; // only compared, never summed into pixel values
    return part;
  });
}

/**
 * Step 3: candidate cuts of a wide atom, left to right, as {path, severed}; path[r] is the first column
 * right of the cut in row atom.y0 + r. Seam carving, as pymodel/segment.py's seams() describes.
 */
export function seams(atom, height) {
  const margin = Math.max(1, Math.floor(MIN_PIECE * height + 0.5));
  const lo = atom.x0 + margin;
  const hi = atom.x1 - margin;
  const n = hi - lo;
  if (n < 1) return [];
  const rows = atom.y1 - atom.y0;
  const ink = new Uint8Array(rows * n);
  const runs = atom.runs;
  for (let r = 0; r < runs.length; r += 3) {
    const a = Math.max(runs[r + 1], lo);
    const b = Math.min(runs[r + 2], hi);
    if (a < b) ink.fill(1, (runs[r] - atom.y0) * n + a - lo, (runs[r] - atom.y0) * n + b - lo);
  }
  const far = rows + 1;
  // costs[r * n + k]: Python's costs[r][k], the same additions in the same order.
  const costs = new Float64Array(rows * n);
  for (let k = 0; k < n; k++) costs[k] = ink[k];
  for (let r = 1; r < rows; r++) {
    const p = (r - 1) * n;
    const q = r * n;
    for (let k = 0; k < n; k++) {
      const left = k > 0 ? costs[p + k - 1] + STEP : far;
      const right = k + 1 < n ? costs[p + k + 1] + STEP : far;
      costs[q + k] = Math.min(left, costs[p + k], right) + ink[q + k];
    }
  }
  const apart = Math.max(1, Math.floor(CUT_APART * height + 0.5));
  const most = Math.max(MAX_CUTS, Math.ceil((CUTS_PER_HEIGHT * (atom.x1 - atom.x0)) / height) + 1);
  const bottom = costs.subarray((rows - 1) * n);
  const order = Array.from({ length: n }, (_, k) => k);
  // Python: sorted by (bottom[k], |2k - n|), stable, so the smaller k first among equals.
  order.sort((a, b) => bottom[a] - bottom[b] || Math.abs(2 * a - n) - Math.abs(2 * b - n) || a - b);
  const ends = [];
  for (const k of order) {
    if (ends.every((e) => Math.abs(k - e) >= apart)) {
      ends.push(k);
      if (ends.length === most) break;
    }
  }
  ends.sort((a, b) => a - b);
  const out = [];
  for (let k of ends) {
    const path = new Int32Array(rows);
    path[rows - 1] = k;
    for (let r = rows - 1; r > 0; r--) {
      const prev = (r - 1) * n;
      let best = k;
      if (k > 0 && costs[prev + k - 1] + STEP < costs[prev + best]) best = k - 1;
      if (k + 1 < n && costs[prev + k + 1] + STEP < costs[prev + best]) best = k + 1;
      k = best;
      path[r - 1] = k;
    }
    let severed = 0;
    for (let r = 0; r < rows; r++) {
      if (ink[r * n + path[r]] && (r === 0 || !ink[(r - 1) * n + path[r - 1]])) severed += 1;
    }
    for (let r = 0; r < rows; r++) path[r] += lo;
    out.push({ path, severed });
  }
  return out;
}

function extraDigit(extra, w) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const i of extra) {
    const y = Math.floor(i / w);
    const x = i - y * w;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
  }
  const digit = new Digit([], x0, y0, x1, y1, 0.0, false);
  digit.extra = extra.slice();
  return digit;
}

/** The atom split along the given cut paths, left to right (its extra pixels follow the paths). */
export function pieces(atom, paths, w) {
  const out = [];
  let rest = atom.parts.slice();
  let extra = atom.extra.slice();
  const top = atom.y0;
  for (const path of [...paths, null]) {
    let left;
    let restParts;
    let leftExtra;
    let extraRest;
    if (path === null) {
      [left, restParts, leftExtra, extraRest] = [rest, [], extra, []];
    } else {
      left = [];
      restParts = [];
      for (const c of rest) {
        const [a, b] = cutComponent(c, path, top);
        if (a !== null) left.push(a);
        if (b !== null) restParts.push(b);
      }
      leftExtra = extra.filter((i) => i % w < path[Math.floor(i / w) - top]);
      extraRest = extra.filter((i) => i % w >= path[Math.floor(i / w) - top]);
    }
    if (left.length || leftExtra.length) out.push(left.length ? asDigit(left, leftExtra, w) : extraDigit(leftExtra, w));
    rest = restParts;
    extra = extraRest;
  }
  return out;
}

/** A run of pieces first..last that may be one digit. */
export class Span {
  constructor(first, last, digit, image28, wide, gaps, severs, joins, edge = false) {
    this.first = first;
    this.last = last;
    this.digit = digit;
    this.image28 = image28;
    this.wide = wide; // width / row height
    this.gaps = gaps; // gaps bridged / row height
    this.severs = severs; // strokes cut on its left (0 when it starts at a gap)
    this.joins = joins; // pairs of separate, whole-looking components it joins, and 1s glued to a neighbour
    this.edge = edge; // it takes a piece at the image border (maybe a neighbour cut by the crop)
  }

  prior(digit) {
    return -WIDE_COST * Math.max(0.0, this.wide - WIDE[digit]) - GAP_COST * this.gaps
      - CUT_COST * Math.max(0, this.severs - 1) - JOIN_COST * this.joins - EDGE_COST * (this.edge ? 1 : 0);
  }
}

/**
 * Steps 1-3 and the plausible runs of step 4: {skippable (for each piece, whether it may be left out),
 * spans}. No spans when the page holds at most one piece. normalize(page, digit) -> 28x28 or null.
 */
export function candidates(page, normalize, cutWide = CUT_WIDE) {
  const { width: w, height: h } = page.ink;
  const row = buildRow(page);
  if (!row.length) return { skippable: [], spans: [] };
  const units = atoms(row, w);
  const height = upperMedian(units.map((d) => d.y1 - d.y0));
  const typical = upperMedian(units.map((d) => d.x1 - d.x0));
  const parts = [];
  const origin = []; // the atom each piece was cut from
  const severs = []; // strokes severed by the cut on the left of each piece (0: no cut there)
  units.forEach((atom, n) => {
    const width = atom.x1 - atom.x0;
    const wide = width > cutWide * height || (units.length > 2 && width > CUT_TYPICAL * typical);
    const paths = [];
    const severed = [];
    for (const seam of wide ? seams(atom, height) : []) {
      let path = seam.path;
      if (paths.length) { // cuts never cross: each keeps right of the one before
        const before = paths[paths.length - 1];
        path = path.map((p, r) => Math.max(p, before[r] + 1));
      }
      paths.push(path);
      severed.push(seam.severed);
    }
    const cut = pieces(atom, paths, w);
    for (const piece of cut) {
      parts.push(piece);
      origin.push(n);
    }
    severs.push(0, ...severed.slice(0, cut.length - 1));
  });
  if (parts.length < 2) return { skippable: parts.map(() => false), spans: [] };
  // A piece at the left or right border, or at the top or bottom one when most pieces do not reach it
  // (a number cropped tightly reaches both); none in a drawing on the pad.
  const tops = 2 * parts.filter((d) => d.y0 === 0).length > parts.length;
  const bottoms = 2 * parts.filter((d) => d.y1 === h).length > parts.length;
  const atEdge = parts.map((d) => !page.drawn
    && (d.x0 === 0 || d.x1 === w || (d.y0 === 0 && !tops) || (d.y1 === h && !bottoms)));
  const spans = [];
  for (let i = 0; i < parts.length; i++) {
    // Any run up to MAX_SPAN pieces, and always the whole of an atom that was cut.
    const whole = i === 0 || origin[i - 1] !== origin[i] ? i + origin.filter((o) => o === origin[i]).length - 1 : i;
    const ends = [];
    for (let j = i; j < Math.min(parts.length, i + MAX_SPAN); j++) ends.push(j);
    if (!ends.includes(whole)) ends.push(whole);
    ends.sort((a, b) => a - b);
    let blocked = false;
    for (const j of ends) {
      const a = parts[j - 1];
      const b = parts[j];
      const digit = i === j ? parts[i] : merge(parts.slice(i, j + 1), w);
      const width = digit.x1 - digit.x0;
      const gap = j > i ? Math.max(0, b.x0 - a.x1) : 0;
      if (j > i && j !== whole && (blocked || width > 1.5 * height || (origin[j - 1] !== origin[j] && (
        gap > MERGE_GAP * height || (gap > NEAR * height && looksWhole(a, height) && looksWhole(b, height)))))) {
        blocked = true; // too wide, too far apart, or two whole-looking digits apart: not one digit
        continue;
      }
      if (digit.y1 - digit.y0 < SLIVER * height) continue; // a flag, a bar, a fleck: only part of a digit
      let gaps = 0;
      let joins = 0;
      for (let k = i; k < j; k++) {
        const p = parts[k];
        const q = parts[k + 1];
        gaps += Math.max(0, q.x0 - p.x1);
        if (origin[k] !== origin[k + 1] && looksWhole(p, height) && looksWhole(q, height)) joins += 1;
        else if (origin[k] === origin[k + 1] && severs[k + 1] === 1
          && gluedOne(merge(parts.slice(i, k + 1), w), merge(parts.slice(k + 1, j + 1), w), height)) {
          joins += 1; // a 1 glued to its neighbour (gluedOne)
        }
      }
      const image = normalize(page, digit);
      if (image !== null) {
        spans.push(new Span(i, j, digit, image, width / height, gaps / height, severs[i], joins,
          atEdge.slice(i, j + 1).some(Boolean)));
      }
    }
  }
  const skippable = parts.map((d, k) => d.y1 - d.y0 < SLIVER * height || atEdge[k]);
  return { skippable, spans };
}

// The first of the best [value, state] pairs (Python's strict > keeps the first of equals too).
function firstBest(states) {
  let best = [-Infinity, -1];
  for (const state of states) if (state[0] > best[0]) best = state;
  return best;
}

// The most probable of the ten digits (the first on a tie), whatever the 11th output says.
function topDigit(p) {
  let digit = 0;
  for (let d = 1; d < 10; d += 1) if (p[d] > p[digit]) digit = d;
  return digit;
}

/**
 * Step 4's best reading: indices into spans, left to right ([] when no reading covers the pieces).
 * probs[k] holds the classifier's outputs for spans[k] (the first ten are the digits). A piece too low to
 * be a digit that no run takes is left out at SKIP_COST. The two digits on either side of a cut must sit
 * side by side (a long slanted 1 cut in two is not two 1s: segment.py).
 */
export function decide(skippable, spans, probs) {
  return bestPath(skippable, spans, probs)[1];
}

/**
 * [score, spans chosen] of decide's best reading; with `spelling` (a string of digits), of the best reading
 * whose digits are those ([-Infinity, []] when no run of spans spells them), each span read as the digit it
 * must be (pymodel/segment.py's best_path; the row reader's strings are spelled through it).
 *
 * Dynamic programming over piece boundaries: a boundary is reached by leaving out the piece before it (or
 * at the start: state -1) or by a span ending there (state k), and the state before each is kept, so a span
 * after a cut can look at the digit before it. With a spelling every boundary is reached once per count of
 * digits read so far (layer).
 */
export function bestPath(skippable, spans, probs, spelling = null) {
  const nParts = skippable.length;
  const layers = spelling == null ? 1 : spelling.length + 1;
  const step = spelling == null ? 0 : 1;
  const gain = (k, layer) => {
    const p = probs[k];
    const digit = spelling == null ? topDigit(p) : Number(spelling[layer]);
    return Math.log(p[digit] + 1e-12) + spans[k].prior(digit) - DIGIT_COST;
  };
  const grid = (rows, value) => Array.from({ length: rows }, () => new Array(layers).fill(value));
  const skipBest = grid(nParts + 1, -Infinity);
  skipBest[0][0] = 0.0;
  const skipBack = grid(nParts + 1, -1);
  const spanBest = grid(spans.length, -Infinity);
  const spanBack = grid(spans.length, -1);
  const starting = Array.from({ length: nParts }, () => []);
  const ending = Array.from({ length: nParts + 1 }, () => []);
  spans.forEach((span, k) => {
    starting[span.first].push(k);
    ending[span.last + 1].push(k);
  });
  const states = (i, j) => [[skipBest[i][j], -1], ...ending[i].map((k) => [spanBest[k][j], k])];
  for (let i = 0; i < nParts; i++) {
    for (let j = 0; j < layers; j++) {
      const here = states(i, j);
      const top = firstBest(here);
      if (top[0] === -Infinity) continue;
      if (skippable[i] && top[0] - SKIP_COST > skipBest[i + 1][j]) {
        skipBest[i + 1][j] = top[0] - SKIP_COST;
        skipBack[i + 1][j] = top[1];
      }
      if (j + step >= layers) continue; // every digit of the spelling is read: only pieces left out may follow
      for (const k of starting[i]) {
        const span = spans[k];
        const before = span.severs === 0 ? top
          : firstBest(here.filter((s) => s[1] < 0 || sideBySide(spans[s[1]].digit, span.digit)));
        if (before[0] > -Infinity) {
          const value = before[0] + gain(k, j);
          if (value > spanBest[k][j + step]) {
            spanBest[k][j + step] = value;
            spanBack[k][j + step] = before[1];
          }
        }
      }
    }
  }
  let layer = layers - 1;
  const [value, last] = firstBest(states(nParts, layer));
  if (value === -Infinity) return [value, []];
  let state = last;
  const chosen = [];
  let end = nParts;
  while (end > 0) {
    if (state < 0) {
      state = skipBack[end][layer];
      end -= 1;
    } else {
      chosen.push(state);
      end = spans[state].first;
      state = spanBack[state][layer];
      layer -= step;
    }
  }
  return [value, chosen.reverse()];
}

// Whether a reading cut from one ink group is sure enough to be a number after all (CUT_SURE, or
// CUT_SURE_NO_ONE when none of its digits is a 1).
function sureCut(spans, probs) {
  const digits = probs.map(topDigit);
  const least = digits.includes(1) ? CUT_SURE : CUT_SURE_NO_ONE;
  return spans.every((span, i) => probs[i][digits[i]] >= least && !(digits[i] === 1 && span.wide < WHOLE));
}

/**
 * Steps 1-6: [{digit, image28, probs, read, vouched}] left to right, or null when the page holds at most one
 * digit, or one ink group cut into several (read it as a single digit instead). score(images28) -> one row of
 * class probabilities per image, all in one call (may return a Promise); normalize(page, digit) -> 28x28 or
 * null. A reading with a digit under RECUT_SURE is made again with narrower groups cut (NARROW_CUT), in a
 * second call of score, except on the pad (segment.py's step 5). rows(pixels, width) -> per column the row
 * reader's 11 logits (may return a Promise), or null: the referee (step 6), never on the pad; read is the
 * digit it read a run as when that is not the classifier's top digit, else null; vouched: the row reader gives
 * the whole reading at least ROW_SURE.
 */
export async function segment(page, score, normalize, rows = null) {
  const columns = new Columns(page, page.drawn ? null : rows);
  const found = await readRow(page, score, normalize, columns);
  const sure = (f) => Math.max(...f.probs.slice(0, 10)) >= RECUT_SURE;
  if (page.drawn || found === null || found.every(sure)) return found;
  const again = await readRow(page, score, normalize, columns, true);
  return again === null ? found : again;
}

// The row reader's log-probabilities for the page's row, read on first use and once per page (both of step
// 5's looks share the row); null without a row reader or when the row has no picture (segment.py's _Columns).
class Columns {
  constructor(page, rows) {
    this.page = page;
    this.rows = rows;
    this.done = rows === null;
    this.value = null;
  }

  async get() {
    if (!this.done) {
      this.done = true;
      const picture = rowImage(this.page, buildRow(this.page));
      if (picture !== null) this.value = logSoftmax(await this.rows(picture.pixels, picture.width));
    }
    return this.value;
  }
}

// Steps 1-4 and the referee (step 6), or on the second look (step 5) with groups from NARROW_CUT cut, when
// the reading must not hold two 1s side by side across a cut (onesAcrossCut).
async function readRow(page, score, normalize, columns, second = false) {
  const { skippable, spans } = candidates(page, normalize, second ? NARROW_CUT : CUT_WIDE);
  if (!spans.length) return null;
  const probs = await score(spans.map((s) => s.image28));
  const [value, best] = bestPath(skippable, spans, probs);
  let chosen = best;
  let digits = chosen.map((k) => topDigit(probs[k]));
  const logs = chosen.length && inDoubt(skippable, spans, probs, chosen) ? await columns.get() : null;
  let vouched = false;
  if (logs !== null) {
    let logp;
    [chosen, digits, logp] = referee(skippable, spans, probs, value, chosen, logs);
    vouched = ROW_SURE !== null && chosen.length > 1 && logp >= Math.log(ROW_SURE);
  }
  // The guards judge the digits read (whether one is a 1) at the classifier's confidence that each run is one
  // digit, its top probability (asTop).
  const asRead = chosen.map((k, i) => asTop(probs[k], digits[i]));
  const runs = chosen.map((k) => spans[k]);
  // One ink group cut into several digits with no gap between any, one of them narrow or a cut through
  // two strokes: a letter, a scribble or a wide 0 cut through its loop far more often, unless every digit
  // is sure (CUT_SURE, or CUT_SURE_NO_ONE without a 1) and no narrow one is a 1 (segment.py's _read_row).
  if (chosen.length < 2 || (!vouched && chosen.slice(1).every((k) => spans[k].severs > 0)
    && (chosen.some((k) => spans[k].wide < WHOLE) || chosen.slice(1).some((k) => spans[k].severs > 1))
    && !sureCut(runs, asRead))) return null;
  if (second && onesAcrossCut(runs, asRead)) return null;
  return chosen.map((k, i) => ({
    digit: spans[k].digit, image28: spans[k].image28, probs: Array.from(probs[k]),
    read: digits[i] === topDigit(probs[k]) ? null : digits[i], vouched,
  }));
}

// Whether step 4's reading is worth the referee (step 6): a digit under REFEREE_SURE, a cut between two of its
// digits, or a piece left out (segment.py's _in_doubt).
function inDoubt(skippable, spans, probs, chosen) {
  let covered = 0;
  for (const k of chosen) {
    let top = -Infinity;
    for (let d = 0; d < 10; d++) top = Math.max(top, probs[k][d]);
    if (top < REFEREE_SURE || spans[k].severs > 0) return true;
    covered += spans[k].last - spans[k].first + 1;
  }
  return covered < skippable.length;
}

/**
 * Step 6: [spans chosen, the digit each is read as, the row reader's log P of that string] among step 4's
 * reading (value, chosen) and the row reader's REFEREE_STRINGS likeliest strings (columns: its
 * log-probabilities) spelled through the lattice, by lattice score + REFEREE_WEIGHT x log P(string); the
 * first of equals is kept, step 4's reading first (segment.py's referee).
 */
export function referee(skippable, spans, probs, value, chosen, columns) {
  const digits = chosen.map((k) => topDigit(probs[k]));
  const base = digits.join("");
  const baseLogp = logProb(columns, base);
  let best = [value + REFEREE_WEIGHT * baseLogp, chosen, digits, baseLogp];
  for (const [spelling, logp] of likeliest(columns, BEAM, REFEREE_STRINGS)) {
    if (!spelling || spelling === base) continue;
    const [score, path] = bestPath(skippable, spans, probs, spelling);
    const total = score + REFEREE_WEIGHT * logp;
    if (path.length && total > best[0]) best = [total, path, Array.from(spelling, Number), logp];
  }
  return [best[1], best[2], best[3]];
}

// Probabilities with `digit` swapped with the top digit: the guards, which look at the top digit and its
// probability, see the digit read at the classifier's top probability (segment.py's _as_top).
function asTop(p, digit) {
  const top = topDigit(p);
  const q = Array.from(p);
  [q[top], q[digit]] = [q[digit], q[top]];
  return q;
}

// Whether a reading holds two 1s side by side with a cut between them: on the second look a narrow group's
// strokes cut apart, a letter's far more often than two 1s written into each other (segment.py's
// _ones_across_cut).
function onesAcrossCut(spans, probs) {
  return spans.slice(1).some((s, k) => topDigit(probs[k]) === 1 && topDigit(probs[k + 1]) === 1 && s.severs > 0);
}
