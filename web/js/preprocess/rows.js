// Port of pymodel/rows.py: the picture of a whole row of digits that the row reader (a CTC model,
// training/row_model.py) reads. The row is segment.js's buildRow; what the picture holds and why is in that
// module's docstring.
//
// The same operations in the same order as Python (digitValues, resize: their ports in normalize.js), so
// the pixels are the same doubles; tests/test_referee_port.py holds the two together on the golden fixtures.
import { digitValues, resize } from "./normalize.js";
import { roundHalfUp } from "./raster.js";

export const HEIGHT = 32;
export const INNER = 26;
export const TOP = Math.floor((HEIGHT - INNER) / 2);
export const PAD = 4;
export const STRIDE = 4;
export const MAX_COLUMNS = 120; // a row wider than this many columns (about 15 digits) is not read whole

export const PARAMETERS = Object.freeze({ HEIGHT, INNER, PAD, STRIDE, MAX_COLUMNS });

/** A row's picture: HEIGHT x width pixels, row-major, 0 paper .. 1 ink (pymodel/rows.py's Row). */
export class Row {
  constructor(pixels, width, x0, scale) {
    this.pixels = pixels; // Float64Array(HEIGHT * width)
    this.width = width;
    this.x0 = x0; // the row box's left side in the ink map's pixels
    this.scale = scale; // row-image pixels per ink-map pixel
  }

  /** The model's columns: one per STRIDE pixels of width. */
  get columns() {
    return Math.floor(this.width / STRIDE);
  }

  /** An ink-map x -> the model's column (fractional). */
  column(x) {
    return (PAD + (x - this.x0) * this.scale) / STRIDE;
  }
}

/**
 * The row's picture (pymodel/rows.py's row_image), or null when the row has no ink or is too wide to read
 * whole. page: an analysed page (preprocess.js's analyse); row: its digits (segment.js's buildRow).
 */
export function rowImage(page, row) {
  if (!row.length) return null;
  const w = page.ink.width;
  const runs = [];
  const extra = [];
  for (const d of row) {
    for (const v of d.runs) runs.push(v);
    for (const i of d.extra) extra.push(i);
  }
  let [x0, y0, x1, y1] = [row[0].x0, row[0].y0, row[0].x1, row[0].y1];
  for (const d of row) {
    x0 = Math.min(x0, d.x0);
    y0 = Math.min(y0, d.y0);
    x1 = Math.max(x1, d.x1);
    y1 = Math.max(y1, d.y1);
  }
  const bw = x1 - x0;
  const bh = y1 - y0;
  const scale = INNER / bh;
  const innerW = Math.max(1, roundHalfUp(bw * scale));
  const width = Math.ceil((innerW + 2 * PAD) / STRIDE) * STRIDE; // integers: Python's -(-n // STRIDE)
  if (Math.floor(width / STRIDE) > MAX_COLUMNS) return null;
  const values = digitValues(page.ink.d, w, runs, extra, page.ink.weak, [x0, y0, bw, bh]);
  const small = resize(values, bw, bh, innerW, INNER);
  let peak = small[0];
  for (let i = 1; i < small.length; i++) if (small[i] > peak) peak = small[i];
  if (peak <= 0.0) return null;
  const pixels = new Float64Array(HEIGHT * width);
  for (let y = 0; y < INNER; y++) {
    const start = (TOP + y) * width + PAD;
    for (let x = 0; x < innerW; x++) pixels[start + x] = small[y * innerW + x] / peak;
  }
  return new Row(pixels, width, x0, scale);
}
