// The region(s) read, drawn as boxes over the uploaded picture: one box per digit the answer carries
// (a reading's `digits`, or the single result's `box`), the user's chosen region as a dashed box, and the
// box being drawn by the crop tool. Only writes to the DOM; boxes arrive in the upload's grey pixels and
// are placed with region-geometry.js on the picture as `object-fit: contain` shows it.
import { boxToFractions } from "./region-geometry.js";

/** Every box an answer carries, left to right as the engine gave them. */
export function boxesOf(result) {
  if (!result) return [];
  if (Array.isArray(result.digits) && result.digits.length) return result.digits.map((d) => d.box).filter(Boolean);
  return result.box ? [result.box] : [];
}

export class RegionView {
  /** layer: an element covering the picture's container exactly (position: absolute; inset: 0). */
  constructor(layer, doc = document) {
    this.layer = layer;
    this.doc = doc;
    this.source = null; // the upload's input: {width, height, frame}
    this.boxes = [];
    this.chosen = null;
    this.draft = null; // fractions {left, top, right, bottom} of the box being drawn
    this.group = doc.createElement("div");
    this.group.className = "region-boxes";
    layer.prepend(this.group);
    this.draftEl = this._box("crop-box", "crop-box");
    this.draftEl.hidden = true;
    layer.append(this.draftEl);
    if (typeof ResizeObserver === "function") new ResizeObserver(() => this.layout()).observe(layer);
  }

  _box(className, testid) {
    const el = this.doc.createElement("div");
    el.className = className;
    el.dataset.testid = testid;
    return el;
  }

  /** Show `result`'s boxes over the picture of `source`; `chosen` is the user's region, or null. */
  show(source, result, chosen = null) {
    this.source = source;
    this.boxes = boxesOf(result);
    this.chosen = chosen;
    this.layer.hidden = false;
    this.layer.dataset.count = String(this.boxes.length);
    this.layer.dataset.mode = chosen ? "chosen" : "automatic";
    this.group.replaceChildren();
    for (const box of this.boxes) {
      const el = this._box("region-box", "region-box");
      el.dataset.box = box.join(",");
      this.group.append(el);
    }
    if (chosen) {
      const el = this._box("region-choice", "region-choice");
      el.dataset.box = chosen.join(",");
      this.group.append(el);
    }
    this.layout();
  }

  hide() {
    this.source = null;
    this.boxes = [];
    this.chosen = null;
    this.setDraft(null);
    this.group.replaceChildren();
    this.layer.hidden = true;
  }

  /** The picture's rectangle inside the layer, in CSS pixels (object-fit: contain). */
  pictureRect() {
    const w = this.layer.clientWidth;
    const h = this.layer.clientHeight;
    if (!this.source) return { x: 0, y: 0, w, h };
    const { width: fw, height: fh } = this.source.frame;
    const scale = Math.min(w / fw, h / fh);
    return { x: (w - fw * scale) / 2, y: (h - fh * scale) / 2, w: fw * scale, h: fh * scale };
  }

  /** A point on the screen as fractions of the picture (outside it: below 0 or above 1). */
  fractionAt(clientX, clientY) {
    const r = this.layer.getBoundingClientRect();
    const p = this.pictureRect();
    return { x: (clientX - r.left - p.x) / p.w, y: (clientY - r.top - p.y) / p.h };
  }

  /** The box being drawn, as fractions of the picture (null: none). */
  setDraft(rect) {
    this.draft = rect;
    this.draftEl.hidden = !rect;
    if (rect) this._place(this.draftEl, rect);
  }

  layout() {
    if (!this.source) return;
    const items = this.group.children;
    const all = this.chosen ? [...this.boxes, this.chosen] : this.boxes;
    all.forEach((box, i) => this._place(items[i], boxToFractions(box, this.source)));
    if (this.draft) this._place(this.draftEl, this.draft);
  }

  _place(el, f) {
    const p = this.pictureRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    const left = clamp(Math.min(f.left, f.right));
    const right = clamp(Math.max(f.left, f.right));
    const top = clamp(Math.min(f.top, f.bottom));
    const bottom = clamp(Math.max(f.top, f.bottom));
    el.style.left = `${(p.x + left * p.w).toFixed(1)}px`;
    el.style.top = `${(p.y + top * p.h).toFixed(1)}px`;
    el.style.width = `${((right - left) * p.w).toFixed(1)}px`;
    el.style.height = `${((bottom - top) * p.h).toFixed(1)}px`;
  }
}
