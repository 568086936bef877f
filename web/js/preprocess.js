// Find the digit in any grey image (a canvas drawing, a photo or scan of paper, a plot screenshot) and
// turn it into the 28x28 picture MNIST digits look like.
//
// THE SPEC IS pymodel/preprocess.py (its docstring lists the seven steps). This is its port, module for
// module, so the two can be read side by side:
//
//   pymodel/preprocess.py                    web/js/preprocess.js (this file: the steps in order)
//   pymodel/raster.py                        web/js/preprocess/raster.js
//   pymodel/region.py                        web/js/preprocess/region.js
//   pymodel/ink.py                           web/js/preprocess/ink.js
//   pymodel/lines.py                         web/js/preprocess/lines.js
//   pymodel/components.py                    web/js/preprocess/components.js
//   pymodel/locate.py                        web/js/preprocess/locate.js
//   pymodel/normalize.py                     web/js/preprocess/normalize.js
//   pymodel/segment.py                       web/js/preprocess/segment.js (a whole number)
//   pymodel/rows.py                          web/js/preprocess/rows.js (the row reader's picture)
//   pymodel/referee.py                       web/js/preprocess/referee.js (the row reader's strings)
//   pymodel/imageio.py rgba_to_gray_array    web/js/preprocess/gray.js
//
// Same constants, same steps, same order of additions, the same rounding (floor(x + 0.5)) and the same
// choice among equals, all in doubles, so the browser's TF.js engine and the Python engine see the same
// 28x28 (to about 1e-15) and the same box. tests/test_preprocess_golden.py holds them together with the
// golden fixtures (tests/fixtures/golden). Change one, change the other, and regenerate the fixtures.
//
// Plain ES modules, no dependencies: browsers and Node 20.
import { grayRows, rgbaToGray } from "./preprocess/gray.js";
import {
  MIN_CONTRAST, MIN_INK_FRACTION, MIN_INK_PIXELS, PARAMETERS as INK, STRONG_OF_CONTRAST, WEAK_OF_CONTRAST, cellGrid,
  cellGridSize, inkMap, noiseLevel, plainLevel, topInk,
} from "./preprocess/ink.js";
import { label, measure, rowRuns } from "./preprocess/components.js";
import { PARAMETERS as LINES, boxLines, findLines, frameLines, sameLine, thinLimit } from "./preprocess/lines.js";
import { PARAMETERS as LOCATE, choose, giveBack, inside, surroundings } from "./preprocess/locate.js";
import { FIT, PARAMETERS as NORMALIZE, SIZE, digitValues, toMnist } from "./preprocess/normalize.js";
import { ceilDiv, crop, enlarge, reduceBlocks, reduceRows, scaleBox, shrinkBox } from "./preprocess/raster.js";
import { PARAMETERS as REGION, filledRegion } from "./preprocess/region.js";
import { PARAMETERS as SEGMENT } from "./preprocess/segment.js";
import { PARAMETERS as WALLS, findWalls } from "./preprocess/walls.js";

export const MAX_SIDE = 256;
export const MIN_SIDE = 56;
export const RELINE = 0.7;
export const BORDER_FLAT = 0.1;
export const BORDER_SHARE = 0.9;

export const PARAMETERS = Object.freeze({
  max_side: MAX_SIDE,
  min_side: MIN_SIDE,
  reline: RELINE,
  border_flat: BORDER_FLAT,
  border_share: BORDER_SHARE,
  ...NORMALIZE,
  ...INK,
  ...REGION,
  ...LINES,
  ...LOCATE,
  ...SEGMENT,
  ...WALLS,
});

export { FIT, MIN_CONTRAST, SIZE, reduceBlocks, rgbaToGray };

/** Steps 1-5: the ink of one image, ready for choosing digits (locate.js, segment.js). */
export class Page {
  constructor(width, height, k, xOff, yOff, ink, drawn = false, up = 1) {
    this.width = width; // the image given to preprocess
    this.height = height;
    this.k = k; // block reduction factor of step 1
    this.xOff = xOff; // the region of step 2, in reduced pixels
    this.yOff = yOff;
    this.ink = ink; // over the region: ink.width x ink.height
    this.lines = [];
    this.components = [];
    // A drawing on the page's pad: cut out of nothing, so ink at its border is no fragment of a neighbour
    // (locate.js's choose). Photos and scans may be crops of a sheet.
    this.drawn = drawn;
    this.up = up; // enlargement factor of step 1 (a small image), instead of k
  }

  get empty() {
    return this.ink.empty;
  }

  /** Step 5 again, with some erased lines put back. */
  componentsWith(restored) {
    const comps = componentsOf(this.ink, this.lines.filter((ln) => !restored.includes(ln)), restored);
    return surroundings(comps.filter((c) => c.peak > this.ink.strong), this.ink.width, this.ink.height, this.drawn);
  }

  /** A box in the ink map's pixels -> pixels of the image given to preprocess. */
  sourceBox(box) {
    const [x, y, w, h] = box;
    if (this.up > 1) return shrinkBox([x + this.xOff, y + this.yOff, w, h], this.up);
    return scaleBox([x + this.xOff, y + this.yOff, w, h], this.k, this.width, this.height);
  }

  strongPixels(digit) {
    const { d, width: w, strong } = this.ink;
    let n = 0;
    const runs = digit.runs;
    for (let r = 0; r < runs.length; r += 3) {
      const base = runs[r] * w;
      for (let i = base + runs[r + 1]; i < base + runs[r + 2]; i++) if (d[i] > strong) n += 1;
    }
    for (const i of digit.extra) if (d[i] > strong) n += 1;
    return n;
  }
}

/**
 * Faint ruled lines show in the weak mask; a dark line beside a faint band (a canvas frame in a grey
 * window) is thin only in the strong one. A line found in both counts once. Then the thick sides of a frame
 * and the short sides of a box round the digit.
 */
function linesOf(ink) {
  const { width: w, height: h } = ink;
  const mask = ink.mask();
  const weak = findLines(mask, w, h);
  const strong = findLines(ink.mask(ink.strong), w, h).filter((ln) => !weak.some((other) => sameLine(ln, other)));
  const lines = weak.concat(strong);
  const all = lines.concat(frameLines(mask, w, h, lines));
  return all.concat(boxLines(mask, w, h, all));
}

// A line put back keeps every pixel, also those a line still erased took with it: a 1 written along a
// grid line found both lines.
function componentsOf(ink, erase, keep = []) {
  const ink0 = ink.mask();
  const mask = ink0.slice();
  for (const line of erase) for (const i of line.pixels) mask[i] = 0;
  for (const line of keep) for (const i of line.pixels) mask[i] = ink0[i];
  const comps = label(rowRuns(mask, ink.width, ink.height));
  measure(comps, ink.d, ink.width);
  return comps;
}

function checkSize(width, height) {
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    throw new Error(`image size ${width}x${height} is not a pair of integers`);
  }
  if (width < 1 || height < 1) {
    throw new Error(`image size ${width}x${height} is empty: it needs at least one pixel`);
  }
}

function check(gray, width, height) {
  checkSize(width, height);
  if (!gray || typeof gray.length !== "number") throw new Error("gray must be an array of pixel values");
  if (gray.length !== width * height) {
    throw new Error(`got ${gray.length} pixel values for a ${width}x${height} image (expected ${width * height})`);
  }
  const img = Float64Array.from(gray);
  for (let i = 0; i < img.length; i++) {
    // !(a && b) also catches NaN, which compares false.
    if (!(img[i] >= 0.0 && img[i] <= 1.0)) throw new Error("pixel values must be numbers between 0 and 1");
  }
  return img;
}

/** Step 0 of the spec: the image as the model's 28x28 when it already is one (same shape as preprocess), else null. */
export function asModelInput(gray, width, height) {
  if (width !== SIZE || height !== SIZE) return null; // before check: analyse checks (and copies) every other image once
  let img = check(gray, width, height);
  const last = SIZE - 1;
  let border = [...img.subarray(0, SIZE), ...img.subarray(last * SIZE)];
  for (let y = 1; y < last; y++) border.push(img[y * SIZE], img[y * SIZE + last]);
  const need = BORDER_SHARE * border.length;
  let inverted;
  if (border.filter((v) => v <= BORDER_FLAT).length >= need) {
    inverted = false;
  } else if (border.filter((v) => v >= 1.0 - BORDER_FLAT).length >= need) {
    inverted = true;
    img = img.map((v) => 1.0 - v);
    border = border.map((v) => 1.0 - v);
  } else {
    return null;
  }
  const empty = { image28: null, empty: true, inverted, box: null };
  const paper = Float64Array.from(border).sort()[border.length >> 1];
  let peak = -Infinity;
  for (const v of img) peak = Math.max(peak, v);
  if (peak - paper < MIN_CONTRAST) return empty;
  const image28 = Array.from(img, (v) => Math.min(1.0, Math.max(0.0, (v - paper) / (1.0 - paper))));
  if (image28.filter((v) => v > STRONG_OF_CONTRAST).length < MIN_INK_PIXELS) return empty;
  let [x0, y0, x1, y1] = [SIZE, SIZE, -1, -1];
  image28.forEach((v, i) => {
    if (v <= WEAK_OF_CONTRAST) return;
    const [x, y] = [i % SIZE, Math.floor(i / SIZE)];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  });
  return { image28, empty: false, inverted, box: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}

/** Steps 1-5 of the spec. */
export function analyse(gray, width, height, drawn = false) {
  let img = check(gray, width, height);
  let w = width;
  let h = height;
  let k = 1;
  let up = 1;
  // 1. Reduce (or enlarge).
  const longer = Math.max(w, h);
  if (longer > MAX_SIDE) {
    k = ceilDiv(longer, MAX_SIDE);
    ({ gray: img, width: w, height: h } = reduceBlocks(img, w, h, k));
  } else if (longer < MIN_SIDE && plainLevel(img, w, h, noiseLevel(img, w, h)) !== null) {
    up = ceilDiv(MIN_SIDE, longer);
    ({ gray: img, width: w, height: h } = enlarge(img, w, h, up));
  }
  // 2. Filled region.
  let xOff = 0;
  let yOff = 0;
  const coarse = cellGrid(img, w, h, Math.max(w, h)); // a filled area is big: cells across the longer side
  const noise = noiseLevel(img, w, h);
  const rect = filledRegion(img, w, h, coarse, noise);
  if (rect !== null) {
    const [x0, y0, x1, y1] = rect;
    img = crop(img, w, x0, y0, x1, y1);
    [w, h, xOff, yOff] = [x1 - x0, y1 - y0, x0, y0];
  }
  const grid = rect === null && coarse.size === cellGridSize(w, h) ? coarse : cellGrid(img, w, h);
  // 3. Ink map.
  const ink = inkMap(img, w, h, grid, rect !== null, rect !== null ? null : noise);
  const page = new Page(width, height, k, xOff, yOff, ink, drawn, up);
  if (ink.empty) return page;
  // 4. Lines, 5. components.
  page.lines = linesOf(ink);
  let comps = componentsOf(ink, page.lines);
  // Dark print (a form's boxes, ruled lines) may have set the thresholds for far fainter writing.
  // Lines that may be the digit's own stroke stay, and so do the crossings of lines (tiny pieces).
  const spanning = page.lines.filter((ln) => ln.spans);
  if (spanning.length) {
    const rest = spanning.length === page.lines.length ? comps : componentsOf(ink, spanning);
    const crossing = (thinLimit(w, h) + 1) ** 2;
    const d = ink.d;
    const values = [];
    for (const c of rest) {
      if (c.area <= crossing) continue;
      const runs = c.runs;
      for (let r = 0; r < runs.length; r += 3) {
        const base = runs[r] * w;
        for (let i = base + runs[r + 1]; i < base + runs[r + 2]; i++) values.push(d[i]);
      }
    }
    const left = topInk(values, w * h);
    if (left < RELINE * ink.contrast) {
      ink.setContrast(left);
      if (ink.empty) return page;
      page.lines = linesOf(ink);
      comps = componentsOf(ink, page.lines);
    }
  }
  page.components = surroundings(comps.filter((c) => c.peak > ink.strong), w, h, drawn);
  // The walls of a form's cells (walls.js) are erased as lines are, and the components found again.
  const walls = drawn ? [] : findWalls(ink.mask(), page.lines, page.components, w, h, ink.d);
  if (walls.length) {
    for (const ln of walls) if (!page.lines.includes(ln)) page.lines.push(ln);
    page.components = page.componentsWith([]);
  }
  return page;
}

/** Step 6: the digit of a single-digit image, or null. */
export function locate(page) {
  const { width: w, height: h } = page.ink;
  const loose = page.lines.filter((ln) => !ln.spans && !ln.wall);
  const digit = choose(page.components, w, h, page.drawn);
  if (digit !== null && !loose.some((ln) => inside(digit, ln))) {
    giveBack(digit, page.lines, w, h, page.drawn);
    return digit;
  }
  // Nothing but lines, or only the crossings of a line with others: the line is the digit (a 1).
  return loose.length ? choose(page.componentsWith(loose), w, h, page.drawn) : digit;
}

/** Step 7 for one chosen digit: Float64Array(784), or null. */
export function normalize(page, digit) {
  const box = digit.box;
  const values = digitValues(page.ink.d, page.ink.width, digit.runs, digit.extra, page.ink.weak, box);
  return toMnist(values, box[2], box[3]);
}

/**
 * The spec's preprocess: {image28: Float64Array(784) | null, empty, inverted, box: [x, y, w, h] | null},
 * box in pixels of the image given. Throws Error (Python: ImageError) when the size or values are wrong.
 */
export function preprocess(gray, width, height) {
  return asModelInput(gray, width, height) ?? single(analyse(gray, width, height));
}

/** Steps 6-7 on an analysed page: the one digit it holds (same result shape as preprocess). */
export function single(page) {
  const empty = { image28: null, empty: true, inverted: page.ink.inverted, box: null };
  if (page.empty) return empty;
  const digit = locate(page);
  const area = page.ink.width * page.ink.height;
  if (digit === null || page.strongPixels(digit) < Math.max(MIN_INK_PIXELS, MIN_INK_FRACTION * area)) return empty;
  const image28 = normalize(page, digit);
  if (image28 === null) return empty;
  return { image28, empty: false, inverted: page.ink.inverted, box: page.sourceBox(digit.box) };
}

/**
 * The page's entry point: preprocess with image28 as the Float32Array(784) the model takes (light ink on
 * black), box in pixels of `gray` (the page scales it to the source image).
 */
export function preprocessGray(gray, width, height) {
  const r = preprocess(gray, width, height);
  return { ...r, image28: r.image28 && Float32Array.from(r.image28) };
}

/**
 * Colour pixels to the grey both engines receive: rgbaToGray, then step 1 on its own (blocks averaged down
 * to at most MAX_SIDE a side, a no-op when small), so preprocess's own step 1 has nothing left to do. A
 * large image's grey is made and summed a row at a time: no full-size grey array (8 MB for a megapixel
 * photo) to allocate, fill and read back; the numbers are the same.
 */
export function rgbaToSmallGray(rgba, width, height) {
  const longer = Math.max(width, height);
  if (longer <= MAX_SIDE) return { gray: rgbaToGray(rgba, width, height), width, height };
  return reduceRows(grayRows(rgba, width, height), width, height, ceilDiv(longer, MAX_SIDE));
}
