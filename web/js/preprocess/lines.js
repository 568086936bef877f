// Port of pymodel/lines.py: long, straight, thin structures (ruled and margin lines, box borders,
// underlines, plot axes, canvas frames), found from the thin runs that cross them. The method is in that
// module's docstring.
import { rowRuns } from "./components.js";

// Up to 0.18 in steps of 1/48: grids and rules of a sheet photographed askew (lines.py says why).
export const SLOPE_MAX = 0.18;
export const SLOPE_STEP = 1 / 48;
export const THIN_FRACTION = 1 / 33;
export const THIN_MIN = 3;
export const LINE_MIN_FRACTION = 0.3;
export const LINE_MIN_PIXELS = 16;
export const COVERAGE = 0.6;
export const BAND = 1.5;
export const EDGE_FRACTION = 0.05;
export const SPAN_FRACTION = 0.7;
export const CROSSING = 2;
export const FRAME_THIN_FRACTION = 1 / 12;
export const FRAME_NEAR = 0.2;
export const FRAME_SIDES = 2;
// Box sides (boxLines): lines.py says how these are used.
export const BOX_ALIGN = 0.2;
export const BOX_APART = 0.25;
export const BOX_FAR = 3.0;
export const BOX_SIDE = 0.6;

export const PARAMETERS = Object.freeze({
  slope_max: SLOPE_MAX,
  slope_step: SLOPE_STEP,
  thin_fraction: THIN_FRACTION,
  thin_min: THIN_MIN,
  line_min_fraction: LINE_MIN_FRACTION,
  line_min_pixels: LINE_MIN_PIXELS,
  coverage: COVERAGE,
  band: BAND,
  edge_fraction: EDGE_FRACTION,
  span_fraction: SPAN_FRACTION,
  crossing: CROSSING,
  frame_thin_fraction: FRAME_THIN_FRACTION,
  frame_near: FRAME_NEAR,
  frame_sides: FRAME_SIDES,
  box_align: BOX_ALIGN,
  box_apart: BOX_APART,
  box_far: BOX_FAR,
  box_side: BOX_SIDE,
});

export class Line {
  constructor(horizontal, offset, slope, start, end, covered, spans) {
    this.horizontal = horizontal;
    this.offset = offset; // centre across the line at the middle of the image's axis
    this.slope = slope; // change across per pixel along
    this.start = start; // first position along the line (inclusive)
    this.end = end; // last position along the line (inclusive)
    this.covered = covered; // positions along the line that have a thin run on it
    this.spans = spans;
    this.pixels = []; // flat indices of the runs it removes
    this.wall = false; // a wall between the cells of a form (walls.js): never a stroke of a digit
    this.x0 = 0;
    this.y0 = 0;
    this.x1 = 0; // exclusive
    this.y1 = 0; // exclusive
  }

  get length() {
    return this.end - this.start + 1;
  }

  /** Its box across it, less the drift of its slope along it. */
  get thickness() {
    if (this.horizontal) return this.y1 - this.y0 - Math.abs(this.slope) * (this.x1 - this.x0);
    return this.x1 - this.x0 - Math.abs(this.slope) * (this.y1 - this.y0);
  }

  /**
   * Its centre across itself at a position along it; `side` is the image's side along the line (its width
   * for a flat line, its height for an upright one), whose middle `offset` is measured at.
   */
  acrossAt(along, side) {
    return this.offset + this.slope * (along - side / 2);
  }
}

/**
 * The least-squares line x = meanX + slope * (t - meanT) through the points (ts[i], xs[i]):
 * [slope, meanT, meanX], the slope 0 when every t is the same (pymodel/lines.py's least_squares, summed in
 * the same order).
 */
export function leastSquares(ts, xs) {
  const n = ts.length;
  let st = 0.0;
  let sx = 0.0;
  for (let i = 0; i < n; i++) {
    st += ts[i];
    sx += xs[i];
  }
  const mt = st / n;
  const mx = sx / n;
  let stt = 0.0;
  let stx = 0.0;
  for (let i = 0; i < n; i++) {
    stt += (ts[i] - mt) * (ts[i] - mt);
    stx += (ts[i] - mt) * (xs[i] - mx);
  }
  return [stt > 0 ? stx / stt : 0.0, mt, mx];
}

/** Two finds of one line (from different masks): same direction, position within BAND, slope within two steps. */
export function sameLine(a, b) {
  return a.horizontal === b.horizontal && Math.abs(a.offset - b.offset) <= BAND
    && Math.abs(a.slope - b.slope) <= 2 * SLOPE_STEP;
}

export function thinLimit(w, h) {
  return Math.max(THIN_MIN, Math.floor(Math.min(w, h) * THIN_FRACTION + 0.5));
}

/**
 * The thin runs as points, in lane order: t (position along), c (2 x centre across = a + b - 1), and the
 * run a..b. Python: _points -> a list of (t, c, a, b).
 */
function points(runs, thin, border = null, laneLen = 0) {
  // border: only runs whose centre lies within that many pixels of either end of the lane (lines.py).
  const low = border === null ? Infinity : 2 * border;
  const high = border === null ? -Infinity : 2 * (laneLen - 1 - border);
  const t = [];
  const c = [];
  const a = [];
  const b = [];
  for (let lane = 0; lane < runs.lanes; lane++) {
    for (let i = runs.start[lane]; i < runs.start[lane + 1]; i++) {
      const x0 = runs.x0[i];
      const x1 = runs.x1[i];
      if (x1 - x0 <= thin && (border === null || x0 + x1 - 1 <= low || x0 + x1 - 1 >= high)) {
        t.push(lane);
        c.push(x0 + x1 - 1);
        a.push(x0);
        b.push(x1);
      }
    }
  }
  return { n: t.length, t: Int32Array.from(t), c: Int32Array.from(c), a: Int32Array.from(a), b: Int32Array.from(b) };
}

/** The points whose indices are listed, as a struct of the same shape. */
function subset(pts, indices) {
  const pick = (arr) => Int32Array.from(indices, (i) => arr[i]);
  return { n: indices.length, t: pick(pts.t), c: pick(pts.c), a: pick(pts.a), b: pick(pts.b) };
}

/**
 * The lines among the points, as {members (point indices), offset, slope, first, last, covered}.
 * n = image side along the lines; lanes[t * laneLen + c] is the mask at position t along, c across; a line
 * has at least minLen points (default: LINE_MIN_FRACTION of n, at least LINE_MIN_PIXELS).
 *
 * Python keeps one Counter of bin keys per (slope, shift). Here the counts live in an Int32Array per table;
 * Python's `max(counts, key=counts.get)` picks the first key, in the order keys first appear among the
 * points, whose count is the largest, so the same key is found by scanning the points in order.
 */
function search(pts, n, lanes, laneLen, minLen = Math.max(LINE_MIN_PIXELS, LINE_MIN_FRACTION * n)) {
  const count = pts.n;
  if (count < minLen) return [];
  const centre = n / 2;
  const steps = Math.floor(SLOPE_MAX / SLOPE_STEP + 1e-9);
  const tables = []; // {s, shift, keys, counts (indexed by key - lo)}
  for (let i = -steps; i <= steps; i++) {
    const s = i * SLOPE_STEP;
    const across = new Float64Array(count);
    for (let p = 0; p < count; p++) across[p] = pts.c[p] / 2 - s * (pts.t[p] - centre);
    for (const shift of [0, 1]) {
      const keys = new Int32Array(count);
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < count; p++) {
        const k = Math.floor((across[p] + shift) / 2);
        keys[p] = k;
        if (k < lo) lo = k;
        if (k > hi) hi = k;
      }
      const counts = new Int32Array(hi - lo + 1);
      for (let p = 0; p < count; p++) counts[keys[p] - lo] += 1;
      tables.push({ s, shift, keys, lo, counts });
    }
  }
  const alive = new Uint8Array(count).fill(1);
  const found = [];
  for (;;) {
    let best = 0;
    let bestTable = null;
    for (const table of tables) {
      let top = -Infinity;
      const counts = table.counts;
      for (let k = 0; k < counts.length; k++) if (counts[k] > top) top = counts[k];
      if (top > best) {
        best = top;
        bestTable = table;
      }
    }
    if (best < minLen || bestTable === null) break;
    const { s, shift, keys, lo, counts } = bestTable;
    let key = 0;
    for (let p = 0; p < count; p++) {
      if (counts[keys[p] - lo] === best) {
        key = keys[p];
        break;
      }
    }
    const mid = 2 * key + 1 - shift;
    const near = [];
    for (let p = 0; p < count; p++) {
      if (alive[p] && Math.abs(pts.c[p] / 2 - s * (pts.t[p] - centre) - mid) <= BAND) near.push(p);
    }
    // Least squares across = offset + slope * (along - centre) over the near points.
    const m = near.length;
    let st = 0.0;
    let sc = 0.0;
    let stt = 0.0;
    let stc = 0.0;
    for (const p of near) {
      const t = pts.t[p] - centre;
      const c = pts.c[p] / 2;
      st += t;
      sc += c;
      stt += t * t;
      stc += t * c;
    }
    const den = m * stt - st * st;
    let slope = den > 1e-9 ? (m * stc - st * sc) / den : s;
    if (Math.abs(slope) > SLOPE_MAX + SLOPE_STEP) slope = s;
    const offset = (sc - slope * st) / m;
    let members = [];
    for (let p = 0; p < count; p++) {
      if (alive[p] && Math.abs(pts.c[p] / 2 - offset - slope * (pts.t[p] - centre)) <= BAND) members.push(p);
    }
    if (members.length === 0) members = near;
    // Points come in lane order, so distinct positions along are the changes of t.
    let thinCount = 0;
    let first = Infinity;
    let last = -Infinity;
    let prev = -1;
    for (const p of members) {
      const t = pts.t[p];
      if (t !== prev) thinCount += 1;
      prev = t;
      if (t < first) first = t;
      if (t > last) last = t;
    }
    // Where a stroke crosses the line its run is thick, but the line is still there: count ink.
    let covered = 0;
    for (let t = first; t <= last; t++) {
      const c = Math.floor(offset + slope * (t - centre) + 0.5);
      if (c >= 0 && c < laneLen && lanes[t * laneLen + c]) covered += 1;
    }
    if (thinCount >= minLen && covered >= COVERAGE * (last - first + 1)) {
      found.push({ members, offset, slope, first, last, covered });
    }
    for (const p of members) {
      alive[p] = 0;
      for (const table of tables) table.counts[table.keys[p] - table.lo] -= 1;
    }
  }
  return found;
}

/** The longest run a line erases: CROSSING times its median run; a longer run is a stroke crossing it. */
export function crossingLimit(lengths) {
  const sorted = Float64Array.from(lengths).sort();
  return CROSSING * sorted[Math.floor(sorted.length / 2)];
}

function transpose(mask, w, h) {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) out[x * h + y] = mask[base + x];
  }
  return out;
}

// Whether a line from position first to last (inclusive) along a side n long reaches within EDGE_FRACTION
// of that side's start, and of its end (lines.py's _at_border).
function reachesBorder(first, last, n) {
  const edge = Math.max(2.0, EDGE_FRACTION * n);
  return [first <= edge, last >= n - 1 - edge];
}

/** Whether the line reaches the image's border at its start, and at its end (lines.py's at_border). */
export function atBorder(line, w, h) {
  return reachesBorder(line.start, line.end, line.horizontal ? w : h);
}

/**
 * Horizontal and vertical lines in a flat w x h mask (non-zero = ink); horizontal ones first. Made of runs up
 * to `thin` pixels across (default: thinLimit); with `border`, only of runs whose centre lies within that many
 * pixels of the image's edge across them.
 */
export function findLines(mask, w, h, thin = thinLimit(w, h), border = null) {
  const lines = [];
  for (const horizontal of [true, false]) {
    const [lanes, n, laneLen] = lanesOf(mask, w, h, horizontal);
    const pts = points(rowRuns(lanes, laneLen, n), thin, border, laneLen);
    for (const found of search(pts, n, lanes, laneLen)) lines.push(toLine(horizontal, found, pts, n, w));
  }
  return lines;
}

// [lanes crossing lines that run this way, image side along them, lane length]: horizontal lines are
// crossed by the columns (lanes of length h), vertical ones by the rows (lines.py's _lanes).
function lanesOf(mask, w, h, horizontal) {
  return horizontal ? [transpose(mask, w, h), w, h] : [mask, h, w];
}

// A found line as a Line, with the pixels it erases (lines.py's _line).
function toLine(horizontal, { members, offset, slope, first, last, covered }, pts, n, w) {
  const [atStart, atEnd] = reachesBorder(first, last, n);
  const spans = (atStart && atEnd) || last - first + 1 >= SPAN_FRACTION * n;
  const line = new Line(horizontal, offset, slope, first, last, covered, spans);
  let lo = Infinity;
  let hi = -Infinity;
  const pixels = line.pixels;
  const limit = crossingLimit(members.map((p) => pts.b[p] - pts.a[p]));
  for (const p of members) {
    const t = pts.t[p];
    const a = pts.a[p];
    const b = pts.b[p];
    if (a < lo) lo = a;
    if (b > hi) hi = b;
    if (b - a > limit) continue; // a stroke crossing the line: kept
    if (horizontal) for (let y = a; y < b; y++) pixels.push(y * w + t);
    else for (let x = a; x < b; x++) pixels.push(t * w + x);
  }
  if (horizontal) [line.x0, line.x1, line.y0, line.y1] = [first, last + 1, lo, hi];
  else [line.x0, line.x1, line.y0, line.y1] = [lo, hi, first, last + 1];
  return line;
}

/** The thick sides of a frame round the image (lines.py, frame_lines), those not among `found`. */
export function frameLines(mask, w, h, found) {
  const side = Math.min(w, h);
  const near = FRAME_NEAR * side;
  const thick = Math.max(THIN_MIN, Math.floor(side * FRAME_THIN_FRACTION + 0.5));
  // Runs farther from the edge than a side can lie, tilted as far as the search goes, are left out.
  const reach = near + SLOPE_MAX * Math.max(w, h) / 2 + BAND;
  const border = findLines(mask, w, h, thick, reach).filter(
    (ln) => ln.spans && (ln.offset <= near || ln.offset >= (ln.horizontal ? h : w) - near));
  if (border.length < FRAME_SIDES) return [];
  return border.filter((ln) => !found.some((other) => sameLine(ln, other)));
}

/**
 * The two short sides of a box drawn round the digit, when two sides of it were found (lines.py, box_lines):
 * runs up to twice the thin limit between a facing pair, at each of its ends, at least BOX_SIDE of the
 * pair's distance long; only a box that holds ink.
 */
export function boxLines(mask, w, h, found) {
  const thick = 2 * thinLimit(w, h);
  const out = [];
  for (const horizontal of [true, false]) {
    // The missing sides run this way; the two found run across it.
    const foundSides = found.filter((ln) => ln.horizontal !== horizontal && !ln.spans);
    foundSides.sort((a, b) => across(a)[0] - across(b)[0] || across(a)[1] - across(b)[1]);
    const pairs = [];
    for (let i = 0; i < foundSides.length; i++) {
      for (let j = i + 1; j < foundSides.length; j++) {
        if (facing(foundSides[i], foundSides[j])) pairs.push([foundSides[i], foundSides[j]]);
      }
    }
    if (pairs.length === 0) continue;
    const [lanes, n, laneLen] = lanesOf(mask, w, h, horizontal);
    const pts = points(rowRuns(lanes, laneLen, n), thick);
    // The widest box first, and a line is the side of one box: a 1 inside a box faces its sides too.
    pairs.sort((p, q) => (across(p[0])[0] - across(p[1])[1]) - (across(q[0])[0] - across(q[1])[1]));
    const used = [];
    for (const [a, b] of pairs) {
      if (used.some((ln) => ln === a || ln === b)) continue;
      const lo = across(a)[0];
      const hi = across(b)[1] - 1;
      const sides = [];
      for (const [one, other] of [[a.start, b.start], [a.end, b.end]]) {
        const reach = Math.abs(one - other) / 2 + BAND + 2;
        const middle = (one + other) / 2;
        const near = [];
        for (let p = 0; p < pts.n; p++) {
          if (lo <= pts.t[p] && pts.t[p] <= hi && Math.abs(pts.c[p] / 2 - middle) <= reach) near.push(p);
        }
        const sub = subset(pts, near);
        const got = search(sub, n, lanes, laneLen, BOX_SIDE * (hi - lo + 1));
        if (got.length > 0) sides.push(toLine(horizontal, got[0], sub, n, w));
      }
      if (sides.length === 2 && holdsInk(mask, w, a, b, sides)) {
        used.push(a, b);
        for (const side of sides) takeCorners(side, [a, b], mask, w);
        for (const ln of sides) if (!found.concat(out).some((other) => sameLine(ln, other))) out.push(ln);
      }
    }
  }
  return out;
}

/**
 * Upright lines between two horizontal lines, within the columns both cover: the inner sides of a row of
 * boxes (walls.js; lines.py, lines_between). Runs up to twice the thin limit, lying between the two lines
 * where they are, at least BOX_SIDE of the distance between them long.
 */
export function linesBetween(mask, w, h, top, bottom) {
  const left = Math.max(top.x0, bottom.x0) - BAND;
  const right = Math.min(top.x1, bottom.x1) + BAND;
  const middle = (left + right) / 2;
  const distance = bottom.acrossAt(middle, w) - bottom.thickness / 2 - top.acrossAt(middle, w) - top.thickness / 2;
  if (distance < LINE_MIN_PIXELS) return [];
  const between = (y, x) => left <= x && x <= right
    && top.acrossAt(x, w) + top.thickness / 2 < y && y < bottom.acrossAt(x, w) - bottom.thickness / 2;
  return uprights(mask, w, h, between, BOX_SIDE * distance);
}

/**
 * Upright lines of runs up to twice the thin limit whose centres lie in the window [x0, x1, y0, y1] (bounds
 * included), at least minLen long: a wall of a form where the walls beside it say one stands (walls.js;
 * lines.py, lines_in).
 */
export function linesIn(mask, w, h, [x0, x1, y0, y1], minLen) {
  return uprights(mask, w, h, (y, x) => y0 <= y && y <= y1 && x0 <= x && x <= x1, minLen);
}

// Upright lines at least minLen long, of runs up to twice the thin limit whose centre (y, x) is `where` a
// form's wall may stand (lines.py, _uprights).
function uprights(mask, w, h, where, minLen) {
  const [lanes, n, laneLen] = lanesOf(mask, w, h, false);
  const pts = points(rowRuns(lanes, laneLen, n), 2 * thinLimit(w, h));
  const kept = [];
  for (let p = 0; p < pts.n; p++) if (where(pts.t[p], pts.c[p] / 2)) kept.push(p);
  const sub = subset(pts, kept);
  return search(sub, n, lanes, laneLen, minLen).map((found) => toLine(false, found, sub, n, w));
}

// Add to a box side the ink where it meets the two sides at its ends: there each side's runs are the other's
// length, so neither erases the corner, and it would stay as a fleck beside the digit.
function takeCorners(side, ends, mask, w) {
  for (const end of ends) {
    const [cols, rows] = side.horizontal ? [across(end), across(side)] : [across(side), across(end)];
    for (let y = rows[0]; y < rows[1]; y++) {
      for (let x = cols[0]; x < cols[1]; x++) if (mask[y * w + x]) side.pixels.push(y * w + x);
    }
  }
}

// The pixels a line covers across itself: its columns when upright, its rows when flat.
function across(line) {
  return line.horizontal ? [line.y0, line.y1] : [line.x0, line.x1];
}

// Two parallel lines (a before b across) that may be opposite sides of a box (lines.py's _facing).
function facing(a, b) {
  const shorter = Math.min(a.length, b.length);
  const tol = BOX_ALIGN * Math.max(a.length, b.length);
  const gap = across(b)[0] - across(a)[1];
  return Math.abs(a.start - b.start) <= tol && Math.abs(a.end - b.end) <= tol
    && BOX_APART * shorter <= gap && gap <= BOX_FAR * Math.max(a.length, b.length);
}

// Whether the box that a, b and the two sides make holds at least LINE_MIN_PIXELS of ink clear of its sides.
function holdsInk(mask, w, a, b, sides) {
  const [first, second] = sides.slice().sort((p, q) => across(p)[0] - across(q)[0] || across(p)[1] - across(q)[1]);
  let [lo, hi] = [across(a)[1] + 1, across(b)[0] - 1];
  let [top, bottom] = [across(first)[1] + 1, across(second)[0] - 1];
  if (a.horizontal) [lo, hi, top, bottom] = [top, bottom, lo, hi];
  let count = 0;
  for (let y = Math.max(0, top); y < Math.max(0, bottom); y++) {
    for (let x = Math.max(0, lo); x < Math.min(w, Math.max(0, hi)); x++) if (mask[y * w + x]) count += 1;
  }
  return count >= LINE_MIN_PIXELS;
}
