// The one result shape both engines return (TEAM.md, interface 1), and the rules that turn the model's
// outputs into a status. pymodel applies the same rules in Python; the Python engine passes its answer on.
//
//   {engine, digit, confidence, probs, status, box, image28, ms}   (+ empty, unsure, kept for old readers)
//   status: "ok" | "unsure" | "not_a_digit" | "empty"; digit is null for the last two.

export const STATUSES = Object.freeze(["ok", "unsure", "not_a_digit", "empty"]);
const NOT_A_DIGIT = "not_a_digit";
const DIGITS = 10;

/**
 * Rules from the weights manifest (pymodel/weights/digits.json): its labels in output order, the
 * `unsure_threshold`, and, only when an 11th label "not_a_digit" exists, the `reject_threshold`.
 * A 10-class manifest never says "not_a_digit".
 */
export function rulesFromManifest(manifest) {
  const labels = Array.isArray(manifest && manifest.labels) ? manifest.labels.map(String) : null;
  const outputs = labels ? labels.length : DIGITS;
  const rejectIndex = labels ? labels.indexOf(NOT_A_DIGIT) : -1;
  const unsure = manifest && typeof manifest.unsure_threshold === "number" ? manifest.unsure_threshold : 0.5;
  const reject = manifest && typeof manifest.reject_threshold === "number" ? manifest.reject_threshold : null;
  return {
    outputs,
    unsureThreshold: unsure,
    rejectIndex: rejectIndex >= 0 && reject !== null ? rejectIndex : -1,
    rejectThreshold: reject,
  };
}

/** The index of the largest value (the first of equals). */
export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** {digit, confidence, probs, status} from one softmax output vector (10 or 11 values). */
export function decide(outputs, rules) {
  const probs = Array.from(outputs).slice(0, DIGITS);
  if (rules.rejectIndex >= 0 && outputs[rules.rejectIndex] >= rules.rejectThreshold) {
    return { digit: null, confidence: outputs[rules.rejectIndex], probs, status: NOT_A_DIGIT };
  }
  const digit = argmax(probs);
  const confidence = probs[digit];
  return { digit, confidence, probs, status: confidence < rules.unsureThreshold ? "unsure" : "ok" };
}

/** Fill in the interface's fields (and the legacy empty/unsure flags) from whatever an engine returned. */
export function normalize(engine, r, ms) {
  const status = STATUSES.includes(r.status) ? r.status : r.empty ? "empty" : r.unsure ? "unsure" : "ok";
  const hasDigit = status === "ok" || status === "unsure";
  return {
    ...r,
    engine,
    status,
    digit: hasDigit ? r.digit : null,
    confidence: typeof r.confidence === "number" ? r.confidence : 0,
    probs: r.probs ? Array.from(r.probs).slice(0, DIGITS) : new Array(DIGITS).fill(0),
    box: r.box ? Array.from(r.box) : null,
    image28: r.image28 || null,
    empty: status === "empty",
    unsure: status === "unsure",
    ms,
  };
}

export function emptyResult(engine, ms = 0) {
  return normalize(engine, { status: "empty" }, ms);
}

// ---------- readings (interface 4): a number, or one digit, read from one image ----------
//
//   {engine, number, digits, ms}   number: the digits read ("" when none; an unsure digit gives its best
//   guess); digits: one result (above) per digit, left to right; [] for an empty image.

/** The digits of `digits` that name one, as the string of the number. */
export function numberOf(digits) {
  return digits.filter((d) => d.digit !== null).map((d) => String(d.digit)).join("");
}

/** The worst status over a number's digits: one doubtful digit makes the number doubtful. */
export function worstStatus(digits) {
  if (!digits.length) return "empty";
  if (digits.some((d) => d.status === "not_a_digit")) return "not_a_digit";
  if (digits.some((d) => d.status === "unsure")) return "unsure";
  return "ok";
}

/** Fill in a Reading from whatever an engine's read returned (py_ms kept: the time spent in Python). */
export function normalizeReading(engine, r, ms) {
  const digits = Array.from(r.digits || [], (d) => normalize(engine, d, ms));
  const reading = { engine, number: typeof r.number === "string" ? r.number : numberOf(digits), digits, ms };
  if (typeof r.py_ms === "number") reading.py_ms = r.py_ms;
  return reading;
}

/** The box [x, y, w, h] round all the boxes given (null ones left out; null when there are none). */
export function unionBox(boxes) {
  const some = boxes.filter(Boolean);
  if (!some.length) return null;
  const x0 = Math.min(...some.map((b) => b[0]));
  const y0 = Math.min(...some.map((b) => b[1]));
  return [x0, y0, Math.max(...some.map((b) => b[0] + b[2])) - x0, Math.max(...some.map((b) => b[1] + b[3])) - y0];
}

/**
 * What the page shows for a reading, as one result object: for one digit (or none) exactly that digit's
 * result, as before numbers were read; for a number, a summary (digit null, the number's status, the
 * probability that every digit is right as its confidence, the union of the boxes). Both carry `number`
 * and `digits`, which is what the history keeps.
 */
export function shownResult(reading) {
  const { engine, number, digits, ms } = reading;
  if (digits.length === 0) return { ...emptyResult(engine, ms), number: "", digits: [] };
  if (digits.length === 1) return { ...digits[0], engine, ms, number, digits };
  const status = worstStatus(digits);
  return {
    engine, ms, number, digits, status, digit: null,
    confidence: digits.reduce((p, d) => p * (d.digit === null ? 1 : d.confidence), 1),
    probs: null, image28: null,
    box: unionBox(digits.map((d) => d.box)),
    empty: false, unsure: status === "unsure",
  };
}
