// Where a box in an uploaded image's grey pixels lies on the picture the page shows, and back.
//
// An upload is decoded at `frame` size (at most 1024 px a side, decode-image.js) and then block-reduced by
// k to at most MAX_SIDE px (rgbaToSmallGray): grey pixel x covers decoded pixels [x*k, min((x+1)*k, W)),
// the last block being partial. Boxes (TEAM.md interface 1) are in those grey pixels; the preview shows
// the whole picture, so positions on it are fractions of the frame. No DOM here.
import { MAX_SIDE } from "./preprocess.js";

export class RegionError extends Error {}

/** The block size rgbaToSmallGray used for a decoded frame. */
export function reduction(frame) {
  return Math.max(1, Math.ceil(Math.max(frame.width, frame.height) / MAX_SIDE));
}

/** [x, y, w, h] in the input's grey pixels -> {left, top, right, bottom} as fractions of the picture. */
export function boxToFractions(box, input) {
  const k = reduction(input.frame);
  const { width: fw, height: fh } = input.frame;
  const [x, y, w, h] = box;
  return {
    left: Math.min(x * k, fw) / fw,
    top: Math.min(y * k, fh) / fh,
    right: Math.min((x + w) * k, fw) / fw,
    bottom: Math.min((y + h) * k, fh) / fh,
  };
}

/**
 * A rectangle drawn on the picture ({left, top, right, bottom} as fractions, any order, possibly beyond
 * 0..1) -> [x, y, w, h] in the input's grey pixels, clipped to the image. Throws RegionError when the
 * rectangle misses the image or holds no pixel.
 */
export function fractionsToBox(rect, input) {
  const k = reduction(input.frame);
  const { width: fw, height: fh } = input.frame;
  const left = Math.min(rect.left, rect.right);
  const right = Math.max(rect.left, rect.right);
  const top = Math.min(rect.top, rect.bottom);
  const bottom = Math.max(rect.top, rect.bottom);
  if (right <= 0 || bottom <= 0 || left >= 1 || top >= 1) {
    throw new RegionError("That box is outside the image: draw it over the picture, around one digit.");
  }
  const x0 = Math.max(0, Math.floor((left * fw) / k));
  const y0 = Math.max(0, Math.floor((top * fh) / k));
  const x1 = Math.min(input.width, Math.ceil((right * fw) / k));
  const y1 = Math.min(input.height, Math.ceil((bottom * fh) / k));
  return checkBox([x0, y0, x1 - x0, y1 - y0], input);
}

/** The smallest region worth reading, in grey pixels a side. */
export const MIN_SIDE = 4;

/** Validate [x, y, w, h] in grey pixels against the input; returns it clipped to the image. */
export function checkBox(box, input) {
  if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite)) {
    throw new RegionError("A region is four numbers: x, y, width and height in the image's pixels.");
  }
  const [x, y, w, h] = box.map(Math.round);
  if (w <= 0 || h <= 0) {
    throw new RegionError("The box you drew has no size: drag across the digit to draw a box around it.");
  }
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(input.width, x + w);
  const y1 = Math.min(input.height, y + h);
  if (x1 <= x0 || y1 <= y0) {
    throw new RegionError("That box is outside the image: draw it over the picture, around one digit.");
  }
  if (x1 - x0 < MIN_SIDE || y1 - y0 < MIN_SIDE) {
    throw new RegionError("That box is too small to hold a digit: drag across the whole digit.");
  }
  return [x0, y0, x1 - x0, y1 - y0];
}
