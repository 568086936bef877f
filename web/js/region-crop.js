// The user's own region: the uploaded grey image cropped to their box, ready for the same recognize() the
// controller uses for every input, and the answer's boxes put back into the whole image's pixels.
//
// The crop gets a margin of plain paper (the crop's median grey) on every side. Without it a box drawn
// tight around a digit leaves the digit touching the crop's border, and the finder drops ink cut by the
// border as a neighbour's fragment. Measured with pymodel on 60 digits of photographed 3-digit numbers
// (tests/scenes.py): boxes tight on the ink read 31 right without the margin, 52 with it; boxes 25% larger
// than the ink, 54 and 60.
import { checkBox } from "./region-geometry.js";

export const MARGIN = 0.25; // of the crop's longer side

function median(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * An input for the controller: `source` (an upload's input) cropped to `box` ([x, y, w, h] in its grey
 * pixels, checked here) with a paper margin. It keeps `region: {box, source}` and maps its answers back
 * with mapResult. Throws RegionError for a box that is empty, too small or outside the image.
 */
export function cropInput(source, box) {
  const [bx, by, bw, bh] = checkBox(box, source);
  const pad = Math.round(MARGIN * Math.max(bw, bh)) + 2;
  const crop = new Float64Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    const row = (by + y) * source.width + bx;
    crop.set(source.gray.subarray(row, row + bw), y * bw);
  }
  const width = bw + 2 * pad;
  const height = bh + 2 * pad;
  const gray = new Float64Array(width * height).fill(median(crop));
  for (let y = 0; y < bh; y++) gray.set(crop.subarray(y * bw, (y + 1) * bw), (y + pad) * width + pad);

  /** A box in the padded crop's pixels -> the source's pixels, kept inside the chosen box. */
  const toSource = (b) => {
    if (!b) return b;
    const x0 = Math.min(bw, Math.max(0, b[0] - pad));
    const y0 = Math.min(bh, Math.max(0, b[1] - pad));
    const x1 = Math.min(bw, Math.max(0, b[0] + b[2] - pad));
    const y1 = Math.min(bh, Math.max(0, b[1] + b[3] - pad));
    return [bx + x0, by + y0, x1 - x0, y1 - y0];
  };
  return {
    gray,
    width,
    height,
    source: source.source,
    region: { box: [bx, by, bw, bh], source },
    /** An engine's answer for the crop (one digit, or a reading with `digits`) in the source's pixels. */
    mapResult(r) {
      const mapped = { ...r, region: [bx, by, bw, bh] };
      if (r.box !== undefined) mapped.box = toSource(r.box);
      if (Array.isArray(r.digits)) mapped.digits = r.digits.map((d) => ({ ...d, box: toSource(d.box) }));
      return mapped;
    },
  };
}
