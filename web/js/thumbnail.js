// A small picture of an input for its history entry: the grey pixels the engines were given (the pad's
// drawing or the uploaded image, at most 256 px a side), scaled to fit THUMB_SIDE, as a data: URL.
export const THUMB_SIDE = 96;
// The history refuses thumbnails over 64 K characters (web/js/history/entry.js); stay well under it.
const MAX_CHARS = 48 * 1024;

/** gray: flat floats in [0, 1] (0 = black), width x height. Returns a PNG (or, for noisy photos, JPEG) data: URL. */
export function grayThumbnail(gray, width, height, doc = document) {
  const full = doc.createElement("canvas");
  full.width = width;
  full.height = height;
  const fctx = full.getContext("2d");
  const img = fctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, gray[i])));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  fctx.putImageData(img, 0, 0);
  const scale = Math.min(1, THUMB_SIDE / Math.max(width, height));
  const small = doc.createElement("canvas");
  small.width = Math.max(1, Math.round(width * scale));
  small.height = Math.max(1, Math.round(height * scale));
  const sctx = small.getContext("2d");
  sctx.imageSmoothingQuality = "high";
  sctx.drawImage(full, 0, 0, small.width, small.height);
  // Drawings compress best as PNG; a photo's noise does not, JPEG keeps it small.
  const png = small.toDataURL("image/png");
  return png.length <= MAX_CHARS ? png : small.toDataURL("image/jpeg", 0.8);
}
