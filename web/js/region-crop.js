// The user's own region: the uploaded grey image cropped to their box, ready for the same recognize() the
// controller uses for every input, and the answer's boxes put back into the whole image's pixels.
//
// The crop gets a margin of plain paper (the crop's median grey) on every side. Without it a box drawn
// tight around a digit leaves the digit touching the crop's border, and the finder drops ink cut by the
// border as a neighbour's fragment. Measured with pymodel on 60 digits of photographed 3-digit numbers
// (tests/scenes.py): boxes tight on the ink read 31 right without the margin, 52 with it; boxes 25% larger
// than the ink, 54 and 60. The paper is the crop's median, not its border ring's (read.js's second look at a
// tight crop): a box a user draws holds paper round the digit, and along a lighting gradient the ring's grey
// made a step at the crop's edge, so the box read became the whole region (tests/browser/test_region.py).
import { checkBox } from "./region-geometry.js";
import { crop, medianSorted, unmarginBox, withMargin } from "./preprocess/raster.js";

/**
 * An input for the controller: `source` (an upload's input) cropped to `box` ([x, y, w, h] in its grey
 * pixels, checked here) with a paper margin. It keeps `region: {box, source}` and maps its answers back
 * with mapResult. Throws RegionError for a box that is empty, too small or outside the image.
 */
export function cropInput(source, box) {
  const [bx, by, bw, bh] = checkBox(box, source);
  const cut = crop(source.gray, source.width, bx, by, bx + bw, by + bh);
  const { gray, width, height, pad } = withMargin(cut, bw, bh, medianSorted(Float64Array.from(cut).sort()));

  /** A box in the padded crop's pixels -> the source's pixels, kept inside the chosen box. */
  const toSource = (b) => {
    if (!b) return b;
    const [x, y, w, h] = unmarginBox(b, pad, bw, bh);
    return [bx + x, by + y, w, h];
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
