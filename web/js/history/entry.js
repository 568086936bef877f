// One history entry: what the user gave (thumbnail, each digit's 28x28), what the model answered, and the
// user's correction. Pure functions on plain objects; the store and the sync code share them.
//
// Document (schema 1), one per drawing or upload:
//   _id            "entry:<created ISO time>:<8 hex>"  (sorts by creation time, so allDocs lists in order)
//   type, schema   "digits-entry", 1
//   created, updated   ISO times: first reading, latest reading (later strokes); a correction has its own time
//   source         "pad" | "upload"
//   engine         "tfjs" | "python"
//   model_sha256   sha256 of the weights that answered (pymodel/weights/digits.json: weights.sha256)
//   thumbnail      small PNG/JPEG/WebP data URL of the input, or null
//   answer         the digits read, as a string ("7", "42"; "" when no digit was read)
//   confidence     probability that the whole answer is right (product over digits), or null
//   status         "ok" | "unsure" | "not_a_digit" | "empty" (the worst over the digits)
//   digits         [{answer, confidence, status, box, image28}] one per digit read, left to right;
//                  image28 is base64 of 784 bytes, row-major, light ink (255) on black (0)
//   correction     null | {digits: "42", time}   the true digits, as the user said
//   correction_history  [{digits, time, note?}]  corrections that were replaced, never dropped

export const ENTRY_TYPE = "digits-entry";
export const SCHEMA_VERSION = 1;
export const ENTRY_PREFIX = "entry:";
// Upper bound of the entry id range for allDocs (every id is ENTRY_PREFIX + an ISO time + ...).
export const ENTRY_RANGE_END = ENTRY_PREFIX + "\ufff0";

const STATUSES = ["ok", "unsure", "not_a_digit", "empty"];
const SOURCES = ["pad", "upload"];
const MAX_THUMBNAIL_CHARS = 64 * 1024;
const MAX_CORRECTION_DIGITS = 32;

export class EntryError extends Error {
  constructor(message) {
    super(message);
    this.name = "EntryError";
  }
}

export function isEntryId(id) {
  return typeof id === "string" && id.startsWith(ENTRY_PREFIX);
}

/** A new id that sorts by creation time; the random tail keeps ids from two devices apart. */
export function newEntryId(createdIso, random = Math.random) {
  let tail = "";
  for (let i = 0; i < 8; i++) tail += Math.floor(random() * 16).toString(16);
  return `${ENTRY_PREFIX}${createdIso}:${tail}`;
}

// ---------- 28x28 images ----------

/** 784 floats in [0, 1] (or bytes) -> base64 of 784 bytes. */
export function encodeImage28(image28) {
  if (image28 == null) return null;
  if (typeof image28.length !== "number" || image28.length !== 784) {
    throw new EntryError(`image28 must hold 784 values (28x28), got ${image28 && image28.length}`);
  }
  const bytes = image28 instanceof Uint8Array ? image28 : Uint8Array.from(image28, toByte);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

function toByte(v) {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new EntryError("image28 holds a value that is not a number");
  return Math.round(255 * Math.min(1, Math.max(0, x)));
}

/** base64 of 784 bytes -> Uint8Array(784). */
export function decodeImage28(b64) {
  const bin = atob(b64);
  if (bin.length !== 784) throw new EntryError(`a stored 28x28 image has ${bin.length} bytes, not 784`);
  const out = new Uint8Array(784);
  for (let i = 0; i < 784; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------- readings (what the recognizer said) ----------

function digitFromPrediction(p) {
  const status = STATUSES.includes(p.status) ? p.status : p.digit == null ? "empty" : "ok";
  const hasDigit = Number.isInteger(p.digit) && p.digit >= 0 && p.digit <= 9 && status !== "empty" && status !== "not_a_digit";
  return {
    answer: hasDigit ? String(p.digit) : "",
    confidence: typeof p.confidence === "number" && Number.isFinite(p.confidence) ? p.confidence : null,
    status,
    box: Array.isArray(p.box) && p.box.length === 4 ? p.box.map(Number) : null,
    image28: encodeImage28(p.image28 ?? null),
  };
}

function worstStatus(digits) {
  if (!digits.length || digits.every((d) => d.status === "empty")) return "empty";
  if (digits.some((d) => d.status === "not_a_digit")) return "not_a_digit";
  if (digits.some((d) => d.status === "unsure")) return "unsure";
  return "ok";
}

function checkThumbnail(thumbnail) {
  if (thumbnail == null) return null;
  if (typeof thumbnail !== "string" || !/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$/.test(thumbnail)) {
    throw new EntryError("thumbnail must be a PNG, JPEG or WebP data: URL");
  }
  if (thumbnail.length > MAX_THUMBNAIL_CHARS) {
    throw new EntryError(`thumbnail is ${thumbnail.length} characters; keep it under ${MAX_THUMBNAIL_CHARS} (a small image)`);
  }
  return thumbnail;
}

/**
 * The recognition fields of an entry from a reading:
 *   {digits: [prediction, ...] | prediction: {...}, engine, model_sha256, source, thumbnail}
 * A prediction has the shared result fields (digit, confidence, status, box, image28).
 */
export function readingFields(reading) {
  if (!reading || typeof reading !== "object") throw new EntryError("a reading must be an object");
  const predictions = Array.isArray(reading.digits) ? reading.digits : reading.prediction ? [reading.prediction] : null;
  if (!predictions) throw new EntryError("a reading needs `digits` (a list of predictions) or `prediction`");
  const digits = predictions.map(digitFromPrediction);
  const read = digits.filter((d) => d.answer !== "");
  const confidences = read.map((d) => d.confidence);
  return {
    source: SOURCES.includes(reading.source) ? reading.source : "pad",
    engine: String(reading.engine || "unknown"),
    model_sha256: typeof reading.model_sha256 === "string" ? reading.model_sha256 : null,
    thumbnail: checkThumbnail(reading.thumbnail ?? null),
    answer: read.map((d) => d.answer).join(""),
    confidence: read.length && confidences.every((c) => c != null) ? confidences.reduce((a, b) => a * b, 1) : null,
    status: worstStatus(digits),
    digits,
  };
}

export function newEntry(reading, nowIso, random = Math.random) {
  return {
    _id: newEntryId(nowIso, random),
    type: ENTRY_TYPE,
    schema: SCHEMA_VERSION,
    created: nowIso,
    updated: nowIso,
    ...readingFields(reading),
    correction: null,
    correction_history: [],
  };
}

/** Later strokes on the same drawing: new reading, same entry. A correction made for the old drawing
 *  no longer describes it, so it moves to the history (kept, not exported). */
export function withReading(entry, reading, nowIso) {
  const next = { ...entry, ...readingFields(reading), updated: nowIso };
  if (entry.correction) {
    next.correction = null;
    next.correction_history = [...(entry.correction_history || []), { ...entry.correction, note: "drawing changed after this correction" }];
  }
  return next;
}

/** The true digits of an entry, as the user typed them: "7" or "42". */
export function parseCorrection(text) {
  const digits = String(text ?? "").replace(/\s+/g, "");
  if (!/^[0-9]+$/.test(digits)) throw new EntryError("a correction is the true digit or digits, 0-9 only (e.g. 7 or 42)");
  if (digits.length > MAX_CORRECTION_DIGITS) throw new EntryError(`a correction holds at most ${MAX_CORRECTION_DIGITS} digits`);
  return digits;
}

export function withCorrection(entry, text, nowIso) {
  const digits = parseCorrection(text);
  const history = [...(entry.correction_history || [])];
  if (entry.correction) history.push(entry.correction);
  return { ...entry, correction: { digits, time: nowIso }, correction_history: history };
}
