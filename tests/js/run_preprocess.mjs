// Run web/js/preprocess.js on every fixture in a directory and print the results as JSON.
// Usage: node tests/js/run_preprocess.mjs <fixture-dir>
//        node tests/js/run_preprocess.mjs --rgba <json-file>   ({"images": [{"width","height","rgba":[...]}]} -> greys,
//        and each image's grey as the page hands it to the engines: rgbaToSmallGray, reduced to MAX_SIDE)
// Used by tests/test_preprocess_golden.py, which compares the output with pymodel.preprocess and
// pymodel.imageio.rgba_to_gray_array. image28 is the port's double-precision result (preprocess), so the
// comparison sees the arithmetic itself, not the Float32Array the page hands to TF.js.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { preprocess, rgbaToGray, rgbaToSmallGray } = await import(pathToFileURL(resolve(here, "../../web/js/preprocess.js")).href);

const args = process.argv.slice(2);
if (args[0] === "--rgba") {
  const { images } = JSON.parse(readFileSync(args[1], "utf8"));
  const greys = images.map(({ width, height, rgba }) => Array.from(rgbaToGray(Uint8ClampedArray.from(rgba), width, height)));
  const small = images.map(({ width, height, rgba }) => {
    const r = rgbaToSmallGray(Uint8ClampedArray.from(rgba), width, height);
    return { width: r.width, height: r.height, gray: Array.from(r.gray) };
  });
  process.stdout.write(JSON.stringify({ greys, small }));
} else {
  if (args.length !== 1) {
    console.error("usage: node tests/js/run_preprocess.mjs <fixture-dir>");
    process.exit(2);
  }
  const dir = args[0];
  const results = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const { width, height, gray } = JSON.parse(readFileSync(join(dir, name), "utf8"));
    const r = preprocess(gray, width, height);
    results[name] = {
      empty: r.empty,
      inverted: r.inverted,
      box: r.box,
      image28: r.image28 ? Array.from(r.image28) : null,
    };
  }
  process.stdout.write(JSON.stringify(results));
}
