// The digits of a number, under the result: each digit's 28x28 (what the model saw), its answer and its
// confidence, with an unsure or rejected digit marked. Choosing a digit (tap, click, Enter or Space: they
// are buttons) shows its ten probabilities and its 28x28 in the result's bars and 28x28 view, through
// onSelect. Only writes to the DOM.

const MARKS = {
  ok: { suffix: "", says: "sure" },
  unsure: { suffix: "?", says: "unsure" },
  not_a_digit: { suffix: "", says: "not a digit" },
};

/** Paint 784 floats (light ink on black, 0..1) into a 28x28 canvas. */
export function paint28(canvas, image28) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = image28 ? Math.round(255 * Math.min(1, Math.max(0, image28[i]))) : 0;
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The digit shown first: the first one that is not sure (that is where a reader looks), else the first. */
export function firstToShow(digits) {
  const doubtful = digits.findIndex((d) => d.status !== "ok");
  return doubtful >= 0 ? doubtful : 0;
}

export class DigitList {
  /** root: the section around the list; list: the <ol>; format(p): a probability as text. */
  constructor({ root, list, format, doc = document }) {
    this.root = root;
    this.list = list;
    this.format = format;
    this.doc = doc;
    this.digits = [];
    this.selected = -1;
    this.listeners = [];
    list.addEventListener("click", (e) => {
      const tile = e.target.closest("[data-testid=digit-item]");
      if (tile && list.contains(tile)) this.select(Number(tile.dataset.index));
    });
  }

  /** listener(index, digit) when a digit is chosen (also the one shown first); index -1: the list is gone. */
  onSelect(listener) {
    this.listeners.push(listener);
  }

  show(digits) {
    this.digits = digits;
    this.list.replaceChildren(...digits.map((d, i) => this._tile(d, i)));
    this.root.hidden = false;
    this.select(firstToShow(digits));
  }

  hide() {
    if (this.root.hidden && !this.digits.length) return;
    this.root.hidden = true;
    this.list.replaceChildren();
    this.digits = [];
    this.selected = -1;
    for (const listener of this.listeners) listener(-1, null);
  }

  select(index) {
    if (index < 0 || index >= this.digits.length) return;
    this.selected = index;
    for (const tile of this.list.querySelectorAll("[data-testid=digit-item]")) {
      tile.setAttribute("aria-pressed", String(Number(tile.dataset.index) === index));
    }
    for (const listener of this.listeners) listener(index, this.digits[index]);
  }

  _tile(d, i) {
    const li = this.doc.createElement("li");
    const button = this.doc.createElement("button");
    button.type = "button";
    button.className = "digit-tile";
    button.dataset.testid = "digit-item";
    button.dataset.index = String(i);
    button.dataset.digit = d.digit === null ? "" : String(d.digit);
    button.dataset.status = d.status;
    button.dataset.confidence = d.confidence.toFixed(4);
    const mark = MARKS[d.status] || MARKS.ok;
    const answer = d.digit === null ? "✕" : `${d.digit}${mark.suffix}`;
    // Doubt is said in words as well as colour: "unsure" before the confidence, "not a digit" instead of it.
    // A digit unsure for being smaller than the others says that, not "unsure 99%"; one the row reader read
    // as another digit than the classifier's top one says so, not "unsure 4%" (segment.js's step 6).
    const small = d.status === "unsure" && d.reason === "smaller";
    const row = d.status === "unsure" && d.reason === "whole_row";
    const conf = d.status === "not_a_digit" ? "not a digit" : small ? "unsure: small" : row ? "unsure: whole row"
      : d.status === "unsure" ? `unsure ${this.format(d.confidence)}` : this.format(d.confidence);
    button.setAttribute("aria-label", `Digit ${i + 1}: ${d.digit === null ? "no digit" : d.digit}, ${mark.says}, ${
      small ? "smaller than the others, " : ""}${row ? "read from the whole row, " : ""}${
      d.status === "not_a_digit" ? `${this.format(d.confidence)} not a digit` : this.format(d.confidence)}`);
    const canvas = this.doc.createElement("canvas");
    canvas.width = canvas.height = 28;
    canvas.setAttribute("aria-hidden", "true");
    paint28(canvas, d.image28);
    const a = this.doc.createElement("span");
    a.className = "tile-answer";
    a.textContent = answer;
    const c = this.doc.createElement("span");
    c.className = "tile-conf";
    c.textContent = conf;
    button.append(canvas, a, c);
    li.append(button);
    return li;
  }
}
