// TensorFlow.js engine: the graph model exported from the same trained weights as pymodel.
// tf.min.js and tf-backend-wasm.min.js are classic deferred scripts (global `tf`); this module runs after them.

const BACKENDS = ["wasm", "cpu"];

export class TfjsEngine {
  constructor({ modelUrl, backend }) {
    this.modelUrl = modelUrl;
    this.requested = BACKENDS.includes(backend) ? backend : "wasm";
    this.model = null;
    this.backend = null;
  }

  async init() {
    const tf = globalThis.tf;
    if (!tf) throw new Error("TensorFlow.js did not load");
    // The wasm binaries live next to the backend script in vendor/tfjs/ (relative to the page).
    if (tf.wasm) tf.wasm.setWasmPaths(new URL("vendor/tfjs/", document.baseURI).href);
    this.backend = await this._pickBackend(tf);
    this.model = await tf.loadGraphModel(this.modelUrl);
    this._checkShapes();
    // Warm-up: the first run compiles/allocates; keep it out of the user's first answer.
    this.predict28(new Float32Array(784));
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

  /** 784 floats (light ink on black, 0..1) -> Float32Array(10) probabilities. Synchronous; no tensor leaks. */
  predict28(image28) {
    const tf = globalThis.tf;
    const out = tf.tidy(() => {
      const x = tf.tensor4d(image28, [1, 28, 28, 1], "float32");
      const y = this.model.predict(x);
      return Array.isArray(y) ? y[0] : y;
    });
    try {
      const probs = out.dataSync();
      if (probs.length !== 10) throw new Error(`the TF.js model returned ${probs.length} values, not 10`);
      return Float32Array.from(probs);
    } finally {
      out.dispose();
    }
  }

  numTensors() {
    return globalThis.tf.memory().numTensors;
  }
}
