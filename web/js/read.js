// Reading a whole number, as pymodel/model.py's Model.read does it (its port; TEAM.md interface 4): the
// page is analysed once, segment.js groups its ink into digits and has every candidate scored in ONE
// batched call, each chosen digit is judged by result.js's rules (a digit of a number below NUMBER_SURE is
// unsure), and the number is their digits. When the page holds at most one digit, or a chosen digit is
// "not a digit", it is read exactly as recognize reads it (preprocess's single digit, one forward pass), so
// a single digit keeps its answer.
//
// The classifier is passed in, so the same code runs with TF.js in the page and with stored scores in the
// golden tests (tests/js/run_preprocess.mjs).
import { analyse, normalize, single } from "./preprocess.js";
import { NUMBER_SURE, segment } from "./preprocess/segment.js";
import { decide } from "./result.js";

/**
 * Read the digits of a grey image (flat, row-major, 0 black .. 1 white).
 *   scoreBatch(images28) -> one row of class outputs per image (or a Promise of them), one call per number;
 *   scoreOne(image28: Float32Array) -> the outputs for one digit (the single-digit path, as recognize);
 *   rules: result.js's rulesFromManifest.
 * Resolves to {number, digits}: digits left to right, each {digit, confidence, probs, status, box,
 * image28 (Float32Array)}; number joins their digits (an unsure one gives its best guess; "" when none).
 * Throws Error (as preprocess) when the size or values are wrong.
 */
export async function readNumber(gray, width, height, { scoreBatch, scoreOne, rules }) {
  const page = analyse(gray, width, height);
  const found = page.empty ? null : await segment(page, scoreBatch, normalize);
  if (found !== null) {
    const digits = found.map((f) => ({
      ...decide(f.probs, rules), box: page.sourceBox(f.digit.box), image28: Float32Array.from(f.image28),
    }));
    // A reading with a part that is no digit is no number (a letter's strokes, a shape's sides): the
    // image is read as one digit, which says "not a digit" when it is none.
    if (!digits.some((d) => d.status === "not_a_digit")) {
      // A digit of a number needs more confidence than a lone digit (segment.py's NUMBER_SURE says why).
      for (const d of digits) if (d.status === "ok" && d.confidence < NUMBER_SURE) d.status = "unsure";
      return { number: numberOf(digits), digits };
    }
  }
  const pre = single(page);
  if (pre.empty) return { number: "", digits: [] };
  const image28 = Float32Array.from(pre.image28);
  const digits = [{ ...decide(await scoreOne(image28), rules), box: pre.box, image28 }];
  return { number: numberOf(digits), digits };
}

function numberOf(digits) {
  return digits.filter((d) => d.digit !== null).map((d) => String(d.digit)).join("");
}
