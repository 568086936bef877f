// Main-thread side of the Python engine. index.html declares the worker
//   <script type="py" worker name="engine" src="./engine.py" config="./pyscript.json">
// and PyScript starts it as soon as the page is parsed. This module waits for it and calls the functions
// engine.py exports (`__export__`) through `xworker.sync.<name>(...)`, each a Promise. It turns every way
// the start can fail into one readable error, and never waits forever:
//   - pyscript.json missing or malformed: PyScript rejects `xworker.ready`;
//   - engine.py could not load pymodel or its weights: engine.py's info() says why;
//   - a Content-Security-Policy that blocks PyScript (no 'unsafe-eval', or no blob: workers), or PyScript's
//     core.js failing to load: js/startup-watch.js records it (the worker would otherwise never start,
//     without a word);
//   - anything else that stalls: a start-up timeout.
import { normalize, normalizeReading } from "./result.js";

export const START_TIMEOUT_MS = 120_000; // Pyodide is about 12 MB: generous for a slow phone connection

// Progress shown while loading: the page can see when the worker exists and when engine.py starts
// running (it posts a note); the runtime's own download happens inside the worker, out of sight, so
// that stretch is shown as indeterminate (null) rather than with invented percentages.
const STAGES = {
  core: [5, "starting PyScript"],
  worker: [null, "downloading Python (Pyodide, 12 MB)"],
  engine: [90, "loading pymodel and checking the weights"],
};

// Why PyScript cannot start, from a problem js/startup-watch.js recorded; null when it is unrelated.
function blocksPyscript(problem) {
  if (problem.kind === "script" && /\/vendor\/pyscript-[^/]+\//.test(problem.src)) {
    return `${problem.src.replace(/^.*\/(vendor\/)/, "$1")} could not be loaded`;
  }
  if (problem.kind !== "csp") return null;
  const { directive, blocked } = problem;
  const policy = "the page's Content-Security-Policy blocks PyScript";
  if (directive.startsWith("worker-src") && blocked.startsWith("blob")) return `${policy} (worker-src does not allow blob: workers)`;
  if (directive.startsWith("script-src") && blocked === "eval") return `${policy} (script-src does not allow 'unsafe-eval')`;
  return null;
}

/** Call onBlocked(reason) for every recorded and future problem that stops PyScript; returns a stop function. */
function watchStartup(onBlocked) {
  const problems = window.__startupProblems;
  if (!problems) return () => {};
  const check = (problem) => {
    const why = blocksPyscript(problem);
    if (why) onBlocked(why);
  };
  problems.forEach(check);
  problems.listener = check;
  return () => {
    problems.listener = null;
  };
}

export class PythonEngine {
  /** script: the <script type="py" worker> element; onProgress(pct | null, text) while loading. */
  constructor({ script, onProgress, timeoutMs = START_TIMEOUT_MS }) {
    this.name = "python";
    this.script = script;
    this.onProgress = onProgress || (() => {});
    this.timeoutMs = timeoutMs;
    this.info = null;
    this.sync = null;
    let started;
    /** Resolves when PyScript has created the worker (its downloads are then under way). */
    this.workerStarted = new Promise((resolve) => { started = resolve; });
    this._workerStarted = started;
  }

  get detail() {
    return this.info && this.info.kernels === "numpy" ? "NumPy" : "pure Python";
  }

  /**
   * Resolves with engine.py's info() ({python, kernels, numpy_unavailable}) once Python can answer, or rejects
   * with a readable Error. `kernels: "python"` forces pure-Python kernels where NumPy loaded (benchmarks).
   * `booted` keeps waiting after a timeout, so a very slow start can still be picked up later.
   */
  start({ kernels = "auto" } = {}) {
    let stopWatching = () => {};
    const failures = new Promise((_, reject) => {
      const stopStartupWatch = watchStartup((why) => reject(new Error(why)));
      const timer = setTimeout(() => {
        const err = new Error(`Python did not start within ${Math.round(this.timeoutMs / 1000)} s; reload the page to try again`);
        err.timedOut = true;
        reject(err);
      }, this.timeoutMs);
      stopWatching = () => {
        stopStartupWatch();
        clearTimeout(timer);
      };
    });
    this.booted = this._boot(kernels);
    this.booted.catch(() => {}); // reported through `ready`
    this.settled = false;
    this.ready = Promise.race([this.booted, failures]).finally(() => {
      this.settled = true; // from now on the page shows the outcome, not loading stages
      stopWatching();
    });
    return this.ready;
  }

  _stage(name) {
    if (this.settled) return;
    const [pct, text] = STAGES[name];
    this.onProgress(pct, text);
  }

  async _boot(kernels) {
    if (!this.script) throw new Error("the page has no <script type=\"py\" worker name=\"engine\"> element");
    this._stage("core");
    const xworker = await this._xworker();
    this._workerStarted();
    this._stage("worker");
    xworker.addEventListener("message", ({ data }) => {
      if (data && data.digits === "progress") this._stage("engine");
    });
    try {
      await xworker.ready;
    } catch (err) {
      // PyScript rejects with the config's fetch or parse error.
      throw new Error(`PyScript could not start the worker (${err && err.message ? err.message : err})`, { cause: err });
    }
    this.sync = xworker.sync;
    let info;
    try {
      info = await this.sync.info();
    } catch (err) {
      // engine.py raised before it defined its exports: the worker's console has the traceback.
      throw new Error(`engine.py did not load (${err && err.message ? err.message : err}); see the browser console`, { cause: err });
    }
    if (info.error) throw new Error(info.error);
    if (kernels === "python" && info.kernels !== "python") info = await this.sync.use_kernels("python");
    this.info = info;
    return info;
  }

  // PyScript defines `xworker` on the element when it processes it, right after core.js has run. Look
  // often at first (TF.js waits for it), then twice a second (start-up failures are reported elsewhere).
  async _xworker() {
    const t0 = performance.now();
    while (!this.script.xworker) {
      await new Promise((resolve) => setTimeout(resolve, performance.now() - t0 < 10_000 ? 20 : 500));
    }
    return this.script.xworker;
  }

  /** Python does its own preprocessing (pymodel.preprocess) on the grey pixels. */
  async recognize(gray, width, height) {
    const t0 = performance.now();
    const r = await this.sync.recognize(Float64Array.from(gray), width, height);
    return normalize(this.name, r, performance.now() - t0);
  }

  /**
   * A whole number (or one digit): engine.py's read, which scores every candidate digit in one batch.
   * drawn: a drawing on the pad, whose borders cut nothing.
   */
  async read(gray, width, height, { drawn = false } = {}) {
    const t0 = performance.now();
    const r = await this.sync.read(Float64Array.from(gray), width, height, drawn);
    return normalizeReading(this.name, r, performance.now() - t0);
  }

  async predict28(image28) {
    return Array.from(await this.sync.predict28(Float64Array.from(image28)));
  }

  /** Per-run forward-pass times (ms) measured inside the worker. */
  async bench(image28, n) {
    return Array.from(await this.sync.bench(Float64Array.from(image28), n));
  }
}
