// Run the TF.js row reader through the page's own TfjsEngine (web/js/tfjs-engine.js: loadRowReader,
// rowLogits) on TF.js's CPU backend, the graph model read from files, and print the logits as JSON.
// Usage: node tests/js/run_rows_tfjs.mjs <model-dir> <rows.json>
//   rows.json: {"rows": [{"pixels": [32 * width floats], "width": w}, ...]}
//   prints (last line): {"rowReader", "error", "logits": [per row: columns x 11], "leaked": tensors left over,
//   "widthError": what rowLogits says to a picture 6 px wide}
// Used by tests/test_row_tfjs.py, which compares the logits with pymodel's NumpyRowKernels.
import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";

const here = dirname(fileURLToPath(import.meta.url));
const { TfjsEngine } = await import(pathToFileURL(resolve(here, "../../web/js/tfjs-engine.js")).href);

if (process.argv.length !== 4) {
  console.error("usage: node tests/js/run_rows_tfjs.mjs <model-dir> <rows.json>");
  process.exit(2);
}
const [modelDir, rowsFile] = process.argv.slice(2);

// A TF.js IOHandler reading model.json and its shards from disk (the page fetches the same files by URL).
const files = {
  async load() {
    const modelJson = JSON.parse(readFileSync(join(modelDir, "model.json"), "utf8"));
    return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const buffers = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(modelDir, p))));
      const data = Buffer.concat(buffers);
      return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
    });
  },
};

globalThis.tf = tf; // where the engine finds TF.js in the page
await tf.setBackend("cpu");
await tf.ready();
const engine = new TfjsEngine({ scripts: [], backend: "cpu" });
await engine.loadRowReader(files);
const before = tf.memory().numTensors;
const logits = engine.rowReader
  ? JSON.parse(readFileSync(rowsFile, "utf8")).rows.map(({ pixels, width }) =>
    engine.rowLogits(Float32Array.from(pixels), width).map((column) => Array.from(column)))
  : [];
const leaked = tf.memory().numTensors - before;
let widthError = null; // a width that is not a multiple of 4 must be refused, not read
try {
  engine.rowLogits(new Float32Array(32 * 6), 6);
} catch (err) {
  widthError = err.message;
}
console.log(JSON.stringify({ rowReader: engine.rowReader !== null, error: engine.rowReaderError, logits, leaked, widthError }));
