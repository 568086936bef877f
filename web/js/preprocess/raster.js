// Port of pymodel/raster.py (small raster helpers: rounding, block reduction, medians, boxes).
// Images are flat row-major Float64Arrays. The order of every addition is Python's, so sums are
// bit-identical.

/** floor(x + 0.5): the spec's rounding (Math.round differs at 0.49999999999999994 and is not used). */
export function roundHalfUp(x) {
  return Math.floor(x + 0.5);
}

/** Python's -(-a // b) for non-negative integers a and positive b. */
export function ceilDiv(a, b) {
  return Math.floor((a + b - 1) / b);
}

/** Python's math.isqrt for a non-negative integer. */
export function isqrt(n) {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r -= 1;
  while ((r + 1) * (r + 1) <= n) r += 1;
  return r;
}

/**
 * Average k x k blocks -> {gray, width, height}; partial blocks at the right and bottom edges average
 * what they cover. Additions in Python's order: the block's rows element-wise (row 0 + row 1 + ...),
 * then its columns (column 0 + column 1 + ...), then one division.
 */
export function reduceBlocks(gray, width, height, k) {
  const values = ArrayBuffer.isView(gray) ? gray : Float64Array.from(gray);
  return reduceRows((y) => values.subarray(y * width, (y + 1) * width), width, height, k);
}

/**
 * reduceBlocks over rows handed out one at a time by rowAt(y) (a Float64Array of `width` values, read
 * before the next row is asked for), so a megapixel photo never needs its full-size grey array.
 */
export function reduceRows(rowAt, width, height, k) {
  const outW = ceilDiv(width, k);
  const outH = ceilDiv(height, k);
  const lastCols = width - (outW - 1) * k;
  const acc = new Float64Array(outW * k); // the zeros past `width` are Python's padding
  const out = new Float64Array(outW * outH);
  for (let by = 0; by < outH; by++) {
    const y0 = by * k;
    const y1 = Math.min(height, y0 + k);
    let row = rowAt(y0);
    for (let x = 0; x < width; x++) acc[x] = row[x];
    for (let y = y0 + 1; y < y1; y++) {
      row = rowAt(y);
      for (let x = 0; x < width; x++) acc[x] = acc[x] + row[x];
    }
    const nRows = y1 - y0;
    const full = nRows * k;
    const base = by * outW;
    for (let bx = 0; bx < outW; bx++) {
      const start = bx * k;
      let s = acc[start];
      for (let j = 1; j < k; j++) s = s + acc[start + j];
      out[base + bx] = bx === outW - 1 ? s / (nRows * lastCols) : s / full;
    }
  }
  return { gray: out, width: outW, height: outH };
}

/**
 * The element at index k of values[lo..hi] sorted ascending, found by quickselect: values is reordered so
 * that values[lo..k-1] <= values[k] <= values[k+1..hi]. The same number a full sort would put at k, in
 * linear time; Python sorts, which only costs more.
 */
export function select(values, k, lo = 0, hi = values.length - 1) {
  let rounds = 64; // median-of-three pivots are quadratic on rare orders: then sort what is left
  while (hi > lo) {
    if (--rounds < 0) {
      values.subarray(lo, hi + 1).sort();
      return values[k];
    }
    const a = values[lo];
    const b = values[(lo + hi) >> 1];
    const c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i += 1;
      while (values[j] > pivot) j -= 1;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/**
 * Several order statistics at once: after it, values[k] is the sorted array's element k for every k in
 * ks (ascending, within values), as if values had been sorted.
 */
export function selectAll(values, ks, lo = 0, hi = values.length - 1, first = 0, last = ks.length - 1) {
  if (first > last) return;
  const m = (first + last) >> 1;
  const k = ks[m];
  select(values, k, lo, hi);
  selectAll(values, ks, lo, k - 1, first, m - 1);
  selectAll(values, ks, k + 1, hi, m + 1, last);
}

/** Median of an already sorted, non-empty array (mean of the middle two for even length). */
export function medianSorted(values) {
  const n = values.length;
  const m = n >> 1;
  return n % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/** The pixels of the border ring, width max(1, min(w, h) // 16), row by row. */
export function borderRing(img, w, h) {
  const ring = Math.max(1, Math.floor(Math.min(w, h) / 16));
  const out = new Float64Array(2 * ring * w + 2 * ring * h);
  let n = 0;
  for (let y = 0; y < h; y++) {
    const base = y * w;
    if (y < ring || y >= h - ring) {
      for (let x = 0; x < w; x++) out[n++] = img[base + x];
    } else {
      // Both ends, like Python's row[:ring] + row[w - ring:] (one pixel twice when w == 1).
      for (let x = 0; x < ring; x++) out[n++] = img[base + x];
      for (let x = w - ring; x < w; x++) out[n++] = img[base + x];
    }
  }
  return out.subarray(0, n);
}

/** Python's median_sorted(sorted(border_ring(...))), by selection. */
export function borderMedian(img, w, h) {
  const values = borderRing(img, w, h);
  const n = values.length;
  const m = n >> 1;
  if (n % 2) return select(values, m);
  selectAll(values, [m - 1, m]);
  return (values[m - 1] + values[m]) / 2;
}

export function crop(img, w, x0, y0, x1, y1) {
  const cw = x1 - x0;
  const out = new Float64Array(cw * (y1 - y0));
  for (let y = y0; y < y1; y++) out.set(img.subarray(y * w + x0, y * w + x1), (y - y0) * cw);
  return out;
}

/**
 * A box [x, y, w, h] in pixels of an image reduced by k x k blocks -> pixels of the width x height
 * original; block i covers source pixels [i*k, min((i+1)*k, size)), so the far edges are clipped.
 */
/** Each pixel repeated k times across and down: {gray, width: w * k, height: h * k}. */
export function enlarge(img, w, h, k) {
  const out = new Float64Array(w * k * h * k);
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let r = 0; r < k; r++) {
      for (let x = 0; x < w; x++) {
        const v = img[y * w + x];
        for (let c = 0; c < k; c++) out[n++] = v;
      }
    }
  }
  return { gray: out, width: w * k, height: h * k };
}

/** A box [x, y, w, h] in pixels of an image enlarged k times -> the pixels of the original it covers. */
export function shrinkBox(box, k) {
  const [x, y, w, h] = box;
  const [x0, y0] = [Math.floor(x / k), Math.floor(y / k)];
  const [x1, y1] = [Math.ceil((x + w) / k), Math.ceil((y + h) / k)];
  return [x0, y0, x1 - x0, y1 - y0];
}

export function scaleBox(box, k, width, height) {
  const [x, y, w, h] = box;
  const x0 = x * k;
  const y0 = y * k;
  const x1 = Math.min(width, (x + w) * k);
  const y1 = Math.min(height, (y + h) * k);
  return [x0, y0, x1 - x0, y1 - y0];
}

/** The margin withMargin and withSideMargin put round a w x h image (pymodel/raster.py's margin_width). */
export function marginWidth(w, h) {
  return Math.floor((Math.max(w, h) + 2) / 4) + 2;
}

/**
 * The image inside a margin of plain paper of grey `paper` on every side: {gray, width, height, pad}, the
 * margin marginWidth wide (pymodel/raster.py's with_margin). read.js's second look at a tight crop takes
 * the paper from the border ring, region-crop.js from the whole crop.
 */
export function withMargin(img, w, h, paper) {
  const src = ArrayBuffer.isView(img) ? img : Float64Array.from(img);
  const pad = marginWidth(w, h);
  const width = w + 2 * pad;
  const out = new Float64Array(width * (h + 2 * pad)).fill(paper);
  for (let y = 0; y < h; y++) out.set(src.subarray(y * w, (y + 1) * w), (y + pad) * width + pad);
  return { gray: out, width, height: h + 2 * pad, pad };
}

export const SIDE_SEGMENTS = 8; // pymodel/raster.py's SIDE_SEGMENTS

/**
 * The paper along one side of an image, pixel by pixel (pymodel/raster.py's side_paper): the side cut into
 * SIDE_SEGMENTS segments, each given the median of itself and its two neighbours, interpolated linearly
 * between the segments' centres.
 */
export function sidePaper(values) {
  const n = values.length;
  const k = Math.min(SIDE_SEGMENTS, n);
  const bounds = [];
  for (let i = 0; i <= k; i++) bounds.push(Math.floor((i * n) / k));
  const medians = [];
  for (let i = 0; i < k; i++) {
    const pool = Array.from(values.slice(bounds[Math.max(0, i - 1)], bounds[Math.min(k, i + 2)]));
    pool.sort((a, b) => a - b);
    medians.push(medianSorted(pool));
  }
  const centres = [];
  for (let i = 0; i < k; i++) centres.push((bounds[i] + bounds[i + 1] - 1) / 2);
  const out = new Array(n);
  let j = 0;
  for (let x = 0; x < n; x++) {
    if (x <= centres[0]) {
      out[x] = medians[0];
    } else if (x >= centres[k - 1]) {
      out[x] = medians[k - 1];
    } else {
      while (x > centres[j + 1]) j += 1;
      const t = (x - centres[j]) / (centres[j + 1] - centres[j]);
      out[x] = medians[j] * (1 - t) + medians[j + 1] * t;
    }
  }
  return out;
}

/**
 * The image inside a margin that continues the paper of each of its sides outwards (sidePaper; the corners
 * take the mean of the two sides meeting there): {gray, width, height, pad}, the margin marginWidth wide
 * (pymodel/raster.py's with_side_margin). read.js's third look at a tight crop.
 */
export function withSideMargin(img, w, h) {
  const src = ArrayBuffer.isView(img) ? img : Float64Array.from(img);
  const pad = marginWidth(w, h);
  const column = (x) => Array.from({ length: h }, (_, y) => src[y * w + x]);
  const top = sidePaper(src.subarray(0, w));
  const bottom = sidePaper(src.subarray((h - 1) * w, h * w));
  const left = sidePaper(column(0));
  const right = sidePaper(column(w - 1));
  const width = w + 2 * pad;
  const height = h + 2 * pad;
  const out = new Float64Array(width * height);
  const corner = [(top[0] + left[0]) / 2, (top[w - 1] + right[0]) / 2,
    (bottom[0] + left[h - 1]) / 2, (bottom[w - 1] + right[h - 1]) / 2];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (y < pad || y >= pad + h) {
      const side = y < pad ? top : bottom;
      const c = y < pad ? 0 : 2;
      out.fill(corner[c], row, row + pad);
      for (let x = 0; x < w; x++) out[row + pad + x] = side[x];
      out.fill(corner[c + 1], row + pad + w, row + width);
    } else {
      out.fill(left[y - pad], row, row + pad);
      out.set(src.subarray((y - pad) * w, (y - pad + 1) * w), row + pad);
      out.fill(right[y - pad], row + pad + w, row + width);
    }
  }
  return { gray: out, width, height, pad };
}

/** A box [x, y, w, h] in pixels of withMargin's image -> the pixels of the w x h image inside it. */
export function unmarginBox(box, pad, w, h) {
  if (!box) return box;
  const x0 = Math.min(w, Math.max(0, box[0] - pad));
  const y0 = Math.min(h, Math.max(0, box[1] - pad));
  const x1 = Math.min(w, Math.max(0, box[0] + box[2] - pad));
  const y1 = Math.min(h, Math.max(0, box[1] + box[3] - pad));
  return [x0, y0, x1 - x0, y1 - y0];
}
