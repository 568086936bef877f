// TensorFlow.js engine: the graph model exported from the same trained weights as pymodel, on the page's
// thread (sub-millisecond per digit on the wasm backend). It runs the JavaScript port of pymodel's
// preprocessing itself, so it answers the same recognize(gray, width, height) as the Python engine.
import { preprocessGray } from "./preprocess.js";
import { decide, emptyResult, normalize } from "./result.js";

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
  }

  /** Start downloading the runtime now; `start()` waits for it. */
  loadRuntime() {
    if (!this.runtime) {
      this.runtime = this.scripts.reduce((chain, src) => chain.then(() => loadScript(src)), Promise.resolve());
      this.runtime.catch(() => {}); // reported by start()
    }
    return this.runtime;
  }

  /** Load the model; `rules` (result.js, from the weights manifest) say how many outputs it has. */
  async start({ modelUrl, rules }) {
    await this.loadRuntime();
    const tf = globalThis.tf;
    if (!tf) throw new Error("TensorFlow.js did not load");
    if (tf.wasm) tf.wasm.setWasmPaths(new URL(".", this.scripts[this.scripts.length - 1]).href);
    this.rules = rules;
    this.backend = await this._pickBackend(tf);
    this.model = await tf.loadGraphModel(modelUrl);
    this._checkShapes();
    // Warm-up: the first run compiles/allocates; keep it out of the user's first answer.
    this.outputs28(new Float32Array(784));
    return { backend: this.backend };
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
    if (!shape || shape.length !== 4 || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
      throw new Error(`the TF.js model expects input ${JSON.stringify(shape)}, not [1,28,28,1]`);
    }
  }

  /** 784 floats (light ink on black, 0..1) -> every softmax output. Synchronous; no tensor leaks. */
  outputs28(image28) {
    const tf = globalThis.tf;
    const out = tf.tidy(() => {
      const x = tf.tensor4d(image28, [1, 28, 28, 1], "float32");
      const y = this.model.predict(x);
      return Array.isArray(y) ? y[0] : y;
    });
    try {
      const outputs = out.dataSync();
      if (outputs.length !== this.rules.outputs) {
        throw new Error(`the TF.js model returned ${outputs.length} values; the weights manifest lists ${this.rules.outputs} labels`);
      }
      return Float32Array.from(outputs);
    } finally {
      out.dispose();
    }
  }

  async recognize(gray, width, height) {
    const t0 = performance.now();
    const pre = preprocessGray(gray, width, height);
    if (pre.empty) return emptyResult(this.name, performance.now() - t0);
    const answer = decide(this.outputs28(pre.image28), this.rules);
    return normalize(this.name, { ...answer, box: pre.box || null, image28: pre.image28 }, performance.now() - t0);
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
