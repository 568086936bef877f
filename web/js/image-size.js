// An image file's pixel size from its header bytes, without decoding it. Lets an upload be refused as too
// large before any decode, and lets a small photo skip the <img> element whose only job was to tell the
// size (a whole extra decode in Chromium). Unknown layouts give null and the caller asks an <img>.

/** How many leading bytes to hand to imageSize: a JPEG's size follows its EXIF block (thumbnail and all). */
export const HEADER_BYTES = 256 * 1024;

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

function jpegSize(b) {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null; // lost in the marker stream: let the browser say
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    // Start of frame (SOF0..SOF15 but DHT C4, JPG C8, DAC CC): precision, height, width.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16be(b, i + 7), height: u16be(b, i + 5) };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
    i += 2 + u16be(b, i + 2);
  }
  return null;
}

function webpSize(b) {
  const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (chunk === "VP8 " && b.length >= 30) return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  if (chunk === "VP8L" && b.length >= 25) {
    const bits = (b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24)) >>> 0;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X" && b.length >= 30) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  return null;
}

/**
 * {width, height} as stored in the file (before any EXIF rotation, which does not change the pixel count),
 * or null when the header is not one this reads (AVIF, a JPEG whose frame header is past `bytes`, damage).
 * kind: what decode-image.js sniffed ("png", "jpeg", "gif", "webp", "bmp", "avif").
 */
export function imageSize(bytes, kind) {
  const b = bytes;
  let size = null;
  if (kind === "png" && b.length >= 24) size = { width: u32be(b, 16), height: u32be(b, 20) };
  else if (kind === "gif" && b.length >= 10) size = { width: u16le(b, 6), height: u16le(b, 8) };
  else if (kind === "bmp" && b.length >= 26) {
    // OS/2 core headers (12 bytes) store 16-bit sizes; every later header 32-bit, negative height = top-down.
    size = i32le(b, 14) === 12 ? { width: u16le(b, 18), height: u16le(b, 20) }
      : { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  else if (kind === "webp" && b.length >= 16) size = webpSize(b);
  else if (kind === "jpeg") size = jpegSize(b);
  return size && size.width > 0 && size.height > 0 ? size : null;
}
