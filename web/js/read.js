// Reading a whole number, as pymodel/model.py's Model.read does it (its port; TEAM.md interface 4): the
// page is analysed once, segment.js groups its ink into digits and has every candidate scored in ONE
// batched call, each chosen digit is judged by result.js's rules (a digit of a number below NUMBER_SURE is
// unsure, and so is one that is "not a digit" in a number that is mostly digits), and the number is their
// digits. When the page holds at most one digit, or its digits are mostly "not a digit", it is read exactly
// as recognize reads it (preprocess's single digit, one forward pass), so a single digit keeps its answer.
//
// An image cropped tight to its writing is read again inside a margin of paper when the first reading has
// no sure digit, a digit under MARGIN_SURE or a digit touching the border (within BORDER_NEAR of it), and
// that reading is kept when each of its digits is at least MARGIN_SURE sure and surer than the first's
// least sure, and holds the first's digits when they are all sure (model.py's MARGIN_SURE, BORDER_NEAR and
// HOLD_SLACK say why). When it is not kept, a third look reads the image inside a margin that continues the
// paper of each of its sides, and is kept by the same rules when it also reads no more digits than the
// first (or one) and holds the first's sure digits (model.py's _LOOKS and _side_better).
//
// The classifier is passed in, so the same code runs with TF.js in the page and with stored scores in the
// golden tests (tests/js/run_preprocess.mjs).
import { analyse, asModelInput, normalize, single } from "./preprocess.js";
import { borderMedian, unmarginBox, withMargin, withSideMargin } from "./preprocess/raster.js";
import { NUMBER_HEIGHT, NUMBER_REJECTS, NUMBER_SURE, segment } from "./preprocess/segment.js";
import { argmax, decide, unionBox } from "./result.js";

export const MARGIN_SURE = 0.9; // model.py's MARGIN_SURE
export const BORDER_NEAR = 0.03; // model.py's BORDER_NEAR
export const HOLD_SLACK = 0.05; // model.py's HOLD_SLACK

/**
 * Read the digits of a grey image (flat, row-major, 0 black .. 1 white); drawn: it is a drawing on the pad,
 * whose borders cut nothing (preprocess.js's Page).
 *   scoreBatch(images28) -> one row of class outputs per image (or a Promise of them), one call per look
 *     at the number (a second for an unsure reading, segment.js's RECUT_SURE), each passed only the
 *     candidates no earlier call of this reading scored (rememberScores);
 *   scoreOne(image28: Float32Array) -> the outputs for one digit (the single-digit path, as recognize);
 *   rules: result.js's rulesFromManifest;
 *   rows(pixels, width) -> the row reader's logits per column for a row picture (or a Promise of them), or
 *     null: the referee of segment.js's step 6 (never on the pad).
 * Resolves to {number, digits}: digits left to right, each {digit, confidence, probs, status, box,
 * image28 (Float32Array)}; number joins their digits (an unsure one gives its best guess; "" when none).
 * Throws Error (as preprocess) when the size or values are wrong.
 */
export async function readNumber(gray, width, height, { scoreBatch, scoreOne, rules, rows = null, drawn = false }) {
  const ready = asModelInput(gray, width, height); // already the model's 28x28: one digit (preprocess's step 0)
  if (ready !== null) return readSingle(ready, scoreOne, rules);
  const score = rememberScores(scoreBatch); // the looks share candidates: each is scored once
  const row = rows && rememberRows(rows); // and often the row picture
  const first = await readOnce(gray, width, height, { scoreBatch: score, scoreOne, rules, rows: row, drawn });
  if (drawn || !marginNeeded(first.digits, width, height)) return first;
  for (const [look, keeps] of LOOKS) {
    const m = look(gray, width, height);
    const second = await readOnce(m.gray, m.width, m.height, { scoreBatch: score, scoreOne, rules, rows: row });
    const digits = second.digits.map((d) => ({ ...d, box: unmarginBox(d.box, m.pad, width, height) }));
    if (keeps(digits, first.digits, width, height)) return { number: second.number, digits };
  }
  return first;
}

/**
 * One digit, as pymodel's recognize_gray: preprocess's digit and its answer ({digit, confidence, probs,
 * status, box, image28}, or null when the image is empty), read again inside a margin as readNumber does.
 */
export async function recognizeDigit(gray, width, height, { scoreOne, rules }) {
  const ready = asModelInput(gray, width, height);
  if (ready !== null) return (await readSingle(ready, scoreOne, rules)).digits[0] || null;
  const first = (await readSingle(single(analyse(gray, width, height)), scoreOne, rules)).digits;
  if (!marginNeeded(first, width, height)) return first[0] || null;
  for (const [look, keeps] of LOOKS) {
    const m = look(gray, width, height);
    const second = (await readSingle(single(analyse(m.gray, m.width, m.height)), scoreOne, rules)).digits
      .map((d) => ({ ...d, box: unmarginBox(d.box, m.pad, width, height) }));
    if (keeps(second, first, width, height)) return second[0];
  }
  return first[0] || null;
}

/**
 * The image inside a margin of paper for the second look: the paper is the median grey of its border
 * ring, not of the whole image (a crop cut tight round a bold digit is half ink; pymodel/model.py's
 * _in_margin).
 */
function inMargin(gray, width, height) {
  return withMargin(gray, width, height, borderMedian(gray, width, height));
}

/**
 * The batched classifier, remembering what it scored: a call passes on, in order, only the 28x28s no
 * earlier call scored (no call when there are none) and answers every image (pymodel's remembered: both
 * ports make the same calls).
 */
export function rememberScores(scoreBatch) {
  if (scoreBatch.remembers) return scoreBatch;
  const seen = new Map();
  const score = async (images28) => {
    const keys = images28.map((image) => Array.prototype.join.call(image, ","));
    const fresh = keys.map((key, k) => [key, images28[k]]).filter(([key]) => !seen.has(key));
    if (fresh.length) {
      const rows = await scoreBatch(fresh.map(([, image]) => image));
      fresh.forEach(([key], k) => seen.set(key, rows[k]));
    }
    return keys.map((key) => seen.get(key));
  };
  score.remembers = true;
  return score;
}

/**
 * The row reader, remembering what it read: the looks inside a margin often find the same row picture (a
 * margin adds paper, not ink), which is then read once (pymodel's remembered_row).
 */
export function rememberRows(rows) {
  const seen = new Map();
  return async (pixels, width) => {
    const key = `${width}:${Array.prototype.join.call(pixels, ",")}`;
    if (!seen.has(key)) seen.set(key, await rows(pixels, width));
    return seen.get(key);
  };
}

/** One reading of the image as it is (readNumber without the second look inside a margin). */
export async function readOnce(gray, width, height, { scoreBatch, scoreOne, rules, rows = null, drawn = false }) {
  const ready = asModelInput(gray, width, height);
  if (ready !== null) return readSingle(ready, scoreOne, rules);
  const page = analyse(gray, width, height, drawn);
  const found = page.empty ? null : await segment(page, rememberScores(scoreBatch), normalize, rows);
  if (found !== null) {
    const digits = found.map((f) => ({
      ...decide(f.probs, rules), box: page.sourceBox(f.digit.box), image28: Float32Array.from(f.image28),
    }));
    // Mostly "not a digit" is no number (a letter's strokes, a shape's sides): read as one digit below.
    // ... unless the row reader vouches for the reading (segment.js's ROW_SURE).
    const rejected = digits.filter((d) => d.status === "not_a_digit").length;
    if (found[0].vouched || rejected < NUMBER_REJECTS * digits.length) {
      let tallest = 0;
      for (const f of found) tallest = Math.max(tallest, f.digit.y1 - f.digit.y0);
      digits.forEach((d, k) => inNumber(d, found[k].digit.y1 - found[k].digit.y0 < NUMBER_HEIGHT * tallest, found[k].read));
      return { number: numberOf(digits), digits };
    }
  }
  return readSingle(single(page), scoreOne, rules);
}

function touchesBorder(box, width, height) {
  const near = BORDER_NEAR * Math.max(width, height);
  return Boolean(box) && (box[0] <= near || box[1] <= near || box[0] + box[2] >= width - near
    || box[1] + box[3] >= height - near);
}

// How sure a digit is for the looks inside a margin: its confidence, or the classifier's top probability for
// a digit the row reader read as another ("whole_row"; model.py's _sureness says why).
function sureness(d) {
  return d.reason === "whole_row" ? Math.max(...d.probs) : d.confidence;
}

// model.py's _margin_needed: no digit is sure, one is under MARGIN_SURE (sureness), or one touches the image's
// border.
function marginNeeded(digits, width, height) {
  return !digits.some((d) => d.status === "ok") || digits.some((d) => sureness(d) < MARGIN_SURE)
    || digits.some((d) => touchesBorder(d.box, width, height));
}

// model.py's _margin_better (the second reading's boxes in the image's pixels): each digit sure to
// MARGIN_SURE, and surer than the first's least sure digit when the first reading has a sure digit; and
// holding the first's digits when every one of them is sure to NUMBER_SURE (HOLD_SLACK).
function marginBetter(second, first, width, height) {
  if (!second.length || second.some((d) => d.status !== "ok" || d.confidence < MARGIN_SURE)) return false;
  if (!first.some((d) => d.status === "ok")) return true;
  if (Math.min(...second.map((d) => d.confidence)) <= Math.min(...first.map(sureness))) return false;
  if (first.every((d) => d.status === "ok" && d.confidence >= NUMBER_SURE)) {
    return holds(unionBox(second.map((d) => d.box)), unionBox(first.map((d) => d.box)), HOLD_SLACK * Math.max(width, height));
  }
  return true;
}

// model.py's _side_better: the third look's reading (inside a margin continuing each side's paper) as
// marginBetter, reading no more digits than the first (or one) and holding the first's sure digits.
function sideBetter(second, first, width, height) {
  if (second.length > Math.max(1, first.length)) return false;
  const sure = first.filter((d) => d.status === "ok" && d.confidence >= NUMBER_SURE).map((d) => d.box);
  if (sure.length && !holds(unionBox(second.map((d) => d.box)), unionBox(sure), HOLD_SLACK * Math.max(width, height))) {
    return false;
  }
  return marginBetter(second, first, width, height);
}

// The looks at an image inside a margin, in order, each with the rule for keeping its reading (model.py's _LOOKS).
const LOOKS = [[inMargin, marginBetter], [withSideMargin, sideBetter]];

// model.py's _holds: whether box outer holds box inner, give or take slack pixels on each side.
function holds(outer, inner, slack) {
  if (!inner) return true;
  if (!outer) return false;
  return outer[0] <= inner[0] + slack && outer[1] <= inner[1] + slack
    && outer[0] + outer[2] >= inner[0] + inner[2] - slack && outer[1] + outer[3] >= inner[1] + inner[3] - slack;
}

async function readSingle(pre, scoreOne, rules) {
  if (pre.empty) return { number: "", digits: [] };
  const image28 = Float32Array.from(pre.image28);
  const digits = [{ ...decide(await scoreOne(image28), rules), box: pre.box, image28 }];
  return { number: numberOf(digits), digits };
}

// A digit as part of a number (segment.py's NUMBER_REJECTS, NUMBER_SURE and NUMBER_HEIGHT say why): read
// by the referee as a digit other than the classifier's top one (segment.js's read), it is that digit at the
// classifier's probability for it, unsure, reason "whole_row"; rejected, it is unsure with its best guess; below NUMBER_SURE, or
// short beside the tallest, unsure. Its reason says which, the first that holds (model.py's _in_number).
function inNumber(d, short, read = null) {
  if (read !== null) {
    Object.assign(d, { digit: read, confidence: d.probs[read], status: "unsure", reason: "whole_row" });
  } else if (d.status === "not_a_digit") {
    const best = argmax(d.probs);
    Object.assign(d, { digit: best, confidence: d.probs[best], status: "unsure", reason: "not_digit_like" });
  } else if (d.status === "unsure" || (d.status === "ok" && d.confidence < NUMBER_SURE)) {
    Object.assign(d, { status: "unsure", reason: "low_confidence" });
  } else if (d.status === "ok" && short) {
    Object.assign(d, { status: "unsure", reason: "smaller" });
  }
}

function numberOf(digits) {
  return digits.filter((d) => d.digit !== null).map((d) => String(d.digit)).join("");
}
