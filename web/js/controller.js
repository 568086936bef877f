// The page's one piece of state and its one decision: which engine answers the current input.
//
// Inputs hand it grey pixels (setInput); engines report when they become ready or fail (engineChanged);
// it asks the chosen engine(s) to read(gray, width, height, {drawn}) (a number, or one digit: TEAM interface
// 4) and gives the answer to the view. TF.js answers first while Python loads; Python answers when chosen (or
// when TF.js is unavailable); "compare" shows both.
import { emptyResult, shownResult } from "./result.js";

// A drawing on the pad is cut out of nothing: a digit drawn up to its edge is whole, while ink at the
// border of a photo may be a neighbour cut by the crop.
function readWith(engine, { gray, width, height, source }) {
  return engine.read(gray, width, height, { drawn: source === "pad" });
}

export class Controller {
  /** engines: {tfjs, python} (same interface); mode(): "tfjs" | "python" | "compare". */
  constructor({ view, engines, mode }) {
    this.view = view;
    this.engines = engines;
    this.mode = mode;
    this.status = { tfjs: "loading", python: "loading" };
    this.errors = { tfjs: null, python: null };
    this.input = null; // {gray, width, height, source: "pad" | "upload"}
    this.seq = 0; // increments per recognition; stale answers are dropped
    this.lastResult = null;
    this.waitingNotice = false;
    this.resultListeners = [];
  }

  /**
   * listener(result, input) after every answer the page shows (input null: the pad was cleared). `result`
   * is result.js's shownResult: one digit's result, or a number's summary, with `number` and `digits`.
   */
  onResult(listener) {
    this.resultListeners.push(listener);
  }

  ready(name) {
    return this.status[name] === "ready";
  }

  /** An engine finished loading ("ready") or failed ("error", with a message): re-answer if that helps. */
  engineChanged(name, status, error = null) {
    this.status[name] = status;
    this.errors[name] = error;
    if (name === "tfjs" && status === "ready" && this.waitingNotice) {
      this.waitingNotice = false;
      this.view.showMessage("");
    }
    const mode = this.mode();
    if (name === "tfjs" ? this.input : mode !== "tfjs") this.recognize();
  }

  setInput(input) {
    this.input = input;
    return this.recognize();
  }

  _show(r, note = "") {
    // An input that is a crop of another (the user's region, region-crop.js) maps its answer back.
    if (this.input && this.input.mapResult) r = this.input.mapResult(r);
    this.lastResult = r;
    const engine = this.engines[r.engine];
    const detail = r.status === "empty" && !this.ready(r.engine) ? "" : engine.detail;
    this.view.showResult(r, { detail, note, upload: Boolean(this.input && this.input.source === "upload") });
    for (const listener of this.resultListeners) listener(r, this.input);
  }

  async recognize() {
    const input = this.input;
    const seq = ++this.seq;
    const mode = this.mode();
    if (!input) {
      this._show({ ...emptyResult(mode === "python" && this.ready("python") ? "python" : "tfjs"), number: "", digits: [] });
      this.view.showCompare(null, null);
      return;
    }
    const { tfjs, python } = this.engines;
    const current = () => seq === this.seq;
    try {
      if ((mode === "python" || !this.ready("tfjs")) && this.ready("python")) {
        // Python was chosen, or TF.js is not (yet) available: Python answers.
        const r = shownResult(await readWith(python, input));
        if (current()) {
          this._show(r, mode === "python" ? "" : this.errors.tfjs ? "TF.js unavailable" : "TF.js still loading");
          this.view.showCompare(null, null);
        }
        return;
      }
      if (!this.ready("tfjs")) {
        this.waitingNotice = true;
        const err = this.errors.tfjs;
        this.view.showMessage(err ? `TensorFlow.js failed: ${err}` : "TensorFlow.js is still loading…", err ? "error" : "info");
        return;
      }
      const a = shownResult(await readWith(tfjs, input));
      let note = "";
      if (mode !== "tfjs" && !this.ready("python")) {
        note = this.errors.python ? "Python engine unavailable" : "Python still loading";
      }
      if (current()) this._show(a, note);
      if (mode === "compare" && this.ready("python")) {
        // The comparison shown so far is of an earlier input: say so until Python has read this one.
        if (current()) this.view.showComparePending();
        let b;
        try {
          b = shownResult(await readWith(python, input));
        } catch (err) {
          b = { error: err.message };
        }
        if (current()) this.view.showCompare(a, b);
      } else if (current()) {
        this.view.showCompare(a, mode === "compare" && this.errors.python ? { error: this.errors.python } : null);
      }
    } catch (err) {
      if (current()) this.view.showMessage(`Recognition failed: ${err.message}`);
    }
  }
}
