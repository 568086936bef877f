// Read the number in every golden fixture with web/js/preprocess/segment.js and web/js/read.js (readOnce,
// and readNumber where the fixture stores readings inside a margin), the
// classifier replaced by the outputs the fixture stores (its "read" section), and print the results as JSON.
// Usage: node tests/js/run_read.mjs <fixture-dir>
// Used by tests/test_preprocess_golden.py, which compares them with pymodel.segment and Model.read:
// the candidates (pieces, boxes, prior terms, 28x28s in double precision), the choice, and the reading.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const web = (path) => import(pathToFileURL(resolve(here, "../../web/js", path)).href);
const { analyse, normalize } = await web("preprocess.js");
const { candidates, decide } = await web("preprocess/segment.js");
const { readNumber, readOnce } = await web("read.js");
const { rulesFromManifest } = await web("result.js");

if (process.argv.length !== 3) {
  console.error("usage: node tests/js/run_read.mjs <fixture-dir>");
  process.exit(2);
}
const dir = process.argv[2];
const results = {};

// The row reader replaced by the logits a fixture stores (its "row_logits", then its margin's "rows"), served
// in call order; the row picture is computed, and its width and the sum of its pixels must be the stored ones.
// null (no row reader) when the fixture stores none, as Python's StoredScores.
function storedRows(name, calls) {
  if (!calls) return null;
  const left = [...calls];
  return (pixels, width) => {
    const row = left.shift();
    if (!row) throw new Error(`${name}: the row reader ran; the fixture stores no logits for it`);
    let sum = 0;
    for (const v of pixels) sum += v;
    if (width !== row.width || Math.abs(sum - row.sum) > 1e-6) {
      throw new Error(`${name}: the row picture is ${width} px wide with ink ${sum}; the fixture stores ${row.width} px and ${row.sum}`);
    }
    return row.logits;
  };
}

for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const { width, height, gray, read: stored } = JSON.parse(readFileSync(join(dir, name), "utf8"));
  const page = analyse(gray, width, height, stored.drawn);
  const { skippable, spans } = page.empty ? { skippable: [], spans: [] } : candidates(page, normalize);
  const calls = { batch: 0, single: 0 };
  // The stored outputs, handed over as the page's engine hands over TF.js's (float32 arrays).
  // The first batch, then the second an unsure reading makes with narrower groups cut (segment.js RECUT_SURE).
  const firstBatches = [stored.batch_scores, stored.recut_scores].filter((b) => b);
  const scoreBatch = (images28) => {
    const b = firstBatches[calls.batch];
    calls.batch += 1;
    if (!b || images28.length !== b.length) {
      throw new Error(`${name}: ${images28.length} candidates scored; the fixture stores ${b && b.length}`);
    }
    return b.map((row) => Float32Array.from(row));
  };
  const scoreOne = () => {
    calls.single += 1;
    if (!stored.single_scores) throw new Error(`${name}: the single-digit path ran; the fixture stores no score for it`);
    return Float32Array.from(stored.single_scores);
  };
  const reading = await readOnce(gray, width, height, {
    scoreBatch, scoreOne, rules: rulesFromManifest(stored.rules), drawn: stored.drawn,
    rows: storedRows(name, stored.row_logits),
  });
  // The whole readNumber, with its readings inside a margin: the stored outputs served in call order.
  let final = null;
  if (stored.margin) {
    const batches = [stored.batch_scores, stored.recut_scores, ...stored.margin.batches].filter((b) => b);
    const singles = [stored.single_scores, ...stored.margin.singles].filter((b) => b);
    const r = await readNumber(gray, width, height, {
      scoreBatch: (images28) => {
        const b = batches.shift();
        if (!b || b.length !== images28.length) throw new Error(`${name}: ${images28.length} candidates scored`);
        return b.map((row) => Float32Array.from(row));
      },
      scoreOne: () => {
        const one = singles.shift();
        if (!one) throw new Error(`${name}: no stored score for the single-digit path`);
        return Float32Array.from(one);
      },
      rules: rulesFromManifest(stored.rules),
      drawn: stored.drawn,
      rows: storedRows(name, stored.row_logits && [...stored.row_logits, ...(stored.margin.rows || [])]),
    });
    final = { number: r.number, digits: r.digits.map((d) => ({ digit: d.digit, status: d.status, confidence: d.confidence, box: d.box })) };
  }
  results[name] = {
    skippable,
    candidates: spans.map((s) => ({
      first: s.first, last: s.last, box: s.digit.box, wide: s.wide, gaps: s.gaps, severs: s.severs, joins: s.joins, edge: s.edge,
      image28: Array.from(s.image28),
    })),
    chosen: spans.length ? decide(skippable, spans, stored.batch_scores) : [],
    calls,
    final,
    number: reading.number,
    digits: reading.digits.map((d) => ({ digit: d.digit, status: d.status, confidence: d.confidence, box: d.box,
      reason: d.reason || "",
      probs: d.probs, image28: Array.from(d.image28) })),
  };
}
process.stdout.write(JSON.stringify(results));
