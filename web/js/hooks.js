// window.__digits: stable hooks for the tests and the benchmark (python build.py bench). They reach the
// engines through the same interface the page uses; nothing here changes what the page does.
import { blobToGray } from "./decode-image.js";
import { normalize, normalizeReading, shownResult } from "./result.js";

// An image file's bytes (a plain array, as tests hand them over) as the Blob a file input or a drop gives.
function fileBlob(bytes, type) {
  return new Blob([Uint8Array.from(bytes)], { type });
}

// A file's Blob through the page's upload decode, its preview URL released (no page shows it).
async function decodeBlob(blob) {
  const image = await blobToGray(blob, "test image");
  URL.revokeObjectURL(image.previewUrl);
  return image;
}

export function exposeHooks({ controller, engines, view }) {
  const engine = (name) => {
    const e = engines[name];
    if (!e || !controller.ready(name)) throw new Error(`the ${name} engine is not ready`);
    return e;
  };
  const hooks = {
    config: null,
    timings: {}, // ms since navigation start: tfjsReady, pythonReady
    tfjsReady: null, // promises, settled when each engine has started or failed
    pythonReady: null,
    get lastResult() { return controller.lastResult; },
    tfBackend: () => engines.tfjs.backend,
    numTensors: () => engines.tfjs.numTensors(),
    /** The TF.js row reader's logits for one row picture (32 * width floats): width / 4 arrays of 11. */
    rowLogits: (pixels, width) => engine("tfjs").rowLogits(pixels, width).map((column) => Array.from(column)),
    /** Every output of one engine's model for a 28x28 input. */
    predict28: (name, image28) => engine(name).predict28(image28),
    /** Full recognition (preprocessing + model) of grey pixels, without touching the page. */
    recognizeGray: (name, gray, width, height) => engine(name).recognize(Float64Array.from(gray), width, height),
    /** Read a whole number (digits left to right) from grey pixels, without touching the page. */
    readGray: (name, gray, width, height) => engine(name).read(Float64Array.from(gray), width, height),
    /** An image file's bytes through the page's upload decode: {gray, width, height, frame}, no engine. */
    async decodeFile(bytes, type) {
      const image = await decodeBlob(fileBlob(bytes, type));
      return { gray: Array.from(image.gray), width: image.width, height: image.height, frame: image.frame };
    },
    /**
     * An image file's bytes through the page's upload path (decode, grey, reduce to the preprocessing's size)
     * and one engine's recognize (or read): {ms, result}, ms from the file (the Blob an upload hands over;
     * turning the test's plain array into it is not timed) to the answer.
     */
    async recognizeFile(name, bytes, type, read = false) {
      const blob = fileBlob(bytes, type);
      const t0 = performance.now();
      const image = await decodeBlob(blob);
      const e = engine(name);
      const result = await (read ? e.read(image.gray, image.width, image.height)
        : e.recognize(image.gray, image.width, image.height));
      return { ms: performance.now() - t0, result };
    },
    /** n forward passes on one 28x28 input; per-run milliseconds, timed where the engine runs. */
    bench: (name, image28, n) => engine(name).bench(image28, n),
    /** n full recognitions through the page's own path (preprocess + model + render). */
    async recognizeRepeatedly(n) {
      for (let i = 0; i < n; i++) await controller.recognize();
    },
    /** Show a result object as if an engine had returned it (the view's four statuses, without a model). */
    render(result) {
      view.showResult(normalize(result.engine || "tfjs", result, result.ms || 0), { detail: "test" });
    },
    /** Show a reading ({number, digits}, interface 4) as if an engine had read it (the number view's marks). */
    renderReading(reading) {
      view.showResult(shownResult(normalizeReading(reading.engine || "tfjs", reading, reading.ms || 0)), { detail: "test" });
    },
  };
  window.__digits = hooks;
  return hooks;
}
