// Turn any grey image (a canvas drawing or a photo) into the 28x28 picture MNIST digits look like.
//
// THE SPEC IS pymodel/preprocess.py. This file is a step-by-step port of it: same constants, same
// steps, same summation order, same rounding (floor(x + 0.5)) and same tie behaviour, so that the
// browser's TF.js path and the Python path feed the model the same pixels (to about 1e-6). The two are
// checked against shared golden fixtures (tests/fixtures/golden, tests/test_preprocess_golden.py).
// If you change one, change the other and regenerate the fixtures.
//
// Plain ES module, no dependencies: runs in browsers and in Node 20. All arithmetic is done in
// Float64Array / plain numbers (IEEE doubles, like Python floats); only the final 28x28 is Float32.

export const SIZE = 28;
export const FIT = 20;
export const MAX_SIDE = 256;
export const MIN_CONTRAST = 0.15;
export const NOISE_FLOOR = 0.3;
export const MIN_INK_PIXELS = 4;
export const MIN_INK_FRACTION = 0.0002;
export const TARGET_STROKE = 2.0; // MNIST strokes are about 2-3 px wide at 28x28
export const MAX_DILATE = 8;
export const SPECK_FRACTION = 0.05;

export const PARAMETERS = Object.freeze({
  size: SIZE,
  fit: FIT,
  max_side: MAX_SIDE,
  min_contrast: MIN_CONTRAST,
  noise_floor: NOISE_FLOOR,
  min_ink_pixels: MIN_INK_PIXELS,
  min_ink_fraction: MIN_INK_FRACTION,
  target_stroke: TARGET_STROKE,
  max_dilate: MAX_DILATE,
  speck_fraction: SPECK_FRACTION,
  polarity: "median of border ring is the background; ink is the extreme farther from it",
  centering: "center of mass",
});

// Python's _round. Not Math.round: Math.round(0.49999999999999994) is 0 but floor(x + 0.5) is 1, and
// the spec is floor(x + 0.5).
function round(x) {
  return Math.floor(x + 0.5);
}

// Ceiling division of positive integers, Python's -(-a // b).
function ceilDiv(a, b) {
  return Math.floor((a + b - 1) / b);
}

function maxOf(arr, start, end) {
  // Python's max() over a slice; callers never pass an empty range.
  let m = arr[start];
  for (let i = start + 1; i < end; i++) if (arr[i] > m) m = arr[i];
  return m;
}

function minOf(arr, start, end) {
  let m = arr[start];
  for (let i = start + 1; i < end; i++) if (arr[i] < m) m = arr[i];
  return m;
}

function checkSize(width, height) {
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    throw new Error(`image size ${width}x${height} is not a pair of integers`);
  }
  if (width < 1 || height < 1) {
    throw new Error(`image size ${width}x${height} is empty: it needs at least one pixel`);
  }
}

/**
 * Flatten RGBA onto white and convert to luma in [0, 1] (0 black, 1 white).
 * Same formula as pymodel/imageio.py rgba_to_gray_array (the command line's converter):
 *   a = A / 255; c' = c * a + 255 * (1 - a) per channel; grey = (0.299 R' + 0.587 G' + 0.114 B') / 255.
 * White, because a transparent canvas or PNG is "paper".
 */
export function rgbaToGray(rgba, width, height) {
  checkSize(width, height);
  if (!rgba || rgba.length !== 4 * width * height) {
    const got = rgba ? rgba.length : 0;
    throw new Error(`got ${got} RGBA values for a ${width}x${height} image (expected ${4 * width * height})`);
  }
  const n = width * height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const r = rgba[4 * i] * a + 255 * (1 - a);
    const g = rgba[4 * i + 1] * a + 255 * (1 - a);
    const b = rgba[4 * i + 2] * a + 255 * (1 - a);
    out[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return out;
}

/**
 * Average k x k blocks; partial blocks at the right and bottom edges average what they cover.
 * Python: reduce_blocks -> (out, out_w, out_h); here {gray, width, height}.
 * Summation order follows Python: each row's blocks first, then the k rows of a block in order.
 */
export function reduceBlocks(gray, width, height, k) {
  const outW = ceilDiv(width, k);
  const outH = ceilDiv(height, k);
  const rowSums = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let bx = 0; bx < outW; bx++) {
      let s = 0;
      const end = Math.min(width, (bx + 1) * k);
      for (let x = bx * k; x < end; x++) s += gray[base + x];
      rowSums[y * outW + bx] = s;
    }
  }
  const out = new Float64Array(outW * outH);
  for (let by = 0; by < outH; by++) {
    const yEnd = Math.min(height, (by + 1) * k);
    const nRows = yEnd - by * k;
    for (let bx = 0; bx < outW; bx++) {
      const nCols = Math.min(k, width - bx * k);
      let s = 0;
      for (let y = by * k; y < yEnd; y++) s += rowSums[y * outW + bx];
      out[by * outW + bx] = s / (nRows * nCols);
    }
  }
  return { gray: out, width: outW, height: outH };
}

/**
 * Step 1 on its own: bring a grey image down to at most MAX_SIDE per side (a no-op when small). The page
 * applies it to every input before choosing an engine, so both engines (and the worker message) get the
 * same small image; preprocessGray's own step 1 then has nothing left to do.
 */
export function reduceToMaxSide(gray, width, height) {
  const longer = Math.max(width, height);
  if (longer <= MAX_SIDE) return { gray, width, height };
  return reduceBlocks(gray, width, height, ceilDiv(longer, MAX_SIDE));
}

// Median of the border ring (width max(1, min(w, h) // 16)). Like Python, a row in the middle band
// contributes row[:ring] and row[w - ring:] (which overlap, and so count twice, only when w == 1).
function borderMedian(img, w, h) {
  const ring = Math.max(1, Math.floor(Math.min(w, h) / 16));
  const values = [];
  for (let y = 0; y < h; y++) {
    const base = y * w;
    if (y < ring || y >= h - ring) {
      for (let x = 0; x < w; x++) values.push(img[base + x]);
    } else {
      for (let x = 0; x < ring; x++) values.push(img[base + x]);
      for (let x = w - ring; x < w; x++) values.push(img[base + x]);
    }
  }
  const sorted = Float64Array.from(values).sort(); // typed-array sort is numeric
  const n = sorted.length;
  const m = n >> 1;
  return n % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

// Grey dilation with a (2r+1) square, done as a row pass then a column pass.
function dilate(img, w, h, r) {
  const rows = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) {
      rows[base + x] = maxOf(img, base + Math.max(0, x - r), base + Math.min(w, x + r + 1));
    }
  }
  const out = new Float64Array(w * h);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let m = rows[Math.max(0, y - r) * w + x];
      const yEnd = Math.min(h, y + r + 1);
      for (let yy = Math.max(0, y - r) + 1; yy < yEnd; yy++) {
        const v = rows[yy * w + x];
        if (v > m) m = v;
      }
      out[y * w + x] = m;
    }
  }
  return out;
}

// 2 * area / perimeter of the ink mask (pixels above 0.5), in source pixels.
/**
 * Erase 8-connected ink blobs lighter than SPECK_FRACTION of the heaviest, in place (Python: _drop_specks).
 * Same depth-first order and neighbour order as Python, so each blob's mass is summed identically.
 */
function dropSpecks(img, w, h) {
  const label = new Int32Array(w * h);
  const blobs = [];
  for (let start = 0; start < w * h; start++) {
    if (img[start] <= 0.0 || label[start]) continue;
    const n = blobs.length + 1;
    label[start] = n;
    const stack = [start];
    const pixels = [];
    let mass = 0.0;
    while (stack.length) {
      const i = stack.pop();
      pixels.push(i);
      mass += img[i];
      const y = Math.floor(i / w);
      const x = i - y * w;
      for (let ny = y - 1; ny <= y + 1; ny++) {
        if (ny < 0 || ny >= h) continue;
        for (let nx = x - 1; nx <= x + 1; nx++) {
          const j = ny * w + nx;
          if (nx >= 0 && nx < w && img[j] > 0.0 && !label[j]) {
            label[j] = n;
            stack.push(j);
          }
        }
      }
    }
    blobs.push({ mass, pixels });
  }
  if (blobs.length > 1) {
    let heaviest = blobs[0].mass;
    for (const b of blobs) if (b.mass > heaviest) heaviest = b.mass;
    for (const b of blobs) {
      if (b.mass < SPECK_FRACTION * heaviest) for (const i of b.pixels) img[i] = 0.0;
    }
  }
}

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

// For each output index, the [source index, weight] pairs: area overlap when shrinking, linear when
// enlarging. Weights of one output sum to 1.
function axisWeights(src, dst) {
  const scale = src / dst;
  const table = [];
  for (let i = 0; i < dst; i++) {
    let pairs;
    if (scale >= 1.0) {
      const lo = i * scale;
      const hi = (i + 1) * scale;
      pairs = [];
      let j = Math.floor(lo);
      while (j < hi && j < src) {
        const overlap = Math.min(hi, j + 1) - Math.max(lo, j);
        if (overlap > 1e-12) pairs.push([j, overlap / scale]);
        j += 1;
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

function resize(img, w, h, newW, newH) {
  const wx = axisWeights(w, newW);
  const wy = axisWeights(h, newH);
  const rows = new Float64Array(h * newW);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < newW; x++) {
      let s = 0;
      for (const [j, c] of wx[x]) s += img[base + j] * c;
      rows[y * newW + x] = s;
    }
  }
  const out = new Float64Array(newW * newH);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) {
      let s = 0;
      for (const [j, c] of wy[y]) s += rows[j * newW + x] * c;
      out[y * newW + x] = s;
    }
  }
  return out;
}

/**
 * Apply the documented algorithm (see pymodel/preprocess.py's docstring for the eight steps).
 * gray: flat row-major grey values in [0, 1] (0 black, 1 white), width x height.
 * Returns {image28: Float32Array(784) | null, empty, inverted}; image28 is light ink on black.
 * Throws Error (Python: ImageError) when the size or length is wrong.
 */
export function preprocessGray(gray, width, height) {
  checkSize(width, height);
  if (!gray || typeof gray.length !== "number") {
    throw new Error("gray must be an array of pixel values");
  }
  if (gray.length !== width * height) {
    throw new Error(
      `got ${gray.length} pixel values for a ${width}x${height} image (expected ${width * height})`,
    );
  }
  let img = Float64Array.from(gray);
  for (let i = 0; i < img.length; i++) {
    // !(a && b) also catches NaN, which compares false, as in the Python version.
    if (!(img[i] >= 0.0 && img[i] <= 1.0)) throw new Error("pixel values must be numbers between 0 and 1");
  }
  let w = width;
  let h = height;

  // 1. Reduce.
  const longer = Math.max(w, h);
  if (longer > MAX_SIDE) {
    ({ gray: img, width: w, height: h } = reduceBlocks(img, w, h, ceilDiv(longer, MAX_SIDE)));
  }

  // 2. Polarity.
  let background = borderMedian(img, w, h);
  // The ink is the extreme farther from the background (see the Python docstring).
  const inverted = background - minOf(img, 0, img.length) > maxOf(img, 0, img.length) - background;
  if (inverted) {
    for (let i = 0; i < img.length; i++) img[i] = 1.0 - img[i];
    background = 1.0 - background;
  }

  // 3. Background removal.
  const top = maxOf(img, 0, img.length);
  const contrast = top - background;
  if (contrast < MIN_CONTRAST) return { image28: null, empty: true, inverted };
  const scale = 1.0 / (contrast * (1.0 - NOISE_FLOOR));
  const offset = background + NOISE_FLOOR * contrast;
  for (let i = 0; i < img.length; i++) {
    img[i] = Math.min(1.0, Math.max(0.0, (img[i] - offset) * scale));
  }

  // 4. Specks, then empty.
  dropSpecks(img, w, h);
  let strong = 0;
  for (let i = 0; i < img.length; i++) if (img[i] > 0.5) strong += 1;
  if (strong < Math.max(MIN_INK_PIXELS, MIN_INK_FRACTION * w * h)) {
    return { image28: null, empty: true, inverted };
  }

  // 5. Crop to the bounding box of everything above 0 (at least the strong pixels exist).
  let x0 = w, x1 = 0, y0 = h, y1 = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (img[y * w + x] > 0.0) {
        if (x < x0) x0 = x;
        if (x + 1 > x1) x1 = x + 1;
        if (y < y0) y0 = y;
        if (y + 1 > y1) y1 = y + 1;
      }
    }
  }
  let cw = x1 - x0;
  let ch = y1 - y0;
  {
    const cropped = new Float64Array(cw * ch);
    for (let y = 0; y < ch; y++) {
      cropped.set(img.subarray((y + y0) * w + x0, (y + y0) * w + x1), y * cw);
    }
    img = cropped;
  }

  // 6. Stroke width: dilate strokes that would end up thinner than TARGET_STROKE.
  let factor = FIT / Math.max(cw, ch);
  const widthNow = strokeWidth(img, cw, ch) * factor;
  if (widthNow < TARGET_STROKE) {
    const r = Math.min(MAX_DILATE, round((TARGET_STROKE - widthNow) / (2.0 * factor)));
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

  // 7. Scale to fit FIT x FIT, then stretch so the brightest pixel is 1.
  const newW = Math.max(1, Math.min(FIT, round(cw * factor)));
  const newH = Math.max(1, Math.min(FIT, round(ch * factor)));
  const small = resize(img, cw, ch, newW, newH);
  const peak = maxOf(small, 0, small.length);
  if (peak <= 0.0) return { image28: null, empty: true, inverted };
  for (let i = 0; i < small.length; i++) small[i] = small[i] / peak;

  // 8. Centre of mass on the centre of the 28x28 field (sums in Python's row-major order).
  let mass = 0;
  for (let i = 0; i < small.length; i++) mass += small[i];
  let sx = 0;
  for (let y = 0; y < newH; y++) for (let x = 0; x < newW; x++) sx += small[y * newW + x] * (x + 0.5);
  let sy = 0;
  for (let y = 0; y < newH; y++) for (let x = 0; x < newW; x++) sy += small[y * newW + x] * (y + 0.5);
  const cx = sx / mass;
  const cy = sy / mass;
  const left = Math.min(Math.max(round(SIZE / 2 - cx), 0), SIZE - newW);
  const topRow = Math.min(Math.max(round(SIZE / 2 - cy), 0), SIZE - newH);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < newH; y++) {
    out.set(small.subarray(y * newW, (y + 1) * newW), (topRow + y) * SIZE + left);
  }
  return { image28: out, empty: false, inverted };
}
