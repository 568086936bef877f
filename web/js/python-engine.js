// Main-thread side of the Python engine: starts the worker and turns its messages into promises.

export class PythonEngine {
  constructor({ onProgress }) {
    this.onProgress = onProgress || (() => {});
    this.pending = new Map();
    this.nextId = 1;
    this.info = null;
    this.worker = null;
  }

  /**
   * Create the worker now (it starts loading Pyodide at once); `init(config)` later tells it what to load.
   * `ready` resolves with {backend, unsure_threshold, ...} when pymodel is loaded, or rejects with a readable error.
   */
  start() {
    this.ready = new Promise((resolve, reject) => {
      const boot = window.__pyBoot;
      let worker;
      try {
        if (boot && boot.error) throw boot.error;
        worker = boot && boot.worker ? boot.worker : new Worker(new URL("./py-worker.mjs", import.meta.url), { type: "module" });
      } catch (err) {
        reject(new Error(`this browser cannot start a module worker (${err.message})`));
        return;
      }
      this.worker = worker;
      const onError = (event) => {
        if (event.preventDefault) event.preventDefault();
        const err = new Error(event.message || "the Python worker failed to start (its script could not be loaded)");
        reject(err);
        this._failAll(err);
      };
      const onMessage = ({ data }) => {
        if (data.type === "progress") this.onProgress(data.pct, data.text);
        else if (data.type === "ready") {
          this.info = data;
          resolve(data);
        } else if (data.type === "error") {
          reject(new Error(data.message));
        } else if (data.id) {
          const p = this.pending.get(data.id);
          if (!p) return;
          this.pending.delete(data.id);
          if (data.ok) p.resolve(data.result);
          else p.reject(new Error(data.error));
        }
      };
      worker.onerror = onError;
      worker.onmessage = onMessage;
      if (boot && boot.early) {
        boot.stop();
        for (const event of boot.early.splice(0)) (event.type === "error" ? onError : onMessage)(event);
      }
    });
    this.ready.catch(() => {}); // the caller handles it; avoid an unhandled-rejection report meanwhile
    return this.ready;
  }

  init(config) {
    this.worker.postMessage({ type: "init", config });
    return this.ready;
  }

  fail(message) {
    if (this.worker) this.worker.terminate();
    this._failAll(new Error(message));
  }

  _failAll(err) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  _call(msg) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    });
  }

  /** Python does its own preprocessing (pymodel.preprocess) on the grey pixels. */
  recognize(gray, width, height) {
    return this._call({ type: "recognize", gray, width, height });
  }

  predict28(image28) {
    return this._call({ type: "predict28", image28: Float32Array.from(image28) });
  }

  /** Per-run forward-pass times (ms) measured inside the worker. */
  bench(image28, n) {
    return this._call({ type: "bench", image28: Float32Array.from(image28), n });
  }
}
