// The row reader in TF.js: the graph model training/export_rows.py writes to web/model/rows/ from the same
// float16 weights as pymodel/weights/rows.npz. It reads a picture of a whole row of digits (pymodel/rows.py:
// ROW_HEIGHT px high, any multiple of ROW_STRIDE px wide, 0 paper .. 1 ink) and gives, per ROW_STRIDE-px
// column, logits over "0".."9" and CTC's blank. Used by tfjs-engine.js; the digits never need it.
import { HEIGHT as ROW_HEIGHT, STRIDE as ROW_STRIDE } from "./preprocess/rows.js";
import { BLANK } from "./preprocess/referee.js";

export { ROW_HEIGHT, ROW_STRIDE };
export const ROW_CLASSES = BLANK + 1; // the ten digits, then CTC's blank

const REEXPORT = "re-export it with `python -m training.export_rows`";
const free = (dim) => dim === null || dim === -1;

// The graph's output node carries no shape; the converter's signature (model.json) does.
function outputShape(model) {
  const output = model.outputs[0];
  if (output && output.shape) return output.shape;
  const outputs = Object.values((model.modelSignature && model.modelSignature.outputs) || {});
  const dims = outputs.length === 1 && outputs[0].tensorShape && outputs[0].tensorShape.dim;
  return dims ? dims.map((d) => Number(d.size)) : null;
}

/** Throw unless the graph model takes [n, 32, width, 1] and gives [n, columns, 11], batch and width free. */
export function checkRowModel(model) {
  const input = model.inputs[0] && model.inputs[0].shape;
  if (!input || input.length !== 4 || !free(input[0]) || input[1] !== ROW_HEIGHT || !free(input[2]) || input[3] !== 1) {
    throw new Error(`the TF.js row model expects input ${JSON.stringify(input)}, not [n,${ROW_HEIGHT},width,1] with a free width (${REEXPORT})`);
  }
  const output = outputShape(model);
  if (!output || output.length !== 3 || output[2] !== ROW_CLASSES) {
    throw new Error(`the TF.js row model gives ${JSON.stringify(output)}, not [n,columns,${ROW_CLASSES}] (${REEXPORT})`);
  }
}

/**
 * One row picture (ROW_HEIGHT * width floats, row-major) -> an Array of width / ROW_STRIDE columns, each a
 * Float32Array of ROW_CLASSES logits. Synchronous; no tensor leaks.
 */
export function rowLogits(tf, model, pixels, width) {
  if (!Number.isInteger(width) || width < ROW_STRIDE || width % ROW_STRIDE) {
    throw new Error(`the row picture's width must be a positive multiple of ${ROW_STRIDE}, got ${width}`);
  }
  if (pixels.length !== ROW_HEIGHT * width) {
    throw new Error(`a row picture ${width} px wide has ${ROW_HEIGHT * width} values, got ${pixels.length}`);
  }
  const columns = width / ROW_STRIDE;
  const out = tf.tidy(() => {
    const y = model.predict(tf.tensor4d(Float32Array.from(pixels), [1, ROW_HEIGHT, width, 1], "float32"));
    return Array.isArray(y) ? y[0] : y;
  });
  try {
    const logits = out.dataSync();
    if (logits.length !== columns * ROW_CLASSES) {
      throw new Error(`the TF.js row model gave ${logits.length} values for ${columns} columns, not ${columns * ROW_CLASSES} (${REEXPORT})`);
    }
    return Array.from({ length: columns }, (_, i) => logits.slice(i * ROW_CLASSES, (i + 1) * ROW_CLASSES));
  } finally {
    out.dispose();
  }
}

/**
 * Load the row model from `source` (a URL, or a TF.js IOHandler), check its shapes and run it once (the
 * first run allocates). Throws what went wrong; the caller decides that the digits go on without it.
 */
export async function loadRowModel(tf, source) {
  const model = await tf.loadGraphModel(source);
  try {
    checkRowModel(model);
    rowLogits(tf, model, new Float32Array(ROW_HEIGHT * 16 * ROW_STRIDE), 16 * ROW_STRIDE);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}
