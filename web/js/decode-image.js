// Uploaded / dropped / pasted images -> grey pixels for the engines, with clear errors for bad input.
// Every check happens before a full-size decode, so a 12000x12000 image or a 200 MB paste never
// allocates gigabytes or freezes the page.
import { reduceToMaxSide, rgbaToGray } from "./preprocess.js";

export const MAX_FILE_BYTES = 25 * 1024 * 1024;
export const MAX_PIXELS = 40_000_000; // 40 megapixels: any phone photo, not a decompression bomb
// Decoding straight to this size keeps memory small; reduceToMaxSide then brings it to MAX_SIDE exactly as
// pymodel does, so both engines receive identical grey pixels.
const DECODE_SIDE = 1024;

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

function loadImageElement(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => resolve(img);
    img.onerror = () => reject(new InputError("This image could not be decoded: the file is corrupt or truncated."));
    img.src = url;
  });
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
  const head = new Uint8Array(await blob.slice(0, 512).arrayBuffer());
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
    // The element reads only the header to learn the size; pixels are decoded later, at reduced size.
    const img = await loadImageElement(url);
    const w = img.naturalWidth;
    const h = img.naturalHeight;
    if (!w || !h) throw new InputError("This image has no pixels.");
    if (w * h > MAX_PIXELS) {
      throw new InputError(`This image is ${w}×${h} pixels — too large (limit ${MAX_PIXELS / 1e6} megapixels). Crop or shrink it first.`);
    }
    const scale = Math.min(1, DECODE_SIDE / Math.max(w, h));
    const dw = Math.max(1, Math.round(w * scale));
    const dh = Math.max(1, Math.round(h * scale));
    let bitmap;
    try {
      // createImageBitmap takes the first frame of an animated GIF/WebP (the spec's "default image").
      // At full size no resize options: Chromium then skips its resampling pass (about 2 ms a megapixel).
      bitmap = scale === 1 ? await createImageBitmap(typed)
        : await createImageBitmap(typed, { resizeWidth: dw, resizeHeight: dh, resizeQuality: "high" });
    } catch {
      throw new InputError("This image could not be decoded: the file is corrupt or truncated.");
    }
    const canvas = document.createElement("canvas");
    canvas.width = dw;
    canvas.height = dh;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, dw, dh);
    ctx.drawImage(bitmap, 0, 0, dw, dh);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, dw, dh).data;
    const reduced = reduceToMaxSide(rgbaToGray(rgba, dw, dh), dw, dh);
    // frame: the decoded size the grey pixels were reduced from, so boxes map onto the preview exactly.
    return { ...reduced, previewUrl: url, kind, frame: { width: dw, height: dh } };
  } catch (err) {
    URL.revokeObjectURL(url);
    throw err;
  }
}
