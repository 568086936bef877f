// Everything the page shows about engines and answers: status chips and Python's progress, the result
// (all four statuses), the ten probability bars, the 28x28 the model saw, the compare line and messages.
// It only writes to the DOM; what to show is decided by the controller.

const ENGINE_NAMES = { tfjs: "TensorFlow.js", python: "Python" };

export function pct(p) {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.0005 ? 0 : 1)}%`;
}

// What each status says. `digit` is the answer for ok/unsure; the others have none.
const VERDICTS = {
  ok: (r) => ({ big: String(r.digit), verdict: `It's a ${r.digit}`, state: "sure" }),
  unsure: (r) => ({ big: `${r.digit}?`, verdict: `Unsure — maybe ${r.digit}`, state: "unsure" }),
  not_a_digit: () => ({ big: "✕", verdict: "That doesn't look like a digit", state: "not_a_digit" }),
  empty: () => ({ big: "?", verdict: "Draw a digit", state: "empty" }),
};

export class View {
  constructor(doc = document) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.root = doc.documentElement;
    this.el = {
      prediction: $("prediction"), bigDigit: $("big-digit"), verdict: $("verdict"), confidence: $("confidence"),
      engineLine: $("engine-line"), compare: $("compare"), bars: $("bars"), seen: $("seen"), message: $("message"),
      kernels: $("kernels-label"), progress: $("python-progress"), offline: $("status-offline"),
    };
    this._buildBars();
    this.renderBars(null);
    this.renderSeen(null);
  }

  // ---------- engine status ----------

  setEngineStatus(engine, state, text) {
    this.root.dataset[engine] = state;
    const chip = this.doc.getElementById(`status-${engine}`);
    chip.dataset.state = state;
    chip.querySelector(".chip-text").textContent = text;
    chip.title = text;
  }

  /** pct null: the stage's length is unknown (the bar shows activity without a value). */
  setPythonProgress(pct, text) {
    const bar = this.el.progress;
    if (pct === null) bar.removeAttribute("value");
    else bar.value = pct;
    this.setEngineStatus("python", "loading", `Python: ${text}${pct === null ? "…" : ` (${pct}%)`}`);
  }

  setKernels(kind) {
    this.root.dataset.kernels = kind;
    this.el.kernels.textContent = kind === "numpy" ? "NumPy kernels" : "pure-Python kernels";
  }

  setOfflineReady() {
    this.root.dataset.offline = "ready";
    this.el.offline.hidden = false;
    this.el.offline.dataset.state = "ready";
  }

  // ---------- the answer ----------

  _buildBars() {
    for (let d = 0; d < 10; d++) {
      const li = this.doc.createElement("li");
      li.innerHTML = '<span class="label"></span><span class="track"><span class="fill"></span></span><span class="pct">0%</span>';
      li.querySelector(".label").textContent = String(d);
      this.el.bars.append(li);
    }
  }

  renderBars(probs) {
    const items = this.el.bars.children;
    let top = -1;
    if (probs) for (let d = 0; d < 10; d++) if (top < 0 || probs[d] > probs[top]) top = d;
    for (let d = 0; d < 10; d++) {
      const p = probs ? probs[d] : 0;
      items[d].querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
      items[d].querySelector(".pct").textContent = probs ? pct(p) : "–";
      items[d].classList.toggle("best", d === top);
      items[d].setAttribute("aria-label", `${d}: ${probs ? pct(p) : "no result"}`);
    }
  }

  renderSeen(image28) {
    const ctx = this.el.seen.getContext("2d");
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = image28 ? Math.round(255 * Math.min(1, Math.max(0, image28[i]))) : 0;
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  /**
   * r: an engine result (result.js). detail: how the engine ran ("wasm", "pure Python"...), shown with its
   * time; note: why this engine answered, if not the chosen one; upload: the input was an uploaded image.
   */
  showResult(r, { detail = "", note = "", upload = false } = {}) {
    const el = this.el.prediction;
    const says = VERDICTS[r.status](r);
    el.dataset.engine = r.engine;
    el.dataset.status = r.status;
    el.dataset.state = says.state;
    el.dataset.unsure = String(r.status === "unsure");
    el.dataset.digit = r.digit === null ? "" : String(r.digit);
    el.dataset.confidence = r.status === "empty" ? "" : r.confidence.toFixed(4);
    this.el.bigDigit.textContent = says.big;
    this.el.verdict.textContent = says.verdict;
    if (r.status === "empty") this.el.confidence.textContent = upload ? "No digit found in this image." : "";
    else if (r.status === "not_a_digit") this.el.confidence.textContent = `Not a digit: ${pct(r.confidence)}`;
    else this.el.confidence.textContent = `Confidence ${pct(r.confidence)}`;
    const name = detail ? `${ENGINE_NAMES[r.engine]} (${detail}) · ${r.ms.toFixed(r.ms < 10 ? 1 : 0)} ms` : "";
    this.el.engineLine.textContent = [name, note].filter(Boolean).join(" — ");
    this.renderBars(r.status === "empty" ? null : r.probs);
    this.renderSeen(r.image28);
  }

  /** a: TF.js's answer; b: Python's, or {error}; both null hides the comparison. */
  showCompare(a, b) {
    const box = this.el.compare;
    if (!b) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    if (b.error) {
      box.dataset.agree = "";
      box.textContent = `Python: ${b.error}`;
      return;
    }
    // Same digit; when neither gives one, the same reason (empty or not a digit). Unsure vs ok is not a disagreement.
    const agree = a.digit === b.digit && (a.digit !== null || a.status === b.status);
    const both = a.status !== "empty" && b.status !== "empty";
    let maxDiff = 0;
    if (both) for (let i = 0; i < 10; i++) maxDiff = Math.max(maxDiff, Math.abs(a.probs[i] - b.probs[i]));
    box.dataset.agree = String(agree);
    box.dataset.maxDiff = String(maxDiff);
    const fmt = (r) => (r.digit === null ? r.status.replaceAll("_", " ") : `${r.digit} (${pct(r.confidence)})`);
    box.replaceChildren();
    const line = this.doc.createElement("p");
    line.append(`${agree ? "✓ Engines agree" : "⚠ Engines disagree"}: TF.js `);
    const s1 = this.doc.createElement("strong");
    s1.textContent = `${fmt(a)}, ${a.ms.toFixed(1)} ms`;
    const s2 = this.doc.createElement("strong");
    s2.textContent = `${fmt(b)}, ${b.ms.toFixed(0)} ms`;
    line.append(s1, " · Python ", s2);
    box.append(line);
    if (both) {
      const small = this.doc.createElement("p");
      small.className = "engine-line";
      small.textContent = `Largest probability difference: ${maxDiff.toExponential(1)}`;
      box.append(small);
    }
  }

  showMessage(text, kind = "error") {
    const m = this.el.message;
    m.textContent = text;
    m.dataset.kind = kind;
    m.hidden = !text;
  }
}
