// Port of pymodel/ink.py: the ink map, how far each pixel is from the paper around it. The algorithm and
// the reasons for each step are in that module's docstring.
import { borderMedian, borderRing, ceilDiv, isqrt, reduceBlocks, roundHalfUp, selectAll } from "./raster.js";

export const CELLS = 8;
export const CELL_MIN = 8;
export const POLARITY_SAMPLE = 16384;
export const NOISE_SAMPLE = 16384;
export const TAIL_END = 0.005;
export const TAIL_RATIO = 1.5;
export const TAIL_MIN = 0.05;
export const TAIL_SAMPLE_MIN = 100;
export const DARK_LEAN = 1.15;
export const CALM_SHARE = 0.25;
export const FLAT = 0.01;
export const STEP_MIN = 0.05;
export const STEP_NOISE = 4.0;
export const ENVELOPE_SIDE = 64;
export const ENVELOPE_SHORT = 24;
export const ENVELOPE_FRACTION = 1 / 12;
export const PAPER_QUANTILE = 0.25;
export const MIN_CONTRAST = 0.12;
export const PLAIN_NOISE = 0.003;
export const PLAIN_FLAT = 0.02;
export const PLAIN_RING = 0.9;
export const PLAIN_AREA = 0.6;
export const MIN_INK_PIXELS = 4;
export const MIN_INK_FRACTION = 0.0002;
export const WEAK_OF_CONTRAST = 0.15;
export const STRONG_OF_CONTRAST = 0.3;
export const WEAK_NOISE = 3.0;
export const STRONG_NOISE = 6.0;

export const PARAMETERS = Object.freeze({
  cells: CELLS,
  cell_min: CELL_MIN,
  polarity_sample: POLARITY_SAMPLE,
  noise_sample: NOISE_SAMPLE,
  tail_end: TAIL_END,
  tail_ratio: TAIL_RATIO,
  tail_min: TAIL_MIN,
  tail_sample_min: TAIL_SAMPLE_MIN,
  dark_lean: DARK_LEAN,
  calm_share: CALM_SHARE,
  flat: FLAT,
  step_min: STEP_MIN,
  step_noise: STEP_NOISE,
  envelope_side: ENVELOPE_SIDE,
  envelope_short: ENVELOPE_SHORT,
  envelope_fraction: ENVELOPE_FRACTION,
  paper_quantile: PAPER_QUANTILE,
  min_contrast: MIN_CONTRAST,
  plain_noise: PLAIN_NOISE,
  plain_flat: PLAIN_FLAT,
  plain_ring: PLAIN_RING,
  plain_area: PLAIN_AREA,
  min_ink_pixels: MIN_INK_PIXELS,
  min_ink_fraction: MIN_INK_FRACTION,
  weak_of_contrast: WEAK_OF_CONTRAST,
  strong_of_contrast: STRONG_OF_CONTRAST,
  weak_noise: WEAK_NOISE,
  strong_noise: STRONG_NOISE,
  polarity: "one-sided residual tail from the median paper surface, else the extreme farther from the border",
});

// Python's CellGrid.stats holds one tuple per cell; here they are STATS consecutive numbers per cell.
export const STATS = 5;
export const SECOND_SMALLEST = 0;
export const Q25 = 1;
export const MEDIAN = 2;
export const Q75 = 3;
export const SECOND_LARGEST = 4;

/** Cell side in px: side / CELLS rounded up, at least CELL_MIN (side: the image's shorter side). */
export function cellGridSize(w, h, side = null) {
  return Math.max(CELL_MIN, ceilDiv(side === null ? Math.min(w, h) : side, CELLS));
}

/**
 * Square cells (CELLS across `side`, by default the shorter side; at least CELL_MIN px), each sorted
 * once: {width, height, size, cols, rows, stats}, stats[STATS * cell + j], quantile i = sorted[(n*i)//4].
 */
export function cellGrid(img, w, h, side = null) {
  const size = cellGridSize(w, h, side);
  const cols = ceilDiv(w, size);
  const rows = ceilDiv(h, size);
  const stats = new Float64Array(STATS * cols * rows);
  const buf = new Float64Array(size * size);
  for (let r = 0; r < rows; r++) {
    const y0 = r * size;
    const y1 = Math.min(h, y0 + size);
    for (let c = 0; c < cols; c++) {
      const x0 = c * size;
      const x1 = Math.min(w, x0 + size);
      let n = 0;
      for (let y = y0; y < y1; y++) {
        const base = y * w;
        for (let x = x0; x < x1; x++) buf[n++] = img[base + x];
      }
      // Python sorts the cell; only these five places of the sorted cell are used.
      const places = [Math.min(1, n - 1), n >> 2, n >> 1, Math.floor((3 * n) / 4), Math.max(0, n - 2)];
      const vals = buf.subarray(0, n);
      selectAll(vals, [...new Set(places)].sort((a, b) => a - b));
      const at = STATS * (r * cols + c);
      for (let j = 0; j < STATS; j++) stats[at + j] = vals[places[j]];
    }
  }
  return { width: w, height: h, size, cols, rows, stats };
}

/** One statistic (Q25, MEDIAN, ...) of every cell, in cell order. */
export function cellStat(grid, j) {
  const n = grid.cols * grid.rows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = grid.stats[STATS * i + j];
  return out;
}

export class InkMap {
  constructor(d, width, height, inverted, noise) {
    this.d = d; // ink strength per pixel: distance from the local paper towards the ink
    this.width = width;
    this.height = height;
    this.inverted = inverted; // true when the ink is darker than the paper
    this.contrast = 0.0;
    this.noise = noise;
    this.weak = 0.0;
    this.strong = 0.0;
    this.empty = true;
    this.masks = new Map();
  }

  /** Step 7 for a given contrast (the whole image's, or what is left once lines are removed). */
  setContrast(contrast) {
    this.contrast = contrast;
    this.weak = Math.max(WEAK_OF_CONTRAST * contrast, WEAK_NOISE * this.noise);
    this.strong = Math.max(STRONG_OF_CONTRAST * contrast, STRONG_NOISE * this.noise);
    this.empty = contrast < MIN_CONTRAST || contrast <= this.strong;
    this.masks.clear();
  }

  /**
   * 1 where d > threshold (default: the weak threshold), as one flat Uint8Array (Python: one bytes
   * object per row). Shared: callers copy before changing it.
   */
  mask(threshold = this.weak) {
    let m = this.masks.get(threshold);
    if (m === undefined) {
      const d = this.d;
      m = new Uint8Array(d.length);
      for (let i = 0; i < d.length; i++) m[i] = d[i] > threshold ? 1 : 0;
      this.masks.set(threshold, m);
    }
    return m;
  }
}

/** Median of each cell's 3x3 neighbourhood (fewer at the edges; upper median for even counts). */
function median3x3(levels, cols, rows) {
  const out = new Float64Array(cols * rows);
  const near = new Float64Array(9);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let n = 0;
      for (let rr = Math.max(0, r - 1); rr < Math.min(rows, r + 2); rr++) {
        for (let cc = Math.max(0, c - 1); cc < Math.min(cols, c + 2); cc++) near[n++] = levels[rr * cols + cc];
      }
      out[r * cols + c] = near.subarray(0, n).sort()[n >> 1];
    }
  }
  return out;
}

/**
 * For each pixel along an axis: the two cells to blend between (c0, c1) and the weight t of the second.
 * Cell centres are the middles of the (possibly partial) cells; outside the outer centres the nearest
 * cell's level holds.
 */
function axisBlend(n, size, cells) {
  const centres = new Float64Array(cells);
  for (let c = 0; c < cells; c++) centres[c] = (c * size + Math.min(n, (c + 1) * size)) / 2;
  const c0 = new Int32Array(n);
  const c1 = new Int32Array(n);
  const t = new Float64Array(n);
  let c = 0;
  for (let i = 0; i < n; i++) {
    const p = i + 0.5;
    while (c + 1 < cells && p > centres[c + 1]) c += 1;
    if (p <= centres[0]) {
      c0[i] = 0;
      c1[i] = 0;
    } else if (c + 1 >= cells) {
      c0[i] = cells - 1;
      c1[i] = cells - 1;
    } else {
      c0[i] = c;
      c1[i] = c + 1;
      t[i] = (p - centres[c]) / (centres[c + 1] - centres[c]);
    }
  }
  return { c0, c1, t };
}

/** One row of the grid blended between grid rows r0 and r1 with weight t (Python: p + (q - p) * t). */
function blendRow(levels, cols, r0, r1, t, out) {
  const a = r0 * cols;
  const b = r1 * cols;
  for (let c = 0; c < cols; c++) {
    const p = levels[a + c];
    out[c] = p + (levels[b + c] - p) * t;
  }
}

/** Bilinear interpolation of a grid of cells (size px, edge cells partial) to every pixel. */
function upsample(levels, cols, rows, size, w, h) {
  const wx = axisBlend(w, size, cols);
  const wy = axisBlend(h, size, rows);
  const out = new Float64Array(w * h);
  const row = new Float64Array(cols);
  const { c0, c1, t } = wx;
  for (let y = 0; y < h; y++) {
    blendRow(levels, cols, wy.c0[y], wy.c1[y], wy.t[y], row);
    const base = y * w;
    for (let x = 0; x < w; x++) {
      const p = row[c0[x]];
      out[base + x] = p + (row[c1[x]] - p) * t[x];
    }
  }
  return out;
}

/**
 * Min or max (wantMax) over a (2r+1) window of a line of n values read with a stride; the line is
 * mirrored at its ends (without repeating the end pixel), or the end pixel repeated when n <= r.
 */
function extremeLine(src, start, stride, n, r, wantMax, dst, dstStart, dstStride) {
  const at = (i) => {
    if (i < 0) i = n > r ? -i : 0;
    else if (i >= n) i = n > r ? 2 * n - 2 - i : n - 1;
    return src[start + i * stride];
  };
  for (let x = 0; x < n; x++) {
    let m = at(x - r);
    for (let i = x - r + 1; i <= x + r; i++) {
      const v = at(i);
      if (wantMax ? v > m : v < m) m = v;
    }
    dst[dstStart + x * dstStride] = m;
  }
}

/** Python's _extreme_filter: a row pass then a column pass, the image mirrored at its edges. */
function extremeFilter(img, w, h, r, wantMax) {
  const rows = new Float64Array(w * h);
  for (let y = 0; y < h; y++) extremeLine(img, y * w, 1, w, r, wantMax, rows, y * w, 1);
  const out = new Float64Array(w * h);
  for (let x = 0; x < w; x++) extremeLine(rows, x, w, h, r, wantMax, out, x, w);
  return out;
}

/** The paper's envelope at a coarse scale (step 4): {env, sw, sh, f}. */
function envelope(img, w, h, inverted) {
  const f = Math.max(1, Math.min(ceilDiv(Math.max(w, h), ENVELOPE_SIDE), Math.floor(Math.min(w, h) / ENVELOPE_SHORT)));
  const small = f > 1 ? reduceBlocks(img, w, h, f) : { gray: img, width: w, height: h };
  const sw = small.width;
  const sh = small.height;
  const r = Math.max(1, roundHalfUp(ENVELOPE_FRACTION * Math.min(sw, sh)));
  // Dark ink: a closing (max, then min) erases the strokes; light ink: an opening.
  const env = extremeFilter(extremeFilter(small.gray, sw, sh, r, inverted), sw, sh, r, !inverted);
  return { env, sw, sh, f };
}

function maxOf(a) {
  let m = a[0];
  for (let i = 1; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

function minOf(a) {
  let m = a[0];
  for (let i = 1; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

/** The local paper level of every pixel (steps 3 and 4), or one number when the paper is uniform. */
export function paperSurface(img, grid, noise, inverted) {
  const { width: w, height: h, cols, rows } = grid;
  // Dark ink: the paper is the bright side (q75); light ink: the dark side (q25).
  const levels = median3x3(cellStat(grid, inverted ? Q75 : Q25), cols, rows);
  if (maxOf(levels) - minOf(levels) <= FLAT) return Float64Array.from(levels).sort()[levels.length >> 1];
  const surface = upsample(levels, cols, rows, grid.size, w, h);
  const step = Math.max(STEP_MIN, STEP_NOISE * noise);
  const gate = new Float64Array(cols * rows);
  const steps = stepping(levels, cols, rows, step);
  let any = false;
  for (let i = 0, st = grid.stats; i < cols * rows; i++) {
    // The paper half of the cell spreads too when a shadow edge crosses it.
    const q = STATS * i;
    const half = inverted ? st[q + Q75] - st[q + MEDIAN] : st[q + MEDIAN] - st[q + Q25];
    if (steps[i] || half > step) {
      gate[i] = 1.0;
      any = true;
    }
  }
  if (!any) return surface;
  const { env, sw, sh, f } = envelope(img, w, h, inverted);
  const env1 = upsample(env, sw, sh, f, w, h);
  const weight = upsample(gate, cols, rows, grid.size, w, h);
  for (let i = 0; i < surface.length; i++) {
    const s = surface[i];
    const e = env1[i];
    // Dark ink: a shadow lowers the paper, so the envelope is taken where it is lower.
    if (inverted ? e < s : e > s) surface[i] = inverted ? s - weight[i] * (s - e) : s + weight[i] * (e - s);
  }
  return surface;
}

/**
 * Step 6's noise: median absolute difference of horizontal neighbours on every s-th row (enough rows for
 * about NOISE_SAMPLE pairs) / 0.954, a Gaussian's sigma. Lighting changes slowly and strokes have few
 * edges, so neither counts.
 */
export function noiseLevel(img, w, h) {
  if (w < 2) return 0.0;
  const step = Math.max(1, Math.floor(h / Math.max(1, Math.floor(NOISE_SAMPLE / (w - 1)))));
  const diffs = new Float64Array(Math.ceil(h / step) * (w - 1));
  let n = 0;
  for (let y = 0; y < h; y += step) {
    const base = y * w;
    for (let x = 1; x < w; x++) diffs[n++] = Math.abs(img[base + x] - img[base + x - 1]);
  }
  // Python sorts them and reads the middle place.
  const mid = n >> 1;
  selectAll(diffs, [mid]);
  return diffs[mid] / 0.954;
}

/** For each cell, whether the levels of its 3x3 neighbourhood spread by more than step (ink.py). */
export function stepping(levels, cols, rows, step) {
  const out = new Uint8Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let rr = Math.max(0, r - 1); rr < Math.min(rows, r + 2); rr++) {
        for (let cc = Math.max(0, c - 1); cc < Math.min(cols, c + 2); cc++) {
          const v = levels[rr * cols + cc];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      out[r * cols + c] = hi - lo > step ? 1 : 0;
    }
  }
  return out;
}

// Step 2's residual tails [dark, light] over the sample pixels, leaving out the cells marked in skip (then
// null when fewer than TAIL_SAMPLE_MIN pixels are left).
function tails(img, w, h, grid, levels, skip = null) {
  const { cols, size } = grid;
  const step = Math.max(1, isqrt(Math.floor((w * h) / POLARITY_SAMPLE)));
  const wx = axisBlend(w, size, cols);
  const wy = axisBlend(h, size, grid.rows);
  const residuals = new Float64Array(Math.ceil(h / step) * Math.ceil(w / step));
  const row = new Float64Array(cols);
  let n = 0;
  for (let y = 0; y < h; y += step) {
    blendRow(levels, cols, wy.c0[y], wy.c1[y], wy.t[y], row);
    const base = y * w;
    const cellRow = Math.floor(y / size) * cols;
    for (let x = 0; x < w; x += step) {
      if (skip && skip[cellRow + Math.floor(x / size)]) continue;
      const p = row[wx.c0[x]];
      residuals[n++] = img[base + x] - (p + (row[wx.c1[x]] - p) * wx.t[x]);
    }
  }
  if (skip && n < TAIL_SAMPLE_MIN) return null;
  // Python sorts them; only the two tails' places are used.
  const k = Math.floor(TAIL_END * (n - 1));
  const used = residuals.subarray(0, n);
  selectAll(used, k === n - 1 - k ? [k] : [k, n - 1 - k]);
  return [-used[k], used[n - 1 - k]];
}

/** Step 2: true when the ink is darker than the paper (ink.py). noise: step 6's, for the lighting-edge check. */
export function polarity(img, w, h, grid, flat = false, noise = 0) {
  const levels = median3x3(cellStat(grid, MEDIAN), grid.cols, grid.rows);
  const [dark, light] = tails(img, w, h, grid, levels);
  if (verdict(img, w, h, grid, dark, light, flat)) return true;
  if (flat) return false;
  // A light verdict is checked away from lighting edges: the lit corner of a photo mostly in shadow (and
  // not overturned by the faint dark tail a light smudge leaves beside bold light strokes: CALM_SHARE).
  const calm = tails(img, w, h, grid, levels, stepping(levels, grid.cols, grid.rows, Math.max(STEP_MIN, STEP_NOISE * noise)));
  return calm !== null && calm[0] >= TAIL_MIN && calm[0] > TAIL_RATIO * calm[1] && calm[0] >= CALM_SHARE * light;
}

// Step 2 before the lighting-edge check: the tails (dark, light), then the cells, then the border.
function verdict(img, w, h, grid, dark, light, flat) {
  if (dark >= TAIL_MIN && dark > TAIL_RATIO * light) return true;
  if (light >= TAIL_MIN && light > TAIL_RATIO * dark) return false;
  // Thin ink lies beyond a cell's quartile on its side; a lit or shadowed area filling a cell does not.
  let darkSpread = 0;
  let lightSpread = 0;
  for (let i = 0, st = grid.stats; i < grid.cols * grid.rows; i++) {
    darkSpread += st[STATS * i + Q25] - st[STATS * i + SECOND_SMALLEST];
    lightSpread += st[STATS * i + SECOND_LARGEST] - st[STATS * i + Q75];
  }
  // Bold dark ink leans light, so a light lean must be clear; a dark lean with tied tails is ink in a hard
  // shadow. Inside a filled region a bold light digit leans dark the same way (ink.py, step 2).
  if (darkSpread > (flat ? TAIL_RATIO : DARK_LEAN) * lightSpread) return true;
  if (lightSpread > TAIL_RATIO * darkSpread) return false;
  const paper = borderMedian(img, w, h);
  const darkest = minOf(cellStat(grid, SECOND_SMALLEST));
  const brightest = maxOf(cellStat(grid, SECOND_LARGEST));
  return paper - darkest > brightest - paper;
}

/** Step 0: the paper's one level when the background is plain, else null. */
export function plainLevel(img, w, h, noise) {
  if (noise >= PLAIN_NOISE) return null;
  const level = borderMedian(img, w, h);
  const ring = borderRing(img, w, h);
  if (ring.filter((v) => Math.abs(v - level) <= PLAIN_FLAT).length < PLAIN_RING * ring.length) return null;
  let n = 0;
  for (const v of img) if (Math.abs(v - level) <= PLAIN_FLAT) n++;
  return n >= PLAIN_AREA * img.length ? level : null;
}

/**
 * Steps 0-7. flat: the paper is known to be one colour (the inside of a plot or a canvas), so its level
 * is the border median, however much of it a bold digit covers. noise: step 6's, when known.
 */
export function inkMap(img, w, h, grid = null, flat = false, noise = null) {
  noise = noise === null ? noiseLevel(img, w, h) : noise;
  const plain = flat ? null : plainLevel(img, w, h, noise);
  let inverted;
  let surface;
  if (plain !== null) {
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of img) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    inverted = plain - lo > hi - plain;
    surface = plain;
  } else {
    grid = grid || cellGrid(img, w, h);
    inverted = polarity(img, w, h, grid, flat, noise);
    surface = flat ? borderMedian(img, w, h) : paperSurface(img, grid, noise, inverted);
  }
  const d = new Float64Array(w * h);
  if (typeof surface === "number") {
    if (inverted) for (let i = 0; i < d.length; i++) d[i] = surface - img[i];
    else for (let i = 0; i < d.length; i++) d[i] = img[i] - surface;
  } else if (inverted) {
    for (let i = 0; i < d.length; i++) d[i] = surface[i] - img[i];
  } else {
    for (let i = 0; i < d.length; i++) d[i] = img[i] - surface[i];
  }
  const ink = new InkMap(d, w, h, inverted, noise);
  ink.setContrast(topInk(d, w * h));
  return ink;
}

/**
 * The contrast: the K-th largest ink strength, K = max(MIN_INK_PIXELS, MIN_INK_FRACTION * area)
 * (0 when there are fewer values). d may be any array-like of numbers, length <= or == area.
 */
export function topInk(d, area) {
  const k = Math.max(MIN_INK_PIXELS, Math.trunc(MIN_INK_FRACTION * area));
  const n = d.length;
  if (n < k) return 0.0;
  // The k largest so far, in descending order; only a value above the smallest of them gets in.
  const top = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = d[i];
    let j = i;
    while (j > 0 && top[j - 1] < v) {
      top[j] = top[j - 1];
      j -= 1;
    }
    top[j] = v;
  }
  let floor = top[k - 1];
  for (let i = k; i < n; i++) {
    const v = d[i];
    if (v <= floor) continue;
    let j = k - 1;
    while (j > 0 && top[j - 1] < v) {
      top[j] = top[j - 1];
      j -= 1;
    }
    top[j] = v;
    floor = top[k - 1];
  }
  return floor;
}
