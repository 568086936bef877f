// The user draws the region to read: "Choose region" turns the picture into a crop surface. A drag with
// mouse, finger or pen draws a box and reads it at once (pointer events, captured so a drag may leave the
// picture). From the keyboard the surface takes focus with a box on the region read: arrow keys move it,
// Shift+arrow keys resize it, Enter reads it, Escape cancels. "Automatic" goes back to the region the
// finder chose. The box is handed on as fractions of the picture; region-start.js turns it into pixels.

import { boxToFractions } from "./region-geometry.js";

const STEP = 0.025; // keyboard move/resize step, as a fraction of the picture
const MIN_KEY_SIDE = 0.05;

export class CropTool {
  /**
   * els: {surface, tools, start, apply, reset, hint} (see index.html); view: the RegionView drawing the box.
   * onChoose(rect) reads a box given as fractions {left, top, right, bottom}; onReset() goes back to the
   * automatic region. Both are the caller's; this class only handles the gestures.
   */
  constructor({ els, view, onChoose, onReset }) {
    this.els = els;
    this.view = view;
    this.onChoose = onChoose;
    this.onReset = onReset;
    this.active = false;
    this.drag = null; // {id, x, y}: the pointer drawing the box and where it went down
    this._bind();
  }

  _bind() {
    const { surface, start, apply, reset } = this.els;
    start.addEventListener("click", () => (this.active ? this.cancel() : this.begin()));
    apply.addEventListener("click", () => this.apply());
    reset.addEventListener("click", () => {
      this.cancel();
      this.onReset();
    });
    surface.addEventListener("pointerdown", (e) => this._down(e));
    surface.addEventListener("pointermove", (e) => this._move(e));
    surface.addEventListener("pointerup", (e) => this._up(e));
    surface.addEventListener("pointercancel", (e) => {
      if (this.drag && e.pointerId === this.drag.id) {
        this.drag = null;
        this.view.setDraft(this._initialDraft());
      }
    });
    surface.addEventListener("keydown", (e) => this._key(e));
    // Escape on the tools' buttons while drawing cancels the box, not the whole upload (the page's Escape).
    this.els.tools.addEventListener("keydown", (e) => {
      if (this.active && e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.cancel();
        start.focus();
      }
    });
  }

  /** Tools shown (an upload is on screen) or hidden; `chosen`: the user's region is being read. */
  setAvailable(available, chosen = false) {
    this.els.tools.hidden = !available;
    this.els.reset.hidden = !chosen;
    if (!available) this.cancel();
  }

  /** Enter crop mode with a box on the region read (or the middle of the picture). */
  begin() {
    this.active = true;
    const { surface, start, apply, hint } = this.els;
    surface.dataset.active = "true";
    surface.tabIndex = 0;
    start.dataset.active = "true";
    start.querySelector("span").textContent = "Cancel";
    apply.hidden = false;
    hint.textContent = "Drag a box around one digit. Keys: arrows move the box, Shift+arrows resize it, Enter reads it, Escape cancels.";
    this.view.setDraft(this._initialDraft());
    surface.focus();
  }

  cancel() {
    const wasActive = this.active;
    this.active = false;
    this.drag = null;
    const { surface, start, apply, hint } = this.els;
    surface.dataset.active = "false";
    surface.tabIndex = -1;
    start.dataset.active = "false";
    start.querySelector("span").textContent = "Choose region";
    apply.hidden = true;
    hint.textContent = "The box shows what was read. Wrong place? Choose the region yourself.";
    this.view.setDraft(null);
    if (wasActive && surface.ownerDocument.activeElement === surface) start.focus();
  }

  /** Read the box drawn so far. A box the caller refuses (too small, outside) keeps crop mode on. */
  apply() {
    const rect = this.view.draft;
    if (!this.active || !rect) return;
    if (this.onChoose(rect) !== false) this.cancel();
  }

  _initialDraft() {
    const { chosen, boxes, source } = this.view;
    const box = chosen || boxes[0];
    if (box && source) {
      // A little larger than the ink, as a person would draw it.
      const m = Math.round(0.2 * Math.max(box[2], box[3]));
      const x0 = Math.max(0, box[0] - m);
      const y0 = Math.max(0, box[1] - m);
      const x1 = Math.min(source.width, box[0] + box[2] + m);
      const y1 = Math.min(source.height, box[1] + box[3] + m);
      if (x1 > x0 && y1 > y0) return boxToFractions([x0, y0, x1 - x0, y1 - y0], source);
    }
    return { left: 0.25, top: 0.25, right: 0.75, bottom: 0.75 };
  }

  _down(e) {
    if (!this.active || this.drag || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    this.els.surface.setPointerCapture(e.pointerId);
    const p = this.view.fractionAt(e.clientX, e.clientY);
    this.drag = { id: e.pointerId, x: p.x, y: p.y };
    this.view.setDraft({ left: p.x, top: p.y, right: p.x, bottom: p.y });
  }

  _move(e) {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    const p = this.view.fractionAt(e.clientX, e.clientY);
    this.view.setDraft({ left: this.drag.x, top: this.drag.y, right: p.x, bottom: p.y });
  }

  _up(e) {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    this._move(e);
    this.drag = null;
    this.apply();
  }

  _key(e) {
    if (!this.active) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (e.key === "Enter" || e.key === " ") this.apply();
    else if (e.key === "Escape") this.cancel();
    else if (moves[e.key]) this._nudge(...moves[e.key], e.shiftKey);
    else return;
    // Handled here: the page's own keys (Escape clears the input) must not see it.
    e.preventDefault();
    e.stopPropagation();
  }

  _nudge(dx, dy, resize) {
    const d = this.view.draft || this._initialDraft();
    const r = {
      left: Math.min(d.left, d.right), right: Math.max(d.left, d.right),
      top: Math.min(d.top, d.bottom), bottom: Math.max(d.top, d.bottom),
    };
    if (resize) {
      r.right = Math.min(1, Math.max(r.left + MIN_KEY_SIDE, r.right + dx * STEP));
      r.bottom = Math.min(1, Math.max(r.top + MIN_KEY_SIDE, r.bottom + dy * STEP));
    } else {
      const mx = Math.min(1 - r.right, Math.max(-r.left, dx * STEP));
      const my = Math.min(1 - r.bottom, Math.max(-r.top, dy * STEP));
      r.left += mx;
      r.right += mx;
      r.top += my;
      r.bottom += my;
    }
    this.view.setDraft(r);
  }
}
