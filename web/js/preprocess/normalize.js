// Port of pymodel/normalize.py: from the digit's pixels to the 28x28 picture MNIST digits look like
// (light ink on black). The steps are in that module's docstring.
import { roundHalfUp } from "./raster.js";

export const SIZE = 28;
export const FIT = 20;
export const TARGET_STROKE = 2.0; // MNIST strokes are about 2-3 px wide at 28x28
export const MAX_DILATE = 8;
export const LEVEL_QUANTILE = 0.8;

export const PARAMETERS = Object.freeze({
  size: SIZE,
  fit: FIT,
  target_stroke: TARGET_STROKE,
  max_dilate: MAX_DILATE,
  level_quantile: LEVEL_QUANTILE,
  centering: "center of mass",
});

/**
 * Steps 1 and 2: the digit's ink values inside its box [x, y, w, h], 0 elsewhere. runs: y, x0, x1 flat;
 * extra: flat pixel indices (lines given back to the digit).
 */
export function digitValues(d, w, runs, extra, weak, box) {
  const [bx, by, cw, ch] = box;
  let n = extra.length;
  for (let r = 0; r < runs.length; r += 3) n += runs[r + 2] - runs[r + 1];
  const strengths = new Float64Array(n);
  let k = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const base = runs[r] * w;
    for (let i = base + runs[r + 1]; i < base + runs[r + 2]; i++) strengths[k++] = d[i];
  }
  for (const i of extra) strengths[k++] = d[i];
  strengths.sort();
  let level = strengths[Math.floor(LEVEL_QUANTILE * (n - 1))];
  if (level <= weak) level = strengths[n - 1];
  const span = level - weak;
  const out = new Float64Array(cw * ch);
  if (span <= 0.0) return out;
  const value = (v) => {
    const t = (v - weak) / span;
    return t <= 0.0 ? 0.0 : t >= 1.0 ? 1.0 : t;
  };
  for (let r = 0; r < runs.length; r += 3) {
    const y = runs[r];
    const x0 = runs[r + 1];
    const x1 = runs[r + 2];
    const src = y * w;
    const dst = (y - by) * cw - bx;
    for (let x = x0; x < x1; x++) out[dst + x] = value(d[src + x]);
  }
  for (const i of extra) {
    const y = Math.floor(i / w);
    const x = i - y * w;
    out[(y - by) * cw + x - bx] = value(d[i]);
  }
  return out;
}

/** Grey dilation with a (2r+1) square of non-negative values (zero outside), row pass then column pass. */
function dilate(img, w, h, r) {
  const rows = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) {
      let m = 0.0;
      const end = base + Math.min(w, x + r + 1);
      for (let i = base + Math.max(0, x - r); i < end; i++) if (img[i] > m) m = img[i];
      rows[base + x] = m;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const yEnd = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      let m = 0.0;
      for (let yy = Math.max(0, y - r); yy < yEnd; yy++) {
        const v = rows[yy * w + x];
        if (v > m) m = v;
      }
      out[y * w + x] = m;
    }
  }
  return out;
}

/** 2 * area / perimeter of the ink mask (pixels above 0.5), in source pixels. */
function strokeWidth(img, w, h) {
  let area = 0;
  let edges = 0;
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) {
      if (img[base + x] > 0.5) {
        area += 1;
        if (x === 0 || img[base + x - 1] <= 0.5) edges += 1;
        if (x === w - 1 || img[base + x + 1] <= 0.5) edges += 1;
        if (y === 0 || img[base - w + x] <= 0.5) edges += 1;
        if (y === h - 1 || img[base + w + x] <= 0.5) edges += 1;
      }
    }
  }
  return edges ? (2.0 * area) / edges : 0.0;
}

/**
 * For each output index, the [source index, weight] pairs: area overlap when shrinking, linear when
 * enlarging. Weights of one output sum to 1.
 */
function axisWeights(src, dst) {
  const scale = src / dst;
  const table = [];
  for (let i = 0; i < dst; i++) {
    let pairs;
    if (scale >= 1.0) {
      const lo = i * scale;
      const hi = (i + 1) * scale;
      pairs = [];
      for (let j = Math.floor(lo); j < hi && j < src; j++) {
        const overlap = Math.min(hi, j + 1) - Math.max(lo, j);
        if (overlap > 1e-12) pairs.push([j, overlap / scale]);
      }
    } else {
      const c = (i + 0.5) * scale - 0.5;
      const j0 = Math.floor(c);
      const t = c - j0;
      const a = Math.min(Math.max(j0, 0), src - 1);
      const b = Math.min(Math.max(j0 + 1, 0), src - 1);
      pairs = a !== b ? [[a, 1.0 - t], [b, t]] : [[a, 1.0]];
    }
    table.push(pairs);
  }
  return table;
}

/**
 * Separable resize (pymodel/normalize.py's _resize): rows first, then columns; each output is its products
 * added in order. Also the row reader's picture (rows.js).
 */
export function resize(img, w, h, newW, newH) {
  const wx = axisWeights(w, newW);
  const wy = axisWeights(h, newH);
  const rows = new Float64Array(h * newW);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < newW; x++) {
      const pairs = wx[x];
      let s = img[base + pairs[0][0]] * pairs[0][1];
      for (let p = 1; p < pairs.length; p++) s += img[base + pairs[p][0]] * pairs[p][1];
      rows[y * newW + x] = s;
    }
  }
  const out = new Float64Array(newW * newH);
  for (let y = 0; y < newH; y++) {
    const pairs = wy[y];
    for (let x = 0; x < newW; x++) {
      let s = rows[pairs[0][0] * newW + x] * pairs[0][1];
      for (let p = 1; p < pairs.length; p++) s += rows[pairs[p][0] * newW + x] * pairs[p][1];
      out[y * newW + x] = s;
    }
  }
  return out;
}

/** Steps 3-5 on the cropped values (cw x ch): a Float64Array(784), or null when nothing is left. */
export function toMnist(img, cw, ch) {
  let factor = FIT / Math.max(cw, ch);
  const widthNow = strokeWidth(img, cw, ch) * factor;
  if (widthNow < TARGET_STROKE) {
    const r = Math.min(MAX_DILATE, roundHalfUp((TARGET_STROKE - widthNow) / (2.0 * factor)));
    if (r > 0) {
      const pw = cw + 2 * r;
      const ph = ch + 2 * r;
      const padded = new Float64Array(pw * ph);
      for (let y = 0; y < ch; y++) padded.set(img.subarray(y * cw, (y + 1) * cw), (y + r) * pw + r);
      img = dilate(padded, pw, ph, r);
      cw = pw;
      ch = ph;
      factor = FIT / Math.max(cw, ch);
    }
  }

  const newW = Math.max(1, Math.min(FIT, roundHalfUp(cw * factor)));
  const newH = Math.max(1, Math.min(FIT, roundHalfUp(ch * factor)));
  const small = resize(img, cw, ch, newW, newH);
  let peak = small[0];
  for (let i = 1; i < small.length; i++) if (small[i] > peak) peak = small[i];
  if (peak <= 0.0) return null;
  for (let i = 0; i < small.length; i++) small[i] = small[i] / peak;

  // Sums in Python's row-major order.
  let mass = small[0];
  for (let i = 1; i < small.length; i++) mass += small[i];
  let sx = small[0] * 0.5;
  let sy = small[0] * 0.5;
  for (let i = 1; i < small.length; i++) {
    const y = Math.floor(i / newW);
    const x = i - y * newW;
    sx += small[i] * (x + 0.5);
    sy += small[i] * (y + 0.5);
  }
  const cx = sx / mass;
  const cy = sy / mass;
  const left = Math.min(Math.max(roundHalfUp(SIZE / 2 - cx), 0), SIZE - newW);
  const top = Math.min(Math.max(roundHalfUp(SIZE / 2 - cy), 0), SIZE - newH);
  const out = new Float64Array(SIZE * SIZE);
  for (let y = 0; y < newH; y++) out.set(small.subarray(y * newW, (y + 1) * newW), (top + y) * SIZE + left);
  return out;
}
