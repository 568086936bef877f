// Run the row reader's JavaScript pieces on the requests in a JSON file and print the results as JSON:
// web/js/preprocess/rows.js (rowImage), web/js/preprocess/referee.js (logSoftmax, logProb, likeliest) and
// segment.js's bestPath with a spelling.
// Usage: node tests/js/run_referee.mjs <requests.json>
//   {"rows": [page file, ...]}   a page file as a golden fixture: {width, height, gray, read: {drawn}}
//   {"referee": [{logits, columns, strings, beam, n}, ...]}
//   {"spell": [{skippable, candidates (a fixture's stored ones), probs, spellings: [string | null]}, ...]}
// Used by tests/test_referee_port.py, which compares the results with pymodel.rows, pymodel.referee and
// pymodel.segment.best_path. -Infinity and NaN are written as JSON's Python reads them (bare tokens).
import { readFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const web = (path) => import(pathToFileURL(resolve(here, "../../web/js", path)).href);
const { analyse } = await web("preprocess.js");
const { Span, bestPath, buildRow } = await web("preprocess/segment.js");
const { rowImage } = await web("preprocess/rows.js");
const { likeliest, logProb, logSoftmax } = await web("preprocess/referee.js");

if (process.argv.length !== 3) {
  console.error("usage: node tests/js/run_referee.mjs <requests.json>");
  process.exit(2);
}
const requests = JSON.parse(readFileSync(process.argv[2], "utf8"));

function rowOf(file) {
  const { width, height, gray, read } = JSON.parse(readFileSync(file, "utf8"));
  const page = analyse(gray, width, height, read.drawn);
  if (page.empty) return { row: [], image: null };
  const row = buildRow(page);
  const r = rowImage(page, row);
  return {
    row: row.map((d) => d.box),
    image: r && {
      width: r.width, x0: r.x0, scale: r.scale, columns: r.columns, pixels: Array.from(r.pixels),
      column: [r.x0, r.x0 + 7, r.x0 + 0.5].map((x) => r.column(x)),
    },
  };
}

function referee({ logits, columns, strings, beam, n }) {
  return {
    logSoftmax: logSoftmax(logits),
    logProb: strings.map((s) => logProb(columns, s)),
    likeliest: likeliest(columns, beam, n),
    // The whole way from the model's logits, as the page will go.
    fromLogits: likeliest(logSoftmax(logits), beam, n),
  };
}

function spell({ skippable, candidates, probs, spellings }) {
  // sideBySide looks only at the digits' rows: the stored box is all a span's digit needs here.
  const spans = candidates.map((c) => new Span(c.first, c.last,
    { x0: c.box[0], y0: c.box[1], x1: c.box[0] + c.box[2], y1: c.box[1] + c.box[3] },
    null, c.wide, c.gaps, c.severs, c.joins, c.edge));
  return spellings.map((s) => bestPath(skippable, spans, probs, s));
}

const results = {
  rows: (requests.rows ?? []).map(rowOf),
  referee: (requests.referee ?? []).map(referee),
  spell: (requests.spell ?? []).map(spell),
};
const marked = JSON.stringify(results, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? `@@${v}@@` : v));
process.stdout.write(marked.replace(/"@@(-?Infinity|NaN)@@"/g, "$1"));
