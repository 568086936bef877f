// Run web/js/preprocess.js on every golden fixture in a directory and print the results as JSON.
// Usage: node tests/js/run_preprocess.mjs <fixture-dir>
//        node tests/js/run_preprocess.mjs --rgba <json-file>   ({"width","height","rgba":[...]} -> grey)
// Used by tests/test_preprocess_golden.py, which compares the output with pymodel.preprocess.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { preprocessGray, rgbaToGray } = await import(
  pathToFileURL(resolve(here, "../../web/js/preprocess.js")).href
);

const args = process.argv.slice(2);
if (args[0] === "--rgba") {
  const { width, height, rgba } = JSON.parse(readFileSync(args[1], "utf8"));
  const gray = rgbaToGray(Uint8ClampedArray.from(rgba), width, height);
  process.stdout.write(JSON.stringify({ gray: Array.from(gray) }));
} else {
  if (args.length !== 1) {
    console.error("usage: node tests/js/run_preprocess.mjs <fixture-dir>");
    process.exit(2);
  }
  const dir = args[0];
  const results = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const { width, height, gray } = JSON.parse(readFileSync(join(dir, name), "utf8"));
    const r = preprocessGray(gray, width, height);
    results[name] = {
      empty: r.empty,
      inverted: r.inverted,
      image28: r.image28 ? Array.from(r.image28) : null,
    };
  }
  process.stdout.write(JSON.stringify(results));
}
