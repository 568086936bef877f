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

function argmax(values) {
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
