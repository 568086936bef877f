// Port of pymodel/region.py: a big filled rectangle that holds the digit (the colour-mapped area of a
// plot, or a dark canvas in a light window). The rules are in that module's docstring.
import { MEDIAN, Q25, Q75, STATS } from "./ink.js";
import { borderMedian, medianSorted } from "./raster.js";

export const FILL_CONTRAST = 0.3;
export const FILL_MIN_CELLS = 0.12;
export const FILL_RATIO = 0.8;
export const FILL_MIN_SIDE = 0.3;
export const INSET = 0.03;
export const FILL_MIN_INSIDE = 0.005;
export const MARGIN = 2;
export const RIM = 0.6;
export const REGION_NOISE = 0.003;

export const PARAMETERS = Object.freeze({
  fill_contrast: FILL_CONTRAST,
  fill_min_cells: FILL_MIN_CELLS,
  fill_ratio: FILL_RATIO,
  fill_min_side: FILL_MIN_SIDE,
  inset: INSET,
  fill_min_inside: FILL_MIN_INSIDE,
  margin: MARGIN,
  rim: RIM,
  region_noise: REGION_NOISE,
});

/** The largest 4-connected group of true cells (the first one found among equals), as cell indices. */
function largestGroup(far, cols, rows) {
  const seen = new Uint8Array(far.length);
  let best = [];
  for (let start = 0; start < far.length; start++) {
    if (!far[start] || seen[start]) continue;
    seen[start] = 1;
    const stack = [start];
    const group = [];
    while (stack.length) {
      const i = stack.pop();
      group.push(i);
      const r = Math.floor(i / cols);
      const c = i - r * cols;
      for (const [rr, cc] of [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]]) {
        const j = rr * cols + cc;
        if (rr >= 0 && rr < rows && cc >= 0 && cc < cols && far[j] && !seen[j]) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    if (group.length > best.length) best = group;
  }
  return best;
}

/** The longest run of true, as [start, end exclusive], the first of equals; null when all false. */
function longestRun(flags) {
  let best = null;
  let start = -1;
  for (let i = 0; i <= flags.length; i++) {
    const f = i < flags.length && flags[i];
    if (f && start < 0) {
      start = i;
    } else if (!f && start >= 0) {
      if (best === null || i - start > best[1] - best[0]) best = [start, i];
      start = -1;
    }
  }
  return best;
}

/** [x0, y0, x1, y1] of the filled rectangle to read inside, or null. noise: the image's (step 1). */
export function filledRegion(img, w, h, grid, noise) {
  const { cols, rows, stats } = grid;
  if (cols < 3 || rows < 3) return null;
  const paper = borderMedian(img, w, h);
  const nCells = cols * rows;
  const far = new Uint8Array(nCells);
  for (let i = 0; i < nCells; i++) {
    // A quarter of the cell is enough: the digit inside the area may cover the rest.
    const q25 = Math.abs(stats[STATS * i + Q25] - paper);
    const q75 = Math.abs(stats[STATS * i + Q75] - paper);
    far[i] = Math.max(q25, q75) >= FILL_CONTRAST ? 1 : 0;
  }
  const group = largestGroup(far, cols, rows);
  if (group.length < FILL_MIN_CELLS * nCells) return null;
  let r0 = Infinity;
  let r1 = -Infinity;
  let c0 = Infinity;
  let c1 = -Infinity;
  for (const i of group) {
    const r = Math.floor(i / cols);
    const c = i - r * cols;
    r0 = Math.min(r0, r);
    r1 = Math.max(r1, r + 1);
    c0 = Math.min(c0, c);
    c1 = Math.max(c1, c + 1);
  }
  if (group.length < FILL_RATIO * (r1 - r0) * (c1 - c0)) return null;
  if (r1 - r0 < FILL_MIN_SIDE * rows || c1 - c0 < FILL_MIN_SIDE * cols) return null;
  const medians = Float64Array.from(group, (i) => stats[STATS * i + MEDIAN]).sort();
  const level = medianSorted(medians);
  if (Math.abs(level - paper) < FILL_CONTRAST || (level > paper && noise >= REGION_NOISE)) return null;
  const mid = (paper + level) / 2;
  const darker = level < paper;
  const isFar = darker ? (v) => mid > v : (v) => mid < v;

  const s = grid.size;
  const bx0 = Math.max(0, (c0 - 1) * s);
  const by0 = Math.max(0, (r0 - 1) * s);
  const bx1 = Math.min(w, (c1 + 1) * s);
  const by1 = Math.min(h, (r1 + 1) * s);
  const bw = bx1 - bx0;
  const bh = by1 - by0;
  const farPx = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    const src = (y + by0) * w + bx0;
    for (let x = 0; x < bw; x++) farPx[y * bw + x] = isFar(img[src + x]) ? 1 : 0;
  }
  // Rows are judged over the group's columns, columns over its rows: the digit inside covers at most
  // three quarters of either, the gap to a colour bar none of it.
  const gx0 = c0 * s - bx0;
  const gx1 = Math.min(w, c1 * s) - bx0;
  const gy0 = r0 * s - by0;
  const gy1 = Math.min(h, r1 * s) - by0;
  const rowFlags = new Uint8Array(bh);
  for (let y = 0; y < bh; y++) {
    let n = 0;
    for (let x = gx0; x < gx1; x++) n += farPx[y * bw + x];
    rowFlags[y] = 4 * n >= gx1 - gx0 ? 1 : 0;
  }
  const colFlags = new Uint8Array(bw);
  for (let x = 0; x < bw; x++) {
    let n = 0;
    for (let y = gy0; y < gy1; y++) n += farPx[y * bw + x];
    colFlags[x] = 4 * n >= gy1 - gy0 ? 1 : 0;
  }
  const ySpan = longestRun(rowFlags);
  const xSpan = longestRun(colFlags);
  if (xSpan === null || ySpan === null) return null;
  let x0 = bx0 + xSpan[0];
  let x1 = bx0 + xSpan[1];
  let y0 = by0 + ySpan[0];
  let y1 = by0 + ySpan[1];
  if (x0 < MARGIN || y0 < MARGIN || x1 > w - MARGIN || y1 > h - MARGIN) {
    return null; // a shadow or a dark corner running off the image, not a framed area
  }
  const countFar = (y, xa, xb) => {
    let n = 0;
    for (let x = xa; x < xb; x++) if (isFar(img[y * w + x])) n += 1;
    return n;
  };
  let rim = 0;
  for (const y of [y0, y0 + 1, y1 - 2, y1 - 1]) rim += countFar(y, x0, x1);
  for (let y = y0 + 2; y < y1 - 2; y++) rim += countFar(y, x0, x0 + 2) + countFar(y, x1 - 2, x1);
  if (rim < RIM * 4 * (x1 - x0 + y1 - y0 - 4)) {
    return null; // its edge is not filled: the box of a bold digit or a blob, not a framed area
  }
  const insetX = Math.max(1, Math.trunc(INSET * (x1 - x0) + 0.5));
  const insetY = Math.max(1, Math.trunc(INSET * (y1 - y0) + 0.5));
  x0 += insetX;
  x1 -= insetX;
  y0 += insetY;
  y1 -= insetY;
  if (x1 - x0 < 8 || y1 - y0 < 8) return null;
  let inside = 0;
  for (let y = y0; y < y1; y++) inside += x1 - x0 - countFar(y, x0, x1);
  if (inside < FILL_MIN_INSIDE * (x1 - x0) * (y1 - y0)) return null;
  return [x0, y0, x1, y1];
}
