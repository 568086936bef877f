// Uploaded / dropped / pasted images -> grey pixels for the engines, with clear errors for bad input.
// Every check happens before a full-size decode, so a 12000x12000 image or a 200 MB paste never
// allocates gigabytes or freezes the page.
import { HEADER_BYTES, imageSize } from "./image-size.js";
import { MAX_SIDE, rgbaToSmallGray } from "./preprocess.js";

export const MAX_FILE_BYTES = 25 * 1024 * 1024;
export const MAX_PIXELS = 40_000_000; // 40 megapixels: any phone photo, not a decompression bomb
// Decoding straight to this size keeps memory small; rgbaToSmallGray then brings it to MAX_SIDE exactly as
// pymodel does, so both engines receive identical grey pixels.
const DECODE_SIDE = 1024;
const JPEG_SCALE_MIN_SIDE = 64;

export class InputError extends Error {}

function sniff(bytes) {
  const b = bytes;
  const ascii = (start, s) => [...s].every((ch, i) => b[start + i] === ch.charCodeAt(0));
  if (b[0] === 0x89 && ascii(1, "PNG")) return "png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (ascii(0, "GIF8")) return "gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "webp";
  if (ascii(0, "BM")) return "bmp";
  if (ascii(4, "ftyp") && (ascii(8, "avif") || ascii(8, "avis"))) return "avif";
  const head = new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg")) || head.includes("<svg")) return "svg";
  return null;
}

function checkPixels(w, h) {
  if (!w || !h) throw new InputError("This image has no pixels.");
  if (w * h > MAX_PIXELS) {
    throw new InputError(`This image is ${w}×${h} pixels — too large (limit ${MAX_PIXELS / 1e6} megapixels). Crop or shrink it first.`);
  }
}

async function decodeBitmap(blob, options) {
  try {
    // createImageBitmap takes the first frame of an animated GIF/WebP (the spec's "default image").
    return await (options ? createImageBitmap(blob, options) : createImageBitmap(blob));
  } catch {
    throw new InputError("This image could not be decoded: the file is corrupt or truncated.");
  }
}

/**
 * How many times smaller a JPEG of this size is decoded (1, 2, 4 or 8). A JPEG stores 8x8 blocks of
 * frequencies, so its decoder can give 1/2, 1/4 or 1/8 of the size from the low ones alone, at a fraction
 * of the work. The scale divides the block reduction to MAX_SIDE (rgbaToSmallGray), so the grey ends at
 * the size a full decode gives. pymodel/imageio.py's jpeg_scale is the same rule (Pillow's draft).
 */
export function jpegScale(width, height) {
  if (Math.min(width, height) < JPEG_SCALE_MIN_SIDE) return 1; // a sliver: decoders differ on its scale
  const k = Math.ceil(Math.max(width, height) / MAX_SIDE);
  let s = 1;
  while (s < 8 && k % (2 * s) === 0) s *= 2;
  return s;
}

/**
 * A JPEG decoded at 1/s of its stored size (WebCodecs ImageDecoder, EXIF rotation applied) onto a canvas,
 * or null where the browser cannot (no ImageDecoder, no frame rotation, another scale chosen, a decode
 * error): the caller then decodes it the ordinary way, which also words any error. head: the bytes read
 * for the header (the whole file when it fits).
 */
async function decodeJpegScaled(blob, stored, s, head) {
  if (typeof ImageDecoder !== "function" || typeof VideoFrame !== "function"
      || !("rotation" in VideoFrame.prototype)) return null;
  const want = { width: Math.ceil(stored.width / s), height: Math.ceil(stored.height / s) };
  let decoder = null;
  let image = null;
  try {
    // The header read already holds a file that fits in it: no second read (a millisecond a photo).
    const data = head.length === blob.size ? head : await blob.arrayBuffer();
    decoder = new ImageDecoder({ data, type: "image/jpeg", desiredWidth: want.width, desiredHeight: want.height });
    image = (await decoder.decode()).image;
    if (image.codedWidth !== want.width || image.codedHeight !== want.height) return null;
    return drawOnWhite(image, image.displayWidth, image.displayHeight);
  } catch {
    return null;
  } finally {
    image?.close();
    decoder?.close();
  }
}

function drawOnWhite(source, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(source, 0, 0, width, height);
  return ctx;
}

function loadImageElement(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => reject(new InputError("This image could not be decoded: the file is corrupt or truncated."));
    img.src = url;
  });
}

/** The ordinary decode onto a canvas: at full size, or straight to at most DECODE_SIDE a side. */
async function decodeWhole(typed, url, stored) {
  let bitmap;
  if (stored && Math.max(stored.width, stored.height) <= DECODE_SIDE) {
    // Small enough to decode at full size: one decode, straight to a bitmap (EXIF rotation applied).
    bitmap = await decodeBitmap(typed);
  } else {
    // A large or unreadable header: an <img> tells the (rotated) size, then the decode is straight to
    // the reduced size, so a phone photo never sits in memory at full size.
    const img = await loadImageElement(url);
    checkPixels(img.naturalWidth, img.naturalHeight);
    const scale = Math.min(1, DECODE_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
    // At full size no resize options: Chromium then skips its resampling pass (about 2 ms a megapixel).
    bitmap = await decodeBitmap(typed, scale === 1 ? undefined : {
      resizeWidth: Math.max(1, Math.round(img.naturalWidth * scale)),
      resizeHeight: Math.max(1, Math.round(img.naturalHeight * scale)),
      resizeQuality: "high",
    });
  }
  try {
    return drawOnWhite(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/**
 * Decode a Blob into {gray, width, height, previewUrl}. Throws InputError with a message for the page.
 * Animated images give their first frame; transparency is flattened onto white.
 */
export async function blobToGray(blob, name = "file") {
  if (!blob || blob.size === 0) throw new InputError(`“${name}” is empty (0 bytes): choose an image file.`);
  if (blob.size > MAX_FILE_BYTES) {
    throw new InputError(`“${name}” is ${(blob.size / 1048576).toFixed(0)} MB; the limit is ${MAX_FILE_BYTES / 1048576} MB.`);
  }
  const head = new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer());
  const kind = sniff(head);
  if (kind === "svg") {
    throw new InputError("SVG drawings are not supported: upload a photo or a PNG/JPEG of the digit.");
  }
  if (!kind) {
    throw new InputError(`“${name}” is not an image this page can read (PNG, JPEG, GIF, WebP, BMP or AVIF).`);
  }
  // Re-type the blob from its bytes, not its claimed MIME type or file name.
  const typed = new Blob([blob], { type: `image/${kind}` });
  const url = URL.createObjectURL(typed);
  try {
    const stored = imageSize(head, kind);
    if (stored) checkPixels(stored.width, stored.height);
    const scale = kind === "jpeg" && stored ? jpegScale(stored.width, stored.height) : 1;
    const ctx = (scale > 1 && await decodeJpegScaled(typed, stored, scale, head)) || await decodeWhole(typed, url, stored);
    const dw = ctx.canvas.width;
    const dh = ctx.canvas.height;
    const rgba = ctx.getImageData(0, 0, dw, dh).data;
    const reduced = rgbaToSmallGray(rgba, dw, dh);
    // frame: the decoded size the grey pixels were reduced from, so boxes map onto the preview exactly.
    return { ...reduced, previewUrl: url, kind, frame: { width: dw, height: dh } };
  } catch (err) {
    URL.revokeObjectURL(url);
    throw err;
  }
}
