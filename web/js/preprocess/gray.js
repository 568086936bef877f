// Port of pymodel/imageio.py's rgba_to_gray_array and ink_channel: colour to the grey that best separates
// ink from paper (the steps are in that module's docstring). Every value is computed with the same double
// operations as NumPy's element-wise ones, so the grey is bit-identical.
import { select } from "./raster.js";

export const LUMA = Object.freeze([0.299, 0.587, 0.114]);
export const GRAY_SAMPLE = 65536;
export const PAPER_CHROMA = 0.15;
export const INK_CHROMA = 0.15;
export const INK_MIN_PIXELS = 8;
export const INK_MIN_FRACTION = 0.001;
export const INK_MAX_FRACTION = 0.25;
export const GRAY_MARGIN = 1.2;

// composite[256 * alpha + value]: a channel value (0..255) flattened onto white, NumPy's
// c / 255 * a + (1 - a) with a = alpha / 255. A table, because a photo has a million pixels.
let compositeTable = null;

function composite() {
  if (compositeTable === null) {
    compositeTable = new Float64Array(256 * 256);
    for (let alpha = 0; alpha < 256; alpha++) {
      const a = alpha / 255;
      for (let c = 0; c < 256; c++) compositeTable[256 * alpha + c] = (c / 255) * a + (1.0 - a);
    }
  }
  return compositeTable;
}

/**
 * Python's _median (the upper median, sorted[len // 2]) of the composites of `count` channel values,
 * given as table keys 256 * alpha + value. When every alpha is 255 the composite grows with the value,
 * so a histogram of the 256 values finds it; otherwise the composites are selected.
 */
function median(keys, count, opaque) {
  const table = composite();
  const k = count >> 1;
  if (opaque) {
    const hist = new Int32Array(256);
    for (let i = 0; i < count; i++) hist[keys[i] & 255] += 1;
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += hist[v];
      if (seen > k) return table[256 * 255 + v];
    }
  }
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = table[keys[i]];
  return select(values, k);
}

/**
 * -1 for luma, else the channel (0 R, 1 G, 2 B) that separates coloured ink from paper best.
 * rgba: 8-bit RGBA values, n pixels.
 */
export function inkChannel(rgba, n) {
  const table = composite();
  const step = Math.max(1, Math.floor(n / GRAY_SAMPLE));
  const m = Math.ceil(n / step);
  const keys = [new Uint16Array(m), new Uint16Array(m), new Uint16Array(m)];
  const chroma = new Float64Array(m);
  let opaque = true;
  for (let s = 0, j = 0; s < m; s++, j += 4 * step) {
    const alpha = rgba[j + 3];
    if (alpha !== 255) opaque = false;
    const kr = 256 * alpha + rgba[j];
    const kg = 256 * alpha + rgba[j + 1];
    const kb = 256 * alpha + rgba[j + 2];
    keys[0][s] = kr;
    keys[1][s] = kg;
    keys[2][s] = kb;
    const r = table[kr];
    const g = table[kg];
    const b = table[kb];
    chroma[s] = Math.max(r, g, b) - Math.min(r, g, b);
  }
  const paper = keys.map((ch) => median(ch, m, opaque));
  const paperChroma = Math.max(...paper) - Math.min(...paper);
  if (paperChroma > PAPER_CHROMA) return -1; // not paper: a colour map, a photo of something else
  const limit = paperChroma + INK_CHROMA;
  let count = 0;
  for (let s = 0; s < m; s++) if (chroma[s] >= limit) count += 1;
  if (!(Math.max(INK_MIN_PIXELS, INK_MIN_FRACTION * m) <= count && count <= INK_MAX_FRACTION * m)) return -1;
  const ink = keys.map((ch) => {
    const inky = new Uint16Array(count);
    let k = 0;
    for (let s = 0; s < m; s++) if (chroma[s] >= limit) inky[k++] = ch[s];
    return median(inky, count, opaque);
  });
  const diff = [0, 1, 2].map((c) => Math.abs(paper[c] - ink[c]));
  const luma = Math.abs(LUMA[0] * (paper[0] - ink[0]) + LUMA[1] * (paper[1] - ink[1]) + LUMA[2] * (paper[2] - ink[2]));
  let best = 0;
  for (let c = 1; c < 3; c++) if (diff[c] > diff[best]) best = c; // the first of equals, as Python's max()
  return diff[best] >= GRAY_MARGIN * luma ? best : -1;
}

function checkSize(rgba, width, height) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size ${width}x${height} is not a positive pair of integers`);
  }
  if (!rgba || rgba.length !== 4 * width * height) {
    const got = rgba ? rgba.length : 0;
    throw new Error(`got ${got} RGBA values for a ${width}x${height} image (expected ${4 * width * height})`);
  }
}

// Luma of an opaque pixel from three 256-entry tables: composite * weight is the same double product
// either way, and the sum keeps the order r + g + b, so the grey is unchanged; a megapixel photo is
// nearly always opaque, and small tables stay in the fastest cache.
let opaqueLuma = null;

function lumaTables(table) {
  if (opaqueLuma === null) {
    opaqueLuma = LUMA.map((weight) => Float64Array.from({ length: 256 }, (_, v) => table[256 * 255 + v] * weight));
  }
  return opaqueLuma;
}

/** Grey of pixels [start, start + count) into out[0..count): the ink channel, or luma when channel < 0. */
function grayPixels(rgba, start, count, channel, out) {
  const table = composite();
  if (channel >= 0) {
    for (let i = 0, j = 4 * start; i < count; i++, j += 4) out[i] = table[256 * rgba[j + 3] + rgba[j + channel]];
    return;
  }
  const [wr, wg, wb] = LUMA;
  const [lr, lg, lb] = lumaTables(table);
  for (let i = 0, j = 4 * start; i < count; i++, j += 4) {
    const alpha = rgba[j + 3];
    if (alpha === 255) {
      out[i] = lr[rgba[j]] + lg[rgba[j + 1]] + lb[rgba[j + 2]];
    } else {
      const key = 256 * alpha;
      out[i] = table[key + rgba[j]] * wr + table[key + rgba[j + 1]] * wg + table[key + rgba[j + 2]] * wb;
    }
  }
}

/**
 * 8-bit RGBA (canvas ImageData.data), width x height -> Float64Array grey in [0, 1] (0 black): flattened
 * onto white (a transparent canvas or PNG is paper), then the ink-separating channel or luma.
 */
export function rgbaToGray(rgba, width, height) {
  checkSize(rgba, width, height);
  const n = width * height;
  const out = new Float64Array(n);
  grayPixels(rgba, 0, n, inkChannel(rgba, n), out);
  return out;
}

/**
 * The rows of rgbaToGray one at a time: rowAt(y) fills and returns one reused row buffer. For reducing
 * a large photo without holding its full-size grey (raster.js reduceRows).
 */
export function grayRows(rgba, width, height) {
  checkSize(rgba, width, height);
  const channel = inkChannel(rgba, width * height);
  const row = new Float64Array(width);
  return (y) => {
    grayPixels(rgba, y * width, width, channel, row);
    return row;
  };
}
