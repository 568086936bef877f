// Everything the page shows about engines and answers: status chips and Python's progress, the result
// (all four statuses; one digit, or a number with its digits listed by digit-list.js), the ten probability
// bars, the 28x28 the model saw, the compare line and messages.
// It only writes to the DOM; what to show is decided by the controller.
import { DigitList, paint28 } from "./digit-list.js";

const ENGINE_NAMES = { tfjs: "TensorFlow.js", python: "Python" };

export function pct(p) {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.0005 ? 0 : 1)}%`;
}

// What each status says. `digit` is the answer for ok/unsure; the others have none.
const VERDICTS = {
  ok: (r) => ({ big: String(r.digit), verdict: `It's ${r.digit === 8 ? "an" : "a"} ${r.digit}`, state: "sure" }),
  unsure: (r) => ({ big: `${r.digit}?`, verdict: `Unsure — maybe ${r.digit}`, state: "unsure" }),
  not_a_digit: () => ({ big: "✕", verdict: "That doesn't look like a digit", state: "not_a_digit" }),
  // An uploaded photo with nothing in it (a blank form, an empty page) is not asked to be drawn on.
  empty: (r, upload) => ({ big: "?", verdict: upload ? "Nothing written here" : "Draw a digit", state: "empty" }),
};

// What a number's status says, above its digits.
function numberVerdict(r) {
  const rejected = r.digits.filter((d) => d.status === "not_a_digit").length;
  if (!r.number) return VERDICTS.not_a_digit(r);
  if (rejected) {
    const marks = rejected === 1 ? "one mark doesn't" : `${rejected} marks don't`;
    return { big: r.number, verdict: `Maybe ${r.number} — ${marks} look like a digit`, state: "not_a_digit" };
  }
  if (r.status === "unsure") return { big: r.number, verdict: `Unsure — maybe ${r.number}`, state: "unsure" };
  return { big: r.number, verdict: `It's ${r.number}`, state: "sure" };
}

const ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"];
const SEEN_TEXT = "The 28×28 image the model saw, after centring and scaling like MNIST.";

export class View {
  constructor(doc = document) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.root = doc.documentElement;
    this.el = {
      prediction: $("prediction"), bigDigit: $("big-digit"), verdict: $("verdict"), confidence: $("confidence"),
      engineLine: $("engine-line"), compare: $("compare"), bars: $("bars"), seen: $("seen"), message: $("message"),
      kernels: $("kernels-label"), progress: $("python-progress"), offline: $("status-offline"),
      barsTitle: $("bars-title"), seenText: $("seen-text"), padAnswer: $("pad-answer"),
      padAnswerText: $("pad-answer-text"),
    };
    this.digitList = new DigitList({ root: $("digits"), list: $("digit-list"), format: pct, doc });
    this.digitList.onSelect((i, d) => this._showDigitOfNumber(i, d));
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
    paint28(this.el.seen, image28);
  }

  /** Which digit the bars and the 28x28 belong to: index -1 for the one digit of a single answer. */
  _barsFor(index, count) {
    const bars = this.el.bars;
    bars.dataset.index = index < 0 ? "" : String(index);
    const which = index < 0 ? "" : `the ${ORDINALS[index] || `#${index + 1}`} digit`;
    this.el.barsTitle.textContent = index < 0 ? "Probabilities" : `Probabilities — ${which} of ${count}`;
    bars.setAttribute("aria-label", index < 0 ? "Probability for each digit" : `Probabilities for ${which}`);
    this.el.seenText.textContent = index < 0 ? SEEN_TEXT : `What the model saw of ${which}, centred and scaled like MNIST.`;
  }

  _showDigitOfNumber(index, d) {
    if (index < 0) return;
    this._barsFor(index, this.digitList.digits.length);
    this.renderBars(d.probs);
    this.renderSeen(d.image28);
  }

  /**
   * r: what the controller shows (result.js's shownResult: one digit's result, or a number's summary with its
   * `digits`). detail: how the engine ran ("wasm", "pure Python"...), shown with its time; note: why this
   * engine answered, if not the chosen one; upload: the input was an uploaded image.
   */
  showResult(r, { detail = "", note = "", upload = false } = {}) {
    const el = this.el.prediction;
    const digits = r.digits || (r.status === "empty" ? [] : [r]);
    const number = digits.length > 1;
    const says = number ? numberVerdict({ ...r, digits }) : VERDICTS[r.status](r, upload);
    el.dataset.engine = r.engine;
    el.dataset.status = r.status;
    el.dataset.state = says.state;
    el.dataset.unsure = String(r.status === "unsure");
    el.dataset.kind = number ? "number" : "digit";
    el.dataset.count = String(digits.length);
    el.dataset.number = typeof r.number === "string" ? r.number : r.digit === null ? "" : String(r.digit);
    // data-digit: the digit; for a number, the digits read (as the history's answer).
    el.dataset.digit = number ? r.number : r.digit === null ? "" : String(r.digit);
    el.dataset.confidence = r.status === "empty" ? "" : r.confidence.toFixed(4);
    // <html data-number>: the number read (one digit: that digit; nothing read: ""), data-digits: how many.
    this.root.dataset.number = el.dataset.number;
    this.root.dataset.digits = el.dataset.count;
    this.el.bigDigit.textContent = says.big;
    this.el.bigDigit.dataset.length = String(says.big.length);
    this.el.verdict.textContent = says.verdict;
    if (r.status === "empty") this.el.confidence.textContent = upload ? "No digit found in this image." : "";
    else if (number) this.el.confidence.textContent = this._numberConfidence(r, digits);
    else if (r.status === "not_a_digit") this.el.confidence.textContent = `Not a digit: ${pct(r.confidence)}`;
    else this.el.confidence.textContent = `Confidence ${pct(r.confidence)}`;
    const confidence = this.el.confidence.textContent;
    this._showPadAnswer(r.status !== "empty" ? `${says.verdict} · ${confidence}` : upload ? confidence : "", says.state);
    const name = detail ? `${ENGINE_NAMES[r.engine]} (${detail}) · ${r.ms.toFixed(r.ms < 10 ? 1 : 0)} ms` : "";
    this.el.engineLine.textContent = [name, note].filter(Boolean).join(" — ");
    if (number) {
      this.digitList.show(digits); // shows the bars and the 28x28 of the digit it selects first
      return;
    }
    this.digitList.hide();
    this._barsFor(-1, 1);
    this.renderBars(r.status === "empty" ? null : r.probs);
    this.renderSeen(r.image28);
  }

  /** The one-line answer under the pad (shown by the stylesheet only where the result is out of sight). */
  _showPadAnswer(text, state) {
    const { padAnswer, padAnswerText } = this.el;
    if (!padAnswer) return;
    padAnswer.hidden = !text;
    padAnswer.dataset.state = state;
    padAnswerText.textContent = text;
  }

  _numberConfidence(r, digits) {
    const read = digits.filter((d) => d.digit !== null).length;
    const rejected = digits.length - read;
    const parts = [`${read} digit${read === 1 ? "" : "s"}`];
    if (rejected) parts.push(`${rejected} not a digit`);
    if (read) parts.push(`confidence ${pct(r.confidence)}`);
    return parts.join(" · ");
  }

  /** While Python reads the input TF.js has just answered: no verdict (data-agree absent) until it has. */
  showComparePending() {
    const box = this.el.compare;
    box.hidden = false;
    delete box.dataset.agree;
    delete box.dataset.maxDiff;
    box.textContent = "Python is reading this too…";
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
    // Per digit: the same digit; when neither gives one, the same reason (empty or not a digit). Unsure vs ok
    // is not a disagreement. A number agrees when it has as many digits and every pair agrees.
    const da = a.digits || (a.status === "empty" ? [] : [a]);
    const db = b.digits || (b.status === "empty" ? [] : [b]);
    const sameCount = da.length === db.length;
    const agree = sameCount && (da.length ? da.every((d, i) => d.digit === db[i].digit && (d.digit !== null || d.status === db[i].status))
      : a.status === b.status);
    const both = sameCount && da.length > 0;
    let maxDiff = 0;
    if (both) {
      da.forEach((d, i) => {
        for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(d.probs[k] - db[i].probs[k]));
      });
    }
    box.dataset.agree = String(agree);
    box.dataset.maxDiff = sameCount ? String(maxDiff) : "";
    const fmt = (r, ds) => {
      if (ds.length > 1) return `${r.number || "no digits"} (${pct(r.confidence)})`;
      return r.digit === null ? r.status.replaceAll("_", " ") : `${r.digit} (${pct(r.confidence)})`;
    };
    box.replaceChildren();
    const line = this.doc.createElement("p");
    line.append(`${agree ? "✓ Engines agree" : "⚠ Engines disagree"}: TF.js `);
    const s1 = this.doc.createElement("strong");
    s1.textContent = `${fmt(a, da)}, ${a.ms.toFixed(1)} ms`;
    const s2 = this.doc.createElement("strong");
    s2.textContent = `${fmt(b, db)}, ${b.ms.toFixed(0)} ms`;
    line.append(s1, " · Python ", s2);
    box.append(line);
    if (both || !sameCount) {
      const small = this.doc.createElement("p");
      small.className = "engine-line";
      small.textContent = both ? `Largest probability difference: ${maxDiff.toExponential(1)}`
        : `TF.js found ${da.length} digit${da.length === 1 ? "" : "s"}, Python ${db.length}.`;
      box.append(small);
    }
  }

  showMessage(text, kind = "error") {
    const m = this.el.message;
    m.textContent = text;
    m.dataset.kind = kind;
    m.hidden = !text;
    // On a phone the message can fall below the screen's edge, under the upload button just tapped.
    if (text && m.scrollIntoView) m.scrollIntoView({ block: "nearest" });
  }
}
