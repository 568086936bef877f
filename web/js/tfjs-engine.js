// TensorFlow.js engine: the graph model exported from the same trained weights as pymodel, on the page's
// thread (sub-millisecond per digit on the wasm backend). It runs the JavaScript port of pymodel's
// preprocessing itself, so it answers the same recognize(gray, width, height) and read(gray, width, height)
// as the Python engine. The model has 10 outputs, or 11 with "not_a_digit": the weights manifest's labels.
// It also loads the row reader (tfjs-rows.js) when the site has one: rowLogits(pixels, width).
import { readNumber, recognizeDigit } from "./read.js";
import { emptyResult, normalize } from "./result.js";
import { loadRowModel, rowLogits } from "./tfjs-rows.js";

const PIXELS = 28 * 28;

const BACKENDS = ["wasm", "cpu"];

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.async = false;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(el);
  });
}

export class TfjsEngine {
  /**
   * scripts: TF.js runtime URLs in load order (the wasm binaries sit next to the last one);
   * backend: "wasm" (default) or "cpu".
   */
  constructor({ scripts, backend }) {
    this.name = "tfjs";
    this.scripts = scripts;
    this.requested = BACKENDS.includes(backend) ? backend : "wasm";
    this.model = null;
    this.rules = null;
    this.backend = null;
    this.rowReader = null; // the row reader's graph model, or null: none in this site, or it failed to load
    this.rowReaderError = null; // why it is null, when it failed
  }

  /** Start downloading the runtime now; `start()` waits for it. */
  loadRuntime() {
    if (!this.runtime) {
      this.runtime = this.scripts.reduce((chain, src) => chain.then(() => loadScript(src)), Promise.resolve());
      this.runtime.catch(() => {}); // reported by start()
    }
    return this.runtime;
  }

  /**
   * Load the model; `rules` (result.js, from the weights manifest) say how many outputs it has.
   * rowModelUrl: the row reader's model.json (optional); when it is absent or fails, `rowReader` stays null
   * and the digits work as before.
   */
  async start({ modelUrl, rowModelUrl = null, rules }) {
    await this.loadRuntime();
    const tf = globalThis.tf;
    if (!tf) throw new Error("TensorFlow.js did not load");
    if (tf.wasm) tf.wasm.setWasmPaths(new URL(".", this.scripts[this.scripts.length - 1]).href);
    this.rules = rules;
    this.backend = await this._pickBackend(tf);
    const rowsLoaded = this.loadRowReader(rowModelUrl); // downloads alongside the digit model
    this.model = await tf.loadGraphModel(modelUrl);
    this._checkShapes();
    // Warm-up: the first run compiles/allocates; keep it out of the user's first answer.
    this.outputs28(new Float32Array(784));
    await rowsLoaded; // loadRowModel has warmed the row reader up
    return { backend: this.backend, rowReader: this.rowReader !== null };
  }

  /**
   * Load the row reader from `source` (a URL, or a TF.js IOHandler) on the current backend; never throws:
   * a missing or broken row model leaves `rowReader` null, says why in `rowReaderError` and the console.
   */
  async loadRowReader(source) {
    if (this.rowReader) this.rowReader.dispose();
    this.rowReader = null;
    this.rowReaderError = null;
    if (!source) return null;
    try {
      this.rowReader = await loadRowModel(globalThis.tf, source);
    } catch (err) {
      this.rowReaderError = err.message;
      console.warn("TF.js row reader unavailable (digits are read without it):", err);
    }
    return this.rowReader;
  }

  /**
   * One row picture (pymodel/rows.py: 32 * width floats, row-major, 0 paper .. 1 ink; width a multiple of 4)
   * -> an Array of width / 4 columns, each a Float32Array of 11 logits ("0".."9", blank). Synchronous.
   */
  rowLogits(pixels, width) {
    if (!this.rowReader) {
      throw new Error(`the TF.js engine has no row reader (${this.rowReaderError || "this site has no row model"})`);
    }
    return rowLogits(globalThis.tf, this.rowReader, pixels, width);
  }

  get detail() {
    return this.backend;
  }

  async _pickBackend(tf) {
    const order = [this.requested, ...BACKENDS.filter((b) => b !== this.requested)];
    for (const name of order) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          return tf.getBackend();
        }
      } catch (err) {
        console.warn(`TF.js backend ${name} unavailable:`, err);
      }
    }
    throw new Error("no TF.js backend could start");
  }

  _checkShapes() {
    const input = this.model.inputs[0];
    const shape = input && input.shape;
    // The batch dimension must be free (-1, null here): a whole number goes through in one forward pass.
    const freeBatch = shape && (shape[0] === null || shape[0] === -1);
    if (!shape || shape.length !== 4 || !freeBatch || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
      throw new Error(`the TF.js model expects input ${JSON.stringify(shape)}, not [n,28,28,1] (re-export it with training/export.py)`);
    }
    const output = this.model.outputs[0];
    const classes = output && output.shape ? output.shape[output.shape.length - 1] : null;
    if (typeof classes === "number" && classes !== this.rules.outputs) {
      throw new Error(`the TF.js model has ${classes} outputs; the weights manifest lists ${this.rules.outputs} labels (rebuild the site from one training run)`);
    }
  }

  /** n images in one forward pass -> the model's outputs, n * classes floats. Synchronous; no tensor leaks. */
  _forward(pixels, n) {
    const tf = globalThis.tf;
    const out = tf.tidy(() => {
      const y = this.model.predict(tf.tensor4d(pixels, [n, 28, 28, 1], "float32"));
      return Array.isArray(y) ? y[0] : y;
    });
    try {
      const outputs = out.dataSync();
      if (outputs.length !== n * this.rules.outputs) {
        throw new Error(`the TF.js model returned ${outputs.length / n} values per image; the weights manifest lists ${this.rules.outputs} labels`);
      }
      return outputs;
    } finally {
      out.dispose();
    }
  }

  /** 784 floats (light ink on black, 0..1) -> every softmax output. Synchronous; no tensor leaks. */
  outputs28(image28) {
    return Float32Array.from(this._forward(image28, 1));
  }

  /**
   * Several 28x28s (each 784 floats, light ink on black) -> one Float32Array of every softmax output per
   * image, in ONE batched forward pass (a number's candidate digits). Synchronous; no tensor leaks.
   */
  predictBatch(images28) {
    const n = images28.length;
    if (n === 0) return [];
    const pixels = new Float32Array(n * PIXELS);
    images28.forEach((image, i) => {
      if (image.length !== PIXELS) throw new Error(`image ${i} of the batch has ${image.length} values, not ${PIXELS}`);
      pixels.set(image, i * PIXELS);
    });
    const outputs = this._forward(pixels, n);
    const k = this.rules.outputs;
    return Array.from({ length: n }, (_, i) => outputs.slice(i * k, (i + 1) * k));
  }

  async recognize(gray, width, height) {
    const t0 = performance.now();
    const answer = await recognizeDigit(gray, width, height, {
      scoreOne: (image28) => this.outputs28(image28),
      rules: this.rules,
    });
    if (answer === null) return emptyResult(this.name, performance.now() - t0);
    return normalize(this.name, answer, performance.now() - t0);
  }

  /**
   * Read a whole number (TEAM.md interface 4): {engine, number, digits, ms}, digits left to right, each a
   * recognize-shaped result with its own box; a single digit is read exactly as recognize reads it, an
   * empty image gives digits []. All candidate digits of a number share one batched forward pass
   * (a second for an unsure reading, segment.js's RECUT_SURE).
   * drawn: a drawing on the pad, whose borders cut nothing.
   */
  async read(gray, width, height, { drawn = false } = {}) {
    const t0 = performance.now();
    const { number, digits } = await readNumber(gray, width, height, {
      drawn,
      scoreBatch: (images28) => this.predictBatch(images28),
      scoreOne: (image28) => this.outputs28(image28),
      rules: this.rules,
      rows: this.rowReader ? (pixels, width) => this.rowLogits(pixels, width) : null, // segment.js's step 6
    });
    const ms = performance.now() - t0;
    return { engine: this.name, number, digits: digits.map((d) => normalize(this.name, d, ms)), ms };
  }

  async predict28(image28) {
    return Array.from(this.outputs28(Float32Array.from(image28)));
  }

  /** n forward passes on one 28x28 input; per-run milliseconds. */
  async bench(image28, n) {
    const x = Float32Array.from(image28);
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      this.outputs28(x);
      times.push(performance.now() - t0);
    }
    return times;
  }

  numTensors() {
    return globalThis.tf.memory().numTensors;
  }
}
